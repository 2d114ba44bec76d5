"""Escalation-aware planning (issue 9): stages reached by months behind, agreements kept, the
harm order when money is short, and the figures behind them worked out by hand."""

from __future__ import annotations

import math
import re
import tomllib

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer import load_scenario, make_plan, plan_terms, replay, scenario_from_dict
from optimizer.heuristics import POLICIES
from optimizer.export import to_fen
from optimizer.ledger import SETTLED_BELOW, demanded
from optimizer.negotiate import negotiation_targets
from optimizer.planner import NEGOTIATED, compare, credit_records, summarize, triggers
from optimizer.scripts import script, script_for_lender, yuan
from optimizer.solve import PlanStatus
from optimizer.terms import ACCELERATED, ENFORCEMENT, REPORTED, SUED, legal_cap

from .conftest import SCENARIOS, SHIPPED, run_cli


def sued_and_performing(income: float) -> dict:
    """A sued, accelerated loan and a performing 微粒贷 (on schedule, not overdue, not reported)."""
    return {
        "title": "sued and performing",
        "start": "2027-01", "horizon_months": 36, "income": income, "essentials": 4000,
        "loans": [
            {"name": "起诉贷", "principal": 15000, "apr": "18%", "accelerated": True, "lawsuit": True,
             "credit_reported": True, "days_overdue": 200},
            {"name": "微粒贷", "principal": 12000, "apr": "18%", "installments": 12},
        ],
    }


def test_performing_loan_is_kept_current_when_its_installment_fits():
    scenario = scenario_from_dict(sued_and_performing(6000))  # ¥2,000 a month
    installment = scenario.loans[1].installment_amount
    assert installment == pytest.approx(1100.16, abs=0.01)  # npf.pmt(1.5 %, 12, 12000)
    result = make_plan(scenario)
    ledger = result.ledger
    assert result.check_problems == ()
    # Never a month behind, so nothing is triggered on it, and every installment is paid.
    assert ledger.overdue[1].max() == 0.0
    assert all(month is None for month in triggers(result)["微粒贷"].values())
    assert (ledger.payments[1, :12] >= installment - 0.01).all()


def test_performing_loan_short_of_its_installment_reports_when_it_is_reported(tmp_path):
    data = sued_and_performing(4800)  # ¥800 a month: less than the ¥1,100 installment
    scenario = scenario_from_dict(data)
    result = make_plan(scenario)
    reached = triggers(result)["微粒贷"]
    assert reached["reported"] is not None
    # What it costs: the plan's own weighted cost carries the new record (credit weight × the
    # months a new record is charged for × the loan's balance: 0.04 × 12 × 12,000).
    assert result.ledger.terms.stage_once[1, REPORTED] == pytest.approx(0.04 * 12 * 12000)
    assert result.ledger.escalation_cost >= 0.04 * 12 * 12000 - 0.01
    # The command line says it in words.
    path = tmp_path / "short.toml"
    path.write_text(
        'start = "2027-01"\nhorizon_months = 36\nincome = 4800\nessentials = 4000\n'
        '[[loans]]\nname = "起诉贷"\nprincipal = 15000\napr = "18%"\naccelerated = true\nlawsuit = true\n'
        'credit_reported = true\ndays_overdue = 200\n'
        '[[loans]]\nname = "微粒贷"\nprincipal = 12000\napr = "18%"\ninstallments = 12\n', encoding="utf-8")
    out = run_cli("solve", path)
    assert f"微粒贷: reported to the credit bureau {reached['reported']}" in out.stdout


def one(**loan) -> dict:
    base = {"name": "A", "principal": 12000, "apr": 0.12, "installments": 12}
    return {"start": "2027-01", "horizon_months": 24, "income": 5000, "essentials": 3000, "loans": [{**base, **loan}]}


def test_a_loan_left_unpaid_walks_the_path_on_the_stated_days():
    # Licensed defaults: reported at 30 days, accelerated at 90, sued at 180, enforcement 6 months
    # after. A run that starts in month 1 counts 15 days at its end, then 30 a month:
    # 30 days → month 2, 90 → month 4, 180 → month 7 (15 + 30·6 = 195 ≥ 180), enforcement 7 + 6 = 13.
    terms = plan_terms(scenario_from_dict(one()))
    ledger = replay(terms, np.zeros((1, 24)))
    first = {k: int(np.nonzero(ledger.stages[0, k])[0][0]) for k in (REPORTED, ACCELERATED, SUED, ENFORCEMENT)}
    assert first == {REPORTED: 2, ACCELERATED: 4, SUED: 7, ENFORCEMENT: 13}
    # The suit adds the court fee in month 8, by hand: 50 + 2.5 % of the claim above ¥10,000,
    # halved for the simplified procedure (诉讼费用交纳办法 Arts. 13, 16); the claim is 12,000.
    assert ledger.fees[0, 7] == pytest.approx((50 + 0.025 * 2000) / 2)
    # Enforcement adds the application fee in month 14: 50 + 1.5 % above ¥10,000 (Art. 14).
    assert ledger.fees[0, 13] == pytest.approx(50 + 0.015 * 2000)
    # From acceleration on, the whole balance is overdue.
    assert ledger.overdue[0, 5] == pytest.approx(ledger.balance[0, 5])


