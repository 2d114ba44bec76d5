"""Casework: what was recorded for a case turned into its state today, a new plan from today,
actual payments against the plans made, and a counsellor's caseload sorted by urgency.

Storage is :mod:`optimizer.casefile`; this module reads its records and never touches SQL.

**The state today** (:func:`case_state`) is worked out from the facts each time, never edited by
hand: the scenario last *imported* for the case (the statement of what was owed as of its start
month), every payment recorded, every event recorded. Rules:

* Months are whole: a month is *closed* once it has ended, and today's month is *open*. The
  re-plan starts at today's month (never before the imported scenario's start). Every closed
  month is replayed through :func:`optimizer.ledger.replay` with the payments recorded in it as
  the payment matrix; payments already made in today's month are not replayed but shown against
  the new plan's first month ("still to pay this month").
* The replay runs on the **lender's claim** (the scenario's terms with ``basis = "claim"``): the
  re-planned scenario states what the lender says is owed, exactly as a counsellor would type it
  from the lender's statement, and the plan then applies the scenario's basis (the legal cap, by
  default) to it like to any scenario. Replaying on capped terms and capping again would strike
  the disputable charges twice.
* Months that have happened are facts: their replay predicts no escalation (no report, suit,
  enforcement or acceleration by days overdue, so no court fee either); stages come from the
  events recorded. The one rule applied on the way is an agreement's own: an agreed installment
  not paid in full in its month (paying ahead does not excuse a later month, DOMAIN.md §6) voids
  the agreement at the end of that month, which splits the replay there; the loan is then
  accelerated and the lender's whole claim stands. A settlement not paid by its month lapses the
  same way. If the lender keeps the agreement after all, recording it again restores it.
* Under an agreement the ledger follows the agreement (its schedule, no interest); the scenario
  still states the lender's underlying claim, replayed from the same payments without the
  agreement, which is what stands if it falls. An agreement paid in full closes the loan.
* Events that change the terms the ledger replays (an **agreement**, an **acceleration**) split
  the replay: the months before the event's month are replayed on the old terms, the state at the
  start of that month becomes a scenario carrying the event, and the replay goes on from there.
  Other events only set a stage flag and do not split it. An event takes effect from the start of
  its month (one dated before the scenario's start takes effect at the start); a
  ``settlement-paid`` event closes the loan from the month after.
* The scenario at the start of a month M, after k replayed months, keeps the earlier scenario's
  money, weights, legal figures and loans, with for each loan:
  ``principal``, ``interest_owed``, ``penalty_owed``, ``fees_owed``: the ledger's parts still owed
  (fees, penalty, interest, principal), rounded to the fen by largest remainder so that they add
  up to the replayed balance rounded to the fen;
  ``days_overdue``: 30 × the closed months in a row that ended behind (behind the contract
  schedule, or the month's installment not paid in full even where the loan was ahead of it:
  ``Ledger.behind``; plus the earlier ``days_overdue`` if the loan was behind in every month
  since, i.e. still in the same default), 0 if the last closed month ended on schedule;
  ``installment`` and ``installments_left``: the contract's installment, and the installments not
  yet due (the earlier count of those, less the k months elapsed) plus those now missed
  (one per started 30 days overdue), so the contract schedule goes on from where it stood;
  flags (``accelerated``, ``credit_reported``, ``lawsuit``, ``enforcement``): the earlier flags
  plus every event up to M; ``agreement``: the latest agreement event up to M, while it lasts (an
  agreement whose last installment or deadline has passed is dropped); a settlement offer whose
  deadline has passed is dropped; ``cash_on_hand``: the money the replay carries into M (income
  less essentials less what was paid, never below 0). A loan the replay clears, or a settled
  loan, leaves the scenario. Income events replace the income (and essentials) schedule from
  their month on.
* Months k = 0 (the event is in the scenario's own start month) change no figure, only flags.

The new scenario's opening balances are therefore the ledger's replay of the actual payments, to
the fen; the tests check it against a replay computed independently.

**Actual against plan** (:func:`actual_vs_plan`) sets, month by month and loan by loan, what was
paid against what the plan in force for that month said (the latest plan made that starts on or
before it), and turns the difference into a line per loan: yuan behind or ahead over the closed
months, stages reached since the case began, agreed installments missed.

**Caseload** (:func:`caseload`) ranks cases by urgency; see :data:`URGENCY` for the scale.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal, InvalidOperation
from io import StringIO
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import tomli_w
from pydantic import ValidationError

from .casefile import CaseData, CaseFile, CaseRecord, EventRecord, PlanRecord, ScenarioVersion
from .errors import (
    AgreementOver,
    AmbiguousLender,
    BadAmount,
    BadCaseName,
    BadDate,
    BadEventTerms,
    BadMonth,
    DateBeforeCase,
    DateInFuture,
    EventNeedsLoan,
    EventTakesNoLoan,
    LoanSettled,
    UnknownLoan,
)
from .export import _fen_split, plan_table
from .ledger import SETTLED_BELOW, replay
from .planner import make_plan, summarize
from .scenario import Agreement, Loan, Scenario, add_months, load_scenario, month_index, scenario_from_bytes, scenario_from_dict
from .solve import PlanResult
from .terms import NEVER, PlanTerms, plan_terms

MAX_AMOUNT = Decimal(100_000_000)


class EventKind(NamedTuple):
    about_loan: bool  # the event happens to one loan
    flag: str | None  # the Loan flag it sets
    reshapes: bool  # it changes the terms the ledger replays (splits the replay)
    stage: str | None  # how the stage it reaches is named in status lines
    help: str


EVENT_KINDS: dict[str, EventKind] = {
    "agreement": EventKind(True, None, True, "agreement",
                           "an agreement in writing: installments (--monthly, --months, --first) "
                           "or a lump-sum settlement (--amount, --by)"),
    "accelerated": EventKind(True, "accelerated", True, "accelerated", "the lender demands the whole balance (加速到期)"),
    "credit-reported": EventKind(True, "credit_reported", False, "reported", "the credit report shows the loan (上征信)"),
    "lawsuit": EventKind(True, "lawsuit", False, "sued", "the lender has filed a lawsuit (起诉)"),
    "judgment": EventKind(True, "lawsuit", False, "judgment", "the court has given judgment"),
    "enforcement": EventKind(True, "enforcement", False, "enforcement", "the court is enforcing the judgment (执行)"),
    "income": EventKind(False, None, False, None,
                        "income changes from this month (--amount; --essentials if they change too)"),
    "settlement-paid": EventKind(True, None, False, "settled",
                                 "the settlement was paid and the lender confirmed the loan closed"),
}
# Stages a loan can be in, for --stage filters; flags already set in the imported scenario count.
STAGES = ("accelerated", "reported", "sued", "judgment", "enforcement", "agreement", "collection")
_FLAG_STAGE = {"accelerated": "accelerated", "credit_reported": "reported", "lawsuit": "sued",
               "enforcement": "enforcement", "abusive_collection": "collection"}

# The caseload's urgency scale: the highest reason a case has is its urgency.
URGENCY = {
    "agreement broken": 100,  # an agreed installment or settlement deadline missed: the lender may void it
    "settlement due": 90,  # a settlement deadline this month, not yet paid in full
    "court": 80,  # a lawsuit, judgment or enforcement recorded in the last 60 days
    "missed on a serious loan": 60,  # last month's planned payment missed on a sued/reported/accelerated loan
    "agreement ending": 50,  # installments end or a settlement is due next month
    "missed": 40,  # last month's planned payment missed
    "re-plan due": 30,  # no plan made for three months or more
    "due this month": 20,  # planned payments still to make this month
}
NEEDS_CALL = 40


# ---- input, checked like the scenario loader ------------------------------------------------


def parse_amount(text: str, field: str = "amount") -> int:
    """'1200', '1,200.50', '¥1200' → whole fen; anything else → one-line :class:`BadAmount`."""
    cleaned = str(text).strip().lstrip("¥￥").replace(",", "").replace("，", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadAmount(field=field, value=text) from None
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT or value.as_tuple().exponent < -2:
        raise BadAmount(field=field, value=text)
    return int(value * 100)


def parse_day(text: str, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise BadDate(field=field, value=text) from None


def parse_month(text: str, field: str) -> dt.date:
    try:
        return dt.datetime.strptime(str(text).strip(), "%Y-%m").date()
    except ValueError:
        raise BadMonth(field=field, value=text) from None


def check_case_name(name: str) -> str:
    clean = name.strip()
    if not clean:
        raise BadCaseName(name=name, problem="is empty")
    if len(clean) > 60:
        raise BadCaseName(name=name, problem="is longer than 60 characters")
    if any(not ch.isprintable() for ch in clean):
        raise BadCaseName(name=name, problem="contains control characters")
    return clean


def _month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _label(month: dt.date) -> str:
    return month.strftime("%Y-%m")


# ---- scenarios stored as TOML ----------------------------------------------------------------


def scenario_toml(scenario: Scenario, header: str = "") -> str:
    """The scenario as a TOML file that loads back to the same scenario (defaults left out)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data.setdefault("start", _label(scenario.start))
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return comment + tomli_w.dumps(data)


