"""The engine's front door: a scenario in, a replayed plan (or all plans side by side) out.

``make_plan(scenario, "optimal" | "avalanche" | …)`` and ``compare(scenario)`` are what the CLI
and the dashboard call; both return ledger-backed results, never solver numbers directly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .heuristics import POLICIES, STRATEGIES
from .ledger import Ledger, replay
from .scenario import Scenario
from .solve import PlanResult, PlanStatus, Replanner, optimal_plan, short_months
from .terms import ENFORCEMENT, REPORTED, RISK_CLASSES, STAGES, SUED, PlanTerms, plan_terms

ALL_STRATEGIES = ("optimal", *STRATEGIES)
# The plan if every lender says yes to its negotiation targets (optimizer/negotiate.py).
NEGOTIATED = "negotiated"


def make_plan(
    scenario: Scenario, strategy: str = "optimal", terms: PlanTerms | None = None, replanner: Replanner | None = None,
    time_limit: float | None = None, check_extra: bool = True,
) -> PlanResult:
    """One plan, replayed by the ledger; a ``replanner`` makes the optimizer re-solve warm;
    ``time_limit`` (seconds) bounds the optimizer's search (its gap is then reported)."""
    terms = terms if terms is not None else plan_terms(scenario)
    if strategy == "optimal":
        return optimal_plan(terms, replanner=replanner, time_limit=time_limit, check_extra=check_extra)
    if strategy == NEGOTIATED:
        from .negotiate import negotiation_targets

        return negotiation_targets(scenario, with_break_even=False, replanner=replanner).negotiated
    if strategy not in POLICIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join((*ALL_STRATEGIES, NEGOTIATED))}")
    ledger = replay(terms, POLICIES[strategy](terms, scenario))
    status = PlanStatus.CLEARED if ledger.leftover == 0 else PlanStatus.NOT_CLEARED
    return PlanResult(strategy, status, ledger, diagnosis=short_months(terms))


class PlanSummary(NamedTuple):
    """One row of the comparison (yuan unrounded; months 1-based)."""

    strategy: str
    status: str
    total_paid: float
    interest: float
    penalty: float
    debt_free_month: str | None  # YYYY-MM, None if not within the horizon
    months_to_debt_free: int | None
    left_at_horizon: float
    overdue_yuan_months: dict[str, float]  # by risk class, plus "all"
    months_overdue: dict[str, int]  # by loan
    weighted_cost: float
    triggers: dict[str, dict[str, str | None]]  # by loan: month each stage is first reached (see triggers)
    fees: float = 0.0  # court and enforcement fees and card late fees added to the debt


def risk_membership(ledger: Ledger) -> dict[str, np.ndarray]:
    """(n, T) bool per risk class, plan months 1..T: a loan sued under the plan counts as sued
    from then on (the comparison and the dashboard's charts count by it)."""
    stages = ledger.stages[:, :, 1:]
    return {
        "lawsuit": stages[:, SUED] | stages[:, ENFORCEMENT],
        "credit": stages[:, REPORTED],
        "collection": np.repeat(ledger.terms.collection[:, None], ledger.terms.horizon, axis=1),
    }


def summarize(result: PlanResult) -> PlanSummary:
    ledger = result.ledger
    terms = ledger.terms
    overdue = ledger.overdue[:, 1:]
    member = risk_membership(ledger)
    by_class = {cls: float((overdue * member[cls]).sum()) for cls in RISK_CLASSES}
    by_class["all"] = float(overdue.sum())
    free = ledger.debt_free_month
    return PlanSummary(
        strategy=result.strategy,
        status=result.status.value,
        total_paid=float(ledger.payments.sum()),
        interest=float(ledger.interest.sum()),
        penalty=float(ledger.penalty.sum()),
        debt_free_month=None if free is None else terms.months[free - 1],
        months_to_debt_free=free,
        left_at_horizon=ledger.leftover,
        overdue_yuan_months=by_class,
        months_overdue={name: int((row > 0).sum()) for name, row in zip(terms.names, ledger.overdue[:, 1:])},
        weighted_cost=ledger.weighted_cost,
        triggers=triggers(result),
        fees=float(ledger.fees.sum()),
    )


BEFORE_PLAN = "before the plan"


def triggers(result: PlanResult) -> dict[str, dict[str, str | None]]:
    """What the plan triggers: per loan and stage (reported, accelerated, sued, enforcement), the
    month it is first reached under this plan, ``"before the plan"`` if it was already, or None."""
    months = result.ledger.terms.months
    out: dict[str, dict[str, str | None]] = {}
    for loan, reached in result.ledger.reached().items():
        out[loan] = {
            stage: None if m is None else BEFORE_PLAN if m == 0 else months[m - 1] for stage, m in reached.items()
        }
    return out


class ShortOfContract(NamedTuple):
    """A loan the plan keeps current while paying less than the contract's installment."""

    first: str  # the first such month
    smallest: float  # the smallest payment in such a month
    installment: float  # the contract's installment


