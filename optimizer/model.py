"""The repayment LP, built from :class:`~optimizer.terms.PlanTerms` one constraint family at a time.

Variables (loans i, plan months t = 1..T): ``pay[i,t] ≥ 0``, ``balance[i,t] ≥ 0``,
``overdue[i,t] ≥ 0``, ``cash[t] ≥ 0`` (money carried to the next month); optionally ``extra``
(one extra monthly amount), ``take[i]`` (binary: a settlement offer is taken) and
``settle[i,t]`` (payments toward it).

Constraint families, each its own function returning a :class:`Block` of rows, each row named the
way a user reads it:

* ``balance[借呗,2026-03]``: B[t] − (1 + r)·B[t−1] − (rp − r)·O[t−1] + pay[t] = 0
  (month 1 takes the opening balance as a constant; taking a settlement writes it off)
* ``overdue[借呗,2026-03]``: O[t] − B[t] ≥ −S[t]  (= 0 where S[t] = 0)
* ``budget[2026-03]``:      Σ pay[t] + Σ settle[t] + cash[t] − cash[t−1] − extra = income − essentials
* ``cleared[借呗]``:         B[T] = 0 (only when asked)
* ``settle[借呗]``:          Σ settle = amount × take
* ``paid_by[借呗,2027-03]``: B[t] = 0 (a loan that must be paid off by a month)

Objective: w_interest × (interest + penalty charged + settlement premiums) + Σ risk × overdue
+ w_unpaid × B[T]: the same figure :attr:`optimizer.ledger.Ledger.weighted_cost` computes for any
plan. With rp ≥ r and non-negative weights, minimising pushes O to max(0, B − S), so the LP is
exact (DOMAIN.md §4).

Blocks are numpy arrays, built without a Python loop over cells, the way linopy builds models.
:func:`to_highs` turns them into a HiGHS model in one call; :func:`to_pulp` turns the same blocks
into a PuLP ``LpProblem`` (for CBC, for MPS files, for inspection), so there is one formulation.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from .terms import PlanTerms

INF = float("inf")


class ModelOptions(NamedTuple):
    """Variants of the one model."""

    clear_by_horizon: bool = False  # B[T] = 0 as a hard constraint
    find_extra_money: bool = False  # minimise one extra monthly amount that makes clearing feasible
    extra_money: float = 0.0  # added to every month's money (to check a found extra amount)
    # Lump-sum offers the model may take: (loan index, amount, by plan month, 1-based).
    offers: tuple[tuple[int, float, int], ...] = ()
    # Loans that must be paid off by a plan month: (loan index, month, 1-based).
    due: tuple[tuple[int, int], ...] = ()


class Layout(NamedTuple):
    """Where each variable group sits in the column vector."""

    n: int
    T: int
    offers: tuple[tuple[int, float, int], ...]
    has_extra: bool

    @property
    def pay(self) -> np.ndarray:
        return np.arange(self.n * self.T).reshape(self.n, self.T)

    @property
    def balance(self) -> np.ndarray:
        return self.pay + self.n * self.T

    @property
    def overdue(self) -> np.ndarray:
        return self.pay + 2 * self.n * self.T

    @property
    def cash(self) -> np.ndarray:
        return np.arange(self.T) + 3 * self.n * self.T

    @property
    def extra(self) -> int | None:
        return 3 * self.n * self.T + self.T if self.has_extra else None

    @property
    def take(self) -> dict[int, int]:
        start = 3 * self.n * self.T + self.T + self.has_extra
        return {i: start + k for k, (i, _, _) in enumerate(self.offers)}

    @property
    def settle(self) -> dict[int, np.ndarray]:
        start = 3 * self.n * self.T + self.T + self.has_extra + len(self.offers)
        out = {}
        for i, _, by in self.offers:
            out[i] = np.arange(start, start + by)
            start += by
        return out

    @property
    def n_cols(self) -> int:
        return 3 * self.n * self.T + self.T + self.has_extra + len(self.offers) + sum(by for _, _, by in self.offers)

    def column_names(self) -> list[str]:
        n, T = self.n, self.T
        names = [f"{g}_{i}_{t}" for g in ("pay", "bal", "ovd") for i in range(n) for t in range(T)]
        names += [f"cash_{t}" for t in range(T)]
        names += ["extra"] if self.has_extra else []
        names += [f"take_{i}" for i, _, _ in self.offers]
        names += [f"settle_{i}_{t}" for i, _, by in self.offers for t in range(by)]
        return names


class Block(NamedTuple):
    """Rows of one constraint family: entries (row, col, value) and row bounds."""

    family: str
    row: np.ndarray  # block-local row of each entry
    col: np.ndarray
    val: np.ndarray
    lower: np.ndarray  # per row
    upper: np.ndarray
    names: Callable[[], list[str]]  # readable names, made only when asked for


class LpArrays(NamedTuple):
    terms: PlanTerms
    layout: Layout
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # column indices that are binary
    blocks: tuple[Block, ...]

    @property
    def n_rows(self) -> int:
        return sum(len(b.lower) for b in self.blocks)

    def row_names(self) -> list[str]:
        return [name for b in self.blocks for name in b.names()]

    def csr(self, keep_zeros: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(starts, columns, values) of the whole matrix, rows in block order. With
        ``keep_zeros`` the pattern depends only on the model's shape, not on its numbers."""
        rows, cols, vals, base = [], [], [], 0
        for b in self.blocks:
            rows.append(b.row + base)
            cols.append(b.col)
            vals.append(b.val)
            base += len(b.lower)
        row, col, val = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        if not keep_zeros:
            keep = val != 0.0
            row, col, val = row[keep], col[keep], val[keep]
        order = np.lexsort((col, row))
        row, col, val = row[order], col[order], val[order]
        starts = np.searchsorted(row, np.arange(base + 1))
        return starts.astype(np.int32), col.astype(np.int32), val.astype(float)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([b.lower for b in self.blocks]), np.concatenate([b.upper for b in self.blocks])


