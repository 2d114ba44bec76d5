"""The repayment model, a MILP built from :class:`~optimizer.terms.PlanTerms` one constraint
family at a time.

Variables (loans i, plan months t = 1..T): ``pay[i,t] ≥ 0``, ``balance[i,t] ≥ 0``,
``overdue[i,t] ≥ 0``, ``cash[t] ≥ 0`` (money carried to the next month); optionally ``extra``
(one extra monthly amount), ``take[i]`` (binary: a settlement offer is taken) and
``settle[i,t]`` (payments toward it). Escalation (DOMAIN.md §6) adds ``behind[i,t]`` (binary:
the loan ends month t overdue), ``stage[i,s,t]`` (stage s reached by the end of month t: reported,
accelerated, sued, enforcement) and ``weighted[i,s,t]`` (the overdue yuan that carry stage s's
weight); agreements add ``paid_off[i,t]`` (binary: the agreed loan owes nothing by the end of
month t, so its later installments are not owed; :func:`installment_rows`).

Why a MILP and not the LP alone: a loan left unpaid does not stay as it is; each month behind moves
it towards a credit report, acceleration, a lawsuit and enforcement. Only binaries can say "this
month is behind" and count runs of such months; everything else stays linear. The binaries are
only the ``behind`` ones: given them, every stage variable's smallest feasible value is whole, and
the objective always pushes it there (a stage only ever costs), so stages are continuous columns.
After the MILP the behind pattern is fixed and the LP re-solved ("polished"), so a tiny overdue
under the solver's integrality tolerance can never slip past a trigger.

Escalation families, with ``M[i,t]`` the most loan i can owe at month t (opening balance grown at
the penalty rate, plus fees):

* ``behind[借呗,2026-03]``:  O[t] − M·behind[t] ≤ 0
* ``reach[借呗,reported,2027-02]``: stage[t] − Σ behind[t−k+1..t] ≥ −(k − 1) for a run of k months
  (``k`` from the stage's days, :func:`optimizer.terms.run_months`); while the loan stays behind
  from the plan's start, the scenario's days overdue count too;
* ``enforce[借呗,2027-09]``: enforcement[t] − sued[t−k] − Σ behind[t−k+1..t] ≥ −k;
* ``stays[借呗,sued,2027-03]``: stage[t] ≥ stage[t−1]; ``sued ⇒ accelerated``;
* ``weighted[借呗,sued,2027-03]``: weighted[t] − O[t] − M·stage[t] ≥ −M;
* the overdue rows become O[t] − B[t] − S[t]·accelerated[t−1] ≥ −S[t] (acceleration makes the whole
  balance due), and the balance rows add each stage's fee the month after it is reached.

Five of a lawyer's rules are constraints, not weights (README):

* no default the money could avoid: a loan performing now that the money keeps current
  (:attr:`optimizer.terms.PlanTerms.kept_current`) has its ``behind`` columns fixed at 0, so its
  installment rows are hard, like an agreement's (and the ledger pays its installment first in
  every rule of thumb);

* one run behind per loan (:func:`single_run_rows`: ``started[i,t]`` binaries for loans current
  now; ``behind`` never rises again for a loan behind now). They also make the model much
  stronger: a loan behind now reaches each stage in a calendar month fixed by its days overdue, so
  every overdue yuan from then on carries the stage's weight with no big-M at all
  (``weighted_from_start``); on the counsellor case the root bound rises from 376k to 675k;
* ``judgment_first[平安普惠,2027-03]``: pay[t] − X[t]·behind[t] ≥ 0 for a loan in enforcement now, and
  ``judgment_first[借呗,2027-11]``: pay[t] − X[t]·(behind[t] + enforcement[t−1] − 1) ≥ 0 for one that
  reaches enforcement within the plan (:func:`enforcement_rows`);
* ``sued_first[起诉贷,2027-03]``: B[t] ≤ the balance the priority rule leaves (money short only,
  :func:`optimizer.solve.harm_order`);
* ``while_waiting[朋友借款,花呗,2027-04]``: B[t] ≥ S[t] unless 朋友借款 is paid off: no loan paid
  ahead of its schedule until a friend asked to wait is repaid (negotiated plans only,
  :func:`while_waiting_rows`).

Constraint families, each its own function returning a :class:`Block` of rows, each row named the
way a user reads it:

* ``balance[借呗,2026-03]``: B[t] − (1 + r)·B[t−1] − (rp − r)·O[t−1] + pay[t] = 0
  (month 1 takes the opening balance as a constant; taking a settlement writes it off)
* ``overdue[借呗,2026-03]``: O[t] − B[t] ≥ −S[t]  (= 0 where S[t] = 0)
* ``budget[2026-03]``:      Σ pay[t] + Σ settle[t] + cash[t] − cash[t−1] − extra = income − essentials
* ``cleared[借呗]``:         B[T] = 0 (only when asked)
* ``settle[借呗]``:          Σ settle = amount × take
* ``paid_by[借呗,2027-03]``: B[t] = 0 (a loan that must be paid off by a month)
* ``installment[借呗,2027-03]``: pay[t] + a[t]·paid_off[t] ≥ a[t], ``paid_off[借呗,2027-03]``:
  B[t] ≤ (S[t] + 1)·(1 − paid_off[t]): an agreed installment in full every month until the loan is
  paid off, which may be sooner than the agreement's last month

Objective: w_interest × (interest + penalty + fees charged + settlement premiums) + Σ risk ×
overdue (the fixed collection weight, plus each stage's weight from the month it is reached)
+ the debt left at the horizon, charged as if it stayed as it is for ``after_horizon`` more
months (interest, penalty and risk weights) plus ``w_unpaid`` per yuan: the same figure
:attr:`optimizer.ledger.Ledger.weighted_cost` computes for any plan. Valuing the debt left with the
same weights keeps the harm order when money is short: a sued loan left behind costs its lawsuit
weight after the horizon too. With rp ≥ r and non-negative weights, minimising pushes O to
max(0, B − S), so the model is exact.

Simple interest under the cap (DOMAIN.md §8, Civil Code Art. 561): on the legal cap a loan bears
the capped rate on its principal only, and the penalty markup on the principal above its schedule;
unpaid interest and fees bear none. ``principal[i,t]`` and ``overdue_principal[i,t]`` carry them
(:func:`principal_rows`, :func:`overdue_principal_rows`). Payments go to fees, then interest, then
principal, so the principal falls only in a month whose payment clears every charge: the binary
``cleared[i,t]``. A binary per loan and month made the solve 5–15 times slower, so the plans fix it
month by month (:func:`with_regime`): where the regime says so the month's payment clears the
charges; elsewhere a month behind pays no more than the charges and a month current clears them.
Then ``cleared`` is a function of ``behind`` (``charges_first`` and ``charges_regime`` rows) and the model is exact under
the law for every plan it returns; which months behind repay principal is chosen outside the
branch and bound (:func:`optimizer.solve.solve_arrays`, :func:`optimizer.solve.improve_regime`),
so a gap reported is the gap within that choice.

Blocks are numpy arrays, built without a Python loop over cells, the way linopy builds models.
:func:`to_highs` turns them into a HiGHS model in one call; :func:`to_pulp` turns the same blocks
into a PuLP ``LpProblem`` (for CBC, for MPS files, for inspection), so there is one formulation.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from .terms import ACCELERATED, ENFORCEMENT, REPORTED, STAGES, SUED, PlanTerms, run_months

INF = float("inf")
# Stages whose weight applies to the overdue yuan from the month they are reached.
WEIGHTED_STAGES = (REPORTED, SUED, ENFORCEMENT)


class ModelOptions(NamedTuple):
    """Variants of the one model."""

    clear_by_horizon: bool = False  # B[T] = 0 as a hard constraint
    find_extra_money: bool = False  # minimise one extra monthly amount that makes clearing feasible
    extra_money: float = 0.0  # added to every month's money (to check a found extra amount)
    # Lump-sum offers the model may take: (loan index, amount, by plan month, 1-based).
    offers: tuple[tuple[int, float, int], ...] = ()
    # Loans that must be paid off by a plan month: (loan index, month, 1-based).
    due: tuple[tuple[int, int], ...] = ()
    # Each loan falls behind in one run at most (:func:`single_run_rows`); off, any pattern.
    single_run: bool = True


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
    def take_columns(self) -> np.ndarray:
        return np.array(list(self.take.values()), dtype=int)

    @property
    def settle(self) -> dict[int, np.ndarray]:
        start = 3 * self.n * self.T + self.T + self.has_extra + len(self.offers)
        out = {}
        for i, _, by in self.offers:
            out[i] = np.arange(start, start + by)
            start += by
        return out

    @property
    def _escalation_start(self) -> int:
        return 3 * self.n * self.T + self.T + self.has_extra + len(self.offers) + sum(by for _, _, by in self.offers)

    @property
    def behind(self) -> np.ndarray:
        """(n, T) columns: the loan ends month t overdue (binary)."""
        return self._escalation_start + np.arange(self.n * self.T).reshape(self.n, self.T)

    @property
    def stage(self) -> np.ndarray:
        """(n, 4, T) columns: stage s reached by the end of month t."""
        return self._escalation_start + self.n * self.T + np.arange(4 * self.n * self.T).reshape(self.n, 4, self.T)

    @property
    def weighted(self) -> np.ndarray:
        """(n, 3, T) columns: the overdue yuan carrying the weight of WEIGHTED_STAGES[k]."""
        return self._escalation_start + 5 * self.n * self.T + np.arange(3 * self.n * self.T).reshape(self.n, 3, self.T)

    @property
    def started(self) -> np.ndarray:
        """(n, T) columns: a run of months behind has begun by month t (single-run plans)."""
        return self._escalation_start + 8 * self.n * self.T + np.arange(self.n * self.T).reshape(self.n, self.T)

    @property
    def paid_off(self) -> np.ndarray:
        """(n, T) columns: a loan under an agreement is paid off by the end of month t (binary
        where an installment is due; 0 elsewhere), so its later installments are not owed."""
        return self._escalation_start + 9 * self.n * self.T + np.arange(self.n * self.T).reshape(self.n, self.T)

    @property
    def principal(self) -> np.ndarray:
        """(n, T) columns: the principal owed at the end of month t (simple interest only)."""
        return self._escalation_start + 10 * self.n * self.T + np.arange(self.n * self.T).reshape(self.n, self.T)

    @property
    def overdue_principal(self) -> np.ndarray:
        """(n, T) columns: the principal above the schedule in force (simple interest only)."""
        return self.principal + self.n * self.T

    @property
    def cleared(self) -> np.ndarray:
        """(n, T) columns: month t's payment clears every charge owed, so what is left of it repays
        principal (binary; simple interest only)."""
        return self.principal + 2 * self.n * self.T

    @property
    def n_cols(self) -> int:
        return self._escalation_start + 13 * self.n * self.T

    def column_names(self) -> list[str]:
        n, T = self.n, self.T
        names = [f"{g}_{i}_{t}" for g in ("pay", "bal", "ovd") for i in range(n) for t in range(T)]
        names += [f"cash_{t}" for t in range(T)]
        names += ["extra"] if self.has_extra else []
        names += [f"take_{i}" for i, _, _ in self.offers]
        names += [f"settle_{i}_{t}" for i, _, by in self.offers for t in range(by)]
        names += [f"behind_{i}_{t}" for i in range(n) for t in range(T)]
        names += [f"stage_{i}_{s}_{t}" for i in range(n) for s in range(4) for t in range(T)]
        names += [f"weighted_{i}_{k}_{t}" for i in range(n) for k in range(3) for t in range(T)]
        names += [f"started_{i}_{t}" for i in range(n) for t in range(T)]
        names += [f"{g}_{i}_{t}" for g in ("paid_off", "principal", "ovd_principal", "cleared")
                  for i in range(n) for t in range(T)]
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
    # (n, T) the installment each month's ``installment`` row asks for (0: no row)
    installment: np.ndarray | None = None

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


def _loan_months(loans: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(i, t) of every month of the given loans, loan by loan (as :func:`_grid` for all loans)."""
    return np.repeat(loans, T), np.tile(np.arange(T), len(loans))


