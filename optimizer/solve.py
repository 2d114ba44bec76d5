"""Solving the model with HiGHS in-process (CBC as fallback), and turning the answer into a plan.

The model's array blocks go to HiGHS in one ``passModel`` call. CBC (PuLP's bundled binary,
through ``COIN_CMD`` on the same model converted to PuLP) is used when highspy is missing or
HiGHS reports an error. A :class:`Replanner` keeps one HiGHS model and its basis, so a new plan of
the same shape (a slider moved, one loan's terms changed) changes only the numbers that differ and
re-solves from the previous basis.

Outcomes are enums: :class:`LpOutcome` for what the solver said, :class:`PlanStatus` for what it
means to the borrower. Infeasible is an answer: when the debts cannot be cleared within the
horizon, :func:`optimal_plan` still returns the best plan for the money there is, the smallest
extra monthly amount that would clear them (re-checked by solving again with it), and a
diagnosis in words. After every solve the invariants are re-checked from the solution
(:data:`CHECK_TOLERANCE`) and any breach is reported in :attr:`PlanResult.check_problems`.
"""

from __future__ import annotations

import contextlib
import enum
import math
import os
import sys
import threading
from typing import NamedTuple

import numpy as np
import pulp

from .ledger import MISSED_BELOW, SETTLED_BELOW, Ledger, replay
from .model import (Layout, LpArrays, ModelOptions, any_pattern, as_agreed, build_arrays, charges_cleared, escalation,
                    paid_off_in, regime_of, to_highs, to_pulp, with_regime)
from .terms import ENFORCEMENT, SUED, PlanTerms

try:  # highspy is a declared dependency; CBC keeps the product working if it fails to load.
    import highspy
except ImportError:  # pragma: no cover - exercised only on broken installs
    highspy = None

# Yuan. LP solutions are accurate to ~1e-7 relative; a cent of slack over a 10-year plan is
# far below anything a user sees and far above solver noise.
CHECK_TOLERANCE = 0.01
# The escalation MILP stops at a 0.1 % gap (reported with the plan) or after this many seconds
# with the best plan found; the gap is then reported too.
MIP_GAP = 1e-3
MIP_TIME_LIMIT = 10.0
LP_TIME_LIMIT = 120.0  # an LP is never cut short to answer sooner: a stopped LP is no plan
# An LP that is only a candidate in a search (Replanner._solve_lp with confirm=False): stopped,
# it is a candidate skipped. Such LPs take well under a second; a warm one on a 30-year plan of
# ¥1,000,000 under simple interest once took 96 s to say "no plan".
CANDIDATE_TIME_LIMIT = 2.0
EXTRA_TIME_LIMIT = 5.0  # for each solve of the extra-money search
EXTRA_PROBES = 8  # quick plans that bring the extra-money amount down under simple interest
SEARCH_BUDGET = 2.0  # seconds of run-by-run local search before the branch and bound


class LpOutcome(enum.Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "solver error"


class PlanStatus(enum.Enum):
    CLEARED = "cleared"  # every debt paid within the horizon
    NOT_CLEARED = "cannot be cleared within the horizon"
    LEFT_BY_WEIGHTS = "could be cleared, but the weights prefer not to"
    AGREEMENTS_UNAFFORDABLE = "the agreed installments cannot all be paid"


class LpSolution(NamedTuple):
    outcome: LpOutcome
    objective: float
    x: np.ndarray  # column values, in the model's layout
    row_dual: np.ndarray  # shadow prices, in row order (empty for a MILP or CBC without duals)
    solver: str
    gap: float = 0.0  # relative MIP gap when the solver stopped (0: proven optimal)
    # (n, T) bool: Art. 561's regime the plan was found under (optimizer.model.with_regime), if any
    regime: np.ndarray | None = None

    def values(self, columns) -> np.ndarray:
        return self.x[columns]


class PlanResult(NamedTuple):
    strategy: str
    status: PlanStatus
    ledger: Ledger
    extra_monthly: float | None = None  # smallest whole-yuan extra per month that clears, checked
    diagnosis: str | None = None
    objective: float | None = None  # LP objective (optimal plans only)
    solver: str | None = None
    check_problems: tuple[str, ...] = ()
    gap: float = 0.0  # relative MIP gap of the optimal plan (0: proven optimal)


# ---- solvers ----------------------------------------------------------------------------------

_HIGHS_OUTCOME = {
    "kOptimal": LpOutcome.OPTIMAL,
    "kTimeLimit": LpOutcome.OPTIMAL,  # accepted only with a feasible solution and its gap (below)
    "kInfeasible": LpOutcome.INFEASIBLE,
    "kUnboundedOrInfeasible": LpOutcome.INFEASIBLE,
    "kUnbounded": LpOutcome.UNBOUNDED,
}
_PULP_OUTCOME = {
    pulp.LpStatusOptimal: LpOutcome.OPTIMAL,
    pulp.LpStatusInfeasible: LpOutcome.INFEASIBLE,
    pulp.LpStatusUnbounded: LpOutcome.UNBOUNDED,
}
_NO_DUALS = np.zeros(0)


# Held while file descriptor 1 points at the null device, so that two threads constructing HiGHS
# at once cannot save each other's redirect as "the real stdout" and leave it pointing nowhere.
_STDOUT_REDIRECT = threading.Lock()


@contextlib.contextmanager
def _stdout_to_null():
    """Point file descriptor 1 (the process's stdout, shared with C code) at the null device.

    Python text already buffered is flushed first so that it lands where it was meant to. While
    the redirect lasts (one constructor call), anything another thread writes to stdout is lost;
    the engine itself writes nothing there. Without a usable descriptor 1 there is nothing to
    protect, and the body runs as it is.
    """
    with _STDOUT_REDIRECT:
        if sys.stdout is not None:
            sys.stdout.flush()
        try:
            saved = os.dup(1)
        except OSError:
            yield
            return
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(null)


def new_highs(mip_gap: float = 1e-9, time_limit: float | None = None):
    """A HiGHS object that has printed nothing and will print nothing: the one place the
    project creates them.

    highspy 1.16 writes its "Running HiGHS … / Includes third-party software …" banner to stdout
    from inside ``highspy.Highs()`` (its constructor already calls into HiGHS), before any option
    can be set, so construction runs with stdout pointed at the null device. HiGHS flushes each
    log line itself, so nothing is left in a buffer to come out after the redirect ends. From
    then on ``output_flag`` keeps it quiet.
    """
    with _stdout_to_null():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    # Settlement choices are a few binaries: ask for the true optimum, not HiGHS's 0.01 % gap.
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("time_limit", MIP_TIME_LIMIT if time_limit is None else time_limit)
    return h


def _read_highs(h, name: str = "HiGHS") -> LpSolution:
    status = h.getModelStatus().name
    outcome = _HIGHS_OUTCOME.get(status, LpOutcome.ERROR)
    info = h.getInfo()
    if status == "kTimeLimit" and (info.primal_solution_status != 2 or not h.getLp().integrality_):
        # Out of time with no plan at all; or an LP stopped mid-simplex, whose point need not
        # keep the rows (a warm LP on 50 loans × 120 months stopped at 10 s with rows off by
        # ¥2.4 million, and the ledger caught the plan built on it).
        outcome = LpOutcome.ERROR
    if outcome is not LpOutcome.OPTIMAL:
        return LpSolution(outcome, math.nan, _NO_DUALS, _NO_DUALS, name)
    sol = h.getSolution()
    duals = np.asarray(sol.row_dual) if sol.dual_valid else _NO_DUALS
    # A MILP stopped before it had a bound reports no finite gap: inf, never "proven optimal".
    gap = (float(info.mip_gap) if math.isfinite(info.mip_gap) else math.inf) if h.getLp().integrality_ else 0.0
    return LpSolution(outcome, info.objective_function_value, np.asarray(sol.col_value), duals, name, gap)


def _solve_once(arrays: LpArrays, solver: str, start: np.ndarray | None = None,
                time_limit: float | None = None) -> LpSolution:
    if solver == "highs" and highspy is not None:
        h = new_highs(MIP_GAP if len(arrays.integer) > len(arrays.layout.offers) else 1e-9,
                      None if len(arrays.integer) else LP_TIME_LIMIT)
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        # HiGHS's RINS/RENS sub-MIPs stay on: on the single-run model they find in 10 s what
        # the tree alone does not find in 30 (counsellor case: 783,046 against 813,543).
        h.passModel(to_highs(arrays))
        if start is not None:
            seed = highspy.HighsSolution()
            seed.col_value = list(start)
            seed.value_valid = True
            h.setSolution(seed)
        h.run()
        solution = _read_highs(h)
        if solution.outcome is not LpOutcome.ERROR or h.getModelStatus().name == "kTimeLimit":
            # Out of time with no plan: CBC would take longer still (it ran for minutes on a
            # 12-loan MILP); the caller decides what to do without an answer.
            return solution
    model = to_pulp(arrays)
    return _solve_cbc(model.prob, model.columns, model.rows)


def cold_lp(solver: str):
    """An LP solver with the interface of :meth:`Replanner._solve_lp`, each solve cold."""
    return lambda arrays, confirm=True: _solve_once(arrays, solver)


def polish(arrays: LpArrays, solution: LpSolution, solve=None) -> LpSolution:
    """Fix the MILP's behind pattern (and offers taken) and re-solve the LP, so that a month the
    plan calls current owes nothing overdue at all, not just less than the integrality tolerance.
    Given that pattern every stage variable is whole at the optimum (see model docstring). A month
    marked behind that owes nothing overdue is marked current (always feasible, never dearer), and
    the LP is re-solved while that changes the pattern (a solver stopped by its time limit can
    leave such months)."""
    layout = arrays.layout
    solve = solve or cold_lp("highs")
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    lower[arrays.integer] = upper[arrays.integer] = np.round(solution.x[arrays.integer])
    watched = arrays.col_lower[layout.behind] < 1.0  # behind columns the MILP could choose
    best = solution
    for _ in range(50):
        behind = behind_pattern(arrays, best.x)
        lower[layout.behind[watched]] = upper[layout.behind[watched]] = behind[watched]
        polished = solve(arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int)))
        if polished.outcome is not LpOutcome.OPTIMAL:
            # A month whose overdue sat under the tolerance is counted as behind instead.
            late = best.x[layout.overdue] > 1e-9
            if arrays.installment is not None:  # or its installment paid short by a fraction of a fen
                late |= (best.x[layout.pay] < arrays.installment - 1e-9) & (best.x[layout.balance] > 1e-6)
            late &= watched
            lower[layout.behind[late]] = upper[layout.behind[late]] = 1.0
            polished = solve(arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int)))
            if polished.outcome is not LpOutcome.OPTIMAL:
                return best
        improved = polished.objective < best.objective - 1e-9 or best is solution
        best = polished._replace(gap=solution.gap, solver=solution.solver)
        if not improved:
            break
    return best