# ---- constraint families ----------------------------------------------------------------------


def _grid(n: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    i, t = np.meshgrid(np.arange(n), np.arange(T), indexing="ij")
    return i.ravel(), t.ravel()


def _cell_names(family: str, terms: PlanTerms) -> Callable[[], list[str]]:
    return lambda: [f"{family}[{loan},{month}]" for loan in terms.names for month in terms.months]


def balance_rows(terms: PlanTerms, layout: Layout) -> Block:
    """B[t] − (1 + r)·B[t−1] − (rp − r)·O[t−1] + pay[t] = 0; month 1: = opening accrued."""
    n, T = layout.n, layout.T
    i, t = _grid(n, T)
    row = np.arange(n * T)
    later = t > 0
    grow = 1.0 + terms.r
    markup = terms.rp - terms.r
    rows = [row, row, row[later], row[later]]
    cols = [layout.balance[i, t], layout.pay[i, t], layout.balance[i, t - 1][later], layout.overdue[i, t - 1][later]]
    vals = [np.ones(n * T), np.ones(n * T), -grow[i][later], -markup[i][later]]
    rhs = np.where(t == 0, (grow * terms.opening + markup * terms.opening_overdue)[i], 0.0)
    for loan, column in layout.take.items():  # taking the offer writes the whole balance off
        rows.append(np.array([loan * T]))
        cols.append(np.array([column]))
        vals.append(np.array([rhs[loan * T]]))
    return Block("balance", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs.copy(),
                 _cell_names("balance", terms))


def overdue_rows(terms: PlanTerms, layout: Layout) -> Block:
    """O[t] − B[t] ≥ −S[t]: the overdue part is whatever exceeds the contract schedule.

    Where the schedule is 0 (an accelerated loan; any month after the contract's last
    installment) the whole balance is overdue, so the row is the equality O = B: the same
    optimum, but HiGHS's presolve then removes those columns (about half the solve time on a
    10-year plan).
    """
    n, T = layout.n, layout.T
    i, t = _grid(n, T)
    row = np.arange(n * T)
    schedule = terms.schedule[i, t + 1]
    return Block(
        "overdue", np.concatenate([row, row]), np.concatenate([layout.overdue[i, t], layout.balance[i, t]]),
        np.concatenate([np.ones(n * T), -np.ones(n * T)]), -schedule, np.where(schedule == 0, 0.0, INF),
        _cell_names("overdue", terms),
    )


def budget_rows(terms: PlanTerms, layout: Layout, extra_money: float = 0.0) -> Block:
    """Σ pay[t] + Σ settle[t] + cash[t] − cash[t−1] − extra = income − essentials (+ cash on hand)."""
    n, T = layout.n, layout.T
    i, t = _grid(n, T)
    rows = [t, np.arange(T), np.arange(1, T)]
    cols = [layout.pay[i, t], layout.cash, layout.cash[:-1]]
    vals = [np.ones(n * T), np.ones(T), -np.ones(T - 1)]
    if layout.extra is not None:
        rows.append(np.arange(T))
        cols.append(np.full(T, layout.extra))
        vals.append(-np.ones(T))
    for columns in layout.settle.values():
        rows.append(np.arange(len(columns)))
        cols.append(columns)
        vals.append(np.ones(len(columns)))
    rhs = terms.net + extra_money
    rhs = rhs + np.where(np.arange(T) == 0, terms.cash0, 0.0)
    return Block("budget", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs.copy(),
                 lambda: [f"budget[{month}]" for month in terms.months])


def cleared_rows(terms: PlanTerms, layout: Layout) -> Block:
    """B[T] = 0 for every loan."""
    n = layout.n
    return Block("cleared", np.arange(n), layout.balance[:, -1], np.ones(n), np.zeros(n), np.zeros(n),
                 lambda: [f"cleared[{loan}]" for loan in terms.names])


def settlement_rows(terms: PlanTerms, layout: Layout) -> Block:
    """Σ settlement payments up to the offer's month = amount × take."""
    rows, cols, vals = [], [], []
    for k, (i, amount, _) in enumerate(layout.offers):
        columns = layout.settle[i]
        rows += [np.full(len(columns), k), np.array([k])]
        cols += [columns, np.array([layout.take[i]])]
        vals += [np.ones(len(columns)), np.array([-amount])]
    m = len(layout.offers)
    return Block("settle", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), np.zeros(m), np.zeros(m),
                 lambda: [f"settle[{terms.names[i]}]" for i, _, _ in layout.offers])