def test_paying_ahead_does_not_excuse_a_later_installment():
    # ¥12,000 at 12 % over 12 installments: npf.pmt gives the installment. Paying two in month 1
    # and nothing in month 2 leaves the balance below the schedule, yet month 2's installment was
    # not paid: a month behind (the lender's app shows it overdue). Two such months in a row reach
    # the report (30 days: month 2 of a run, as above).
    terms = plan_terms(scenario_from_dict(one()))
    installment = float(npf.pmt(0.01, 12, -12000))  # ¥1,066.19
    plan = np.zeros((1, 24))
    plan[0, :12] = installment
    plan[0, 0], plan[0, 1] = 2 * installment, 0.0
    ledger = replay(terms, plan)
    assert ledger.overdue[0, 2] == 0.0  # ahead of the schedule by the balance alone
    assert ledger.behind[0, 2] and not ledger.behind[0, 1] and not ledger.behind[0, 3]
    plan[0, 2] = 0.0  # and nothing in month 3 either: two months behind in a row
    plan[0, 11] = 2 * installment  # (what was skipped, paid at the end)
    ledger = replay(terms, plan)
    assert ledger.behind[0, 2] and ledger.behind[0, 3]
    assert int(np.nonzero(ledger.stages[0, REPORTED])[0][0]) == 3


def short_in_current_months(ledger) -> list[tuple[str, str]]:
    """(loan, month) where the plan calls a loan current but pays less than the month's
    installment (the schedule's step at the loan's rate, or what is owed if less)."""
    terms, s = ledger.terms, ledger.schedule
    T = terms.horizon
    step = np.where(s[:, :T] > 0, np.maximum(0.0, s[:, :T] * (1 + terms.r[:, None]) - s[:, 1:]), 0.0)
    owed = ledger.balance[:, :T] + ledger.interest + ledger.penalty + ledger.fees
    short = (ledger.payments < np.minimum(step, owed) - 0.005) & ~ledger.behind[:, 1:] & (owed > 0.005)
    return [(terms.names[i], terms.months[t]) for i, t in zip(*np.nonzero(short))]


def test_the_optimal_plan_does_not_pay_ahead_to_skip_a_performing_loans_installments():
    # A rich first month, then two months with less than 微粒贷's installment (¥1,100.16 by
    # npf.pmt): paying it ahead in month 1 and short in months 2 and 3 costs less interest than
    # carrying the cash, and a balance below the schedule once let the plan call that current.
    data = sued_and_performing(0)
    data["income"] = [{"from": "2027-01", "amount": 9000}, {"from": "2027-02", "amount": 4500},
                      {"from": "2027-04", "amount": 7000}]
    ledger = make_plan(scenario_from_dict(data), time_limit=10.0).ledger
    i = list(ledger.terms.names).index("微粒贷")
    assert ledger.schedule[i, 0] - ledger.schedule[i, 1] * 1 == pytest.approx(
        float(npf.ppmt(0.015, 1, 12, -12000)), abs=0.01)  # the schedule the installments step down
    assert short_in_current_months(ledger) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_no_shipped_plan_calls_a_month_current_that_pays_less_than_its_installment(path):
    # The counsellor plan paid 安逸花 ¥1,409 in 2026-12 and nothing for the next three months, and
    # listed 安逸花 as "none" triggered: three missed installments.
    c = compare(load_scenario(path), ("optimal", "avalanche", "negotiated"))
    for name, result in c.results.items():
        assert short_in_current_months(result.ledger) == [], name


def test_days_already_overdue_count_and_a_cure_stops_the_clock():
    # 45 days overdue now: reported at the end of month 1 if unpaid (75 ≥ 30), accelerated at 2
    # (105 ≥ 90), sued at 5 (45 + 150 ≥ 180).
    terms = plan_terms(scenario_from_dict(one(installments=12, installments_paid=2, days_overdue=45)))
    ledger = replay(terms, np.zeros((1, 24)))
    assert [int(np.nonzero(ledger.stages[0, k])[0][0]) for k in (REPORTED, ACCELERATED, SUED)] == [1, 2, 5]
    # Paying the arrears in month 1 (and the installments after) cures it: nothing is reached.
    def policy(view):
        return view.due
    cured = replay(terms, policy)
    assert not cured.stages[0, :, 1:].any()
    assert cured.overdue[0, 1:].max() == 0.0


def test_credit_record_runs_from_the_end_of_the_default():
    # Reported, 45 days overdue; the plan pays only from month 4, so the default ends when the
    # arrears are cured, not when the loan is repaid.
    scenario = scenario_from_dict(one(installments=12, installments_paid=2, days_overdue=45, credit_reported=True,
                                      acceleration_days=365))
    terms = plan_terms(scenario)

    def late_then_due(view):
        return np.zeros(1) if view.t < 3 else view.due
    from optimizer.solve import PlanResult
    ledger = replay(terms, late_then_due)
    last_behind = int(np.nonzero(ledger.overdue[0] > 0)[0][-1])  # end of month 3
    assert last_behind == 3
    record = credit_records(PlanResult("test", PlanStatus.CLEARED, ledger), 5)["A"]
    assert record == ("2027-04", "2032-04")  # cured in month 4; kept 5 years from then
    assert ledger.balance[0, -1] == 0.0 and ledger.debt_free_month > 4


def test_private_loan_signed_before_2020_08_20_follows_the_transitional_rule():
    # Signed 2019-06: from 2020-08-20 the cap is 4 × the LPR at the time of filing (now: 3.00 %),
    # not 4 × the LPR of 2019 (4.25 %), and not the old 24 %.
    data = one(lender_type="private", contract_date="2019-06-01", apr=0.20)
    cap = legal_cap(scenario_from_dict(data).loans[0], scenario_from_dict(data))
    assert cap.yearly_rate == pytest.approx(4 * 0.0300)
    assert "2020-08-20" in cap.rule


