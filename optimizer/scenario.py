"""The scenario: a borrower's month-by-month money and their loans, as one frozen, typed object.

A scenario is read from a TOML file (standard-library ``tomllib``) and validated by the pydantic
models below; nothing after :func:`load_scenario` / :func:`scenario_from_dict` sees a raw dict.
Every validation failure becomes one :mod:`optimizer.errors` exception whose message names the
file, the loan and the field and says what is allowed.

Money is yuan (float; rounded to the fen only on display and export). Rates are yearly, written
as a fraction (``0.24``) or a percentage string (``"24%"``); a daily rate (日利率) may be given
instead, APR = daily × 365.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy_financial as npf
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import legal
from .errors import (
    EmptyScenario,
    InvalidField,
    MissingField,
    NotText,
    NotToml,
    ScenarioFieldError,
    ScenarioNotFound,
    UnknownField,
)

MAX_APR = 3.65  # 1 % a day: far above any lawful rate, but such loans exist and must be modelled.
MAX_DAILY_RATE = 0.01
MAX_HORIZON_MONTHS = 360


def _parse_month(value: Any) -> dt.date:
    """'2026-12', a TOML date or datetime -> the first day of that month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})(?:-\d{1,2})?\s*", value)
        if match and 1 <= int(match.group(2)) <= 12:
            return dt.date(int(match.group(1)), int(match.group(2)), 1)
    raise PydanticCustomError("month", "must be a month written YYYY-MM (e.g. \"2026-12\")")


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise PydanticCustomError("date", "must be a date written YYYY-MM-DD")


def _parse_rate(value: Any) -> Any:
    """Accept 0.24, "0.24" or "24%"; the bounds are checked by each field."""
    if isinstance(value, str):
        text = value.strip().replace("％", "%")
        try:
            return float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise PydanticCustomError("rate", "must be a number such as 0.24 or a percentage such as \"24%\"") from None
    return value


