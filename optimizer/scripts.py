"""A call script per lender, in Chinese and in English, carrying the numbers of the targets table.

Every amount in a script is formatted by :func:`yuan` from the same :class:`LoanTarget` the table
is made from, so the two cannot disagree. The break-even settlement amount is the borrower's own
limit and is marked as such: a script never tells the lender the most the borrower would pay.
"""

from __future__ import annotations

from typing import Literal

from .negotiate import LoanTarget, Targets

Lang = Literal["zh", "en"]


def yuan(x: float) -> str:
    return f"¥{x:,.2f}"


def pct(x: float) -> str:
    return f"{x:.2%}"


def _start(targets: Targets, t: LoanTarget) -> str:
    ask = t.installment_ask
    return targets.baseline.ledger.terms.months[min(ask.grace, targets.baseline.ledger.terms.horizon - 1)]


def _at_means(t: LoanTarget) -> bool:
    return t.break_even is not None and t.break_even >= t.affordable_by - 1.0


def _rule_zh(targets: Targets, loan, cap) -> str:
    if loan.lender_type == "private":
        law = targets.scenario.legal
        return f"民间借贷：合同成立时一年期LPR的{law.private_lpr_multiple:g}倍，即年化{pct(cap.yearly_rate)}"
    return f"持牌机构：利息、复利、罚息、违约金和费用合计年化不超过{pct(cap.yearly_rate)}"


