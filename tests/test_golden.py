"""Golden files (fava style): the wording and layout of what counsellors copy, amounts scrubbed.

Numbers are tested against hand-computed figures elsewhere; here every run of digits becomes
"#", so a golden file changes only when the words or the structure do. To accept a deliberate
change after reading it: DEBTPLAN_UPDATE_GOLDEN=1 pytest tests/test_golden.py
"""

from __future__ import annotations

import os
import re

import pytest

from .conftest import ROOT, SCENARIOS, run_cli

GOLDEN = ROOT / "tests" / "golden"


def scrub(text: str) -> str:
    return re.sub(r"\d[\d,.]*", "#", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_targets_output_matches_golden(lang):
    done = run_cli("targets", SCENARIOS / "three-overdue-loans.toml", "--lang", lang)
    assert done.returncode == 0, done.stderr
    got = scrub(done.stdout)
    path = GOLDEN / f"targets-three-overdue-loans.{lang}.txt"
    if os.environ.get("DEBTPLAN_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


def test_validate_errors_match_golden(tmp_path):
    good = (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8")
    cases = {
        "negative": good.replace("principal = 12000", "principal = -1"),
        "daily": good.replace('daily_rate = "0.1%"', 'daily_rate = "3%"'),
        "both-forms": good.replace("installments_left = 3", "installments_left = 3\ninstallments = 5"),
        "bool-as-number": good.replace("horizon_months = 36", "horizon_months = true"),
        "number-as-bool": good.replace("lawsuit = true", "lawsuit = 1"),
        "no-such-day": good.replace('start = "2026-12"', 'start = "2026-02-30"'),
        "year-9998": good.replace('start = "2026-12"', 'start = "9998-06"'),
        "nan-income": good.replace("income = 7500", "income = nan"),
        "huge-debt": good.replace("interest_owed = 900", "interest_owed = 1e15"),
        "step-key": good.replace("income = 7500", 'income = [{ from = "2026-12", amount = 7500, bogus = 1 }]'),
        "line-break-in-name": good.replace('name = "京东金条"', 'name = "京东\\r金条"'),
        "long-value": good.replace('title = "', 'title = "' + "长" * 5000),
        "deep": good + "x = " + "[" * 900 + "]" * 900 + "\n",
        "grows": good.replace('apr = "36%"', 'apr = "300%"').replace("horizon_months = 36", "horizon_months = 120"),
    }
    paths = []
    for name, text in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    done = run_cli("validate", *paths)
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.replace(str(tmp_path), "<dir>").splitlines()
    assert len(lines) == len(cases)
    got = "\n".join(lines) + "\n"
    path = GOLDEN / "validate-errors.txt"
    if os.environ.get("DEBTPLAN_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
