"""The numbers both the ledger and the LP read: rates, opening balances, contract schedules, money.

:func:`plan_terms` turns a :class:`~optimizer.scenario.Scenario` into :class:`PlanTerms`, a frozen
set of numpy arrays. The ledger replays plans on them and the LP is built from them, so the two
can never disagree on a rule.

Rules (DOMAIN.md §4), months t = 1..T, balances at the end of a month after its payment:

* contract schedule ``S[i, t]``: the balance the contract says should remain (standard
  amortisation of the remaining installments; 0 for an accelerated loan);
* overdue ``O[i, t] = max(0, B[i, t] − S[i, t])``;
* accrual in month t: ``r·B[t−1]`` interest (compounding: unpaid interest is part of B) plus
  ``(rp − r)·O[t−1]`` penalty interest on the overdue part, on the lender's claim and under an
  agreement (its own schedule is the contract); on the legal cap (``simple``), ``r·P[t−1]`` on the
  principal and the markup on the principal above the schedule, with payments going to fees,
  then interest, then principal (Civil Code Art. 561): charges never bear interest there;
* ``B[t] = B[t−1] + accrual + fees reached − pay[t]``.

Escalation (DOMAIN.md §6): a loan is *behind* in a month when it ends the month overdue. Each
loan has a path of stages, :data:`STAGES`; a stage is reached at the end of a month in which the
loan's oldest unpaid installment is ``stage_days`` overdue. Days overdue are counted as the
scenario's ``days_overdue + 30·t`` while the loan stays behind from the plan's start, and as
``30·(m − 1) + 15`` after ``m`` months behind in a run that starts within the plan (a missed
installment is on average half a month overdue at the end of its own month). Paying the arrears
ends the run; stages reached stay reached. Enforcement follows ``enforcement_months`` months
behind after the suit. From the month after it is reached, acceleration makes the whole balance
due (schedule 0); being reported, sued or in enforcement adds that stage's weight to every yuan
overdue from the month it is reached; a suit adds the court fee and enforcement the enforcement
fee to the debt (real money, 诉讼费用交纳办法).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy_financial as npf

from .legal import PRIVATE_RULE_CHANGE, court_fee, enforcement_fee, rate_on
from .scenario import Loan, Scenario, month_index

# Risk classes in reporting order; a loan can be in several.
RISK_CLASSES = ("lawsuit", "credit", "collection")
# The escalation path, in order; index s in the stage arrays.
STAGES = ("reported", "accelerated", "sued", "enforcement")
REPORTED, ACCELERATED, SUED, ENFORCEMENT = range(4)
NEVER = 10**6  # days: a stage this lender never takes


def run_months(days: float) -> int:
    """Months behind, in a run that starts within the plan, after which ``days`` are reached."""
    return max(1, math.ceil((days + 15) / 30 - 1e-9))


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
        if signed < PRIVATE_RULE_CHANGE:
            # SPC private-lending provisions (2020 rev.) Art. 31: interest up to 2020-08-19 under
            # the old rule (24 %), from 2020-08-20 under 4 × LPR at the time of filing, i.e. now.
            lpr = rate_on(law.lpr_table, scenario.start)
            cap = law.private_lpr_multiple * lpr
            rule = (f"private lending signed {signed.isoformat()}, before 2020-08-20: {law.private_old_cap:.0%} "
                    f"until 2020-08-19, then {law.private_lpr_multiple:g} × LPR {lpr:.2%} (now) = {cap:.2%} "
                    f"(SPC private-lending provisions Art. 31)")
        else:
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
    schedule: np.ndarray  # (n, T+1) contract balance S[:, 0..T] (before any acceleration)
    installment: np.ndarray  # (n,) contract installment (0 when accelerated)
    net: np.ndarray  # (T,) money for the loans per month: income − essentials, short months covered
    cash0: float  # cash on hand before month 1
    static_risk: np.ndarray  # (n,) yuan per yuan-month overdue that does not depend on the stage
    w_interest: float
    w_unpaid: float
    # ---- escalation ----
    days0: np.ndarray  # (n,) days overdue now
    stage0: np.ndarray  # (n, 4) bool: stages reached now (STAGES order)
    stage_days: np.ndarray  # (n, 3) days overdue at which reported / accelerated / sued are reached
    enforcement_months: np.ndarray  # (n,) months behind after the suit until enforcement
    stage_fee: np.ndarray  # (n, 4) yuan added to the debt when a stage is reached
    stage_weight: np.ndarray  # (4,) yuan per yuan-month overdue added from a stage on (≥ 0)
    # (n, 4) weighted cost (not money) of reaching a stage under the plan, for what lasts after
    # the overdue months: a credit record is kept 5 years after the default ends, so a new
    # record costs the credit weight for ``new_record_months`` on the loan's balance; a new suit
    # the lawsuit weight for ``new_lawsuit_months`` (until judgment).
    stage_once: np.ndarray
    # weight of a month behind, per yuan of the loan's installment (0 for a loan accelerated now)
    w_missed: float
    # (n,) yuan a month behind adds to the debt the next month: a credit card's late fee (违约金)
    late_fee: np.ndarray
    collection: np.ndarray  # (n,) bool: abusive collection (a fixed class)
    after_horizon: int  # months after the horizon that debt left is charged for
    # (n, T) payments an agreement requires each month (paid in full, never ahead): hard in every
    # plan we call optimal or negotiated
    agreed: np.ndarray
    # (n,) for a loan settled by a lump sum: what is paid above (or, negative, below) the balance
    # owed now. Counted like interest, so a settlement is judged by what it really costs.
    premium: np.ndarray | None = None
    # Loans that must be paid off by a plan month (an agreed settlement): (loan, month 1-based).
    paid_by: tuple[tuple[int, int], ...] = ()
    # (T,) essentials not covered even with every yuan saved (no plan can pay them).
    essentials_short: np.ndarray | None = None
    # share of each month's free money paid to the judgments in enforcement (see enforcement_floor)
    enforcement_share: float = 0.0
    # (n, T) the most a loan may still owe at the end of each month (inf: no limit): when money is
    # short, a loan sued now owes no more than under the priority rule (optimizer.solve.harm_order)
    ceiling: np.ndarray | None = None
    # money the plan must still hold at its end: agreed installments due after the horizon that
    # the money then will not cover (an agreement broken the month after the plan ends is broken
    # all the same); kept by the optimizer (its last cash column) and by every rule of thumb
    carry_out: float = 0.0
    # loans whose lender, paid on time, is asked to wait (缓还, negotiate.may_ask_to_wait): until
    # each is repaid, no other loan is paid ahead of what its lender demands (model.while_waiting_rows)
    waiting: tuple[int, ...] = ()
    # (n,) bool: the loan's charges are simple interest on its principal (the cap basis: a court
    # allows the capped rate on the principal only, DOMAIN.md §8, and a card's 违约金 and court fees
    # bear none, §7). False: the whole balance accrues, unpaid charges included (the lender's
    # claim; and an agreement or a settlement, whose own schedule is the contract). None: all False.
    simple: np.ndarray | None = None
    # (n,) int: for a loan settled by a lump sum (``settle``), the 1-based plan month by which it
    # is paid in full; 0: none. What the rules of thumb save toward first (they keep what is signed).
    settle_by: np.ndarray | None = None
    # (n,) bool: the loans every plan keeps current, fixed; None: worked out from the money
    # (``kept_current``). A break-even's settled model fixes the set its plan without the
    # settlement keeps: money a lump sum would take from a performing loan's installments is not
    # money the borrower can offer (a lawyer's review: the limits spent it).
    keep: np.ndarray | None = None

    @property
    def n_loans(self) -> int:
        return len(self.names)

    @property
    def horizon(self) -> int:
        return len(self.months)

    @property
    def under_agreement(self) -> frozenset[str]:
        """Loans with an installment agreement (reached already, or asked for in a negotiated plan)."""
        return frozenset(name for name, row in zip(self.names, self.agreed) if row.any())

    @property
    def kept_names(self) -> list[str]:
        """Names of the loans every plan keeps current (``kept_current``), in scenario order."""
        return [name for name, kept in zip(self.names, self.kept_current) if kept]

    @property
    def opening_overdue(self) -> np.ndarray:
        return np.maximum(0.0, self.opening - self.schedule[:, 0] * ~self.stage0[:, ACCELERATED])

    @property
    def simple_interest(self) -> np.ndarray:
        """(n,) bool: charges accrue on the principal only (see ``simple``)."""
        return np.zeros(self.n_loans, dtype=bool) if self.simple is None else self.simple

    @property
    def settle_months(self) -> np.ndarray:
        """(n,) int: the month each loan's lump-sum settlement is due by (see ``settle_by``; 0: none)."""
        return np.zeros(self.n_loans, dtype=int) if self.settle_by is None else self.settle_by

    @property
    def opening_principal(self) -> np.ndarray:
        return self.opening_parts[:, 3].copy()

    @property
    def opening_overdue_principal(self) -> np.ndarray:
        """(n,) the principal overdue now: what of it exceeds the schedule in force."""
        over = self.opening_principal - self.schedule[:, 0] * ~self.stage0[:, ACCELERATED]
        return np.where(over >= 0.005, over, 0.0)

    @property
    def first_accrual(self) -> np.ndarray:
        """(n,) what month 1 adds to each loan before any payment: interest, penalty interest (on
        the principal under simple interest, on the balance otherwise) and a card's late fee if it
        is behind now."""
        simple = self.simple_interest
        base = np.where(simple, self.opening_principal, self.opening)
        over = np.where(simple, self.opening_overdue_principal, self.opening_overdue)
        return self.r * base + (self.rp - self.r) * over + self.late_fee * (self.opening_overdue > 0)

    @property
    def settlement_premium(self) -> float:
        return 0.0 if self.premium is None else float(self.premium.sum())

    @property
    def reserve(self) -> np.ndarray:
        """(T,) money that must be left at the end of each month for later months' essentials
        (what rules of thumb keep unspent; the optimizer keeps it through its cash ≥ 0 rows),
        and at the end for agreed installments after it: R[T] = carry_out,
        R[t] = max(0, R[t+1] − net[t+1])."""
        need = np.zeros(self.horizon)
        need[-1] = self.carry_out
        for t in range(self.horizon - 2, -1, -1):
            need[t] = max(0.0, need[t + 1] - self.net[t + 1])
        return need

    @property
    def missed_cost(self) -> np.ndarray:
        """(n,) weighted cost of a month behind (late fees, calls, an early report's risk) on a loan
        that is current now: what keeps a performing loan performing. A loan already behind is
        ranked by its risk weights alone, so the harm order holds when money is short."""
        return self.w_missed * self.installment * (self.opening_overdue < 0.005)

    @property
    def earliest(self) -> np.ndarray:
        """(n, 4) the earliest 1-based plan month by whose end each stage can be reached (0: reached
        before the plan; T + 1: not within the horizon): the quickest run of months behind, or the
        scenario's days overdue if the loan stays behind from the start; enforcement follows the
        suit by ``enforcement_months``."""
        n, T = self.n_loans, self.horizon
        out = np.full((n, 4), T + 1, dtype=int)
        for i in range(n):
            d0 = self.days0[i]
            for s in range(3):
                days = self.stage_days[i, s]
                if days >= NEVER:
                    continue
                first = run_months(days)
                if d0 > 0:
                    first = min(first, max(1, int(np.ceil((days - d0) / 30 - 1e-9))))
                out[i, s] = min(first, T + 1)
            sued_by = 0 if self.stage0[i, SUED] else out[i, SUED]
            out[i, ENFORCEMENT] = min(sued_by + int(self.enforcement_months[i]), T + 1)
        out[self.stage0] = 0
        return out

    @property
    def enforcement_floor(self) -> np.ndarray:
        """(n, T) the least a loan in enforcement is paid in each month until it is paid off
        (legal.DEFAULT_ENFORCEMENT_SHARE), whether it is in enforcement now or reaches it within
        the plan: the share of the month's money left after agreed installments and the reserve
        for later essentials, split between the loans that can be in enforcement by that month
        (those without an agreement), so the floors together never take more than the share and
        every plan can pay them. A loan's floor applies from the month after it reaches
        enforcement (``earliest`` gives the first month that can be); a plan that keeps it out of
        enforcement never pays it."""
        months = len(self.net)  # terms cut to their first months keep longer agreement rows
        free = np.maximum(0.0, self.net - self.agreed[:, :months].sum(axis=0) - self.reserve)
        active = self.may_be_enforced
        count = np.maximum(1, active.sum(axis=0))
        return np.where(active, self.enforcement_share * free / count, 0.0)

    @property
    def may_be_enforced(self) -> np.ndarray:
        """(n, T) bool: the loan can be in enforcement during month t (0-based), so a floor may
        apply: it reached enforcement by the end of 1-based month t at the earliest (0: before the
        plan), no agreement or settlement of its own sets what it is paid, and it is not a loan
        every plan keeps current (``kept_current``: it never gets there; counted, it took a share
        of the floor from the judgments, a lawyer's review found: ¥487.50 each instead of ¥650)."""
        return self.enforceable & ~self.kept_current[:, None]

    @property
    def enforceable(self) -> np.ndarray:
        """``may_be_enforced`` before the loans kept current are left out: where the model's
        judgment rows sit (a loan kept current has floor 0 there), so a slider that changes which
        loans the money keeps current keeps the model's shape and its warm re-solve."""
        months = len(self.net)
        return ~self.own_payments[:, None] & (self.earliest[:, ENFORCEMENT, None] <= np.arange(months)[None, :])

    @property
    def own_payments(self) -> np.ndarray:
        """(n,) bool: an agreement or a settlement sets what the loan is paid (such as a 执行和解)."""
        settled = np.zeros(self.n_loans, dtype=bool)
        settled[[i for i, _ in self.paid_by]] = True
        return self.agreed.any(axis=1) | settled

    @property
    def installments_due(self) -> np.ndarray:
        """(n, T) each month's installment: the step of the schedule in force (the contract's, or an
        agreement's), 0 where nothing falls due (accelerated before the plan, after the last one).
        The ledger takes the same step each month (:func:`optimizer.ledger.demanded`)."""
        s = (self.schedule * ~self.stage0[:, ACCELERATED, None])[:, :self.horizon + 1]
        step = np.maximum(0.0, s[:, :-1] * (1.0 + self.r)[:, None] - s[:, 1:])
        return np.where(s[:, :-1] > 0, step, 0.0)

    @property
    def kept_current(self) -> np.ndarray:
        """(n,) bool: loans performing now (on schedule, never behind, no agreement or settlement of
        their own) that every plan keeps current, because the money allows it: a lawyer does not
        sign a plan that creates a default it could avoid (DOMAIN.md §6: "a plan that keeps a
        performing loan current avoids it"). Before, the weights decided, and on the counsellor
        case at ¥8,500 a month the optimal plan stopped paying the friend's ¥700 a month from the
        first month (sued by the model's own calendar in 2027-03) to pay a judgment down faster.

        "Allows" is checked month by month, the way any plan can keep it, not only a plan that
        saves ahead: each month's own money (plus the reserve the last month kept, less the one
        this month keeps) covers the agreed installments, every judgment floor that may apply and
        the kept loans' installments, and what is left by each settlement's month covers its lump
        sum. Loans are added smallest installments first, so as many as the money allows are
        kept; where even the smallest does not fit, the weights decide, as before."""
        if self.keep is not None:
            return self.keep.copy()
        n, T = self.n_loans, self.horizon
        kept = np.zeros(n, dtype=bool)
        steps = self.installments_due
        performing = ((self.days0 <= 0) & ~self.stage0.any(axis=1) & ~self.own_payments
                      & (self.opening_overdue < 0.005) & (self.settle_months == 0) & (steps.sum(axis=1) > 0))
        if not performing.any():
            return kept
        reserve = self.reserve
        net = self.net[:T]
        free = net - reserve + np.concatenate([[self.cash0], reserve[:-1]])
        # The judgments' floors take the share of the money whichever loans they fall to
        # (enforcement_floor splits it between those that may be in enforcement by then).
        months = len(self.net)
        floor_money = np.maximum(0.0, self.net - self.agreed[:, :months].sum(axis=0) - self.reserve)
        floors = self.enforcement_share * floor_money * self.enforceable.any(axis=0)
        room = free - self.agreed[:, :T].sum(axis=0) - floors[:T]
        lumps = [(int(m), float(self.opening[i])) for i, m in enumerate(self.settle_months) if m > 0]

        def fits(left: np.ndarray) -> bool:
            if (left < -0.005).any():
                return False
            saved = np.cumsum(left)
            return all(saved[m - 1] >= sum(a for k, a in lumps if k <= m) - 0.005 for m, _ in lumps)

        used = np.zeros(T)
        for i in sorted(np.nonzero(performing)[0], key=lambda k: (steps[k].sum(), k)):
            if fits(room - used - steps[i]):
                kept[i] = True
                used += steps[i]
        return kept

    @property
    def enforced_now(self) -> np.ndarray:
        """(n,) bool: in enforcement now with no agreement in force (an agreement, such as a
        执行和解, sets its own installments)."""
        return self.stage0[:, ENFORCEMENT] & ~self.own_payments

    def risk_in(self, stages: np.ndarray) -> np.ndarray:
        """Yuan per yuan-month overdue of each loan given its stages (n, 4) bool."""
        return self.static_risk + stages.astype(float) @ self.stage_weight

    def settle(self, i: int, amount: float, by_month: int, binding: bool = False) -> PlanTerms:
        """Loan ``i`` settled (一次性结清): ``amount`` owed, no interest, due by plan month ``by_month``
        (1-based); the rest is waived. Not overdue while the agreement's window runs; paid late,
        the unpaid part bears the loan's penalty rate. ``binding``: a settlement agreed or taken,
        paid in full by its month in every plan the optimizer makes (``paid_by``); without it the
        caller states the deadline itself (the break-even's models: ``ModelOptions.due``)."""
        r, rp, opening, parts, schedule = (a.copy() for a in (self.r, self.rp, self.opening, self.opening_parts, self.schedule))
        premium = np.zeros(self.n_loans) if self.premium is None else self.premium.copy()
        premium[i] = amount - self.opening[i]
        r[i] = 0.0  # rp stays: a settlement paid late lapses into penalty interest
        opening[i] = amount
        parts[i] = (0.0, 0.0, 0.0, amount)
        schedule[i] = np.where(np.arange(self.horizon + 1) < by_month, amount, 0.0)
        stage0 = self.stage0.copy()
        stage0[i, ACCELERATED] = False  # the settlement replaces the demand for everything
        agreed = self.agreed.copy()
        agreed[i] = 0.0
        installment = self.installment.copy()
        installment[i] = 0.0
        settle_by = self.settle_months.copy()
        settle_by[i] = by_month
        # A lump sum asked about, not agreed, may not take a kept loan's money: the set is fixed.
        # One agreed or taken is the money's to carry: the set is worked out with it (or stays
        # off, when the scenario turns the rule off).
        keep = self.kept_current.copy() if not binding or self.keep is not None else None
        if keep is not None:
            keep[i] = False
        return self._replace(keep=keep, r=r, rp=rp, opening=opening, opening_parts=parts, schedule=schedule, premium=premium,
                             stage0=stage0, agreed=agreed, installment=installment, simple=self._contract(i),
                             settle_by=settle_by, paid_by=(*self.paid_by, (i, by_month)) if binding else self.paid_by)

    def _contract(self, i: int) -> np.ndarray:
        """``simple`` with loan ``i`` under an agreement's own terms (not simple interest)."""
        simple = self.simple_interest.copy()
        simple[i] = False
        return simple

    def agree(self, i: int, schedule: np.ndarray, rate: float, total: float) -> PlanTerms:
        """Loan ``i`` under an installment agreement: ``total`` owed now, ``schedule`` the balance
        it expects after each month, ``rate`` monthly. Each installment is due in full in its
        month (hard in the optimizer); a missed one voids the agreement and the lender demands
        the rest at once (acceleration after one month behind), with penalty interest."""
        r, opening, parts, sched, days, stage0, agreed, stage_days = (
            a.copy() for a in (self.r, self.opening, self.opening_parts, self.schedule, self.days0, self.stage0,
                               self.agreed, self.stage_days))
        r[i] = rate
        opening[i] = total
        parts[i] = (0.0, 0.0, 0.0, total)
        sched[i] = schedule
        days[i] = 0.0
        stage0[i, ACCELERATED] = False
        stage_days[i, ACCELERATED] = 0.0
        agreed[i] = schedule_installments(schedule, rate)
        rp = self.rp.copy()
        rp[i] = max(rp[i], rate)
        installment = self.installment.copy()
        installment[i] = agreed[i].max(initial=0.0)
        return self._replace(r=r, rp=rp, opening=opening, opening_parts=parts, schedule=sched, days0=days,
                             stage0=stage0, agreed=agreed, stage_days=stage_days, installment=installment,
                             simple=self._contract(i))