def short_of_contract(result: PlanResult) -> dict[str, ShortOfContract]:
    """Loans the plan counts as current in months it pays less than the contract's installment
    (a lawyer's review: on the legal cap the plan follows the contract's balances at the capped
    rate, ¥1,120.92 a month on three-overdue-loans' 京东金条 against its ¥1,205.55). The lender's
    system charges the contract rate and counts the difference as overdue until it agrees in
    writing or a court applies the cap. Agreements and settlements are left out: their own
    schedule is the contract. A month that pays the loan off is not short."""
    ledger = result.ledger
    terms = ledger.terms
    out: dict[str, ShortOfContract] = {}
    for i, name in enumerate(terms.names):
        contract = float(terms.installment[i])
        if contract <= 0 or terms.agreed[i].any() or terms.settle_months[i]:
            continue
        pay = ledger.payments[i]
        short = ((ledger.schedule[i, :-1] > 0) & ~ledger.behind[i, 1:] & (ledger.balance[i, 1:] >= 0.005)
                 & (pay < contract - 0.005))
        if short.any():
            t = int(np.argmax(short))
            out[name] = ShortOfContract(terms.months[t], float(pay[short].min()), contract)
    return out


def reported_already_likely(terms: PlanTerms) -> dict[str, int]:
    """{loan: days overdue now} for loans not marked as reported whose days overdue already pass
    their lender's reporting threshold. Lenders report to the bureau monthly, so such a loan has
    most likely been reported: a plan's "reported in its first month" is then no news, and it is
    said so rather than shown as something the plan could still avoid."""
    return {name: int(days) for name, days, threshold, reported in
            zip(terms.names, terms.days0, terms.stage_days[:, REPORTED], terms.stage0[:, REPORTED])
            if not reported and days >= threshold}


def new_triggers(result: PlanResult) -> dict[str, dict[str, str]]:
    """Only the stages this plan itself reaches: {loan: {stage: month}} (empty: it creates none)."""
    out: dict[str, dict[str, str]] = {}
    for loan, stages in triggers(result).items():
        new = {stage: month for stage, month in stages.items() if month not in (None, BEFORE_PLAN)}
        if new:
            out[loan] = new
    return out


# The record's end assumes the lender reports the account as current from the agreement; many
# report it as restructured (个性化分期, 展期) and keep the overdue months (lawyer's review).
AGREED_RECORD_NOTE = ("that assumes the lender reports the loan as current from the agreement: restructured "
                      "loans are often reported as such, the overdue months kept; ask the lender to confirm in "
                      "writing how it will report the agreement.")
AGREED_RECORD_NOTE_ZH = "前提是贷款方自协议起按正常报送；分期协议常被报送为个性化分期或展期，之前的逾期记录仍会保留，请对方书面说明将如何报送。"


def credit_records(result: PlanResult, years: int) -> dict[str, tuple[str | None, str | None]]:
    """For each loan reported to the credit bureau (before or under the plan): (month the default
    ends, month the record ends), or (None, None) if the plan leaves it behind at the horizon.
    The record is kept ``years`` from the day the default ends, arrears cured or debt repaid
    (征信业管理条例 Art. 16), so curing early ends it early."""
    ledger = result.ledger
    terms = ledger.terms
    out: dict[str, tuple[str | None, str | None]] = {}
    for i, name in enumerate(terms.names):
        if not ledger.stages[i, REPORTED].any():
            continue
        behind = np.nonzero(ledger.behind[i])[0]  # 0: overdue now; t: ended month t overdue
        if behind.size and behind[-1] == terms.horizon:
            out[name] = (None, None)
            continue
        last = int(behind[-1]) if behind.size else 0
        cured = terms.months[last]  # the month after the last month behind
        year, month = map(int, cured.split("-"))
        out[name] = (cured, f"{year + years}-{month:02d}")
    return out


class Comparison(NamedTuple):
    results: dict[str, PlanResult]
    summaries: dict[str, PlanSummary]

    def table(self) -> pd.DataFrame:
        """One row per plan; the columns of ``compare --out``."""
        rows = []
        for s in self.summaries.values():
            row = {
                "strategy": s.strategy,
                "status": s.status,
                "total_paid": s.total_paid,
                "interest": s.interest,
                "penalty": s.penalty,
                "debt_free": s.debt_free_month or "not within horizon",
                "left_at_horizon": s.left_at_horizon,
                **{f"overdue_yuan_months_{k}": v for k, v in s.overdue_yuan_months.items()},
                "weighted_cost": s.weighted_cost,
                **{f"months_overdue[{k}]": v for k, v in s.months_overdue.items()},
                **{f"{stage}[{loan}]": month or "none"
                   for loan, stages in s.triggers.items() for stage, month in stages.items()},
            }
            rows.append(row)
        return pd.DataFrame(rows)


def compare(
    scenario: Scenario, strategies: tuple[str, ...] = (*ALL_STRATEGIES, NEGOTIATED), replanner: Replanner | None = None,
    time_limit: float | None = None,
) -> Comparison:
    terms = plan_terms(scenario)
    # The negotiated plan solves the baseline again: a shared replanner makes that a warm start.
    replanner = replanner or Replanner()
    results = {s: make_plan(scenario, s, terms, replanner, time_limit=time_limit) for s in strategies}
    return Comparison(results, {s: summarize(r) for s, r in results.items()})