def _version_scenario(data: CaseData, number: int) -> Scenario:
    version = next(v for v in data.versions if v.number == number)
    return scenario_from_bytes(version.toml.encode("utf-8"), f"case '{data.case.name}' scenario v{number}")


def base_version(data: CaseData):
    """The scenario version the state is replayed from: the latest one imported."""
    return [v for v in data.versions if v.source == "import"][-1]


def base_scenario(data: CaseData) -> Scenario:
    return _version_scenario(data, base_version(data).number)


# ---- events ------------------------------------------------------------------------------------


def _effective(event: EventRecord, start: dt.date) -> dt.date:
    month = max(_month(event.happened_on), start)
    return add_months(month, 1) if event.kind == "settlement-paid" else month


def _agreement_over(agreement: Agreement, month: dt.date) -> bool:
    if agreement.kind == "installments":
        return month_index(month, agreement.first) + agreement.months <= 0
    return agreement.by < month


def event_terms(kind: str, today: dt.date, monthly: str | None = None, months: int | None = None,
                first: str | None = None, amount: str | None = None, by: str | None = None,
                essentials: str | None = None) -> dict[str, Any]:
    """The terms an event of ``kind`` is stored with, checked; one-line errors."""
    given = {"--monthly": monthly, "--months": months, "--first": first, "--amount": amount, "--by": by,
             "--essentials": essentials}
    allowed = {"agreement": {"--monthly", "--months", "--first", "--amount", "--by"},
               "income": {"--amount", "--essentials"}}.get(kind, set())
    extra = [k for k, v in given.items() if v is not None and k not in allowed]
    if extra:
        raise BadEventTerms(kind=kind, problem=f"does not take {', '.join(extra)}")
    if kind == "income":
        if amount is None:
            raise BadEventTerms(kind=kind, problem="give the new monthly income with --amount (0 if none)")
        terms = {"income": _monthly_amount(amount, "--amount")}
        if essentials is not None:
            terms["essentials"] = _monthly_amount(essentials, "--essentials")
        return terms
    if kind != "agreement":
        return {}
    if monthly is not None or months is not None or first is not None:
        if amount is not None or by is not None:
            raise BadEventTerms(kind=kind, problem="installments (--monthly, --months, --first) or a settlement "
                                                   "(--amount, --by), not both")
        missing = [k for k, v in (("--monthly", monthly), ("--months", months), ("--first", first)) if v is None]
        if missing:
            raise BadEventTerms(kind=kind, problem=f"installments need {', '.join(missing)} too")
        raw = {"kind": "installments", "monthly": parse_amount(monthly, "--monthly") / 100, "months": months,
               "first": _label(parse_month(first, "--first"))}
    elif amount is not None or by is not None:
        if amount is None or by is None:
            raise BadEventTerms(kind=kind, problem="a settlement needs both --amount and --by")
        raw = {"kind": "settlement", "amount": parse_amount(amount, "--amount") / 100,
               "by": _label(parse_month(by, "--by"))}
    else:
        raise BadEventTerms(kind=kind, problem="give installments (--monthly 600 --months 24 --first 2027-01) "
                                               "or a settlement (--amount 9000 --by 2027-03)")
    try:
        agreement = Agreement.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        field = (err.get("ctx") or {}).get("field") or ".".join(map(str, err["loc"])) or "agreement"
        problem = (err.get("ctx") or {}).get("problem") or err["msg"]
        raise BadEventTerms(kind=kind, problem=f"--{field}: {problem}") from None
    if _agreement_over(agreement, _month(today)):
        last = add_months(agreement.first, agreement.months - 1) if agreement.kind == "installments" else agreement.by
        raise AgreementOver(last=_label(last), month=_label(_month(today)))
    return agreement.model_dump(mode="json", exclude_none=True)


def _monthly_amount(text: str, field: str) -> float:
    if str(text).strip() in ("0", "0.0", "0.00"):
        return 0.0
    return parse_amount(text, field) / 100


