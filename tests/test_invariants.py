"""Invariants of every plan on every shipped scenario, checked from the ledger's own arrays."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import ALL_STRATEGIES, compare, load_scenario
from optimizer.export import _fen_split, to_fen
from optimizer.planner import NEGOTIATED

from .conftest import SHIPPED


@pytest.fixture(scope="module")
def comparisons():
    return {p.stem: compare(load_scenario(p)) for p in SHIPPED}


def test_every_shipped_scenario_named_in_the_issue_exists():
    names = {p.stem for p in SHIPPED}
    assert {"full-balance-demanded", "three-overdue-loans", "income-too-low",
            "private-loan-over-cap", "counsellor-twelve-loans"} <= names


@pytest.mark.parametrize("stem", [p.stem for p in SHIPPED])
@pytest.mark.parametrize("strategy", (*ALL_STRATEGIES, NEGOTIATED))
def test_budget_balances_and_ledger_identity(comparisons, stem, strategy):
    result = comparisons[stem].results[strategy]
    ledger = result.ledger
    terms = ledger.terms
    assert result.check_problems == ()
    assert ledger.problems == ()
    # Budget: what is spent each month never exceeds carried cash + income − essentials.
    available = ledger.cash[:-1] + terms.net
    assert (ledger.payments.sum(axis=0) <= available + 1e-6).all()
    assert (ledger.cash >= -1e-6).all()
    assert (ledger.payments >= 0).all() and (ledger.balance >= 0).all() and (ledger.overdue >= 0).all()
    # B[t] = B[t−1] + interest + penalty + fees − pay, to the fen (settling residuals < half a fen).
    identity = ledger.balance[:, :-1] + ledger.interest + ledger.penalty + ledger.fees - ledger.payments
    assert np.abs(identity - ledger.balance[:, 1:]).max() < 0.005
    # Fees are only the stage fees (court, enforcement) in the month after the stage, and a
    # card's late fee after a month behind.
    new = ledger.stages[:, :, 1:-1] & ~ledger.stages[:, :, :-2]
    expected = np.zeros_like(ledger.fees)
    expected[:, 1:] = (new * terms.stage_fee[:, :, None]).sum(axis=1)
    expected += terms.late_fee[:, None] * (ledger.overdue[:, :-1] > 0)
    assert np.allclose(ledger.fees, expected)
    # Interest and penalty follow the stated rates on the previous month's balance and overdue
    # (the lender's claim), or on its principal and the principal's overdue part (simple interest
    # under the cap); the principal is the lowest balance so far, as Art. 561 has payments reach it
    # only once every charge is paid.
    simple = terms.simple_interest[:, None]
    principal = ledger.principal
    assert (np.abs(principal[:, 1:] - np.minimum(principal[:, :-1], ledger.balance[:, 1:])) < 0.005)[simple[:, 0]].all()
    accelerated = np.concatenate([terms.stage0[:, 1:2], ledger.stages[:, 1, :-1]], axis=1)
    over_principal = np.maximum(0.0, principal - np.where(accelerated, 0.0, terms.schedule))
    base = np.where(simple, principal[:, :-1], ledger.balance[:, :-1])
    over = np.where(simple, over_principal[:, :-1], ledger.overdue[:, :-1])
    assert np.allclose(ledger.interest, terms.r[:, None] * base)
    assert np.allclose(ledger.penalty, (terms.rp - terms.r)[:, None] * over, atol=0.005 * terms.rp.max())
    # Overdue is exactly what exceeds the contract schedule, or everything once accelerated.
    schedule = np.where(accelerated, 0.0, terms.schedule)
    assert np.abs(ledger.overdue - np.maximum(0, ledger.balance - schedule)).max() < 0.005
    # Stages stay reached once reached.
    assert (ledger.stages[:, :, 1:] >= ledger.stages[:, :, :-1]).all()
    # Payments split into parts add up to what was paid.
    assert ledger.paid_parts.sum() == pytest.approx(ledger.payments.sum())


@pytest.mark.parametrize("stem", [p.stem for p in SHIPPED])
def test_optimal_weighted_cost_is_no_worse_than_any_heuristic(comparisons, stem):
    # The negotiated plan runs on other terms (what the lenders would agree to): not comparable.
    costs = {k: s.weighted_cost for k, s in comparisons[stem].summaries.items() if k != NEGOTIATED}
    for strategy, cost in costs.items():
        assert costs["optimal"] <= cost + 0.01, (strategy, costs)


@pytest.mark.parametrize("stem", [p.stem for p in SHIPPED])
@pytest.mark.parametrize("strategy", (*ALL_STRATEGIES, NEGOTIATED))
def test_fen_rounding_never_overspends_and_keeps_clearing(comparisons, stem, strategy):
    exact = comparisons[stem].results[strategy].ledger
    fen = to_fen(exact)
    assert fen.problems == ()
    cents = fen.payments * 100
    assert np.abs(cents - np.round(cents)).max() < 1e-6
    available = fen.cash[:-1] + fen.terms.net
    assert (fen.payments.sum(axis=0) <= available + 1e-9).all()
    # The rounded plan stays within a few yuan of the exact one and clears when it clears.
    assert abs(fen.leftover - exact.leftover) < 1.0
    assert (fen.debt_free_month is None) == (exact.debt_free_month is None)
    # Behind in exactly the same months: a fen short is a month behind, and it escalates (the
    # counsellor avalanche CSV once left 信用卡 0.58 fen short of clearing, and its ¥47.50 late fee
    # followed every month; snowball's 花呗 ended 0.79 fen behind and was accelerated). A loan the
    # exact plan has cleared is 0.00 in the rounded plan from the same month.
    assert (fen.behind == exact.behind).all(), [
        (fen.terms.names[i], fen.terms.months[t - 1]) for i, t in zip(*np.nonzero(fen.behind != exact.behind))][:5]
    assert (fen.balance[exact.balance == 0.0] == 0.0).all()


def test_the_fen_a_month_lacks_come_out_of_a_payment_ahead_not_out_of_a_loan_being_cleared():
    # The counsellor's negotiated plan in 2029-07, by hand: two loans cleared at what they owe
    # (¥537.1354 → 53,714 fen and ¥540.6069 → 54,061 fen, half-up), an installment of ¥711.56 and
    # a card paid ¥1,775.1804, ¥1,328.07 ahead of its ¥447.11 installment (floor: 177,518 fen).
    # Together 356,449 fen; the month has one fen less. Only the card's payment ahead can give it.
    targets = np.array([537.1354, 540.6069, 711.56, 1775.1804])
    clearing = np.array([True, True, False, False])
    agreed = np.array([False, False, True, True])
    fen = _fen_split(targets, clearing, 356_448, agreed, None, agreed.copy(), np.array([0, 0, 711.56, 447.11]))
    assert fen.tolist() == [53_714, 54_061, 71_156, 177_517]