def behind_pattern(arrays: LpArrays, x: np.ndarray) -> np.ndarray:
    """(n, T) 1.0 where a solution is behind: marked behind and owing something overdue or its
    installment paid short, as the ledger counts it (a month marked behind that is neither is
    current)."""
    layout = arrays.layout
    late = x[layout.overdue] > 1e-9
    if arrays.installment is not None:
        pay = x[layout.pay]
        need = np.minimum(arrays.installment, x[layout.balance] + pay)
        late |= (pay < need - MISSED_BELOW) & (x[layout.balance] > 1e-6)
    late |= ~charges_cleared(layout, x)  # interest or fees left unpaid (simple interest)
    return np.round(x[layout.behind]) * late


def fixed_pattern(arrays: LpArrays, behind: np.ndarray, solver: str = "highs", lp=None,
                  paid_off: np.ndarray | None = None) -> LpSolution:
    """The best plan that is behind exactly in the months ``behind`` (n, T) says (and paid off
    where ``paid_off`` says, :func:`optimizer.model.as_agreed`): an LP."""
    layout = arrays.layout
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    free = lower[layout.behind] < upper[layout.behind]
    lower[layout.behind[free]] = upper[layout.behind[free]] = behind[free].astype(float)
    lower[layout.take_columns] = upper[layout.take_columns] = 0.0
    as_agreed(layout, lower, upper, paid_off)
    lp = lp or cold_lp(solver)
    return lp(arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int)))


def seeded_start(arrays: LpArrays, solver: str = "highs", lp=None) -> LpSolution | None:
    """For every rule of thumb, the best plan behind in the same months as that rule (an LP on
    the model that allows any pattern), and the cheapest of these. The optimizer's answer is
    never worse than it, so never worse than any rule of thumb, even when the branch and bound
    stops at its time limit."""
    return seeded_starts(arrays, solver, lp)[0]


def seeded_starts(arrays: LpArrays, solver: str = "highs", lp=None,
                  quick: bool = False) -> tuple[LpSolution | None, LpSolution | None, bool, list[LpSolution]]:
    """(the cheapest seed of any regime, the cheapest under "every month clears the charges",
    whether a rule's own regime or "every month clears" fitted, every seed cheapest first), from
    one pass over the rules of thumb (see :func:`seeded_start`). ``quick``: one LP per rule, "every month clears" where that
    fits the rule's months behind, else the rule's own regime (the many re-solves behind
    negotiation targets: half the LPs). Where neither fits any rule, the seed is the cheapest
    in the loosest regime (:func:`loosest_regime`): a plan, but a poor regime to fix."""
    from .heuristics import POLICIES, SEEDS  # the rules of thumb sit above the solver

    general = any_pattern(arrays)
    best = best_ones = loose = None
    candidates: list[LpSolution] = []
    # Each seed is a candidate (no rule's months behind need fit): a "no plan" is not checked
    # cold, which on a 30-year plan cost seconds per rule.
    lp = _unconfirmed(lp) if lp is not None else None
    ledgers = [replay(arrays.terms, policy(arrays.terms, None)) for policy in (*POLICIES.values(), *SEEDS.values())]
    for ledger in ledgers:
        # The rule's own regime (its plan is then one of the LP's), and every month's payment
        # clearing the charges (three-overdue-loans: the optimum of the model with a binary per
        # month, which the rules' regimes miss by 5 %).
        own = ledger_regime(ledger)
        regimes = [own]
        if arrays.terms.simple_interest.any() and not own.all():
            regimes.append(np.ones(ledger.payments.shape, dtype=bool))
        if quick:
            regimes.reverse()
        for regime in regimes:
            candidate = _seed(general, ledger, regime, solver, lp)
            if candidate is None:
                continue
            candidates.append(candidate)
            if best is None or candidate.objective < best.objective:
                best = candidate
            if regime.all() and (best_ones is None or candidate.objective < best_ones.objective):
                best_ones = candidate
            if quick:
                break
    if best is not None or not arrays.terms.simple_interest.any():
        return best, best_ones, True, sorted(candidates, key=lambda c: c.objective)
    # Neither regime fits any rule's months behind (a settlement due soon takes the money that
    # cleared the other loans' charges in each rule's own plan): the loosest regime, where a month
    # behind pays at most its charges, any amount down to nothing.
    for ledger in ledgers:
        candidate = _seed(general, ledger, loosest_regime(arrays, ledger_regime(ledger)), solver, lp)
        if candidate is not None and (loose is None or candidate.objective < loose.objective):
            loose = candidate
    return loose, None, False, [] if loose is None else [loose]


