"""Negotiation targets: what to ask each lender for, what it is worth, and whom to call first.

For every loan:

* **legal cap**: the cap that applies (licensed 24 % combined; private 4 × LPR at the contract
  date) and the disputable amount of the charges owed (:func:`optimizer.terms.legal_cap`);
* **installment ask** (协商分期): a restructured schedule for every loan that is overdue or
  accelerated, at the capped rate with penalty interest waived, its length chosen by a small MILP
  so that all asks, the loans still on their contract and any settlements taken fit the money of
  every month (with savings carried over), leaving ``margin`` of each month's money spare when
  that is possible; when even the longest asks do not fit, a private lender the borrower is
  paying on time (a friend, a relative: no credit-bureau report, no collection industry) is
  asked to wait (缓还: a deferral, or a longer term, at the agreed rate) before the plan lets a
  reporting lender's performing loan fall behind;
* **penalty waiver** (减免罚息): the penalty interest owed now that the dispute of charges above the
  cap does not already strike (:func:`undisputed_penalty`), plus what the current plan would
  still be charged;
* **settlement** (一次性结清): a lender's offer in the scenario is taken when the MILP finds it
  improves the plan; for every loan, the break-even lump sum at a month is the largest one-off
  payment that still beats the current plan (bisection over re-solves, to ¥0.50);
* **call order**: lenders ranked by how much the weighted cost improves per yuan the lender
  gives up when that lender alone says yes (re-solves).

The negotiated plan applies every ask at once (rates cut to the cap everywhere, charges above it
struck out, installments restored, offers taken) and is solved and replayed like any plan.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import numpy_financial as npf
import pandas as pd
import pulp

from .model import ModelOptions, any_pattern, build_arrays, to_highs
from .solve import LP_TIME_LIMIT, LpOutcome, PlanResult, PlanStatus, Replanner, highspy, new_highs, optimal_plan, solve_arrays, solve_problem
from .scenario import Loan, Scenario, month_index, month_label
from .terms import (
    ACCELERATED,
    ENFORCEMENT,
    LegalCap,
    PlanTerms,
    agreement_schedule,
    contract_schedule,
    legal_cap,
    plan_terms,
    schedule_installments,
    strike_charges,
)

DEFAULT_SETTLE_BY = 3  # months: time to gather a lump sum for the break-even figure
DEFAULT_MARGIN = 0.10  # share of each month's money the asks leave spare when they can
# Installment lengths asked for, up to the scenario's limits (online loans 36, cards 60 by default).
TERM_GRID = (12, 18, 24, 30, 36, 48, 60, 72, 84, 96, 108, 120)
# Months before the first restructured installment (延期): asked for only when the money of the
# first months cannot carry installments (the interest meanwhile makes it cost more).
GRACE_MONTHS = (0, 1, 2, 3, 5)
# What is paid in each month of the grace, as a share of the installment that follows (阶梯还款, a
# step-up): 0 is a pure deferral. A lender rarely gives a loan months overdue a holiday with no
# payment at all, and a creditor who has sued or is enforcing a judgment reads months of nothing,
# while the borrower pays other lenders and saves, as refusing to pay while able (Criminal Law
# Art. 313): such a loan is never asked for a pure deferral (lawyer's review, counsellor case).
STEP_SHARES = (0.0, 0.25, 0.5)
_SHORTFALL_COST = 1000.0  # per yuan a month's obligations exceed its money: only when nothing fits
_MARGIN_COST = 10.0  # per yuan of the margin used


class InstallmentAsk(NamedTuple):
    months: int
    monthly: float
    principal: float  # what is restructured: principal + allowed interest and fees, penalty waived
    yearly_rate: float  # contract rate cut to the cap
    total_interest: float
    grace: int = 0  # months before the first full installment
    # A loan paid on time whose private lender is asked to wait (缓还), not a restructured default:
    # no penalty to waive, no statement to demand, no formal letter; a word with the lender.
    to_wait: bool = False
    step: float = 0.0  # paid in each month of the grace (阶梯还款); 0: a pure deferral

    @property
    def at_first_installment(self) -> float:
        """What the full installments repay: the principal grown by the grace's interest, less the
        step payments made meanwhile (the figure a lender checks the installment against; equal to
        ``principal`` without grace)."""
        return float(_grown(self.principal, self.yearly_rate / 12, self.grace, self.step))

    def schedule(self, horizon: int) -> np.ndarray:
        """S[0..horizon]: the balance the agreement expects after each plan month."""
        r = self.yearly_rate / 12
        t = np.arange(horizon + 1)
        in_grace = _grown(self.principal, r, np.minimum(t, self.grace), self.step)
        paid = np.maximum(t - self.grace, 0)
        left = np.where(t <= self.grace, in_grace, _grown(self.at_first_installment, r, paid, self.monthly))
        return np.where(paid >= self.months, 0.0, np.maximum(left, 0.0))

    def due(self, months: int) -> np.ndarray:
        """(months,) what the ask asks for in each month from the plan's first: the step payments
        of the grace, then the installments (a look-ahead, so the last one counted in full)."""
        out = np.zeros(months)
        out[: self.grace] = self.step
        out[self.grace: self.grace + self.months] = self.monthly
        return out

    @property
    def total_paid(self) -> float:
        return self.step * self.grace + self.monthly * self.months


class LoanTarget(NamedTuple):
    index: int
    loan: str
    lender: str
    yearly_rate: float
    cap: LegalCap
    installment_ask: InstallmentAsk | None
    penalty_waiver: float
    offer_amount: float | None
    offer_by: str | None
    take_offer: bool | None
    break_even: float | None
    break_even_by: str | None
    affordable_by: float  # money the borrower can raise by break_even_by, before any other payment
    improvement: float  # weighted cost saved if this lender alone agrees
    concession: float  # what this lender gives up (paid + still owed at the horizon)
    call_rank: int
    early_acceleration: bool = False  # whole balance demanded before the contract allows: contest it
    penalty_above_cap: bool = False  # the penalty rate takes the combined rate above the cap: dispute it

    @property
    def asked_to_wait(self) -> bool:
        """A loan paid on time whose private lender is asked to wait (缓还): a call, no letter."""
        return self.installment_ask is not None and self.installment_ask.to_wait


class Targets(NamedTuple):
    scenario: Scenario
    baseline: PlanResult
    negotiated: PlanResult | None  # None until with_negotiated_plan() (the Plan view needs only the call order)
    loans: tuple[LoanTarget, ...]
    asks_fit: bool
    shortfall: np.ndarray  # (T,) yuan by which the asks exceed each month's money (0 when they fit)
    margin_kept: bool

    def table(self) -> pd.DataFrame:
        rows = []
        for t in sorted(self.loans, key=lambda x: x.call_rank):
            ask = t.installment_ask
            rows.append({
                "call_order": t.call_rank,
                "loan": t.loan,
                "lender": t.lender,
                "apr": t.yearly_rate,
                "cap_rate": t.cap.yearly_rate,
                "cap_rule": t.cap.rule,
                "claimed_charges": t.cap.claimed_charges,
                "allowed_charges": t.cap.allowed_charges,
                "disputable": t.cap.disputable,
                "ask_months": ask.months if ask else None,
                "ask_monthly": ask.monthly if ask else None,
                "ask_principal": ask.principal if ask else None,
                "ask_rate": ask.yearly_rate if ask else None,
                "ask_grace": ask.grace if ask else None,  # months before the first full installment
                "ask_step": ask.step if ask else None,  # paid in each of those months (0: a deferral)
                "ask_to_wait": ask.to_wait if ask else None,  # a loan paid on time, its lender asked to wait
                "penalty_waiver": t.penalty_waiver,
                "offer_amount": t.offer_amount,
                "offer_by": t.offer_by,
                "take_offer": t.take_offer,
                "break_even_amount": t.break_even,
                "break_even_by": t.break_even_by,
                "improvement": t.improvement,
                "concession": t.concession,
                "contest_acceleration": t.early_acceleration,
                "penalty_above_cap": t.penalty_above_cap,
            })
        return pd.DataFrame(rows)


# ---- the pieces --------------------------------------------------------------------------------


def capped_rate(loan: Loan, scenario: Scenario) -> float:
    return min(loan.yearly_rate, legal_cap(loan, scenario).yearly_rate)


def restructured_parts(loan: Loan, cap: LegalCap) -> tuple[float, float]:
    """(principal, the interest and fees the cap allows): what an installment ask restructures,
    penalty interest waived."""
    fees, _, interest, principal = strike_charges(
        [loan.fees_owed, loan.penalty_owed, loan.interest_owed, loan.principal], cap.disputable
    )
    return principal, interest + fees


def restructured_principal(loan: Loan, cap: LegalCap) -> float:
    """Principal + the charges the cap allows, with penalty interest waived."""
    return sum(restructured_parts(loan, cap))


def needs_ask(terms: PlanTerms, scenario: Scenario, i: int) -> bool:
    """Overdue or accelerated, and not already under an agreement."""
    if scenario.loans[i].agreement is not None:
        return False
    return bool(terms.opening_overdue[i] > 0.005 or terms.stage0[i, ACCELERATED])


def may_ask_to_wait(terms: PlanTerms, scenario: Scenario, i: int) -> bool:
    """A private loan paid on time and not reported (a friend, a relative): its lender may be asked
    to wait when the money cannot cover every ask, because a deferral agreed there triggers
    nothing, while the same shortfall left to the plan makes some lender's loan fall behind, and a
    licensed lender's loan behind is reported to the credit bureau (DOMAIN.md §6)."""
    loan = scenario.loans[i]
    return (loan.lender_type == "private" and loan.agreement is None and loan.settlement_offer is None
            and not needs_ask(terms, scenario, i) and not loan.credit_reported and not loan.sued
            and loan.remaining_installments > 0)


