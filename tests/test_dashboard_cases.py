"""The dashboard's Cases view through Streamlit's AppTest, on real SQLite case files made here
through casework: the caseload, one case's actual against plan (the chart's numbers and the drift
checked against the plan's own rows read from the file with sqlite3 and the payments recorded
here), next steps, filters, an empty state that creates nothing, both languages."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts
from dashboard.i18n import yuan
from optimizer import casework as cw
from optimizer.casefile import CaseFile

from .conftest import ROOT, SCENARIOS

APP = str(ROOT / "dashboard" / "app.py")
THREE = SCENARIOS / "three-overdue-loans.toml"
LOANS = ("360借条", "京东金条", "速借小贷")  # the scenario's order: the charts' colours
TODAY = dt.date(2027, 3, 10)  # December to February closed, March open
SHORT = 500.0  # what the February payment to 360借条 falls short of the plan


@pytest.fixture(autouse=True)
def _no_real_case_file(tmp_path, monkeypatch):
    # Never the user's own case file: the default location and $DEBTPLAN_DB point into tmp_path.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("DEBTPLAN_DB", str(tmp_path / "default" / "cases.db"))


def planned_rows(db: Path, case: str) -> dict[tuple[str, str], float]:
    """The first plan stored for ``case``, read straight from the file: (month, loan) -> payment."""
    with sqlite3.connect(db) as conn:
        text = conn.execute("SELECT plan_csv FROM plans JOIN cases ON cases.id = plans.case_id "
                            "WHERE cases.name = ? ORDER BY plans.id LIMIT 1", (case,)).fetchone()[0]
    return {(r["month"], r["loan"]): float(r["payment"]) for r in csv.DictReader(io.StringIO(text))}


def build_case_file(db: Path, today: dt.date = TODAY, scenario: Path = THREE, start: dt.date | None = None,
                    ) -> list[tuple[str, str, float]]:
    """Case "张三" from ``scenario``: three closed months paid as planned except 360借条 ¥500 short
    in the last one, 京东金条 paid at least the ¥700 agreed from the second month (agreement recorded
    in the first), and case "李四" (a private loan, enforcement recorded). Returns the payments
    recorded: (day, loan, amount)."""
    start = start or dt.date(2026, 12, 1)
    months = [dt.date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1) for k in range(3)]
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("张三", scenario), "optimal", start)
        plan = planned_rows(db, "张三")
        second = months[1].strftime("%Y-%m")
        terms = cw.event_terms("agreement", months[0].replace(day=20), monthly="700", months=20, first=second)
        cw.record_event(cf, "张三", "agreement", "京东金条", months[0].replace(day=20).isoformat(), terms, "", today)
        paid = []
        for k, month in enumerate(months):
            label = month.strftime("%Y-%m")
            for loan in LOANS:
                amount = round(plan.get((label, loan), 0.0), 2)
                if loan == "京东金条" and k >= 1:
                    amount = max(amount, 700.0)
                if loan == "360借条" and k == 2:
                    assert amount > SHORT, "the plan pays 360借条 in the last month"
                    amount = round(amount - SHORT, 2)
                if amount > 0:
                    day = month.replace(day=10).isoformat()
                    cw.record_payment(cf, "张三", loan, f"{amount:.2f}", day, "", today)
                    paid.append((day, loan, amount))
        cw.new_case(cf, cw.read_import("李四", SCENARIOS / "private-loan-over-cap.toml"), "optimal", start)
        cw.record_event(cf, "李四", "enforcement", "私人借款", (today - dt.timedelta(days=20)).isoformat(), {}, "", today)
    return paid


@pytest.fixture(scope="module")
def case_db(tmp_path_factory) -> tuple[Path, list[tuple[str, str, float]]]:
    db = tmp_path_factory.mktemp("office") / "cases.db"
    return db, build_case_file(db)


def cases_app(db: Path | str, lang: str, today: dt.date = TODAY) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["lang"] = lang
    at.session_state["view"] = "cases"
    at.session_state["case_db"] = str(db)
    at.session_state["case_today"] = today
    return at.run()


def ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def traces(at: AppTest) -> list[dict]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec["data"]


def values(trace: dict, key: str) -> list:
    data = trace[key]
    if isinstance(data, dict):  # plotly's base64 arrays
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"])).tolist()
    return list(data)


def table(at: AppTest, first_column: str):
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


# ---- the caseload -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_caseload_lists_every_case_most_urgent_first(case_db, lang):
    db, _ = case_db
    at = cases_app(db, lang)
    ok(at)
    frame = table(at, "案件" if lang == "zh" else "Case")
    # 李四's enforcement 20 days ago (urgency 80) comes before 张三's missed payment (60).
    assert [c.removeprefix("☎ ") for c in frame.iloc[:, 0]] == ["李四", "张三"]
    assert all(c.startswith("☎ ") for c in frame.iloc[:, 0])  # both need a call
    top = dict(zip([c.removeprefix("☎ ") for c in frame.iloc[:, 0]], frame.iloc[:, 2]))
    assert top["李四"].startswith("私人借款：2027年2月18日进入强制执行" if lang == "zh" else "私人借款: enforcement began on 2027-02-18")
    owed = frame["欠款" if lang == "zh" else "Owed"].tolist()
    assert all(v > 0 for v in owed)
    texts = " ".join(m.value for m in at.markdown)
    assert ("共2个案件，其中2个需要打电话" if lang == "zh" else "2 case(s), 2 need a call") in texts
    assert str(db) in " ".join(c.value for c in at.caption)  # says which file it reads


def test_search_and_stage_filter_narrow_the_caseload(case_db):
    db, _ = case_db
    at = cases_app(db, "zh")
    at.text_input(key="case_search").input("某小额贷款").run()  # a lender of 张三's
    ok(at)
    assert [r.case for r in at.session_state["caseload"]] == ["张三"]
    at.text_input(key="case_search").input("").run()
    at.selectbox(key="case_stage::zh").set_value("enforcement").run()
    assert [r.case for r in at.session_state["caseload"]] == ["李四"]
    at.selectbox(key="case_stage::zh").set_value("agreement").run()
    assert [r.case for r in at.session_state["caseload"]] == ["张三"]
    at.selectbox(key="case_stage::zh").set_value(None).run()
    at.text_input(key="case_search").input("王五").run()
    assert at.session_state["caseload"] == [] and any("没有符合条件的案件" in i.value for i in at.info)


# ---- one case: actual against plan --------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_actual_against_plan_chart_and_drift_match_the_records(case_db, lang):
    db, paid = case_db
    at = cases_app(db, lang)
    at.selectbox(key="case_pick").set_value("张三").run()
    ok(at)
    plan = planned_rows(db, "张三")
    closed = ("2026-12", "2027-01", "2027-02")
    bars = {d["name"]: d for d in traces(at) if d["type"] == "bar"}
    dashes = {d["name"]: d for d in traces(at) if d["type"] == "scatter"}
    # The bars: every payment recorded, to the fen, in its month and loan.
    assert sum(sum(values(b, "y")) for b in bars.values()) == pytest.approx(sum(a for _, _, a in paid), abs=0.005)
    for loan, bar in bars.items():
        by_month = dict(zip(values(bar, "x"), values(bar, "y")))
        for month in closed:
            mine = sum(a for day, name, a in paid if name == loan and day.startswith(month))
            assert by_month.get(month, 0.0) == pytest.approx(mine, abs=0.005), (loan, month)
    # The dashes: the plan's own rows, March (open) included.
    for name, dash in dashes.items():
        loan = name.split(" · ")[0]
        for month, y in zip(values(dash, "x"), values(dash, "y")):
            assert y == pytest.approx(plan.get((month, loan), 0.0), abs=0.005), (loan, month)
    # Each loan in the colour it has in every other chart (its place in the scenario).
    assert {name: bar["marker"]["color"] for name, bar in bars.items()} == {
        loan: charts.loan_colour(LOANS.index(loan)) for loan in bars}
    # The drift: planned minus paid over the closed months, worked out here.
    behind = {loan: round(sum(plan.get((m, loan), 0.0) for m in closed)
                          - sum(a for day, name, a in paid if name == loan and day[:7] in closed), 2) for loan in LOANS}
    assert behind["360借条"] >= SHORT - 0.005  # the short February payment shows
    frame = table(at, "借款" if lang == "zh" else "Loan")
    column = "落后计划" if lang == "zh" else "Behind plan"
    assert dict(zip(frame.iloc[:, 0], frame[column])) == pytest.approx(behind, abs=0.005)
    lines = " ".join(m.value for m in at.markdown)
    for loan, amount in behind.items():
        if abs(amount) >= 0.005:
            word = ("落后计划" if amount > 0 else "超前计划") if lang == "zh" else ("behind plan" if amount > 0 else "ahead of plan")
            expected = f"{word}{yuan(abs(amount))}" if lang == "zh" else f"{yuan(abs(amount))} {word}"
            assert f"{loan}{'：' if lang == 'zh' else ': '}{expected}" in lines
    # Stages in the drift and the next step for the short payment.
    assert ("2026年12月起达成协议" if lang == "zh" else "agreement since Dec 2026") in lines
    assert (f"360借条：2027年2月比计划少还{yuan(SHORT)}" if lang == "zh"
            else f"360借条: {yuan(SHORT)} short of plan in Feb 2027") in lines
    assert [c.value for c in at.code if "case pay '张三'" in c.value]  # how to record, for this case


def test_a_missed_agreed_installment_is_the_first_next_step_and_a_note(tmp_path):
    db = tmp_path / "cases.db"
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("王五", THREE), "optimal", dt.date(2026, 12, 1))
        terms = cw.event_terms("agreement", dt.date(2026, 12, 5), monthly="700", months=20, first="2027-01")
        cw.record_event(cf, "王五", "agreement", "京东金条", "2026-12-05", terms, "", TODAY)
        cw.record_payment(cf, "王五", "京东金条", "700", "2027-01-15", "", TODAY)
        cw.record_payment(cf, "王五", "京东金条", "650", "2027-02-15", "", TODAY)
    at = cases_app(db, "zh")
    ok(at)
    steps = next(m.value for m in at.markdown if m.value.startswith("- ") and "下一步" not in m.value)
    assert steps.splitlines()[0].startswith("- 京东金条：2027年2月约定的分期款没有付足（差¥50.00）")
    warning = " ".join(w.value for w in at.warning)
    assert "协议因此失效" in warning and "京东金条" in warning
    assert table(at, "案件").iloc[0, 1] == cw.URGENCY["agreement broken"]


# ---- nothing is created that the user did not ask for -------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_case_file_shows_how_to_make_one_and_creates_nothing(tmp_path, lang):
    missing = tmp_path / "nowhere" / "cases.db"
    at = cases_app(missing, lang)
    ok(at)
    assert not missing.exists() and not missing.parent.exists()
    assert str(missing) in " ".join(i.value for i in at.info)
    assert any(c.value.startswith("debtplan case new 张三 --from scenarios/three-overdue-loans.toml") for c in at.code)
    assert not at.get("plotly_chart")


def test_the_default_case_file_is_found_as_the_cli_finds_it_and_not_created(tmp_path, monkeypatch):
    # No --db: $DEBTPLAN_DB, as `debtplan case` reads it.
    monkeypatch.setenv("DEBTPLAN_DB", str(tmp_path / "env" / "cases.db"))
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["view"] = "cases"
    at.run()
    ok(at)
    assert at.session_state["case_db"].endswith(str(tmp_path / "env" / "cases.db"))
    assert not (tmp_path / "env").exists()


def test_an_empty_case_file_says_so(tmp_path):
    db = tmp_path / "cases.db"
    CaseFile(str(db)).close()  # made by the user, no case yet
    at = cases_app(db, "zh")
    ok(at)
    assert any("还没有案件" in i.value for i in at.info)


def test_a_file_that_is_not_a_case_file_is_an_error_and_stays_unchanged(tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("my notes", encoding="utf-8")
    at = cases_app(bad, "zh")
    assert not at.exception
    assert any("不能用作案件库" in e.value for e in at.error)
    assert bad.read_text(encoding="utf-8") == "my notes"


# ---- the rest of the page is not disturbed ---------------------------------------------------------

def test_the_sidebar_inputs_survive_a_visit_to_the_cases_view(case_db):
    db, _ = case_db
    at = cases_app(db, "en")
    at.session_state["view"] = "plan"
    at.run()
    at.slider(key="income::file:three-overdue-loans.toml").set_value(9100.0).run()
    at.session_state["view"] = "cases"
    at.run()
    ok(at)
    at.session_state["view"] = "plan"
    at.run()
    ok(at)
    assert at.slider(key="income::file:three-overdue-loans.toml").value == 9100.0


def test_start_options_read_db_and_today_like_the_cli():
    from dashboard.cases import start_options

    assert start_options(["--db", "x.db", "--today", "2027-03-10"]) == ("x.db", dt.date(2027, 3, 10))
    assert start_options([]) == (None, None)
    assert start_options(["--today", "March"]) == (None, None)


# ---- recording a payment on the page -------------------------------------------------------------

def payment_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT loan, paid_on, amount_fen FROM payments ORDER BY id").fetchall()


def submit_payment(at: AppTest, loan: str, amount: str, day: dt.date) -> AppTest:
    at.selectbox(key="pay_loan").set_value(loan)
    at.text_input(key="pay_amount").input(amount)
    at.date_input(key="pay_date").set_value(day)
    return at.button(key="pay_submit").click().run()


def test_a_payment_recorded_on_the_page_is_in_the_file_and_the_chart(tmp_path):
    db = tmp_path / "cases.db"
    build_case_file(db)
    before = payment_rows(db)
    at = cases_app(db, "zh")
    at.selectbox(key="case_pick").set_value("张三").run()
    submit_payment(at, "京东金条", "1,234.56", dt.date(2027, 3, 8))
    ok(at)
    assert payment_rows(db) == before + [("京东金条", "2027-03-08", 123456)]
    assert any("已记录：2027-03-08付给京东金条¥1,234.56" in s.value for s in at.success)
    bar = next(d for d in traces(at) if d["type"] == "bar" and d["name"] == "京东金条")
    assert dict(zip(values(bar, "x"), values(bar, "y")))["2027-03"] == pytest.approx(1234.56, abs=0.005)


@pytest.mark.parametrize("amount, day, words", [
    ("12.345", dt.date(2027, 3, 8), "金额「12.345」不对"),  # three decimals
    ("0", dt.date(2027, 3, 8), "金额「0」不对"),
    ("", dt.date(2027, 3, 8), "金额「」不对"),
    ("500", dt.date(2026, 11, 30), "早于案件开始（2026年12月）"),
])
def test_a_refused_payment_writes_nothing_and_says_why_in_chinese(tmp_path, amount, day, words):
    db = tmp_path / "cases.db"
    build_case_file(db)
    before = payment_rows(db)
    at = cases_app(db, "zh")
    at.selectbox(key="case_pick").set_value("张三").run()
    submit_payment(at, "360借条", amount, day)
    assert not at.exception
    assert [e.value for e in at.error] and words in at.error[0].value, [e.value for e in at.error]
    assert payment_rows(db) == before
