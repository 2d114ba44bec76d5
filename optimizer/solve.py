"""Solving the PuLP model with HiGHS in-process (CBC as fallback), and turning the answer into a plan.

The PuLP model is handed to HiGHS in one ``passModel`` call (rows gathered in bulk) rather than
PuLP's row-by-row bridge; the model itself, its names and its meaning stay PuLP's. CBC (PuLP's
bundled binary through ``COIN_CMD``) is used when highspy is missing or HiGHS reports an error.

Outcomes are enums: :class:`LpOutcome` for what the solver said, :class:`PlanStatus` for what it
means to the borrower. Infeasible is an answer: when the debts cannot be cleared within the
horizon, :func:`optimal_plan` still returns the best plan for the money there is, the smallest
extra monthly amount that would clear them (re-checked by solving again with it), and a
diagnosis in words. After every solve the invariants are re-checked from the solution
(:data:`CHECK_TOLERANCE`) and any breach is reported in :attr:`PlanResult.check_problems`.
"""

from __future__ import annotations

import enum
import math
from typing import NamedTuple

import numpy as np
import pulp

from .ledger import Ledger, replay
from .model import ModelOptions, PlanModel, build_model
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
    values: dict  # LpVariable -> value
    duals: dict  # readable row name -> shadow price
    solver: str


class PlanResult(NamedTuple):
    strategy: str
    status: PlanStatus
    ledger: Ledger
    extra_monthly: float | None = None  # smallest whole-yuan extra per month that clears, checked
    diagnosis: str | None = None
    objective: float | None = None  # LP objective (optimal plans only)
    solver: str | None = None
    check_problems: tuple[str, ...] = ()

    @property
    def cleared(self) -> bool:
        return self.ledger.leftover == 0.0


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


def solve_model(model: PlanModel, solver: str = "highs") -> LpSolution:
    """Solve a plan model with HiGHS (default) or CBC; fall back to CBC if HiGHS is missing or errs."""
    return solve_problem(model.prob, columns(model), model.rows, solver)


def solve_problem(prob: pulp.LpProblem, cols: list, rows: dict, solver: str = "highs") -> LpSolution:
    """Solve any PuLP problem whose columns and named rows are given in order."""
    if solver == "highs" and highspy is not None:
        solution = _solve_highs(prob, cols, rows)
        if solution.outcome is not LpOutcome.ERROR:
            return solution
    return _solve_cbc(prob, cols, rows)


def columns(model: PlanModel) -> list[pulp.LpVariable]:
    """The model's variables in a fixed order (also the MPS/HiGHS column order)."""
    cols = [*model.pay.ravel(), *model.balance.ravel(), *model.overdue.ravel(), *model.cash]
    cols += [model.extra] if model.extra is not None else []
    cols += list(model.take.values())
    for payments in model.settle_pay.values():
        cols += payments
    return cols


def to_highs_lp(model: PlanModel) -> highspy.HighsLp:
    """The PuLP model as a HiGHS LP (or MILP), gathered in one pass over its rows."""
    return highs_lp(model.prob, columns(model), list(model.rows.values()))


def highs_lp(prob: pulp.LpProblem, cols: list[pulp.LpVariable], rows: list[pulp.LpConstraint]) -> highspy.HighsLp:
    """Any PuLP problem as a HiGHS model, given its columns and rows in order."""
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


def _solve_highs(prob: pulp.LpProblem, cols: list, rows: dict) -> LpSolution:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    # Settlement choices are a few binaries: ask for the true optimum, not HiGHS's 0.01 % gap.
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.passModel(highs_lp(prob, cols, list(rows.values())))
    h.run()
    outcome = _HIGHS_OUTCOME.get(h.getModelStatus().name, LpOutcome.ERROR)
    if outcome is not LpOutcome.OPTIMAL:
        return LpSolution(outcome, math.nan, {}, {}, "HiGHS")
    sol = h.getSolution()
    values = dict(zip(cols, sol.col_value))
    duals = dict(zip(rows, sol.row_dual)) if sol.dual_valid else {}
    return LpSolution(outcome, h.getInfo().objective_function_value, values, duals, "HiGHS")