def resolve_loan(data: CaseData, scenario: Scenario, text: str) -> Loan:
    """The loan named ``text`` (its name, or its lender if that lender has one loan here)."""
    for loan in scenario.loans:
        if loan.name == text:
            return loan
    by_lender = [loan for loan in scenario.loans if loan.lender_name == text]
    if len(by_lender) == 1:
        return by_lender[0]
    if by_lender:
        raise AmbiguousLender(case=data.case.name, loan=text, loans=", ".join(loan.name for loan in by_lender))
    known = ", ".join(f"{loan.name} ({loan.lender_name})" if loan.lender else loan.name for loan in scenario.loans)
    raise UnknownLoan(case=data.case.name, loan=text, known=known)


def _settled_on(data: CaseData, loan: str) -> dt.date | None:
    days = [e.happened_on for e in data.events if e.kind == "settlement-paid" and e.loan == loan]
    return min(days) if days else None


# ---- recording (each one transaction in the case file) --------------------------------------


class Import(NamedTuple):
    """A scenario file read and checked for a new case, before anything is written."""

    name: str
    scenario: Scenario
    text: str  # the file as given, stored verbatim
    origin: str


def read_import(name: str, scenario_path: str | Path) -> Import:
    """Check the case name and the scenario file (one-line errors), writing nothing."""
    name = check_case_name(name)
    scenario = load_scenario(scenario_path)
    text = Path(scenario_path).read_bytes().decode("utf-8-sig")
    return Import(name, scenario, text, Path(scenario_path).name)


def new_case(cf: CaseFile, new: Import, strategy: str, today: dt.date) -> tuple[CaseRecord, PlanResult]:
    """Store a checked scenario (:func:`read_import`) as a new case with its first plan."""
    result = make_plan(new.scenario, strategy)
    version = ScenarioVersion(today, _label(new.scenario.start), "import", new.origin, new.text)
    plan = None if result.check_problems else _new_plan(result, new.scenario, today)
    case = cf.create_case(new.name, today, version, plan)
    return case, result


def record_payment(cf: CaseFile, name: str, lender: str, amount: str, day: str | None, note: str,
                   today: dt.date) -> tuple[CaseRecord, str, dt.date, int]:
    fen = parse_amount(amount)
    paid_on = parse_day(day) if day is not None else today
    data = cf.load(name)
    base = base_scenario(data)
    loan = resolve_loan(data, base, lender)
    if paid_on > today:
        raise DateInFuture(field="date", value=paid_on, today=today)
    if _month(paid_on) < base.start:
        raise DateBeforeCase(field="date", value=paid_on, case=data.case.name, start=_label(base.start))
    settled = _settled_on(data, loan.name)
    if settled is not None and _month(paid_on) > _month(settled):
        raise LoanSettled(case=data.case.name, loan=loan.name, settled=settled)
    cf.add_payment(data.case, loan.name, paid_on, fen, note)
    return data.case, loan.name, paid_on, fen


def record_event(cf: CaseFile, name: str, kind: str, loan_text: str | None, day: str | None,
                 terms: dict[str, Any], note: str, today: dt.date) -> tuple[CaseRecord, str | None, dt.date]:
    spec = EVENT_KINDS[kind]
    happened_on = parse_day(day) if day is not None else today
    if happened_on > today:
        raise DateInFuture(field="date", value=happened_on, today=today)
    data = cf.load(name)
    loan = None
    if spec.about_loan:
        if not loan_text:
            raise EventNeedsLoan(kind=kind)
        loan = resolve_loan(data, base_scenario(data), loan_text).name
        settled = _settled_on(data, loan)
        if settled is not None and happened_on > settled:
            raise LoanSettled(case=data.case.name, loan=loan, settled=settled)
    elif loan_text:
        raise EventTakesNoLoan(kind=kind, loan=loan_text)
    cf.add_event(data.case, kind, loan, happened_on, terms, note)
    return data.case, loan, happened_on


def _new_plan(result: PlanResult, scenario: Scenario, today: dt.date) -> PlanRecord:
    summary = summarize(result)
    csv = plan_table(result.strategy, result.ledger).to_csv(index=False, float_format="%.2f")
    parameters = {
        "basis": scenario.legal.basis,
        "horizon_months": scenario.horizon_months,
        "weights": scenario.weights.model_dump(mode="json"),
        "solver": result.solver,
        "debt_free": summary.debt_free_month,
        "left_at_horizon": round(summary.left_at_horizon, 2),
    }
    return PlanRecord(today, _label(scenario.start), result.strategy, result.status.value, parameters, csv)


class Replan(NamedTuple):
    state: CaseState
    result: PlanResult | None  # None when nothing is owed any more
    version: int | None  # the scenario version stored (None if nothing was stored)


def replan(cf: CaseFile, name: str, today: dt.date, strategy: str = "optimal", horizon: int | None = None) -> Replan:
    """Plan again from today's state; store the scenario and the plan (one transaction)."""
    data = cf.load(name)
    state = case_state(data, today)
    if state.scenario is None:
        return Replan(state, None, None)
    scenario = state.scenario if horizon is None else state.scenario.replace(horizon_months=horizon)
    result = make_plan(scenario, strategy)
    if result.check_problems:
        return Replan(state, result, None)
    header = (f"debtplan case '{data.case.name}': the state on {today.isoformat()} "
              f"(scenario v{base_version(data).number}, {len(data.payments)} payments, {len(data.events)} events)")
    version = ScenarioVersion(today, _label(scenario.start), "replan", header, scenario_toml(scenario, header))
    number = cf.add_version(data.case, version, _new_plan(result, scenario, today))
    return Replan(state._replace(scenario=scenario), result, number)


# ---- the state today ---------------------------------------------------------------------------


class LoanStatus(NamedTuple):
    name: str
    lender: str
    owed: float  # the lender's claim at the start of this month (0 once closed)
    principal: float
    charges: float
    months_behind: int  # closed months in a row that ended behind the schedule
    behind_since: str | None  # YYYY-MM, the first of those months
    stages: tuple[tuple[str, str], ...]  # (stage, since: YYYY-MM, or "before YYYY-MM" for the imported flags)
    agreement: Agreement | None
    closed: str | None  # "cleared 2027-02" / "settled 2027-03"
    agreed_left: float | None = None  # under an agreement: what it still asks for in all


class Note(NamedTuple):
    """Something the replay found that a counsellor should know, as data (the dashboard words it
    per language) and as a line (``text``, what the CLI prints)."""

    kind: str  # paid_after_closed, overpaid, money_short, paid_beyond_money, agreement_void, settlement_lapsed
    text: str
    loan: str | None = None
    month: str | None = None  # YYYY-MM (paid_after_closed: the day paid, YYYY-MM-DD)
    amount: float | None = None  # yuan: paid, overpaid, short, or the settlement agreed
    claim: float | None = None  # the lender's claim that stands again (an agreement fallen)
    detail: str | None = None  # paid_after_closed: how the loan closed ("cleared 2027-02")


