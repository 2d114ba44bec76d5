"""The command line as a user runs it: exit codes, one-line errors, the CSV, nothing half-written."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer import load_scenario, plan_terms, replay
from optimizer.export import PLAN_COLUMNS, payments_from_csv

from .conftest import SCENARIOS, run_cli, run_main

GOOD = (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8")


def test_solve_writes_the_csv_the_issue_asks_for(tmp_path):
    out = tmp_path / "plan.csv"
    done = run_cli("solve", SCENARIOS / "three-overdue-loans.toml", "--out", out)
    assert done.returncode == 0, done.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel / WPS
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"month": str})
    assert list(frame.columns) == PLAN_COLUMNS
    assert frame["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert set(frame["loan"]) == {"360借条", "京东金条", "速借小贷"}
    money = frame[["payment", "interest", "penalty", "fees", "balance", "overdue"]].to_numpy()
    assert np.allclose(money * 100, np.round(money * 100))  # whole fen
    # The debt-free month printed is the first month from which the CSV owes nothing.
    owing = frame.groupby("month")["balance"].sum()
    free = owing[owing == 0].index.min()
    assert (owing[owing.index >= free] == 0).all()
    assert f"Debt-free: {free}" in done.stdout
    assert "What this plan triggers" in done.stdout
    # 360借条, sued before the plan, reaches enforcement under it: the plan says to negotiate first,
    # naming the loans whose triggers list a suit or enforcement within the plan, and only those.
    triggered = [line.split(":")[0].strip() for line in done.stdout.splitlines()
                 if line.startswith("  ") and ("sued 20" in line or "enforcement 20" in line)]
    warning = [line for line in done.stdout.splitlines() if line.startswith("Under this plan")]
    assert "360借条" in triggered and len(warning) == 1
    assert all(loan in warning[0] for loan in triggered) and "debtplan targets" in warning[0]
    assert f"{len(triggered)} loan" in warning[0]
    # 速借小贷 is 40 days overdue but not marked reported: past the usual 30 days, so a report in the
    # plan's first month is said to have most likely happened already (lenders report monthly).
    sujie = next(line for line in done.stdout.splitlines() if line.startswith("  速借小贷:"))
    assert "reported to the credit bureau 2026-12 (probably already: 40 days overdue" in sujie
    assert "probably already" not in done.stdout.replace(sujie, "")


@pytest.mark.parametrize("name", ["three-overdue-loans", "counsellor-twelve-loans", "income-too-low"])
@pytest.mark.parametrize("strategy", ["optimal", "pro-rata"])
def test_csv_replays_to_its_own_balances_within_the_money(tmp_path, name, strategy):
    path = SCENARIOS / f"{name}.toml"
    out = tmp_path / "plan.csv"
    done = run_cli("solve", path, "--strategy", strategy, "--out", out)
    assert done.returncode in (0, 1), done.stderr
    terms = plan_terms(load_scenario(path))
    pay = payments_from_csv(out, terms.names, terms.months)
    ledger = replay(terms, pay)
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"month": str})
    balance = frame.pivot(index="loan", columns="month", values="balance").reindex(index=list(terms.names))
    assert np.abs(ledger.balance[:, 1:] - balance.to_numpy()).max() <= 0.005 + 1e-9
    # The CSV's own identity, row by row: balance = previous + interest + penalty + fees − payment
    # (each rounded to the fen, so within two fen; fees: court and enforcement fees, card late fees).
    for i, loan in enumerate(terms.names):
        rows = frame[frame["loan"] == loan].set_index("month").loc[list(terms.months)]
        previous = rows["balance"].shift(1).fillna(round(terms.opening[i], 2))
        rebuilt = previous + rows["interest"] + rows["penalty"] + rows["fees"] - rows["payment"]
        assert (rebuilt - rows["balance"]).abs().max() <= 0.02 + 1e-9, loan
    if (name, strategy) == ("three-overdue-loans", "optimal"):
        # 360借条 reaches enforcement in 2027-05 under this plan: the enforcement fee (申请执行费,
        # 1.5 % of the claim above ¥10,000) joins the debt in 2027-06, in the fees column.
        fees = frame[frame["fees"] > 0]
        assert list(zip(fees["month"], fees["loan"])) == [("2027-06", "360借条")]
    # No month pays more than the money it has: cash carried + income − essentials.
    available = ledger.cash[:-1] + terms.net
    assert (pay.sum(axis=0) <= available + 1e-9).all()
    assert ledger.problems == ()
    # The month table never prints a negative zero (a carry of −1e-10 once printed "-0"). The CSV's
    # path is left out: pytest's first temporary folder on a machine is ".../pytest-0/" (a fresh
    # clone's first run failed here on its own path).
    assert not re.search(r"(?<![\d,.])-0(?![\d.,])", done.stdout.replace(str(out), "<the CSV>"))


def test_income_too_low_exits_1_and_the_extra_it_names_clears_the_debts(tmp_path):
    path = SCENARIOS / "income-too-low.toml"
    out = tmp_path / "plan.csv"
    done = run_cli("solve", path, "--out", out)
    assert done.returncode == 1
    assert out.exists()  # the best plan is still written
    match = re.search(r"¥([\d,]+) more per month", done.stdout)
    assert match, done.stdout
    extra = float(match.group(1).replace(",", ""))
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    more = tmp_path / "more.toml"
    text = path.read_text(encoding="utf-8").replace(f"income = {data['income']}", f"income = {data['income'] + extra}")
    more.write_text(text, encoding="utf-8")
    again = run_cli("solve", more)
    assert again.returncode == 0, again.stdout
    assert "Status: cleared" in again.stdout
    # And a yuan less per month is not enough (the amount is the smallest whole yuan).
    less = tmp_path / "less.toml"
    less.write_text(text.replace(f"income = {data['income'] + extra}", f"income = {data['income'] + extra - 1}"), encoding="utf-8")
    assert run_cli("solve", less).returncode == 1


def _bad(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


BAD_INPUTS = {
    "negative-balance": (GOOD.replace("principal = 12000", "principal = -12000").encode(), "京东金条", "principal"),
    "apr-5000-percent": (GOOD.replace('apr = "36%"', 'apr = "5000%"').encode(), "京东金条", "apr"),
    "missing-field": (GOOD.replace("essentials = 4200\n", "").encode(), None, "essentials"),
    "not-toml": (b"start = 2026-12\nincome = = 7500\n", None, "not valid TOML"),
    "empty": (b"", None, "empty"),
    "binary": (bytes(range(256)) * 4, None, "not a text file"),
    "no-loans": (GOOD.split("[[loans]]")[0].encode() + b"loans = []\n", None, "loans"),
    "unknown-field": (GOOD.replace("days_overdue = 45", "days_overdeu = 45").encode(), "京东金条", "days_overdeu"),
    "apr-as-percent-number": (GOOD.replace('apr = "36%"', "apr = 36").encode(), "京东金条", "apr"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2_and_no_output(tmp_path, case):
    content, loan, field = BAD_INPUTS[case]
    path = _bad(tmp_path, f"{case}.toml", content)
    out = tmp_path / "plan.csv"
    done = run_cli("solve", path, "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert str(path) in lines[0]
    assert field in lines[0]
    if loan:
        assert f"loan '{loan}'" in lines[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]  # no temp file left either


def test_unknown_strategy_is_one_line_exit_2(tmp_path):
    out = tmp_path / "plan.csv"
    done = run_cli("solve", SCENARIOS / "three-overdue-loans.toml", "--strategy", "yolo", "--out", out)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "yolo" in done.stderr and "strategy" in done.stderr
    assert not out.exists()


def test_missing_output_folder_is_bad_input_and_writes_nothing(tmp_path):
    done = run_cli("solve", SCENARIOS / "three-overdue-loans.toml", "--out", tmp_path / "nope" / "plan.csv")
    assert done.returncode == 2
    assert "does not exist" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "nope").exists()


def test_validate_reports_every_file(tmp_path):
    bad = _bad(tmp_path, "bad.toml", b"")
    done = run_cli("validate", *sorted(SCENARIOS.glob("*.toml")), bad)
    assert done.returncode == 2
    assert done.stdout.count(": ok") == len(list(SCENARIOS.glob("*.toml")))
    assert done.stderr.strip() == f"{bad}: the file is empty; a scenario needs at least start, income and one [[loans]] entry"


def test_compare_writes_every_plan(tmp_path):
    out = tmp_path / "compare.csv"
    done = run_cli("compare", SCENARIOS / "three-overdue-loans.toml", "--out", out)
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame["strategy"]) == ["optimal", "avalanche", "snowball", "priority", "pro-rata", "minimum", "negotiated"]
    heuristics = frame[frame["strategy"] != "negotiated"]
    assert heuristics["weighted_cost"].iloc[0] <= heuristics["weighted_cost"].min() + 0.01


def test_batch_runs_a_folder_and_reports_each(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("three-overdue-loans", "income-too-low"):
        shutil.copy(SCENARIOS / f"{name}.toml", folder)
    (folder / "broken.toml").write_text("start = \n", encoding="utf-8")
    out = tmp_path / "out"
    done = run_cli("batch", folder, "--out", out)
    assert done.returncode == 2  # the worst outcome: one file was bad input
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig").set_index("scenario")
    assert len(summary) == 3
    statuses = {Path(k).stem: v for k, v in summary["status"].items()}
    assert statuses == {"broken": "bad input", "income-too-low": "cannot be cleared within the horizon",
                        "three-overdue-loans": "cleared"}
    assert (out / "three-overdue-loans.plan.csv").exists() and not (out / "broken.plan.csv").exists()
    assert "[3/3]" in done.stderr


def test_help_on_every_command():
    for command in ([], ["validate"], ["solve"], ["compare"], ["batch"]):
        done = run_cli(*command, "--help")
        assert done.returncode == 0 and "usage: debtplan" in done.stdout


def test_the_installed_console_script_runs():
    # Installed beside the interpreter running the tests (the venv need not be activated).
    exe = Path(sys.executable).parent / "debtplan"
    assert exe.exists(), "the debtplan console script is not installed"
    done = subprocess.run([exe, "validate", SCENARIOS / "three-overdue-loans.toml"], capture_output=True, text=True)
    assert done.returncode == 0 and ": ok" in done.stdout


# ---- big cases: a supported size, a clear refusal beyond it, never a silent wait ---------------


def _write(path: Path, data: dict) -> Path:
    import tomli_w

    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def test_a_large_scenario_says_what_it_is_doing(tmp_path):
    from bench.synthetic import synthetic_data

    path = _write(tmp_path / "fifty.toml", synthetic_data(50, 120, seed=1))  # 6,000 loan-months
    code, _, err = run_main("solve", path, "--months", "0")
    assert code == 0, err
    assert err.splitlines()[0] == "debtplan: making the optimal plan (50 loans × 120 months)…"


def test_a_long_run_keeps_saying_it_is_working(monkeypatch):
    from optimizer import cli

    monkeypatch.setattr(cli, "HEARTBEAT_SECONDS", 0.05)  # the interval, so the test need not wait 10 s
    code, _, err = run_main("targets", SCENARIOS / "three-overdue-loans.toml")
    assert code == 0, err
    lines = err.splitlines()
    assert lines[0].startswith("debtplan: working out targets (re-solving the plan for each ask) (3 loans × 36 months)")
    assert len(lines) >= 2 and all(re.fullmatch(r"debtplan: still working out targets .*… \d+ s", x) for x in lines[1:])


def test_beyond_the_supported_size_is_refused_in_one_line(tmp_path):
    from bench.synthetic import synthetic_data

    too_many = _write(tmp_path / "many.toml", synthetic_data(201, 12, seed=1))
    too_long = _write(tmp_path / "long.toml", synthetic_data(100, 360, seed=1))
    code, out, err = run_main("validate", too_many, too_long)
    assert code == 2 and out == ""
    first, second = err.splitlines()
    assert first == f"{too_many}: field 'loans': may hold at most 200 (got 201)"
    assert second.startswith(f"{too_long}: field 'horizon_months': 100 loans × 360 months = 36,000 loan-months is "
                             "beyond the supported size (24,000 loan-months")


def test_an_unwritable_output_is_refused_before_any_work(tmp_path):
    code, out, err = run_main("solve", SCENARIOS / "three-overdue-loans.toml", "--out", tmp_path)
    assert code == 2 and out == ""
    assert err == f"{tmp_path}: cannot write output: it is a folder; give a file name such as plan.csv\n"


def test_the_credit_record_of_a_loan_under_an_agreement_says_how_it_may_be_reported(tmp_path):
    # Restructured loans are often reported as such (个性化分期, 展期), the overdue months kept: the
    # record's end date under an agreement holds only if the lender reports the loan as current.
    data = {"start": "2027-01", "horizon_months": 24, "income": 6000, "essentials": 4000, "loans": [
        {"name": "协议贷", "principal": 6000, "apr": 0.18, "installments": 12, "days_overdue": 60, "credit_reported": True,
         "agreement": {"kind": "installments", "monthly": 600, "months": 10, "first": "2027-01"}},
        {"name": "逾期贷", "principal": 3000, "apr": 0.18, "installments": 12, "days_overdue": 60, "credit_reported": True},
    ]}
    code, out, err = run_main("solve", _write(tmp_path / "agreed.toml", data))
    assert code == 0, err
    lines = {line.split(":")[0]: line for line in out.splitlines() if line.startswith("Credit record for")}
    assert "confirm in writing how it will report" in lines["Credit record for 协议贷"]
    assert "confirm in writing" not in lines["Credit record for 逾期贷"]


def test_a_loan_in_enforcement_warns_that_the_court_can_take_wages_before_the_plan(tmp_path):
    loan = {"principal": 8000, "apr": 0.18, "installments": 12, "days_overdue": 300, "credit_reported": True,
            "accelerated": True, "lawsuit": True}
    # ¥8,000 a month after essentials: both are paid within three months, before a suit reaches enforcement.
    data = {"start": "2027-01", "horizon_months": 24, "income": 12000, "essentials": 4000,
            "loans": [{"name": "执行贷", **loan, "enforcement": True}, {"name": "起诉贷", **loan}]}
    code, out, err = run_main("solve", _write(tmp_path / "enforced.toml", data))
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.startswith("In enforcement"))
    assert "执行贷" in line and "起诉贷" not in line and "扣划工资" in line
    data["loans"][0]["enforcement"] = False
    code, out, err = run_main("solve", _write(tmp_path / "sued.toml", data))
    assert code == 0 and "In enforcement" not in out  # no loan in enforcement, and none reaches it