def _cell_names(family: str, terms: PlanTerms) -> Callable[[], list[str]]:
    return lambda: [f"{family}[{loan},{month}]" for loan in terms.names for month in terms.months]


def _names_at(family: str, terms: PlanTerms, i: np.ndarray, t: np.ndarray) -> Callable[[], list[str]]:
    """Row names ``family[loan,month]`` for the cells (i, t) a family has rows for."""
    return lambda: [f"{family}[{terms.names[a]},{terms.months[b]}]" for a, b in zip(i, t)]


def effective_schedule(terms: PlanTerms) -> np.ndarray:
    """S[:, 0..T] with loans accelerated before the plan owing everything now."""
    return terms.schedule * ~terms.stage0[:, ACCELERATED, None]


class Escalation(NamedTuple):
    """Which escalation variables are free, and the earliest month each stage can be reached."""

    free: np.ndarray  # (n, 4) bool: the stage is not reached yet and can be within the horizon
    earliest: np.ndarray  # (n, 4) 1-based month (T + 1: never within the horizon)
    run: np.ndarray  # (n, 3) months behind in a new run that reach reported / accelerated / sued
    watch: np.ndarray  # (n,) bool: the loan needs behind binaries
    big: np.ndarray  # (n, T) M[i,t]: the most loan i can owe at the end of month t
    # (n,) bool: the loan is behind now, so its run of months behind began before the plan
    # (single-run plans: behind from month 1 until it is cured, then current)
    from_start: np.ndarray
    # (n, 4) months behind in a run begun within the plan that reach each stage (enforcement:
    # the suit's run plus the months after it)
    in_run: np.ndarray
    # (n,) the most a loan current now can be overdue after a run too short to be reported
    unreported: np.ndarray


def escalation(terms: PlanTerms) -> Escalation:
    n, T = terms.n_loans, terms.horizon
    earliest = terms.earliest
    run = np.array([[run_months(min(days, 1e6)) for days in row] for row in terms.stage_days], dtype=int).reshape(n, 3)
    free = ~terms.stage0 & (earliest <= T)
    grow = np.cumprod(np.tile(1.0 + terms.rp, (T, 1)).T, axis=1)
    # Every fee the loan could be charged: stage fees, and a card's late fee each month.
    fees = terms.stage_fee.sum(axis=1)[:, None] + terms.late_fee[:, None] * np.arange(1, T + 1)[None, :]
    big = (terms.opening[:, None] + fees) * grow
    watch = free.any(axis=1) | (terms.missed_cost > 0) | (terms.late_fee > 0) | terms.enforced_now
    from_start = (terms.days0 > 0) | (terms.opening_overdue > 0.005)
    in_run = np.concatenate([run, (run[:, SUED] + terms.enforcement_months)[:, None]], axis=1)
    return Escalation(free, earliest, run, watch, np.maximum(big, 1.0), from_start, in_run,
                      _unreported(terms, run[:, REPORTED], run[:, ACCELERATED]))