class CaseState(NamedTuple):
    name: str
    today: dt.date
    month: dt.date  # first month of the new plan
    base: Scenario  # the imported scenario the state is replayed from
    scenario: Scenario | None  # the state as a scenario starting at ``month``; None if all is paid
    loans: tuple[LoanStatus, ...]
    notes: tuple[str, ...]  # what the replay found that a counsellor should know
    note_items: tuple[Note, ...] = ()  # the same, as data


def _with_income_events(base: Scenario, events: list[EventRecord]) -> Scenario:
    """Income events replace the income (and essentials) schedule from their month on."""
    changes: dict[str, Any] = {}
    for field in ("income", "essentials"):
        value = getattr(base, field)
        steps = ([(s.since, s.amount) for s in value] if isinstance(value, tuple) else [(base.start, float(value))])
        touched = False
        for event in events:
            if event.kind == "income" and field in event.terms:
                month = _effective(event, base.start)
                steps = [s for s in steps if s[0] < month] + [(month, float(event.terms[field]))]
                touched = True
        if touched:
            changes[field] = [{"from": _label(m), "amount": a} for m, a in steps]
    return base.replace(**changes) if changes else base


def _schedule_from(value: Any, month: dt.date) -> Any:
    """A schedule (as dumped) trimmed to start at ``month``; a single step becomes a number."""
    if not isinstance(value, list):
        return value
    steps = [(dt.datetime.strptime(s["from"], "%Y-%m").date(), s["amount"]) for s in value]
    current = [a for m, a in steps if m <= month][-1]
    later = [{"from": _label(m), "amount": a} for m, a in steps if m > month]
    return [{"from": _label(month), "amount": current}, *later] if later else current


def _trailing_behind(behind_row: np.ndarray) -> int:
    """How many of the last months (each ended behind: ``Ledger.behind``) ran in a row."""
    run = 0
    for value in behind_row[::-1]:
        if not value:
            break
        run += 1
    return run


class _Segment(NamedTuple):
    """One stretch of months replayed on one set of terms."""

    months: tuple[str, ...]
    names: tuple[str, ...]
    balance: np.ndarray  # (n, k+1)
    behind: np.ndarray  # (n, k+1) bool: the month ended behind (Ledger.behind)


class _Trail:
    """What the replay learns on the way, across segments."""

    def __init__(self) -> None:
        self.found: list[Note] = []
        self.closed: dict[str, str] = {}  # loan -> "cleared 2027-02" / "settled 2027-03"
        self.stages: dict[str, list[tuple[str, str]]] = {}  # stages the replay itself found (a voided agreement)
        self.deal_dropped: dict[str, dt.date] = {}  # loan -> last month of an agreement that fell

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(note.text for note in self.found)

    def note(self, kind: str, text: str, **data: Any) -> None:
        self.found.append(Note(kind, text, **data))


def _past(terms: PlanTerms) -> PlanTerms:
    """Terms for months that have happened: stages come from the events recorded, not from the
    escalation path's predictions (an agreement's own rule is applied month by month in
    :func:`_advance`)."""
    return terms._replace(stage_days=np.full_like(terms.stage_days, NEVER),
                          enforcement_months=np.full_like(terms.enforcement_months, NEVER))


def _first_missed(terms: PlanTerms, paid: np.ndarray) -> tuple[int, int] | None:
    """(month, loan) of the first agreed installment not paid in full in its own month (paying
    ahead does not excuse a later month, DOMAIN.md §6), or None."""
    missed = (terms.agreed > 0) & (paid < terms.agreed - SETTLED_BELOW)
    months = np.nonzero(missed.any(axis=0))[0]
    if not months.size:
        return None
    t = int(months[0])
    return t, int(np.nonzero(missed[:, t])[0][0])


def _first_zero(balance_row: np.ndarray, months: tuple[str, ...]) -> str:
    return months[int(np.nonzero(balance_row[1:] == 0)[0][0])]