def acceleration_threshold(loan: Loan, scenario: Scenario) -> int:
    """Days overdue after which this loan's lender may demand the whole balance."""
    path = scenario.escalation.private if loan.lender_type == "private" else scenario.escalation.licensed
    return loan.acceleration_days if loan.acceleration_days is not None else path.acceleration_days


def early_acceleration(loan: Loan, scenario: Scenario) -> bool:
    """The whole balance is demanded before the contract's threshold: contestable (过度催收)."""
    return loan.accelerated and not loan.sued and loan.days_overdue < acceleration_threshold(loan, scenario)


def penalty_rate_above_cap(loan: Loan, scenario: Scenario) -> bool:
    """The penalty rate alone takes the combined yearly rate above the legal cap (cards bear no
    penalty interest since 2017: 银发〔2016〕111号)."""
    if loan.credit_card:
        return False
    return loan.yearly_rate * (1 + loan.penalty_markup) > legal_cap(loan, scenario).yearly_rate + 1e-12


def _annuity(principal: float, yearly_rate: float, months: int) -> float:
    """The monthly installment that repays ``principal`` in ``months``, rounded up to the fen: a
    lender states installments in fen, and a plan paying the exact annuity would round it down a
    fen whenever a month's money is all spent (the negotiated CSV paid 360借条 ¥964.21 against an
    ask of ¥964.22, and the replayed agreement broke). The last installment is then a little less."""
    exact = principal * _annuity_rate(yearly_rate, months)
    return math.ceil(exact * 100 - 1e-6) / 100