def paid_by_rows(terms: PlanTerms, layout: Layout, due: tuple[tuple[int, int], ...]) -> Block:
    """B[i, month] = 0 for a loan that must be paid off by that month."""
    m = len(due)
    cols = np.array([layout.balance[i, month - 1] for i, month in due], dtype=int)
    return Block("paid_by", np.arange(m), cols, np.ones(m), np.zeros(m), np.zeros(m),
                 lambda: [f"paid_by[{terms.names[i]},{terms.months[month - 1]}]" for i, month in due])


def objective(terms: PlanTerms, layout: Layout) -> tuple[np.ndarray, float]:
    """Cost vector and constant: the weighted cost; the constant is month 1's accrual on the
    opening balances (and any settlement premium already in the terms)."""
    w = terms.w_interest
    markup = terms.rp - terms.r
    cost = np.zeros(layout.n_cols)
    cost[layout.balance[:, :-1]] = (w * terms.r)[:, None]
    cost[layout.overdue[:, :-1]] = (w * markup + terms.risk)[:, None]
    cost[layout.balance[:, -1]] = terms.w_unpaid
    cost[layout.overdue[:, -1]] = terms.risk
    first_accrual = terms.r * terms.opening + markup * terms.opening_overdue
    for i, amount, _ in layout.offers:
        # Taken: no more charges on the loan, but the premium (amount − balance) counts as a cost.
        cost[layout.take[i]] = w * (amount - terms.opening[i]) - w * first_accrual[i]
    return cost, w * float(first_accrual.sum()) + w * terms.settlement_premium


