"""The benchmark code runs and measures what it says (no timing asserts: timings live in bench/)."""

from __future__ import annotations

from bench.run import size_row
from bench.synthetic import synthetic
from optimizer import plan_terms
from optimizer.solve import optimal_plan


def test_synthetic_scenarios_are_seeded_and_clearable():
    a, b = synthetic(10, 60, seed=3), synthetic(10, 60, seed=3)
    assert a == b and a != synthetic(10, 60, seed=4)
    assert optimal_plan(plan_terms(a)).ledger.debt_free_month is not None


def test_size_row_reports_every_figure():
    row = size_row(3, 24, reps=1)
    assert row["status"] == "cleared"
    for key in ("e2e_s", "build_s", "raw_s", "replan_weight_s", "replan_income_s", "heuristics_s"):
        assert row[key] > 0, key
    assert row["ratio"] == row["e2e_s"] / row["raw_s"]