def test_credit_card_has_a_late_fee_instead_of_penalty_interest():
    # A card with a ¥1,000 minimum payment, never paid: no penalty interest at all, and a late fee
    # of 5 % of the minimum (¥50) each month after a month behind (银发〔2016〕111号).
    data = one(credit_card=True, principal=20000, apr=0.18, installment=1000, installments=None)
    terms = plan_terms(scenario_from_dict(data))
    ledger = replay(terms, np.zeros((1, 24)))
    assert ledger.penalty.max() == 0.0
    assert ledger.fees[0, 1] == pytest.approx(50.0)  # behind at the end of month 1
    assert ledger.fees[0, 0] == 0.0  # not behind before the plan


def test_agreed_installments_are_paid_in_full_every_month_in_the_optimal_plan():
    data = one(principal=9000, installments=12, days_overdue=60, credit_reported=True,
               agreement={"kind": "installments", "monthly": 600, "months": 15, "first": "2027-02"})
    data["income"], data["essentials"] = 4000, 3500  # ¥500 a month, ¥600 due: savings must carry it
    data["cash_on_hand"] = 2000
    result = make_plan(scenario_from_dict(data))
    paid = result.ledger.payments[0]
    assert result.status is PlanStatus.CLEARED
    assert paid[0] == 0.0  # nothing due before the first installment
    # Each one in full (a plan may pay this 0 % agreement off sooner, never less in a month).
    assert (paid >= installments_owed(result.ledger)[0] - 0.005).all()
    assert paid.sum() == pytest.approx(15 * 600.0, abs=0.01)  # 0 %: the agreed ¥9,000, no more
    assert result.ledger.overdue[0].max() == 0.0


def test_an_agreement_the_money_cannot_carry_is_said_not_hidden():
    data = one(principal=9000, agreement={"kind": "installments", "monthly": 2500, "months": 4, "first": "2027-01"})
    result = make_plan(scenario_from_dict(data))  # ¥2,000 a month against ¥2,500
    assert result.status is PlanStatus.AGREEMENTS_UNAFFORDABLE
    assert "2027-01" in result.diagnosis and "¥500.00" in result.diagnosis


def installments_owed(ledger) -> np.ndarray:
    """(n, T) each month's agreed installment, or what the loan still owes if that is less (the
    last one, or a loan paid off ahead: nothing is owed after it)."""
    T = ledger.terms.horizon
    owed = ledger.balance[:, :T] + ledger.interest + ledger.penalty + ledger.fees
    return np.minimum(ledger.terms.agreed[:, :T], owed)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_negotiated_plan_pays_every_ask_in_full_every_month(path):
    targets = negotiation_targets(load_scenario(path), with_break_even=False)
    plan = targets.negotiated
    terms = plan.ledger.terms
    if targets.asks_fit:
        assert plan.status is not PlanStatus.AGREEMENTS_UNAFFORDABLE
        assert (plan.ledger.payments >= installments_owed(plan.ledger) - 0.005).all()
    for t in targets.loans:
        if t.installment_ask is not None and targets.asks_fit:
            # The ask's installments, from the month after any grace, exactly as asked.
            i = t.index
            due = terms.agreed[i]
            assert due.max() == pytest.approx(t.installment_ask.monthly, abs=0.01)
            # Stated in whole fen, as a lender states it (the script quotes this figure).
            assert t.installment_ask.monthly * 100 == pytest.approx(round(t.installment_ask.monthly * 100), abs=1e-6)
    # The plan as exported, in whole fen, keeps every agreement the exact plan keeps: the
    # counsellor case's CSV once paid 360借条 ¥964.21 against ¥964.22 in months that spent all the
    # money, and the replayed agreement broke.
    fen = to_fen(plan.ledger)
    kept = terms.agreed.any(axis=1) & ~(plan.ledger.overdue[:, 1:] > 0).any(axis=1)
    assert not (fen.overdue[kept, 1:] > 0).any()