def _unreported(terms: PlanTerms, k_report: np.ndarray, k_accelerate: np.ndarray) -> np.ndarray:
    """(n,) U[i]: the most a loan current now can be overdue after fewer than ``k_report`` months
    behind in a row (the run that would report it). Starting from a month on schedule (B ≤ S),
    j months unpaid grow the balance by at most the penalty rate and add a card's late fee each
    month, so O ≤ max over months of S[m]·(1 + rp)^j − S[m + j] + j·late_fee·(1 + rp)^j with
    j = k − 1. Infinite where acceleration can come first (then the whole balance is overdue)."""
    out = np.full(terms.n_loans, np.inf)
    for i in range(terms.n_loans):
        j = int(k_report[i]) - 1
        if k_accelerate[i] < k_report[i] or j >= terms.horizon:
            continue
        grow = (1.0 + terms.rp[i]) ** j
        s = terms.schedule[i]
        drop = s[: len(s) - j] * grow - s[j:] if j > 0 else np.zeros(1)
        out[i] = max(0.0, float(drop.max(initial=0.0))) + j * terms.late_fee[i] * grow
    return out


def balance_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """B[t] − (1 + r)·B[t−1] − (rp − r)·O[t−1] − fees reached at the end of t−1 + pay[t] = 0;
    under simple interest B[t] − B[t−1] − r·P[t−1] − (rp − r)·OP[t−1] − … (the principal and its
    overdue part bear the charges, :func:`principal_rows`); month 1: = opening + month 1's accrual."""
    n, T = layout.n, layout.T
    i, t = _grid(n, T)
    row = np.arange(n * T)
    later = t > 0
    simple = terms.simple_interest[i]
    compound, on_principal = later & ~simple, later & simple
    grow = 1.0 + np.where(terms.simple_interest, 0.0, terms.r)
    markup = terms.rp - terms.r
    rows = [row, row, row[later], row[compound], row[on_principal], row[on_principal]]
    cols = [layout.balance[i, t], layout.pay[i, t], layout.balance[i, t - 1][later], layout.overdue[i, t - 1][compound],
            layout.principal[i, t - 1][on_principal], layout.overdue_principal[i, t - 1][on_principal]]
    vals = [np.ones(n * T), np.ones(n * T), -grow[i][later], -markup[i][compound], -terms.r[i][on_principal],
            -markup[i][on_principal]]
    rhs = np.where(t == 0, (terms.opening + terms.first_accrual)[i], 0.0)
    cards = np.nonzero(terms.late_fee > 0)[0]
    for loan in cards:  # a card behind at the end of month t−1 is charged its late fee in month t
        months = np.arange(1, T)
        rows.append(loan * T + months)
        cols.append(layout.behind[loan, months - 1])
        vals.append(np.full(len(months), -terms.late_fee[loan]))
    for loan, column in layout.take.items():  # taking the offer writes the whole balance off
        rows.append(np.array([loan * T]))
        cols.append(np.array([column]))
        vals.append(np.array([rhs[loan * T]]))
    # A stage reached at the end of month t−1 adds its fee in month t: −fee·(stage[t−1] − stage[t−2]).
    for loan, stage in zip(*np.nonzero(esc.free & (terms.stage_fee > 0) & (T > 1))):
        fee = terms.stage_fee[loan, stage]
        months = np.arange(1, T)  # 0-based month index m ≥ 1 of the balance row
        rows += [loan * T + months, loan * T + months[1:]]
        cols += [layout.stage[loan, stage, months - 1], layout.stage[loan, stage, months[1:] - 2]]
        vals += [np.full(len(months), -fee), np.full(len(months) - 1, fee)]
    return Block("balance", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), rhs, rhs.copy(),
                 _cell_names("balance", terms))


def overdue_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """O[t] − B[t] − S[t]·accelerated[t−1] ≥ −S[t]: the overdue part is whatever exceeds the
    schedule in force (all of the balance once the loan is accelerated).

    Where the schedule is 0 (an accelerated loan; any month after the contract's last
    installment) the whole balance is overdue, so the row is the equality O = B: the same
    optimum, but HiGHS's presolve then removes those columns (about half the solve time on a
    10-year plan).
    """
    n, T = layout.n, layout.T
    i, t = _grid(n, T)
    row = np.arange(n * T)
    schedule = effective_schedule(terms)[i, t + 1]
    rows, cols = [row, row], [layout.overdue[i, t], layout.balance[i, t]]
    vals = [np.ones(n * T), -np.ones(n * T)]
    can = esc.free[i, ACCELERATED] & (t > 0) & (schedule > 0)
    rows.append(row[can])
    cols.append(layout.stage[i[can], ACCELERATED, t[can] - 1])
    vals.append(-schedule[can])
    return Block(
        "overdue", np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), -schedule,
        np.where(schedule == 0, 0.0, INF), _cell_names("overdue", terms),
    )


def overdue_principal_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """``overdue_principal[借呗,2027-03]``: OP[t] − P[t] − S[t]·accelerated[t−1] ≥ −S[t] (= where
    S[t] = 0): under simple interest the penalty markup accrues on the principal above the schedule
    in force, never on unpaid interest (no compounding past the cap, DOMAIN.md §8)."""
    loans = np.nonzero(terms.simple_interest)[0]
    T = layout.T
    i, t = _loan_months(loans, T)
    row = np.arange(len(i))
    schedule = effective_schedule(terms)[i, t + 1]
    can = esc.free[i, ACCELERATED] & (t > 0) & (schedule > 0)
    return Block(
        "overdue_principal", np.concatenate([row, row, row[can]]),
        np.concatenate([layout.overdue_principal[i, t], layout.principal[i, t],
                        layout.stage[i[can], ACCELERATED, t[can] - 1]]),
        np.concatenate([np.ones(len(i)), -np.ones(len(i)), -schedule[can]]),
        -schedule, np.where(schedule == 0, 0.0, INF),
        _names_at("overdue_principal", terms, i, t),
    )


def overdue_principal_within_rows(terms: PlanTerms, layout: Layout) -> Block:
    """``overdue_principal_within[借呗,2027-03]``: OP[t] − P[t] ≤ 0. Always true of the ledger; without
    it an LP in a month the regime keeps from repaying principal could inflate the overdue
    principal, and with it the balance, to pay a floor above the charges (the counsellor case's
    friend, 2027-10: ¥125,122 overdue on ¥8,000, and the ledger ¥343 apart)."""
    loans = np.nonzero(terms.simple_interest)[0]
    T = layout.T
    i, t = _loan_months(loans, T)
    row = np.arange(len(i))
    return Block(
        "overdue_principal_within", np.concatenate([row, row]),
        np.concatenate([layout.overdue_principal[i, t], layout.principal[i, t]]),
        np.concatenate([np.ones(len(i)), -np.ones(len(i))]), np.full(len(i), -INF), np.zeros(len(i)),
        _names_at("overdue_principal_within", terms, i, t),
    )