def _advance(prev: Scenario, to: dt.date, payments: list, events: list[EventRecord], base_start: dt.date,
             trail: _Trail) -> tuple[Scenario | None, _Segment | None]:
    """Replay ``prev`` from its start to month ``to`` with the payments recorded, and return the
    scenario at the start of ``to`` with the events up to it applied (see the module docstring)."""
    k = month_index(prev.start, to)
    data = prev.model_dump(mode="json", by_alias=True, exclude_none=True)
    loans = [dict(loan) for loan in data["loans"]]
    segment = None
    if k > 0:
        claim = prev.replace(horizon_months=k, legal=prev.legal.model_copy(update={"basis": "claim"}))
        terms = _past(plan_terms(claim))
        index = {name: i for i, name in enumerate(terms.names)}
        fen = np.zeros((terms.n_loans, k), dtype=np.int64)
        elsewhere = 0
        for p in payments:
            t = month_index(prev.start, _month(p.paid_on))
            if 0 <= t < k:
                if p.loan in index:
                    fen[index[p.loan], t] += round(p.amount * 100)
                else:
                    elsewhere += round(p.amount * 100)
                    how = trail.closed.get(p.loan, "closed")
                    trail.note("paid_after_closed", f"{p.paid_on}: ¥{p.amount:,.2f} paid to {p.loan} after it was "
                                                    f"{how}; ask the lender to refund it",
                               loan=p.loan, month=p.paid_on.isoformat(), amount=p.amount, detail=how)
        paid = fen / 100
        missed = _first_missed(terms, paid)
        if missed is not None and missed[0] + 1 < k:
            # The agreement falls at the end of that month: replay up to there, then on from the
            # state with the agreement void.
            return _advance(prev, add_months(prev.start, missed[0] + 1), payments, events, base_start, trail)
        ledger = replay(terms, paid)
        # Under an agreement the ledger follows the agreement; the lender's underlying claim (what
        # stands if the agreement falls) is the same payments on the loan's own terms.
        if any(loan.agreement is not None for loan in claim.loans):
            bare = claim.model_copy(update={"loans": tuple(loan.model_copy(update={"agreement": None})
                                                           for loan in claim.loans)})
            underlying = replay(_past(plan_terms(bare)), paid)
        else:
            underlying = ledger
        excess = paid - ledger.payments
        for i, t in zip(*np.nonzero(excess > SETTLED_BELOW)):
            trail.note("overpaid", f"{terms.months[t]}: ¥{excess[i, t]:,.2f} more was paid to {terms.names[i]} than "
                               f"it was owed; ask the lender to refund it",
                       loan=terms.names[i], month=terms.months[t], amount=round(float(excess[i, t]), 2))
        for problem in ledger.problems:
            short = re.match(r"(\d{4}-\d{2}): payments exceed the money available by ¥([\d,.]+)", problem)
            trail.note("money_short", f"{problem} (the scenario's income may be out of date: record an income event)",
                       month=short and short.group(1), amount=short and float(short.group(2).replace(",", "")))
        cash = float(ledger.cash[k]) - float(excess.sum()) - elsewhere / 100
        if cash < -SETTLED_BELOW:
            trail.note("paid_beyond_money", f"by {_label(to)} the payments recorded exceed the scenario's money by "
                                            f"¥{-cash:,.2f}; the re-plan assumes no cash on hand",
                       month=_label(to), amount=round(-cash, 2))
        data["cash_on_hand"] = round(max(0.0, cash), 2)
        for i, (loan, row) in enumerate(zip(prev.loans, loans)):
            for done in (ledger, underlying):
                if done.balance[i, k] == 0:
                    row["_closed"] = True
                    trail.closed[loan.name] = f"cleared {_first_zero(done.balance[i], terms.months)}"
                    break
            else:
                _loan_after(loan, row, underlying.parts[i], underlying.balance[i, k], underlying.behind[i], k)
                _agreement_after(loan, row, missed, i, terms.months, to, trail)
        # Months behind: on the agreement while it holds, on the loan's own terms otherwise.
        held = np.array([loan.agreement is not None and "agreement" in row for loan, row in zip(prev.loans, loans)])
        behind = np.where(held[:, None], ledger.behind, underlying.behind)
        segment = _Segment(terms.months, terms.names, ledger.balance, behind)
    # Events up to ``to``: flags, agreements, settlements.
    for event in events:
        effective = _effective(event, base_start)
        if effective > to or event.loan is None:
            continue
        row = next((r for r in loans if r["name"] == event.loan), None)
        if row is None:
            continue
        spec = EVENT_KINDS[event.kind]
        if spec.flag:
            row[spec.flag] = True
        if event.kind == "agreement" and effective > trail.deal_dropped.get(event.loan, dt.date.min):
            row["agreement"] = dict(event.terms)
        if event.kind == "settlement-paid":
            row["_closed"] = True
            trail.closed.setdefault(event.loan, f"settled {_label(_month(event.happened_on))}")
    kept = []
    for row in loans:
        if row.pop("_closed", False):
            continue
        deal = row.get("agreement")
        if deal is not None and _agreement_over(Agreement.model_validate(deal), to):
            del row["agreement"]
        offer = row.get("settlement_offer")
        if offer is not None and dt.datetime.strptime(offer["by"], "%Y-%m").date() < to:
            del row["settlement_offer"]
        kept.append(row)
    if not kept:
        return None, segment
    data["loans"] = kept
    data["start"] = _label(to)
    for field in ("income", "essentials"):
        data[field] = _schedule_from(data[field], to)
    return scenario_from_dict(data, source=f"the state on {_label(to)}"), segment


def _loan_after(loan: Loan, row: dict[str, Any], parts: np.ndarray, balance: float, behind: np.ndarray, k: int) -> None:
    """Rewrite one loan's dumped fields to its state after k replayed months (module docstring)."""
    owed_fen = math.floor(balance * 100 + 0.5)  # half up: a balance the ledger still counts is at least 1 fen
    fen = _fen_split(np.asarray(parts, dtype=float), np.zeros(4, dtype=bool), owed_fen)
    fen[int(np.argmax(parts))] += owed_fen - int(fen.sum())  # sub-fen noise: the parts add up to the balance
    row["fees_owed"], row["penalty_owed"], row["interest_owed"], row["principal"] = (float(x) / 100 for x in fen)
    run = _trailing_behind(behind[1:])
    days = 30 * run + (loan.days_overdue if run == k and behind[0] else 0)
    row["days_overdue"] = days
    not_yet_due = max(0, loan.remaining_installments - loan.installments_missed - k)
    for field in ("installments", "installments_paid", "installments_left", "installment"):
        row.pop(field, None)
    if loan.installment_amount > 0 and loan.remaining_installments > 0:
        row["installment"] = round(loan.installment_amount, 2)
        row["installments_left"] = max(1, not_yet_due + math.ceil(days / 30))


def _agreement_after(loan: Loan, row: dict[str, Any], missed: tuple[int, int] | None, i: int,
                     months: tuple[str, ...], to: dt.date, trail: _Trail) -> None:
    """An agreement in force during the replayed months: kept, or fallen (voided by an installment
    not paid in full, or a settlement not paid by its month), in which case the claim stands."""
    deal = loan.agreement
    if deal is None:
        return
    claim = row["principal"] + row.get("interest_owed", 0) + row.get("penalty_owed", 0) + row.get("fees_owed", 0)
    if missed is not None and missed[1] == i:
        month = months[missed[0]]
        row["accelerated"] = True
        trail.stages.setdefault(loan.name, []).append(("accelerated", month))
        trail.note("agreement_void",
                   f"{loan.name}: the agreed installment for {month} was not paid in full, which voids the "
                   f"agreement: the lender can demand its whole claim (¥{claim:,.2f}) at once. The re-plan "
                   f"treats the agreement as void; if the lender keeps it, record the agreement again.",
                   loan=loan.name, month=month, claim=round(claim, 2))
    elif deal.kind == "settlement" and deal.by < to:
        trail.note("settlement_lapsed",
                   f"{loan.name}: the settlement of ¥{deal.amount:,.2f} was not paid by {_label(deal.by)}; "
                   f"the lender's claim (¥{claim:,.2f}) stands again.",
                   loan=loan.name, month=_label(deal.by), amount=deal.amount, claim=round(claim, 2))
    else:
        return
    row.pop("agreement", None)
    trail.deal_dropped[loan.name] = add_months(to, -1)


def case_state(data: CaseData, today: dt.date) -> CaseState:
    """The case's state at the start of today's month, worked out from what was recorded."""
    version = base_version(data)
    imported = _version_scenario(data, version.number)
    start = imported.start
    month = max(_month(today), start)
    events = [e for e in data.events if e.happened_on <= today]
    base = _with_income_events(imported, events)
    payments = [p for p in data.payments if start <= _month(p.paid_on) < month]
    boundaries = sorted({_effective(e, start) for e in events if EVENT_KINDS[e.kind].reshapes} | {month})
    trail = _Trail()
    segments: list[_Segment] = []
    current: Scenario | None = base
    for boundary in boundaries:
        if boundary > month:
            break
        while current is not None:  # an agreement falling on the way splits the stretch again
            current, segment = _advance(current, boundary, payments, events, start, trail)
            if segment is not None:
                segments.append(segment)
            if current is None or current.start >= boundary:
                break
    return CaseState(data.case.name, today, month, base, current,
                     _loan_statuses(imported, current, segments, events, trail, start), trail.notes,
                     tuple(trail.found))