def _annuity_rate(yearly_rate: float, months: int) -> float:
    """The installment that repays ¥1 in ``months`` monthly installments."""
    r = yearly_rate / 12
    return 1.0 / months if r == 0 else r / (1 - (1 + r) ** -months)


def _committed(scenario: Scenario, terms: PlanTerms, settled: dict[int, tuple[float, int]], asked=(),
               ) -> tuple[int, np.ndarray, np.ndarray]:
    """Months to look ahead (past the horizon, until the longest possible ask ends), the money per
    month (the last month's continuing) and what is committed in each: settlements taken,
    agreements already reached, contract installments of loans that need no ask and are not
    ``asked`` to wait."""
    law = scenario.legal
    lengths_max = max(law.max_restructure_months, law.max_restructure_months_card) + max(GRACE_MONTHS)
    T = max(terms.horizon, lengths_max)
    net = np.concatenate([terms.net, np.full(T - terms.horizon, terms.net[-1])])
    fixed = np.zeros(T)
    for i, loan in enumerate(scenario.loans):
        deal = loan.agreement
        if i in settled:
            amount, by = settled[i]
            fixed[by - 1] += amount
        elif deal is not None and deal.kind == "installments":  # agreed already: paid in full
            s = agreement_schedule(deal.monthly, deal.months, month_index(scenario.start, deal.first), T)
            fixed += s[:-1] - s[1:]
        elif deal is not None:
            fixed[min(max(month_index(scenario.start, deal.by), 0), T - 1)] += deal.amount
        elif not needs_ask(terms, scenario, i) and i not in asked:  # on schedule: keeps its contract
            fixed += contract_installments(loan, T)
    return T, net, fixed


def contract_installments(loan: Loan, months: int) -> np.ndarray:
    """(months,) what a loan on schedule pays each month under its contract."""
    return schedule_installments(contract_schedule(loan, loan.monthly_rate, months), loan.monthly_rate)


def after_horizon_need(scenario: Scenario, terms: PlanTerms, asks: dict[int, InstallmentAsk],
                       settled: dict[int, tuple[float, int]]) -> float:
    """Cash the negotiated plan must still hold when it ends so that every installment due after
    the horizon is paid in full: the largest running deficit of the months after it (the asks'
    installments and what else is committed, against the last month's money continuing). Worked
    on the asks' own schedules, so a plan that paid an agreement ahead needs less than this."""
    T, net, fixed = _committed(scenario, terms, settled, asked=asks.keys())
    due = fixed.copy()
    for ask in asks.values():
        due += ask.due(T)
    deficit = np.cumsum((due - net)[terms.horizon:])
    return float(max(0.0, deficit.max(initial=0.0)))


def installment_asks(
    scenario: Scenario, terms: PlanTerms, settled: dict[int, tuple[float, int]], margin: float = DEFAULT_MARGIN,
) -> tuple[dict[int, InstallmentAsk], np.ndarray, bool]:
    """Choose each overdue loan's restructured term (MILP); returns asks, shortfall per month and
    whether the margin could be kept.

    Installments may run past the horizon, so the budget is checked until the longest possible
    ask ends, assuming the last month's income and essentials continue. When even the longest
    asks leave a month short, the terms are chosen again with the private lenders paid on time
    (:func:`may_ask_to_wait`) asked to wait where that closes the gap: asked only then, since
    asking a lender who is being paid is asking a favour.
    """
    asking = [i for i in range(terms.n_loans) if i not in settled and needs_ask(terms, scenario, i)]
    asks, shortfall, margin_kept = _choose_terms(scenario, terms, settled, margin, asking, [])
    waiting = [i for i in range(terms.n_loans) if i not in settled and may_ask_to_wait(terms, scenario, i)]
    if not (shortfall.any() and waiting):
        return asks, shortfall, margin_kept
    # The smallest favour that closes the gap: the fewest months by which any waiting loan ends
    # later than its contract (a bisection: more months allowed never leaves more short).
    delays = sorted({_delay(scenario.loans[i], ask) for i in waiting for ask in _ask_options(scenario, scenario.loans[i], True)})
    best = _choose_terms(scenario, terms, settled, margin, asking, waiting, delays[-1])
    if best[1].any():  # even the longest waits leave a month short: ask for them, and say so
        return best
    lo, hi = 0, len(delays) - 1  # delays[hi] closes the gap; find the first that does
    while lo < hi:
        mid = (lo + hi) // 2
        found = _choose_terms(scenario, terms, settled, margin, asking, waiting, delays[mid])
        if found[1].any():
            lo = mid + 1
        else:
            hi, best = mid, found
    return best


def _delay(loan: Loan, ask: InstallmentAsk) -> int:
    """Months by which a loan asked to wait ends later than its contract."""
    return ask.grace + ask.months - loan.remaining_installments