def build_arrays(terms: PlanTerms, options: ModelOptions = ModelOptions()) -> LpArrays:
    layout = Layout(terms.n_loans, terms.horizon, tuple(options.offers), options.find_extra_money)
    blocks = [balance_rows(terms, layout), overdue_rows(terms, layout), budget_rows(terms, layout, options.extra_money)]
    if options.clear_by_horizon or options.find_extra_money:
        blocks.append(cleared_rows(terms, layout))
    if options.offers:
        blocks.append(settlement_rows(terms, layout))
    if options.due:
        blocks.append(paid_by_rows(terms, layout, options.due))
    if options.find_extra_money:
        cost, offset = np.zeros(layout.n_cols), 0.0
        cost[layout.extra] = 1.0
    else:
        cost, offset = objective(terms, layout)
    upper = np.full(layout.n_cols, INF)
    integer = np.array(list(layout.take.values()), dtype=int)
    upper[integer] = 1.0
    return LpArrays(terms, layout, cost, offset, np.zeros(layout.n_cols), upper, integer, tuple(blocks))


# ---- outputs ----------------------------------------------------------------------------------


def to_highs(arrays: LpArrays, csr: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None):
    """The model as a ``highspy.HighsLp``, in one pass over numpy arrays (``csr``: the matrix
    from ``arrays.csr(keep_zeros=True)`` when the caller has it already)."""
    import highspy

    starts, index, value = csr if csr is not None else arrays.csr(keep_zeros=True)
    lower, upper = arrays.row_bounds()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = arrays.layout.n_cols
    lp.num_row_ = len(lower)
    lp.col_cost_ = arrays.cost
    lp.col_lower_ = arrays.col_lower
    lp.col_upper_ = np.where(np.isinf(arrays.col_upper), inf, arrays.col_upper)
    lp.row_lower_ = np.where(np.isinf(lower), -inf, lower)
    lp.row_upper_ = np.where(np.isinf(upper), inf, upper)
    lp.offset_ = arrays.offset
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if len(arrays.integer):
        kinds = [highspy.HighsVarType.kContinuous] * arrays.layout.n_cols
        for j in arrays.integer:
            kinds[j] = highspy.HighsVarType.kInteger
        lp.integrality_ = kinds
    return lp


class PulpModel(NamedTuple):
    prob: object  # pulp.LpProblem
    columns: list  # LpVariable per column, in layout order
    rows: dict  # readable name -> LpConstraint, in row order


def to_pulp(arrays: LpArrays) -> PulpModel:
    """The same model as a PuLP problem, with PuLP-4-style variables and readable row names
    (PuLP's own names replace ``[``, ``]`` and ``-``, so rows carry index names inside PuLP)."""
    import pulp

    prob = pulp.LpProblem("debtplan", pulp.LpMinimize)
    integer = set(arrays.integer.tolist())
    columns = [
        prob.add_variable(name, lowBound=lo, upBound=None if np.isinf(up) else up,
                          cat=pulp.LpInteger if j in integer else pulp.LpContinuous)
        for j, (name, lo, up) in enumerate(zip(arrays.layout.column_names(), arrays.col_lower, arrays.col_upper))
    ]
    starts, index, value = arrays.csr()
    lower, upper = arrays.row_bounds()
    rows = {}
    for k, name in enumerate(arrays.row_names()):
        expr = pulp.LpAffineExpression({columns[j]: v for j, v in zip(index[starts[k]:starts[k + 1]], value[starts[k]:starts[k + 1]])})
        if lower[k] == upper[k]:
            row = pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{k}", float(lower[k]))
        elif np.isinf(upper[k]):
            row = pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{k}", float(lower[k]))
        else:
            row = pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{k}", float(upper[k]))
        prob.addConstraint(row)
        rows[name] = row
    prob.setObjective(pulp.LpAffineExpression({columns[j]: c for j, c in enumerate(arrays.cost) if c}, constant=arrays.offset))
    return PulpModel(prob, columns, rows)
