"""The dashboard through Streamlit's AppTest: every scenario and view, sliders, edits that are never
lost, messages that name the problem, Chinese throughout, scripts that keep the limit private."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import tomllib

import numpy as np
import pandas as pd
import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from dashboard import charts, state
from dashboard.i18n import CSV_HEADERS, CSV_VALUES, error_text, month_name, months_in_words
from optimizer import DebtplanError, load_scenario, make_plan, scenario_from_bytes, summarize
from optimizer.export import plan_table
from optimizer.negotiate import negotiation_targets
from optimizer.scripts import notes_for_borrower, script_for_lender, yuan

from .conftest import ROOT, SCENARIOS, SHIPPED, run_cli

APP = str(ROOT / "dashboard" / "app.py")
THREE = "three-overdue-loans.toml"
COUNSELLOR = "counsellor-twelve-loans.toml"
VIEWS = ("plan", "compare", "negotiate", "export")


def app(scenario: str = THREE, lang: str = "en", view: str = "plan") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.session_state["scenario_file"] = scenario
    at.session_state["view"] = view
    return at.run()


def key(name: str, scenario: str = THREE) -> str:
    return f"{name}::file:{scenario}"


def loans_key(at: AppTest, scenario: str = THREE) -> str:
    return f"loans::file:{scenario}::{at.session_state['edits'][f'file:{scenario}']['version']}"  # see app.next_version


def edit(at: AppTest, delta: dict, scenario: str = THREE) -> AppTest:
    """What st.data_editor sends when cells are edited, rows added or deleted."""
    full = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **delta}
    at.session_state[loans_key(at, scenario)] = full
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


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


def page_texts(at: AppTest) -> list[str]:
    """Every piece of text the page shows: element bodies, labels, help, options, table headers
    and cells, chart legends and axis titles."""
    out: list[str] = []

    def strings(value, keys=("body", "label", "help", "placeholder", "options", "text", "title", "caption")):
        if isinstance(value, dict):
            for k, v in value.items():
                if k in keys:
                    out.extend(s for s in (v if isinstance(v, list) else [v]) if isinstance(s, str))
                elif isinstance(v, (dict, list)):
                    strings(v, keys)
        elif isinstance(value, list):
            for v in value:
                strings(v, keys)

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None and type(node).__name__ != "Html":  # style sheets and markers, not shown
            data = MessageToDict(proto)
            if "spec" in data:  # a plotly chart: trace names and titles
                spec = json.loads(data["spec"])
                out.extend(d["name"] for d in spec["data"] if isinstance(d.get("name"), str))
            else:
                strings(data)
            config = json.loads(data.get("columns", "{}"))
            strings(config)
            if "arrowData" in data:
                frame = node.value
                out.extend(str(c) for c in frame.columns if "label" not in config.get(str(c), {}))
                shown_as_is = [c for c in frame.select_dtypes(exclude=["number", "bool"]).columns
                               if "options" not in json.dumps(config.get(str(c), {}))]  # a select box shows its labels
                out.extend(str(v) for v in frame[shown_as_is].to_numpy().ravel() if v is not None)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return out


# ---- every page runs -------------------------------------------------------------------------------

@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_scenario_and_view_runs_without_exception(path, lang):
    at = app(path.name, lang)
    ok(at)
    assert at.session_state["headline"]
    for view in VIEWS[1:]:
        at.session_state["view"] = view
        at.run()
        ok(at)


def test_opens_on_the_three_loan_example_in_chinese():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.session_state["scenario_file"] == THREE
    assert "还清" in at.session_state["headline"] and "先联系" in at.session_state["headline"]


# Names of ours that stay as they are in a Chinese page: formats, file kinds, legal abbreviations.
ALLOWED_ASCII = {"TOML", "CSV", "UTF", "BOM", "Excel", "WPS", "LPR", "APR", "English", "legal", "scenarios", "scenario",
                 "schema", "json", "MB", "toml", "PDF", "Word", "ics", "SQLite", "DEBTPLAN", "DB"}


def english_words(at: AppTest, names: set[str]) -> list[tuple[str, list[str]]]:
    """Texts of the page with English words of ours in them (names of loans, lenders and files
    allowed; a command line to type, shown as code, is a command, not a sentence)."""
    found = []
    commands = {c.value for c in at.code if c.value.startswith(("debtplan ", "streamlit "))}
    for text in page_texts(at):
        if text in commands:
            continue
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - ALLOWED_ASCII - names
        if words:
            found.append((text[:120], sorted(words)))
    return found


def scenario_names(*scenarios) -> set[str]:
    names = {w for f in state.scenario_files() for w in re.findall(r"[A-Za-z]+", f)}
    for scenario in scenarios:
        loaded = load_scenario(SCENARIOS / scenario)
        names |= {w for loan in loaded.loans for n in (loan.name, loan.lender_name) for w in re.findall(r"[A-Za-z]+", n)}
    return names


@pytest.mark.parametrize("scenario", [THREE, COUNSELLOR, "private-loan-over-cap.toml", "income-too-low.toml"])
def test_the_chinese_page_has_no_english_sentence_of_ours(scenario):
    names = scenario_names(scenario)
    at = app(scenario, "zh")
    found = []
    for view in VIEWS:
        at.session_state["view"] = view
        at.run()
        ok(at)
        found += [(view, *f) for f in english_words(at, names)]
    assert found == []
    assert any("年" in text and "月" in text for text in page_texts(at))  # months written in Chinese


def test_the_chinese_cases_view_has_no_english_sentence_of_ours(tmp_path, monkeypatch):
    """The Cases view on a case file with every kind of finding: a caseload, a case's drift, next
    steps, notes (a voided agreement, a payment after settlement), and the empty states."""
    from optimizer import casework as cw
    from optimizer.casefile import CaseFile

    from .test_dashboard_cases import build_case_file, cases_app

    monkeypatch.setenv("DEBTPLAN_DB", str(tmp_path / "default" / "cases.db"))
    db = tmp_path / "cases.db"
    build_case_file(db)
    today = dt.date(2027, 3, 10)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("王五", SCENARIOS / THREE), "optimal", dt.date(2026, 12, 1))
        terms = cw.event_terms("agreement", dt.date(2026, 12, 5), monthly="700", months=20, first="2027-01")
        cw.record_event(cf, "王五", "agreement", "京东金条", "2026-12-05", terms, "", today)
        cw.record_payment(cf, "王五", "京东金条", "650", "2027-01-15", "", today)
        settle = cw.event_terms("agreement", dt.date(2026, 12, 5), amount="2500", by="2027-01")
        cw.record_event(cf, "王五", "agreement", "速借小贷", "2026-12-06", settle, "", today)
        cw.record_payment(cf, "王五", "速借小贷", "2500", "2026-12-20", "", today)
        cw.record_event(cf, "王五", "settlement-paid", "速借小贷", "2026-12-21", {}, "", today)
        cw.record_payment(cf, "王五", "速借小贷", "100", "2026-12-21", "", today)
        cw.record_event(cf, "王五", "lawsuit", "360借条", "2027-03-01", {}, "", today)
    names = scenario_names(THREE, "private-loan-over-cap.toml") | set(re.findall(r"[A-Za-z]+", str(tmp_path)))
    names |= {"cases", "db", "notes", "none"}  # the case files' names
    found = []
    at = cases_app(db, "zh", today)
    ok(at)
    cases_seen = [r.case for r in at.session_state["caseload"]]
    warned = []
    for case in cases_seen:
        at.selectbox(key="case_pick").set_value(case).run()
        ok(at)
        found += [(case, *f) for f in english_words(at, names)]
        warned += [case for w in at.warning if w.value]
    assert "王五" in warned  # the notes were on 王五's page (whatever the caseload's order)
    for empty in (tmp_path / "none" / "cases.db", tmp_path / "notes.db"):
        empty.parent.mkdir(exist_ok=True)
        if empty.name == "notes.db":
            empty.write_text("not a database", encoding="utf-8")
        at = cases_app(empty, "zh", today)
        found += [(empty.name, *f) for f in english_words(at, names)]
    assert found == [], found
    assert len(cases_seen) == 3


# ---- sliders ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", ["income-too-low.toml", THREE])
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


def test_the_lawsuit_weight_slider_sets_the_plans_weight():
    at = app()
    at.slider(key=key("w_lawsuit")).set_value(0.37)
    at.session_state["view"] = "export"
    at.run()
    ok(at)
    saved = scenario_from_bytes(at.session_state["scenario_toml"], "saved.toml")
    assert saved.weights.lawsuit == 0.37
    assert at.session_state["plan_csv"] == state.csv_bytes(plan_table("optimal", make_plan(saved).ledger))


def test_sliders_show_yuan_with_separators_and_weights_in_plain_words():
    at = app(lang="zh")
    income = at.slider(key=key("income"))
    assert income.proto.format == "¥%,.0f"
    lawsuit = at.slider(key=key("w_lawsuit"))
    assert lawsuit.proto.format == "¥%.2f" and "逾期一个月" in lawsuit.label and "被起诉" in lawsuit.label


# ---- edits are never lost ---------------------------------------------------------------------------

def test_an_edit_survives_language_view_and_case_switches_and_reset_drops_it():
    at = app()
    before = at.session_state["headline"]
    edit(at, {"edited_rows": {0: {"principal": 9000.0}}})
    ok(at)
    edited = at.session_state["headline"]
    assert edited != before
    expected = load_scenario(SCENARIOS / THREE)
    expected = expected.replace(loans=[{**expected.loans[0].model_dump(by_alias=True), "principal": 9000.0},
                                       *[x.model_dump(by_alias=True) for x in expected.loans[1:]]])
    assert summarize(make_plan(expected)).months_to_debt_free == months_to_debt_free(at)

    at.session_state["lang"] = "zh"
    at.run()
    at.session_state["view"] = "compare"
    at.run()
    at.session_state["lang"] = "en"
    at.session_state["view"] = "plan"
    at.run()
    assert at.session_state["headline"] == edited

    # Another case: asked first, because this one has unsaved edits.
    at.selectbox(key="scenario_pick").set_value("income-too-low.toml").run()
    assert at.session_state["scenario_file"] == THREE
    assert any("not saved it to a file" in w.value for w in at.warning)
    at.button(key="switch_keep").click().run()
    assert at.session_state["scenario_file"] == "income-too-low.toml"
    ok(at)
    at.selectbox(key="scenario_pick").set_value(THREE).run()  # no edits there: no question
    assert at.session_state["scenario_file"] == THREE
    assert at.session_state["headline"] == edited
    assert at.session_state["edits"][f"file:{THREE}"]["table"].loc[0, "principal"] == 9000.0

    at.button(key="reset").click().run()
    assert at.session_state["headline"] == before
    assert at.session_state["edits"][f"file:{THREE}"]["table"].equals(state.loan_table(load_scenario(SCENARIOS / THREE)))


def test_a_slider_move_survives_a_case_switch():
    at = app()
    at.slider(key=key("income")).set_value(9100.0).run()
    at.selectbox(key="scenario_pick").set_value("income-too-low.toml").run()
    at.button(key="switch_keep").click().run()
    at.selectbox(key="scenario_pick").set_value(THREE).run()
    assert at.slider(key=key("income")).value == 9100.0


def test_rates_are_typed_as_percent():
    at = app()
    edit(at, {"edited_rows": {1: {"apr": 24.0}}})  # 京东金条 from 36 % to 24 %
    ok(at)
    at.session_state["view"] = "export"
    at.run()
    saved = scenario_from_bytes(at.session_state["scenario_toml"], "edited.toml")
    assert saved.loans[1].yearly_rate == pytest.approx(0.24)
    assert state.loan_table(load_scenario(SCENARIOS / THREE)).loc[1, "apr"] == pytest.approx(36.0)


def test_status_tags_set_the_loans_flags():
    at = app()
    edit(at, {"edited_rows": {2: {"status": ["abusive_collection", "lawsuit"]}}})  # 速借小贷 is now sued too
    ok(at)
    at.session_state["view"] = "export"
    at.run()
    saved = scenario_from_bytes(at.session_state["scenario_toml"], "edited.toml").loans[2]
    assert saved.lawsuit and saved.abusive_collection and not saved.credit_card


@pytest.mark.parametrize("lang, words", [("en", ["京东金条", "Principal", "negative", "-5"]),
                                         ("zh", ["京东金条", "剩余本金", "负数", "-5"])])
def test_a_negative_amount_is_refused_with_a_message_and_the_plan_stays(lang, words):
    at = app(lang=lang)
    before = at.session_state["headline"]
    edit(at, {"edited_rows": {1: {"principal": -5.0}}})
    assert not at.exception
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and all(w in messages[0] for w in words), messages
    assert at.session_state["headline"] == before
    assert at.get("plotly_chart")  # the last good plan is still drawn
    assert at.session_state["edits"][f"file:{THREE}"]["table"].loc[1, "principal"] == -5.0  # what was typed stays


@pytest.mark.parametrize("lang, words", [("en", ["花呗2", "Lender type", "APR", "Installment", "missing"]),
                                         ("zh", ["花呗2", "机构类型", "年化利率", "月供", "缺少"])])
def test_a_new_row_missing_required_fields_is_named_not_dropped(lang, words):
    at = app(lang=lang)
    edit(at, {"added_rows": [{"name": "花呗2", "principal": 3000.0, "lender_type": None}]})
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and all(w in messages[0] for w in words), messages
    table = at.session_state["edits"][f"file:{THREE}"]["table"]
    assert len(table) == 4 and table.iloc[-1]["name"] == "花呗2"
    # Completing the row makes it a loan of the plan.
    edit(at, {"edited_rows": {3: {"lender_type": "licensed", "apr": 18.0, "installment": 600.0}}})
    ok(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert "花呗2" in [d["name"] for d in spec["data"]]


def test_engine_errors_read_in_chinese():
    bad = (SCENARIOS / THREE).read_text(encoding="utf-8").replace('apr = "36%"', 'apr = "3600%"')
    with pytest.raises(DebtplanError) as caught:
        scenario_from_bytes(bad.encode(), "mine.toml")
    text = error_text(caught.value, "zh")
    assert "mine.toml" in text and "京东金条" in text and "年化利率" in text and "365%" in text
    assert not re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text)
    with pytest.raises(DebtplanError) as caught:
        scenario_from_bytes(b"start = \n", "broken.toml")
    text = error_text(caught.value, "zh")
    assert "broken.toml" in text and "第1行" in text


# ---- the plan view -----------------------------------------------------------------------------------

def test_this_month_card_says_what_to_pay_whom_and_opens_the_script():
    at = app(lang="zh")
    card = [m.value for m in at.markdown if "本月可用于还款" in m.value][0]
    assert "¥4,300.00" in card  # ¥1,000 saved + ¥7,500 income − ¥4,200 essentials (the file's figures)
    result = make_plan(load_scenario(SCENARIOS / THREE))
    lines = [m.value for m in at.markdown if m.value.startswith("- **")][0]
    for name, pay in zip(result.ledger.terms.names, result.ledger.payments[:, 0]):
        assert name in lines and f"还{yuan(pay)}" in lines
    assert at.get("plotly_chart")  # charts come after the card
    first = min(negotiation_targets(load_scenario(SCENARIOS / THREE), with_break_even=False).loans, key=lambda x: x.call_rank)
    assert f"先打电话给：{state.who(first.lender, first.loan, 'zh')}" in " ".join(m.value for m in at.markdown)
    at.button(key="to_script").click().run()
    assert at.session_state["view"] == "negotiate"
    assert at.session_state["script_for"] == first.loan
    assert first.loan in at.code[0].value


def test_loans_keep_one_colour_in_every_chart_and_never_a_risk_colour():
    at = app(COUNSELLOR)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    bars = {d["name"]: d["marker"]["color"] for d in specs[0]["data"]}
    lines = {d["name"]: d["line"]["color"] for d in specs[1]["data"]}
    assert bars == lines and len(set(bars.values())) == 12
    assert not set(bars.values()) & set(charts.CLASS_COLOURS.values())
    assert specs[0]["layout"]["xaxis"]["tickformat"] == "%b %Y"
    assert all(json.loads(c.proto.config)["displayModeBar"] is False for c in at.get("plotly_chart"))


# ---- compare ---------------------------------------------------------------------------------------

def test_cost_parts_add_up_to_the_weighted_cost():
    from optimizer import compare

    scenario = load_scenario(SCENARIOS / COUNSELLOR).replace(legal={"basis": "claim"})
    for name, result in compare(scenario).results.items():
        ledger = result.ledger
        parts = state.cost_parts(ledger)
        assert sum(parts.values()) == pytest.approx(ledger.weighted_cost, abs=1e-6), name
        # Interest weight 1 in this case: the interest part is every yuan of interest, penalty and fees charged.
        assert parts["interest"] == pytest.approx(ledger.interest.sum() + ledger.penalty.sum() + ledger.fees.sum()
                                                  + ledger.terms.settlement_premium, abs=1e-6)
        assert abs(parts["other"]) < 0.01, (name, parts)  # every yuan of the cost is named


def test_compare_explains_why_optimal_pays_more_and_its_numbers_sort_as_numbers():
    at = app(THREE)
    at.slider(key=key("income")).set_value(6000.0)
    at.session_state["view"] = "compare"
    at.run()
    ok(at)
    from optimizer import compare

    results = compare(load_scenario(SCENARIOS / THREE).replace(income=6000.0)).results
    paid = {name: r.ledger.payments.sum() for name, r in results.items()}
    cost = {name: r.ledger.weighted_cost for name, r in results.items()}
    # With ¥6,000 a month the optimal plan pays more than avalanche, and costs less in all…
    assert paid["optimal"] > paid["avalanche"] + 0.5 and cost["optimal"] < cost["avalanche"]
    info = " ".join(i.value for i in at.info)
    assert f"pays ¥{paid['optimal'] - paid['avalanche']:,.0f} more than avalanche" in info
    # What it buys, worked out from the ledgers: overdue yuan-months on loans sued or in enforcement.
    sued = {name: float((r.ledger.overdue[:, 1:] * (r.ledger.stages[:, 2, 1:] | r.ledger.stages[:, 3, 1:])).sum())
            for name, r in results.items()}
    assert sued["avalanche"] - sued["optimal"] > 0
    assert f"{sued['avalanche'] - sued['optimal']:,.0f} fewer overdue ¥·months on lawsuit / enforcement loans" in info
    frame = next(d.value for d in at.dataframe if "Plan" in d.value.columns)
    numeric = [c for c in frame.columns if c not in ("Plan", "Debt-free")]
    assert all(pd.api.types.is_float_dtype(frame[c]) for c in numeric)
    text = " ".join(page_texts(at))
    assert "-0.00" not in text and "None" not in text and "nan" not in text.lower().split()
    assert "Total cost" in text and "interest, penalty and fees" in text and "sued loan" in text


# ---- negotiate: the script copies only what may be said ---------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_copyable_script_never_holds_the_private_limit(lang):
    at = app(THREE, lang, "negotiate")
    ok(at)
    full = negotiation_targets(load_scenario(SCENARIOS / THREE))
    for target in sorted(full.loans, key=lambda x: x.call_rank):
        at.selectbox(key="script_for").set_value(target.loan).run()
        copyable = at.code[0].value
        private = " ".join(m.value for m in at.markdown)
        assert target.loan in copyable
        assert yuan(target.break_even) not in copyable
        assert yuan(target.break_even) in private
        assert copyable == months_in_words(script_for_lender(full, target, lang), lang)
        assert months_in_words(notes_for_borrower(full, target, lang)[1], lang) in private
    frames = [d.value for d in at.dataframe if "name" not in d.value.columns]  # not the loan editor
    assert all(pd.api.types.is_numeric_dtype(f[c]) for f in frames for c in f.columns
               if c not in ("Loan", "Lender", "借款", "出借方"))


def test_every_script_step_is_either_said_or_a_note():
    from optimizer.scripts import _WORDS, NOTES_FOR_BORROWER, SAID_TO_LENDER

    for lang in ("zh", "en"):
        assert set(_WORDS[lang]) - {"title", "title_no_call"} == SAID_TO_LENDER | NOTES_FOR_BORROWER  # headings
    assert not SAID_TO_LENDER & NOTES_FOR_BORROWER


# ---- exports -------------------------------------------------------------------------------------

def test_downloaded_csv_equals_the_clis_for_the_same_inputs(tmp_path):
    at = app()
    at.slider(key=key("income")).set_value(8200.0)
    at.slider(key=key("w_credit")).set_value(0.08)
    at.session_state["view"] = "export"
    at.run()
    ok(at)
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


def test_chinese_csv_headers_are_an_option_and_english_stays_the_default():
    at = app(lang="zh", view="export")
    english = at.session_state["plan_csv"].decode("utf-8-sig").splitlines()[0]
    assert english == "strategy,month,loan,payment,interest,penalty,fees,balance,overdue"
    at.checkbox(key="zh_headers").check().run()
    chinese = at.session_state["plan_csv"].decode("utf-8-sig").splitlines()[0]
    assert chinese == "方案,月份,借款,还款,利息,罚息,费用,余额,逾期金额"
    compare = pd.read_csv(io.BytesIO(at.session_state["compare_csv"]), encoding="utf-8-sig")
    assert "逾期月数[360借条]" in compare.columns and "加权成本" in compare.columns
    targets = negotiation_targets(load_scenario(SCENARIOS / THREE)).table()
    headers = pd.read_csv(io.BytesIO(state.csv_bytes(targets, (CSV_HEADERS["zh"], CSV_VALUES["zh"]))),
                          encoding="utf-8-sig").columns
    assert not [h for h in headers if re.search(r"[A-Za-z]", h)]
    assert not [h for h in compare.columns if re.search(r"[A-Za-z]", h)]
    assert set(compare["方案"]) >= {"最优方案", "协商成功后"}


def test_file_names_carry_the_case_title_and_the_date():
    name = state.file_name("Three overdue loans: one sued", "还款计划", "csv", dt.date(2026, 12, 3))
    assert name == "Three-overdue-loans-one-sued_还款计划_2026-12-03.csv"
    assert state.file_name("", "plan", "csv", dt.date(2026, 1, 2)) == "debtplan_plan_2026-01-02.csv"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_scripts_text_holds_every_lender_and_no_limit(lang):
    full = negotiation_targets(load_scenario(SCENARIOS / THREE))
    text = state.scripts_text(full, lang)
    for target in full.loans:
        assert target.lender in text and yuan(target.break_even) not in text


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


def test_fold_edits_applies_cells_additions_and_deletions():
    table = state.loan_table(load_scenario(SCENARIOS / THREE))
    folded, nxt = state.fold_edits(table, {"edited_rows": {"2": {"principal": 2500}}, "added_rows": [{"name": "x"}],
                                           "deleted_rows": [0]}, 10_000)
    assert list(folded.index) == [1, 2, 10_000] and nxt == 10_001
    assert folded.loc[2, "principal"] == 2500.0 and folded.loc[10_000, "name"] == "x"
    assert folded.loc[10_000, "status"] == [] and folded.loc[1, "status"] == ["credit_reported"]


def test_month_names():
    assert month_name("2027-01", "zh") == "2027年1月" and month_name("2027-01", "en") == "Jan 2027"
    assert months_in_words("从2026-12开始，2027-02前", "zh") == "从2026年12月开始，2027年2月前"


def test_privacy_config():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] <= 5


def test_letters_and_calendar_download_from_negotiate_and_export():
    # The buttons hand over the same files `debtplan letters` and `debtplan calendar` make.
    import zipfile

    from optimizer.calendar_export import payment_calendar
    from optimizer.documents import letter_files

    def labels(at):
        return [b.label for b in at.get("download_button")]

    assert not any("协商申请书" in label for label in labels(app(THREE, "zh", "plan")))
    for view in ("negotiate", "export"):
        at = app(THREE, "zh", view)
        ok(at)
        assert any("协商申请书" in label for label in labels(at)) and any(".ics" in label for label in labels(at))
    targets = negotiation_targets(load_scenario(SCENARIOS / THREE), with_break_even=False)
    files = letter_files(targets, "zh")
    archive = zipfile.ZipFile(io.BytesIO(state.zip_bytes(files)))
    assert sorted(archive.namelist()) == sorted(files) and all(archive.read(n) == files[n] for n in files)
    assert payment_calendar(targets, "zh").startswith(b"BEGIN:VCALENDAR")


def test_a_capped_installment_kept_current_is_a_warning_on_the_plan_view():
    # The same warning as the command line's (tests/test_escalation.py works out the figures).
    at = app(THREE, "zh")
    ok(at)
    assert any("京东金条" in w.value and "低于合同每期¥1,205.55" in w.value for w in at.warning)