def test_income_too_low_negotiated_plan_keeps_the_fenqile_ask():
    # The old plan asked ¥600.26 a month of 分期乐 and then paid ¥462.49 for 19 months.
    targets = negotiation_targets(load_scenario(SCENARIOS / "income-too-low.toml"), with_break_even=False)
    i = next(t.index for t in targets.loans if t.loan == "分期乐")
    ask = targets.loans[i].installment_ask
    assert ask is not None
    paid = targets.negotiated.ledger.payments[i]
    due = installments_owed(targets.negotiated.ledger)[i]
    assert (paid >= due - 0.005).all()
    assert targets.negotiated.ledger.overdue[i].max() == 0.0


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_negotiated_plan_does_not_sit_on_savings_while_an_agreement_bears_interest(path):
    # three-overdue-loans' negotiated plan once paid every installment exactly and ended with
    # ¥19,859 saved while 360借条 (sued, 24 % under its agreement) still owed: an agreed
    # installment was a lower bound on every month's payment, so any payment ahead made a later
    # month owe less than its installment, which the model could not then pay.
    # Exchange argument: if money is left at the end of month t beyond what later months need
    # (the reserve for essentials, and the agreed installments after the plan), and every later
    # month's money covers what it must pay (agreed installments, a judgment's floor, the
    # installments of loans the plan keeps current), that money paid on a loan still owing at
    # interest leaves every later payment payable and costs less. So no such month may exist.
    targets = negotiation_targets(load_scenario(path), with_break_even=False)
    assert targets.asks_fit  # every shipped case's asks fit (the counsellor case's once a friend waits)
    ledger = targets.negotiated.ledger
    terms = ledger.terms
    T = terms.horizon
    owed = ledger.balance[:, :T] + ledger.interest + ledger.penalty + ledger.fees
    installment = np.stack([demanded(ledger.schedule, terms.r, owed[:, t], t)[0] for t in range(T)], axis=1)
    floor = terms.enforcement_floor[:, :T] * ledger.stages[:, ENFORCEMENT, :T]
    must = np.maximum(np.maximum(terms.agreed[:, :T], floor), installment * ~ledger.behind[:, 1:])
    covered = terms.net >= np.minimum(must, owed).sum(axis=0) - 1e-9
    later_covered = np.array([covered[t + 1:].all() for t in range(T)])
    spare = ledger.cash[1:] - terms.reserve
    owing = (ledger.balance[:, 1:] > 0.005) & (terms.agreed.any(axis=1) & (terms.r > 0))[:, None]
    # Until a friend asked to wait is repaid, no other loan may be paid ahead (a lawyer's rule, not
    # a cost): only the friend's own loan can take the money then.
    friend_owed = (ledger.balance[list(terms.waiting), 1:] > 0.005).any(axis=0)
    others = np.ones(terms.n_loans, dtype=bool)
    others[list(terms.waiting)] = False
    owing &= ~(others[:, None] & friend_owed[None, :])
    idle = [terms.months[t] for t in range(T) if later_covered[t] and spare[t] > 0.01 and owing[:, t].any()]
    assert idle == [], f"money left idle while an agreement bears interest: {idle}"
    if path.stem == "three-overdue-loans":
        # Paid off ahead: 360借条's 18 installments of ¥1,261 run to 2028-05; the plan ends sooner.
        assert ledger.debt_free_month < 18


def test_money_short_never_leaves_the_sued_loan_further_behind_than_the_priority_rule():
    # Cannot be cleared: ¥900 a month against a sued ¥15,000 and two other loans.
    data = {
        "start": "2027-01", "horizon_months": 12, "income": 4900, "essentials": 4000,
        "loans": [
            {"name": "起诉贷", "principal": 15000, "apr": "18%", "accelerated": True, "lawsuit": True,
             "credit_reported": True, "days_overdue": 200},
            {"name": "便宜贷", "principal": 3000, "apr": "36%", "installments": 6, "days_overdue": 40},
            {"name": "信用贷", "principal": 8000, "apr": "24%", "installments": 12, "credit_reported": True,
             "days_overdue": 35},
        ],
    }
    c = compare(scenario_from_dict(data), ("optimal", "priority"))
    assert c.results["optimal"].status is PlanStatus.NOT_CLEARED
    sued_optimal = c.results["optimal"].ledger.overdue_yuan_months[0]
    sued_priority = c.results["priority"].ledger.overdue_yuan_months[0]
    assert sued_optimal <= sued_priority + 0.01


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_break_even_never_exceeds_what_the_plan_pays_that_lender(path):
    targets = negotiation_targets(load_scenario(path))
    for t in targets.loans:
        if t.break_even is not None:
            plan = targets.baseline.ledger
            assert t.break_even <= plan.payments[t.index].sum() + plan.balance[t.index, -1] + 0.01


def test_early_acceleration_is_contested_in_targets_and_script():
    data = one(installments=12, installments_paid=2, days_overdue=3, accelerated=True)
    targets = negotiation_targets(scenario_from_dict(data), with_break_even=False)
    assert targets.loans[0].early_acceleration
    assert "只逾期3天" in script(targets, targets.loans[0], "zh")
    assert "after 3 days overdue" in script(targets, targets.loans[0], "en")


def test_scripts_carry_the_seed_advice():
    targets = negotiation_targets(load_scenario(SCENARIOS / "three-overdue-loans.toml"), with_break_even=False)
    zh = script(targets, targets.loans[0], "zh")
    en = script(targets, targets.loans[0], "en")
    assert "以贷养贷" in zh and "收入证明" in zh and "保存" in zh
    assert "new loan" in en and "proof of hardship" in en and "Keep every written confirmation" in en


def test_scripts_never_call_about_a_loan_kept_current_nor_dispute_a_judgment_nor_cite_rules_to_a_friend():
    # 花呗 is current, its contract penalty rate (18 % × 1.5 = 27 %) is above the 24 % cap, and the
    # money keeps it current: no call (opening with "I cannot pay" on a performing loan invites
    # acceleration). 执行贷 is in enforcement: the judgment fixed what is owed, so the call asks for
    # an 执行和解 and disputes nothing. 朋友 is a friend's private loan left behind: the collection
    # rules bind institutions, so the script does not threaten a complaint to a regulator.
    data = {
        "start": "2027-01", "horizon_months": 24, "income": 8000, "essentials": 3000,
        "loans": [
            {"name": "花呗", "principal": 6000, "apr": "18%", "installments": 12},
            {"name": "执行贷", "principal": 9000, "apr": "36%", "penalty_owed": 2000, "accelerated": True,
             "lawsuit": True, "enforcement": True, "credit_reported": True, "days_overdue": 300},
            {"name": "朋友", "lender_type": "private", "contract_date": "2025-06-01", "principal": 5000,
             "apr": "6%", "installments": 10, "installments_paid": 2, "days_overdue": 40},
        ],
    }
    targets = negotiation_targets(scenario_from_dict(data), with_break_even=False)
    huabei, judgment, friend = targets.loans
    assert huabei.penalty_above_cap and not targets.baseline.ledger.overdue[0].any()
    assert script_for_lender(targets, huabei, "zh") == ""
    assert "不需要打电话" in script(targets, huabei, "zh")
    assert judgment.cap.disputable > 0 and judgment.penalty_above_cap  # there would be something to dispute
    for lang, words in (("zh", ("司法保护上限", "异议", "调减")), ("en", ("cap", "dispute", "penalty rate"))):
        text = script_for_lender(targets, judgment, lang)
        assert text and not any(w in text for w in words), text
    assert "执行和解" in script(targets, judgment, "zh")
    assert "监管部门" not in script(targets, friend, "zh") and "regulator" not in script(targets, friend, "en")
    assert "监管部门" in script(targets, judgment, "zh")  # an institution: the rules are cited


