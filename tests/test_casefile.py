"""The case file on real SQLite files: re-plan from today to the fen, agreements kept, a killed
writer, migrations, owner-only files, complete deletion, backups, and the ``debtplan case`` CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer import casework as cw
from optimizer.casefile import MIGRATIONS, SCHEMA_VERSION, CaseFile
from optimizer.errors import (
    BadAmount,
    CaseExists,
    DatabaseTooNew,
    DatabaseUnusable,
    DateBeforeCase,
    LoanSettled,
    UnsupportedDatabase,
)
from optimizer.ledger import replay
from optimizer.scenario import load_scenario, scenario_from_bytes
from optimizer.terms import plan_terms

from .conftest import ROOT, SCENARIOS, SHIPPED, run_cli

THREE = SCENARIOS / "three-overdue-loans.toml"
LOANS = ("360借条", "京东金条", "速借小贷")


@pytest.fixture(autouse=True)
def _no_real_case_file(tmp_path, monkeypatch):
    # Never let a test touch the user's own case file: the default location moves into tmp_path.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("DEBTPLAN_DB", str(tmp_path / "default" / "cases.db"))


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "office" / "cases.db"


def claim_scenario(tmp_path: Path) -> Path:
    """The three-loan case planned on the lender's claim (so the plan's opening is the claim)."""
    path = tmp_path / "three-claim.toml"
    path.write_text(THREE.read_text(encoding="utf-8") + '\n[legal]\nbasis = "claim"\n', encoding="utf-8")
    return path


# Three months of payments, the January one to 京东金条 short (400 against a ¥1,205.55 installment),
# the December one to 360借条 in two parts; 速借小贷 gets nothing in February.
PAID = {
    "2026-12": {"360借条": (1000, 500), "京东金条": (1205.55,), "速借小贷": (600,)},
    "2027-01": {"360借条": (1500,), "京东金条": (400,), "速借小贷": (600,)},
    "2027-02": {"360借条": (1500,), "京东金条": (1205.55,)},
}


def record_three_months(cf: CaseFile, name: str, today: dt.date) -> np.ndarray:
    """Record PAID; return the same payments as a matrix, built by hand for the check."""
    matrix = np.zeros((3, 3))
    for t, (month, by_loan) in enumerate(PAID.items()):
        for loan, amounts in by_loan.items():
            for k, amount in enumerate(amounts):
                cw.record_payment(cf, name, loan, f"{amount}", f"{month}-{10 + k:02d}", "", today)
                matrix[LOANS.index(loan), t] += amount
    return matrix


def first_months(terms, k: int):
    """The terms of a plan's first k months, as they happened: the ledger replays just those, and
    predicts no stage (a report, suit or acceleration is a recorded event, not a forecast)."""
    return terms._replace(months=terms.months[:k], schedule=terms.schedule[:, : k + 1], net=terms.net[:k],
                          stage_days=np.full_like(terms.stage_days, 10**6),
                          enforcement_months=np.full_like(terms.enforcement_months, 10**6))


def stored_scenario(cf: CaseFile, name: str, number: int | None = None):
    data = cf.load(name)
    version = data.versions[-1] if number is None else next(v for v in data.versions if v.number == number)
    return scenario_from_bytes(version.toml.encode("utf-8"), "stored"), data


# ---- re-plan from today ------------------------------------------------------------------------


def test_replan_opens_at_the_ledger_replay_of_what_was_paid_to_the_fen(tmp_path, db):
    source = claim_scenario(tmp_path)
    original = load_scenario(source)
    today = dt.date(2027, 3, 12)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("round trip", source), "optimal", dt.date(2026, 12, 1))
        paid = record_three_months(cf, "round trip", today)
        done = cw.replan(cf, "round trip", today)
        new, data = stored_scenario(cf, "round trip")

    # Expected, independently: the original scenario's own terms cut to their first three months,
    # the payments as a matrix built by hand, replayed by the ledger.
    ledger = replay(first_months(plan_terms(original), 3), paid)
    expected = ledger.balance[:, 3]
    assert (expected > 1000).all()  # nothing was cleared: all three carry on

    assert new.start == dt.date(2027, 3, 1)
    assert [loan.name for loan in new.loans] == list(LOANS)
    opening = plan_terms(new).opening
    assert np.abs(opening - expected).max() <= 0.005
    # Each part to the fen too (fees, penalty, interest, principal in the ledger's order).
    for i, loan in enumerate(new.loans):
        got = (loan.fees_owed, loan.penalty_owed, loan.interest_owed, loan.principal)
        assert np.abs(np.array(got) - ledger.parts[i]).max() <= 0.01, loan.name
    # Money: ¥1,000 on hand + 3 × (7,500 − 4,200) − what was paid.
    assert new.cash_on_hand == pytest.approx(1000 + 3 * 3300 - paid.sum(), abs=0.005)
    # 360借条 and 京东金条 stayed behind every month: their days overdue go on counting from 95 and 45.
    assert [loan.days_overdue for loan in new.loans][:2] == [95 + 90, 45 + 90]

    # The plan stored with it starts from that opening: month 1's balance = opening + charges − payment.
    plan = pd.read_csv(io.StringIO(data.plans[-1].plan_csv), dtype={"month": str})
    first = plan[plan["month"] == "2027-03"].set_index("loan").loc[list(LOANS)]
    rebuilt = first["balance"] - first["interest"] - first["penalty"] + first["payment"]
    assert np.abs(rebuilt.to_numpy() - expected).max() <= 0.02
    assert data.plans[-1].start_month == "2027-03" and done.version == 2


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_scenario_replans_to_the_fen(tmp_path, db, path):
    # Each loan paid its installment in month 1, half of it in month 2, nothing in month 3.
    source = tmp_path / path.name
    text = path.read_text(encoding="utf-8")
    source.write_text(text + ("" if "[legal]" in text else '\n[legal]\nbasis = "claim"\n'), encoding="utf-8")
    original = load_scenario(source)
    original = original if original.legal.basis == "claim" else original.replace(legal={"basis": "claim"})
    source.write_text(cw.scenario_toml(original), encoding="utf-8")
    start = original.start
    today = dt.date(start.year + (start.month + 2) // 12, (start.month + 2) % 12 + 1, 20)
    paid = np.zeros((len(original.loans), 3))
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("shipped", source), "minimum", start)
        for i, loan in enumerate(original.loans):
            amount = round(max(loan.installment_amount, 100.0), 2)
            for t, share in ((0, 1.0), (1, 0.5)):
                part = round(amount * share, 2)
                day = dt.date(start.year + (start.month + t - 1) // 12, (start.month + t - 1) % 12 + 1, 9)
                cw.record_payment(cf, "shipped", loan.name, f"{part:.2f}", day.isoformat(), "", today)
                paid[i, t] = part
        state = cw.case_state(cf.load("shipped"), today)
    ledger = replay(first_months(plan_terms(original), 3), paid)
    owing = ledger.balance[:, 3] > 0
    names = [name for name, keep in zip(ledger.terms.names, owing) if keep]
    assert [loan.name for loan in state.scenario.loans] == names
    assert np.abs(plan_terms(state.scenario).opening - ledger.balance[owing, 3]).max() <= 0.005
    # Money goes on from month 4 of the original schedule (a step in April 2027 stays a step).
    for field in ("income", "essentials"):
        assert state.scenario.monthly(field)[:9] == original.monthly(field)[3:12]


def test_on_the_legal_cap_the_replanned_scenario_states_the_lenders_claim(tmp_path, db):
    # Shipped scenario, planned on the legal cap (the default): the new scenario carries what the
    # lender claims (the original terms replayed on the claim), and the plan caps it like any scenario.
    today = dt.date(2027, 3, 12)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("cap", THREE), "optimal", dt.date(2026, 12, 1))
        paid = record_three_months(cf, "cap", today)
        replanned = cw.replan(cf, "cap", today)
        new, _ = stored_scenario(cf, "cap")
    # Stored as a new version: a plan whose checks fail is not stored (this test once read v1).
    assert replanned.result.check_problems == () and replanned.version == 2
    original = load_scenario(THREE)
    assert original.legal.basis == "cap" and new.legal.basis == "cap"
    ledger = replay(first_months(plan_terms(original.replace(legal={"basis": "claim"})), 3), paid)
    stated = np.array([loan.total_owed for loan in new.loans])
    assert np.abs(stated - ledger.balance[:, 3]).max() <= 0.005
    capped = plan_terms(new).opening
    assert (capped <= stated + 1e-9).all()
    assert np.allclose([loan.principal for loan in new.loans], ledger.parts[:, 3], atol=0.01)


def test_a_loan_paid_off_leaves_the_replan_and_its_payments_count(tmp_path, db):
    today = dt.date(2027, 2, 3)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("clear", claim_scenario(tmp_path)), "optimal", dt.date(2026, 12, 1))
        # 速借小贷 owes 3,500 now; with December's interest (36.5 %/12 on 3,500) and penalty (half
        # that rate on the ~2,550 overdue) it owes about 3,645, so ¥3,700 clears it with some to spare.
        cw.record_payment(cf, "clear", "速借小贷", "3700", "2026-12-15", "", today)
        state = cw.case_state(cf.load("clear"), today)
    assert [loan.name for loan in state.scenario.loans] == ["360借条", "京东金条"]
    closed = {s.name: s.closed for s in state.loans}
    assert closed["速借小贷"] == "cleared 2026-12"
    assert any("more was paid to 速借小贷 than it was owed" in note for note in state.notes)
    # The overpayment left the client's pocket: cash is 1,000 + 2 × 3,300 − 3,700.
    assert state.scenario.cash_on_hand == pytest.approx(1000 + 2 * 3300 - 3700, abs=0.005)


def test_paying_ahead_then_skipping_a_month_is_a_month_behind_in_the_replan(tmp_path, db):
    # A performing loan: ¥6,000 left, six installments of ¥1,000, no interest. December is paid
    # twice over, January not at all: the balance is on schedule (¥4,000 with four to go), but
    # January's installment was not paid, and paying ahead does not excuse a later installment.
    # So the replan starts from one month behind: 30 days overdue (by hand), and the case says so.
    path = tmp_path / "ahead.toml"
    path.write_text('start = "2026-12"\nhorizon_months = 12\nincome = 5000\nessentials = 3500\n\n'
                    '[[loans]]\nname = "微粒贷"\nprincipal = 6000\napr = 0\ninstallment = 1000\n'
                    'installments_left = 6\n', encoding="utf-8")
    today = dt.date(2027, 2, 3)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("ahead", path), "optimal", dt.date(2026, 12, 1))
        cw.record_payment(cf, "ahead", "微粒贷", "2000", "2026-12-10", "", today)
        state = cw.case_state(cf.load("ahead"), today)
    loan = state.scenario.loans[0]
    assert loan.principal == pytest.approx(4000, abs=0.005)
    assert loan.days_overdue == 30
    assert [s.months_behind for s in state.loans] == [1]


def test_events_set_stages_income_and_settlement(tmp_path, db):
    today = dt.date(2027, 3, 20)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("events", THREE), "optimal", dt.date(2026, 12, 1))
        cw.record_event(cf, "events", "credit-reported", "速借小贷", "2027-02-03", {}, "", today)
        cw.record_event(cf, "events", "lawsuit", "京东科技", "2027-03-02", {}, "", today)  # by lender
        cw.record_event(cf, "events", "income", None, "2027-02-01",
                        cw.event_terms("income", today, amount="5000"), "", today)
        cw.record_event(cf, "events", "settlement-paid", "速借小贷", "2027-03-05", {}, "", today)
        with pytest.raises(LoanSettled):
            cw.record_payment(cf, "events", "速借小贷", "100", "2027-04-02", "", dt.date(2027, 4, 3))
        state = cw.case_state(cf.load("events"), today)
        later = cw.case_state(cf.load("events"), dt.date(2027, 4, 3))
    loans = {loan.name: loan for loan in state.scenario.loans}
    assert loans["京东金条"].lawsuit and loans["速借小贷"].credit_reported
    # Settled on 2027-03-05: still in March's scenario (paid that month), gone from April's.
    assert "速借小贷" in loans and "速借小贷" not in [loan.name for loan in later.scenario.loans]
    # Income ¥5,000 from February, no payments recorded: cash = 1,000 + 2 × 3,300 + (5,000 − 4,200).
    assert state.scenario.income == 5000
    assert state.scenario.cash_on_hand == pytest.approx(1000 + 2 * 3300 + 800, abs=0.005)
    stages = {s.name: dict(s.stages) for s in state.loans}
    assert stages["速借小贷"]["reported"] == "2027-02" and stages["京东金条"]["sued"] == "2027-03"


def test_an_acceleration_in_a_closed_month_splits_the_replay(tmp_path, db):
    # 京东金条 accelerated on 2027-01-12: from January its whole balance is overdue, so it
    # accrues more penalty than the same payments on the contract schedule.
    source = claim_scenario(tmp_path)
    today = dt.date(2027, 3, 12)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("plain", source), "minimum", dt.date(2026, 12, 1))
        cw.new_case(cf, cw.read_import("accel", source), "minimum", dt.date(2026, 12, 1))
        for name in ("plain", "accel"):
            record_three_months(cf, name, today)
        cw.record_event(cf, "accel", "accelerated", "京东金条", "2027-01-12", {}, "", today)
        plain = cw.case_state(cf.load("plain"), today)
        accel = cw.case_state(cf.load("accel"), today)
    owed = {s.name: s.owed for s in plain.loans}, {s.name: s.owed for s in accel.loans}
    assert owed[1]["京东金条"] > owed[0]["京东金条"] + 10
    assert owed[1]["360借条"] == owed[0]["360借条"] and owed[1]["速借小贷"] == owed[0]["速借小贷"]
    loan = {loan.name: loan for loan in accel.scenario.loans}["京东金条"]
    assert loan.accelerated and dict(next(s for s in accel.loans if s.name == "京东金条").stages)["accelerated"] == "2027-01"
    # December was replayed on the contract terms in both cases: the same cash either way.
    assert accel.scenario.cash_on_hand == plain.scenario.cash_on_hand


def test_an_agreement_event_makes_every_later_plan_pay_that_installment_in_full_every_month(db):
    monthly, months, first = 700.0, 20, dt.date(2027, 1, 1)
    agreed = {f"{m.year}-{m.month:02d}" for m in (dt.date(2027 + (k // 12), 1 + k % 12, 1) for k in range(months))}
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("deal", THREE), "optimal", dt.date(2026, 12, 1))
        terms = cw.event_terms("agreement", dt.date(2026, 12, 5), monthly="700", months=months, first="2027-01")
        cw.record_event(cf, "deal", "agreement", "京东金条", "2026-12-05", terms, "", dt.date(2026, 12, 5))
        cw.replan(cf, "deal", dt.date(2026, 12, 5))
        # Three months later, the agreed installments paid in January and February.
        for month, amounts in (("2026-12", {"360借条": 3300}), ("2027-01", {"360借条": 2600, "京东金条": 700}),
                               ("2027-02", {"360借条": 2600, "京东金条": 700})):
            for loan, amount in amounts.items():
                cw.record_payment(cf, "deal", loan, str(amount), f"{month}-15", "", dt.date(2027, 3, 10))
        cw.replan(cf, "deal", dt.date(2027, 3, 10))
        data = cf.load("deal")
        kept = scenario_from_bytes(data.versions[-1].toml.encode(), "v3").loans[1].agreement
    assert kept is not None and (kept.monthly, kept.months, kept.first) == (monthly, months, first)
    later_plans = data.plans[1:]
    assert len(later_plans) == 2
    for plan in later_plans:
        frame = pd.read_csv(io.StringIO(plan.plan_csv), dtype={"month": str})
        rows = frame[(frame["loan"] == "京东金条") & frame["month"].isin(agreed)]
        assert len(rows) > 0
        # Less than ¥700 only in the month that pays the loan off (balance 0.00 after it).
        short = rows[(rows["payment"] < monthly - 0.005) & (rows["balance"] > 0.005)]
        assert short.empty, f"plan {plan.id} pays less than the agreed ¥700 in {list(short['month'])}"
        paid_off = rows[rows["balance"] <= 0.005]["month"]
        if len(paid_off):  # paid off ahead: nothing more is owed, and it was owed in full up to then
            assert (rows[rows["month"] < paid_off.min()]["payment"] >= monthly - 0.005).all()


AGREE_ON = dt.date(2026, 12, 5)


def _agreement_case(cf: CaseFile, source: Path, name: str, terms: dict, paid: dict[str, float]) -> None:
    cw.new_case(cf, cw.read_import(name, source), "minimum", dt.date(2026, 12, 1))
    cw.record_event(cf, name, "agreement", "京东金条", AGREE_ON.isoformat(), terms, "", AGREE_ON)
    for day, amount in paid.items():
        cw.record_payment(cf, name, "京东金条", f"{amount:.2f}", day, "", dt.date(2027, 3, 10))


def _claim_after(source: Path, paid: dict[str, float]) -> float:
    """What the lender claims for 京东金条 without any agreement, by the ledger, after Dec–Feb."""
    matrix = np.zeros((3, 3))
    for day, amount in paid.items():
        matrix[1, ("2026-12", "2027-01", "2027-02").index(day[:7])] += amount
    return float(replay(first_months(plan_terms(load_scenario(source)), 3), matrix).balance[1, 3])


def test_agreements_kept_fulfilled_voided_and_lapsed(tmp_path, db):
    source = claim_scenario(tmp_path)
    installments = cw.event_terms("agreement", AGREE_ON, monthly="700", months=20, first="2027-01")
    settlement = cw.event_terms("agreement", AGREE_ON, amount="9000", by="2027-02")
    cases = {
        "kept": (installments, {"2027-01-20": 700, "2027-02-20": 700}),
        "missed": (installments, {"2027-01-20": 700, "2027-02-20": 650}),
        "fulfilled": (cw.event_terms("agreement", AGREE_ON, monthly="700", months=2, first="2027-01"),
                      {"2027-01-20": 700, "2027-02-20": 700}),
        "ahead": (installments, {"2027-01-20": 1400}),  # paying ahead does not excuse February
        "january": (installments, {"2027-02-20": 700}),  # missed in January, void from February
        "settled": (settlement, {"2027-01-20": 9000}),
        "lapsed": (settlement, {"2027-01-20": 5000}),
    }
    today = dt.date(2027, 3, 10)
    with CaseFile(str(db)) as cf:
        for name, (terms, paid) in cases.items():
            _agreement_case(cf, source, name, terms, paid)
        states = {name: cw.case_state(cf.load(name), today) for name in cases}
        missed_data = cf.load("missed")

    def loan(name):
        return {x.name: x for x in states[name].scenario.loans}.get("京东金条")

    def status(name):
        return {x.name: x for x in states[name].loans}["京东金条"]

    # Kept: the agreement stays; the plan opens at the 18 installments left (18 × 700), and the
    # scenario states the lender's claim underneath (the same payments on the loan's own terms).
    kept = loan("kept")
    assert kept.agreement is not None and not kept.accelerated
    assert plan_terms(states["kept"].scenario).opening[1] == pytest.approx(18 * 700, abs=0.005)
    assert status("kept").agreed_left == pytest.approx(18 * 700, abs=0.005)
    assert kept.total_owed == pytest.approx(_claim_after(source, cases["kept"][1]), abs=0.005)
    # Missed by ¥50 in February: the agreement is void, the lender may demand its whole claim.
    missed = loan("missed")
    assert missed.agreement is None and missed.accelerated
    assert missed.total_owed == pytest.approx(_claim_after(source, cases["missed"][1]), abs=0.005)
    assert ("accelerated", "2027-02") in status("missed").stages
    assert any("voids the agreement" in note for note in states["missed"].notes)
    drift = next(d for d in cw.actual_vs_plan(missed_data, today).drift if d.loan == "京东金条")
    assert [(m.month, m.due, m.paid) for m in drift.missed_agreed] == [("2027-02", 700.0, 650.0)]
    assert "agreed installment of ¥700.00 for 2027-02 missed (paid ¥650.00)" in drift.text
    assert loan("ahead").agreement is None and ("accelerated", "2027-02") in status("ahead").stages
    # Void at the end of January: from February the lender demands everything, so February's
    # penalty interest runs on the whole balance (the contract schedule is 0 from then on).
    assert loan("january").agreement is None and ("accelerated", "2027-01") in status("january").stages
    terms = first_months(plan_terms(load_scenario(source)), 3)
    schedule = terms.schedule.copy()
    schedule[1, 2:] = 0.0
    matrix = np.zeros((3, 3))
    matrix[1, 2] = 700
    by_hand = replay(terms._replace(schedule=schedule), matrix).balance[1, 3]
    assert loan("january").total_owed == pytest.approx(by_hand, abs=0.01)
    assert by_hand > _claim_after(source, cases["january"][1]) + 1  # more than without the void
    # Fulfilled (2 × 700) and settled (9,000 paid by the deadline): the loan is closed.
    assert loan("fulfilled") is None and status("fulfilled").closed == "cleared 2027-02"
    assert loan("settled") is None and status("settled").closed == "cleared 2027-01"
    # Lapsed (5,000 of 9,000 by February): the settlement falls, the claim stands again.
    lapsed = loan("lapsed")
    assert lapsed.agreement is None
    assert lapsed.total_owed == pytest.approx(_claim_after(source, cases["lapsed"][1]), abs=0.005)
    assert any("was not paid by 2027-02" in note for note in states["lapsed"].notes)


# ---- actual against plan and the caseload -------------------------------------------------------


def test_actual_against_plan_per_month_and_lender(db):
    today = dt.date(2027, 3, 12)
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("drift", THREE), "optimal", dt.date(2026, 12, 1))
        record_three_months(cf, "drift", today)
        cw.record_payment(cf, "drift", "360借条", "1000", "2027-03-05", "", today)
        cw.record_event(cf, "drift", "credit-reported", "速借小贷", "2027-02-03", {}, "", today)
        data = cf.load("drift")
    plan = pd.read_csv(io.StringIO(data.plans[0].plan_csv), dtype={"month": str})
    planned = plan.pivot(index="loan", columns="month", values="payment")
    vs = cw.actual_vs_plan(data, today)
    frame = vs.frame()
    for loan in LOANS:
        paid = sum(sum(PAID[m].get(loan, ())) for m in PAID)
        behind = planned.loc[loan, ["2026-12", "2027-01", "2027-02"]].sum() - paid
        drift = next(d for d in vs.drift if d.loan == loan)
        assert drift.behind == pytest.approx(behind, abs=0.005)
        closed = frame[(frame["loan"] == loan) & frame["closed"]]
        assert closed["behind_plan"].iloc[-1] == pytest.approx(behind, abs=0.005)
    d360 = next(d for d in vs.drift if d.loan == "360借条")
    assert d360.paid_now == 1000 and d360.planned_now == planned.loc["360借条", "2027-03"]
    word = "behind" if d360.behind > 0 else "ahead of"
    assert d360.text.startswith(f"360借条: ¥{abs(d360.behind):,.2f} {word} plan")
    small = next(d for d in vs.drift if d.loan == "速借小贷")
    assert "reported since 2027-02" in small.text
    chart = vs.chart_data()
    json.dumps(chart)  # plain data: no plotting objects
    assert chart["series"]["京东金条"]["month"][:3] == ["2026-12", "2027-01", "2027-02"]
    assert {"loan": "速借小贷", "stage": "reported", "since": "2027-02"} in chart["stages"]


def test_caseload_puts_the_case_that_needs_a_call_first(db):
    today = dt.date(2027, 3, 10)
    with CaseFile(str(db)) as cf:
        # A broken agreement, a new lawsuit, and a client who paid exactly what the plan said.
        cw.new_case(cf, cw.read_import("A 张", THREE), "optimal", dt.date(2026, 12, 1))
        terms = cw.event_terms("agreement", dt.date(2026, 12, 5), monthly="700", months=20, first="2027-01")
        cw.record_event(cf, "A 张", "agreement", "京东金条", "2026-12-05", terms, "", today)
        cw.record_payment(cf, "A 张", "京东金条", "700", "2027-01-15", "", today)
        cw.new_case(cf, cw.read_import("B 李", SCENARIOS / "private-loan-over-cap.toml"), "optimal", dt.date(2026, 12, 1))
        cw.record_event(cf, "B 李", "enforcement", "私人借款", "2027-02-20", {}, "", today)
        cw.new_case(cf, cw.read_import("C 王", SCENARIOS / "full-balance-demanded.toml"), "optimal", dt.date(2026, 12, 1))
        plan = pd.read_csv(io.StringIO(cf.load("C 王").plans[0].plan_csv), dtype={"month": str})
        for month in ("2026-12", "2027-01", "2027-02", "2027-03"):
            amount = float(plan.loc[plan["month"] == month, "payment"].sum())
            if amount > 0:
                cw.record_payment(cf, "C 王", "招联消费贷", f"{amount:.2f}", f"{month}-05", "", today)
        rows = cw.caseload(cf, today)
        assert [r.case for r in rows] == ["A 张", "B 李", "C 王"]
        a, b, c = rows
        assert a.urgency == cw.URGENCY["agreement broken"] and a.needs_call
        assert any("京东金条: agreed installment missed (2027-02)" in r for r in a.reasons)
        assert b.urgency == cw.URGENCY["court"] and "enforcement" in b.stage_names
        assert c.urgency < cw.NEEDS_CALL and c.due == () and c.missed == ()
        assert [r.case for r in cw.caseload(cf, today, needs_call=True)] == ["A 张", "B 李"]
        assert [r.case for r in cw.caseload(cf, today, search="招联")] == ["C 王"]
        assert [r.case for r in cw.caseload(cf, today, stage="enforcement")] == ["B 李"]
        frame = cw.caseload_frame(rows)
        assert list(frame["case"]) == ["A 张", "B 李", "C 王"] and frame["needs_call"].tolist() == [True, True, False]


# ---- safety: a killed writer, migrations, permissions, deletion, backup -------------------------


def _payments(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT loan, paid_on, amount_fen FROM payments ORDER BY id").fetchall()


def _checks(path: Path) -> tuple[list, list]:
    with sqlite3.connect(path) as conn:
        return ([r[0] for r in conn.execute("PRAGMA integrity_check")],
                conn.execute("PRAGMA foreign_key_check").fetchall())


def test_killing_a_writer_mid_payment_leaves_the_file_consistent(tmp_path, db):
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("kill", THREE), "optimal", dt.date(2026, 12, 1))
        cw.record_payment(cf, "kill", "360借条", "1000", "2026-12-10", "", dt.date(2027, 1, 5))
    before = _payments(db)
    marker = tmp_path / "in-transaction"
    env = {**os.environ, "DEBTPLAN_TEST_HOLD_WRITE": str(marker)}
    writer = subprocess.Popen(
        [sys.executable, "-m", "optimizer.cli", "case", "pay", "kill", "京东金条", "2345.67",
         "--date", "2027-01-02", "--today", "2027-01-05", "--db", str(db)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert writer.poll() is None, writer.communicate()
        assert time.monotonic() < deadline, "the writer never reached its transaction"
        time.sleep(0.05)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    # Killed before COMMIT: the payment is not there, and the file is whole.
    assert _checks(db) == (["ok"], [])
    assert _payments(db) == before
    # The next writer is not blocked by the dead one, and its payment is there.
    done = run_cli("case", "pay", "kill", "京东金条", "2345.67", "--date", "2027-01-02", "--today", "2027-01-05",
                   "--db", db)
    assert done.returncode == 0, done.stderr
    assert _payments(db) == [*before, ("京东金条", "2027-01-02", 234567)]
    assert _checks(db) == (["ok"], [])


def test_a_writer_killed_at_any_moment_leaves_whole_payments_only(tmp_path, db):
    # Payments of 0.01, 0.02, … in a loop, one transaction each; killed at an arbitrary moment, the
    # file holds exactly the first n of them, none half-written.
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("loop", THREE), "minimum", dt.date(2026, 12, 1))
    code = (
        "import sys, datetime as dt\n"
        "from optimizer.casefile import CaseFile\n"
        "cf = CaseFile(sys.argv[1]); case = cf.case('loop')\n"
        "print('ready', flush=True)\n"
        "for k in range(1, 100000):\n"
        "    cf.add_payment(case, '速借小贷', dt.date(2027, 1, 2), k)\n"
    )
    writer = subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert _checks(db) == (["ok"], [])
    amounts = [r[2] for r in _payments(db)]
    assert len(amounts) > 0
    assert amounts == list(range(1, len(amounts) + 1))


def test_migrations_from_the_first_schema_keep_a_filled_database(tmp_path, db):
    # A file as the first schema left it, filled by hand with that schema's columns.
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO cases (id, name, created_on) VALUES (1, '旧案', '2026-12-01')")
    conn.execute("INSERT INTO scenario_versions (case_id, number, made_on, start_month, source, origin, toml) "
                 "VALUES (1, 1, '2026-12-01', '2026-12', 'import', 'three-overdue-loans.toml', ?)",
                 (THREE.read_text(encoding="utf-8"),))
    conn.executemany("INSERT INTO payments (case_id, loan, paid_on, amount_fen, recorded_at) VALUES (1, ?, ?, ?, 'x')",
                     [("360借条", "2026-12-20", 150000), ("京东金条", "2027-01-20", 80000)])
    conn.execute("INSERT INTO events (case_id, kind, loan, happened_on, terms, recorded_at) "
                 "VALUES (1, 'lawsuit', '京东金条', '2027-01-25', '{}', 'x')")
    conn.commit()
    conn.close()

    with CaseFile(str(db)) as cf:
        data = cf.load("旧案")
        assert [(p.loan, p.paid_on.isoformat(), p.amount, p.note) for p in data.payments] == [
            ("360借条", "2026-12-20", 1500.0, ""), ("京东金条", "2027-01-20", 800.0, "")]
        assert [(e.kind, e.loan, e.note) for e in data.events] == [("lawsuit", "京东金条", "")]
        # What the later steps added works on the old data: a plan is stored, notes are kept.
        done = cw.replan(cf, "旧案", dt.date(2027, 2, 10))
        assert done.version == 2 and any(loan.lawsuit for loan in done.state.scenario.loans if loan.name == "京东金条")
        cw.record_payment(cf, "旧案", "360借条", "10", "2027-02-01", "receipt 7", dt.date(2027, 2, 10))
        assert cf.load("旧案").payments[-1].note == "receipt 7"
        assert len(cf.load("旧案").plans) == 1
        assert cf.integrity_problems() == []
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"payments_by_case", "events_by_case", "plans_by_case"} <= indexes


def test_a_file_from_a_newer_debtplan_is_refused_unchanged(db):
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    before = db.read_bytes()
    with pytest.raises(DatabaseTooNew):
        CaseFile(str(db))
    assert db.read_bytes() == before


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_case_file_is_owner_only(tmp_path, db):
    with CaseFile(f"sqlite:///{db}") as cf:
        cw.new_case(cf, cw.read_import("perm", THREE), "minimum", dt.date(2026, 12, 1))
        cw.record_payment(cf, "perm", "360借条", "100", "2026-12-02", "", dt.date(2026, 12, 3))
        assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()
        assert _mode(wal) == 0o600 and _mode(shm) == 0o600
        backup = cf.backup(tmp_path / "backup.db")
    assert _mode(backup) == 0o600
    # A file made readable by others is tightened when opened.
    db.chmod(0o644)
    CaseFile(str(db)).close()
    assert _mode(db) == 0o600


def test_deleting_a_case_removes_it_from_the_file(tmp_path, db):
    secret = tmp_path / "secret.toml"
    secret.write_text(THREE.read_text(encoding="utf-8").replace("速借小贷", "秘密速贷XYZ"), encoding="utf-8")
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("秘密客户QQQ", secret), "minimum", dt.date(2026, 12, 1))
        cw.record_payment(cf, "秘密客户QQQ", "秘密速贷XYZ", "321.09", "2026-12-02", "收据秘密777", dt.date(2026, 12, 3))
        cw.new_case(cf, cw.read_import("other", THREE), "minimum", dt.date(2026, 12, 1))
        files = [db, Path(f"{db}-wal")]
        assert any("秘密速贷XYZ".encode() in f.read_bytes() for f in files)
        cf.delete_case("秘密客户QQQ")
        assert cf.case_names() == ["other"]
        assert cf.integrity_problems() == []
        for f in [db, Path(f"{db}-wal"), Path(f"{db}-shm")]:
            raw = f.read_bytes() if f.exists() else b""
            for word in ("秘密客户QQQ", "秘密速贷XYZ", "收据秘密777"):
                assert word.encode() not in raw, (f.name, word)
        assert len(cf.load("other").versions) == 1


def test_backup_is_a_complete_consistent_copy(tmp_path, db):
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("b", THREE), "minimum", dt.date(2026, 12, 1))
        cw.record_payment(cf, "b", "360借条", "100", "2026-12-02", "", dt.date(2026, 12, 3))
        out = cf.backup(tmp_path / "copy.db")
    assert not Path(f"{out}-wal").exists()
    with sqlite3.connect(out) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    with CaseFile(str(out)) as copy:
        assert copy.integrity_problems() == []
        assert [p.amount for p in copy.load("b").payments] == [100.0]


def test_database_urls(tmp_path):
    abs_url = f"sqlite:///{tmp_path / 'a.db'}"  # sqlite:// + /absolute/path
    with CaseFile(abs_url) as cf:
        assert cf.path == tmp_path / "a.db"
    with pytest.raises(UnsupportedDatabase):
        CaseFile("postgresql://office/cases")
    assert not any(tmp_path.glob("office*"))
    with CaseFile(None) as cf:  # DEBTPLAN_DB (set by the fixture)
        assert cf.path == tmp_path / "default" / "cases.db"
    # A file that is not a case file is refused and left as it was (not even its mode changes).
    scenario = tmp_path / "scenario.toml"
    scenario.write_bytes(THREE.read_bytes())
    scenario.chmod(0o644)
    with pytest.raises(DatabaseUnusable, match="not a SQLite database"):
        CaseFile(str(scenario))
    assert scenario.read_bytes() == THREE.read_bytes() and _mode(scenario) == 0o644


def test_input_is_checked_like_the_scenario_loader(db):
    with CaseFile(str(db)) as cf:
        cw.new_case(cf, cw.read_import("x", THREE), "minimum", dt.date(2026, 12, 1))
        for bad in ("0", "-5", "12.345", "abc", "", "1.2.3", "nan", "inf", "200000000"):
            with pytest.raises(BadAmount):
                cw.record_payment(cf, "x", "360借条", bad, None, "", dt.date(2027, 1, 5))
        with pytest.raises(DateBeforeCase):
            cw.record_payment(cf, "x", "360借条", "100", "2026-11-30", "", dt.date(2027, 1, 5))
        with pytest.raises(CaseExists):
            cw.new_case(cf, cw.read_import("x", THREE), "minimum", dt.date(2026, 12, 1))
        assert cf.load("x").payments == ()
        assert cw.parse_amount("¥1,200.5") == 120050


# ---- the command line ---------------------------------------------------------------------------


def test_every_case_command_has_help():
    for command in ("new", "pay", "event", "replan", "status", "export", "delete", "backup"):
        done = run_cli("case", command, "--help")
        assert done.returncode == 0 and "--db" in done.stdout, command


@pytest.mark.parametrize("args, words", [
    (("pay", "c", "360借条", "12.345"), "amount '12.345'"),
    (("pay", "c", "不存在", "100"), "no loan or lender named '不存在'"),
    (("pay", "c", "360借条", "100", "--date", "2027-13-01"), "date '2027-13-01'"),
    (("pay", "c", "360借条", "100", "--date", "2027-02-01"), "is after today"),
    (("pay", "nobody", "360借条", "100"), "no case named 'nobody'"),
    (("event", "c", "agreement", "京东金条", "--monthly", "700"), "installments need --months, --first too"),
    (("event", "c", "lawsuit"), "name the loan"),
    (("event", "c", "income", "360借条", "--amount", "5000"), "is about the whole case"),
    (("event", "c", "flood", "360借条"), "invalid choice"),
    (("new", "c", "--from", str(THREE)), "already exists"),
    (("delete", "c"), "add --yes"),
    (("status", "--db", "postgresql://office/cases"), "only SQLite"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(template_db, tmp_path, args, words):
    db = tmp_path / "cases.db"
    db.write_bytes(template_db.read_bytes())
    before = db.read_bytes()
    db_args = () if "--db" in args else ("--db", db)
    done = run_cli("case", *args, *db_args, "--today", "2027-01-15")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    assert db.read_bytes() == before and not Path(f"{db}-wal").exists()


def test_only_case_new_creates_a_case_file(tmp_path):
    nope = tmp_path / "nope" / "cases.db"
    for args in (("pay", "c", "360借条", "100"), ("status",), ("event", "c", "lawsuit", "360借条"),
                 ("backup", "--out", tmp_path / "b.db")):
        done = run_cli("case", *args, "--db", nope)
        assert done.returncode == 2 and "no case file here yet" in done.stderr, (args, done.stderr)
    done = run_cli("case", "new", "c", "--from", tmp_path / "missing.toml", "--db", nope)
    assert done.returncode == 2 and "missing.toml: no such file" in done.stderr
    assert not nope.parent.exists() and not (tmp_path / "b.db").exists()


@pytest.fixture(scope="module")
def template_db(tmp_path_factory) -> Path:
    """A case file with one case 'c' (three-overdue-loans), closed, to copy for each test."""
    db = tmp_path_factory.mktemp("template") / "cases.db"
    made = run_cli("case", "new", "c", "--from", THREE, "--db", db, "--today", "2026-12-01")
    assert made.returncode == 0, made.stderr
    assert not Path(f"{db}-wal").exists()  # the last connection closed checkpoints the WAL away
    return db


def test_a_counsellors_day_from_the_command_line(tmp_path, monkeypatch):
    # A new user: no --db, no DEBTPLAN_DB: the case file goes to the default place.
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("DEBTPLAN_DB")

    def cli(*args):
        done = run_cli("case", *args)
        assert done.returncode in (0, 1), (args, done.stderr)
        return done.stdout

    cli("new", "张三", "--from", THREE, "--today", "2026-12-01")
    cli("new", "李四", "--from", SCENARIOS / "income-too-low.toml", "--today", "2026-12-01")
    cli("new", "王五", "--from", SCENARIOS / "full-balance-demanded.toml", "--today", "2026-12-01")
    for month in ("2026-12", "2027-01", "2027-02"):
        cli("pay", "张三", "360数科", "3300", "--date", f"{month}-10", "--today", "2027-03-05")
        cli("pay", "王五", "招联消费贷", "3500", "--date", f"{month}-08", "--today", "2027-03-05")
    cli("pay", "李四", "借呗", "1500", "--date", "2026-12-15", "--today", "2027-03-05")
    cli("event", "李四", "agreement", "分期乐", "--monthly", "500", "--months", "24", "--first", "2027-03",
        "--date", "2027-02-20", "--today", "2027-03-05")
    cli("event", "李四", "lawsuit", "借呗", "--date", "2027-02-25", "--today", "2027-03-05")
    for name in ("张三", "李四", "王五"):
        assert "Stored as scenario v2" in cli("replan", name, "--today", "2027-03-05")
    caseload = cli("status", "--today", "2027-03-05")
    assert "3 case(s)" in caseload
    first = caseload.split("\n 1. ")[1].splitlines()[0]
    assert first.startswith("CALL 李四")
    assert "借呗: lawsuit on 2027-02-25" in caseload
    for name in ("张三", "李四", "王五"):
        out = tmp_path / "export" / name
        cli("export", name, "--out", out, "--today", "2027-03-05")
        today = load_scenario(out / "scenario-today.toml")
        assert today.start == dt.date(2027, 3, 1)
        assert (out / "scenario-v1-import.toml").read_bytes() == {
            "张三": THREE, "李四": SCENARIOS / "income-too-low.toml",
            "王五": SCENARIOS / "full-balance-demanded.toml"}[name].read_bytes()
        payments = pd.read_csv(out / "payments.csv", encoding="utf-8-sig")
        assert len(payments) == {"张三": 3, "李四": 1, "王五": 3}[name]
        assert (out / "actual-vs-plan.csv").exists() and (out / "plans.csv").exists()
    db = home / ".local" / "share" / "debtplan" / "cases.db"
    assert _mode(db) == 0o600 and _mode(db.parent) == 0o700
