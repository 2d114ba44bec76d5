"""The one month-by-month replay of any payment plan; every figure a user sees comes from here.

:func:`replay` runs a plan through the rules of :mod:`optimizer.terms`: accrue contract interest
and the penalty markup on the overdue part (of the principal alone under simple interest, the
cap basis; of the whole balance, unpaid charges included, on the lender's claim), take the month's payment
(applied to fees, then penalty interest, then interest, then principal: Civil Code Art. 561),
carry unspent money to the next month, and move each loan along its escalation path
(:mod:`optimizer.terms`: a month ending overdue is a month behind; enough of them in a row and
the loan is reported, accelerated, sued, enforced; stages stay reached). A plan is either a fixed payment matrix (the optimizer's,
or a CSV's) or a *policy* called once a month with what is owed and due (the heuristics), so the
heuristics never re-implement a rule.

Problems (a month spending more than it has, a payment above what is owed) are returned as data
in :attr:`Ledger.problems`, not raised.
"""

from __future__ import annotations

from typing import NamedTuple
from collections.abc import Callable

import numpy as np

from .terms import ACCELERATED, ENFORCEMENT, REPORTED, STAGES, SUED, PlanTerms

# A balance (or an overdue part) under half a fen is settled: lenders settle to the fen, and LP
# solutions and float arithmetic leave residuals of 1e-7 yuan that must not count as a debt
# left or a month overdue.
SETTLED_BELOW = 0.005
# An installment paid short by less than half a fen is float noise, not a missed installment (a
# fen short is: the lender's app shows ¥0.01 unpaid).
MISSED_BELOW = 0.005
# Budget slack allowed before a month counts as overspent (solver tolerance, not money).
BUDGET_TOLERANCE = 1e-6
# Parts of a balance, in the order payments are applied to them.
PARTS = ("fees", "penalty", "interest", "principal")