def _ask_options(scenario: Scenario, loan: Loan, to_wait: bool) -> list[InstallmentAsk]:
    """The terms one lender may be asked for: every length of the grid from the contract's own pace
    up to the scenario's limit, each with every grace period, paid in steps (:data:`STEP_SHARES`;
    a loan sued or in enforcement: never nothing) (a lender asked to wait: not the contract
    itself, which is the option of not asking)."""
    law = scenario.legal
    cap = legal_cap(loan, scenario)
    rate = capped_rate(loan, scenario)
    principal = restructured_principal(loan, cap)
    longest = law.max_restructure_months_card if loan.credit_card else law.max_restructure_months
    grid = [n for n in TERM_GRID if n <= longest] or [longest]
    # Restoring installments means at least the contract's own pace, never a faster one.
    lengths = [n for n in grid if n >= loan.remaining_installments] or [grid[-1]]
    out = []
    for g in GRACE_MONTHS:
        for share in STEP_SHARES if g else (0.0,):
            if g and share == 0.0 and loan.sued:
                continue
            for n in lengths:
                if to_wait and g == 0 and n <= loan.remaining_installments:
                    continue
                step = _step(principal, rate, g, n, share)
                ask = InstallmentAsk(n, 0.0, principal, rate, 0.0, g, to_wait, step)
                ask = ask._replace(monthly=_annuity(ask.at_first_installment, rate, n))
                out.append(ask._replace(total_interest=ask.total_paid - principal))
    return out


def _grown(principal: float, monthly_rate: float, months, paid: float):
    """What is owed after ``months`` months at ``monthly_rate`` while ``paid`` is paid each month
    (numpy-financial's future value, which divides by the rate even where it is 0)."""
    if monthly_rate == 0:
        return principal - paid * np.asarray(months)
    return npf.fv(monthly_rate, months, paid, -principal)


def _step(principal: float, yearly_rate: float, grace: int, months: int, share: float) -> float:
    """The step payment of each grace month, ``share`` of the installment that follows, to the fen.
    With s the step, a the growth (1 + r)^g over the grace and A the annuity factor of g months,
    the installment m repays P·a − s·A over ``months``: m = k·(P·a − share·m·A), k the annuity rate,
    so m = k·P·a / (1 + k·share·A)."""
    if share == 0.0 or grace == 0:
        return 0.0
    r = yearly_rate / 12
    grown = float(_grown(principal, r, grace, 0.0))
    stepped = -float(_grown(0.0, r, grace, 1.0))  # what ¥1 a month for the grace is worth at its end
    k = _annuity_rate(yearly_rate, months)
    return round(share * k * grown / (1 + k * share * stepped), 2)


def _choose_terms(scenario: Scenario, terms: PlanTerms, settled: dict[int, tuple[float, int]], margin: float,
                  asking: list[int], waiting: list[int], longest_delay: int = 0,
                  ) -> tuple[dict[int, InstallmentAsk], np.ndarray, bool]:
    """The MILP of :func:`installment_asks`: one term for every loan ``asking``; for every loan
    ``waiting``, its contract or a wait ending at most ``longest_delay`` months after it."""
    T, net, fixed = _committed(scenario, terms, settled, asked=waiting)
    months = [month_label(scenario.start, t) for t in range(T)]
    # Each option: the ask (None: keep the contract), what it needs each month, its interest.
    options: dict[int, list[tuple[InstallmentAsk | None, np.ndarray, float]]] = {}
    for i in [*asking, *waiting]:
        loan = scenario.loans[i]
        options[i] = []
        for ask in _ask_options(scenario, loan, i in waiting):
            if i in waiting and _delay(loan, ask) > longest_delay:
                continue
            options[i].append((ask, ask.due(T), ask.total_interest))
        if i in waiting:
            due = contract_installments(loan, T)
            options[i].append((None, due, float(due.sum()) - loan.total_owed))

    prob = pulp.LpProblem("installment_asks", pulp.LpMinimize)
    choose = {(i, k): prob.add_variable(f"choose_{i}_{k}", lowBound=0, upBound=1, cat=pulp.LpInteger)
              for i in options for k in range(len(options[i]))}
    cash = [prob.add_variable(f"cash_{t}", lowBound=0) for t in range(T)]
    short = [prob.add_variable(f"short_{t}", lowBound=0) for t in range(T)]
    spare = [prob.add_variable(f"spare_{t}", lowBound=0) for t in range(T)]
    rows: dict[str, pulp.LpConstraint] = {}
    reserve = margin * np.maximum(net, 0.0)
    for t, month in enumerate(months):
        # Σ installments + cash[t] − cash[t−1] − short[t] = net − fixed − (reserve − spare[t])
        expr = {choose[i, k]: due[t] for i in options for k, (_, due, _) in enumerate(options[i]) if due[t] > 0}
        expr[cash[t]] = 1.0
        if t:
            expr[cash[t - 1]] = -1.0
        expr[short[t]] = -1.0
        expr[spare[t]] = -1.0
        rhs = net[t] + (terms.cash0 if t == 0 else 0.0) - fixed[t] - reserve[t]
        rows[f"budget[{month}]"] = pulp.LpConstraint(pulp.LpAffineExpression(expr), pulp.LpConstraintEQ, f"budget_{t}", rhs)
        rows[f"reserve[{month}]"] = pulp.LpConstraint(pulp.LpAffineExpression({spare[t]: 1.0}), pulp.LpConstraintLE, f"reserve_{t}", reserve[t])
    for i in options:
        rows[f"one_term[{terms.names[i]}]"] = pulp.LpConstraint(
            pulp.LpAffineExpression({choose[i, k]: 1.0 for k in range(len(options[i]))}), pulp.LpConstraintEQ, f"one_{i}", 1.0)
    for row in rows.values():
        prob.addConstraint(row)
    cost = {choose[i, k]: terms.w_interest * interest for i in options for k, (_, _, interest) in enumerate(options[i])}
    cost.update({v: _SHORTFALL_COST for v in short})
    cost.update({v: _MARGIN_COST for v in spare})
    prob.setObjective(pulp.LpAffineExpression(cost))
    cols = [*choose.values(), *cash, *short, *spare]
    # Lengths are chosen by interest cost; HiGHS's usual 0.01 % gap is precise enough for that.
    solution = solve_problem(prob, cols, rows, mip_gap=1e-4)
    if solution.outcome is not LpOutcome.OPTIMAL:
        raise RuntimeError(f"installment asks: the solver reported {solution.outcome.value}")
    value = dict(zip(map(id, cols), solution.x))
    chosen = {i: next(ask for k, (ask, _, _) in enumerate(options[i]) if value[id(choose[i, k])] > 0.5) for i in options}
    asks = {i: ask for i, ask in chosen.items() if ask is not None}
    shortfall = np.array([value[id(v)] for v in short])
    shortfall[shortfall < 0.005] = 0.0
    used_margin = np.array([value[id(v)] for v in spare])
    return asks, shortfall, bool((used_margin < 0.01).all())


