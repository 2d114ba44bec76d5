"""The rules of thumb people use, as monthly policies replayed by the same ledger as the optimizer.

Each heuristic only decides how to split a month's money; the ledger applies interest, penalty
and schedules. When money is short of what the lenders demand (the usual case here), the ordered
heuristics pay each loan's due amount in their order until the money runs out, then put any
money left on the balances in the same order:

* avalanche: highest APR first;
* snowball: smallest balance first (re-ranked every month);
* priority: enforcement > lawsuit > credit-reported > abusive collection > the rest, then APR;
* pro-rata: the month's money split in proportion to what each loan owes (balance matching);
* minimum: pay what is due (in proportion when short) and keep the rest as savings.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .ledger import MonthView, Policy
from .scenario import Scenario
from .terms import PlanTerms

STRATEGIES = ("avalanche", "snowball", "priority", "pro-rata", "minimum")


def _in_order(view: MonthView, order: np.ndarray) -> np.ndarray:
    money = max(0.0, view.available)
    pay = np.zeros_like(view.owed)
    for target in (view.due, view.owed):
        for i in order:
            step = min(target[i] - pay[i], money)
            if step > 0:
                pay[i] += step
                money -= step
    return pay


def _proportional(amounts: np.ndarray, money: float) -> np.ndarray:
    total = amounts.sum()
    if total <= max(money, 0.0):  # also nothing owed while money is short: not 0 × (money / 0)
        return amounts.copy()
    return amounts * (max(0.0, money) / total)


def avalanche(terms: PlanTerms, scenario: Scenario) -> Policy:
    order = np.lexsort((terms.opening, -terms.r))  # APR desc, then smaller balance
    return lambda view: _in_order(view, order)


def snowball(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _in_order(view, np.lexsort((-terms.r, view.owed)))


def priority(terms: PlanTerms, scenario: Scenario) -> Policy:
    rank = np.array([
        0 if loan.enforcement else 1 if loan.lawsuit else 2 if loan.credit_reported else 3 if loan.abusive_collection else 4
        for loan in scenario.loans
    ])
    order = np.lexsort((-terms.r, rank))
    return lambda view: _in_order(view, order)


def pro_rata(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _proportional(view.owed, view.available)


def minimum(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _proportional(view.due, view.available)


POLICIES: dict[str, Callable[[PlanTerms, Scenario], Policy]] = {
    "avalanche": avalanche,
    "snowball": snowball,
    "priority": priority,
    "pro-rata": pro_rata,
    "minimum": minimum,
}