def principal_rows(terms: PlanTerms, layout: Layout, esc: Escalation, extra_money: float = 0.0) -> Block:
    """Under simple interest the principal P is what bears interest, and payments reach it only
    once every fee and charge is paid (Civil Code Art. 561), so P[t] = min(P[t−1], B[t]): the
    lowest balance so far. A minimising solver would rather repay principal first (it stops
    interest), so the order needs a binary, ``cleared[t]`` (the month's payment clears every charge):

    * ``principal_kept[借呗,2027-03]``: P[t] − P[t−1] + Mp·cleared[t] ≥ 0 (charges left: the
      principal is untouched; Mp the opening principal);
    * ``principal_repaid[借呗,2027-03]``: P[t] − B[t] − Mc·cleared[t] ≥ −Mc (charges cleared: what is
      owed is principal; Mc the most the charges can reach by then);
    * ``principal_at_most[借呗,2027-03]``: P[t] − P[t−1] ≤ 0 and ``principal_within[借呗,2027-03]``:
      P[t] − B[t] ≤ 0, so P is exactly the minimum whatever the objective prefers;
    * ``principal_paid[借呗,2027-03]``: P[t] − P[t−1] + pay[t] ≥ 0 (the principal falls by no more than
      the payment: always true, and it keeps the LP relaxation from repaying principal unpaid);
    Month 1 takes the opening principal as a constant. :func:`charges_first_rows` ties ``cleared``
    to ``behind``."""
    loans = np.nonzero(terms.simple_interest)[0]
    T = layout.T
    i, t = _loan_months(loans, T)
    k = len(i)
    row = np.arange(k)
    later = t > 0
    p0 = terms.opening_principal
    # A month repays no more principal than the money that can reach it by then (any amount
    # while the extra-money search sets the money: the bound would make clearing look impossible).
    money = terms.cash0 + np.cumsum(np.maximum(terms.net + extra_money, 0.0))
    mp = np.maximum(p0, 1.0)[i] if layout.has_extra else np.minimum(np.maximum(p0, 1.0)[i], money[t] + 1.0)
    charges0 = terms.opening - p0
    fees = terms.stage_fee.sum(axis=1)
    mc = charges0[i] + (t + 1) * (terms.rp[i] * p0[i] + terms.late_fee[i]) + fees[i]
    mc = np.minimum(mc, esc.big[i, t]) + 1.0
    P, B, y = layout.principal[i, t], layout.balance[i, t], layout.cleared[i, t]
    prev = layout.principal[i, np.maximum(t - 1, 0)]
    offered = np.isin(i, [a for a, _, _ in layout.offers])  # a lump sum taken writes the principal off
    paid = ~offered
    watched = esc.watch[i]
    rows, cols, vals, lower, upper, names = [], [], [], [], [], []
    base = 0
    everywhere = np.ones(k, dtype=bool)

    def family(name, entries, lo, hi, which):
        """One row per cell in ``which``; ``entries``: (columns, values, cells that have the entry)."""
        nonlocal base
        local = np.full(k, -1)
        local[which] = base + np.arange(int(which.sum()))
        for col, val, has in entries:
            sel = which & has
            rows.append(local[sel])
            cols.append(col[sel])
            vals.append(np.broadcast_to(np.asarray(val, dtype=float), (k,))[sel])
        lower.append(np.broadcast_to(np.asarray(lo, dtype=float), (k,))[which])
        upper.append(np.broadcast_to(np.asarray(hi, dtype=float), (k,))[which])
        names.extend(f"{name}[{terms.names[a]},{terms.months[b]}]" for a, b in zip(i[which], t[which]))
        base += int(which.sum())

    opening = np.where(later, 0.0, p0[i])
    # An offer taken writes the principal off in month 1 with no money (the lump sum is paid
    # through the settlement's own columns), so there the principal may drop by all of it.
    take = np.array([layout.take.get(a, -1) for a in i], dtype=int)
    family("principal_kept", [(P, 1.0, everywhere), (prev, -1.0, later), (y, mp, everywhere),
                              (take, p0[i], offered & ~later)], opening, INF, everywhere)
    family("principal_repaid", [(P, 1.0, everywhere), (B, -1.0, everywhere), (y, -mc, everywhere)], -mc, INF,
           everywhere)
    family("principal_at_most", [(P, 1.0, everywhere), (prev, -1.0, later)], -INF, opening, everywhere)
    family("principal_within", [(P, 1.0, everywhere), (B, -1.0, everywhere)], -INF, 0.0, everywhere)
    family("principal_paid", [(P, 1.0, everywhere), (prev, -1.0, later), (layout.pay[i, t], 1.0, everywhere)],
           opening, INF, paid)
    empty = np.zeros(0)
    return Block("principal", np.concatenate(rows or [empty]).astype(int), np.concatenate(cols or [empty]).astype(int),
                 np.concatenate(vals or [empty]), np.concatenate(lower or [empty]), np.concatenate(upper or [empty]),
                 lambda: names)


def charges_first_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> list[Block]:
    """``charges_first[借呗,2027-03]``: cleared[t] + behind[t] ≥ 1: interest or fees left unpaid
    are overdue, so a month that leaves them is a month behind (as the ledger counts it); and
    ``charges_regime[借呗,2027-03]``: cleared[t] + behind[t] ≤ 1 + regime[t]: where the regime
    (:func:`with_regime`) says a month behind pays no more than the charges, cleared = 1 − behind
    (2 in the general model: no limit). Two one-sided families, not one ranged row, so PuLP (CBC,
    MPS files) gets the same model. Rows for loans with simple interest that can escalate."""
    loans = np.nonzero(terms.simple_interest & esc.watch)[0]
    T = layout.T
    i, t = _loan_months(loans, T)
    row = np.arange(len(i))
    cols = np.concatenate([layout.cleared[i, t], layout.behind[i, t]])
    ones = np.ones(2 * len(i))

    return [Block("charges_first", np.concatenate([row, row]), cols, ones, np.ones(len(i)), np.full(len(i), INF),
                  _names_at("charges_first", terms, i, t)),
            Block("charges_regime", np.concatenate([row, row]), cols, ones, np.full(len(i), -INF), np.full(len(i), 2.0),
                  _names_at("charges_regime", terms, i, t))]


def with_regime(arrays: LpArrays, regime: np.ndarray | None, search_unwatched: bool = False) -> LpArrays:
    """The model with Art. 561's order fixed month by month (``regime`` (n, T) bool): where True,
    the month's payment clears every charge (whether or not the loan is behind); where False, a
    month behind pays no more than the charges (the principal is untouched) and a month current
    clears them. Then ``cleared`` is a function of ``behind`` and the model keeps only its
    escalation binaries: exact under the law for every plan it can return, with the choice of
    which months behind repay principal made outside it (:func:`optimizer.solve.solve_arrays`
    takes it from the best rule-of-thumb plan). ``None``: the general model, ``cleared`` binary.

    A loan with nothing left to escalate has ``behind`` fixed at 1 throughout (nothing it does
    changes a stage), so a regime tied to ``behind`` would freeze its principal (a sued ¥500 loan
    at 0 % with ¥500 a month spare was never repaid). Its ``cleared`` is the regime itself (True:
    the month clears every charge; False: it repays no principal), exact in an LP; with
    ``search_unwatched`` (the branch and bound) it stays a binary instead: few loans, and exact.
    Relaxed to a fraction, it let an LP repay principal with charges unpaid (a property test:
    the ledger and the LP differed by ¥176.93)."""
    terms, layout = arrays.terms, arrays.layout
    simple = terms.simple_interest
    if regime is None or not simple.any():
        return arrays
    regime = regime.astype(bool)
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    y = layout.cleared
    watch = escalation(terms).watch
    ruled = simple & watch
    lower[y[ruled]] = regime[ruled].astype(float)
    upper[y[ruled]] = 1.0
    unwatched = simple & ~watch
    lower[y[unwatched]] = 0.0 if search_unwatched else regime[unwatched].astype(float)
    upper[y[unwatched]] = 1.0 if search_unwatched else regime[unwatched].astype(float)
    blocks = []
    for b in arrays.blocks:
        if b.family == "charges_regime":
            loans = np.nonzero(simple & watch)[0]
            b = b._replace(upper=1.0 + regime[loans].ravel().astype(float))
        blocks.append(b)
    fixed = y[ruled if search_unwatched else simple].ravel()
    integer = arrays.integer[~np.isin(arrays.integer, fixed)]
    return arrays._replace(col_lower=lower, col_upper=upper, blocks=tuple(blocks), integer=integer)


