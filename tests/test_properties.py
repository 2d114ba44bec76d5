"""Properties over random scenarios (hypothesis): what must hold for any borrower, not just ours."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optimizer import ALL_STRATEGIES, compare, scenario_from_dict
from optimizer.export import to_fen

loans = st.fixed_dictionaries({
    "principal": st.integers(500, 40000),
    "apr": st.sampled_from([0.0, 0.06, 0.12, 0.18, 0.24, 0.36, 0.7]),
    "installments": st.integers(3, 36),
    "days_overdue": st.sampled_from([0, 0, 15, 45, 95, 200]),
    "accelerated": st.booleans(),
    "lawsuit": st.booleans(),
    "credit_reported": st.booleans(),
    "abusive_collection": st.booleans(),
    "interest_owed": st.integers(0, 800),
    "penalty_markup": st.sampled_from([0.0, 0.3, 0.5]),
})

scenarios = st.builds(
    lambda ls, income, essentials, cash, horizon: {
        "start": "2027-01", "horizon_months": horizon, "income": income, "essentials": essentials,
        "cash_on_hand": cash,
        "loans": [{"name": f"loan{i}", **loan} for i, loan in enumerate(ls)],
    },
    st.lists(loans, min_size=1, max_size=5),
    st.integers(3000, 15000),
    st.integers(1500, 3000),
    st.integers(0, 5000),
    st.integers(6, 48),
)


# Found by a fresh CI run: five sued loans, a month that cannot pay every judgment's floor; the
# whole-fen split then gave a loan owing ¥246.4427 a fen more than its debt (¥246.45), and the
# replay cut it back to a fraction of a fen.
_SUED_FIVE = [(1415, 0.06, 28, 0.5), (2790, 0.0, 55, 0.0), (2791, 0.18, 55, 0.0), (7424, 0.12, 147, 0.0),
              (26283, 0.24, 401, 0.0)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios)
@example({"start": "2027-01", "horizon_months": 7, "income": 7774, "essentials": 1500, "cash_on_hand": 434,
          "loans": [{"name": f"loan{i}", "principal": p, "apr": apr, "installments": 3, "days_overdue": 0,
                     "accelerated": False, "lawsuit": True, "credit_reported": False, "abusive_collection": False,
                     "interest_owed": owed, "penalty_markup": markup}
                    for i, (p, apr, owed, markup) in enumerate(_SUED_FIVE)]})
def test_any_scenario_optimal_beats_heuristics_and_keeps_the_budget(data):
    comparison = compare(scenario_from_dict(data), ALL_STRATEGIES)
    best = comparison.summaries["optimal"].weighted_cost
    for strategy, result in comparison.results.items():
        ledger = result.ledger
        assert result.check_problems == () and ledger.problems == ()
        assert best <= ledger.weighted_cost + 0.01 + 1e-7 * abs(ledger.weighted_cost), strategy
        assert (ledger.payments.sum(axis=0) <= ledger.cash[:-1] + ledger.terms.net + 1e-6).all()
        fen = to_fen(ledger)
        assert fen.problems == ()
        assert (fen.payments.sum(axis=0) <= fen.cash[:-1] + fen.terms.net + 1e-9).all()
        assert np.allclose(np.round(fen.payments * 100), fen.payments * 100)
    # A plan that is not cleared by the optimizer comes with a checked extra amount.
    optimal = comparison.results["optimal"]
    if optimal.ledger.leftover > 0 and optimal.extra_monthly:
        assert optimal.diagnosis and f"¥{optimal.extra_monthly:,.0f}" in optimal.diagnosis


@settings(max_examples=15, deadline=None)
@given(scenarios, st.integers(100, 3000))
def test_more_income_never_makes_the_optimal_plan_worse(data, more):
    base = compare(scenario_from_dict(data), ("optimal",)).summaries["optimal"]
    richer = compare(scenario_from_dict({**data, "income": data["income"] + more}), ("optimal",)).summaries["optimal"]
    assert richer.weighted_cost <= base.weighted_cost + 0.01 + 1e-7 * base.weighted_cost
    if base.months_to_debt_free is not None:
        assert richer.months_to_debt_free is not None