def _seed(general: LpArrays, ledger: Ledger, regime: np.ndarray, solver: str, lp) -> LpSolution | None:
    """The best plan behind in the months a rule's ``ledger`` is, in ``regime``; None: none."""
    candidate = fixed_pattern(with_regime(general, regime), ledger.behind[:, 1:], solver, lp,
                              ledger.balance[:, 1:] < SETTLED_BELOW)
    return candidate._replace(regime=regime) if candidate.outcome is LpOutcome.OPTIMAL else None


def loosest_regime(arrays: LpArrays, own: np.ndarray) -> np.ndarray:
    """(n, T) bool: the regime that asks least of the money: no month behind must clear the
    charges (a loan that can escalate), a loan with nothing left to escalate as ``own``."""
    return own & ~escalation(arrays.terms).watch[:, None]


def ledger_regime(ledger: Ledger) -> np.ndarray:
    """(n, T) bool: the months a replayed plan is behind and still pays every charge (what
    :func:`optimizer.model.with_regime` fixes)."""
    if ledger.principal is None:
        return np.zeros(ledger.payments.shape, dtype=bool)
    # Every month that clears the charges: a month current must clear them anyway, and a loan
    # with nothing left to escalate (behind throughout in the model) takes its regime as is.
    return ledger.balance[:, 1:] - ledger.principal[:, 1:] < SETTLED_BELOW


def _reference_regime(arrays: LpArrays) -> np.ndarray:
    """The regime of the priority rule's plan, for a model with no seed (offers, extra money)."""
    from .heuristics import POLICIES  # the rules of thumb sit above the solver

    return ledger_regime(replay(arrays.terms, POLICIES["priority"](arrays.terms, None)))


def single_run_start(arrays: LpArrays, behind: np.ndarray, solver: str = "highs", lp=None,
                     paid_off: np.ndarray | None = None) -> LpSolution | None:
    """A start for the single-run MILP from any pattern (n, T): each loan behind from its first
    month behind to its last (a loan behind now: from month 1), the best plan for that pattern."""
    behind = behind.astype(bool)
    some = behind.any(axis=1)
    first, end = _runs_of(behind)
    from_start = arrays.col_upper[arrays.layout.started[:, 0]] == 0  # no run to choose: behind now
    first = np.where(from_start, 0, first)
    end = np.where(from_start & ~some, 0, end)
    lp = lp or cold_lp(solver)
    found = lp(_with_runs(arrays, first, end, paid_off))
    return found if found.outcome is LpOutcome.OPTIMAL else None


def _runs(arrays: LpArrays, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each loan's run of months behind in a solution, as (first, end) 0-based month indices
    (end exclusive; first = end = T: no run)."""
    return _runs_of(behind_pattern(arrays, x) > 0)


def _runs_of(behind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, end) of each row of an (n, T) bool pattern: its first month behind and one past
    its last (first = end = T where it is never behind)."""
    T = behind.shape[1]
    some = behind.any(axis=1)
    first = np.where(some, np.argmax(behind, axis=1), T)
    end = np.where(some, T - np.argmax(behind[:, ::-1], axis=1), T)
    return first, end


def _with_runs(arrays: LpArrays, first: np.ndarray, end: np.ndarray, paid_off: np.ndarray | None = None) -> LpArrays:
    """The single-run model with every loan's run fixed: an LP."""
    layout = arrays.layout
    months = np.arange(layout.T)[None, :]
    behind = (months >= first[:, None]) & (months < end[:, None])
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    watched = lower[layout.behind] < upper[layout.behind]
    lower[layout.behind[watched]] = upper[layout.behind[watched]] = behind[watched].astype(float)
    runs = upper[layout.started[:, 0]] > 0
    started = (months >= first[:, None]) & (end[:, None] > first[:, None])
    lower[layout.started[runs]] = upper[layout.started[runs]] = started[runs].astype(float)
    lower[layout.take_columns] = upper[layout.take_columns] = 0.0
    as_agreed(layout, lower, upper, paid_off)
    return arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int))