def regime_of(layout: Layout, x: np.ndarray, behind: np.ndarray) -> np.ndarray:
    """(n, T) bool: the months behind (``behind``) in which a plan ``x`` cleared every charge."""
    return behind.astype(bool) & charges_cleared(layout, x)


def charges_cleared(layout: Layout, x: np.ndarray) -> np.ndarray:
    """(n, T) bool: a solution leaves no charge unpaid at the end of the month (under simple
    interest: what is owed is all principal)."""
    return x[layout.balance] - x[layout.principal] <= 1e-6


def behind_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """O[t] − M·behind[t] ≤ 0, for loans that can still escalate; and, tighter while the loan is
    on its schedule (what the LP relaxation needs to see a missed month at all),
    O[t] − (M − S[t])·behind[t] − S[t]·accelerated[t−1] ≤ 0."""
    loans = np.nonzero(esc.watch)[0]
    T = layout.T
    i, t = _loan_months(loans, T)
    row = np.arange(len(i))
    schedule = effective_schedule(terms)[i, t + 1]
    tight = (schedule > 0) & esc.free[i, ACCELERATED] & (t > 0)
    row2 = len(i) + np.arange(tight.sum())
    ti, tt = i[tight], t[tight]
    names = [f"behind[{terms.names[a]},{terms.months[b]}]" for a, b in zip(i, t)]
    return Block(
        "behind",
        np.concatenate([row, row, row2, row2, row2]),
        np.concatenate([layout.overdue[i, t], layout.behind[i, t], layout.overdue[ti, tt], layout.behind[ti, tt],
                        layout.stage[ti, ACCELERATED, tt - 1]]),
        # M − S at least 0: a contract whose installment is below its interest expects a balance
        # above anything the capped rates can reach (S > M), and the row would then forbid a month
        # behind that leaves only charges unpaid (simple interest: income 0, nothing to pay them
        # with, and no plan at all: "infeasible on a model that is always feasible").
        np.concatenate([np.ones(len(i)), -esc.big[i, t], np.ones(len(ti)),
                        -np.maximum(esc.big[ti, tt] - schedule[tight], 0.0), -schedule[tight]]),
        np.full(len(i) + len(ti), -INF), np.zeros(len(i) + len(ti)),
        lambda: names + [f"on_schedule[{terms.names[a]},{terms.months[b]}]" for a, b in zip(ti, tt)],
    )


class _Rows:
    """Rows added one at a time, each a few (column, value) entries, for the families whose rows
    differ in length (runs of months); :meth:`block` packs them as arrays."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.names: list[str] = []

    def add(self, entries: list[tuple[int, float]], lo: float, name: str, hi: float = INF) -> None:
        k = len(self.lower)
        self.rows.extend([k] * len(entries))
        self.cols.extend(c for c, _ in entries)
        self.vals.extend(v for _, v in entries)
        self.lower.append(lo)
        self.upper.append(hi)
        self.names.append(name)

    def block(self, family: str) -> Block:
        names = self.names
        return Block(family, np.array(self.rows, dtype=int), np.array(self.cols, dtype=int),
                     np.array(self.vals, dtype=float), np.array(self.lower, dtype=float),
                     np.array(self.upper, dtype=float), lambda: names)


def reach_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """A run of months behind reaches a stage; enforcement follows months behind after the suit;
    stages stay reached; a suit demands the whole balance."""
    T = layout.T
    out = _Rows()
    add = out.add

    for i, s in zip(*np.nonzero(esc.free)):
        loan, stage = terms.names[i], STAGES[s]
        z = layout.stage[i, s]
        b = layout.behind[i]
        if s < ENFORCEMENT:
            k = int(esc.run[i, s])
            for m in range(max(k, esc.earliest[i, s]), T + 1):  # 1-based month
                add([(z[m - 1], 1.0)] + [(b[tau - 1], -1.0) for tau in range(m - k + 1, m + 1)], -(k - 1),
                    f"reach[{loan},{stage},{terms.months[m - 1]}]")
            d0, days = terms.days0[i], terms.stage_days[i, s]
            if d0 > 0:
                for m in range(1, min(k, T + 1)):
                    if d0 + 30 * m >= days:
                        add([(z[m - 1], 1.0)] + [(b[tau - 1], -1.0) for tau in range(1, m + 1)], -(m - 1),
                            f"reach[{loan},{stage},{terms.months[m - 1]}]")
        else:
            k = int(terms.enforcement_months[i])
            for m in range(max(k, esc.earliest[i, s]), T + 1):
                entries = [(z[m - 1], 1.0)] + [(b[tau - 1], -1.0) for tau in range(m - k + 1, m + 1)]
                lo = -float(k)
                if m - k >= 1:
                    entries.append((layout.stage[i, SUED, m - k - 1], -1.0))
                else:
                    lo += float(terms.stage0[i, SUED])
                add(entries, lo, f"enforce[{loan},{terms.months[m - 1]}]")
        for m in range(2, T + 1):
            add([(z[m - 1], 1.0), (z[m - 2], -1.0)], 0.0, f"stays[{loan},{stage},{terms.months[m - 1]}]")
        if s == SUED and esc.free[i, ACCELERATED]:
            for m in range(1, T + 1):
                add([(layout.stage[i, ACCELERATED, m - 1], 1.0), (z[m - 1], -1.0)], 0.0,
                    f"sued_accelerated[{loan},{terms.months[m - 1]}]")
    return out.block("reach")


def weighted_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """weighted[s,t] ≥ O[t] − M·(1 − stage[s,t]): the overdue yuan that carry stage s's weight."""
    T = layout.T
    rows, cols, vals, lower, who = [], [], [], [], []
    k = 0
    for i in range(layout.n):
        for w, s in enumerate(WEIGHTED_STAGES):
            if not (esc.free[i, s] or terms.stage0[i, s]) or terms.stage_weight[s] == 0:
                continue
            for t in range(T):
                m = esc.big[i, t]
                rows += [k, k, k]
                cols += [layout.weighted[i, w, t], layout.overdue[i, t], layout.stage[i, s, t]]
                vals += [1.0, -1.0, -m]
                lower.append(-m)
                who.append((i, s, t))
                k += 1
    lower_arr = np.array(lower, dtype=float)
    return Block("weighted", np.array(rows, dtype=int), np.array(cols, dtype=int), np.array(vals, dtype=float),
                 lower_arr, np.full(len(lower_arr), INF),
                 lambda: [f"weighted[{terms.names[i]},{STAGES[s]},{terms.months[t]}]" for i, s, t in who])


def unreported_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """weighted[reported,t] ≥ O[t] − U·(1 − reported[t]) for a loan current now: unreported, its
    run of months behind is too short to owe more than U (:func:`_unreported`), so any overdue
    above U carries the credit weight. Valid for every plan; it shows the LP relaxation what a
    report costs, which the big-M row alone hides."""
    T = layout.T
    loans = [i for i in range(layout.n) if esc.free[i, REPORTED] and not esc.from_start[i]
             and np.isfinite(esc.unreported[i]) and terms.stage_weight[REPORTED] > 0]
    i, t = _loan_months(np.array(loans, dtype=int), T)
    row = np.arange(len(i))
    u = esc.unreported[i]
    k = WEIGHTED_STAGES.index(REPORTED)
    return Block("unreported", np.concatenate([row, row, row]),
                 np.concatenate([layout.weighted[i, k, t], layout.overdue[i, t], layout.stage[i, REPORTED, t]]),
                 np.concatenate([np.ones(len(i)), -np.ones(len(i)), -u]), -u, np.full(len(i), INF),
                 _names_at("unreported", terms, i, t))


