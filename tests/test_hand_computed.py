"""Figures worked out by hand or with numpy-financial, independently of the engine."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

from optimizer import compare, load_scenario, make_plan, plan_terms, replay, scenario_from_dict
from optimizer.export import plan_table

from .conftest import SCENARIOS


def one_loan(**loan) -> dict:
    base = {"name": "贷款A", "principal": 12000, "apr": 0.24, "installments": 12}
    return {
        "start": "2027-01", "horizon_months": 12, "income": 6000, "essentials": 3000,
        "loans": [{**base, **loan}],
    }


def test_on_schedule_payments_equal_npf_pmt_and_never_go_overdue():
    scenario = scenario_from_dict(one_loan())
    pmt = -npf.pmt(0.02, 12, 12000)  # 1134.71…
    assert pmt == pytest.approx(1134.71, abs=0.01)
    terms = plan_terms(scenario)
    # Paying the annuity every month follows the contract schedule exactly.
    ledger = replay(terms, np.full((1, 12), pmt))
    assert ledger.overdue.max() == 0.0
    assert ledger.balance[0, -1] == 0.0
    # And what the lender demands each month ("minimum" plan) is exactly that annuity.
    table = plan_table("minimum", make_plan(scenario, "minimum").ledger)
    # Rounded to the fen, every installment is 1,134.72 and the last one takes up the half-fens.
    assert (table["payment"].iloc[:-1] == round(pmt, 2)).all()
    assert table["payment"].iloc[-1] == pytest.approx(pmt, abs=0.07)
    assert table["payment"].sum() == pytest.approx(12 * pmt, abs=0.01)
    assert (table["overdue"] == 0).all()
    # Month 1 interest is 2 % of 12,000.
    assert table["interest"].iloc[0] == 240.00


def test_missed_installments_are_overdue_against_the_schedule():
    # 12 installments of a 24-month ¥24,000 loan at 12 %; 12 paid, 2 missed (45 days).
    r = 0.01
    a = -npf.pmt(r, 24, 24000)
    p12 = npf.fv(r, 12, a, -24000)  # outstanding principal after 12 paid
    scenario = scenario_from_dict(one_loan(
        principal=round(p12, 2), apr=0.12, installments=24, installments_paid=12, days_overdue=45,
        interest_owed=round(2 * p12 * r, 2),
    ))
    terms = plan_terms(scenario)
    s0 = npf.fv(r, 2, a, -round(p12, 2))  # the contract expected two more installments by now
    assert terms.schedule[0, 0] == pytest.approx(s0, abs=0.01)  # principal was rounded to the fen
    # Overdue now = the two missed installments' principal + their interest ≈ 2 × installment.
    assert terms.opening_overdue[0] == pytest.approx(round(p12, 2) + round(2 * p12 * r, 2) - s0, abs=0.01)
    assert terms.opening_overdue[0] == pytest.approx(2 * a, rel=0.01)


def test_three_overdue_loans_month_one_charges_by_hand_under_the_cap():
    # The default basis is what a court enforces: 360借条's charges owed (1,800) are cut to what
    # 24 % a year allows on 18,000 over 95 + 30 days, and its penalty rate (36 %) to the cap, so
    # there is no penalty interest on top of 24 %.
    from optimizer.terms import legal_cap

    scenario = load_scenario(SCENARIOS / "three-overdue-loans.toml")
    allowed = 18000 * 0.24 * 125 / 365
    assert legal_cap(scenario.loans[0], scenario).allowed_charges == pytest.approx(allowed)
    table = plan_table("optimal", make_plan(scenario).ledger)
    first = table[table["month"] == "2026-12"].set_index("loan")
    # Simple interest on the principal: the allowed charges owed now bear none (no compounding past
    # the cap, DOMAIN.md §8).
    assert first.loc["360借条", "interest"] == 18000 * 0.02
    assert first.loc["360借条", "penalty"] == 0.00


def test_twelve_unpaid_months_under_the_cap_are_simple_interest_on_the_principal():
    # ¥12,000 at 24 % a year, the whole balance demanded, nothing paid for 12 months. On the cap
    # basis the penalty rate (36 %) is cut to 24 % combined, so there is no markup, and each month
    # adds 2 % of the principal alone: 12 × 240 = 2,880, where compounding would make it
    # 12,000 × (1.02¹² − 1) = 3,218.90.
    data = one_loan(accelerated=True, days_overdue=100)
    data["escalation"] = {"court_fees": False}
    data["horizon_months"] = 12
    ledger = replay(plan_terms(scenario_from_dict(data)), np.zeros((1, 12)))
    assert np.allclose(ledger.interest[0], 240.0)
    assert ledger.penalty.max() == 0.0
    assert ledger.balance[0, -1] == pytest.approx(12000 + 12 * 240.0, abs=1e-9)
    assert ledger.parts[0] == pytest.approx([0.0, 0.0, 2880.0, 12000.0])
    compound = npf.fv(0.02, 12, 0, -12000)
    assert compound - 12000 == pytest.approx(3218.90, abs=0.01)
    # The lender's claim compounds at its penalty rate (3 % a month on an accelerated balance).
    claim = scenario_from_dict({**data, "legal": {"basis": "claim"}})
    assert replay(plan_terms(claim), np.zeros((1, 12))).balance[0, -1] == pytest.approx(npf.fv(0.03, 12, 0, -12000))


def test_a_partial_payment_goes_to_interest_before_principal_under_simple_interest():
    # Civil Code Art. 561: two months unpaid (480 of interest), then ¥300: it pays interest only, so
    # month 4's interest is still 2 % of 12,000; then ¥1,000 clears the 420 left and repays 580 of
    # principal, and month 5's interest is 2 % of 11,660 (the 240 of month 4 paid first).
    data = one_loan(accelerated=True, days_overdue=100)
    data["escalation"] = {"court_fees": False}
    ledger = replay(plan_terms(scenario_from_dict(data)), np.array([[0, 0, 300, 1000, 0, 0, 0, 0, 0, 0, 0, 0]]))
    assert ledger.interest[0, 3] == pytest.approx(240.0)
    assert ledger.principal[0, 4] == pytest.approx(12000 - (1000 - (480 - 300 + 240 + 240)), abs=1e-9)
    assert ledger.interest[0, 4] == pytest.approx(0.02 * (12000 - 340), abs=1e-9)


def test_a_card_late_fee_bears_no_interest_under_the_cap():
    # A card (18 % a year, ¥1,000 minimum) never paid: each month's interest is 1.5 % of the
    # ¥20,000 principal, although ¥50 late fees and unpaid interest pile up (DOMAIN.md §7).
    data = one_loan(credit_card=True, principal=20000, apr=0.18, installment=1000, installments=None)
    data["escalation"] = {"court_fees": False}
    ledger = replay(plan_terms(scenario_from_dict(data)), np.zeros((1, 12)))
    assert np.allclose(ledger.interest[0], 300.0)
    assert ledger.fees[0, 1:].sum() == pytest.approx(11 * 50.0)
    assert ledger.balance[0, -1] == pytest.approx(20000 + 12 * 300.0 + 11 * 50.0, abs=1e-9)


def test_three_overdue_loans_month_one_charges_by_hand():
    scenario = load_scenario(SCENARIOS / "three-overdue-loans.toml").replace(legal={"basis": "claim"})
    table = plan_table("optimal", make_plan(scenario).ledger)
    first = table[table["month"] == "2026-12"].set_index("loan")
    # 360借条: accelerated, whole balance overdue: 19,800 × 24 %/12 = 396; markup 50 %: 198.
    assert first.loc["360借条", "interest"] == 396.00
    assert first.loc["360借条", "penalty"] == 198.00
    # 速借小贷: 日利率 0.1 % → 36.5 %/12 on 3,500 owed = 106.46; overdue = all (3 left, 2 missed
    # of 1,100 against a 3,000 principal → schedule after 2 = 3000·1.0304² − 1100·(…)).
    r = 0.365 / 12
    assert first.loc["速借小贷", "interest"] == round(3500 * r, 2)
    s0 = npf.fv(r, 2, 1100, -3000)
    assert first.loc["速借小贷", "penalty"] == round(0.5 * r * (3500 - s0), 2)
    # Month 1 money: 1,000 on hand + 7,500 − 4,200 = 4,300, all of it available to pay.
    assert first["payment"].sum() <= 4300.00


def test_zero_weights_no_markup_optimal_interest_equals_avalanche():
    # Three accelerated loans (the lender demands everything, so "due" is the whole balance and
    # the avalanche pays strictly by APR). With no risk weights and no penalty, the cheapest plan
    # is to pay the dearest money first: the LP must find the same interest to the fen.
    data = {
        "start": "2027-01", "horizon_months": 30, "income": 5000, "essentials": 2000,
        "weights": {"interest": 1, "lawsuit": 0, "credit": 0, "collection": 0, "enforcement": 0},
        "escalation": {"court_fees": False},
        "loans": [
            {"name": "A", "principal": 20000, "apr": 0.12, "accelerated": True, "penalty_markup": 0, "lawsuit": True},
            {"name": "B", "principal": 15000, "apr": 0.30, "accelerated": True, "penalty_markup": 0, "credit_reported": True},
            {"name": "C", "principal": 8000, "apr": 0.20, "accelerated": True, "penalty_markup": 0},
        ],
    }
    c = compare(scenario_from_dict(data), ("optimal", "avalanche"))
    assert c.results["optimal"].ledger.leftover == 0
    assert c.summaries["optimal"].interest == pytest.approx(c.summaries["avalanche"].interest, abs=0.01)
    assert c.summaries["optimal"].penalty == 0.0


def test_income_schedule_expands_by_month():
    s = load_scenario(SCENARIOS / "counsellor-twelve-loans.toml")
    income = s.monthly("income")
    assert income[:4] == [6500] * 4 and income[4] == 11500 and income[-1] == 11500
    assert s.months[4] == "2027-04"


def test_private_cap_is_four_times_the_lpr_at_the_contract_date():
    from optimizer.terms import legal_cap

    s = load_scenario(SCENARIOS / "private-loan-over-cap.toml")
    cap = legal_cap(s.loans[0], s)
    assert cap.yearly_rate == pytest.approx(4 * 0.0335)  # LPR 3.35 % from 2024-07-22
    licensed = legal_cap(s.loans[1], s)
    assert licensed.yearly_rate == 0.24


def test_daily_rate_and_percent_strings():
    s = scenario_from_dict(one_loan(apr=None, daily_rate="0.05%"))
    assert s.loans[0].yearly_rate == pytest.approx(0.1825)
    s = scenario_from_dict(one_loan(apr="24%"))
    assert s.loans[0].yearly_rate == pytest.approx(0.24)


def test_credit_record_ends_five_years_after_the_default_ends():
    from optimizer.planner import credit_records

    s = load_scenario(SCENARIOS / "three-overdue-loans.toml")
    result = make_plan(s)
    table = plan_table("optimal", result.ledger)
    records = credit_records(result, s.legal.credit_record_years)
    # The loans reported before the plan, and any the plan lets the bureau report.
    reported = {"360借条", "京东金条"} | {k for k, v in result.ledger.reached().items() if v["reported"]}
    assert set(records) == reported
    for loan, (cured, until) in records.items():
        late = table[(table["loan"] == loan) & (table["overdue"] > 0)]["month"]
        months = list(s.months)
        # The default ends in the month after the last month that ends overdue.
        expected = months[months.index(late.max()) + 1] if len(late) else months[0]
        assert cured == expected
        assert until == f"{int(expected[:4]) + 5}-{expected[5:]}"
    assert credit_records(result, 3)["京东金条"][1] == f"{int(records['京东金条'][0][:4]) + 3}-{records['京东金条'][0][5:]}"
