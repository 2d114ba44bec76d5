"""The engine calls the dashboard makes: cached on the scenario's JSON, safe when reruns overlap.

With Streamlit's fast reruns (on by default) a widget change starts a new script run at once,
while the previous run of the same session carries on until its next Streamlit call, which may
be seconds away inside a solve. A session's warm HiGHS model used by two runs at the same time
crashed the server (a segfault in highspy, issue 11). So:

* each browser session owns one warm :class:`~optimizer.solve.Replanner` behind a lock: two runs
  never touch a HiGHS object at the same time;
* every run takes a number when it starts (:func:`begin_run`); the replanner refuses to solve for
  a run that a newer one has replaced (:class:`Superseded`), so an abandoned run stops at its next
  solve, or its next LP within a solve, instead of finishing work nobody will see, and the newest
  run gets the lock quickly (a branch and bound already running finishes: at most its time limit).

Measured before the escalation-aware model, on the counsellor case (12 loans × 48 months,
medians of 7 income moves, this machine): warm vs a new model per rerun: optimal plan 4 vs 14 ms,
targets 118 vs 138 ms, comparison 142 vs 234 ms. A model per rerun would also be safe, but every
rerun would pay the cold solve; the lock costs nothing while runs do not overlap and at most one
solve when they do. With the escalation MILP a rerun is seconds (its time limit, below): the
Negotiate view takes the Plan view's plan as its baseline (the same plan in both views, solved
once) and bounds the negotiated plan's search the same way; counsellor case, after the plan:
7 s, where solving both plans again with the CLI's limit took 27 s.

Engine work a view does not need is not done: the Plan view's "whom to call first" takes the
call order without the negotiated plan (:func:`call_order`; on the counsellor case the negotiated
plan is 5.4 s of the targets' 7.8), which the Negotiate and Compare views add to it; the
break-even settlement (dozens of re-solves per lender) is worked out for the one lender whose
script is open, and for all of them only when the targets file is downloaded (on its own thread,
with its own solver objects).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from optimizer import ALL_STRATEGIES, Comparison, PlanResult, Scenario, compare, make_plan, plan_terms
from optimizer.negotiate import Targets, negotiation_targets, private_limit, with_negotiated_plan
from optimizer.planner import NEGOTIATED, summarize
from optimizer.solve import Replanner

# Seconds the optimizer may search per rerun: a slider move must not wait for a proof. The plan
# says when it is not proven optimal (its gap); the CLI's default is longer.
TIME_LIMIT = 3.0


class Superseded(Exception):
    """A newer run of this session has started; this run's results would never be shown."""


