"""The dashboard through Streamlit's AppTest: every scenario and view, sliders, edits, downloads."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import state
from optimizer import load_scenario, scenario_from_bytes

from .conftest import ROOT, SHIPPED, run_cli

APP = str(ROOT / "dashboard" / "app.py")


def app(scenario: str = "three-overdue-loans.toml", lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["lang"] = lang
    at.session_state["scenario_file"] = scenario
    return at.run()


def key(name: str, scenario: str = "three-overdue-loans.toml") -> str:
    return f"{name}::file:{scenario}"


def months_to_debt_free(at: AppTest) -> float:
    match = re.search(r"Debt-free in (\d+) months", at.session_state["headline"])
    return float(match.group(1)) if match else float("inf")


def trace(at: AppTest, chart: int, name: str) -> np.ndarray:
    """A trace's y values from a rendered plotly chart (plotly encodes arrays as base64)."""
    spec = json.loads(at.get("plotly_chart")[chart].proto.spec)
    data = next(d for d in spec["data"] if d.get("name") == name)["y"]
    if isinstance(data, dict):
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
    return np.asarray(data, dtype=float)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_scenario_and_view_runs_without_exception(path, lang):
    at = app(path.name, lang)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["headline"]
    for view in ("compare", "negotiate", "export"):
        at.session_state["view"] = view
        at.run()
        assert not at.exception, (view, [e.message for e in at.exception])


def test_opens_on_the_three_loan_example_in_chinese():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.session_state["scenario_file"] == "three-overdue-loans.toml"
    assert "还清" in at.session_state["headline"] and "360数科" in at.session_state["headline"]


@pytest.mark.parametrize("scenario", ["income-too-low.toml", "three-overdue-loans.toml"])
def test_more_income_never_makes_debt_free_later(scenario):
    at = app(scenario)
    slider = at.slider(key=key("income", scenario))
    start = slider.value
    previous = months_to_debt_free(at)
    for step in (500, 1000, 2000, 4000):
        at.slider(key=key("income", scenario)).set_value(start + step).run()
        now = months_to_debt_free(at)
        assert now <= previous, (step, now, previous)
        previous = now
    assert previous < float("inf")  # enough money clears even the income-too-low case


def test_raising_the_lawsuit_weight_never_increases_the_sued_loans_overdue():
    at = app()
    previous = trace(at, 2, "lawsuit / enforcement").sum()
    for weight in (0.0, 0.05, 0.1, 0.2, 0.5):
        at.slider(key=key("w_lawsuit")).set_value(weight).run()
        now = trace(at, 2, "lawsuit / enforcement").sum()
        if weight > 0.0:
            assert now <= previous + 0.01, (weight, now, previous)
        previous = now


def test_downloaded_csv_equals_the_clis_for_the_same_inputs(tmp_path):
    at = app()
    at.slider(key=key("income")).set_value(8200.0)
    at.slider(key=key("w_credit")).set_value(0.08)
    at.session_state["view"] = "export"
    at.run()
    scenario_file = tmp_path / "edited.toml"
    scenario_file.write_bytes(at.session_state["scenario_toml"])
    out = tmp_path / "plan.csv"
    assert run_cli("solve", scenario_file, "--out", out).returncode == 0
    assert at.session_state["plan_csv"] == out.read_bytes()
    loaded = load_scenario(scenario_file)
    assert loaded.income == 8200.0 and loaded.weights.credit == 0.08
    compare_out = tmp_path / "compare.csv"
    assert run_cli("compare", scenario_file, "--out", compare_out).returncode == 0
    assert at.session_state["compare_csv"] == compare_out.read_bytes()


def test_bad_table_edit_shows_a_message_and_keeps_the_plan():
    at = app()
    before = at.session_state["headline"]
    at.session_state[key("loans")] = {"edited_rows": {1: {"principal": -5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and "京东金条" in messages[0] and "principal" in messages[0]
    assert at.session_state["headline"] == before
    assert at.get("plotly_chart")  # the last good plan is still drawn


def test_good_table_edit_changes_the_plan():
    at = app()
    before = at.session_state["headline"]
    at.session_state[key("loans")] = {"edited_rows": {0: {"principal": 9000.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.error and at.session_state["headline"] != before


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_scenario_download_round_trip_loses_nothing(path):
    scenario = load_scenario(path)
    assert scenario_from_bytes(state.to_toml(scenario), "download.toml") == scenario
    table = state.loan_table(scenario)
    same = state.apply_inputs(
        scenario, income=scenario.monthly("income")[0], essentials=scenario.monthly("essentials")[0],
        horizon=scenario.horizon_months, weights=scenario.weights.model_dump(), basis=scenario.legal.basis,
        shown=table, edited=table.copy(),
    )
    assert same == scenario


def test_privacy_config():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] <= 5
