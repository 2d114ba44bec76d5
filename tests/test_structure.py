"""Project rules that must keep holding: UI-free engine, published schema, PuLP-4-ready code."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

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


def test_highs_and_cbc_agree():
    from optimizer import load_scenario, plan_terms
    from optimizer.model import build_model
    from optimizer.solve import LpOutcome, solve_model

    terms = plan_terms(load_scenario(SCENARIOS / "three-overdue-loans.toml"))
    highs = solve_model(build_model(terms), "highs")
    cbc = solve_model(build_model(terms), "cbc")
    assert highs.outcome is cbc.outcome is LpOutcome.OPTIMAL
    assert (highs.solver, cbc.solver) == ("HiGHS", "CBC")
    assert highs.objective == pytest.approx(cbc.objective, abs=0.01)


def test_rows_carry_readable_names():
    from optimizer import load_scenario, plan_terms
    from optimizer.model import build_model

    model = build_model(plan_terms(load_scenario(SCENARIOS / "three-overdue-loans.toml")))
    assert "budget[2026-12]" in model.rows
    assert "balance[京东金条,2027-03]" in model.rows
    assert "overdue[速借小贷,2029-11]" in model.rows
    assert len(model.rows) == 36 * (1 + 2 * 3)
