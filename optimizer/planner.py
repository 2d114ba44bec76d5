"""The engine's front door: a scenario in, a replayed plan (or all plans side by side) out.

``make_plan(scenario, "optimal" | "avalanche" | …)`` and ``compare(scenario)`` are what the CLI
and the dashboard call; both return ledger-backed results, never solver numbers directly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .heuristics import POLICIES, STRATEGIES
from .ledger import replay
from .scenario import Scenario
from .solve import PlanResult, PlanStatus, Replanner, essentials_shortfall, optimal_plan
from .terms import RISK_CLASSES, PlanTerms, plan_terms

ALL_STRATEGIES = ("optimal", *STRATEGIES)
# The plan if every lender says yes to its negotiation targets (optimizer/negotiate.py).
NEGOTIATED = "negotiated"


def make_plan(
    scenario: Scenario, strategy: str = "optimal", terms: PlanTerms | None = None, replanner: Replanner | None = None,
) -> PlanResult:
    """One plan, replayed by the ledger; a ``replanner`` makes the optimizer re-solve warm."""
    terms = terms if terms is not None else plan_terms(scenario)
    if strategy == "optimal":
        return optimal_plan(terms, replanner=replanner)
    if strategy == NEGOTIATED:
        from .negotiate import negotiation_targets

        return negotiation_targets(scenario, with_break_even=False, replanner=replanner).negotiated
    if strategy not in POLICIES:
        raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join((*ALL_STRATEGIES, NEGOTIATED))}")
    ledger = replay(terms, POLICIES[strategy](terms, scenario))
    if essentials_shortfall(terms) is not None:
        status = PlanStatus.ESSENTIALS_UNCOVERED
    else:
        status = PlanStatus.CLEARED if ledger.leftover == 0 else PlanStatus.NOT_CLEARED
    return PlanResult(strategy, status, ledger)


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


def summarize(result: PlanResult) -> PlanSummary:
    ledger = result.ledger
    terms = ledger.terms
    ym = ledger.overdue_yuan_months
    by_class = {cls: float(ym[terms.classes[:, k]].sum()) for k, cls in enumerate(RISK_CLASSES)}
    by_class["all"] = float(ym.sum())
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
    )


def credit_records(result: PlanResult, years: int) -> dict[str, tuple[str | None, str | None]]:
    """For each credit-reported loan: (month repaid, month the record ends), or (None, None) if the
    plan does not repay it; the record is kept ``years`` after repayment (征信业管理条例 Art. 16)."""
    ledger = result.ledger
    terms = ledger.terms
    out: dict[str, tuple[str | None, str | None]] = {}
    for i, name in enumerate(terms.names):
        if not terms.classes[i, 1]:
            continue
        if ledger.balance[i, -1] > 0:
            out[name] = (None, None)
            continue
        owing = np.nonzero(ledger.balance[i, 1:] > 0)[0]
        repaid = terms.months[owing[-1] + 1] if owing.size else terms.months[0]
        year, month = map(int, repaid.split("-"))
        out[name] = (repaid, f"{year + years}-{month:02d}")
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
            }
            rows.append(row)
        return pd.DataFrame(rows)


def compare(
    scenario: Scenario, strategies: tuple[str, ...] = (*ALL_STRATEGIES, NEGOTIATED), replanner: Replanner | None = None,
) -> Comparison:
    terms = plan_terms(scenario)
    # The negotiated plan solves the baseline again: a shared replanner makes that a warm start.
    replanner = replanner or Replanner()
    results = {s: make_plan(scenario, s, terms, replanner) for s in strategies}
    return Comparison(results, {s: summarize(r) for s, r in results.items()})
