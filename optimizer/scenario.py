"""The scenario: a borrower's month-by-month money and their loans, as one frozen, typed object.

A scenario is read from a TOML file (standard-library ``tomllib``) and validated by the pydantic
models below; nothing after :func:`load_scenario` / :func:`scenario_from_dict` sees a raw dict.
Every validation failure becomes one :mod:`optimizer.errors` exception whose message names the
file, the loan and the field and says what is allowed.

Money is yuan (float; rounded to the fen only on display and export). Rates are yearly, written
as a fraction (``0.24``) or a percentage string (``"24%"``); a daily rate (日利率) may be given
instead, APR = daily × 365.

Validation is generic, so a new field gets it by its type: ``Yuan`` for money (finite, 0 to
:data:`MAX_YUAN`, never a boolean), ``Rate``, ``Month`` and ``Day`` (real calendar dates in
:data:`FIRST_YEAR`–:data:`LAST_YEAR`), ``Flag``, ``Name``/``Text`` (no control characters);
plain ``int``, ``float`` and ``bool`` fields are strict through the models' config. A problem
between fields is ``raise _problem(field, errors.SomeClass, **details)``, its words in
:mod:`optimizer.errors`. The README ("What a scenario file may hold") lists the rules.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import numpy_financial as npf
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Strict,
    Tag,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from . import errors, legal
from .errors import (
    EmptyScenario,
    FileTooBig,
    NestedTooDeep,
    NotText,
    NotToml,
    NotUtf8,
    ScenarioFieldError,
    ScenarioNotFound,
)

MAX_APR = 3.65  # 1 % a day: far above any lawful rate, but such loans exist and must be modelled.
MAX_DAILY_RATE = 0.01
MAX_HORIZON_MONTHS = 360
# ¥10⁹: a month's income or essentials, cash on hand, any one amount owed. Far above any
# household's figures, far below where a cent is lost in floating point.
MAX_YUAN = 1e9
# What an unpaid balance may grow to over the horizon at its penalty rate: the LP and the
# ledger agree to the fen only while balances stay within this (bench/ and the hostile-input
# test find the limit; ¥10¹² already loses cents in HiGHS).
MAX_PROJECTED_YUAN = 1e11
# The plan runs in these years (so it ends long before 9999, and a year is always 4 digits).
FIRST_YEAR, LAST_YEAR = 1900, 2999
# The supported size (README): a plan in seconds, compare and targets within about a minute.
MAX_LOANS = 200
MAX_LOAN_MONTHS = 24_000
MAX_NAME = 60
MAX_NESTING = 8  # levels of lists/tables; a scenario uses 4
MAX_FILE_BYTES = 1 << 20


def _fail(kind: type[ScenarioFieldError], at: tuple = (), **details: Any) -> PydanticCustomError:
    """A validation failure of ``kind`` (its message is in optimizer/errors.py); ``at`` adds
    to the location pydantic knows (a field checked by a model validator)."""
    return PydanticCustomError(kind.__name__, "{problem}", {"problem": kind.describe(**details), "at": at})


# ---- the value types every field uses ---------------------------------------------------------
#
# Leniency, the same everywhere (README, "What a scenario file may hold"): money and rates may be quoted
# ("7500", "7,500", "24%") because that is how lenders' apps and contracts show them; months
# may be "2026-12", "2026-12-01" or a TOML date. Everything else is strict: the models run in
# pydantic's strict mode, so a whole number is a TOML integer (36, not 36.0 or "36"), a flag is
# true or false (never 1 or "yes"), a number is never a boolean, and no float is nan or inf.

_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?|[+-]?\.[0-9]+", re.ASCII)


def _number(value: Any, kind: type[ScenarioFieldError], percent: bool = False) -> float:
    """A finite float from a TOML number or a quoted plain decimal (with "%" if ``percent``)."""
    if isinstance(value, (bool, np.bool_)):
        raise _fail(kind, got=value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        try:
            number = float(value)
        except OverflowError:
            raise _fail(kind, got=value) from None
    elif isinstance(value, str):
        text = value.strip().replace("％", "%")
        scale = 1.0
        if percent and text.endswith("%"):
            text, scale = text[:-1].strip(), 0.01
        if not _PLAIN_NUMBER.fullmatch(text):
            raise _fail(kind, got=value)
        number = float(text.replace(",", "")) * scale
    else:
        raise _fail(kind, got=value)
    if not math.isfinite(number):
        raise _fail(kind, got=value)
    return number


def _parse_yuan(value: Any) -> float:
    return _number(value, errors.NotAnAmount)


def _parse_rate(value: Any) -> float:
    """Accept 0.24, "0.24" or "24%"; the bounds are checked by each field."""
    return _number(value, errors.NotARate, percent=True)


def _in_years(day: dt.date, value: Any) -> dt.date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _fail(errors.YearOutOfRange, first=FIRST_YEAR, last=LAST_YEAR, got=value)
    return day


def _parse_month(value: Any) -> dt.date:
    """'2026-12', '2026-12-05', a TOML date or datetime -> the first day of that month."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _in_years(value, value).replace(day=1)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]{4})-([0-9]{1,2})(?:-([0-9]{1,2}))?\s*", value)
        if match:
            try:  # a day, if given, must exist: "2026-02-30" is refused, not read as February
                day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3) or 1))
            except ValueError:
                pass
            else:
                return _in_years(day, value).replace(day=1)
    raise _fail(errors.NotAMonth, got=value)


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _in_years(value, value)
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*", value):
        try:
            return _in_years(dt.date.fromisoformat(value.strip()), value)
        except ValueError:
            pass
    raise _fail(errors.NotADate, got=value)