def negotiated_terms(
    scenario: Scenario, terms: PlanTerms, asks: dict[int, InstallmentAsk], settled: dict[int, tuple[float, int]],
    only: int | None = None,
) -> PlanTerms:
    """``terms`` with the asks applied (to every loan, or ``only`` one): rates cut to the cap,
    charges above it struck, offers taken, and each installment ask an agreement: paid in full
    every month in the negotiated plan (a missed one would void it, DOMAIN.md §6)."""
    r, rp, opening, parts = (a.copy() for a in (terms.r, terms.rp, terms.opening, terms.opening_parts))
    for i, loan in enumerate(scenario.loans):
        if (only is not None and i != only) or i in settled or i in asks or loan.agreement is not None:
            continue
        cap = legal_cap(loan, scenario)
        if scenario.legal.basis == "claim":  # under the "cap" basis plan_terms struck them already
            parts[i] = strike_charges(list(parts[i]), cap.disputable)
            opening[i] = parts[i].sum()
        r[i] = min(r[i], capped_rate(loan, scenario) / 12)
        rp[i] = min(rp[i], cap.yearly_rate / 12)
    out = terms._replace(r=r, rp=rp, opening=opening, opening_parts=parts)
    for i, ask in asks.items():
        if only is None or i == only:
            out = out.agree(i, ask.schedule(terms.horizon), ask.yearly_rate / 12, ask.principal)
    for i, (amount, by) in settled.items():
        if only is None or i == only:
            # Paid in full by its month, like an agreed settlement (plan_terms): the lump sum paid
            # late lapses (a lawyer's review: the negotiated plan paid ¥6,317.43 of an ¥8,000
            # settlement by its month and the rest a month late, with money that fitted in time).
            out = out.settle(i, amount, by, binding=True)
    # Until a friend asked to wait is repaid, no other lender is paid ahead (model.while_waiting_rows):
    # asking someone paid on time for a favour while paying off another lender early is not what a
    # counsellor would sign (the counsellor plan once paid 花呗 off with ¥4,511 in the fifth month of
    # the friend's wait). Spare money then goes to the friend, or is kept for the months that need it.
    return out._replace(waiting=tuple(i for i, ask in asks.items() if ask.to_wait and (only is None or i == only)))


def offers_to_take(scenario: Scenario, terms: PlanTerms) -> dict[int, tuple[float, int]]:
    """The scenario's lump-sum offers that improve the plan, chosen together by a MILP."""
    offers = []
    for i, loan in enumerate(scenario.loans):
        if loan.settlement_offer is not None:
            by = _month_index(scenario, loan.settlement_offer.by)
            offers.append((i, loan.settlement_offer.amount, by))
    if not offers:
        return {}
    arrays = build_arrays(terms, ModelOptions(offers=tuple(offers)))
    solution = solve_arrays(arrays)
    if solution.outcome is not LpOutcome.OPTIMAL:
        return {}
    take = arrays.layout.take
    return {i: (amount, by) for i, amount, by in offers if solution.x[take[i]] > 0.5}


def _month_index(scenario: Scenario, month) -> int:
    """1-based plan month of a date, clipped to the horizon."""
    k = (month.year - scenario.start.year) * 12 + month.month - scenario.start.month + 1
    return int(min(max(k, 1), scenario.horizon_months))


def _settled_arrays(terms: PlanTerms, i: int, amount: float, by: int):
    return build_arrays(terms.settle(i, amount, by), ModelOptions(due=((i, by),)))


def settled_cost(terms: PlanTerms, i: int, amount: float, by: int, replanner: Replanner | None = None) -> float:
    """Weighted cost of the plan when loan ``i`` is settled for ``amount`` paid in full by month
    ``by`` (the quick search: every rule of thumb's months behind, re-planned and polished, so the
    other loans may fall behind or catch up); infinite when the money cannot pay it by then."""
    solution = (replanner or Replanner()).solve(_settled_arrays(terms, i, amount, by), quick=True)
    return solution.objective if solution.outcome is LpOutcome.OPTIMAL else math.inf