def _loan_statuses(base: Scenario, now: Scenario | None, segments: list[_Segment], events: list[EventRecord],
                   trail: _Trail, start: dt.date) -> tuple[LoanStatus, ...]:
    out = []
    now_loans = {loan.name: loan for loan in (now.loans if now is not None else ())}
    opening = dict(zip(now_loans, plan_terms(now).opening)) if now is not None else {}
    for loan in base.loans:
        stages = [(stage, f"before {_label(start)}") for flag, stage in _FLAG_STAGE.items() if getattr(loan, flag)]
        found = [(EVENT_KINDS[e.kind].stage, _label(_month(e.happened_on))) for e in events if e.loan == loan.name]
        for stage, since in sorted(found + trail.stages.get(loan.name, []), key=lambda s: s[1]):
            if stage and stage not in [s for s, _ in stages]:
                stages.append((stage, since))
        # Months behind: the run of closed months, across segments, that ended behind.
        flags = []
        month_labels = []
        for seg in segments:
            if loan.name in seg.names:
                i = seg.names.index(loan.name)
                flags.extend(seg.behind[i, 1:])
                month_labels.extend(seg.months)
        run = _trailing_behind(np.array(flags, dtype=float))
        current = now_loans.get(loan.name)
        out.append(LoanStatus(
            name=loan.name,
            lender=loan.lender_name,
            owed=current.total_owed if current else 0.0,
            principal=current.principal if current else 0.0,
            charges=current.charges_owed if current else 0.0,
            months_behind=run,
            behind_since=month_labels[-run] if run else None,
            stages=tuple(stages),
            agreement=current.agreement if current else None,
            closed=None if current else trail.closed.get(loan.name, "closed"),
            agreed_left=float(opening[loan.name]) if current is not None and current.agreement is not None else None,
        ))
    return tuple(out)


# ---- actual against plan ---------------------------------------------------------------------


class MissedAgreed(NamedTuple):
    kind: str  # "installment" (due in ``month``) or "settlement" (due by ``month``)
    month: str
    due: float
    paid: float


class LoanDrift(NamedTuple):
    loan: str
    behind: float  # Σ (planned − paid) over the closed months: > 0 behind plan, < 0 ahead
    planned_now: float  # this (open) month: planned
    paid_now: float  # this month: paid so far
    stages: tuple[tuple[str, str], ...]  # stages reached during the case: (stage, since YYYY-MM)
    missed_agreed: tuple[MissedAgreed, ...]  # agreed payments missed
    text: str

    @property
    def still_due(self) -> float:
        return max(0.0, self.planned_now - self.paid_now)


class ActualVsPlan(NamedTuple):
    """Planned against paid per month and loan; the data a chart needs, with no plotting library."""

    case: str
    month: str  # the open month
    rows: tuple[tuple[str, str, float, float, bool, int | None], ...]  # (month, loan, planned, paid, closed, plan id)
    drift: tuple[LoanDrift, ...]

    def frame(self) -> pd.DataFrame:
        """One row per month and loan: planned, paid, difference (paid − planned), cumulative
        drift over the closed months (positive: behind plan)."""
        frame = pd.DataFrame(list(self.rows), columns=["month", "loan", "planned", "paid", "closed", "plan_id"])
        frame["difference"] = (frame["paid"] - frame["planned"]).round(2)
        shortfall = (frame["planned"] - frame["paid"]).where(frame["closed"], 0.0)
        frame["behind_plan"] = shortfall.groupby(frame["loan"]).cumsum().round(2)
        return frame

    def chart_data(self) -> dict[str, Any]:
        """Plain lists per loan (months, planned, paid, cumulative behind) and stage marks, for a chart."""
        frame = self.frame()
        series = {
            loan: {col: part[col].tolist() for col in ("month", "planned", "paid", "behind_plan")}
            for loan, part in frame.groupby("loan", sort=False)
        }
        stages = [{"loan": d.loan, "stage": s, "since": since} for d in self.drift for s, since in d.stages]
        return {"case": self.case, "month": self.month, "series": series, "stages": stages}


def _plan_payments(plan: PlanRecord) -> dict[tuple[str, str], float]:
    frame = pd.read_csv(StringIO(plan.plan_csv), dtype={"month": str, "loan": str})
    return {(m, loan): float(p) for m, loan, p in zip(frame["month"], frame["loan"], frame["payment"])}


def actual_vs_plan(data: CaseData, today: dt.date) -> ActualVsPlan:
    start = dt.datetime.strptime(data.versions[0].start_month, "%Y-%m").date()
    now = max(_month(today), start)
    plans = sorted(data.plans, key=lambda p: (p.start_month, p.id))
    tables = {p.id: _plan_payments(p) for p in plans}
    paid: dict[tuple[str, str], float] = {}
    for p in data.payments:
        if p.paid_on <= today:
            key = (_label(_month(p.paid_on)), p.loan)
            paid[key] = round(paid.get(key, 0.0) + p.amount, 2)
    loans = list(dict.fromkeys([loan for t in tables.values() for _, loan in t] + [loan for _, loan in paid]))
    rows = []
    month = start
    while month <= now:
        label = _label(month)
        in_force = [p for p in plans if p.start_month <= label]
        plan = in_force[-1] if in_force else None
        for loan in loans:
            planned = tables[plan.id].get((label, loan), 0.0) if plan else 0.0
            got = paid.get((label, loan), 0.0)
            if planned or got:
                rows.append((label, loan, planned, got, month < now, plan.id if plan else None))
        month = add_months(month, 1)
    events = [e for e in data.events if e.happened_on <= today]
    drift = tuple(_drift(loan, rows, events, paid, now) for loan in loans)
    return ActualVsPlan(data.case.name, _label(now), tuple(rows), drift)


def _missed_agreed(loan: str, events: list[EventRecord], paid: dict, now: dt.date) -> list[MissedAgreed]:
    """Agreed payments of the loan's latest agreement that the closed months did not make in full."""
    deals = [e for e in events if e.kind == "agreement" and e.loan == loan]
    if not deals or any(e.kind == "settlement-paid" and e.loan == loan for e in events):
        return []
    event = deals[-1]
    deal = Agreement.model_validate(event.terms)
    agreed_from = _month(event.happened_on)
    missed = []
    if deal.kind == "installments":
        month = max(deal.first, agreed_from)
        last = add_months(deal.first, deal.months - 1)
        while month < now and month <= last:
            got = paid.get((_label(month), loan), 0.0)
            if got < deal.monthly - SETTLED_BELOW:
                missed.append(MissedAgreed("installment", _label(month), deal.monthly, got))
            month = add_months(month, 1)
    elif deal.by < now:
        got = round(sum(v for (m, name), v in paid.items()
                        if name == loan and _label(agreed_from) <= m <= _label(deal.by)), 2)
        if got < deal.amount - SETTLED_BELOW:
            missed.append(MissedAgreed("settlement", _label(deal.by), deal.amount, got))
    return missed