def _parse_text(value: Any) -> str:
    """Text without control characters (a line break would split a CSV row or a message),
    surrounding spaces dropped."""
    if not isinstance(value, str):
        raise _fail(errors.NotAString, got=value)
    text = value.strip()
    if not text:
        raise _fail(errors.EmptyText)
    for position, ch in enumerate(text, 1):
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            raise _fail(errors.ControlCharacter, char=errors.shown(ch), position=position)
    return text


def _parse_name(value: Any) -> str:
    """A name as it appears in CSV files: text, and no leading "=+-@" (a spreadsheet opening
    the CSV would run it as a formula)."""
    text = _parse_text(value)
    if text[0] in "=+-@":
        raise _fail(errors.FormulaText, got=value)
    return text


def _month_text(d: dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


Month = Annotated[
    dt.date,
    BeforeValidator(_parse_month),
    PlainSerializer(_month_text, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}$", "description": "a month, YYYY-MM"}),
]
Day = Annotated[
    dt.date,
    BeforeValidator(_parse_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]
Rate = Annotated[float, BeforeValidator(_parse_rate)]
Yuan = Annotated[float, BeforeValidator(_parse_yuan), Field(ge=0, le=MAX_YUAN)]
Flag = Annotated[bool, Strict()]
Name = Annotated[str, BeforeValidator(_parse_name), Field(max_length=MAX_NAME)]
Text = Annotated[str, BeforeValidator(_parse_text), Field(max_length=200)]


class _Frozen(BaseModel):
    # strict: no bool as a number, no number as a bool, no "36" as a whole number (see above).
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _arrays_as_tuples(cls, data: Any) -> Any:
        # TOML arrays arrive as lists; the frozen models hold tuples, which strict mode requires.
        if isinstance(data, dict):
            return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return data


class Step(_Frozen):
    """From month ``from``, the amount is ``amount`` each month (until the next step)."""

    since: Month = Field(alias="from", description="first month of this amount, YYYY-MM")
    amount: Yuan = Field(description="yuan per month")


# Tags name the two forms; they are not field names, and error messages leave them out.
_FORMS = ("monthly-amount", "monthly-schedule")
MonthlyAmount = Annotated[
    Annotated[Yuan, Tag(_FORMS[0])] | Annotated[tuple[Step, ...], Tag(_FORMS[1])],
    # Decide the form from the value, so a bad step is reported as a bad step, not as "must be a number".
    Discriminator(lambda v: _FORMS[1] if isinstance(v, (list, tuple)) else _FORMS[0]),
    Field(description="yuan per month, or a schedule: a list of {from = \"YYYY-MM\", amount = …}"),
]


class Weights(_Frozen):
    """How much each harm costs, in yuan per yuan-month overdue (interest: a multiplier).

    The optimizer minimises  interest × (interest + penalty charged)
    + Σ (lawsuit | credit | collection) × overdue yuan-months + unpaid × yuan owed at the horizon.
    """

    # At least 0.01: with no cost on interest the LP's overdue amounts are no longer pinned to
    # max(0, balance − schedule) (any overstatement costs nothing), and its plan stops being exact.
    interest: float = Field(
        1.0, ge=0.01, le=100, description="multiplier on interest and penalty interest charged (0.01 to 100)",
    )
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
                    "risk of an early report); above the lawsuit weight, so a loan that can be kept current is kept current",
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
    enforcement_share: float = Field(
        legal.DEFAULT_ENFORCEMENT_SHARE, ge=0.0, le=1.0,
        description="share of each month's money (after essentials and agreed installments) paid to judgments "
                    "in enforcement until they are paid, split between the loans that can be in enforcement by then "
                    "(practice; a court's 执行和解 sets the real figure)")
    keep_performing_current: bool = Field(
        True, description="every plan keeps current a loan performing now whose installments the money covers every "
                          "month (no default the money could avoid); false: the weights decide, to compare")


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

    name: Name = Field(description="what the user calls it, e.g. 借呗")
    lender: Name | None = Field(None, description="the lender; defaults to the name")
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
    accelerated: Flag = Field(False, description="the lender demands the whole balance now (加速到期)")
    lawsuit: Flag = False
    enforcement: Flag = False
    credit_reported: Flag = False
    abusive_collection: Flag = False
    credit_card: Flag = False
    settlement_offer: SettlementOffer | None = None
    acceleration_days: int | None = Field(
        None, ge=0, le=3650, description="the contract's acceleration clause: days overdue before the whole balance is due",
    )
    agreement: Agreement | None = Field(None, description="an agreement already reached with this lender")

    @model_validator(mode="after")
    def _consistent(self) -> Loan:
        if (self.apr is None) == (self.daily_rate is None):
            raise _problem("apr", errors.RateTwice)
        if self.apr is not None and self.apr > MAX_APR:
            raise _problem("apr", errors.AprTooHigh, limit=MAX_APR, got=self.apr)
        if self.daily_rate is not None and self.daily_rate > MAX_DAILY_RATE:
            raise _problem("daily_rate", errors.DailyRateTooHigh, limit=MAX_DAILY_RATE, got=self.daily_rate)
        if self.installments is not None and (self.installment is not None or self.installments_left is not None):
            raise _problem("installments", errors.ContractTwoWays)
        if self.installments is not None and self.installments_paid >= self.installments:
            raise _problem("installments_paid", errors.PaidTooMany, installments=self.installments, got=self.installments_paid)
        if self.installments is None and self.installment is None and not self.accelerated:
            raise _problem("installment", errors.ContractMissing)
        if self.installments_left is not None and self.installment is None:
            raise _problem("installment", errors.InstallmentNeeded)
        if self.installment is not None and self.installments_left is None:
            r = self.monthly_rate
            if self.principal * r >= self.installment:
                raise _problem("installment", errors.InstallmentBelowInterest,
                               installment=self.installment, interest=self.principal * r)
        if self.total_owed <= 0:
            raise _problem("principal", errors.OwesNothing)
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


def _problem(field: str, kind: type[ScenarioFieldError] | str, **details: Any) -> PydanticCustomError:
    """A problem between fields, reported at ``field``: ``kind`` is its class in
    optimizer/errors.py (plain text is still taken, as an InvalidField, but belongs there)."""
    if isinstance(kind, str):
        return PydanticCustomError(errors.InvalidField.__name__, "{problem}", {"problem": kind, "at": (field,)})
    return _fail(kind, at=(field,), **details)


class Scenario(_Frozen):
    """A borrower's situation: money per month, essentials, weights, legal figures and loans."""

    title: Text | None = Field(None, description="a label for this case")
    start: Month = Field(description="first month of the plan, YYYY-MM")
    horizon_months: int = Field(36, ge=1, le=MAX_HORIZON_MONTHS, description="months to plan")
    income: MonthlyAmount
    essentials: MonthlyAmount = Field(description="rent, food, transport… never touched by the plan")
    cash_on_hand: Yuan = 0.0
    weights: Weights = Weights()
    legal: Legal = Legal()
    escalation: Escalation = Escalation()
    loans: tuple[Loan, ...] = Field(min_length=1, max_length=MAX_LOANS)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        seen: set[str] = set()
        for loan in self.loans:
            if loan.name in seen:
                raise _problem("loans", errors.DuplicateName, name=loan.name)
            seen.add(loan.name)
            deal = loan.agreement
            if deal is not None and deal.kind == "installments" and month_index(self.start, deal.first) + deal.months <= 0:
                raise _problem("loans", f"the agreement with '{loan.name}' ended before the plan starts; remove it")
        for field in ("income", "essentials"):
            value = getattr(self, field)
            if isinstance(value, tuple):
                if not value:
                    raise _problem(field, errors.EmptySchedule)
                if value[0].since > self.start:
                    raise _problem(field, errors.ScheduleStartsLate, start=_month_text(self.start))
                if any(a.since >= b.since for a, b in zip(value, value[1:])):
                    raise _problem(field, errors.ScheduleOutOfOrder)
        cells = len(self.loans) * self.horizon_months
        if cells > MAX_LOAN_MONTHS:
            raise _problem("horizon_months", errors.TooLarge, loans=len(self.loans), months=self.horizon_months,
                           cells=cells, limit=MAX_LOAN_MONTHS, max_loans=MAX_LOANS)
        for i, loan in enumerate(self.loans):
            self._check_growth(i, loan)
        return self

    def _check_growth(self, i: int, loan: Loan) -> None:
        """Refuse a loan whose balance, left unpaid at its penalty rate, would outgrow what the
        LP and the ledger compute to the fen (e.g. 365 % a year over 30 years)."""
        monthly = loan.yearly_rate / 12 * (1 + loan.penalty_markup)
        owed = loan.total_owed
        if monthly <= 0 or owed * (1 + monthly) ** self.horizon_months <= MAX_PROJECTED_YUAN:
            return
        fits = max(0, math.floor(math.log(MAX_PROJECTED_YUAN / owed) / math.log1p(monthly)))
        raise _fail(errors.BalanceGrowsTooLarge, at=("loans", i, "apr" if loan.apr is not None else "daily_rate"),
                    rate=loan.yearly_rate, penalty=loan.yearly_rate * (1 + loan.penalty_markup), owed=owed,
                    limit=MAX_PROJECTED_YUAN, months=self.horizon_months, fits=fits)

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
    return _month_text(add_months(start, t))


# ---- loading ----------------------------------------------------------------------------------


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raise a one-line :class:`DebtplanError` if it is bad."""
    name = str(path)
    try:
        # At most one byte past the limit is read, so /dev/zero or a huge file cannot fill memory.
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioNotFound(name) from None
    except IsADirectoryError:
        raise errors.ScenarioIsFolder(name) from None
    except OSError as exc:
        raise errors.ScenarioUnreadable(name, exc.strerror or type(exc).__name__) from None
    except ValueError:  # a name Python cannot open (a NUL byte in it)
        raise ScenarioNotFound(name) from None
    return scenario_from_bytes(raw, name)


def scenario_from_bytes(raw: bytes, name: str) -> Scenario:
    """Validate the bytes of a scenario file (an upload, or a file already read)."""
    if len(raw) > MAX_FILE_BYTES:
        raise FileTooBig(name, f"{MAX_FILE_BYTES:,}")
    if not raw.strip():
        raise EmptyScenario(name)
    if b"\x00" in raw:
        raise NotText(name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(raw) - len(exc.object))  # exc.object lacks a BOM the codec dropped
        raise NotUtf8(name, f"byte 0x{raw[offset]:02x} at offset {offset:,}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NotToml(name, str(exc)) from None
    except RecursionError:  # tomllib recurses once per level of nesting
        raise NestedTooDeep(name, str(MAX_NESTING)) from None
    except ValueError:  # Python refuses integers of more than 4,300 digits
        raise errors.NumberTooLong(name) from None
    return scenario_from_dict(data, source=name)


def _nesting(data: Any) -> int:
    """Levels of lists and tables in ``data`` (the top table is 1), counted without recursion
    and given up on past :data:`MAX_NESTING`."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, (list, tuple)):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate plain data (from TOML, JSON or the dashboard's table) into a Scenario."""
    if not data:
        raise EmptyScenario(source)
    if _nesting(data) > MAX_NESTING:
        raise NestedTooDeep(source, str(MAX_NESTING))
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise _field_error(exc, data, source) from None


# What pydantic's own checks mean, in our words (optimizer/errors.py).
_PYDANTIC_ERRORS: dict[str, type[ScenarioFieldError]] = {
    "missing": errors.MissingField,
    "extra_forbidden": errors.UnknownField,
    "int_type": errors.NotAWholeNumber,
    "int_parsing": errors.NotAWholeNumber,
    "int_from_float": errors.NotAWholeNumber,
    "float_type": errors.NotANumber,
    "float_parsing": errors.NotANumber,
    "finite_number": errors.NotANumber,
    "bool_type": errors.NotTrueFalse,
    "bool_parsing": errors.NotTrueFalse,
    "string_type": errors.NotAString,
    "string_too_short": errors.EmptyText,
    "string_too_long": errors.TextTooLong,
    "literal_error": errors.NotAChoice,
    "enum": errors.NotAChoice,
    "date_type": errors.NotADate,
    "date_parsing": errors.NotADate,
    "date_from_datetime_parsing": errors.NotADate,
    "model_type": errors.NotATable,
    "model_attributes_type": errors.NotATable,
    "dict_type": errors.NotATable,
    "tuple_type": errors.NotAList,
    "list_type": errors.NotAList,
    "too_short": errors.TooFew,
    "too_long": errors.TooMany,
    "greater_than_equal": errors.BelowMinimum,
    "greater_than": errors.NotAboveMinimum,
    "less_than_equal": errors.AboveMaximum,
    "less_than": errors.NotBelowMaximum,
}
_KINDS = {cls.__name__: cls for cls in vars(errors).values()
          if isinstance(cls, type) and issubclass(cls, ScenarioFieldError)}
_BOUNDS = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}


def _limit(value: Any) -> str:
    return f"{value:,.0f}" if isinstance(value, (int, float)) and float(value).is_integer() else f"{value:g}"


def _field_error(exc: ValidationError, data: dict[str, Any], source: str) -> ScenarioFieldError:
    # The first error is reported: one clear line beats a wall of follow-on errors.
    err = exc.errors(include_url=False)[0]
    ctx = err.get("ctx") or {}
    loc = [*err["loc"], *ctx.get("at", ())]
    loan = None
    if len(loc) >= 2 and loc[0] == "loans" and isinstance(loc[1], int):
        loans = data.get("loans")
        name = None
        if isinstance(loans, list) and loc[1] < len(loans) and isinstance(loans[loc[1]], dict):
            name = loans[loc[1]].get("name")
        loan = name.strip() if isinstance(name, str) and name.strip() else f"#{loc[1] + 1}"
        loc = loc[2:]
        if not loc:  # the entry itself is wrong (not a table): name the entry, not a loan
            loan, loc = None, ["loans", err["loc"][1]]
    # Keep the user's field names: drop the parts pydantic adds for validators and union forms;
    # list positions count from 1, as a person counts the entries of a TOML list.
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")
        elif part not in _FORMS and not str(part).startswith(("function-", "tagged-union[")):
            parts.append(("." if parts else "") + str(part))
    field = "".join(parts) or "scenario"
    kind = _KINDS.get(err["type"]) or _PYDANTIC_ERRORS.get(err["type"])
    if err["type"] == "too_long" and isinstance(err.get("input"), str):  # a length check after a text validator
        kind = errors.TextTooLong
    if kind is None:  # a check no class describes yet: pydantic's words, shortened
        problem = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
        return errors.InvalidField(source, field, f"{problem}; got {errors.describe(err.get('input'))}", loan)
    if "problem" in ctx:  # raised by our own validators, already in our words
        return kind(source, field, ctx["problem"], loan)
    details = {k: ctx[k] for k in ("expected", "min_length", "max_length", "actual_length") if k in ctx}
    if err["type"] in _BOUNDS:
        details["limit"] = _limit(ctx[_BOUNDS[err["type"]]])
    if "got" in kind.problem_template:
        details["got"] = err.get("input")
    return kind(source, field, kind.describe(**details), loan)


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a scenario file (scenarios/scenario.schema.json)."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["title"] = "debtplan scenario"
    return schema