class SessionSolver:
    """One session's warm solver, its lock, and the number of its newest run."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.newest = 0
        self._count = threading.Lock()
        self.replanner = _GuardedReplanner(self)

    def begin_run(self) -> int:
        with self._count:
            self.newest += 1
            return self.newest

    @contextmanager
    def use(self, run: int) -> Iterator[Replanner]:
        with self.lock:
            if run != self.newest:
                raise Superseded
            self.replanner.run = run
            yield self.replanner


class _GuardedReplanner(Replanner):
    """A Replanner that stops solving for a run that is no longer the newest."""

    def __init__(self, owner: SessionSolver) -> None:
        super().__init__()
        self.owner = owner
        self.run = 0

    def solve(self, arrays, *args, **kwargs):
        if self.run != self.owner.newest:
            raise Superseded
        return super().solve(arrays, *args, **kwargs)

    def _solve_lp(self, arrays, *args, **kwargs):
        # Also between the LPs of one solve (a plan's seeds, its searches and its polishing are
        # dozens of them): an abandoned run gives up the lock within one LP, not one whole plan.
        # Nothing is touched before the check, so the kept models stay as they were.
        if self.run != self.owner.newest:
            raise Superseded
        return super()._solve_lp(arrays, *args, **kwargs)


_run = threading.local()  # the script thread's run number (each run has its own thread)


def begin_run() -> None:
    """Called first in every script run."""
    solver = st.session_state.get("solver")
    if solver is None:
        solver = st.session_state["solver"] = SessionSolver()
    _run.solver = solver
    _run.number = solver.begin_run()


def superseded() -> bool:
    """Whether a newer run of this session has started (this run's output will not be shown)."""
    return _run.number != _run.solver.newest


def _call(fn, *args):
    with _run.solver.use(_run.number) as replanner:
        return fn(*args, replanner)


# ---- cached calls (argument names starting with "_" are not part of the cache key) -----------------

@st.cache_data(max_entries=128, show_spinner=False)
def _optimal(scenario_json: str, _replanner: Replanner) -> PlanResult:
    return make_plan(Scenario.model_validate_json(scenario_json), "optimal", replanner=_replanner,
                     time_limit=TIME_LIMIT)


@st.cache_data(max_entries=64, show_spinner=False)
def _call_order(scenario_json: str, _replanner: Replanner) -> Targets:
    # The Plan view's plan (cached) is the baseline: both views show the same plan, solved once.
    # Without the negotiated plan: the Plan view needs only whom to call first.
    baseline = _optimal(scenario_json, _replanner)
    return negotiation_targets(Scenario.model_validate_json(scenario_json), with_break_even=False, replanner=_replanner,
                               time_limit=TIME_LIMIT, baseline=baseline, with_negotiated=False)


@st.cache_data(max_entries=64, show_spinner=False)
def _targets(scenario_json: str, _replanner: Replanner) -> Targets:
    return with_negotiated_plan(_call_order(scenario_json, _replanner), _replanner, TIME_LIMIT)


@st.cache_data(max_entries=64, show_spinner=False)
def _rules_of_thumb(scenario_json: str, _replanner: Replanner) -> Comparison:
    return compare(Scenario.model_validate_json(scenario_json), strategies=ALL_STRATEGIES, replanner=_replanner,
                   time_limit=TIME_LIMIT)


@st.cache_data(max_entries=256, show_spinner=False)
def _limit(scenario_json: str, index: int, by: int, _baseline: PlanResult) -> float | None:
    # private_limit() solves with its own HiGHS objects: nothing shared with the session's.
    return private_limit(plan_terms(Scenario.model_validate_json(scenario_json)), index, by, _baseline)


def optimal(scenario_json: str) -> PlanResult:
    return _call(_optimal, scenario_json)


def call_order(scenario_json: str) -> Targets:
    """Negotiation targets without the negotiated plan (``negotiated`` is None) and without
    break-even amounts: whom to call first, for the Plan view."""
    return _call(_call_order, scenario_json)


def targets(scenario_json: str) -> Targets:
    """Negotiation targets without break-even amounts (see :func:`limit`)."""
    return _call(_targets, scenario_json)


def comparison(scenario_json: str) -> Comparison:
    """Every plan side by side: the rules of thumb, the optimal plan, and the negotiated plan
    taken from the (cached) targets rather than solved again."""
    plans = _call(_rules_of_thumb, scenario_json)
    negotiated = targets(scenario_json).negotiated
    return Comparison({**plans.results, NEGOTIATED: negotiated}, {**plans.summaries, NEGOTIATED: summarize(negotiated)})


def limit(scenario_json: str, tg: Targets, loan_index: int) -> float | None:
    """One lender's break-even lump sum (the borrower's private limit), by its month."""
    target = tg.loans[loan_index]
    by = tg.baseline.ledger.terms.months.index(target.break_even_by) + 1
    if superseded():
        raise Superseded
    return _limit(scenario_json, loan_index, by, tg.baseline)


def targets_with_limits(scenario_json: str) -> Targets:
    """Everything, break-even amounts included: for the downloaded targets file (its own solvers)."""
    return negotiation_targets(Scenario.model_validate_json(scenario_json), with_break_even=True)