def _drift(loan: str, rows: list, events: list[EventRecord], paid: dict, now: dt.date) -> LoanDrift:
    behind = round(sum(r[2] - r[3] for r in rows if r[1] == loan and r[4]), 2)
    open_rows = [r for r in rows if r[1] == loan and not r[4]]
    planned_now = open_rows[0][2] if open_rows else 0.0
    paid_now = open_rows[0][3] if open_rows else 0.0
    stages: list[tuple[str, str]] = []
    for event in events:
        stage = EVENT_KINDS[event.kind].stage
        if event.loan == loan and stage and stage not in [s for s, _ in stages]:
            stages.append((stage, _label(_month(event.happened_on))))
    missed = _missed_agreed(loan, events, paid, now)
    if abs(behind) < SETTLED_BELOW:
        money = "on plan"
    else:
        money = f"¥{abs(behind):,.2f} {'behind' if behind > 0 else 'ahead of'} plan"
    words = {"reported": "reported", "sued": "sued", "judgment": "judgment", "enforcement": "in enforcement",
             "accelerated": "accelerated", "agreement": "agreement", "settled": "settled"}
    parts = [money] + [f"{words[s]} since {since}" for s, since in stages]
    parts += [f"agreed {m.kind} of ¥{m.due:,.2f} {'for' if m.kind == 'installment' else 'by'} {m.month} "
              f"missed (paid ¥{m.paid:,.2f})" for m in missed]
    return LoanDrift(loan, behind, planned_now, paid_now, tuple(stages), tuple(missed), f"{loan}: " + "; ".join(parts))


# ---- the caseload ------------------------------------------------------------------------------


class Reason(NamedTuple):
    """Why a case needs attention: as data (the dashboard words it per language) and as a line
    (``text``, what the CLI prints)."""

    kind: str  # a key of URGENCY
    text: str
    loan: str | None = None
    month: str | None = None  # YYYY-MM (a court event: its day, YYYY-MM-DD)
    amount: float | None = None
    detail: str | None = None  # the agreement's kind (installment, settlement); the court event's kind

    @property
    def urgency(self) -> int:
        return URGENCY[self.kind]


class MissedPayment(NamedTuple):
    """A planned or agreed payment that a closed month did not make in full."""

    loan: str
    month: str  # YYYY-MM
    kind: str  # "plan", or the agreement's "installment" / "settlement"
    due: float
    paid: float

    @property
    def text(self) -> str:
        if self.kind == "plan":
            return f"{self.loan} {self.month}: planned ¥{self.due:,.2f}, paid ¥{self.paid:,.2f}"
        return f"{self.loan} {self.month}: agreed {self.kind} ¥{self.due:,.2f}, paid ¥{self.paid:,.2f}"


class AgreementInForce(NamedTuple):
    loan: str
    agreement: Agreement

    @property
    def last(self) -> dt.date:
        """The month of the last installment, or the settlement's deadline."""
        deal = self.agreement
        return add_months(deal.first, deal.months - 1) if deal.kind == "installments" else deal.by

    @property
    def text(self) -> str:
        deal = self.agreement
        if deal.kind == "installments":
            return f"{self.loan}: ¥{deal.monthly:,.2f} × {deal.months} from {_label(deal.first)}, last {_label(self.last)}"
        return f"{self.loan}: settle ¥{deal.amount:,.2f} by {_label(deal.by)}"


class CaseloadRow(NamedTuple):
    case: str
    urgency: int
    reasons: tuple[str, ...]  # why, most urgent first
    due: tuple[tuple[str, float], ...]  # (loan, still to pay this month)
    missed: tuple[str, ...]  # planned or agreed payments missed
    agreements: tuple[str, ...]  # agreements in force and when they end
    stages: tuple[str, ...]  # "360借条: sued, accelerated"
    owed: float  # lender's claim, all loans, at the start of this month
    behind: float  # yuan behind plan over closed months, all loans
    last_payment: dt.date | None
    last_plan: dt.date | None
    stage_names: frozenset[str] = frozenset()  # every stage an open loan is in
    # The same as data, for a page that words them in another language:
    why: tuple[Reason, ...] = ()  # ``reasons``
    missed_payments: tuple[MissedPayment, ...] = ()  # ``missed``
    agreements_in_force: tuple[AgreementInForce, ...] = ()  # ``agreements``
    loan_stages: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ``stages``: (loan, its stages)

    @property
    def needs_call(self) -> bool:
        return self.urgency >= NEEDS_CALL


