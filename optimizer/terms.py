"""The numbers both the ledger and the LP read: rates, opening balances, contract schedules, money.

:func:`plan_terms` turns a :class:`~optimizer.scenario.Scenario` into :class:`PlanTerms`, a frozen
set of numpy arrays. The ledger replays plans on them and the LP is built from them, so the two
can never disagree on a rule.

Rules (DOMAIN.md §4), months t = 1..T, balances at the end of a month after its payment:

* contract schedule ``S[i, t]``: the balance the contract says should remain (standard
  amortisation of the remaining installments; 0 for an accelerated loan);
* overdue ``O[i, t] = max(0, B[i, t] − S[i, t])``;
* accrual in month t: ``r·B[t−1]`` interest (compounding: unpaid interest is part of B) plus
  ``(rp − r)·O[t−1]`` penalty interest on the overdue part;
* ``B[t] = B[t−1] + accrual − pay[t]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy_financial as npf

from .legal import rate_on
from .scenario import Loan, Scenario

# Risk classes in reporting order; a loan can be in several.
RISK_CLASSES = ("lawsuit", "credit", "collection")


class LegalCap(NamedTuple):
    """The cap that applies to one loan's charges, and what it allows of the charges owed."""

    yearly_rate: float
    rule: str  # "licensed 24 %" or "private 4 × LPR 3.45 % (2023-09-01)"
    allowed_charges: float  # of interest + penalty + fees owed
    claimed_charges: float

    @property
    def disputable(self) -> float:
        return max(0.0, self.claimed_charges - self.allowed_charges)


def legal_cap(loan: Loan, scenario: Scenario) -> LegalCap:
    """Which cap applies to ``loan`` and how much of its owed charges it allows.

    Charges owed are taken to have built up over the days overdue plus the month of interest
    inside the first missed installment, on the outstanding principal; the cap allows
    ``principal × cap × days / 365`` for that period (an estimate: DOMAIN.md gives the caps,
    not the accrual history, which only an itemised breakdown from the lender shows).
    """
    law = scenario.legal
    if loan.lender_type == "private":
        signed = loan.contract_date or scenario.start
        lpr = rate_on(law.lpr_table, signed)
        cap = law.private_lpr_multiple * lpr
        rule = f"private lending: {law.private_lpr_multiple:g} × LPR {lpr:.2%} ({signed.isoformat()}) = {cap:.2%}"
    else:
        cap = law.licensed_cap
        rule = f"licensed lender: {cap:.0%} a year on interest + penalty + fees combined"
    days = loan.days_overdue + 30 if loan.days_overdue > 0 else 30
    allowed = loan.principal * cap * days / 365
    return LegalCap(cap, rule, allowed, loan.charges_owed)


class PlanTerms(NamedTuple):
    """Everything the ledger and the LP need, as arrays over loans i and months t."""

    names: tuple[str, ...]
    months: tuple[str, ...]  # labels of plan months 1..T
    r: np.ndarray  # (n,) monthly contract rate
    rp: np.ndarray  # (n,) monthly penalty rate (≥ r)
    opening: np.ndarray  # (n,) balance owed now, B[:, 0]
    opening_parts: np.ndarray  # (n, 4) fees, penalty, interest, principal owed now
    schedule: np.ndarray  # (n, T+1) contract balance S[:, 0..T]
    installment: np.ndarray  # (n,) contract installment (0 when accelerated)
    net: np.ndarray  # (T,) income − essentials per month
    cash0: float  # cash on hand before month 1
    risk: np.ndarray  # (n,) yuan of cost per yuan-month overdue
    classes: np.ndarray  # (n, 3) bool: lawsuit/enforcement, credit-reported, abusive collection
    w_interest: float
    w_unpaid: float
    # (n,) for a loan settled by a lump sum: what is paid above (or, negative, below) the balance
    # owed now. Counted like interest, so a settlement is judged by what it really costs.
    premium: np.ndarray | None = None

    @property
    def n_loans(self) -> int:
        return len(self.names)

    @property
    def horizon(self) -> int:
        return len(self.months)

    @property
    def opening_overdue(self) -> np.ndarray:
        return np.maximum(0.0, self.opening - self.schedule[:, 0])

    @property
    def settlement_premium(self) -> float:
        return 0.0 if self.premium is None else float(self.premium.sum())

    def settle(self, i: int, amount: float, by_month: int) -> PlanTerms:
        """Loan ``i`` settled (一次性结清): ``amount`` owed, no interest, due by plan month ``by_month``
        (1-based); the rest is waived. Not overdue while the agreement's window runs; paid late,
        the unpaid part bears the loan's penalty rate."""
        r, rp, opening, parts, schedule = (a.copy() for a in (self.r, self.rp, self.opening, self.opening_parts, self.schedule))
        premium = np.zeros(self.n_loans) if self.premium is None else self.premium.copy()
        premium[i] = amount - self.opening[i]
        r[i] = 0.0  # rp stays: a settlement paid late lapses into penalty interest
        opening[i] = amount
        parts[i] = (0.0, 0.0, 0.0, amount)
        schedule[i] = np.where(np.arange(self.horizon + 1) < by_month, amount, 0.0)
        return self._replace(r=r, rp=rp, opening=opening, opening_parts=parts, schedule=schedule, premium=premium)