def _solve_cbc(prob: pulp.LpProblem, cols: list, rows: dict) -> LpSolution:
    from pulp.apis.coin_api import pulp_cbc_path

    status = prob.solve(pulp.COIN_CMD(msg=False, path=pulp_cbc_path))
    outcome = _PULP_OUTCOME.get(status, LpOutcome.ERROR)
    if outcome is not LpOutcome.OPTIMAL:
        return LpSolution(outcome, math.nan, {}, {}, "CBC")
    values = {v: (v.varValue or 0.0) for v in cols}
    duals = {name: (row.pi or 0.0) for name, row in rows.items()}
    return LpSolution(outcome, pulp.value(prob.objective), values, duals, "CBC")


# ---- plans ------------------------------------------------------------------------------------


def values_of(solution: LpSolution, variables: np.ndarray) -> np.ndarray:
    return np.vectorize(lambda v: solution.values[v], otypes=[float])(variables)


def check_solution(model: PlanModel, solution: LpSolution, ledger: Ledger) -> tuple[str, ...]:
    """Re-check the invariants from the solution itself, to :data:`CHECK_TOLERANCE` yuan."""
    tm = model.terms
    problems: list[str] = []
    pay = values_of(solution, model.pay)
    cash = values_of(solution, model.cash)
    carried = np.concatenate([[tm.cash0], cash[:-1]])
    spent = pay.sum(axis=0) + cash - carried
    if model.extra is not None:
        spent -= solution.values[model.extra]
    over = spent - tm.net
    for t in np.nonzero(np.abs(over) > CHECK_TOLERANCE)[0]:
        problems.append(f"budget[{tm.months[t]}] off by ¥{over[t]:.4f}")
    for name, arr in (("pay", pay), ("balance", values_of(solution, model.balance)), ("cash", cash)):
        if (arr < -CHECK_TOLERANCE).any():
            problems.append(f"negative {name} in the solution")
    gap = np.abs(values_of(solution, model.balance) - ledger.balance[:, 1:]).max()
    if gap > CHECK_TOLERANCE:
        problems.append(f"ledger and LP balances differ by up to ¥{gap:.4f}")
    if model.extra is None:
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


def extra_money_to_clear(terms: PlanTerms, solver: str = "highs") -> tuple[float, bool]:
    """The smallest whole-yuan extra per month that clears every debt, and whether a re-solve
    with it confirmed clearing (it is raised a yuan at a time if solver noise put it short)."""
    sol = solve_model(build_model(terms, ModelOptions(find_extra_money=True)), solver)
    if sol.outcome is not LpOutcome.OPTIMAL:
        return math.nan, False
    needed = sol.objective
    extra = 0.0 if needed <= 1e-6 else float(math.ceil(needed - 1e-6))
    for _ in range(3):
        check = solve_model(build_model(terms, ModelOptions(clear_by_horizon=True, extra_money=extra)), solver)
        if check.outcome is LpOutcome.OPTIMAL:
            return extra, True
        extra += 1.0
    return extra, False


def optimal_plan(terms: PlanTerms, solver: str = "highs", check_extra: bool = True) -> PlanResult:
    """The optimizer's plan, replayed through the ledger, with a diagnosis if it cannot clear.

    ``check_extra=False`` skips the extra-money search (for re-solves that only need the cost).
    """
    shortfall = essentials_shortfall(terms)
    if shortfall is not None:
        t, short = shortfall
        extra = extra_money_to_clear(terms, solver)[0] if check_extra else math.nan
        ledger = replay(terms, np.zeros((terms.n_loans, terms.horizon)))
        diagnosis = (
            f"Income and cash on hand do not cover essentials: by {terms.months[t]} they are "
            f"¥{short:,.2f} short before any repayment. No plan can protect essentials; "
            f"about ¥{extra:,.0f} more per month would cover essentials and clear the debts."
        )
        return PlanResult("optimal", PlanStatus.ESSENTIALS_UNCOVERED, ledger, extra, diagnosis)

    model = build_model(terms)
    solution = solve_model(model, solver)
    if solution.outcome is not LpOutcome.OPTIMAL:
        # With cash carry-over and a soft horizon this model is always feasible and bounded once
        # essentials are covered; reaching here is a solver failure, reported, not hidden.
        raise RuntimeError(f"the solver reported {solution.outcome.value} on a model that is always feasible")
    ledger = replay(terms, values_of(solution, model.pay))
    problems = check_solution(model, solution, ledger)
    status, extra, diagnosis = PlanStatus.CLEARED, None, None
    if ledger.leftover > 0 and check_extra:
        extra, confirmed = extra_money_to_clear(terms, solver)
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
