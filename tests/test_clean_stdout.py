"""Standard output carries only debtplan's own words, whatever highspy prints when it starts.

highspy 1.16 writes a "Running HiGHS … / Includes third-party software …" banner to stdout from
inside ``highspy.Highs()``; a counsellor piping ``debtplan compare`` into a file or a script must
not get it, and the dashboard's terminal must not show it once per solve.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import tomllib

import pytest

from optimizer import load_scenario, plan_terms
from optimizer.cli import build_parser
from optimizer.negotiate import negotiation_targets
from optimizer.solve import Replanner, new_highs, optimal_plan

from .conftest import ROOT, SCENARIOS, run_cli

THREE = SCENARIOS / "three-overdue-loans.toml"
TITLE = tomllib.loads(THREE.read_text(encoding="utf-8"))["title"]


def _batch_folder(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ("three-overdue-loans.toml", "income-too-low.toml"):
        (cases / name).write_bytes((SCENARIOS / name).read_bytes())
    return cases


# Each command, how to run it, and the start of the first line it must print (worked out from the
# scenario file and the arguments, not from the command's output).
COMMANDS = {
    "validate": lambda tmp: ([THREE], f"{THREE}: ok — "),
    "solve": lambda tmp: ([THREE], "Strategy: optimal "),
    "compare": lambda tmp: ([THREE], f"Scenario: {TITLE}"),
    "targets": lambda tmp: ([THREE, "--lang", "en"], f"Scenario: {TITLE}"),
    "batch": lambda tmp: ([_batch_folder(tmp), "--out", tmp / "out"], f"2 scenarios → {tmp / 'out'}/"),
}


def test_every_command_is_checked_here():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert set(commands) == set(COMMANDS), "add the new command to COMMANDS"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_first_line_of_stdout_is_debtplans_own(tmp_path, command):
    args, expected = COMMANDS[command](tmp_path)
    done = run_cli(command, *args)
    assert done.returncode in (0, 1), done.stderr  # batch: income-too-low cannot be cleared
    first = done.stdout.splitlines()[0] if done.stdout else ""
    assert first.startswith(expected), f"first line of stdout: {first!r}"
    assert "HiGHS" not in done.stdout + done.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    # `debtplan compare … | head -1`: the reader goes away before debtplan has finished writing.
    # Here it is gone before the first write, so the write fails every time, not by timing.
    with subprocess.Popen([sys.executable, "-m", "optimizer.cli", "compare", str(THREE)], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        proc.stdout.close()
        stderr = proc.stderr.read()
        code = proc.wait(timeout=300)
    assert "Traceback" not in stderr and stderr == "", stderr
    assert code == 141  # as if stopped by SIGPIPE, like other command-line tools


def test_engine_prints_nothing_to_the_terminal(capfd):
    # What the dashboard does per rerun: plans, a warm re-plan, targets (the ask MILP), all in
    # the process whose terminal the user watches.
    scenario = load_scenario(THREE)
    warm = Replanner()
    optimal_plan(plan_terms(scenario), replanner=warm)
    optimal_plan(plan_terms(scenario.replace(income=float(scenario.income) + 300)), replanner=warm)
    negotiation_targets(scenario)
    # The MILP's many LPs (seeds, polishing) and the re-plan reuse the kept models.
    assert warm.cold_solves >= 1 and warm.warm_solves > warm.cold_solves
    out, _ = capfd.readouterr()
    assert out == ""


def test_stdout_still_works_after_threads_create_solvers_at_once(capfd):
    # Two threads redirecting stdout at the same moment must not leave it pointing nowhere.
    def create_many():
        for _ in range(200):
            new_highs()

    threads = [threading.Thread(target=create_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("still here", flush=True)
    out, _ = capfd.readouterr()
    assert out == "still here\n"