def _baseline_cost(terms: PlanTerms, replanner: Replanner) -> float:
    # Planned by the same quick search as the settled plans, so like is compared with like.
    return optimal_plan(terms, check_extra=False, replanner=replanner, quick=True).ledger.weighted_cost


def _bisect(beats, opening: float, precision: float) -> float | None:
    """Largest amount for which ``beats`` holds, to ``precision``: from 0, doubling from the
    loan's balance until it fails, then bisecting."""
    if not beats(0.0):
        return None
    lo, hi = 0.0, max(opening, 1.0)
    for _ in range(12):
        if not beats(hi):
            break
        lo, hi = hi, hi * 2
    else:
        return hi
    while hi - lo > precision:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if beats(mid) else (lo, mid)
    return math.floor(lo * 100) / 100


def break_even_bisection(terms: PlanTerms, i: int, by: int, baseline: PlanResult, precision: float = 0.5,
                         baseline_cost: float | None = None) -> float | None:
    """Largest lump sum paid by month ``by`` that still beats the baseline plan's weighted cost,
    by bisection over quick re-plans alone (about 18), on a new warm model (the quick search's
    plan can depend on the model's history: among equally cheap LP answers, polishing may go
    different ways): the reference :func:`break_even` is tested against, and its fallback."""
    warm = Replanner()
    budget = _baseline_cost(baseline.ledger.terms, warm) if baseline_cost is None else baseline_cost
    return _bisect(lambda amount: settled_cost(terms, i, amount, by, warm) <= budget, terms.opening[i], precision)


def _upper_bound(terms: PlanTerms, i: int, by: int, budget: float, top: float) -> float | None:
    """An upper bound on the break-even, from one LP: the largest amount (≤ ``top``) at which
    the LP relaxation of the settled model (months behind and stages fractional) fits the money
    and costs no more than ``budget``. Every plan is a solution of the relaxation, so no plan
    pays more and still beats the baseline. None: no amount does.

    The amount is the settled loan's opening balance, the schedule's due amount and the
    premium, so the row bounds and the constant are affine in it (slopes from the models built
    at ``top`` and ``top / 2``) and it becomes a column. It also sizes big-M coefficients; rows
    holding one keep their form at ``top``, the loosest, which keeps this a bound."""
    high, half = (any_pattern(_settled_arrays(terms, i, a, by)) for a in (top, top / 2))
    (starts, index, coef), (_, _, coef_half) = high.csr(keep_zeros=True), half.csr(keep_zeros=True)
    rows = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    big_m = np.zeros(len(starts) - 1, dtype=bool)
    big_m[rows[coef != coef_half]] = True
    (lh, uh), (ll, ul) = high.row_bounds(), half.row_bounds()
    with np.errstate(invalid="ignore"):
        lower_slope = np.where(np.isfinite(lh) & np.isfinite(ll) & ~big_m, (lh - ll) / (top / 2), 0.0)
        upper_slope = np.where(np.isfinite(uh) & np.isfinite(ul) & ~big_m, (uh - ul) / (top / 2), 0.0)
    both = np.isfinite(lh) & np.isfinite(uh)
    if not np.allclose(lower_slope[both], upper_slope[both], rtol=0.0, atol=1e-9):
        return top  # a range row whose ends move apart: no bound from here
    slope = np.where(np.isfinite(lh), lower_slope, upper_slope)
    offset_slope = (high.offset - half.offset) / (top / 2)
    # At amount a the rows are (bounds at top) + slope·(a − top): slope·a moves into the row as
    # the amount column's coefficient. The weighted cost, cost·x + offset at top +
    # offset_slope·(a − top), becomes a row ≤ budget; the objective is the amount, maximised.
    lp = to_highs(high._replace(integer=np.zeros(0, dtype=int)))
    lp.row_lower_ = np.where(np.isfinite(lh), lh - slope * top, lp.row_lower_)
    lp.row_upper_ = np.where(np.isfinite(uh), uh - slope * top, lp.row_upper_)
    lp.col_cost_ = np.zeros(high.layout.n_cols)
    lp.offset_ = 0.0
    h = new_highs(1e-9, LP_TIME_LIMIT)
    h.passModel(lp)
    n = high.layout.n_cols
    moved = np.nonzero(slope)[0].astype(np.int32)
    h.addCol(-1.0, 0.0, top, len(moved), moved, -slope[moved])
    used = np.nonzero(high.cost)[0]
    h.addRow(-highspy.kHighsInf, budget - high.offset + offset_slope * top, len(used) + 1,
             np.append(used, n).astype(np.int32), np.append(high.cost[used], offset_slope))
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return None
    if status != highspy.HighsModelStatus.kOptimal:
        return top
    return float(h.getSolution().col_value[n])


