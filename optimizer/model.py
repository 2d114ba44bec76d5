"""The repayment LP in PuLP, built from :class:`~optimizer.terms.PlanTerms` one family at a time.

Variables (loans i, plan months t = 1..T): ``pay[i,t] ≥ 0``, ``balance[i,t] ≥ 0``,
``overdue[i,t] ≥ 0``, ``cash[t] ≥ 0`` (money carried to the next month).

Constraint families, each its own function and each row named the way a user reads it:

* ``balance[借呗,2026-03]``: B[t] = (1 + r)·B[t−1] + (rp − r)·O[t−1] − pay[t]
* ``overdue[借呗,2026-03]``: O[t] ≥ B[t] − S[t]
* ``budget[2026-03]``:      Σ pay[t] + cash[t] = cash[t−1] + income[t] − essentials[t]
* ``cleared[借呗]`` (only when asked): B[T] = 0
* ``settle[借呗]`` (with settlement offers): Σ settlement payments = amount × take[借呗], where the
  binary ``take`` also writes the loan's own balance off from month 1 (a small MILP)

Objective: w_interest × (interest + penalty charged) + Σ risk × overdue + w_unpaid × B[T], the
same figure :attr:`optimizer.ledger.Ledger.weighted_cost` computes for any plan. With rp ≥ r and
non-negative weights, minimising pushes O to max(0, B − S), so the LP is exact (DOMAIN.md §4).

Expressions are built as coefficient dicts rather than with PuLP's operator overloading: same
model, a fraction of the build time. PuLP mangles ``[``, ``]`` and ``-`` in names, so rows carry
index names inside PuLP and :attr:`PlanModel.rows` maps the readable names to them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pulp

from .terms import PlanTerms


class ModelOptions(NamedTuple):
    """Variants of the one model."""

    clear_by_horizon: bool = False  # B[T] = 0 as a hard constraint
    find_extra_money: bool = False  # minimise one extra monthly amount that makes the plan feasible
    extra_money: float = 0.0  # added to every month's money (to check a found extra amount)
    # Lump-sum offers the model may take: (loan index, amount, by plan month, 1-based).
    offers: tuple[tuple[int, float, int], ...] = ()
    # Loans that must be paid off by a plan month: (loan index, month, 1-based).
    due: tuple[tuple[int, int], ...] = ()


class PlanModel(NamedTuple):
    prob: pulp.LpProblem
    terms: PlanTerms
    pay: np.ndarray  # (n, T) of LpVariable
    balance: np.ndarray  # (n, T)
    overdue: np.ndarray  # (n, T)
    cash: np.ndarray  # (T,)
    extra: pulp.LpVariable | None
    take: dict[int, pulp.LpVariable]  # loan index -> binary: the settlement offer is taken
    settle_pay: dict[int, list[pulp.LpVariable]]  # loan index -> payments toward the offer
    offers: dict[int, tuple[float, int]]
    rows: dict[str, pulp.LpConstraint]  # readable name -> row


def build_model(terms: PlanTerms, options: ModelOptions = ModelOptions()) -> PlanModel:
    n, T = terms.n_loans, terms.horizon
    prob = pulp.LpProblem("debtplan", pulp.LpMinimize)
    grid = (range(n), range(T))
    pay = _as_array(prob.add_variable_dicts("pay", grid, lowBound=0), n, T)
    balance = _as_array(prob.add_variable_dicts("bal", grid, lowBound=0), n, T)
    overdue = _as_array(prob.add_variable_dicts("ovd", grid, lowBound=0), n, T)
    cash_vars = prob.add_variable_dicts("cash", range(T), lowBound=0)
    cash = np.array([cash_vars[t] for t in range(T)], dtype=object)
    extra = prob.add_variable("extra", lowBound=0) if options.find_extra_money else None
    offers = {i: (amount, by) for i, amount, by in options.offers}
    take = {i: prob.add_variable(f"take_{i}", lowBound=0, upBound=1, cat=pulp.LpInteger) for i in offers}
    settle_pay = {i: [prob.add_variable(f"settle_{i}_{t}", lowBound=0) for t in range(by)] for i, (_, by) in offers.items()}
    model = PlanModel(prob, terms, pay, balance, overdue, cash, extra, take, settle_pay, offers, {})

    add_balance_rows(model)
    add_overdue_rows(model)
    add_budget_rows(model, options.extra_money)
    if options.clear_by_horizon or options.find_extra_money:
        add_cleared_rows(model)
    if offers:
        add_settlement_rows(model)
    for i, month in options.due:
        _add(model, f"paid_by[{terms.names[i]},{terms.months[month - 1]}]", f"paid_by_{i}",
             {balance[i, month - 1]: 1.0}, pulp.LpConstraintEQ, 0.0)
    if options.find_extra_money:
        prob.setObjective(pulp.LpAffineExpression({extra: 1.0}))
    else:
        prob.setObjective(weighted_cost(model))
    return model


def _as_array(nested: dict, n: int, T: int) -> np.ndarray:
    out = np.empty((n, T), dtype=object)
    for i in range(n):
        for t in range(T):
            out[i, t] = nested[i][t]
    return out


def _add(model: PlanModel, readable: str, internal: str, terms: dict, sense: int, rhs: float) -> None:
    row = pulp.LpConstraint(pulp.LpAffineExpression(terms), sense, internal, float(rhs))
    model.prob.addConstraint(row)
    model.rows[readable] = row


def add_balance_rows(model: PlanModel) -> None:
    """B[t] − (1 + r)·B[t−1] − (rp − r)·O[t−1] + pay[t] = 0; month 1 takes the opening as a constant."""
    tm = model.terms
    grow = 1.0 + tm.r
    markup = tm.rp - tm.r
    for i, loan in enumerate(tm.names):
        for t, month in enumerate(tm.months):
            row = {model.balance[i, t]: 1.0, model.pay[i, t]: 1.0}
            if t == 0:
                rhs = grow[i] * tm.opening[i] + markup[i] * tm.opening_overdue[i]
                if i in model.take:  # taking the offer writes the whole balance off
                    row[model.take[i]] = rhs
            else:
                rhs = 0.0
                row[model.balance[i, t - 1]] = -grow[i]
                if markup[i]:
                    row[model.overdue[i, t - 1]] = -markup[i]
            _add(model, f"balance[{loan},{month}]", f"balance_{i}_{t}", row, pulp.LpConstraintEQ, rhs)


def add_overdue_rows(model: PlanModel) -> None:
    """O[t] − B[t] ≥ −S[t]: the overdue part is whatever exceeds the contract schedule."""
    tm = model.terms
    for i, loan in enumerate(tm.names):
        for t, month in enumerate(tm.months):
            row = {model.overdue[i, t]: 1.0, model.balance[i, t]: -1.0}
            _add(model, f"overdue[{loan},{month}]", f"overdue_{i}_{t}", row, pulp.LpConstraintGE, -tm.schedule[i, t + 1])


def add_budget_rows(model: PlanModel, extra_money: float = 0.0) -> None:
    """Σ pay[t] + cash[t] − cash[t−1] (− extra) = income[t] − essentials[t] (+ cash on hand in month 1)."""
    tm = model.terms
    for t, month in enumerate(tm.months):
        row = {p: 1.0 for p in model.pay[:, t]}
        row[model.cash[t]] = 1.0
        if t > 0:
            row[model.cash[t - 1]] = -1.0
        if model.extra is not None:
            row[model.extra] = -1.0
        for i, payments in model.settle_pay.items():
            if t < len(payments):
                row[payments[t]] = 1.0
        rhs = tm.net[t] + extra_money + (tm.cash0 if t == 0 else 0.0)
        _add(model, f"budget[{month}]", f"budget_{t}", row, pulp.LpConstraintEQ, rhs)


def add_cleared_rows(model: PlanModel) -> None:
    """B[T] = 0 for every loan."""
    tm = model.terms
    for i, loan in enumerate(tm.names):
        _add(model, f"cleared[{loan}]", f"cleared_{i}", {model.balance[i, -1]: 1.0}, pulp.LpConstraintEQ, 0.0)


def add_settlement_rows(model: PlanModel) -> None:
    """Σ settlement payments up to the offer's month = amount × take."""
    for i, (amount, _) in model.offers.items():
        row = {p: 1.0 for p in model.settle_pay[i]}
        row[model.take[i]] = -amount
        _add(model, f"settle[{model.terms.names[i]}]", f"settle_{i}", row, pulp.LpConstraintEQ, 0.0)


def weighted_cost(model: PlanModel) -> pulp.LpAffineExpression:
    """The objective; its constant is the month-1 accrual on the opening balances."""
    tm = model.terms
    w = tm.w_interest
    markup = tm.rp - tm.r
    coef: dict = {}
    for i in range(tm.n_loans):
        for t in range(tm.horizon - 1):
            # B[t] and O[t] accrue charges in month t + 1 (within the horizon).
            coef[model.balance[i, t]] = w * tm.r[i]
            coef[model.overdue[i, t]] = w * markup[i] + tm.risk[i]
        coef[model.balance[i, -1]] = tm.w_unpaid
        coef[model.overdue[i, -1]] = tm.risk[i]
    first_accrual = tm.r * tm.opening + markup * tm.opening_overdue
    for i, (amount, _) in model.offers.items():
        # Taken: no more charges on the loan, but the premium (amount − balance) counts as a cost.
        coef[model.take[i]] = w * (amount - tm.opening[i]) - w * first_accrual[i]
    constant = w * float(first_accrual.sum()) + w * tm.settlement_premium
    return pulp.LpAffineExpression({v: c for v, c in coef.items() if c}, constant=constant)