def single_run_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """The plans we offer let each loan fall behind in one run at most: a loan behind now stays
    behind until it is cured and then stays current; a loan current now may fall behind once
    and, once cured, stays current (a lawyer does not sign a plan that defaults a loan it has
    just brought back). With ``started[t]`` (the run has begun by month t):

    * ``cured[借呗,2027-03]`` (behind now):  behind[t] − behind[t−1] ≤ 0
    * ``run_begins[花呗,2027-03]``: started[t−1] − started[t] ≤ 0;  ``in_run[…]``: behind[t] − started[t] ≤ 0
    * ``stays_cured[花呗,2027-03]``: (started − behind)[t−1] − (started − behind)[t] ≤ 0
    * ``run_reach[花呗,sued,2027-09]``: stage[t] − behind[t] + started[t] − started[t−k+1] ≥ 0 (behind
      now and the run began at least k months ago: the stage is reached; enforcement: k = the suit's
      run plus its months). Written this way rather than as stage ≥ started[t−k+1] + behind[t] − 1,
      it stays strong in the LP relaxation, where both are fractions;
    * ``run_weighted[花呗,sued,2027-09]``: weighted[t] − O[t] + U·(started[t] − started[t−k+1]) ≥ 0:
      a run begun too recently owes at most U (:func:`_unreported` for the report, the big-M
      otherwise); any other overdue yuan carries the stage's weight;
    * ``reach_from_start[借呗,sued,2027-05]``: stage[m] − behind[m] ≥ 0 in the month m a loan behind
      from the start reaches the stage if not cured by then, and
      ``weighted_from_start[借呗,sued,2027-06]``: weighted[t] − O[t] ≥ 0 from then on (a loan cured
      before m owes nothing overdue afterwards, so every later overdue yuan carries the weight).
    """
    T = layout.T
    out = _Rows()

    def add(entries, lo, hi, name):
        out.add(entries, lo, name, hi)

    for i in np.nonzero(esc.watch)[0]:
        loan, b, z = terms.names[i], layout.behind[i], layout.started[i]
        month = terms.months
        if esc.from_start[i]:
            for t in range(1, T):
                add([(b[t], 1.0), (b[t - 1], -1.0)], -INF, 0.0, f"cured[{loan},{month[t]}]")
            for s in np.nonzero(esc.free[i])[0]:
                m = int(esc.earliest[i, s]) - 1
                add([(layout.stage[i, s, m], 1.0), (b[m], -1.0)], 0.0, INF,
                    f"reach_from_start[{loan},{STAGES[s]},{month[m]}]")
                if s in WEIGHTED_STAGES and terms.stage_weight[s] > 0:
                    w = WEIGHTED_STAGES.index(s)
                    for t in range(m, T):
                        add([(layout.weighted[i, w, t], 1.0), (layout.overdue[i, t], -1.0)], 0.0, INF,
                            f"weighted_from_start[{loan},{STAGES[s]},{month[t]}]")
            continue
        for t in range(T):
            add([(b[t], 1.0), (z[t], -1.0)], -INF, 0.0, f"in_run[{loan},{month[t]}]")
            if t:
                add([(z[t - 1], 1.0), (z[t], -1.0)], -INF, 0.0, f"run_begins[{loan},{month[t]}]")
                add([(z[t - 1], 1.0), (b[t - 1], -1.0), (z[t], -1.0), (b[t], 1.0)], -INF, 0.0,
                    f"stays_cured[{loan},{month[t]}]")
        for s in np.nonzero(esc.free[i])[0]:
            k = int(esc.in_run[i, s])
            w = WEIGHTED_STAGES.index(s) if s in WEIGHTED_STAGES and terms.stage_weight[s] > 0 else None
            bound = esc.unreported[i] if s == REPORTED and np.isfinite(esc.unreported[i]) else None
            for t in range(k - 1, T):
                # started[t] − started[t−k+1] = 1 exactly when the run began within the last
                # k − 1 months: too recently to reach the stage. Otherwise, behind now means reached.
                recent = [(z[t], 1.0), (z[t - k + 1], -1.0)] if k > 1 else []
                add([(layout.stage[i, s, t], 1.0), (b[t], -1.0)] + recent, 0.0, INF,
                    f"run_reach[{loan},{STAGES[s]},{month[t]}]")
                if w is not None:
                    u = bound if bound is not None else float(esc.big[i, t])
                    add([(layout.weighted[i, w, t], 1.0), (layout.overdue[i, t], -1.0)]
                        + [(c, u * v) for c, v in recent], 0.0, INF, f"run_weighted[{loan},{STAGES[s]},{month[t]}]")
    return out.block("single_run")


def enforcement_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """Judgments first, with X[i,t] the loan's floor (:attr:`PlanTerms.enforcement_floor`):

    * ``judgment_first[平安普惠,2027-03]``: pay[t] − X·behind[t] ≥ 0 for a loan in enforcement now:
      at least its floor every month until the month it is paid off;
    * ``judgment_first[借呗,2027-11]``: pay[t] − X·behind[t] − X·enforcement[t−1] ≥ −X for a loan that
      can reach enforcement within the plan: the same from the month after it reaches it. (A larger
      stage value only tightens the row, so stages stay at their smallest whole value.)"""
    floor = terms.enforcement_floor
    now = terms.enforced_now
    # Rows wherever a floor may apply, zero or not, so a change of money keeps the model's shape
    # (warm re-solves).
    i, t = np.nonzero(terms.enforceable & (now[:, None] | esc.free[:, ENFORCEMENT, None]))
    later = ~now[i] & (t >= 1)
    i, t, later = i[now[i] | later], t[now[i] | later], later[now[i] | later]
    x = floor[i, t]
    row = np.arange(len(i))
    lr = row[later]
    return Block("judgment_first",
                 np.concatenate([row, row, lr]),
                 np.concatenate([layout.pay[i, t], layout.behind[i, t], layout.stage[i[later], ENFORCEMENT, t[later] - 1]]),
                 np.concatenate([np.ones(len(i)), -x, -x[later]]),
                 np.where(later, -x, 0.0), np.full(len(i), INF),
                 _names_at("judgment_first", terms, i, t))


def harm_order_rows(terms: PlanTerms, layout: Layout) -> Block:
    """``sued_first[起诉贷,2027-03]``: B[t] ≤ ceiling[t]: when money is short, a loan already sued
    owes no more at any month's end than the priority rule leaves it owing (PlanTerms.ceiling)."""
    i, t = np.nonzero(np.isfinite(terms.ceiling))
    k = np.arange(len(i))
    return Block("sued_first", k, layout.balance[i, t], np.ones(len(i)), np.full(len(i), -INF),
                 terms.ceiling[i, t] + 1e-6,  # solver noise only: half a fen would be a debt the ledger settles
                 _names_at("sued_first", terms, i, t))