class MonthView(NamedTuple):
    """What a policy sees at plan month ``t`` (0-based) before paying."""

    t: int
    owed: np.ndarray  # (n,) balance after this month's accrual
    due: np.ndarray  # (n,) what the lender demands now: owed above the schedule in force
    available: float  # cash carried over + this month's money − what later months' essentials need
    stages: np.ndarray  # (n, 4) bool: stages reached so far (STAGES order)
    # (n,) what must be paid this month: an agreement's installment, the floor of a loan in
    # enforcement, now or since an earlier month of the plan (PlanTerms.enforcement_floor), and
    # the installment of a performing loan the money keeps current (PlanTerms.kept_current), each
    # at most what is owed
    agreed: np.ndarray
    # (n,) what is still owed on a loan settled by a lump sum whose month has not passed (0 for the
    # others): paid in full by that month or the settlement lapses (PlanTerms.settle_by)
    settling: np.ndarray | None = None


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
    fees: np.ndarray  # (n, T) court and enforcement fees added to the debt in month t
    stages: np.ndarray  # (n, 4, T+1) bool: stages reached by the end of month t (0: now)
    schedule: np.ndarray  # (n, T+1) the balance the lender expects, acceleration applied
    # (n, T+1) bool: the month's installment was not paid in full (and the loan not paid off), even
    # where the balance is on or ahead of its schedule: paying ahead does not excuse a later
    # installment; under simple interest, also a month that leaves interest or fees unpaid: they
    # are overdue however far ahead the principal is (column 0: False)
    missed: np.ndarray | None = None
    principal: np.ndarray | None = None  # (n, T+1) the principal part of the balance
    # (n, T+1) the principal above the schedule in force: what penalty interest accrues on under
    # simple interest
    overdue_principal: np.ndarray | None = None

    # ---- figures every view uses -------------------------------------------------------------

    @property
    def charges(self) -> np.ndarray:
        return self.interest + self.penalty

    @property
    def leftover(self) -> float:
        """Yuan still owed at the horizon."""
        return float(self.balance[:, -1].sum())

    @property
    def behind(self) -> np.ndarray:
        """(n, T+1) bool: the loan ended the month behind: overdue, or its installment not paid in
        full (paying ahead does not excuse a later installment)."""
        return (self.overdue > 0) if self.missed is None else (self.overdue > 0) | self.missed

    @property
    def risk(self) -> np.ndarray:
        """(n, T+1) yuan per yuan-month overdue, by the stages reached by the end of each month."""
        t = self.terms
        return t.static_risk[:, None] + np.einsum("isk,s->ik", self.stages.astype(float), t.stage_weight)

    @property
    def overdue_yuan_months(self) -> np.ndarray:
        """(n,) Σ over plan months 1..T of the overdue amount."""
        return self.overdue[:, 1:].sum(axis=1)

    @property
    def after_horizon_cost(self) -> float:
        """Debt left at the horizon, charged as if it stayed as it is for ``after_horizon`` months."""
        t = self.terms
        b, o = self.balance[:, -1], self.overdue[:, -1]
        base, over = self.accrual_base(-1)
        monthly = t.w_interest * (t.r * base + (t.rp - t.r) * over) + self.risk[:, -1] * o
        return float(t.after_horizon * monthly.sum() + t.w_unpaid * b.sum())

    @property
    def weighted_cost(self) -> float:
        """The optimizer's objective, evaluated on this plan (yuan)."""
        t = self.terms
        return float(
            t.w_interest * (self.charges.sum() + self.fees.sum())
            + (self.risk[:, 1:] * self.overdue[:, 1:]).sum()
            + self.after_horizon_cost
            + t.w_interest * t.settlement_premium
            + self.escalation_cost
            + self.missed_months_cost
        )

    @property
    def missed_months_cost(self) -> float:
        """Months behind, each weighted by the loan's installment (``missed_installment``)."""
        return float((self.behind[:, 1:] * self.terms.missed_cost[:, None]).sum())

    def accrual_base(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """(n,) what bears interest and what bears the penalty markup after month ``t`` (index into
        the balance columns): the principal and its overdue part under simple interest, the
        balance and its overdue part otherwise."""
        simple = self.terms.simple_interest
        if self.principal is None or not simple.any():
            return self.balance[:, t], self.overdue[:, t]
        return (np.where(simple, self.principal[:, t], self.balance[:, t]),
                np.where(simple, self.overdue_principal[:, t], self.overdue[:, t]))

    @property
    def escalation_cost(self) -> float:
        """The one-off weighted cost of the stages this plan reaches (``PlanTerms.stage_once``)."""
        t = self.terms
        return float((t.stage_once * (self.stages[:, :, -1] & ~t.stage0)).sum())

    @property
    def debt_free_month(self) -> int | None:
        """1-based plan month from which nothing is owed, or None if not within the horizon."""
        owing = self.balance[:, 1:].sum(axis=0) > 0
        if owing[-1]:
            return None
        later = np.nonzero(owing)[0]
        return int(later[-1]) + 2 if later.size else 1

    def worst_class(self) -> np.ndarray:
        """(n, T+1) each loan's worst risk class by the end of each month, by the stages reached:
        "lawsuit" (sued or in enforcement), "credit", "collection" or "other"."""
        s = self.stages
        sued = s[:, SUED] | s[:, ENFORCEMENT]
        collection = np.repeat(self.terms.collection[:, None], s.shape[2], axis=1)
        return np.select([sued, s[:, REPORTED], collection], ["lawsuit", "credit", "collection"], "other")

    def reached(self) -> dict[str, dict[str, int | None]]:
        """Per loan, the 1-based plan month each stage is first reached (None: not in this plan;
        0: reached already before the plan)."""
        out: dict[str, dict[str, int | None]] = {}
        for i, name in enumerate(self.terms.names):
            row: dict[str, int | None] = {}
            for s, stage in enumerate(STAGES):
                hit = np.nonzero(self.stages[i, s])[0]
                row[stage] = int(hit[0]) if hit.size else None
            out[name] = row
        return out


def demanded(schedule: np.ndarray, r: np.ndarray, owed: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """(installment, due) of plan month ``t`` (0-based), each (n,) and at most what is owed: the
    month's installment (the step of the schedule in force, ``schedule`` (n, T+1) with acceleration
    applied; 0 once accelerated or after the last one), demanded in full even when the loan is
    ahead of its schedule; and all the lender demands: that, or the arrears if more."""
    installment = np.where(schedule[:, t] > 0, np.maximum(0.0, schedule[:, t] * (1 + r) - schedule[:, t + 1]), 0.0)
    installment = np.minimum(installment, owed)
    return installment, np.maximum(np.maximum(0.0, owed - schedule[:, t + 1]), installment)


def replay(terms: PlanTerms, plan: np.ndarray | Policy) -> Ledger:
    """Replay ``plan`` (an (n, T) payment matrix or a monthly policy) under ``terms``."""
    n, T = terms.n_loans, terms.horizon
    decide: Policy = plan if callable(plan) else (lambda view, _p=np.asarray(plan, float): _p[:, view.t])
    balance = np.zeros((n, T + 1))
    overdue = np.zeros((n, T + 1))
    payments = np.zeros((n, T))
    interest = np.zeros((n, T))
    penalty = np.zeros((n, T))
    fees = np.zeros((n, T))
    cash = np.zeros(T + 1)
    stages = np.zeros((n, 4, T + 1), dtype=bool)
    missed = np.zeros((n, T + 1), dtype=bool)
    principal = np.zeros((n, T + 1))
    overdue_principal = np.zeros((n, T + 1))
    simple = terms.simple_interest
    schedule = terms.schedule.copy()
    parts = terms.opening_parts.copy()
    paid_parts = np.zeros((n, 4))
    problems: list[str] = []
    reserve = terms.reserve
    floor = terms.enforcement_floor  # judgments first (computed once, not monthly)
    kept = terms.kept_current  # performing loans the money keeps current: their installments too
    settle_by = terms.settle_months

    stages[:, :, 0] = terms.stage0
    schedule[:, 0] *= ~terms.stage0[:, ACCELERATED]
    balance[:, 0] = terms.opening
    overdue[:, 0] = terms.opening_overdue
    principal[:, 0] = parts[:, 3]
    overdue_principal[:, 0] = terms.opening_overdue_principal
    cash[0] = terms.cash0
    run = np.zeros(n)  # months behind in the current run
    initial = terms.days0 > 0  # the current run began before the plan
    since_suit = np.zeros(n)  # months behind in a row after the suit
    for t in range(T):
        now = stages[:, :, t]
        if t > 0:  # fees of stages reached at the end of last month join the debt now
            fees[:, t] = ((now & ~stages[:, :, t - 1]) * terms.stage_fee).sum(axis=1)
        fees[:, t] += terms.late_fee * ((overdue[:, t] > 0) | missed[:, t])  # a card behind last month: its late fee
        schedule[:, t + 1] *= ~now[:, ACCELERATED]
        # Simple interest: on the principal, and the markup on its overdue part (Art. 561 below
        # keeps charges out of the principal until they are paid).
        interest[:, t] = terms.r * np.where(simple, principal[:, t], balance[:, t])
        penalty[:, t] = (terms.rp - terms.r) * np.where(simple, overdue_principal[:, t], overdue[:, t])
        parts[:, 0] += fees[:, t]
        parts[:, 2] += interest[:, t]
        parts[:, 1] += penalty[:, t]
        owed = balance[:, t] + interest[:, t] + penalty[:, t] + fees[:, t]
        available = cash[t] + terms.net[t]
        installment, due = demanded(schedule, terms.r, owed, t)
        must = np.maximum(np.maximum(terms.agreed[:, t], floor[:, t] * now[:, ENFORCEMENT]), installment * kept)
        settling = owed * (t < settle_by)
        view = MonthView(t, owed, due, available - reserve[t], now.copy(), np.minimum(must, owed), settling)
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
        behind_by = left - schedule[:, t + 1]
        overdue[:, t + 1] = np.where(behind_by >= SETTLED_BELOW, behind_by, 0.0)
        principal[:, t + 1] = parts[:, 3]
        over = parts[:, 3] - schedule[:, t + 1]
        overdue_principal[:, t + 1] = np.where(over >= SETTLED_BELOW, over, 0.0)
        unpaid_charges = simple & (parts[:, :3].sum(axis=1) >= SETTLED_BELOW)
        missed[:, t + 1] = ((pay < installment - MISSED_BELOW) | unpaid_charges) & ~settled
        late = (behind_by >= SETTLED_BELOW) | missed[:, t + 1]
        payments[:, t] = pay
        cash[t + 1] = available - pay.sum()
        if cash[t + 1] < -BUDGET_TOLERANCE * max(1.0, abs(available)):
            problems.append(f"{terms.months[t]}: payments exceed the money available by ¥{-cash[t + 1]:,.2f}")
        # Escalation: count the run of months behind and what it reaches by the end of the month.
        run = np.where(late, run + 1, 0.0)
        initial &= late
        days = np.where(initial, terms.days0 + 30 * run, 30 * (run - 1) + 15)
        since_suit = np.where(late & now[:, SUED], since_suit + 1, 0.0)
        reached = now.copy()
        reached[:, :3] |= late[:, None] & (days[:, None] >= terms.stage_days)
        reached[:, ENFORCEMENT] |= since_suit >= terms.enforcement_months
        reached[:, ACCELERATED] |= reached[:, SUED] & ~now[:, SUED]  # a new suit demands everything
        stages[:, :, t + 1] = reached
    return Ledger(terms, payments, balance, overdue, interest, penalty, cash, paid_parts, parts, tuple(problems),
                  fees, stages, schedule, missed, principal, overdue_principal)
