"""Project rules that must keep holding: UI-free engine, published schema, PuLP-4-ready code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import numpy as np
import pulp
import pytest

from optimizer.scenario import json_schema

from .conftest import ROOT, SCENARIOS


def test_optimizer_never_imports_the_ui():
    for path in (ROOT / "optimizer").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert name.split(".")[0] not in {"streamlit", "plotly"}, f"{path.name} imports {name}"
    # And at run time: importing and using the engine loads neither.
    code = ("import sys, optimizer; optimizer.compare(optimizer.load_scenario(sys.argv[1]));"
            "print([m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly')])")
    done = subprocess.run([sys.executable, "-c", code, str(SCENARIOS / "three-overdue-loans.toml")],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_published_schema_is_current():
    published = json.loads((SCENARIOS / "scenario.schema.json").read_text(encoding="utf-8"))
    assert published == json_schema(), "run: python -m optimizer.schema > scenarios/scenario.schema.json"


def test_pulp_deprecations_fail_the_test_run():
    # The old-style variable constructor is deprecated for PuLP 4; the test configuration must
    # turn that warning into an error, or deprecated calls in our code would go unnoticed.
    with pytest.raises(DeprecationWarning):
        pulp.LpVariable("x", lowBound=0)


def test_highs_and_cbc_agree_on_the_pulp_model():
    from optimizer import load_scenario, plan_terms
    from optimizer.model import build_arrays
    from optimizer.solve import LpOutcome, solve_arrays

    arrays = build_arrays(plan_terms(load_scenario(SCENARIOS / "three-overdue-loans.toml")))
    highs = solve_arrays(arrays, "highs")
    cbc = solve_arrays(arrays, "cbc")  # through the PuLP model and COIN_CMD
    assert highs.outcome is cbc.outcome is LpOutcome.OPTIMAL
    assert (highs.solver, cbc.solver) == ("HiGHS", "CBC")
    assert highs.objective == pytest.approx(cbc.objective, abs=0.01)


def test_pulp_model_is_the_same_lp_highs_gets():
    # The array blocks feed HiGHS directly and PuLP through to_pulp: the PuLP problem, read back
    # row by row, must be the very matrix, bounds and costs HiGHS was given.
    import numpy as np

    from optimizer import load_scenario, plan_terms
    from optimizer.model import ModelOptions, build_arrays, to_pulp
    from optimizer.solve import pulp_to_highs

    terms = plan_terms(load_scenario(SCENARIOS / "counsellor-twelve-loans.toml"))
    for options in (ModelOptions(), ModelOptions(find_extra_money=True), ModelOptions(offers=((3, 9000.0, 4),))):
        arrays = build_arrays(terms, options)
        model = to_pulp(arrays)
        from_pulp = pulp_to_highs(model.prob, model.columns, list(model.rows.values()))
        starts, index, value = arrays.csr()
        assert np.array_equal(np.asarray(from_pulp.a_matrix_.start_), starts)
        assert np.array_equal(np.asarray(from_pulp.a_matrix_.index_), index)
        assert np.allclose(np.asarray(from_pulp.a_matrix_.value_), value)
        assert np.allclose(np.asarray(from_pulp.col_cost_), arrays.cost)
        for ours, theirs in zip(arrays.row_bounds(), (from_pulp.row_lower_, from_pulp.row_upper_)):
            theirs = np.asarray(theirs)
            assert np.array_equal(np.isinf(theirs), np.isinf(ours))
            assert np.allclose(theirs[np.isfinite(theirs)], ours[np.isfinite(ours)])
        assert from_pulp.offset_ == pytest.approx(arrays.offset)


def test_rows_carry_readable_names():
    from optimizer import load_scenario, plan_terms
    from optimizer.model import build_arrays, to_pulp

    arrays = build_arrays(plan_terms(load_scenario(SCENARIOS / "three-overdue-loans.toml")))
    names = arrays.row_names()
    assert "budget[2026-12]" in names
    assert "balance[京东金条,2027-03]" in names
    assert "overdue[速借小贷,2029-11]" in names
    # Escalation rows, named as a user reads them.
    assert "behind[速借小贷,2027-01]" in names
    assert "reach[速借小贷,reported,2027-01]" in names  # 40 days overdue now: 70 days by then
    assert "reach[京东金条,sued,2027-06]" in names
    assert "enforce[360借条,2027-05]" in names  # sued now: enforcement after 6 months behind
    assert "stays[京东金条,accelerated,2027-03]" in names
    assert len(names) == len(set(names))
    assert list(to_pulp(arrays).rows) == names


def test_warm_lp_re_solves_equal_cold_ones():
    # Sliders: weights and money change; the LPs under the MILP (a fixed pattern of months
    # behind) re-solved warm must give the cold objective to ¥0.01.
    from optimizer import load_scenario, plan_terms, replay
    from optimizer.heuristics import priority
    from optimizer.model import any_pattern, build_arrays
    from optimizer.solve import Replanner, fixed_pattern

    base = load_scenario(SCENARIOS / "counsellor-twelve-loans.toml")
    warm = Replanner()
    changes = [{}, {"weights": {"lawsuit": 0.3}}, {"income": 9000}, {"weights": {"credit": 0.0, "interest": 2.0}},
               {"essentials": 3500, "cash_on_hand": 8000}, {"legal": {"basis": "claim"}}, {}]
    for change in changes:
        scenario = base.replace(**change) if change else base
        terms = plan_terms(scenario)
        arrays = any_pattern(build_arrays(terms))
        # The priority rule's months behind: a pattern its own plan shows is feasible.
        behind = replay(terms, priority(terms, scenario)).overdue[:, 1:] > 0
        again = fixed_pattern(arrays, behind, lp=warm.solve)
        cold = fixed_pattern(arrays, behind)
        assert again.objective == pytest.approx(cold.objective, abs=0.01), change
    # New model shapes: the first solve; the two weight changes (a stage weight of 0 drops its
    # weighted rows); the claim basis (no simple-interest rows: charges compound there). The
    # money sliders and the return to the start re-solve warm.
    assert warm.warm_solves >= 3 and warm.cold_solves <= 4


def test_a_warm_lp_sees_bounds_changed_in_the_same_arrays():
    # Callers reuse their bound arrays between solves (polish fixes more months behind in the
    # same arrays each round). The warm model must still get every change: a 6-month case once
    # kept a month behind that its new bounds forbade (LP ¥738.96, its own plan's ledger ¥732.32).
    from optimizer import plan_terms, scenario_from_dict
    from optimizer.model import any_pattern, build_arrays
    from optimizer.solve import Replanner, _solve_once

    terms = plan_terms(scenario_from_dict({
        "start": "2027-01", "horizon_months": 6, "income": 3500, "essentials": 3000, "cash_on_hand": 834,
        "loans": [{"name": "L0", "principal": 1000, "apr": 0.0, "days_overdue": 20, "installments": 6}]}))
    arrays = any_pattern(build_arrays(terms))
    behind = arrays.layout.behind[0]
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    lp = arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int))
    warm = Replanner()
    lower[behind] = upper[behind] = 1.0  # behind every month
    first = warm.solve(lp)
    assert first.x[behind].min() == 1.0
    lower[behind[3:]] = upper[behind[3:]] = 0.0  # the same arrays, changed: current from month 4
    again, cold = warm.solve(lp), _solve_once(lp, "highs")
    assert warm.warm_solves == 1
    assert (again.x[behind[3:]] == 0.0).all()
    assert again.objective == pytest.approx(cold.objective, abs=0.01)


def test_a_milp_re_plan_agrees_with_a_cold_one_within_the_gap():
    from optimizer import load_scenario, plan_terms
    from optimizer.solve import MIP_GAP, Replanner, optimal_plan

    base = load_scenario(SCENARIOS / "three-overdue-loans.toml")
    warm = Replanner()
    for change in ({}, {"income": 8000}, {"weights": {"lawsuit": 0.3}}):
        terms = plan_terms(base.replace(**change) if change else base)
        again = optimal_plan(terms, check_extra=False, replanner=warm)
        cold = optimal_plan(terms, check_extra=False)
        assert again.gap <= MIP_GAP and cold.gap <= MIP_GAP
        assert again.ledger.weighted_cost == pytest.approx(cold.ledger.weighted_cost, rel=MIP_GAP, abs=0.01)
    assert warm.warm_solves > warm.cold_solves