def while_waiting_rows(terms: PlanTerms, layout: Layout) -> Block:
    """``while_waiting[朋友借款,花呗,2027-04]``: B[t] + L·paid_off[w,t] ≥ L with L = S[t] − (1 + r)^t·lead:
    until a friend asked to wait (缓还, PlanTerms.waiting) is repaid, every other loan ends each
    month owing no less than its schedule S, so it is paid no more than its lender demands (the
    month's installment and any arrears: a loan behind may be brought up to date; an accelerated
    one, S = 0, may be paid off), never ahead with money a friend was asked to wait for. The
    friend's ``paid_off`` binary lifts the bound from the month the friend is repaid (ahead of the
    wait, if money allows; in a month of grace, with no installment row, it stays). A loan ahead of
    its schedule now keeps its lead, grown at its rate (paying each installment in full keeps it
    exactly); a loan paid off by a settlement is not bounded. A bound on the balance, not on the
    payment: the overdue columns are exact only because every row prefers them small (a payment
    bound of installment + arrears let the solver declare more overdue to pay more, and the
    ledger disagreed by ¥11)."""
    T = layout.T
    s = effective_schedule(terms)
    waits = np.zeros((layout.n, T), dtype=bool)
    waits[list(terms.waiting)] = s[list(terms.waiting), 1:T + 1] > 0.005
    bounded = np.ones(layout.n, dtype=bool)
    bounded[list(terms.waiting)] = False
    bounded[[i for i, _ in terms.paid_by]] = False
    grown = (1.0 + terms.r[:, None]) ** np.arange(1, T + 1)[None, :]
    floor = np.maximum(0.0, s[:, 1:T + 1] - np.maximum(0.0, s[:, 0] - terms.opening)[:, None] * grown)
    # solver noise only (1e-6): half a fen below would be a payment ahead the ledger shows
    floor = np.where(floor > 0.005, floor - 1e-6, 0.0)
    w, t = np.nonzero(waits)
    j = np.nonzero(bounded)[0]
    w, t, j = np.repeat(w, len(j)), np.repeat(t, len(j)), np.tile(j, len(w))
    keep = floor[j, t] > 0
    w, t, j = w[keep], t[keep], j[keep]
    k = np.arange(len(j))
    return Block("while_waiting", np.concatenate([k, k]),
                 np.concatenate([layout.balance[j, t], layout.paid_off[w, t]]),
                 np.concatenate([np.ones(len(j)), floor[j, t]]),
                 floor[j, t], np.full(len(j), INF),
                 lambda: [f"while_waiting[{terms.names[a]},{terms.names[b]},{terms.months[c]}]"
                          for a, b, c in zip(w, j, t)])


def _installments(terms: PlanTerms, esc: Escalation) -> tuple[np.ndarray, np.ndarray]:
    """(n, T) the installment each month's row asks for (0: no row), and whether it is an
    agreement's (hard). Contract installments only where the loan can still escalate (elsewhere
    ``behind`` is fixed at 1 and such a row would say nothing)."""
    agreed = terms.agreed[:, :terms.horizon]
    contract = terms.installments_due * (esc.watch & ~agreed.any(axis=1))[:, None]
    return np.where(agreed > 0, agreed, contract), agreed > 0