def break_even(terms: PlanTerms, i: int, by: int, baseline: PlanResult, precision: float = 0.5,
               baseline_cost: float | None = None) -> float | None:
    """Largest lump sum paid by month ``by`` that still beats the baseline plan's weighted cost
    (the quick search plans both, so like is compared with like), to ``precision`` yuan.

    First an upper bound from one LP (:func:`_upper_bound`): no plan can pay more by then and
    still beat the baseline. Where a re-plan at the bound beats the baseline, the bound is the
    answer: two re-plans and an LP instead of about eighteen (the shipped three-, four- and
    five-loan cases, and the cost-limited case worked by hand in the tests). Otherwise it is
    the bisection over quick re-plans from 0 (:func:`break_even_bisection`, the same steps).
    The answer is never below the bisection's, and above it only where the bisection stopped
    short: the quick search's rules of thumb find no plan at some amounts below amounts where
    they do. Where the re-plan at the bound does not beat it but one ``precision`` below does,
    that is the answer: the largest lies between them.
    ``baseline_cost``: the baseline's quick-search cost when the caller has it."""
    budget = _baseline_cost(baseline.ledger.terms, Replanner()) if baseline_cost is None else baseline_cost
    bound = _upper_bound(terms, i, by, budget, free_money_by(terms, i, by)) if highspy is not None else None
    if bound is not None and bound > 0:
        bound = math.floor(bound * 100) / 100
        if settled_cost(terms, i, bound, by) <= budget:
            return bound  # no plan pays more and beats the baseline, and one pays this
        below = math.floor((bound - precision) * 100) / 100
        if below >= 0 and settled_cost(terms, i, below, by) <= budget:
            return below  # one pays this, none pays more than the bound
    return break_even_bisection(terms, i, by, baseline, precision, budget)


def free_money_by(terms: PlanTerms, i: int, by: int) -> float:
    """The most any plan can pay loan ``i`` by 1-based month ``by`` (the LP bound's ceiling): the
    money to then, less what must stay for later months' essentials and what every plan pays the
    other loans by then: their agreed installments, the monthly floor of a judgment in
    enforcement now and the installments of the loans kept current (each at most the loan's
    balance now: paid off sooner, it takes no more).
    On the counsellor case ¥7,700 less ¥1,710 of floors: the relaxation alone, which may pay a
    floor in part, gave ¥6,094 and left twelve bisections of about eighteen re-plans each."""
    others = np.arange(terms.n_loans) != i
    months = slice(0, by)
    floors = terms.enforcement_floor[:, months] * terms.stage0[:, ENFORCEMENT, None]
    kept = terms.installments_due[:, months] * terms.kept_current[:, None]
    owed_to_others = np.minimum(terms.agreed[:, months].sum(axis=1) + floors.sum(axis=1) + kept.sum(axis=1),
                                terms.opening)
    money = terms.cash0 + terms.net[months].sum() - terms.reserve[by - 1] - owed_to_others[others].sum()
    return max(float(money), 0.0) + 0.01


def private_limit(terms: PlanTerms, i: int, by: int, baseline: PlanResult,
                  baseline_cost: float | None = None) -> float | None:
    """The borrower's own limit for a lump sum to lender ``i`` by month ``by``: the break-even,
    never more than the plan would pay this lender anyway (paid + still owed at the end)."""
    be = break_even(terms, i, by, baseline, baseline_cost=baseline_cost)
    return None if be is None else min(be, math.floor(lender_claim(baseline, i) * 100) / 100)


def _same_terms(a: PlanTerms, b: PlanTerms) -> bool:
    def same(x, y) -> bool:
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)
        return x == y

    return all(same(x, y) for x, y in zip(a, b))


def lender_claim(result: PlanResult, i: int) -> float:
    """What lender ``i`` receives under a plan: paid within the horizon plus still owed at its end."""
    return float(result.ledger.payments[i].sum() + result.ledger.balance[i, -1])


# ---- everything together ------------------------------------------------------------------------