Month = Annotated[
    dt.date,
    BeforeValidator(_parse_month),
    PlainSerializer(lambda d: f"{d.year:04d}-{d.month:02d}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "a month, YYYY-MM"}),
]
Day = Annotated[
    dt.date,
    BeforeValidator(_parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Rate = Annotated[float, BeforeValidator(_parse_rate)]
Yuan = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class Step(_Frozen):
    """From month ``from``, the amount is ``amount`` each month (until the next step)."""

    since: Month = Field(alias="from", description="first month of this amount, YYYY-MM")
    amount: Yuan = Field(description="yuan per month")


MonthlyAmount = Annotated[
    float | tuple[Step, ...],
    Field(description="yuan per month, or a schedule: a list of {from = \"YYYY-MM\", amount = …}"),
]


class Weights(_Frozen):
    """How much each harm costs, in yuan per yuan-month overdue (interest: a multiplier).

    The optimizer minimises  interest × (interest + penalty charged)
    + Σ (lawsuit | credit | collection) × overdue yuan-months + unpaid × yuan owed at the horizon.
    """

    interest: float = Field(1.0, ge=0, le=100, description="multiplier on interest and penalty interest charged")
    lawsuit: float = Field(0.10, ge=0, le=100, description="per yuan-month overdue on a loan sued or in enforcement")
    credit: float = Field(0.04, ge=0, le=100, description="per yuan-month overdue on a loan reported to the credit bureau")
    collection: float = Field(0.02, ge=0, le=100, description="per yuan-month overdue on a loan with abusive collection")
    enforcement: float = Field(
        0.20, ge=0, le=100,
        description="per yuan-month overdue on a loan in enforcement (in total; replaces the lawsuit weight)",
    )
    unpaid: float = Field(
        1.0, ge=0, le=1000,
        description="per yuan still owed at the end of the horizon, on top of what its months after the horizon cost",
    )
    missed_installment: float = Field(
        0.25, ge=0, le=100,
        description="a month behind on an installment costs this share of the installment (late fees, calls, the "
                    "risk of an early report); above the lawsuit weight, so a loan that can be kept current is",
    )
    new_record_months: float = Field(
        12, ge=0, le=120,
        description="a credit-bureau record the plan causes costs the credit weight for this many months on the "
                    "loan's balance (the record is kept 5 years after the default ends)",
    )
    new_lawsuit_months: float = Field(
        6, ge=0, le=120,
        description="a lawsuit the plan causes costs the lawsuit weight for this many months on the loan's balance "
                    "(the months until judgment), on top of the court fee",
    )
    after_horizon_months: int = Field(
        12, ge=0, le=120,
        description="debt left at the horizon is charged as if it stayed as it is (interest, penalty, "
                    "risk weights) for this many more months, so money short never starves the riskiest loan",
    )


class LprEntry(_Frozen):
    since: Day = Field(description="date the fixing took effect")
    rate: Rate = Field(ge=0, le=0.5)


class Legal(_Frozen):
    """Dated legal figures; defaults in optimizer/legal.py with their sources."""

    basis: Literal["claim", "cap"] = Field(
        "cap", description="plan on what a court would enforce (cap, the default) or on the lender's claim",
    )
    licensed_cap: Rate = Field(legal.DEFAULT_LICENSED_CAP, ge=0, le=1, description="combined yearly cap for licensed lenders")
    private_lpr_multiple: float = Field(legal.DEFAULT_PRIVATE_LPR_MULTIPLE, ge=0, le=10)
    max_restructure_months: int = Field(
        legal.DEFAULT_MAX_RESTRUCTURE_MONTHS, ge=12, le=120, description="longest installment ask for an online loan",
    )
    max_restructure_months_card: int = Field(
        legal.DEFAULT_MAX_RESTRUCTURE_MONTHS_CARD, ge=12, le=120, description="longest installment ask for a credit card",
    )
    credit_record_years: int = Field(
        legal.DEFAULT_CREDIT_RECORD_YEARS, ge=0, le=20,
        description="years a negative credit record is kept after the default ends (arrears cured or debt repaid)",
    )
    card_late_fee: Rate = Field(
        legal.DEFAULT_CARD_LATE_FEE, ge=0, le=1,
        description="credit cards: late fee (违约金) per month behind, as a share of the minimum payment (no 罚息 on cards)",
    )
    private_old_cap: Rate = Field(
        legal.DEFAULT_PRIVATE_OLD_CAP, ge=0, le=1,
        description="cap on private loans signed before 2020-08-20, for interest up to 2020-08-19",
    )
    lpr_1y: tuple[LprEntry, ...] = Field(
        tuple(LprEntry(since=e.since, rate=e.rate) for e in legal.DEFAULT_LPR_1Y),
        min_length=1,
        description="one-year LPR fixings",
    )

    @property
    def lpr_table(self) -> tuple[legal.DatedRate, ...]:
        return tuple(legal.DatedRate(e.since, e.rate) for e in self.lpr_1y)


class EscalationPath(_Frozen):
    """How one type of lender escalates, in days overdue (practice, not law: DOMAIN.md §6)."""

    reports: bool = Field(description="reports overdue installments to the credit bureau (上征信)")
    report_days: int = Field(30, ge=0, le=3650, description="days overdue at which an installment is reported")
    acceleration_days: int = Field(90, ge=0, le=3650, description="days overdue at which the whole balance is demanded")
    lawsuit_days: int = Field(180, ge=0, le=3650, description="days overdue at which the lender sues")
    enforcement_months: int = Field(6, ge=1, le=120, description="months after the suit, still unpaid, until enforcement")


def _path(kind: str) -> EscalationPath:
    p = legal.DEFAULT_ESCALATION[kind]
    return EscalationPath(reports=p.reports, report_days=p.report_days, acceleration_days=p.acceleration_days,
                          lawsuit_days=p.lawsuit_days, enforcement_months=p.enforcement_months)


class Escalation(_Frozen):
    """What each missed month triggers, per lender type; a loan's own fields override."""

    as_of: Day = Field(legal.ESCALATION_AS_OF, description="when these practice figures were last checked")
    licensed: EscalationPath = Field(default_factory=lambda: _path("licensed"))
    private: EscalationPath = Field(default_factory=lambda: _path("private"))
    court_fees: bool = Field(True, description="a lawsuit adds the court fee, an enforcement the enforcement fee")


class Agreement(_Frozen):
    """An agreement already reached with the lender (协商分期 or 一次性结清), in writing.

    ``installments``: ``monthly`` due in full each month for ``months`` months from ``first``
    (the agreed total replaces what was owed; paying ahead does not excuse a later month; a missed
    installment voids the agreement and the lender demands the rest at once).
    ``settlement``: ``amount`` paid by ``by`` settles the loan.
    """

    kind: Literal["installments", "settlement"]
    monthly: Yuan | None = Field(None, gt=0, description="installments: the agreed monthly amount")
    months: int | None = Field(None, ge=1, le=600, description="installments: how many")
    first: Month | None = Field(None, description="installments: month of the first one")
    amount: Yuan | None = Field(None, gt=0, description="settlement: the agreed lump sum")
    by: Month | None = Field(None, description="settlement: paid in full by this month")

    @model_validator(mode="after")
    def _complete(self) -> Agreement:
        needed = ("monthly", "months", "first") if self.kind == "installments" else ("amount", "by")
        for name in needed:
            if getattr(self, name) is None:
                raise _problem(name, f"is required for an agreement of kind '{self.kind}'")
        other = ("amount", "by") if self.kind == "installments" else ("monthly", "months", "first")
        for name in other:
            if getattr(self, name) is not None:
                raise _problem(name, f"does not belong to an agreement of kind '{self.kind}'")
        return self


class SettlementOffer(_Frozen):
    """A lender's lump-sum offer (一次性结清): pay ``amount`` by ``by``, the rest is waived."""

    amount: Yuan
    by: Month


class Loan(_Frozen):
    """One debt. Only name, principal, a rate and the installment are needed; the rest defaults."""

    name: str = Field(min_length=1, max_length=60, description="what the user calls it, e.g. 借呗")
    lender: str | None = Field(None, description="the lender; defaults to the name")
    lender_type: Literal["licensed", "private"] = Field(
        "licensed", description="licensed (bank, consumer finance, microloan) or private lending (民间借贷)",
    )
    contract_date: Day | None = Field(None, description="date signed; sets the private-lending cap (4 × LPR then)")
    principal: Yuan = Field(
        validation_alias=AliasChoices("principal", "balance"),
        description="outstanding principal now (剩余本金); 'balance' is accepted too",
    )
    interest_owed: Yuan = 0.0
    penalty_owed: Yuan = Field(0.0, description="penalty interest owed (罚息)")
    fees_owed: Yuan = 0.0
    apr: Rate | None = Field(None, ge=0, description="yearly rate (年化), e.g. 0.24 or \"24%\"")
    daily_rate: Rate | None = Field(None, ge=0, description="daily rate (日利率), e.g. \"0.05%\"; APR = daily × 365")
    penalty_markup: Rate = Field(legal.DEFAULT_PENALTY_MARKUP, ge=0, le=1, description="penalty rate = rate × (1 + markup)")
    installments: int | None = Field(None, ge=1, le=600, description="number of installments in the contract")
    installments_paid: int = Field(0, ge=0, le=600)
    installment: Yuan | None = Field(None, gt=0, description="monthly installment amount")
    installments_left: int | None = Field(None, ge=1, le=600, description="installments not yet paid, missed ones included")
    days_overdue: int = Field(0, ge=0, le=36500)
    accelerated: bool = Field(False, description="the lender demands the whole balance now (加速到期)")
    lawsuit: bool = False
    enforcement: bool = False
    credit_reported: bool = False
    abusive_collection: bool = False
    credit_card: bool = False
    settlement_offer: SettlementOffer | None = None
    acceleration_days: int | None = Field(
        None, ge=0, le=3650, description="the contract's acceleration clause: days overdue before the whole balance is due",
    )
    agreement: Agreement | None = Field(None, description="an agreement already reached with this lender")

    @model_validator(mode="after")
    def _consistent(self) -> Loan:
        if (self.apr is None) == (self.daily_rate is None):
            raise _problem("apr", "give exactly one of apr (yearly) or daily_rate (日利率)")
        if self.apr is not None and self.apr > MAX_APR:
            raise _problem(
                "apr",
                f"must be a yearly rate between 0 and {MAX_APR} ({MAX_APR:.0%}), written as a fraction "
                f"(0.24) or a percentage string (\"24%\"); got {self.apr:g}"
                + (f" (if you meant {self.apr:g} %, write {self.apr / 100:g})" if self.apr <= 100 else ""),
            )
        if self.daily_rate is not None and self.daily_rate > MAX_DAILY_RATE:
            raise _problem(
                "daily_rate",
                f"must be a daily rate between 0 and {MAX_DAILY_RATE} (1 % a day), e.g. 0.0005 or \"0.05%\"; "
                f"got {self.daily_rate:g}",
            )
        if self.installments is not None and (self.installment is not None or self.installments_left is not None):
            raise _problem(
                "installments",
                "describe the contract either by installments (+ installments_paid) or by installment "
                "(+ installments_left), not both",
            )
        if self.installments is not None and self.installments_paid >= self.installments:
            raise _problem(
                "installments_paid",
                f"must be less than installments ({self.installments}); got {self.installments_paid}",
            )
        if self.installments is None and self.installment is None and not self.accelerated:
            raise _problem(
                "installment",
                "is required: give the monthly installment, or installments (the number in the contract), "
                "or accelerated = true if the lender demands the whole balance",
            )
        if self.installments_left is not None and self.installment is None:
            raise _problem("installment", "is required with installments_left")
        if self.installment is not None and self.installments_left is None:
            r = self.monthly_rate
            if self.principal * r >= self.installment:
                raise _problem(
                    "installment",
                    f"¥{self.installment:,.2f} does not cover one month's interest "
                    f"(¥{self.principal * r:,.2f}); give installments_left too, or check the rate",
                )
        if self.total_owed <= 0:
            raise _problem("principal", "the loan owes nothing (principal and all charges are 0)")
        return self

    # ---- derived contract terms -------------------------------------------------------------

    @property
    def lender_name(self) -> str:
        return self.lender or self.name

    @property
    def yearly_rate(self) -> float:
        return self.apr if self.apr is not None else self.daily_rate * 365

    @property
    def monthly_rate(self) -> float:
        return self.yearly_rate / 12

    @property
    def total_owed(self) -> float:
        return self.principal + self.interest_owed + self.penalty_owed + self.fees_owed

    @property
    def charges_owed(self) -> float:
        return self.interest_owed + self.penalty_owed + self.fees_owed

    @property
    def remaining_installments(self) -> int:
        """Installments not yet paid (missed ones included); 0 when only acceleration is known."""
        if self.installments is not None:
            return self.installments - self.installments_paid
        if self.installments_left is not None:
            return self.installments_left
        if self.installment is not None:
            r = self.monthly_rate
            n = float(npf.nper(r, -self.installment, self.principal)) if r > 0 else self.principal / self.installment
            return max(1, math.ceil(n - 1e-9))
        return 0

    @property
    def installment_amount(self) -> float:
        """The contract's monthly installment (annuity over the remaining installments)."""
        if self.installment is not None:
            return self.installment
        n = self.remaining_installments
        if n == 0:
            return 0.0
        r = self.monthly_rate
        return float(-npf.pmt(r, n, self.principal)) if r > 0 else self.principal / n

    @property
    def installments_missed(self) -> int:
        """Monthly installments already due and unpaid: one per started 30 days overdue."""
        return min(math.ceil(self.days_overdue / 30), self.remaining_installments)

    @property
    def sued(self) -> bool:
        return self.lawsuit or self.enforcement


def _problem(field: str, problem: str) -> PydanticCustomError:
    return PydanticCustomError("field_problem", "{problem}", {"field": field, "problem": problem})


class Scenario(_Frozen):
    """A borrower's situation: money per month, essentials, weights, legal figures and loans."""

    title: str | None = Field(None, description="a label for this case")
    start: Month = Field(description="first month of the plan, YYYY-MM")
    horizon_months: int = Field(36, ge=1, le=MAX_HORIZON_MONTHS, description="months to plan")
    income: MonthlyAmount
    essentials: MonthlyAmount = Field(description="rent, food, transport… never touched by the plan")
    cash_on_hand: Yuan = 0.0
    weights: Weights = Weights()
    legal: Legal = Legal()
    escalation: Escalation = Escalation()
    loans: tuple[Loan, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        seen: set[str] = set()
        for loan in self.loans:
            if loan.name in seen:
                raise _problem("loans", f"two loans are named '{loan.name}'; names must be unique")
            seen.add(loan.name)
            deal = loan.agreement
            if deal is not None and deal.kind == "installments" and month_index(self.start, deal.first) + deal.months <= 0:
                raise _problem("loans", f"the agreement with '{loan.name}' ended before the plan starts; remove it")
        for field in ("income", "essentials"):
            value = getattr(self, field)
            if isinstance(value, tuple):
                if not value:
                    raise _problem(field, "the schedule is empty; give an amount or at least one step")
                if value[0].since > self.start:
                    raise _problem(field, f"the schedule must start on or before the plan start {self.start:%Y-%m}")
                if any(a.since >= b.since for a, b in zip(value, value[1:])):
                    raise _problem(field, "schedule steps must be in increasing month order")
        return self

    @property
    def months(self) -> tuple[str, ...]:
        """Month labels YYYY-MM, plan month 1 first."""
        return tuple(month_label(self.start, t) for t in range(self.horizon_months))

    def monthly(self, field: Literal["income", "essentials"]) -> list[float]:
        """The amount for each plan month, schedules expanded."""
        value = getattr(self, field)
        if not isinstance(value, tuple):
            return [float(value)] * self.horizon_months
        out = []
        for t in range(self.horizon_months):
            month = add_months(self.start, t)
            out.append(next(s.amount for s in reversed(value) if s.since <= month))
        return out

    def replace(self, **changes: Any) -> Scenario:
        """A validated copy with top-level fields changed (what a slider does)."""
        data = self.model_dump(by_alias=True)
        data.update({k: (v.model_dump(by_alias=True) if isinstance(v, BaseModel) else v) for k, v in changes.items()})
        return Scenario.model_validate(data)


def month_index(start: dt.date, month: dt.date) -> int:
    """0-based plan month of ``month`` (negative before the plan starts)."""
    return (month.year - start.year) * 12 + month.month - start.month


def add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(start: dt.date, t: int) -> str:
    return add_months(start, t).strftime("%Y-%m")


# ---- loading ----------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise a one-line :class:`DebtplanError` if it is bad."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioNotFound(name) from None
    except IsADirectoryError:
        raise ScenarioNotFound(name, "is a folder, not a scenario file") from None
    except OSError as exc:
        raise ScenarioNotFound(name, exc.strerror or "cannot be read") from None
    return scenario_from_bytes(raw, name)


def scenario_from_bytes(raw: bytes, name: str) -> Scenario:
    """Validate the bytes of a scenario file (an upload, or a file already read)."""
    if not raw.strip():
        raise EmptyScenario(name)
    if b"\x00" in raw:
        raise NotText(name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotText(name) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NotToml(name, str(exc)) from None
    return scenario_from_dict(data, source=name)


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate plain data (from TOML, JSON or the dashboard's table) into a Scenario."""
    if not data:
        raise EmptyScenario(source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _field_error(exc, data, source) from None


def _field_error(exc: ValidationError, data: dict[str, Any], source: str) -> ScenarioFieldError:
    # The first error is reported: one clear line beats a wall of follow-on errors.
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    loan = None
    if len(loc) >= 2 and loc[0] == "loans" and isinstance(loc[1], int):
        try:
            loan = str(data["loans"][loc[1]].get("name") or f"#{loc[1] + 1}")
        except (AttributeError, IndexError, KeyError, TypeError):
            loan = f"#{loc[1] + 1}"
        loc = loc[2:]
    ctx = err.get("ctx") or {}
    if err["type"] == "field_problem":
        loc = [*loc, ctx["field"]]
    # Union members and before-validators add their own loc parts; keep the user's field names.
    field = ".".join(str(p) for p in loc if not str(p).startswith(("function-", "float", "tuple[", "constrained")))
    field = field or (loc[0] if loc else "scenario")
    if err["type"] == "missing":
        return MissingField(source, field, "is required", loan)
    if err["type"] == "extra_forbidden":
        return UnknownField(source, field, "is not a known field (see scenarios/scenario.schema.json)", loan)
    if err["type"] == "field_problem":
        return InvalidField(source, field, ctx["problem"], loan)
    message = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    got = err.get("input")
    if not isinstance(got, (dict, list)):
        message += f"; got {got!r}"
    return InvalidField(source, field, message, loan)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a scenario file (scenarios/scenario.schema.json)."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "debtplan scenario"
    return schema