def script(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> str:
    loan = targets.scenario.loans[t.index]
    lines = _zh(targets, t, loan) if lang == "zh" else _en(targets, t, loan)
    numbered, step = [], 0
    for line in lines:
        if line.startswith("# "):
            step += 1
            line = f"{step}. {line[2:]}" if lang == "en" else f"{step}.{line[2:]}"
        numbered.append(line)
    return "\n".join(numbered)


def _en(targets: Targets, t: LoanTarget, loan) -> list[str]:
    ask, cap = t.installment_ask, t.cap
    out = [
        f"Call #{t.call_rank}: {t.lender} ({t.loan})",
        "Before the call: have the contract and your ID ready; note the date, time and the agent's name or ID.",
        f"# \"I am calling about my loan {t.loan}. I want to repay it, but I cannot pay what you are demanding now.\"",
        "# \"Please send me an itemised statement in writing: principal, interest, penalty interest and fees, "
        "and the contract and any acceleration notice.\"",
    ]
    if cap.disputable > 0:
        out.append(
            f"# \"You are charging {yuan(cap.claimed_charges)} in interest, penalty and fees. Under the legal cap "
            f"({cap.rule}) about {yuan(cap.allowed_charges)} can be claimed. I dispute {yuan(cap.disputable)} and ask "
            f"you to remove it.\""
        )
    if t.yearly_rate > cap.yearly_rate + 1e-9:
        out.append(
            f"   \"The rate of {pct(t.yearly_rate)} a year is above the cap of {pct(cap.yearly_rate)}; interest from "
            f"now on should not exceed {pct(cap.yearly_rate)}.\""
        )
    if ask:
        demanded = "Instead of the full balance you demand, " if loan.accelerated else ""
        grace = f"starting {_start(targets, t)} ({ask.grace} months from now), " if ask.grace else f"starting {_start(targets, t)}, "
        out.append(
            f"# \"{demanded}I can pay {yuan(ask.monthly)} a month for {ask.months} months, {grace}on "
            f"{yuan(ask.principal)} at {pct(ask.yearly_rate)} a year. Please restore installments on these terms.\""
        )
    if t.penalty_waiver > 0:
        out.append(
            "# \"Please waive the penalty interest"
            + (f": {yuan(loan.penalty_owed)} owed now, " if loan.penalty_owed else ": ")
            + f"{yuan(t.penalty_waiver)} in all if nothing changes.\""
        )
    if t.offer_amount is not None:
        verdict = "accept it" if t.take_offer else "decline it unless it improves"
        out.append(f"# Your offer of {yuan(t.offer_amount)} by {t.offer_by}: the plan says {verdict}.")
    if t.break_even is not None:
        limited = " (all you can raise by then)" if _at_means(t) else ""
        out.append(
            f"   Your own limit, not to be said: a one-off settlement beats your plan only up to "
            f"{yuan(t.break_even)}{limited} paid by {t.break_even_by}. Open well below it."
        )
    out.append(
        "# \"Collection may only call between 08:00 and 22:00, at most three effective calls a day, and must not tell "
        "my family or contacts about this debt. If it continues I will complain to the regulator.\""
    )
    if loan.abusive_collection:
        out.append("   Keep recordings and screenshots of abusive collection; they support a complaint.")
    if loan.lawsuit or loan.enforcement:
        stage = "an enforcement settlement (执行和解)" if loan.enforcement else "court mediation (诉讼调解)"
        out.append(f"   The case is in court: propose these terms as {stage}; never ignore a court notice.")
    out.append("# \"Please confirm what we agreed in writing, with the amounts and dates, before I pay.\"")
    return out


def _zh(targets: Targets, t: LoanTarget, loan) -> list[str]:
    ask, cap = t.installment_ask, t.cap
    out = [
        f"第{t.call_rank}个电话：{t.lender}（{t.loan}）",
        "打电话前：准备好合同和身份证；记下日期、时间和客服的姓名或工号。",
        f"# 「我打电话是关于{t.loan}这笔借款。我愿意还款，但现在没有能力按你们要求的金额还。」",
        "# 「请书面提供还款明细：本金、利息、罚息和各项费用，以及借款合同和加速到期通知。」",
    ]
    if cap.disputable > 0:
        out.append(
            f"# 「你们收取的利息、罚息和费用合计{yuan(cap.claimed_charges)}。按法定上限（{_rule_zh(targets, loan, cap)}），"
            f"大约只能主张{yuan(cap.allowed_charges)}。超出的{yuan(cap.disputable)}我有异议，请予以减除。」"
        )
    if t.yearly_rate > cap.yearly_rate + 1e-9:
        out.append(f"   「年化{pct(t.yearly_rate)}超过了{pct(cap.yearly_rate)}的上限，今后的利息不应超过{pct(cap.yearly_rate)}。」")
    if ask:
        demanded = "不要求一次性全额还款，" if loan.accelerated else ""
        start = _start(targets, t)
        grace = f"从{start}开始（先延期{ask.grace}个月），" if ask.grace else f"从{start}开始，"
        out.append(
            f"# 「请{demanded}为我协商分期：本金{yuan(ask.principal)}，年化{pct(ask.yearly_rate)}，"
            f"{grace}每月还{yuan(ask.monthly)}，共{ask.months}期。」"
        )
    if t.penalty_waiver > 0:
        owed = f"目前欠罚息{yuan(loan.penalty_owed)}，" if loan.penalty_owed else ""
        out.append(f"# 「请减免罚息：{owed}如果不调整，总共会产生{yuan(t.penalty_waiver)}。」")
    if t.offer_amount is not None:
        verdict = "建议接受" if t.take_offer else "除非条件更好，否则建议不接受"
        out.append(f"# 对方提出{t.offer_by}前一次性结清{yuan(t.offer_amount)}：{verdict}。")
    if t.break_even is not None:
        limited = "（这也是到时你最多能凑出的钱）" if _at_means(t) else ""
        out.append(f"   自己心里的底线（不要告诉对方）：{t.break_even_by}前一次性结清不超过{yuan(t.break_even)}{limited}才比现有计划划算。开价要远低于这个数。")
    out.append("# 「催收只能在早8点到晚10点之间联系，每天有效通话不超过3次，不得向我的家人和通讯录联系人透露这笔债务。否则我会向监管部门投诉。」")
    if loan.abusive_collection:
        out.append("   保留暴力催收的录音和截图，作为投诉证据。")
    if loan.lawsuit or loan.enforcement:
        stage = "执行和解" if loan.enforcement else "诉讼调解"
        out.append(f"   案件已进入法院程序：按以上条件申请{stage}；法院的任何通知都不要置之不理。")
    out.append("# 「达成的方案请以书面形式（短信或函件）确认金额和日期，我收到后再还款。」")
    return out