def test_the_negotiated_plan_keeps_the_money_for_installments_due_after_it_ends():
    # income-too-low: ¥1,500 a month against asks of ¥600.27 (分期乐) and ¥1,037.51 (借呗). The plan
    # once spent its savings paying 分期乐 ahead; the month after the horizon the two installments
    # came to ¥137.78 more than the money, and an installment paid short voids an agreement.
    # Replayed here by hand from the plan's last month: each agreement amortised at its own rate,
    # every installment paid in full from the money and the cash the plan kept.
    targets = negotiation_targets(load_scenario(SCENARIOS / "income-too-low.toml"), with_break_even=False)
    ledger = targets.negotiated.ledger
    asks = {t.index: t.installment_ask for t in targets.loans if t.installment_ask is not None}
    assert len(asks) == 2
    cash, net = ledger.cash[-1], ledger.terms.net[-1]
    balance = {i: ledger.balance[i, -1] for i in asks}
    months = 0
    while any(b > 0.005 for b in balance.values()):
        months += 1
        for i, ask in asks.items():
            owed = balance[i] * (1 + ask.yearly_rate / 12)
            due = min(ask.monthly, owed)
            cash -= due
            balance[i] = owed - due
        cash += net
        assert cash >= -0.005, f"month {months} after the plan: installments exceed the money by ¥{-cash:,.2f}"
    assert months > 12  # the agreements really run on past the horizon


def test_a_stepped_ask_states_the_amount_its_installment_repays_in_chinese_months():
    # income-too-low asks 借呗 (¥26,520 owed at 18.25 %) for five months of a smaller payment
    # (阶梯还款), then 36 installments. The installment repays what is owed when they start, the
    # interest of those months less what they paid; the script once quoted only ¥26,520, so the
    # lender could not reconcile the installment.
    targets = negotiation_targets(load_scenario(SCENARIOS / "income-too-low.toml"), with_break_even=False)
    jiebei = next(t for t in targets.loans if t.loan == "借呗")
    ask = jiebei.installment_ask
    assert ask.grace == 5 and ask.principal == pytest.approx(26520.0)
    r = 0.1825 / 12
    grown = 26520.0
    for _ in range(5):  # by hand: a month's interest, less the step paid
        grown = grown * (1 + r) - ask.step
    assert -npf.pmt(r, ask.months, grown) == pytest.approx(ask.monthly, abs=0.01)
    assert 0 < ask.step <= ask.monthly / 2 + 0.005  # a step up, never a step down
    for lang in ("zh", "en"):
        text = script_for_lender(targets, jiebei, lang)
        assert all(yuan(x) in text for x in (grown, 26520.0, ask.monthly, ask.step)), text
    zh = script(targets, jiebei, "zh")
    assert "从2027年5月开始" in zh and not re.search(r"\d{4}-\d{2}", zh)  # Chinese months, never 2027-05
    # A card has no penalty interest since 2017: its statement request asks for the late fee.
    card = {"start": "2027-01", "horizon_months": 24, "income": 5000, "essentials": 3000,
            "loans": [{"name": "信用卡", "credit_card": True, "principal": 30000, "apr": "18%", "installment": 3000,
                       "days_overdue": 60, "credit_reported": True, "accelerated": True}]}
    targets = negotiation_targets(scenario_from_dict(card), with_break_even=False)
    text = script_for_lender(targets, targets.loans[0], "zh")
    assert "违约金" in text and "罚息" not in text, text


def test_a_script_asserts_only_the_penalty_rate_the_file_states_and_says_limits_share_the_money():
    # A contract's penalty rate the scenario states (+30 %: 36 % × 1.3 = 46.8 %) is quoted as the
    # lender's; the tool's default markup (+50 %) is only "if you charge the usual rate": asserting
    # it lets the lender simply deny it. Two lenders' private limits count the same cash.
    data = {"start": "2027-01", "horizon_months": 24, "income": 6000, "essentials": 3000, "cash_on_hand": 3000,
            "loans": [{"name": "甲", "principal": 8000, "apr": "36%", "penalty_markup": "30%", "installments": 12,
                       "days_overdue": 45, "credit_reported": True},
                      {"name": "乙", "principal": 6000, "apr": "36%", "installments": 12, "days_overdue": 45,
                       "credit_reported": True}]}
    targets = negotiation_targets(scenario_from_dict(data))
    stated, usual = (script(targets, t, "zh") for t in targets.loans)
    assert "「罚息年化46.80%，" in stated and "常见" not in stated
    assert "如果罚息按常见的年化54.00%计收" in usual
    assert all(t.break_even is not None for t in targets.loans)
    assert "不能相加" in stated and "不能相加" in usual
    assert "不能相加" not in script_for_lender(targets, targets.loans[0], "zh")  # the borrower's note only


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_plan_lists_what_it_triggers(path):
    c = compare(load_scenario(path), ("optimal", "priority"))
    table = c.table()
    for loan in c.results["optimal"].ledger.terms.names:
        for stage in ("reported", "accelerated", "sued", "enforcement"):
            assert f"{stage}[{loan}]" in table.columns
    assert set(summarize(c.results["optimal"]).triggers) == set(c.results["optimal"].ledger.terms.names)


