"""Shared helpers: the shipped scenarios, running the real `debtplan` command, and the
hypothesis profiles.

Property tests run a few hundred examples in the default suite, the same ones on every run
(profile ``suite``: derandomized, so the suite's time does not swing). The dedicated run,
``HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest tests/test_hostile_inputs.py``, runs
at least :data:`THOROUGH_EXAMPLES` examples of each property test that asks for
:func:`examples` (README, "Tests").
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

THOROUGH_EXAMPLES = 2_000
# The test command's profile: the same examples on every run (a seed from each test's own code),
# no example database. Some examples cost seconds of solving; with fresh random draws one test
# took 86 s on one run and 642 s on the next, and CI gives the whole suite 90 minutes. Exploring
# new examples is the thorough profile's job (random draws, and 2,000 of them).
settings.register_profile("suite", derandomize=True, database=None, print_blob=True)
settings.register_profile(
    "thorough", max_examples=THOROUGH_EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def examples(default: int) -> int:
    """Examples for a property test: ``default`` normally, at least THOROUGH_EXAMPLES in the
    thorough profile (hypothesis's decorator settings would otherwise override the profile)."""
    return max(default, settings.default.max_examples) if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else default

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.toml"))


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the command line as a user would, in a fresh interpreter (``timeout``: a guard against a
    hang, not a speed test; speed is measured in bench/)."""
    return subprocess.run(
        [sys.executable, "-m", "optimizer.cli", *map(str, args)],
        capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout,
    )


def run_main(*argv: str) -> tuple[int, str, str]:
    """Run the command line's ``main()`` in this process: (exit code, stdout, stderr). Fast
    enough for hundreds of hypothesis examples; :func:`run_cli` checks the real entry point."""
    from optimizer.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse's --help; usage errors return 2 through _Parser
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(params=SHIPPED, ids=lambda p: p.stem)
def shipped(request) -> Path:
    return request.param
