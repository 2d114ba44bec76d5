"""The one month-by-month replay of any payment plan; every figure a user sees comes from here.

:func:`replay` runs a plan through the rules of :mod:`optimizer.terms`: accrue contract interest
on the whole balance and the penalty markup on the overdue part, take the month's payment
(applied to fees, then penalty interest, then interest, then principal: Civil Code Art. 561),
carry unspent money to the next month. A plan is either a fixed payment matrix (the optimizer's,
or a CSV's) or a *policy* called once a month with what is owed and due (the heuristics), so the
heuristics never re-implement a rule.

Problems (a month spending more than it has, a payment above what is owed) are returned as data
in :attr:`Ledger.problems`, not raised.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from .terms import PlanTerms

# A balance (or an overdue part) under half a fen is settled: lenders settle to the fen, and LP
# solutions and float arithmetic leave residuals of 1e-7 yuan that must not count as a debt
# left or a month overdue.
SETTLED_BELOW = 0.005
# Budget slack allowed before a month counts as overspent (solver tolerance, not money).
BUDGET_TOLERANCE = 1e-6
# Parts of a balance, in the order payments are applied to them.
PARTS = ("fees", "penalty", "interest", "principal")


class MonthView(NamedTuple):
    """What a policy sees at plan month ``t`` (0-based) before paying."""

    t: int
    owed: np.ndarray  # (n,) balance after this month's accrual
    due: np.ndarray  # (n,) what the lender demands now: owed above the contract schedule
    available: float  # cash carried over + this month's income − essentials


Policy = Callable[[MonthView], np.ndarray]


class Ledger(NamedTuple):
    """A replayed plan. Arrays are over loans i and months; index 0 of balances is 'now'."""

    terms: PlanTerms
    payments: np.ndarray  # (n, T) what was paid (after clipping to what was owed)
    balance: np.ndarray  # (n, T+1)
    overdue: np.ndarray  # (n, T+1)
    interest: np.ndarray  # (n, T) contract interest charged in month t
    penalty: np.ndarray  # (n, T) penalty interest charged in month t
    cash: np.ndarray  # (T+1,) money carried over at the end of each month (cash[0]: on hand)
    paid_parts: np.ndarray  # (n, 4) paid to fees, penalty, interest, principal over the plan
    parts: np.ndarray  # (n, 4) still owed at the horizon, by part
    problems: tuple[str, ...]

    # ---- figures every view uses -------------------------------------------------------------

    @property
    def charges(self) -> np.ndarray:
        return self.interest + self.penalty

    @property
    def leftover(self) -> float:
        """Yuan still owed at the horizon."""
        return float(self.balance[:, -1].sum())

    @property
    def overdue_yuan_months(self) -> np.ndarray:
        """(n,) Σ over plan months 1..T of the overdue amount."""
        return self.overdue[:, 1:].sum(axis=1)

    @property
    def weighted_cost(self) -> float:
        """The optimizer's objective, evaluated on this plan (yuan)."""
        t = self.terms
        return float(
            t.w_interest * self.charges.sum()
            + (t.risk * self.overdue_yuan_months).sum()
            + t.w_unpaid * self.balance[:, -1].sum()
            + t.w_interest * t.settlement_premium
        )

    @property
    def debt_free_month(self) -> int | None:
        """1-based plan month from which nothing is owed, or None if not within the horizon."""
        owing = self.balance[:, 1:].sum(axis=0) > 0
        if owing[-1]:
            return None
        later = np.nonzero(owing)[0]
        return int(later[-1]) + 2 if later.size else 1


def replay(terms: PlanTerms, plan: np.ndarray | Policy) -> Ledger:
    """Replay ``plan`` (an (n, T) payment matrix or a monthly policy) under ``terms``."""
    n, T = terms.n_loans, terms.horizon
    decide: Policy = plan if callable(plan) else (lambda view, _p=np.asarray(plan, float): _p[:, view.t])
    balance = np.zeros((n, T + 1))
    overdue = np.zeros((n, T + 1))
    payments = np.zeros((n, T))
    interest = np.zeros((n, T))
    penalty = np.zeros((n, T))
    cash = np.zeros(T + 1)
    parts = terms.opening_parts.copy()
    paid_parts = np.zeros((n, 4))
    problems: list[str] = []

    balance[:, 0] = terms.opening
    overdue[:, 0] = terms.opening_overdue
    cash[0] = terms.cash0
    for t in range(T):
        interest[:, t] = terms.r * balance[:, t]
        penalty[:, t] = (terms.rp - terms.r) * overdue[:, t]
        parts[:, 2] += interest[:, t]
        parts[:, 1] += penalty[:, t]
        owed = balance[:, t] + interest[:, t] + penalty[:, t]
        available = cash[t] + terms.net[t]
        view = MonthView(t, owed, np.maximum(0.0, owed - terms.schedule[:, t + 1]), available)
        pay = np.asarray(decide(view), dtype=float)
        if (pay < -BUDGET_TOLERANCE).any():
            problems.append(f"{terms.months[t]}: negative payment")
        # Money above what is owed stays in cash, except a sub-half-fen excess: that is a
        # payment to the fen of an amount owed in fractions of a fen, and it settles the loan.
        pay = np.maximum(pay, 0.0)
        pay = np.where(pay > owed + SETTLED_BELOW, owed, pay)
        remaining = pay.copy()
        for k in range(4):
            take = np.minimum(parts[:, k], remaining)
            parts[:, k] -= take
            paid_parts[:, k] += take
            remaining -= take
        left = np.maximum(owed - pay, 0.0)
        settled = left < SETTLED_BELOW
        left[settled] = 0.0
        parts[settled] = 0.0
        balance[:, t + 1] = left
        behind = left - terms.schedule[:, t + 1]
        overdue[:, t + 1] = np.where(behind < SETTLED_BELOW, 0.0, behind)
        payments[:, t] = pay
        cash[t + 1] = available - pay.sum()
        if cash[t + 1] < -BUDGET_TOLERANCE * max(1.0, abs(available)):
            problems.append(f"{terms.months[t]}: payments exceed the money available by ¥{-cash[t + 1]:,.2f}")
    return Ledger(terms, payments, balance, overdue, interest, penalty, cash, paid_parts, parts, tuple(problems))