# ---- optimal against every rule of thumb, all replayed with escalation ------------------------

def _random_scenario(draw) -> dict:
    n = draw(st.integers(1, 3))
    loans = []
    for k in range(n):
        accelerated = draw(st.booleans())
        loan = {
            "name": f"L{k}", "principal": draw(st.integers(1000, 20000)), "apr": draw(st.sampled_from([0.0, 0.12, 0.24, 0.36])),
            "days_overdue": draw(st.sampled_from([0, 0, 20, 45, 100, 200])),
            "credit_reported": draw(st.booleans()), "abusive_collection": draw(st.booleans()),
            "lender_type": draw(st.sampled_from(["licensed", "licensed", "private"])),
            "credit_card": draw(st.sampled_from([False, False, True])),
        }
        if accelerated:
            loan.update(accelerated=True, lawsuit=draw(st.booleans()))
        else:
            loan["installments"] = draw(st.integers(6, 24))
        loans.append(loan)
    return {
        "start": "2027-01", "horizon_months": draw(st.integers(6, 18)),
        "income": draw(st.integers(3000, 9000)), "essentials": 3000,
        "cash_on_hand": draw(st.integers(0, 3000)), "loans": loans,
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_optimal_is_never_worse_than_a_rule_of_thumb_with_escalation(data):
    scenario = scenario_from_dict(_random_scenario(data.draw))
    optimal = make_plan(scenario, time_limit=2.0, check_extra=False)
    assert optimal.check_problems == ()
    terms = optimal.ledger.terms
    for name, policy in POLICIES.items():
        rule = replay(terms, policy(terms, scenario))
        # Within the solver's tolerance (1e-6 relative on the LP it polishes with).
        assert optimal.ledger.weighted_cost <= rule.weighted_cost + 0.01 + 1e-6 * rule.weighted_cost, name
    assert math.isfinite(optimal.ledger.weighted_cost)
    assert (optimal.ledger.overdue[:, 1:] >= 0).all() and SETTLED_BELOW > 0


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_optimal_is_never_worse_than_a_rule_of_thumb_on_shipped_cases(path):
    c = compare(load_scenario(path), (*POLICIES, "optimal"))
    best = c.summaries["optimal"].weighted_cost
    for name in POLICIES:
        assert best <= c.summaries[name].weighted_cost + 0.01, name
    assert NEGOTIATED not in c.summaries


# ---- lawyer's rules: one run behind per loan, judgments first, sued loans first when short ----


def _runs_behind(row: np.ndarray) -> int:
    """How many separate runs of months behind a loan has in a plan (row: behind by month)."""
    behind = np.concatenate([[False], row > 0])
    return int((behind[1:] & ~behind[:-1]).sum())


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_optimal_plan_never_lets_a_cured_loan_fall_behind_again(path):
    # A loan behind now may be cured once and then stays current; a loan current now falls
    # behind in one run at most (counted from the ledger, not from the model's variables).
    plan = make_plan(load_scenario(path), "optimal", time_limit=3.0)
    ledger = plan.ledger
    for i, name in enumerate(ledger.terms.names):
        behind_now = ledger.overdue[i, 0] > 0 or ledger.terms.days0[i] > 0
        runs = _runs_behind(ledger.behind[i, 1:])  # overdue, or an installment paid short
        if behind_now:
            row = ledger.behind[i, 1:]
            assert not (row[1:] & ~row[:-1]).any(), f"{path.stem}: {name} falls behind again after a cure"
        else:
            assert runs <= 1, f"{path.stem}: {name} has {runs} runs behind"


def test_performing_loans_the_money_can_keep_current_are_kept_current():
    # The counsellor case with an agreement of ¥700 a month on 京东金条 from the first month: ¥1,900
    # a month after essentials at first, so the agreement, the judgment's share and the installments
    # of 花呗 (600), 微粒贷 (800) and 安逸花 (380) cannot all be paid, but two of the three can (the
    # LP relaxation with all three current has no solution; with 微粒贷 and 安逸花 it has). The plan
    # once let all three default. It keeps the agreement in full every month.
    text = (SCENARIOS / "counsellor-twelve-loans.toml").read_text(encoding="utf-8")
    text = text.replace('name = "京东金条"\n', 'name = "京东金条"\nagreement = { kind = "installments", monthly = 700, '
                        'months = 24, first = "2026-12" }\n', 1)
    from optimizer.scenario import scenario_from_bytes

    plan = make_plan(scenario_from_bytes(text.encode("utf-8"), "agreed.toml"), time_limit=10.0)
    ledger = plan.ledger
    names = list(ledger.terms.names)
    behind = [n for n in ("花呗", "微粒贷", "安逸花") if (ledger.overdue[names.index(n), 1:] > 0).any()]
    assert len(behind) <= 1, behind
    assert (ledger.payments[names.index("京东金条"), :24] >= installments_owed(ledger)[names.index("京东金条"), :24] - 0.005).all()
    assert ledger.balance[names.index("京东金条"), 24] < 0.005 and (ledger.overdue[names.index("京东金条")] == 0).all()


def judgment_and_friend(income: float, lawsuit: float = 0.3) -> dict:
    """A judgment in enforcement and a friend's loan paid on time (private, 6 %, 12 installments)."""
    return {
        "title": "judgment and a friend", "start": "2027-01", "horizon_months": 24, "income": income,
        "essentials": 3500,
        "weights": {"interest": 1.0, "lawsuit": lawsuit, "enforcement": 0.5, "credit": 0.0, "collection": 0.0},
        "loans": [
            {"name": "法院执行贷", "principal": 20000, "apr": "24%", "accelerated": True, "lawsuit": True,
             "enforcement": True, "credit_reported": True, "days_overdue": 400},
            {"name": "朋友借款", "lender_type": "private", "principal": 6000, "apr": "6%", "installments": 12},
        ],
    }


@pytest.mark.parametrize("lawsuit", [0.3, 0.0])
def test_a_performing_loan_the_money_covers_every_month_is_never_let_fall_behind(tmp_path, lawsuit):
    # ¥1,500 a month after essentials: the judgment's floor is 30 % of it (¥450) and the friend's
    # installment npf.pmt(0.5 %, 12, 6000) = ¥516.40, ¥966.40 together, so every plan can keep the
    # friend current. On the weights alone the optimal plan let the friend fall behind to pay the
    # judgment down sooner (3 months behind; 20 with no lawsuit weight): a default it could avoid.
    installment = float(-npf.pmt(0.06 / 12, 12, 6000))
    assert installment == pytest.approx(516.40, abs=0.005)
    scenario = scenario_from_dict(judgment_and_friend(5000, lawsuit))
    terms = plan_terms(scenario)
    assert list(terms.kept_current) == [False, True]
    plans = {"optimal": make_plan(scenario).ledger,
             **{name: replay(terms, policy(terms, scenario)) for name, policy in POLICIES.items()}}
    for name, ledger in plans.items():
        # Every month its installment in full (or what is left owed: pro-rata pays it off early).
        assert not ledger.missed[1].any() and ledger.overdue[1].max() == 0.0, name
        assert (ledger.payments[1, :12] >= np.minimum(installment, ledger.balance[1, :12]) - 0.01).all(), name
        assert ledger.balance[1, 12] < 0.005, name
    path = tmp_path / "friend.toml"
    path.write_text(
        'start = "2027-01"\nhorizon_months = 24\nincome = 5000\nessentials = 3500\n'
        '[weights]\nlawsuit = 0.3\nenforcement = 0.5\ncredit = 0.0\ncollection = 0.0\n'
        '[[loans]]\nname = "法院执行贷"\nprincipal = 20000\napr = "24%"\naccelerated = true\nlawsuit = true\n'
        'enforcement = true\ncredit_reported = true\ndays_overdue = 400\n'
        '[[loans]]\nname = "朋友借款"\nlender_type = "private"\nprincipal = 6000\napr = "6%"\ninstallments = 12\n',
        encoding="utf-8")
    out = run_cli("solve", path)
    assert out.returncode == 0, out.stderr
    assert "Kept current in every plan: 朋友借款." in out.stdout
    assert "朋友借款: none" in out.stdout


def test_the_rule_can_be_turned_off_to_compare():
    # [escalation] keep_performing_current = false: the weights alone decide, and on this case they
    # let the friend fall behind to pay the judgment down sooner.
    data = judgment_and_friend(5000)
    data["escalation"] = {"keep_performing_current": False}
    scenario = scenario_from_dict(data)
    assert not plan_terms(scenario).kept_current.any()
    assert make_plan(scenario).ledger.missed[1].any()
    # Off stays off when a settlement is agreed on another loan (the terms are rebuilt with it).
    data["loans"][0]["agreement"] = {"kind": "settlement", "amount": 5000, "by": "2027-06"}
    assert not plan_terms(scenario_from_dict(data)).kept_current.any()
    data["escalation"] = {}
    assert plan_terms(scenario_from_dict(data)).kept_current.tolist() == [False, True]


def test_a_performing_loan_the_money_cannot_cover_is_left_to_the_weights():
    # ¥400 a month after essentials: less than the ¥516.40 installment even before the judgment's
    # floor (30 % of ¥400 = ¥120), so no plan can keep it current and none is told to.
    scenario = scenario_from_dict(judgment_and_friend(3900))
    terms = plan_terms(scenario)
    assert not terms.kept_current.any()
    assert make_plan(scenario).ledger.missed[1].any()


def test_a_judgment_in_enforcement_gets_its_share_every_month_until_paid():
    # ¥3,000 a month after essentials, no agreement, no later shortfall: the judgment gets at
    # least 30 % of it (¥900) every month until paid off, in the optimal plan and in every rule of
    # thumb, even though a performing loan competes for the money.
    data = {
        "start": "2027-01", "horizon_months": 24, "income": 7000, "essentials": 4000,
        "loans": [
            {"name": "执行贷", "principal": 20000, "apr": "12%", "accelerated": True, "lawsuit": True,
             "enforcement": True, "credit_reported": True, "days_overdue": 400},
            {"name": "高息贷", "principal": 15000, "apr": "36%", "installments": 12},
        ],
    }
    scenario = scenario_from_dict(data)
    c = compare(scenario, ("optimal", *POLICIES))
    for name, result in c.results.items():
        ledger = result.ledger
        owed_after = ledger.balance[0, 1:]
        for t in range(ledger.terms.horizon):
            if owed_after[t] > 0:  # not yet paid off at the end of month t: the minimum was paid
                assert ledger.payments[0, t] >= 900.0 - 0.01, f"{name}: month {t + 1} pays {ledger.payments[0, t]:.2f}"


def test_a_loan_that_reaches_enforcement_within_the_plan_gets_its_floor_from_then_on():
    # 起诉贷 is sued now (not yet enforced); ¥1,500 a month after essentials cannot keep 微粒贷's
    # installment (¥1,100.16 by numpy-financial: ¥12,000 at 18 % over 12 months) and pay 起诉贷 off,
    # so 起诉贷 stays behind and reaches enforcement after the licensed default of 6 months behind
    # after the suit: from the 7th month it is owed 30 % of ¥1,500 = ¥450 a month. From the 14th
    # month 微粒贷 could be in enforcement too (sued after a run of 7 months, ⌈(180 + 15) / 30⌉, then
    # 6 months), so the share is split: ¥225 each. Every plan pays the floor while the loan is in
    # enforcement and owing; the optimal plan once paid it about ¥400 to keep 微粒贷 current.
    data = sued_and_performing(5500.0)
    scenario = scenario_from_dict(data)
    terms = plan_terms(scenario)
    assert npf.pmt(0.18 / 12, 12, -12000) == pytest.approx(1100.16, abs=0.01)
    floor = terms.enforcement_floor
    assert floor[0] == pytest.approx([0.0] * 6 + [450.0] * 7 + [225.0] * 23)
    assert floor[1] == pytest.approx([0.0] * 13 + [225.0] * 23)
    c = compare(scenario, ("optimal", *POLICIES))
    assert c.results["optimal"].ledger.reached()["起诉贷"]["enforcement"] == 6
    for name, result in c.results.items():
        ledger = result.ledger
        for i in range(2):
            for t in range(ledger.terms.horizon):
                if ledger.stages[i, ENFORCEMENT, t] and ledger.balance[i, t + 1] > 0:
                    assert ledger.payments[i, t] >= floor[i, t] - 0.01, (
                        f"{name}: {ledger.terms.names[i]} month {t + 1} pays {ledger.payments[i, t]:.2f}")


def test_enforcement_share_is_a_parameter_and_zero_turns_the_rule_off():
    data = {
        "start": "2027-01", "horizon_months": 12, "income": 7000, "essentials": 4000,
        "escalation": {"enforcement_share": 0.5},
        "loans": [
            {"name": "执行贷", "principal": 20000, "apr": "12%", "accelerated": True, "lawsuit": True,
             "enforcement": True, "credit_reported": True, "days_overdue": 400},
            {"name": "执行贷二", "principal": 9000, "apr": "12%", "accelerated": True, "lawsuit": True,
             "enforcement": True, "credit_reported": True, "days_overdue": 400},
        ],
    }
    terms = plan_terms(scenario_from_dict(data))
    # 50 % of ¥3,000, split between the two judgments: ¥750 each a month.
    assert terms.enforcement_floor == pytest.approx(np.full((2, 12), 750.0))
    data["escalation"]["enforcement_share"] = 0.0
    assert not plan_terms(scenario_from_dict(data)).enforcement_floor.any()


def test_a_capped_installment_the_plan_calls_current_is_flagged_against_the_contracts():
    # A lawyer's review: on the legal cap the plan keeps 京东金条 (¥12,000 at 36 %, 12 installments
    # left) on its contract's balances paying what 24 % needs, less than the contract's installment;
    # the lender's system charges 36 % and counts the difference as overdue. The plan says so.
    done = run_cli("solve", SCENARIOS / "three-overdue-loans.toml", "--months", "0")
    assert done.returncode == 0, done.stderr
    installment = float(npf.pmt(0.03, 12, -12000))  # the contract's, by numpy-financial
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("京东金条: from ")]
    assert f"installment of ¥{installment:,.2f}" in line
    smallest = float(re.search(r"as little as ¥([\d,.]+)", line)[1].replace(",", ""))
    # Kept on the contract's balance B_k at 2 % a month: B_k × 1.02 − B_{k+1} = installment − 1 % × B_k,
    # so the smallest payment names a balance of the contract's own amortisation table.
    balances = [12000 * 1.03 ** k - installment * (1.03 ** k - 1) / 0.03 for k in range(12)]
    assert min(abs((installment - smallest) / 0.01 - b) for b in balances) < 1.0
    # On the lender's claim the plan pays the contract's installment: nothing to flag.
    from optimizer.planner import short_of_contract

    claim = load_scenario(SCENARIOS / "three-overdue-loans.toml").replace(legal={"basis": "claim"})
    assert short_of_contract(make_plan(claim)) == {}


def test_a_settlement_offer_taken_is_paid_in_full_by_its_month_in_the_negotiated_plan():
    # A lawyer's review: with an ¥8,000 offer by 2027-02 on 京东金条 the negotiated plan paid
    # ¥6,317.43 by then and the rest in March, a lapsed settlement, though the money of the three
    # months (¥10,900) covered it.
    data = tomllib.loads((SCENARIOS / "three-overdue-loans.toml").read_text(encoding="utf-8"))
    (loan,) = [x for x in data["loans"] if x["name"] == "京东金条"]
    loan["settlement_offer"] = {"amount": 8000, "by": "2027-02"}
    targets = negotiation_targets(scenario_from_dict(data), with_break_even=False)
    (t,) = [x for x in targets.loans if x.loan == "京东金条"]
    assert t.take_offer
    ledger = targets.negotiated.ledger
    assert ledger.payments[t.index, :3].sum() == pytest.approx(8000, abs=0.01)  # 2026-12 … 2027-02
    assert ledger.balance[t.index, 3] == 0.0
