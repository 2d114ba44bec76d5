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
    cases = {
        "negative": (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8").replace("principal = 12000", "principal = -1"),
        "daily": (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8").replace('daily_rate = "0.1%"', 'daily_rate = "3%"'),
        "both-forms": (SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8").replace("installments_left = 3", "installments_left = 3\ninstallments = 5"),
    }
    lines = []
    for name, text in cases.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(text, encoding="utf-8")
        done = run_cli("validate", path)
        assert done.returncode == 2
        lines.append(done.stderr.strip().replace(str(tmp_path), "<dir>"))
    got = "\n".join(lines) + "\n"
    path = GOLDEN / "validate-errors.txt"
    if os.environ.get("DEBTPLAN_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")