def installment_rows(terms: PlanTerms, layout: Layout, esc: Escalation) -> Block:
    """Each month's installment is paid in full, or the month is behind, even when the loan is
    ahead of its schedule (paying ahead does not excuse a later installment: a balance below the
    schedule alone once let plans pay 安逸花 ahead in one month and nothing for the next three,
    calling it current), unless the loan is paid off; an agreed installment is paid in full every
    month until the loan is paid off, which may be sooner than the agreement's last month (Civil
    Code Art. 677). With ``paid_off[t]`` binary (nothing owed at the end of month t) and a[t] the
    installment:

    * ``installment[借呗,2027-03]`` (an agreement): pay[t] + a·paid_off[t] ≥ a;
    * ``installment[微粒贷,2027-03]`` (a contract): pay[t] + a·behind[t] + a·paid_off[t] ≥ a;
    * ``paid_off[借呗,2027-03]``: B[t] + (S[t] + 1)·paid_off[t] ≤ S[t] + 1 (a contract's: + M·behind[t]):
      paid off means nothing is owed. A loan not behind owes no more than its schedule S, so the
      bound is safe and tight;
    * ``stays_paid_off[借呗,2027-04]``: paid_off[t] − paid_off[t−1] ≥ 0."""
    a, hard = _installments(terms, esc)
    due = a > 0
    i, t = np.nonzero(due)
    a, hard = a[i, t], hard[i, t]
    bound = effective_schedule(terms)[i, t + 1] + 1.0
    k = len(i)
    row = np.arange(k)
    soft = row[~hard]
    later = (t >= 1) & due[i, np.maximum(t - 1, 0)]
    row3 = 2 * k + np.arange(later.sum())
    p = layout.paid_off
    names = [f"{family}[{terms.names[x]},{terms.months[y]}]" for family in ("installment", "paid_off")
             for x, y in zip(i, t)]
    return Block(
        "installment",
        np.concatenate([row, row, soft, k + row, k + row, k + soft, row3, row3]),
        np.concatenate([layout.pay[i, t], p[i, t], layout.behind[i[~hard], t[~hard]], layout.balance[i, t], p[i, t],
                        layout.behind[i[~hard], t[~hard]], p[i[later], t[later]], p[i[later], t[later] - 1]]),
        np.concatenate([np.ones(k), a, a[~hard], np.ones(k), bound, -esc.big[i[~hard], t[~hard]], np.ones(len(row3)),
                        -np.ones(len(row3))]),
        np.concatenate([a, np.full(k, -INF), np.zeros(len(row3))]),
        np.concatenate([np.full(k, INF), bound, np.full(len(row3), INF)]),
        lambda: names + [f"stays_paid_off[{terms.names[x]},{terms.months[y]}]" for x, y in zip(i[later], t[later])],
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


def objective(terms: PlanTerms, layout: Layout, esc: Escalation) -> tuple[np.ndarray, float]:
    """Cost vector and constant: the weighted cost; the constant is month 1's accrual on the
    opening balances (and any settlement premium already in the terms)."""
    w = terms.w_interest
    tail = terms.after_horizon
    markup = terms.rp - terms.r
    cost = np.zeros(layout.n_cols)
    # Charges accrue on the balance and its overdue part, or (simple interest) on the principal
    # and its overdue part.
    simple = terms.simple_interest
    r_balance, markup_overdue = np.where(simple, 0.0, terms.r), np.where(simple, 0.0, markup)
    r_principal, markup_principal = np.where(simple, terms.r, 0.0), np.where(simple, markup, 0.0)
    cost[layout.balance[:, :-1]] = (w * r_balance)[:, None]
    cost[layout.overdue[:, :-1]] = (w * markup_overdue + terms.static_risk)[:, None]
    cost[layout.principal[:, :-1]] = (w * r_principal)[:, None]
    cost[layout.overdue_principal[:, :-1]] = (w * markup_principal)[:, None]
    # The debt left: as it stands, for ``tail`` more months, plus w_unpaid a yuan.
    cost[layout.balance[:, -1]] = terms.w_unpaid + tail * w * r_balance
    cost[layout.overdue[:, -1]] = (1 + tail) * terms.static_risk + tail * w * markup_overdue
    cost[layout.principal[:, -1]] = tail * w * r_principal
    cost[layout.overdue_principal[:, -1]] = tail * w * markup_principal
    for k, s in enumerate(WEIGHTED_STAGES):
        cost[layout.weighted[:, k, :-1]] = terms.stage_weight[s]
        cost[layout.weighted[:, k, -1]] = (1 + tail) * terms.stage_weight[s]
    # Fees join the debt the month after their stage; the sum telescopes to the last month's stage.
    if layout.T > 1:
        cost[layout.stage[:, :, layout.T - 2]] += w * terms.stage_fee * esc.free
    # The one-off cost of a stage reached under the plan: stages stay reached, so month T says.
    cost[layout.stage[:, :, -1]] += terms.stage_once * esc.free
    # A month behind on a loan with installments (missed_installment weight).
    cost[layout.behind] = terms.missed_cost[:, None] * esc.watch[:, None]
    # A card's late fee is charged the month after a month behind (money: weighted like interest).
    cost[layout.behind[:, :-1]] += (w * terms.late_fee)[:, None]
    first_accrual = terms.first_accrual
    for i, amount, _ in layout.offers:
        # Taken: no more charges on the loan, but the premium (amount − balance) counts as a cost.
        cost[layout.take[i]] = w * (amount - terms.opening[i]) - w * first_accrual[i]
    return cost, w * float(first_accrual.sum()) + w * terms.settlement_premium


def build_arrays(terms: PlanTerms, options: ModelOptions = ModelOptions()) -> LpArrays:
    layout = Layout(terms.n_loans, terms.horizon, tuple(options.offers), options.find_extra_money)
    esc = escalation(terms)
    blocks = [balance_rows(terms, layout, esc), overdue_rows(terms, layout, esc),
              budget_rows(terms, layout, options.extra_money)]
    if terms.simple_interest.any():
        blocks += [overdue_principal_rows(terms, layout, esc), overdue_principal_within_rows(terms, layout),
                   principal_rows(terms, layout, esc, options.extra_money)]
        if (terms.simple_interest & esc.watch).any():
            blocks += charges_first_rows(terms, layout, esc)
    if esc.watch.any():
        blocks += [behind_rows(terms, layout, esc), reach_rows(terms, layout, esc)]
    weighted = weighted_rows(terms, layout, esc)
    if len(weighted.lower):
        blocks.append(weighted)
        unreported = unreported_rows(terms, layout, esc)
        if len(unreported.lower):
            blocks.append(unreported)
    if terms.ceiling is not None and np.isfinite(terms.ceiling).any():
        blocks.append(harm_order_rows(terms, layout))
    judgments = enforcement_rows(terms, layout, esc) if terms.enforcement_share > 0 else None
    if judgments is not None and len(judgments.lower):
        blocks.append(judgments)
    if options.single_run and esc.watch.any():
        blocks.append(single_run_rows(terms, layout, esc))
    installments = installment_rows(terms, layout, esc)
    if len(installments.lower):  # each installment in full, or behind (an agreement's: in full), until paid off
        blocks.append(installments)
    has_installment = _installments(terms, esc)[0] > 0
    if terms.waiting:  # no one paid ahead while a friend waits
        waiting = while_waiting_rows(terms, layout)
        if len(waiting.lower):
            blocks.append(waiting)
    if options.clear_by_horizon or options.find_extra_money:
        blocks.append(cleared_rows(terms, layout))
    if options.offers:
        blocks.append(settlement_rows(terms, layout))
    due = tuple(options.due) + tuple(terms.paid_by)
    if due:
        blocks.append(paid_by_rows(terms, layout, due))
    if options.find_extra_money:
        cost, offset = np.zeros(layout.n_cols), 0.0
        cost[layout.extra] = 1.0
    else:
        cost, offset = objective(terms, layout, esc)
    lower = np.zeros(layout.n_cols)
    upper = np.full(layout.n_cols, INF)
    lower[layout.cash[-1]] = terms.carry_out  # and those after the horizon that its money will not cover
    integer = [np.array(list(layout.take.values()), dtype=int)]
    upper[layout.take_columns] = 1.0
    upper[layout.paid_off] = np.where(has_installment, 1.0, 0.0)
    integer.append(layout.paid_off[has_installment].ravel())
    # Escalation columns: behind is binary where the loan can still escalate (1 elsewhere: the
    # row it sits in is then empty of meaning); stages are fixed where the start or the calendar
    # decides them, within [0, 1] elsewhere.
    # A performing loan the money keeps current (PlanTerms.kept_current) is never behind: its
    # installment rows become hard, like an agreement's.
    kept = terms.kept_current & esc.watch
    upper[layout.behind] = 1.0
    lower[layout.behind[~esc.watch]] = 1.0
    upper[layout.behind[kept]] = 0.0
    integer.append(layout.behind[esc.watch & ~kept].ravel())
    # started: a binary for loans current now that can still escalate; unused (0) elsewhere.
    runs = esc.watch & ~esc.from_start & ~kept
    upper[layout.started[runs]] = 1.0 if options.single_run else 0.0
    upper[layout.started[~runs]] = 0.0
    if options.single_run:
        integer.append(layout.started[runs].ravel())
    months = np.arange(1, layout.T + 1)
    reachable = months[None, None, :] >= esc.earliest[:, :, None]
    stage_upper = np.where(reachable, 1.0, 0.0)
    stage_lower = np.where(terms.stage0[:, :, None], 1.0, 0.0) * np.ones((1, 1, layout.T))
    lower[layout.stage] = stage_lower
    upper[layout.stage] = np.maximum(stage_upper, stage_lower)
    for k, s in enumerate(WEIGHTED_STAGES):
        unused = ~(esc.free[:, s] | terms.stage0[:, s]) | (terms.stage_weight[s] == 0)
        upper[layout.weighted[unused, k, :]] = 0.0
    # Simple interest: the principal columns and a binary per month for Art. 561's order; unused
    # (0) for loans that accrue on the whole balance.
    simple = terms.simple_interest
    for columns in (layout.principal, layout.overdue_principal, layout.cleared):
        upper[columns[~simple]] = 0.0
    upper[layout.cleared[simple]] = 1.0
    integer.append(layout.cleared[simple].ravel())
    return LpArrays(terms, layout, cost, offset, lower, upper, np.concatenate(integer).astype(int), tuple(blocks),
                    _installments(terms, esc)[0])


def any_pattern(arrays: LpArrays) -> LpArrays:
    """The same model without the single-run families: any pattern of months behind (what a
    rule of thumb's plan, replayed, may have), for fixed-pattern LPs and polishing."""
    single = [b for b in arrays.blocks if b.family == "single_run"]
    if not single:
        return arrays
    started = arrays.layout.started.ravel()
    lower, upper = arrays.col_lower.copy(), arrays.col_upper.copy()
    lower[started] = upper[started] = 0.0
    integer = arrays.integer[~np.isin(arrays.integer, started)]
    return arrays._replace(blocks=tuple(b for b in arrays.blocks if b.family != "single_run"),
                           col_lower=lower, col_upper=upper, integer=integer)


def as_agreed(layout: Layout, lower: np.ndarray, upper: np.ndarray, paid_off: np.ndarray | None = None) -> None:
    """In an LP that stands for a whole plan (a rule of thumb's months behind, runs fixed),
    ``paid_off`` is fixed too (a fraction of it would let a fraction of an installment go unpaid):
    to ``paid_off`` (n, T) bool, the months a plan in hand has the loan paid off, or else never
    (each installment paid as it falls due). Paying off sooner is the branch and bound's choice;
    polishing keeps what it chose."""
    free = lower[layout.paid_off] < upper[layout.paid_off]
    value = np.zeros(free.shape) if paid_off is None else paid_off.astype(float)
    lower[layout.paid_off[free]] = upper[layout.paid_off[free]] = value[free]


def paid_off_in(layout: Layout, x: np.ndarray) -> np.ndarray:
    """(n, T) bool: a solution owes nothing on the loan at the end of the month."""
    return x[layout.balance] < 1e-6


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