def negotiation_targets(
    scenario: Scenario, settle_by: int = DEFAULT_SETTLE_BY, margin: float = DEFAULT_MARGIN, with_break_even: bool = True,
    replanner: Replanner | None = None, time_limit: float | None = None, baseline: PlanResult | None = None,
    with_negotiated: bool = True,
) -> Targets:
    """Everything the Negotiate view and ``debtplan targets`` show. ``time_limit`` bounds the
    branch and bound of the negotiated plan (and of the baseline when it is worked out here);
    ``baseline``: the scenario's optimal plan when the caller has it already (the dashboard's
    Plan view), so both views show the same plan and it is not solved twice. Without
    ``with_negotiated`` the negotiated plan is left out (``negotiated`` is None: the Plan view
    needs only whom to call first, and the negotiated plan is most of the time, 5.4 s of 7.8 on
    the counsellor case); :func:`with_negotiated_plan` adds it later."""
    # The baseline, every "this lender alone says yes" model and the negotiated one share a shape,
    # so one warm replanner serves them all.
    warm = replanner or Replanner()
    terms = plan_terms(scenario)
    if baseline is None:
        baseline = optimal_plan(terms, replanner=warm, time_limit=time_limit)
    elif baseline.ledger.terms.names != terms.names or baseline.ledger.terms.horizon != terms.horizon:
        raise ValueError("the baseline plan given is not this scenario's")
    settled = offers_to_take(scenario, terms)
    asks, shortfall, margin_kept = installment_asks(scenario, terms, settled, margin)
    negotiated_result = (_negotiated_plan(scenario, terms, asks, settled, shortfall, warm, time_limit)
                         if with_negotiated else None)

    # "This lender alone says yes" is planned by the quick search (no branch and bound, one per
    # lender), so it is compared with the baseline planned the same way.
    base_quick = optimal_plan(terms, check_extra=False, replanner=warm, quick=True)
    base_cost = base_quick.ledger.weighted_cost
    waiver = scenario_penalty(scenario, baseline)
    loans: list[LoanTarget] = []
    start = warm.basis()  # each "this lender alone says yes" differs from the baseline in one loan
    for i, loan in enumerate(scenario.loans):
        alone_terms = negotiated_terms(scenario, terms, asks, settled, only=i)
        if _same_terms(alone_terms, terms):  # nothing to ask of this lender: its "yes" changes nothing
            alone = base_quick
        else:
            warm.start_from(start)
            alone = optimal_plan(alone_terms, check_extra=False, replanner=warm, quick=True)
        offer = loan.settlement_offer
        by = _month_index(scenario, offer.by) if offer else min(settle_by, terms.horizon)
        loans.append(LoanTarget(
            index=i,
            loan=loan.name,
            lender=loan.lender_name,
            yearly_rate=loan.yearly_rate,
            cap=legal_cap(loan, scenario),
            installment_ask=asks.get(i),
            # A loan paid on time whose lender is asked to wait: nothing to waive (the baseline
            # plan's penalty there is what the wait avoids).
            penalty_waiver=0.0 if i in asks and asks[i].to_wait else float(waiver[i]),
            offer_amount=offer.amount if offer else None,
            offer_by=f"{offer.by:%Y-%m}" if offer else None,
            take_offer=(i in settled) if offer else None,
            break_even=private_limit(terms, i, by, baseline, base_cost) if with_break_even else None,
            break_even_by=terms.months[by - 1],
            affordable_by=max(0.0, float(terms.cash0 + terms.net[:by].sum())),
            improvement=base_cost - alone.ledger.weighted_cost,
            concession=lender_claim(base_quick, i) - lender_claim(alone, i),
            call_rank=0,
            early_acceleration=early_acceleration(loan, scenario),
            penalty_above_cap=penalty_rate_above_cap(loan, scenario),
        ))
    # A friend asked to wait comes first: the other asks fit the money only if the friend agrees
    # (a lawyer's review: called ninth, a refusal after eight agreements are signed breaks one).
    order = sorted(loans, key=lambda t: (not t.asked_to_wait, -t.improvement / max(t.concession, 1.0), -t.improvement))
    ranked = tuple(t._replace(call_rank=k) for k, t in enumerate(order, 1))
    return Targets(scenario, baseline, negotiated_result, tuple(sorted(ranked, key=lambda t: t.index)),
                   bool((shortfall == 0).all()), shortfall, margin_kept)


def _negotiated_plan(scenario: Scenario, terms: PlanTerms, asks: dict[int, InstallmentAsk],
                     settled: dict[int, tuple[float, int]], shortfall: np.ndarray, warm: Replanner,
                     time_limit: float | None) -> PlanResult:
    """The plan if every lender says yes: each ask an agreement kept every month, offers taken."""
    agreed_terms = negotiated_terms(scenario, terms, asks, settled)
    # Asks that fit the money fit it after the horizon too, if the plan keeps the cash for them
    # (income-too-low once spent its savings paying 分期乐 ahead, and the month after the plan
    # 分期乐's installment was ¥137.78 short: the agreement broke).
    carry = after_horizon_need(scenario, terms, asks, settled) if not shortfall.any() else 0.0
    result = optimal_plan(agreed_terms._replace(carry_out=carry), replanner=warm, time_limit=time_limit)
    if carry > 0 and result.status is PlanStatus.AGREEMENTS_UNAFFORDABLE:
        result = optimal_plan(agreed_terms, replanner=warm, time_limit=time_limit)
    return result._replace(strategy="negotiated")


def with_negotiated_plan(targets: Targets, replanner: Replanner | None = None,
                         time_limit: float | None = None) -> Targets:
    """``targets`` with the negotiated plan, from the asks and offers they hold (the same plan
    :func:`negotiation_targets` makes with ``with_negotiated``)."""
    if targets.negotiated is not None:
        return targets
    scenario = targets.scenario
    asks = {t.index: t.installment_ask for t in targets.loans if t.installment_ask is not None}
    settled = {t.index: (scenario.loans[t.index].settlement_offer.amount,
                         _month_index(scenario, scenario.loans[t.index].settlement_offer.by))
               for t in targets.loans if t.take_offer}
    plan = _negotiated_plan(scenario, plan_terms(scenario), asks, settled, targets.shortfall,
                            replanner or Replanner(), time_limit)
    return targets._replace(negotiated=plan)


def undisputed_penalty(loan: Loan, scenario: Scenario) -> float:
    """The penalty interest owed now that disputing the charges above the cap leaves: they are
    struck fees first, then penalty (``strike_charges``), so asking to waive the whole of it as
    well counted the struck part twice (a lawyer's review: 京东金条's ¥210 disputed within ¥338.22,
    then waived again). A judgment's charges are disputed in court, not with the lender: all of
    its penalty is asked."""
    parts = [loan.fees_owed, loan.penalty_owed, loan.interest_owed, loan.principal]
    return float(strike_charges(parts, 0.0 if loan.enforcement else legal_cap(loan, scenario).disputable)[1])


def scenario_penalty(scenario: Scenario, plan: PlanResult) -> np.ndarray:
    """Penalty interest to ask waived, per loan: what is owed now and not already disputed as above
    the cap, plus what the plan is charged within the horizon."""
    return np.array([undisputed_penalty(loan, scenario) for loan in scenario.loans]) + plan.ledger.penalty.sum(axis=1)