def schedule_installments(schedule: np.ndarray, monthly_rate: float) -> np.ndarray:
    """(T,) the installment each month of a schedule S[0..T] (a balance after each month) asks
    for: a month's interest on what the schedule expects, plus the step down to the next month."""
    return np.maximum(0.0, schedule[:-1] * (1 + monthly_rate) - schedule[1:])


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


def agreement_schedule(monthly: float, months: int, first: int, horizon: int) -> np.ndarray:
    """S[0..horizon] of an installment agreement: ``monthly`` for ``months`` months from plan
    month index ``first`` (0-based; negative when it began before the plan), no interest."""
    t = np.arange(horizon + 1)
    paid = np.clip(t - first, 0, months)  # installments due by the end of month t (t = 0: now)
    already = np.clip(-first, 0, months)
    return monthly * (months - np.maximum(paid, already))


def essentials_shortfall(net: np.ndarray, cash0: float) -> np.ndarray:
    """(T,) essentials that income and every yuan saved cannot cover, month by month (0 if none)."""
    short = np.zeros(len(net))
    running = cash0
    for t, amount in enumerate(net):
        running += amount
        if running < 0:
            short[t] = -running
            running = 0.0
    return short


def plan_terms(scenario: Scenario) -> PlanTerms:
    """The scenario as arrays, under the scenario's basis (legal cap, or the lender's claim)."""
    T = scenario.horizon_months
    w = scenario.weights
    esc = scenario.escalation
    capped = scenario.legal.basis == "cap"
    r, rp, opening_parts, schedules, installments, static, collection = [], [], [], [], [], [], []
    days0, stage0, stage_days, enf_months, fees, once = [], [], [], [], [], []
    for loan in scenario.loans:
        rate = loan.monthly_rate
        # Cards bear no penalty interest, a late fee instead (DOMAIN.md §7).
        penalty = rate if loan.credit_card else rate * (1 + loan.penalty_markup)
        parts = [loan.fees_owed, loan.penalty_owed, loan.interest_owed, loan.principal]
        if capped:
            cap = legal_cap(loan, scenario)
            rate, penalty = min(rate, cap.yearly_rate / 12), min(penalty, cap.yearly_rate / 12)
            parts = strike_charges(parts, cap.disputable)
        r.append(rate)
        rp.append(penalty)
        opening_parts.append(parts)
        schedules.append(contract_schedule(loan, loan.monthly_rate, T))
        installments.append(0.0 if (loan.accelerated or loan.sued) else loan.installment_amount)
        collection.append(loan.abusive_collection)
        static.append(w.collection * loan.abusive_collection)
        path = esc.private if loan.lender_type == "private" else esc.licensed
        accel = loan.acceleration_days if loan.acceleration_days is not None else path.acceleration_days
        # A lawsuit demands the whole balance: acceleration comes no later than the suit.
        accel = min(accel, path.lawsuit_days)
        days0.append(float(loan.days_overdue))
        stage0.append((loan.credit_reported, loan.accelerated or loan.sued, loan.sued, loan.enforcement))
        stage_days.append((path.report_days if path.reports else NEVER, accel, path.lawsuit_days))
        enf_months.append(path.enforcement_months)
        owed = sum(parts)
        fees.append((0.0, 0.0, court_fee(owed), enforcement_fee(owed)) if esc.court_fees else (0.0,) * 4)
        once.append((w.credit * w.new_record_months * owed, 0.0, w.lawsuit * w.new_lawsuit_months * owed, 0.0))
    parts = np.array(opening_parts, dtype=float)
    net = np.array(scenario.monthly("income")) - np.array(scenario.monthly("essentials"))
    short = essentials_shortfall(net, float(scenario.cash_on_hand))
    terms = PlanTerms(
        names=tuple(loan.name for loan in scenario.loans),
        months=scenario.months,
        r=np.array(r),
        rp=np.array(rp),
        opening=parts.sum(axis=1),
        opening_parts=parts,
        schedule=np.array(schedules),
        installment=np.array(installments),
        net=net + short,
        cash0=float(scenario.cash_on_hand),
        static_risk=np.array(static, dtype=float),
        w_interest=w.interest,
        w_unpaid=w.unpaid,
        days0=np.array(days0),
        stage0=np.array(stage0, dtype=bool),
        stage_days=np.array(stage_days, dtype=float),
        enforcement_months=np.array(enf_months, dtype=int),
        stage_fee=np.array(fees, dtype=float),
        # Enforcement's weight replaces the lawsuit's; as an increment it is never negative.
        stage_weight=np.array([w.credit, 0.0, w.lawsuit, max(0.0, w.enforcement - w.lawsuit)]),
        stage_once=np.array(once, dtype=float),
        w_missed=w.missed_installment,
        late_fee=np.array([scenario.legal.card_late_fee * inst if loan.credit_card else 0.0
                           for loan, inst in zip(scenario.loans, installments)]),
        collection=np.array(collection, dtype=bool),
        after_horizon=w.after_horizon_months,
        agreed=np.zeros((len(scenario.loans), T)),
        essentials_short=short,
        enforcement_share=esc.enforcement_share,
        simple=np.full(len(scenario.loans), capped),
        keep=None if esc.keep_performing_current else np.zeros(len(scenario.loans), dtype=bool),
    )
    for i, loan in enumerate(scenario.loans):
        deal = loan.agreement
        if deal is None:
            continue
        if deal.kind == "installments":
            first = month_index(scenario.start, deal.first)
            sched = agreement_schedule(deal.monthly, deal.months, first, T)
            terms = terms.agree(i, sched, 0.0, float(sched[0]))
        else:
            by = min(max(month_index(scenario.start, deal.by) + 1, 1), T)
            terms = terms.settle(i, deal.amount, by, binding=True)
    return terms


def strike_charges(parts: list[float], amount: float) -> list[float]:
    """Remove ``amount`` of charges above the cap: fees first, then penalty, then interest."""
    out = list(parts)
    for k in range(3):
        cut = min(out[k], amount)
        out[k] -= cut
        amount -= cut
    return out