def case_summary(data: CaseData, today: dt.date) -> CaseloadRow:
    state = case_state(data, today)
    vs = actual_vs_plan(data, today)
    now = state.month
    last_closed = _label(add_months(now, -1))
    why: list[Reason] = []
    statuses = {s.name: s for s in state.loans}
    serious = {s.name for s in state.loans if {st for st, _ in s.stages} & {"sued", "judgment", "enforcement",
                                                                            "reported", "accelerated"}}
    missed: list[MissedPayment] = []
    for d in vs.drift:
        missed += [MissedPayment(d.loan, m.month, m.kind, m.due, m.paid) for m in d.missed_agreed]
        if d.missed_agreed and not statuses[d.loan].closed:
            last = d.missed_agreed[-1]
            why.append(Reason("agreement broken", f"{d.loan}: agreed {last.kind} missed ({last.month}); "
                                                  f"the agreement is void unless the lender keeps it",
                              d.loan, last.month, last.due - last.paid, last.kind))
    for month, loan, planned, got, closed, _ in vs.rows:
        if closed and month == last_closed and got < planned - SETTLED_BELOW:
            missed.append(MissedPayment(loan, month, "plan", planned, got))
            why.append(Reason("missed on a serious loan" if loan in serious else "missed",
                              f"{loan}: ¥{planned - got:,.2f} short of plan in {month}", loan, month, planned - got))
    for event in (e for e in data.events if e.happened_on <= today):
        if event.kind in ("lawsuit", "judgment", "enforcement") and (today - event.happened_on).days <= 60:
            why.append(Reason("court", f"{event.loan}: {event.kind} on {event.happened_on}", event.loan,
                              event.happened_on.isoformat(), None, event.kind))
    agreements = tuple(AgreementInForce(s.name, s.agreement) for s in state.loans if s.agreement is not None)
    for a in agreements:
        deal = a.agreement
        if deal.kind == "installments":
            if month_index(now, a.last) in (0, 1):
                why.append(Reason("agreement ending", f"{a.loan}: agreed installments end {_label(a.last)}",
                                  a.loan, _label(a.last), None, "installment"))
        else:
            got = sum(v for m, loan, _, v, _, _ in vs.rows if loan == a.loan and m == _label(now))
            if deal.by == now and got < deal.amount - SETTLED_BELOW:
                why.append(Reason("settlement due", f"{a.loan}: settlement ¥{deal.amount:,.2f} due this month",
                                  a.loan, _label(deal.by), deal.amount, "settlement"))
            elif month_index(now, deal.by) == 1:
                why.append(Reason("agreement ending", f"{a.loan}: settlement due {_label(deal.by)}",
                                  a.loan, _label(deal.by), deal.amount, "settlement"))
    due = []
    for d in vs.drift:
        status = statuses.get(d.loan)
        if status is None or status.closed:
            continue
        still = d.still_due
        deal = status.agreement
        if deal is not None and deal.kind == "installments" and deal.first <= now <= add_months(deal.first, deal.months - 1):
            still = max(still, deal.monthly - d.paid_now)  # the agreement binds even where a plan says less
        if still > SETTLED_BELOW:
            due.append((d.loan, round(still, 2)))
    due = tuple(due)
    if due:
        total = round(sum(v for _, v in due), 2)
        why.append(Reason("due this month", f"¥{total:,.2f} still to pay this month", amount=total))
    last_plan = max((p.made_on for p in data.plans), default=None)
    if state.scenario is not None and (last_plan is None or month_index(_month(last_plan), now) >= 3):
        why.append(Reason("re-plan due", "no plan made for 3 months or more: re-plan",
                          month=_label(_month(last_plan)) if last_plan else None))
    why.sort(key=lambda r: -r.urgency)
    open_loans = [s for s in state.loans if not s.closed]
    loan_stages = tuple((s.name, tuple(st for st, _ in s.stages)) for s in open_loans if s.stages)
    last_payment = max((p.paid_on for p in data.payments if p.paid_on <= today), default=None)
    return CaseloadRow(
        case=data.case.name,
        urgency=why[0].urgency if why else 0,
        reasons=tuple(r.text for r in why),
        due=due,
        missed=tuple(m.text for m in missed),
        agreements=tuple(a.text for a in agreements),
        stages=tuple(f"{loan}: {', '.join(stages)}" for loan, stages in loan_stages),
        owed=round(sum(s.owed for s in state.loans), 2),
        behind=round(sum(d.behind for d in vs.drift), 2),
        last_payment=last_payment,
        last_plan=last_plan,
        stage_names=frozenset(st for s in open_loans for st, _ in s.stages),
        why=tuple(why),
        missed_payments=tuple(missed),
        agreements_in_force=agreements,
        loan_stages=loan_stages,
    )


def caseload(cf: CaseFile, today: dt.date, search: str | None = None, stage: str | None = None,
             needs_call: bool = False) -> list[CaseloadRow]:
    """Every case, most urgent first; ``search`` matches case, loan or lender names (any case),
    ``stage`` keeps cases with a loan in that stage, ``needs_call`` keeps urgency ≥ NEEDS_CALL."""
    rows = []
    needle = (search or "").casefold()
    for data in cf.load_all():
        if needle:
            base = base_scenario(data)
            names = [data.case.name] + [x for loan in base.loans for x in (loan.name, loan.lender_name)]
            if not any(needle in name.casefold() for name in names):
                continue
        row = case_summary(data, today)
        if stage and stage not in row.stage_names:
            continue
        if needs_call and not row.needs_call:
            continue
        rows.append(row)
    rows.sort(key=lambda r: (-r.urgency, -r.behind, r.case))
    return rows


def caseload_frame(rows: list[CaseloadRow]) -> pd.DataFrame:
    return pd.DataFrame([{
        "case": r.case,
        "urgency": r.urgency,
        "needs_call": r.needs_call,
        "reasons": "; ".join(r.reasons),
        "due_this_month": "; ".join(f"{loan} ¥{v:,.2f}" for loan, v in r.due),
        "missed": "; ".join(r.missed),
        "agreements": "; ".join(r.agreements),
        "stages": "; ".join(r.stages),
        "owed": r.owed,
        "behind_plan": r.behind,
        "last_payment": r.last_payment.isoformat() if r.last_payment else "",
        "last_plan": r.last_plan.isoformat() if r.last_plan else "",
    } for r in rows], columns=["case", "urgency", "needs_call", "reasons", "due_this_month", "missed", "agreements",
                               "stages", "owed", "behind_plan", "last_payment", "last_plan"])


# ---- export ------------------------------------------------------------------------------------


def export_files(data: CaseData, today: dt.date) -> dict[str, bytes | pd.DataFrame]:
    """Everything about a case as files: each scenario version (TOML), the state today as a
    scenario (TOML, loadable by ``debtplan solve``), payments, events, plans and actual against
    plan (CSV)."""
    files: dict[str, bytes | pd.DataFrame] = {}
    for v in data.versions:
        files[f"scenario-v{v.number}-{v.source}.toml"] = v.toml.encode("utf-8")
    state = case_state(data, today)
    if state.scenario is not None:
        header = f"debtplan case '{data.case.name}': the state on {today.isoformat()}"
        files["scenario-today.toml"] = scenario_toml(state.scenario, header).encode("utf-8")
    files["payments.csv"] = pd.DataFrame(
        [(p.paid_on.isoformat(), p.loan, p.amount, p.note) for p in data.payments],
        columns=["date", "loan", "amount", "note"])
    files["events.csv"] = pd.DataFrame(
        [(e.happened_on.isoformat(), e.kind, e.loan or "", _terms_text(e.terms), e.note) for e in data.events],
        columns=["date", "kind", "loan", "terms", "note"])
    plans = []
    for p in data.plans:
        frame = pd.read_csv(StringIO(p.plan_csv), dtype={"month": str, "loan": str})
        frame.insert(0, "made_on", p.made_on.isoformat())
        frame.insert(0, "plan_id", p.id)
        plans.append(frame)
    files["plans.csv"] = pd.concat(plans, ignore_index=True) if plans else pd.DataFrame(columns=["plan_id", "made_on"])
    files["actual-vs-plan.csv"] = actual_vs_plan(data, today).frame()
    return files


def _terms_text(terms: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(terms.items()))