def contract_schedule(loan: Loan, monthly_rate: float, horizon: int) -> np.ndarray:
    """S[0..horizon]: the balance the contract expects after plan month t (S[0]: now).

    The missed installments are due already, so S[0] is the principal left after them;
    each plan month then pays one more installment, down to 0 after the last.
    """
    if loan.accelerated or loan.remaining_installments == 0:
        return np.zeros(horizon + 1)
    k = loan.installments_missed + np.arange(horizon + 1)
    n = loan.remaining_installments
    if monthly_rate > 0:
        left = npf.fv(monthly_rate, k, loan.installment_amount, -loan.principal)
    else:
        left = loan.principal - loan.installment_amount * k
    return np.where(k >= n, 0.0, np.maximum(0.0, left))


def plan_terms(scenario: Scenario) -> PlanTerms:
    """The scenario as arrays, under the scenario's basis (lender's claim or legal cap)."""
    T = scenario.horizon_months
    w = scenario.weights
    capped = scenario.legal.basis == "cap"
    r, rp, opening_parts, schedules, installments, risk, classes = [], [], [], [], [], [], []
    for loan in scenario.loans:
        rate = loan.monthly_rate
        penalty = rate * (1 + loan.penalty_markup)
        parts = [loan.fees_owed, loan.penalty_owed, loan.interest_owed, loan.principal]
        if capped:
            cap = legal_cap(loan, scenario)
            rate, penalty = min(rate, cap.yearly_rate / 12), min(penalty, cap.yearly_rate / 12)
            parts = strike_charges(parts, cap.disputable)
        r.append(rate)
        rp.append(penalty)
        opening_parts.append(parts)
        schedules.append(contract_schedule(loan, loan.monthly_rate, T))
        installments.append(0.0 if loan.accelerated else loan.installment_amount)
        cls = (loan.sued, loan.credit_reported, loan.abusive_collection)
        classes.append(cls)
        risk.append(w.lawsuit * cls[0] + w.credit * cls[1] + w.collection * cls[2])
    parts = np.array(opening_parts, dtype=float)
    return PlanTerms(
        names=tuple(loan.name for loan in scenario.loans),
        months=scenario.months,
        r=np.array(r),
        rp=np.array(rp),
        opening=parts.sum(axis=1),
        opening_parts=parts,
        schedule=np.array(schedules),
        installment=np.array(installments),
        net=np.array(scenario.monthly("income")) - np.array(scenario.monthly("essentials")),
        cash0=float(scenario.cash_on_hand),
        risk=np.array(risk),
        classes=np.array(classes, dtype=bool),
        w_interest=w.interest,
        w_unpaid=w.unpaid,
    )


def strike_charges(parts: list[float], amount: float) -> list[float]:
    """Remove ``amount`` of charges above the cap: fees first, then penalty, then interest."""
    out = list(parts)
    for k in range(3):
        cut = min(out[k], amount)
        out[k] -= cut
        amount -= cut
    return out
