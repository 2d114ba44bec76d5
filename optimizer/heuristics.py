"""The rules of thumb people use, as monthly policies replayed by the same ledger as the optimizer.

Each heuristic only decides how to split a month's money; the ledger applies interest, penalty
and schedules. When money is short of what the lenders demand (the usual case here), the ordered
heuristics pay each loan's due amount in their order until the money runs out, then put any
money left on the balances in the same order:

* avalanche: highest APR first;
* snowball: smallest balance first (re-ranked every month);
* priority: enforcement > lawsuit > credit-reported > abusive collection > the rest, then APR,
  ranked by the stages each loan has reached by that month (a loan sued under the plan moves up);
* pro-rata: the month's money split in proportion to what each loan owes (balance matching);
* minimum: pay what is due (in proportion when short) and keep the rest as savings.

Every rule pays the installments of an agreement already reached first, and a settlement's lump
sum before its month (people keep what they signed), and none spends the money later months' essentials need (``MonthView.available`` is net
of that reserve), so the comparison with the optimizer is fair. The ledger applies the same
escalation to every plan.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .ledger import MonthView, Policy
from .scenario import Scenario
from .terms import ENFORCEMENT, REPORTED, SUED, PlanTerms

STRATEGIES = ("avalanche", "snowball", "priority", "pro-rata", "minimum")


def _agreed_first(view: MonthView) -> tuple[np.ndarray, float]:
    """Agreement installments paid first (in proportion if even they do not fit), then what a
    settlement still needs before its month (a lump sum is saved toward before anything else:
    paid late, the settlement lapses and the waived part is owed again)."""
    money = max(0.0, view.available)
    pay = _proportional(view.agreed, money)
    money -= pay.sum()
    if view.settling is not None and view.settling.any():
        toward = _proportional(np.maximum(view.settling - pay, 0.0), money)
        pay, money = pay + toward, money - toward.sum()
    return pay, money


def _in_order(view: MonthView, order: np.ndarray) -> np.ndarray:
    pay, money = _agreed_first(view)
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
    if total <= 0:
        return np.zeros_like(amounts)
    return amounts * (max(0.0, money) / total)


def avalanche(terms: PlanTerms, scenario: Scenario) -> Policy:
    order = np.lexsort((terms.opening, -terms.r))  # APR desc, then smaller balance
    return lambda view: _in_order(view, order)


def snowball(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _in_order(view, np.lexsort((-terms.r, view.owed)))


def priority_rank(stages: np.ndarray, collection: np.ndarray) -> np.ndarray:
    """0 enforcement, 1 sued, 2 reported, 3 abusive collection, 4 the rest."""
    return np.select([stages[:, ENFORCEMENT], stages[:, SUED], stages[:, REPORTED], collection], [0, 1, 2, 3], 4)


def priority(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _in_order(view, np.lexsort((-terms.r, priority_rank(view.stages, terms.collection))))


def _after_agreed(view: MonthView, amounts: np.ndarray) -> np.ndarray:
    pay, money = _agreed_first(view)
    return pay + _proportional(np.maximum(amounts - pay, 0.0), money)


def pro_rata(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _after_agreed(view, view.owed)


def minimum(terms: PlanTerms, scenario: Scenario) -> Policy:
    return lambda view: _after_agreed(view, view.due)


def keep_current(terms: PlanTerms, scenario: Scenario) -> Policy:
    """Not a rule people name, a starting point for the optimizer: loans on schedule are kept on
    schedule first (smallest installment first, so as many as the money allows stay current),
    then the priority rule's order."""
    def decide(view: MonthView) -> np.ndarray:
        on_time = view.due <= terms.installment + terms.late_fee + 0.005
        rank = np.where(on_time & (view.due > 0), -1, priority_rank(view.stages, terms.collection))
        order = np.lexsort((-terms.r, np.where(rank < 0, view.due, 0.0), rank))
        return _in_order(view, order)
    return decide


# Starting points the optimizer also tries (never offered as a strategy of their own).
SEEDS: dict[str, Callable[[PlanTerms, Scenario], Policy]] = {"keep-current": keep_current}

POLICIES: dict[str, Callable[[PlanTerms, Scenario], Policy]] = {
    "avalanche": avalanche,
    "snowball": snowball,
    "priority": priority,
    "pro-rata": pro_rata,
    "minimum": minimum,
}
