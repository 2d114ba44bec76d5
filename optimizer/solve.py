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

from .ledger import Ledger, replay
from .model import LpArrays, ModelOptions, build_arrays, to_highs, to_pulp
from .terms import PlanTerms

try:  # highspy is a declared dependency; CBC keeps the product working if it fails to load.
    import highspy
except ImportError:  # pragma: no cover - exercised only on broken installs
    highspy = None

# Yuan. LP solutions are accurate to ~1e-7 relative; a cent of slack over a 10-year plan is
# far below anything a user sees and far above solver noise.
CHECK_TOLERANCE = 0.01


class LpOutcome(enum.Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    ERROR = "solver error"


class PlanStatus(enum.Enum):
    CLEARED = "cleared"  # every debt paid within the horizon
    NOT_CLEARED = "cannot be cleared within the horizon"
    LEFT_BY_WEIGHTS = "could be cleared, but the weights prefer not to"
    ESSENTIALS_UNCOVERED = "income and cash do not cover essentials"


class LpSolution(NamedTuple):
    outcome: LpOutcome
    objective: float
    x: np.ndarray  # column values, in the model's layout
    row_dual: np.ndarray  # shadow prices, in row order (empty for a MILP or CBC without duals)
    solver: str

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


# ---- solvers ----------------------------------------------------------------------------------

_HIGHS_OUTCOME = {
    "kOptimal": LpOutcome.OPTIMAL,
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


def new_highs(mip_gap: float = 1e-9):
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
    return h


def _read_highs(h, name: str = "HiGHS") -> LpSolution:
    outcome = _HIGHS_OUTCOME.get(h.getModelStatus().name, LpOutcome.ERROR)
    if outcome is not LpOutcome.OPTIMAL:
        return LpSolution(outcome, math.nan, _NO_DUALS, _NO_DUALS, name)
    sol = h.getSolution()
    duals = np.asarray(sol.row_dual) if sol.dual_valid else _NO_DUALS
    return LpSolution(outcome, h.getInfo().objective_function_value, np.asarray(sol.col_value), duals, name)


def solve_arrays(arrays: LpArrays, solver: str = "highs") -> LpSolution:
    """Solve with HiGHS (default) or CBC; fall back to CBC if HiGHS is missing or errs."""
    if solver == "highs" and highspy is not None:
        h = new_highs()
        h.passModel(to_highs(arrays))
        h.run()
        solution = _read_highs(h)
        if solution.outcome is not LpOutcome.ERROR:
            return solution
    model = to_pulp(arrays)
    return _solve_cbc(model.prob, model.columns, model.rows)


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

    def solve(self, arrays: LpArrays) -> LpSolution:
        if highspy is None or len(arrays.integer):
            return solve_arrays(arrays)
        starts, index, value = arrays.csr(keep_zeros=True)
        lower, upper = arrays.row_bounds()
        shape = (arrays.layout, tuple(b.family for b in arrays.blocks), starts.tobytes(), index.tobytes())
        numbers = (value, lower, upper, arrays.cost, arrays.offset, arrays.col_upper)
        if shape in self._models:
            h, old = self._models.pop(shape)
            _update(h, old, numbers, starts, index)
            self.warm_solves += 1
        else:
            h = new_highs()
            h.passModel(to_highs(arrays, (starts, index, value)))
            self.cold_solves += 1
            if len(self._models) >= self._shapes:
                self._models.pop(next(iter(self._models)))
        self._models[shape] = [h, numbers]
        self._last = h
        h.run()
        solution = _read_highs(h, "HiGHS")
        if solution.outcome is LpOutcome.ERROR:
            self._models.pop(shape, None)
            return solve_arrays(arrays)
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
    value, lower, upper, cost, offset, col_upper = numbers
    old_value, old_lower, old_upper, old_cost, old_offset, old_col_upper = old
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
    cols = np.nonzero(col_upper != old_col_upper)[0]
    if cols.size:
        h.changeColsBounds(cols.size, cols.astype(np.int32), np.zeros(cols.size),
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


def essentials_shortfall(terms: PlanTerms) -> tuple[int, float] | None:
    """(first month index, yuan short) if income and savings cannot cover essentials, else None."""
    running = terms.cash0 + np.cumsum(terms.net)
    short = np.nonzero(running < -1e-9)[0]
    return (int(short[0]), float(-running[short[0]])) if short.size else None


def extra_money_to_clear(terms: PlanTerms, solver: str = "highs", replanner: Replanner | None = None) -> tuple[float, bool]:
    """The smallest whole-yuan extra per month that clears every debt, and whether a re-solve
    with it confirmed clearing (it is raised a yuan at a time if solver noise put it short)."""
    solve = replanner.solve if (replanner is not None and solver == "highs") else (lambda a: solve_arrays(a, solver))
    sol = solve(build_arrays(terms, ModelOptions(find_extra_money=True)))
    if sol.outcome is not LpOutcome.OPTIMAL:
        return math.nan, False
    needed = sol.objective
    extra = 0.0 if needed <= 1e-6 else float(math.ceil(needed - 1e-6))
    for _ in range(3):
        check = solve(build_arrays(terms, ModelOptions(clear_by_horizon=True, extra_money=extra)))
        if check.outcome is LpOutcome.OPTIMAL:
            return extra, True
        extra += 1.0
    return extra, False


def optimal_plan(
    terms: PlanTerms, solver: str = "highs", check_extra: bool = True, replanner: Replanner | None = None,
) -> PlanResult:
    """The optimizer's plan, replayed through the ledger, with a diagnosis if it cannot clear.

    ``check_extra=False`` skips the extra-money search (for re-solves that only need the cost);
    a ``replanner`` re-solves warm from its last model (what a slider move does).
    """
    shortfall = essentials_shortfall(terms)
    if shortfall is not None:
        t, short = shortfall
        extra = extra_money_to_clear(terms, solver, replanner)[0] if check_extra else math.nan
        ledger = replay(terms, np.zeros((terms.n_loans, terms.horizon)))
        diagnosis = (
            f"Income and cash on hand do not cover essentials: by {terms.months[t]} they are "
            f"¥{short:,.2f} short before any repayment. No plan can protect essentials; "
            f"about ¥{extra:,.0f} more per month would cover essentials and clear the debts."
        )
        return PlanResult("optimal", PlanStatus.ESSENTIALS_UNCOVERED, ledger, extra, diagnosis)

    arrays = build_arrays(terms)
    solution = replanner.solve(arrays) if (replanner is not None and solver == "highs") else solve_arrays(arrays, solver)
    if solution.outcome is not LpOutcome.OPTIMAL:
        # With cash carry-over and a soft horizon this model is always feasible and bounded once
        # essentials are covered; reaching here is a solver failure, reported, not hidden.
        raise RuntimeError(f"the solver reported {solution.outcome.value} on a model that is always feasible")
    ledger = replay(terms, solution.values(arrays.layout.pay))
    problems = check_solution(arrays, solution, ledger)
    status, extra, diagnosis = PlanStatus.CLEARED, None, None
    if ledger.leftover > 0 and check_extra:
        extra, confirmed = extra_money_to_clear(terms, solver, replanner)
        owed = ", ".join(
            f"{name} ¥{b:,.2f}" for name, b in zip(terms.names, ledger.balance[:, -1]) if b > 0
        )
        if extra > 0:
            status = PlanStatus.NOT_CLEARED
            diagnosis = (
                f"The debts cannot be cleared by {terms.months[-1]} with this income: "
                f"¥{ledger.leftover:,.2f} would still be owed ({owed}). "
                f"¥{extra:,.0f} more per month from {terms.months[0]} would clear them"
                + ("" if confirmed else " (not confirmed by re-solving; treat as an estimate)")
                + ". Below is the best plan for the money there is."
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
    return PlanResult(
        "optimal", status, ledger, extra, diagnosis, solution.objective, solution.solver, problems
    )