def improve_runs(arrays: LpArrays, start: LpSolution, lp, budget: float = 1.0) -> LpSolution:
    """Local search over whole runs, each candidate an LP (warm when ``lp`` keeps its model):
    some loans kept current at once (:func:`_keep_current_search`), the others' runs where the LP
    relaxation then leaves them overdue; and for every loan, no run at all, the run cured sooner
    (by half its length, then by one month) or, for a loan current now, begun later.
    Improvements are kept until none is left or the ``budget`` (seconds) is spent. This finds what the branch and bound's weak early bound hides
    for long: that keeping a performing loan current is worth more than any payment elsewhere."""
    import time

    deadline = time.monotonic() + budget
    # Every LP here is a candidate: a warm "no plan" is taken unchecked (a wrong one only skips
    # a move), as the cold solve that checks it can take seconds on a long plan (a 30-year plan
    # under simple interest spent minutes past the budget on it).
    lp = _unconfirmed(lp)
    layout = arrays.layout
    T = layout.T
    watched = arrays.col_lower[layout.behind[:, 0]] < arrays.col_upper[layout.behind[:, 0]]
    from_start = watched & (arrays.col_upper[layout.started[:, 0]] == 0)
    best = start
    first, end = _runs(arrays, best.x)
    first = np.where(from_start & (end > 0) & (end <= T), 0, first)
    while time.monotonic() < deadline:
        # Moves of several runs at once: some loans kept current (a loan behind now: cured where
        # the LP relaxation cures it), the others' runs where the LP relaxation with that rule
        # leaves them overdue. Keeping performing loans current needs money that other loans'
        # longer runs free, which no move of one run finds (counsellor case: 809,648 with 微粒贷
        # behind → 790,830 with 花呗, 微粒贷 and 安逸花 current; the 30 s branch and bound: 791,666).
        found = _keep_current_search(arrays, best, watched & ~from_start, watched & from_start & (end > first),
                                     lp, deadline)
        if found is not None:
            best = found
            first, end = _runs(arrays, best.x)
            first = np.where(from_start & (end > 0) & (end <= T), 0, first)
        # Moves of one loan's run, the others' runs as they are, while they improve.
        improved = True
        while improved and time.monotonic() < deadline:
            improved = False
            for i in np.nonzero(watched & (end > first) & (first < T))[0]:
                length = end[i] - first[i]
                tries = [(first[i], first[i])] if not from_start[i] else [(0, 0)]
                tries += [(first[i], end[i] - max(1, length // 2)), (first[i], end[i] - 1)]
                if not from_start[i]:
                    tries.append((first[i] + 1, end[i]))
                for f, e in tries:
                    if time.monotonic() >= deadline:
                        break
                    if e < f or (f, e) == (first[i], end[i]):
                        continue
                    f2, e2 = first.copy(), end.copy()
                    f2[i], e2[i] = (T, T) if e == f else (f, e)
                    candidate = lp(_with_runs(arrays, f2, e2, paid_off_in(layout, best.x)))
                    if candidate.outcome is LpOutcome.OPTIMAL and candidate.objective < best.objective - 1e-6:
                        best, first, end, improved, found = candidate, f2, e2, True, candidate
                        break
        if found is None:
            break  # neither kind of move improves
    return best


def _unconfirmed(lp):
    """``lp`` taking a warm "no plan" unchecked (see :meth:`Replanner._solve_lp`)."""
    return lambda arrays, confirm=False: lp(arrays, confirm=False)


def compound_search(arrays: LpArrays, solver: str, lp, budget: float) -> LpSolution | None:
    """Under simple interest, the search over runs (:func:`improve_runs`) on the same loans with
    interest compounded, then made exact: the plan it finds, replayed by the ledger under the law,
    gives its months behind and Art. 561 regime, and the best plan for those in the exact model is
    the answer (None if there is none, or the model is not the plain single-run one).

    Why: in the exact model every LP of the search has a regime fixed (which months behind repay
    principal), taken from a rule of thumb's plan, and a set of loans kept current that the rule
    did not keep rarely fits that regime, so the search cannot find the plans that keep more
    loans current (the counsellor case with a ¥700 agreement: 花呗 and 微粒贷 both let fall behind,
    ¥709,411, where keeping 花呗 current costs ¥696,754). Compounding has no regime to fix, and
    the loans it keeps current are kept current under simple interest too (they owe less)."""
    families = {b.family for b in arrays.blocks}
    if "single_run" not in families or families & {"paid_by", "cleared", "settlement"}:
        return None
    terms = arrays.terms
    compound = build_arrays(terms._replace(simple=None))
    # The cheapest seeds in turn, until one's months behind make one run per loan (see
    # :func:`_single_run_base`: the counsellor case, from no plan to the best one found).
    _, first = _first_single_run(compound, seeded_starts(compound, solver, lp)[3][:4], solver, lp, regimed=False)
    if first is None:
        return None
    first = improve_runs(compound, first, lp, budget=budget)
    ledger = replay(terms, first.values(compound.layout.pay))
    regime = ledger_regime(ledger)
    found = fixed_pattern(with_regime(any_pattern(arrays), regime), ledger.behind[:, 1:], solver, lp,
                          ledger.balance[:, 1:] < SETTLED_BELOW)
    return found._replace(regime=regime) if found.outcome is LpOutcome.OPTIMAL else None


def _keep_current_search(arrays: LpArrays, best: LpSolution, performing: np.ndarray, cured: np.ndarray, lp,
                         deadline: float) -> LpSolution | None:
    """The cheapest plan found by keeping loans current (:func:`_kept_current`), or None if none
    beats ``best``: every loan current now kept current, then every set of one loan fewer, two
    fewer, …, down to one size below the first where some set beats ``best`` (the money may keep
    several performing loans current but not all: the counsellor case keeps three of its four;
    with an agreement of ¥700 a month, two); then each loan behind now with a run, cured alone."""
    import itertools
    import time

    found, found_at = None, 0
    behind = behind_pattern(arrays, best.x)
    paid_off = paid_off_in(arrays.layout, best.x)
    # A loan under an agreement is in every set: it is held to its installments anyway, so the
    # sets with and without it differ only in how the relaxation may leave it (trying both would
    # double the sets; leaving it out lets the relaxation put it behind by a fraction, and the
    # plan built from that pays for a run it need not have: 823,836 against 749,322).
    agreed = performing & arrays.terms.agreed.any(axis=1)
    always = tuple(int(i) for i in np.nonzero(agreed)[0])
    loans = [int(i) for i in np.nonzero(performing & ~agreed)[0]]
    for size in range(len(loans), 0, -1):
        if found is not None and found_at > size + 1:
            break  # one size below the first that beat the plan so far: keeping fewer rarely pays
        for kept in itertools.combinations(loans, size):
            if time.monotonic() >= deadline:
                return found
            candidate = _kept_current(arrays, always + kept, lp, behind, paid_off)
            if candidate is not None and candidate.objective < (found or best).objective - 1e-6:
                found, found_at = candidate, found_at or size
    for i in np.nonzero(cured)[0]:
        if time.monotonic() >= deadline:
            break
        candidate = _kept_current(arrays, (int(i),), lp, behind, paid_off)
        if candidate is not None and candidate.objective < (found or best).objective - 1e-6:
            found = candidate
    return found


def _kept_current(arrays: LpArrays, loans, lp, behind: np.ndarray, paid_off: np.ndarray | None = None) -> LpSolution | None:
    """The single-run plan with ``loans`` kept current (a loan current now never falls behind;
    a loan behind now is cured where the LP relaxation cures it), the other loans behind where
    the LP relaxation with that rule leaves them overdue; if that fits no plan, also where the
    plan so far (``behind``, n × T) is behind (a card cured sooner in the relaxation than the
    money allows in whole months: the counsellor case at ¥11,500)."""
    layout = arrays.layout
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    current_now = [i for i in loans if upper[layout.started[i, 0]] > 0]
    for i in current_now:
        lower[layout.behind[i]] = upper[layout.behind[i]] = 0.0
        lower[layout.started[i]] = upper[layout.started[i]] = 0.0
    # ``lp`` is the search's (:func:`improve_runs`): a warm "no plan" taken unchecked, as most sets
    # tried cannot all be kept current.
    relaxed = lp(arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int)))
    if relaxed.outcome is not LpOutcome.OPTIMAL:
        return None
    overdue = relaxed.x[layout.overdue] > 1e-6
    for i in loans:
        overdue[i] = False if i in current_now else np.cumprod(overdue[i]).astype(bool)
    found = single_run_start(arrays, overdue, "highs", lp, paid_off)
    if found is None:
        others = np.ones(len(overdue), dtype=bool)
        others[list(loans)] = False
        overdue[others] |= behind[others] > 0
        found = single_run_start(arrays, overdue, "highs", lp, paid_off)
    # The relaxation pays in fractions and clears some loans sooner than whole months can, and
    # since a loan in enforcement must be paid its floor while behind, no run can simply be
    # made as long as possible: the other loans' runs a month or two longer (the counsellor case,
    # 花呗, 微粒贷 and 安逸花 kept current: 借呗 and 平安普惠 need more months than the relaxation's;
    # 798,217 against 803,026 with 安逸花 behind). The search then shortens them where it can.
    first, end = _runs_of(overdue)
    months = np.arange(layout.T)[None, :]
    for more in (1, 2, 4):
        if found is not None:
            break
        longer = np.where(end > first, np.minimum(layout.T, end + more), end)
        found = single_run_start(arrays, (months >= first[:, None]) & (months < longer[:, None]), "highs", lp, paid_off)
    return found


def solve_arrays(arrays: LpArrays, solver: str = "highs", time_limit: float | None = None,
                 quick: bool = False, lp=None) -> LpSolution:
    """Solve with HiGHS (default) or CBC; fall back to CBC if HiGHS is missing or errs.

    A MILP with escalation: the best rule of thumb's pattern (:func:`seeded_start`) gives a
    starting plan; the branch and bound runs on the single-run model; its answer is polished
    (:func:`polish`) on the model that allows any pattern; the cheapest of that, the start and
    the seed is the answer. ``quick`` skips the branch and bound: the seed, polished (what the many
    re-solves behind negotiation targets use; the gap is then unknown, reported as NaN)."""
    if lp is None:
        # The many LPs of one solve (seeds, runs, polishing) share a shape: warm re-solves, even
        # without a replanner (what lets the search over runs reach its moves within its budget).
        lp = Replanner()._solve_lp if solver == "highs" and highspy is not None else cold_lp(solver)
    seed = start = first = None
    searched = not arrays.layout.offers and not arrays.layout.has_extra
    escalates = np.setdiff1d(any_pattern(arrays).integer, arrays.layout.cleared.ravel())
    seed_ones, fitted, ranked = None, True, []
    # Simple interest: a seed also when only Art. 561's order is to choose (a loan with nothing
    # left to escalate), so the plan is never worse than a rule of thumb even within MIP_GAP.
    if searched and (len(escalates) > 0 or arrays.terms.simple_interest.any()):
        seed, seed_ones, fitted, ranked = seeded_starts(arrays, solver, lp, quick)
    base = seed
    # Art. 561's order under simple interest (:func:`optimizer.model.with_regime`): the branch and
    # bound runs with every month's payment clearing the charges where some rule of thumb's months
    # behind allow it (on the shipped cases the best of the regimes tried, and on three-overdue-loans
    # the optimum of the model with a binary per month); else in the seed's regime, or the priority
    # rule's. The cheapest seed of any regime stays a candidate. Where no rule's months behind fit
    # a regime of theirs, the seed's (the loosest) is a poor one to fix: a settlement agreement
    # due in three months on income-too-low cost ¥230,606 in it against ¥84,617 with a binary per
    # month (the best rule ¥90,877); there the branch and bound chooses the order month by month.
    if arrays.terms.simple_interest.any() and not fitted:
        regime, starts, unregimed = None, arrays, None
    elif arrays.terms.simple_interest.any():
        if seed is not None and not seed.regime.all():
            base = seed_ones or seed
        if base is not None and not quick and len(escalates) > 0:
            base = _single_run_base(arrays, base, ranked, solver, lp)
        regime = base.regime if base is not None else _reference_regime(arrays)
        # The starts below are LPs: there a loan with nothing left to escalate takes the regime
        # as it is (a fraction of ``cleared`` would repay principal with charges unpaid); the
        # branch and bound chooses it.
        starts = with_regime(arrays, regime)
        unregimed, arrays = arrays, with_regime(arrays, regime, search_unwatched=True)
    else:
        regime, starts, unregimed = None, arrays, None
    general = any_pattern(arrays)
    if searched and len(general.integer) > len(arrays.layout.offers):
        if quick:
            # No rule of thumb's months behind fit (a settlement the money cannot pay by its
            # month): the quick search has no plan, and says so rather than branching.
            if seed is None:
                return LpSolution(LpOutcome.INFEASIBLE, math.nan, _NO_DUALS, _NO_DUALS, solver)
            own = with_regime(general, seed.regime)
            quick_plan = polish(own, seed._replace(gap=math.nan), lp)
            # The loosest regime forbids repaying principal in any month behind: let months go.
            return improve_regime(own, quick_plan, lp) if not fitted and quick_plan.outcome is LpOutcome.OPTIMAL else quick_plan
        if not fitted and seed is not None:
            start = seed.x  # whole in the general model too: its order is the loosest regime's
        elif base is not None:
            first = single_run_start(starts, behind_pattern(arrays, base.x), solver, lp, paid_off_in(arrays.layout, base.x))
            if first is not None:
                first = improve_runs(starts, first, lp, budget=SEARCH_BUDGET)._replace(regime=regime)
            if regime is not None:
                found = compound_search(starts, solver, lp, SEARCH_BUDGET)
                if found is not None and (first is None or found.objective < first.objective - 1e-6):
                    # Another regime: the branch and bound runs in it, from that plan.
                    first, regime = found, found.regime
                    arrays = with_regime(arrays, regime, search_unwatched=True)
                    general = any_pattern(arrays)
            start = None if first is None else first.x
    solution = _solve_once(arrays, solver, start, time_limit)
    if solution.outcome is LpOutcome.INFEASIBLE and start is None and unregimed is not None:
        # No start, and the regime taken from the priority rule asks for money the plan cannot
        # spare (a settlement due soon): the general model, Art. 561's order a binary per month,
        # always has a plan.
        arrays, regime = unregimed, None
        general = any_pattern(arrays)
        solution = _solve_once(arrays, solver, None, time_limit)
    if solution.outcome is LpOutcome.ERROR and start is not None:
        # Out of time before HiGHS took up the start (a short limit on a loaded machine): the
        # start is the best plan found.
        solution = first._replace(gap=math.inf)
    if solution.outcome is LpOutcome.OPTIMAL and not math.isfinite(solution.gap):
        # No bound from the branch and bound: the LP relaxation says how far the plan may be from the best.
        bound = lp(arrays._replace(integer=np.zeros(0, dtype=int)))
        gap = ((solution.objective - bound.objective) / max(abs(solution.objective), 1e-9)
               if bound.outcome is LpOutcome.OPTIMAL else 1.0)
        solution = solution._replace(gap=min(max(gap, 0.0), 1.0))
    if solution.outcome is LpOutcome.OPTIMAL and len(arrays.integer):
        solution = polish(general, solution, lp)
    # The branch and bound does not always keep the start it was given (seen on a loaded
    # machine: HiGHS's own plan at its time limit, dearer than the start): the cheapest of its
    # answer, the start and the seed is the plan.
    for found in (first, base, seed):
        if found is not None and (solution.outcome is not LpOutcome.OPTIMAL or found.objective < solution.objective - 1e-9):
            polished = polish(with_regime(general, found.regime), found, lp)
            gap = solution.gap if solution.outcome is LpOutcome.OPTIMAL else math.nan
            solution = polished._replace(gap=gap)
    if solution.outcome is LpOutcome.OPTIMAL and arrays.terms.simple_interest.any():
        solution = improve_regime(with_regime(general, solution.regime), solution, lp)
    return solution


def _single_run_base(arrays: LpArrays, base: LpSolution, ranked: list[LpSolution], solver: str, lp,
                     tries: int = 4) -> LpSolution:
    """The seed the branch and bound starts from: ``base`` if its months behind make one run per
    loan in its regime (:func:`single_run_start`), else the cheapest other seed whose do. A seed
    may cure a loan behind now in month 1 and let it fall behind again: two runs, which the plans
    we offer never have; made one run, the loan is accelerated before its cure and the pattern
    fits no plan, and the branch and bound starts from nothing (counsellor case with performing
    loans kept current, 10 s: 754,817 with neither this nor the same in :func:`compound_search`,
    754,817 with this alone, 740,876 with that alone, 738,369 with both)."""
    found, _ = _first_single_run(arrays, [base, *[c for c in ranked if c is not base][:tries]], solver, lp,
                                 regimed=True)
    return found or base


def _first_single_run(arrays: LpArrays, seeds: list[LpSolution], solver: str, lp,
                      regimed: bool) -> tuple[LpSolution | None, LpSolution | None]:
    """(the first of ``seeds`` whose months behind make one run per loan, the best plan with those
    runs: :func:`single_run_start`), in the seed's own regime when ``regimed``; (None, None) if none do."""
    for seed in seeds:
        starts = with_regime(arrays, seed.regime) if regimed else arrays
        first = single_run_start(starts, behind_pattern(arrays, seed.x), solver, lp, paid_off_in(arrays.layout, seed.x))
        if first is not None:
            return seed, first
    return None, None


def improve_regime(arrays: LpArrays, solution: LpSolution, lp, rounds: int = 6) -> LpSolution:
    """Local search over Art. 561's regime (:func:`optimizer.model.with_regime`) with the plan's
    months behind fixed, each step an LP: a month behind that paid exactly its charges because the
    regime forbade repaying principal is allowed to (three-overdue-loans: ¥31,633 → ¥30,081, what
    the model with a binary per month finds), and one that repaid no principal although the regime
    made it clear every charge is let off; kept while it lowers the weighted cost."""
    layout, T = arrays.layout, arrays.layout.T
    simple = arrays.terms.simple_interest[:, None]
    best = solution
    for _ in range(rounds):
        x = best.x
        behind = behind_pattern(arrays, x).astype(bool) | (arrays.col_lower[layout.behind] > 0.5)
        regime = regime_of(layout, x, behind)
        before = np.concatenate([arrays.terms.opening_principal[:, None], x[layout.principal][:, :T - 1]], axis=1)
        held = x[layout.balance] - before <= 1e-6  # paid no more than the charges
        repaid_none = before - x[layout.principal] <= 1e-6
        flip = simple & behind & ((~regime & held) | (regime & repaid_none))
        if not flip.any():
            break
        lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
        watched = lower[layout.behind] < upper[layout.behind]
        lower[layout.behind[watched]] = upper[layout.behind[watched]] = behind[watched].astype(float)
        as_agreed(layout, lower, upper, paid_off_in(layout, x))
        fixed = arrays._replace(col_lower=lower, col_upper=upper, integer=np.zeros(0, dtype=int))
        regime = regime ^ flip
        candidate = lp(with_regime(fixed, regime))
        if candidate.outcome is not LpOutcome.OPTIMAL or candidate.objective >= best.objective - 1e-6:
            break
        # The money a flip frees can clear a loan sooner, so a month kept behind may now owe
        # nothing: polishing marks it current (else the plan would pay for a stage, such as
        # enforcement, that its payments never reach: a replanned three-overdue-loans case).
        candidate = polish(with_regime(arrays, regime), candidate, lp)
        if candidate.outcome is not LpOutcome.OPTIMAL or candidate.objective >= best.objective - 1e-6:
            break  # polishing can cost more than the flip saved: the plan before it stands
        best = candidate._replace(gap=solution.gap, solver=solution.solver, regime=regime)
    return best


def _solve_cbc(prob: pulp.LpProblem, cols: list, rows: dict) -> LpSolution:
    """PuLP's bundled CBC through ``COIN_CMD`` (PuLP 4 drops ``PULP_CBC_CMD``)."""
    from pulp.apis.coin_api import pulp_cbc_path

    status = prob.solve(pulp.COIN_CMD(msg=False, path=pulp_cbc_path))
    outcome = _PULP_OUTCOME.get(status, LpOutcome.ERROR)
    if outcome is not LpOutcome.OPTIMAL:
        return LpSolution(outcome, math.nan, _NO_DUALS, _NO_DUALS, "CBC")
    x = np.array([v.varValue or 0.0 for v in cols])
    duals = np.array([row.pi or 0.0 for row in rows.values()])
    return LpSolution(outcome, pulp.value(prob.objective), x, duals, "CBC")


class Replanner:
    """HiGHS models kept between solves, one per shape (loans, horizon, variant). A model of a
    shape seen before is updated in place, only where its numbers differ, and re-solved from the
    last basis; the answer is the same as a cold solve's (a test checks it to ¥0.01)."""

    def __init__(self, shapes: int = 6) -> None:
        self._models: dict = {}  # shape -> [Highs, numbers]
        self._shapes = shapes
        self._last = None
        self.warm_solves = 0
        self.cold_solves = 0

    def solve(self, arrays: LpArrays, time_limit: float | None = None, quick: bool = False) -> LpSolution:
        if highspy is None:
            return solve_arrays(arrays, time_limit=time_limit, quick=quick)
        if len(arrays.integer):
            # The escalation MILP: its many LPs (seeds from the rules of thumb, polishing) share
            # one shape, so they are the warm re-solves.
            return solve_arrays(arrays, time_limit=time_limit, quick=quick, lp=self._solve_lp)
        return self._solve_lp(arrays)

    def _solve_lp(self, arrays: LpArrays, confirm: bool = True) -> LpSolution:
        """One LP, warm where a model of its shape is kept. ``confirm=False`` (a candidate in a
        search, skipped if it has no plan): a warm "no plan" is taken as it is, without the cold
        solve that checks it (that costs about as much as ten warm solves), and a warm LP stops
        at :data:`CANDIDATE_TIME_LIMIT`."""
        starts, index, value = arrays.csr(keep_zeros=True)
        lower, upper = arrays.row_bounds()
        shape = (arrays.layout, tuple(b.family for b in arrays.blocks), starts.tobytes(), index.tobytes())
        # Copies: callers reuse and change their bound arrays between solves (polish fixes more
        # months each round in the same arrays), and a kept reference would then compare equal
        # to the new bounds, so the change would never reach HiGHS. That stale model answered with
        # a month behind that its bounds forbade (a 6-month case: LP ¥738.96 against the ledger's
        # ¥732.32), and is what once made the Negotiate view say "infeasible".
        numbers = (value, lower, upper, arrays.cost.copy(), arrays.offset, arrays.col_lower.copy(),
                   arrays.col_upper.copy())
        warm = shape in self._models
        if warm:
            h, old = self._models.pop(shape)
            _update(h, old, numbers, starts, index)
            self.warm_solves += 1
        else:
            h = new_highs(time_limit=LP_TIME_LIMIT)
            h.passModel(to_highs(arrays, (starts, index, value)))
            self.cold_solves += 1
            if len(self._models) >= self._shapes:
                self._models.pop(next(iter(self._models)))
        self._models[shape] = [h, numbers]
        self._last = h
        h.setOptionValue("time_limit", CANDIDATE_TIME_LIMIT if warm and not confirm else LP_TIME_LIMIT)
        h.run()
        solution = _read_highs(h, "HiGHS")
        if not confirm:
            if solution.outcome is LpOutcome.ERROR:  # stopped: the next solve of the shape starts afresh
                self._models.pop(shape, None)
            return solution
        if solution.outcome is LpOutcome.ERROR or (warm and solution.outcome is not LpOutcome.OPTIMAL):
            # An error, or a warm model saying "no plan", is checked by a cold solve, so a plan the
            # money allows is never lost to a warm start gone wrong; a model the cold solve
            # contradicts is dropped. (The "infeasible" once seen on the Negotiate view was the kept
            # references above; this stays as the guard.)
            cold = _solve_once(arrays, "highs")
            if solution.outcome is LpOutcome.ERROR or cold.outcome is not solution.outcome:
                self._models.pop(shape, None)
            return cold
        return solution

    def basis(self):
        """The basis of the last solve (to start several variations from the same point)."""
        return self._last.getBasis() if self._last is not None else None

    def start_from(self, basis) -> None:
        """Make the next warm solve of the last shape start from ``basis``."""
        if self._last is not None and basis is not None:
            self._last.setBasis(basis)


def _update(h, old, numbers, starts: np.ndarray, index: np.ndarray) -> None:
    inf = highspy.kHighsInf
    value, lower, upper, cost, offset, col_lower, col_upper = numbers
    old_value, old_lower, old_upper, old_cost, old_offset, old_col_lower, old_col_upper = old
    changed = np.nonzero(value != old_value)[0]
    if changed.size:
        rows = np.searchsorted(starts, changed, side="right") - 1
        for k, r in zip(changed, rows):
            h.changeCoeff(int(r), int(index[k]), float(value[k]))
    rows = np.nonzero((lower != old_lower) | (upper != old_upper))[0]
    if rows.size:
        h.changeRowsBounds(rows.size, rows.astype(np.int32),
                           np.where(np.isinf(lower[rows]), -inf, lower[rows]),
                           np.where(np.isinf(upper[rows]), inf, upper[rows]))
    cols = np.nonzero(cost != old_cost)[0]
    if cols.size:
        h.changeColsCost(cols.size, cols.astype(np.int32), cost[cols])
    cols = np.nonzero((col_upper != old_col_upper) | (col_lower != old_col_lower))[0]
    if cols.size:
        h.changeColsBounds(cols.size, cols.astype(np.int32), col_lower[cols],
                           np.where(np.isinf(col_upper[cols]), inf, col_upper[cols]))
    if offset != old_offset:
        h.changeObjectiveOffset(offset)


def solve_problem(prob: pulp.LpProblem, cols: list, rows: dict, solver: str = "highs", mip_gap: float = 1e-4) -> LpSolution:
    """Solve a small PuLP problem built elsewhere (the installment-ask MILP), columns in order."""
    if solver == "highs" and highspy is not None:
        h = new_highs(mip_gap)
        # The ask MILP is small and its root is tight: HiGHS's restarts and RINS/RENS sub-MIPs
        # cost more than they find (0.43 s → 0.14 s on income-too-low, same optimum).
        h.setOptionValue("mip_allow_restart", False)
        h.setOptionValue("mip_heuristic_run_rins", False)
        h.setOptionValue("mip_heuristic_run_rens", False)
        h.passModel(pulp_to_highs(prob, cols, list(rows.values())))
        h.run()
        solution = _read_highs(h)
        if solution.outcome is not LpOutcome.ERROR:
            return solution
    return _solve_cbc(prob, cols, rows)


def pulp_to_highs(prob: pulp.LpProblem, cols: list, rows: list):
    """A PuLP problem as a HiGHS model, given its columns and rows in order."""
    index = {id(v): j for j, v in enumerate(cols)}
    starts, idx, val, lower, upper = [0], [], [], [], []
    for row in rows:
        for var, coef in row.items():
            idx.append(index[id(var)])
            val.append(coef)
        starts.append(len(idx))
        lb, ub = row.getLb(), row.getUb()
        lower.append(-highspy.kHighsInf if lb is None else lb)
        upper.append(highspy.kHighsInf if ub is None else ub)
    objective = prob.objective
    lp = highspy.HighsLp()
    lp.num_col_ = len(cols)
    lp.num_row_ = len(rows)
    lp.col_cost_ = np.array([objective.get(v, 0.0) for v in cols], dtype=float)
    lp.col_lower_ = np.array([0.0 if v.lowBound is None else v.lowBound for v in cols], dtype=float)
    lp.col_upper_ = np.array([highspy.kHighsInf if v.upBound is None else v.upBound for v in cols], dtype=float)
    lp.row_lower_ = np.array(lower, dtype=float)
    lp.row_upper_ = np.array(upper, dtype=float)
    lp.offset_ = float(objective.constant)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(idx, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(val, dtype=float)
    if any(v.cat == pulp.LpInteger for v in cols):
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if v.cat == pulp.LpInteger else highspy.HighsVarType.kContinuous for v in cols
        ]
    return lp


# ---- plans ------------------------------------------------------------------------------------


def check_solution(arrays: LpArrays, solution: LpSolution, ledger: Ledger) -> tuple[str, ...]:
    """Re-check the invariants from the solution itself, to :data:`CHECK_TOLERANCE` yuan."""
    tm, layout = arrays.terms, arrays.layout
    problems: list[str] = []
    pay = solution.values(layout.pay)
    cash = solution.values(layout.cash)
    balance = solution.values(layout.balance)
    carried = np.concatenate([[tm.cash0], cash[:-1]])
    spent = pay.sum(axis=0) + cash - carried
    for columns in layout.settle.values():
        spent[: len(columns)] += solution.values(columns)
    if layout.extra is not None:
        spent -= solution.x[layout.extra]
    over = spent - tm.net
    for t in np.nonzero(np.abs(over) > CHECK_TOLERANCE)[0]:
        problems.append(f"budget[{tm.months[t]}] off by ¥{over[t]:.4f}")
    for name, arr in (("pay", pay), ("balance", balance), ("cash", cash)):
        if (arr < -CHECK_TOLERANCE).any():
            problems.append(f"negative {name} in the solution")
    gap = np.abs(balance - ledger.balance[:, 1:]).max()
    if gap > CHECK_TOLERANCE:
        problems.append(f"ledger and LP balances differ by up to ¥{gap:.4f}")
    if layout.extra is None:
        scale = max(1.0, abs(solution.objective))
        if abs(ledger.weighted_cost - solution.objective) > CHECK_TOLERANCE + 1e-7 * scale:
            problems.append(
                f"ledger cost ¥{ledger.weighted_cost:.4f} differs from the LP objective ¥{solution.objective:.4f}"
            )
    return tuple(problems) + ledger.problems


def short_months(terms: PlanTerms) -> str | None:
    """Months whose essentials income and every yuan saved cannot cover, in words (None: none)."""
    short = terms.essentials_short
    if short is None or not (short > 0.005).any():
        return None
    months = [f"{terms.months[t]} (¥{short[t]:,.2f})" for t in np.nonzero(short > 0.005)[0]]
    shown = ", ".join(months[:6]) + (f" and {len(months) - 6} more" if len(months) > 6 else "")
    return (f"Income and savings do not cover essentials in {len(months)} month(s): {shown}. "
            f"No plan can pay those; the plan pays nothing then, keeps what later short months need, "
            f"and pays the loans from the other months.")


def agreements_shortfall(terms: PlanTerms) -> tuple[int, float] | None:
    """(first month index, yuan short) where the agreed installments, paid in full every month,
    need more than all the money there is by then; None when they fit."""
    need = np.cumsum(terms.agreed.sum(axis=0))
    have = terms.cash0 + np.cumsum(terms.net)
    short = np.nonzero(need > have + 1e-6)[0]
    return (int(short[0]), float(need[short[0]] - have[short[0]])) if short.size else None


def extra_money_to_clear(terms: PlanTerms, solver: str = "highs", replanner: Replanner | None = None) -> tuple[float, bool]:
    """The smallest whole-yuan extra per month that clears every debt, and whether a re-solve
    with it confirmed clearing (it is raised a yuan at a time if solver noise put it short)."""
    # Escalation makes these MILPs too; the amount is an estimate confirmed by the re-solve below.
    def solve(a):
        return solve_arrays(a, solver, time_limit=EXTRA_TIME_LIMIT)

    arrays = build_arrays(terms, ModelOptions(find_extra_money=True))
    sol = solve(arrays)
    if sol.outcome is not LpOutcome.OPTIMAL:
        # No plan within the time limit: the LP relaxation's amount (never more than needed),
        # raised below until a re-solve confirms it.
        sol = solve(arrays._replace(integer=np.zeros(0, dtype=int)))
    if sol.outcome is not LpOutcome.OPTIMAL:
        return math.nan, False
    needed = sol.objective
    extra = 0.0 if needed <= 1e-6 else float(math.ceil(needed - 1e-6))

    def clears(amount: float) -> bool:
        return solve(build_arrays(terms, ModelOptions(clear_by_horizon=True, extra_money=amount))).outcome is LpOutcome.OPTIMAL

    for _ in range(3):
        if clears(extra):
            break
        extra += 1.0
    else:
        return extra, False
    if terms.simple_interest.any() and extra > 0:
        # Under simple interest the search above ran in one fixed order of Art. 561 months (the
        # priority rule's), which can overstate the amount: on income-too-low ¥1 less than it
        # named still cleared, in the order the plan itself chose. The amount named is what the
        # user is told "would clear them", so it is bisected down on that: the smallest whole yuan
        # at which the optimal plan, re-solved with it, clears (from below, the LP relaxation of
        # the model that leaves the order free: less than it clears nothing).
        relaxed = _solve_once(any_pattern(arrays)._replace(integer=np.zeros(0, dtype=int)), solver)
        low = math.ceil(relaxed.objective - 1e-6) - 1.0 if relaxed.outcome is LpOutcome.OPTIMAL else -1.0

        def plan_clears(amount: float, quick: bool) -> bool:
            richer = terms._replace(net=terms.net + amount)
            return optimal_plan(richer, solver, check_extra=False, replanner=replanner, time_limit=EXTRA_TIME_LIMIT,
                                quick=quick).ledger.leftover < 0.005

        if not plan_clears(extra, quick=False):
            return extra, False
        # A yuan less, by the quick plan (the best rule's months behind, polished: no branch and
        # bound; a full solve of a 30-year plan per step took minutes); if that still clears,
        # halving down from there. The amount named is then confirmed by the optimal plan, raised
        # by ¥1, ¥4, ¥16 if it needs more (else the amount confirmed above).
        # At most EXTRA_PROBES quick plans: the amount named always clears (confirmed below),
        # but past that many it may be a little above the least (a ¥1,000,000 30-year plan took
        # 45 probes, 2.5 minutes, to come down from the estimate).
        low = max(low, -1.0)
        found, probes = extra, 1
        if extra - 1 > low and plan_clears(extra - 1, quick=True):
            found = extra - 1  # not the least yet: halving between the relaxation's bound and here
        else:
            low = extra - 1
        while found - low > 1 and probes < EXTRA_PROBES:
            probes += 1
            middle = float(math.floor((found + low) / 2))
            if plan_clears(middle, quick=True):
                found = middle
            else:
                low = middle
        step = 1.0
        for _ in range(4):
            if found >= extra or plan_clears(found, quick=False):
                break
            found, step = min(extra, found + step), step * 4
        else:
            found = extra  # confirmed above
        extra = found
    return extra, True


def harm_order(terms: PlanTerms) -> PlanTerms:
    """Terms with the harm order made hard when money is short (issue: a sued loan must never be
    starved to finish cheap ones): if the priority rule (sued and enforced loans first) cannot
    clear the debts, every loan sued now may owe, at the end of each month, no more than it owes
    under that rule. Then it is never further behind than under the priority rule, the priority
    rule's own plan stays feasible, and the optimizer only chooses among the other loans."""
    from .heuristics import priority  # the rules of thumb sit above the solver

    sued = terms.stage0[:, SUED] | terms.stage0[:, ENFORCEMENT]
    if not sued.any() or terms.agreed.any():
        return terms
    ledger = replay(terms, priority(terms, None))
    if ledger.leftover <= 0:
        return terms
    ceiling = np.full((terms.n_loans, terms.horizon), np.inf)
    ceiling[sued] = ledger.balance[sued, 1:]
    return terms._replace(ceiling=ceiling)


def _best_rule_cost(terms: PlanTerms) -> float:
    """The weighted cost of the cheapest rule of thumb, replayed on ``terms``."""
    from .heuristics import POLICIES  # the rules of thumb sit above the solver

    return min(replay(terms, policy(terms, None)).weighted_cost for policy in POLICIES.values())


def optimal_plan(
    terms: PlanTerms, solver: str = "highs", check_extra: bool = True, replanner: Replanner | None = None,
    time_limit: float | None = None, quick: bool = False,
) -> PlanResult:
    """The optimizer's plan, replayed through the ledger, with a diagnosis if it cannot clear.

    ``check_extra=False`` skips the extra-money search (for re-solves that only need the cost);
    a ``replanner`` re-solves warm from its last model (what a slider move does); ``time_limit``
    bounds the branch and bound (seconds; the gap is reported); ``quick`` skips it (see
    :func:`solve_arrays`).
    """
    notes = [note for note in (short_months(terms),) if note]
    terms = harm_order(terms)
    # The quick search never branches: it needs only the model that allows any pattern.
    arrays = build_arrays(terms, ModelOptions(single_run=not quick))
    if replanner is not None and solver == "highs":
        def solve(a):
            return replanner.solve(a, time_limit, quick)
    else:
        def solve(a):
            return solve_arrays(a, solver, time_limit, quick)
    solution = solve(arrays)
    if solution.outcome is not LpOutcome.OPTIMAL and terms.ceiling is not None:
        # Sued loans first holds each month's balance to the priority rule's own, with no slack;
        # on huge balances (¥1,000,000 for 360 months) rounding in the last digits can leave no
        # whole pattern inside it (no rule's pattern fits, and the branch and bound finds none or
        # runs out of time). Then the weights alone decide (never worse than a rule of thumb).
        terms = terms._replace(ceiling=None)
        arrays = build_arrays(terms, ModelOptions(single_run=not quick))
        solution = solve(arrays)
    if solution.outcome is LpOutcome.INFEASIBLE and quick:
        # The quick search found no rule of thumb's months behind that fit (a settlement due soon
        # takes the money each rule gave the other loans): the branch and bound, which needs none.
        arrays = build_arrays(terms, ModelOptions(single_run=True))
        solution = solve_arrays(arrays, solver, time_limit)
    if solution.outcome is LpOutcome.INFEASIBLE and terms.agreed.any():
        # Only agreements can make the model infeasible: say which month breaks them, and plan
        # the best that can be done, keeping them as far as the money goes.
        found = agreements_shortfall(terms)
        when = (f"by {terms.months[found[0]]} they need ¥{found[1]:,.2f} more than all the money there is"
                if found else "their months do not fit the money in some month")
        relaxed = optimal_plan(terms._replace(agreed=np.zeros_like(terms.agreed)), solver, False, replanner,
                               time_limit, quick)
        diagnosis = " ".join([*notes, f"The agreed installments cannot all be paid in full: {when}. "
                              "Ask the lender for smaller installments or a later start before a month is missed. "
                              "Below is the best plan for the money there is; it misses agreed installments."])
        return relaxed._replace(status=PlanStatus.AGREEMENTS_UNAFFORDABLE, diagnosis=diagnosis)
    if solution.outcome is LpOutcome.ERROR and not quick:
        # The warm model or the time limit gave no plan (seen in the dashboard under load): the
        # quick search on a cold model, which never branches, gives the best rule-based plan.
        solution = solve_arrays(arrays, solver, quick=True)
    if solution.outcome is not LpOutcome.OPTIMAL:
        # With cash carry-over and a soft horizon this model is always feasible and bounded;
        # reaching here is a solver failure, reported, not hidden.
        raise RuntimeError(f"the solver reported {solution.outcome.value} on a model that is always feasible")
    ledger = replay(terms, solution.values(arrays.layout.pay))
    if terms.ceiling is not None and ledger.weighted_cost > _best_rule_cost(terms) * (1 + 1e-6) + 0.01:
        # Sued loans first cost more than a rule of thumb that does not put them first: under these
        # weights the other loans' harm weighs more, and the weights decide (the plan is never worse
        # than a rule of thumb). Rare: the harm order is what the weights usually say anyway.
        terms = terms._replace(ceiling=None)
        arrays = build_arrays(terms, ModelOptions(single_run=not quick))
        solution = solve(arrays)
        if solution.outcome is not LpOutcome.OPTIMAL:
            raise RuntimeError(f"the solver reported {solution.outcome.value} on a model that is always feasible")
        ledger = replay(terms, solution.values(arrays.layout.pay))
    problems = check_solution(arrays, solution, ledger)
    status, extra, diagnosis = PlanStatus.CLEARED, None, None
    if ledger.leftover > 0 and check_extra:
        extra, confirmed = extra_money_to_clear(terms, solver, replanner)
        owed = ", ".join(
            f"{name} ¥{b:,.2f}" for name, b in zip(terms.names, ledger.balance[:, -1]) if b > 0
        )
        if extra > 0 or not confirmed:
            status = PlanStatus.NOT_CLEARED
            diagnosis = (
                f"The debts cannot be cleared by {terms.months[-1]} with this income: "
                f"¥{ledger.leftover:,.2f} would still be owed ({owed}). "
                + (f"¥{extra:,.0f} more per month from {terms.months[0]} would clear them"
                   + ("" if confirmed else " (not confirmed by re-solving; treat as an estimate)") + ". "
                   if math.isfinite(extra) else "")
                + "Below is the best plan for the money there is."
            )
        else:
            status = PlanStatus.LEFT_BY_WEIGHTS
            diagnosis = (
                f"Clearing everything by {terms.months[-1]} is possible, but only by leaving the "
                f"high-risk loans overdue longer; with these weights the plan leaves ¥{ledger.leftover:,.2f} "
                f"({owed}) for after the horizon. Raise the 'unpaid' weight to insist on clearing."
            )
    if ledger.leftover > 0 and not check_extra:
        status = PlanStatus.NOT_CLEARED
    if notes:
        diagnosis = " ".join([*notes, diagnosis or ""]).strip()
    return PlanResult(
        "optimal", status, ledger, extra, diagnosis, solution.objective, solution.solver, problems, solution.gap
    )
