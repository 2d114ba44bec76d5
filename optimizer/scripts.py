"""A call script per lender, in Chinese and in English, carrying the numbers of the targets table.

Every amount in a script is formatted by :func:`yuan` from the same :class:`LoanTarget` the table
is made from, so the two cannot disagree. The break-even settlement amount is the borrower's own
limit and is marked as such: a script never tells the lender the most the borrower would pay.
:func:`script_for_lender` keeps only the lines meant to be said to the lender (what the dashboard
lets a borrower copy); :func:`notes_for_borrower` gives the rest, the limit among them.
"""

from __future__ import annotations

import re
from typing import Literal

from .legal import DEFAULT_PENALTY_MARKUP
from .negotiate import LoanTarget, Targets, acceleration_threshold, restructured_parts, undisputed_penalty

Lang = Literal["zh", "en"]


def yuan(x: float) -> str:
    return f"¥{x:,.2f}"


def pct(x: float) -> str:
    return f"{x:.2%}"


def who(lender: str, loan: str, lang: str) -> str:
    """"京东科技（京东金条）", or just the name when lender and loan are called the same."""
    return loan if lender == loan else (f"{lender}（{loan}）" if lang == "zh" else f"{lender} ({loan})")


_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_name(month: str | None, lang: str) -> str:
    """"2027-01" -> "2027年1月" / "Jan 2027"."""
    if not month:
        return ""
    year, m = map(int, month.split("-")[:2])
    return f"{year}年{m}月" if lang == "zh" else f"{_MONTHS_EN[m - 1]} {year}"


def months_in_words(text: str, lang: str) -> str:
    """Every "YYYY-MM" in a text written as a month name (a full date "YYYY-MM-DD" stays as it is)."""
    return re.sub(r"(?<![\d-])(\d{4})-(\d{2})(?![\d-])", lambda m: month_name(m.group(0), lang), text)


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


def nothing_to_ask(targets: Targets, t: LoanTarget) -> bool:
    """A lender this plan keeps paying on its contract, with nothing to dispute or settle."""
    loan = targets.scenario.loans[t.index]
    ledger = targets.baseline.ledger
    # A contract penalty rate above the cap is no reason to call about a loan the plan keeps
    # current (no penalty accrues): the call would open with "I cannot pay", on a performing
    # loan, which invites acceleration (Civil Code Art. 578).
    return (t.installment_ask is None and t.cap.disputable <= 0 and t.offer_amount is None
            and t.yearly_rate <= t.cap.yearly_rate + 1e-9
            and not loan.accelerated and not loan.sued and loan.agreement is None
            and not ledger.overdue[t.index].any())


# The steps a borrower says to the lender, and the notes for the borrower alone (preparing the
# call, advice on an offer, the private limit, evidence, court procedure). Every step is one or
# the other (a test checks it, so a new step must be placed).
SAID_TO_LENDER = frozenset({
    "intro", "hardship", "breakdown", "early_acceleration", "penalty_above_cap", "dispute", "rate_above_cap",
    "installments", "waiver", "collection_rules", "confirm", "wait", "wait_promise", "wait_confirm",
})
NOTES_FOR_BORROWER = frozenset({
    "prepare", "no_new_borrowing", "offer", "limit", "evidence", "court", "card_good_faith", "keep_records", "no_call",
    "wait_refused", "wait_first", "enforcement_savings",
})


def script(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> str:
    """The call script for one lender: the steps are decided once, the wording is per language."""
    if nothing_to_ask(targets, t):
        words = _WORDS[lang]
        return "\n".join([words["title_no_call"](t=t), words["no_call"]()])
    return _render(_steps(targets, t), lang)


def script_for_lender(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> str:
    """Only what may be said to the lender (for copying or pasting into a chat with them): never
    the borrower's own limit or the plan's advice about an offer; empty when there is no call."""
    if nothing_to_ask(targets, t):
        return ""
    return _render([s for s in _steps(targets, t) if s[0] in SAID_TO_LENDER], lang)


def notes_for_borrower(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> list[str]:
    """The script's notes meant for the borrower alone, one per line (the limit among them)."""
    if nothing_to_ask(targets, t):
        return [_WORDS[lang]["no_call"]()]
    return [_months(_WORDS[lang][key](**fields), lang).strip().removeprefix("# ")
            for key, fields in _steps(targets, t) if key in NOTES_FOR_BORROWER]


def _months(line: str, lang: Lang) -> str:
    """Chinese text writes months as 2027年5月; English keeps the plan's 2027-05 (as the CSV)."""
    return months_in_words(line, lang) if lang == "zh" else line


def _render(steps: list[tuple[str, dict]], lang: Lang) -> str:
    words = _WORDS[lang]
    lines, step = [], 0
    for key, fields in steps:
        line = _months(words[key](**fields), lang)
        if line.startswith("# "):
            step += 1
            line = f"{step}. {line[2:]}" if lang == "en" else f"{step}.{line[2:]}"
        lines.append(line)
    return "\n".join(lines)


def _steps(targets: Targets, t: LoanTarget) -> list[tuple[str, dict]]:
    """Which steps this lender's call has, with the figures each one quotes."""
    loan = targets.scenario.loans[t.index]
    ask, cap = t.installment_ask, t.cap
    if t.asked_to_wait:
        # A loan paid on time, its (private) lender asked to wait: a favour asked ahead, not a
        # default negotiated. Nothing to dispute or waive; never "I cannot pay what you demand".
        # No settlement limit either: "open well below it" is no way to treat someone who lent
        # money and is being paid on time.
        return [("title", dict(t=t)), ("wait_first", {}), ("no_new_borrowing", {}),
                ("wait", dict(t=t, ask=ask, start=_start(targets, t),
                              others=sum(x.installment_ask is not None and not x.asked_to_wait
                                         for x in targets.loans))),
                # The negotiated plan's own rule (model.while_waiting_rows), said as a promise.
                ("wait_promise", {}),
                ("wait_confirm", {}), ("wait_refused", {}),
                ("keep_records", {})]
    steps: list[tuple[str, dict]] = [
        ("title", dict(t=t)), ("prepare", {}), ("no_new_borrowing", {}), ("intro", dict(t=t)), ("hardship", {}),
        ("breakdown", dict(card=loan.credit_card, judged=loan.enforcement)),
    ]
    # A loan in enforcement owes what the judgment says: the charges are disputed in court (执行异议,
    # 再审), not on the phone, and the call asks for an 执行和解 on the judgment's figures.
    judged = loan.enforcement
    if t.early_acceleration and not judged:
        steps.append(("early_acceleration", dict(days=loan.days_overdue,
                                                 threshold=acceleration_threshold(loan, targets.scenario))))
    if t.penalty_above_cap and not judged:
        # The default markup is the usual one (+50 %), most often not read off the contract: the
        # script then says "if", so the lender cannot simply deny a figure the borrower asserted.
        # (A file that states +50 % gets the same words; they stay true.) The dashboard's table
        # fills every field, so "not stated" cannot be told from the fields set.
        steps.append(("penalty_above_cap", dict(rate=loan.yearly_rate * (1 + loan.penalty_markup), cap=cap,
                                                assumed=loan.penalty_markup == DEFAULT_PENALTY_MARKUP)))
    if cap.disputable > 0 and not judged:
        steps.append(("dispute", dict(cap=cap, rule_zh=_rule_zh(targets, loan, cap))))
    if t.yearly_rate > cap.yearly_rate + 1e-9 and not judged:
        steps.append(("rate_above_cap", dict(t=t, cap=cap)))
    if ask:
        # What the amount asked on is made of, so the lender can check it against its own claim:
        # the principal, the interest and fees the cap allows; penalty and charges above it left out.
        # (A judgment's charges are disputed in court, not on the phone: the cap is not cited to its creditor.)
        left_out = tuple(k for k, owed in (("penalty", loan.penalty_owed), ("above_cap", 0.0 if judged else cap.disputable))
                         if owed > 0)
        steps.append(("installments", dict(ask=ask, accelerated=loan.accelerated, start=_start(targets, t),
                                           made_of=(*restructured_parts(loan, cap), left_out))))
    if t.penalty_waiver > 0:
        steps.append(("waiver", dict(t=t, owed=undisputed_penalty(loan, targets.scenario))))
    if t.offer_amount is not None:
        steps.append(("offer", dict(t=t)))
    if t.break_even is not None:
        # Every lender's limit is worked out from the same money: one settlement uses it up.
        shared = sum(x.break_even is not None for x in targets.loans) > 1
        # A friend asked to wait was promised no one is paid ahead until repaid: a settlement is.
        friend = next((x.loan for x in targets.loans if x.asked_to_wait and x.index != t.index), None)
        steps.append(("limit", dict(t=t, limited=_at_means(t), shared=shared, friend=friend)))
    if loan.lender_type != "private":  # the collection rules bind institutions, not a friend who lent
        steps.append(("collection_rules", {}))
    if loan.abusive_collection:
        steps.append(("evidence", {}))
    if loan.lawsuit or loan.enforcement:
        steps.append(("court", dict(enforcement=loan.enforcement)))
    if loan.enforcement:
        # Savings the plan holds for later installments sit where the court can take them, and a
        # debtor paying others while the judgment waits looks able and unwilling (Art. 313).
        steps.append(("enforcement_savings", {}))
    if loan.credit_card and loan.total_owed >= 50_000:
        steps.append(("card_good_faith", {}))
    steps.append(("confirm", {}))
    steps.append(("keep_records", {}))
    return steps


def _made_of(principal: float, charges: float, left_out: tuple[str, ...], lang: Lang) -> str:
    """"(principal ¥X, interest and fees ¥Y; penalty interest left out)": what an amount asked on is
    made of, so the lender can check it against its own claim; empty when it is the principal alone."""
    if charges <= 0.005 and not left_out:
        return ""
    zh = lang == "zh"
    names = {"penalty": ("罚息", "penalty interest"), "above_cap": ("超出上限的部分", "charges above the cap")}
    text = f"本金{yuan(principal)}" if zh else f"principal {yuan(principal)}"
    if charges > 0.005:
        text += f"，利息和费用{yuan(charges)}" if zh else f", interest and fees {yuan(charges)}"
    if left_out:
        said = [names[k][0 if zh else 1] for k in left_out]
        text += f"；{'和'.join(said)}不计入" if zh else f"; {' and '.join(said)} left out"
    return f"（{text}）" if zh else f" ({text})"


# A line starting "# " is a numbered step; "   " an aside to the borrower.
_WORDS: dict[str, dict] = {
    "en": {
        "title": lambda t: f"Call #{t.call_rank}: {who(t.lender, t.loan, 'en')}",
        "title_no_call": lambda t: f"#{t.call_rank}: {who(t.lender, t.loan, 'en')} (no call needed)",
        "prepare": lambda: "Before the call: have the contract and your ID ready; note the date, time and the agent's name or ID.",
        "no_new_borrowing": lambda: ("   Do not take a new loan to pay this one (borrowing from one app to repay another "
                                     "is the trap); say so if they suggest it."),
        "intro": lambda t: f"# \"I am calling about my loan {t.loan}. I want to repay it, but I cannot pay what you are demanding now.\"",
        # What the borrower can truthfully say of any case that needs an ask: the money after
        # essentials does not cover the demand (income may be rising: a new job from next month).
        "hardship": lambda: ("# \"What I earn, after rent, food and transport, does not cover what you are demanding "
                             "now. I can send proof of hardship (an income certificate, bank statements; an "
                             "unemployment or medical certificate where that applies) with a written request.\""),
        "early_acceleration": lambda days, threshold: (
            f"# \"You demanded the whole balance after {days} days overdue. Please show me the contract clause that "
            f"allows it and after how many days; if that condition was not met, the acceleration has not taken "
            f"effect, I object to it and ask you to restore the installments.\"\n"
            f"   (Clauses often say 30, 60 or 90 days; {threshold} days is assumed here. Check the contract.)"),
        "penalty_above_cap": lambda rate, cap, assumed: (
            f"# \"{'If you charge penalty interest at the usual ' if assumed else 'Your '}penalty rate of {pct(rate)} a "
            f"year{', it' if assumed else ''} takes interest, penalty and fees above the {pct(cap.yearly_rate)} a year that "
            f"courts protect; I ask you to cut the penalty interest above it.\""),
        "breakdown": lambda card, judged: (
            "# \"Please send me in writing what remains owed under the judgment, what has been paid or enforced so far, "
            "and the late-performance interest (迟延履行利息) claimed.\"" if judged else
            f"# \"Please send me an itemised statement in writing: principal, interest, "
            f"{'late fees (违约金) and other fees' if card else 'penalty interest and fees'}, and "
            f"{'the card agreement and the statements' if card else 'the contract and any acceleration notice'}.\""),
        "dispute": lambda cap, rule_zh: (
            f"# \"You are charging {yuan(cap.claimed_charges)} in interest, penalty and fees. Under the cap courts apply "
            f"({cap.rule}) about {yuan(cap.allowed_charges)} can be claimed. I dispute {yuan(cap.disputable)} and ask "
            f"you to remove it.\""),
        "rate_above_cap": lambda t, cap: (
            f"   \"The rate of {pct(t.yearly_rate)} a year is above the cap of {pct(cap.yearly_rate)}; interest from "
            f"now on should not exceed {pct(cap.yearly_rate)}.\""),
        "installments": lambda ask, accelerated, start, made_of: (
            f"# \"{'Instead of the full balance you demand, ' if accelerated else ''}I can pay {yuan(ask.monthly)} a month "
            f"for {ask.months} months, starting {start}"
            + (f" ({ask.grace} months from now; until then {yuan(ask.step)} a month), " if ask.step else
               f" ({ask.grace} months from now), " if ask.grace else ", ")
            + f"on {yuan(ask.principal)}{_made_of(*made_of, 'en')} at {pct(ask.yearly_rate)} a year"
            + (f" (with the interest of those {ask.grace} months, less what they pay, {yuan(ask.at_first_installment)} "
               f"when the full installments start)" if ask.step else
               f" (with the interest of the {ask.grace} months' deferral, {yuan(ask.at_first_installment)} when the "
               f"installments start)" if ask.grace else "")
            + ". Please restore installments on these terms.\""),
        "wait": lambda t, ask, start, others: (
            f"# \"I have been repaying your loan on time ({yuan(ask.principal)} still owed), and I want to keep my "
            f"word. "
            + ("I have other debts to settle" if not others else
               "One of my other loans is overdue and I am negotiating installments for it" if others == 1 else
               f"{others} of my other loans are overdue and I am negotiating installments for them")
            + "; over the coming months the money does not stretch: if I kept paying you as before, a loan I am "
            "paying on time would fall behind. Could you "
            + (f"let me pay {yuan(ask.step)} a month for {ask.grace} months, then " if ask.step else
               f"let me pause for {ask.grace} months, then " if ask.grace else "let me ")
            + f"pay {yuan(ask.monthly)} a month for {ask.months} months from {start}"
            + (f", at {pct(ask.yearly_rate)} a year as agreed" if ask.yearly_rate else ", with no interest as agreed")
            + (f" ({yuan(ask.at_first_installment)} owed when the "
               f"{'full payments start' if ask.step else 'payments start again'})" if ask.grace and ask.yearly_rate else "")
            + "? I am asking now, before any payment is missed.\""),
        "wait_promise": lambda: ("# \"Until you are repaid, I will not pay any other lender ahead of its schedule: money "
                                 "beyond what the installments need goes to you first.\""),
        "wait_confirm": lambda: ("# \"I will send you the new arrangement by message; please reply that you agree, so we "
                                 "both have a record.\""),
        "wait_refused": lambda: "   If they say no, keep paying as agreed before and make a new plan; never just stop paying.",
        "wait_first": lambda: ("   Talk to your friend before any other lender: the other asks fit the money only if your friend "
                               "agrees; sign no other agreement before that."),
        "waiver": lambda t, owed: (
            (f"# \"Please waive the {yuan(owed)} of penalty interest charged so far"
             + (", and charge no more of it" if t.penalty_waiver > owed + 0.005 else "") + ".\"")
            if owed else "# \"Please charge no penalty interest from now on.\""),
        "offer": lambda t: (
            f"# Your offer of {yuan(t.offer_amount)} by {t.offer_by}: the plan says "
            f"{'accept it' if t.take_offer else 'decline it unless it improves'}."),
        "limit": lambda t, limited, shared, friend: (
            (f"   Your own limit, not to be said: {yuan(t.break_even)} is all you can raise by {t.break_even_by}; a "
             f"one-off settlement up to that beats your plan, but never promise more. " if limited else
             f"   Your own limit, not to be said: a one-off settlement beats your plan only up to "
             f"{yuan(t.break_even)} paid by {t.break_even_by}. ")
            + ("Each lender's limit counts the same money: once one settlement uses it, the others' limits no longer "
               "hold. " if shared else "")
            + (f"You promised {friend} to pay no one ahead until repaid: settle before then only if your friend "
               "agrees. " if friend else "")
            + "Open well below it."),
        "collection_rules": lambda: (
            "# \"Collection may only call between 08:00 and 22:00, at most three effective calls a day, and must not tell "
            "my family or contacts about this debt. If it continues I will complain to the regulator.\""),
        "evidence": lambda: "   Keep recordings and screenshots of abusive collection; they support a complaint.",
        "court": lambda enforcement: (
            f"   The case is in court: propose these terms as "
            f"{'an enforcement settlement (执行和解)' if enforcement else 'court mediation (诉讼调解)'}; never ignore a court notice."),
        "enforcement_savings": lambda: (
            "   While enforcement runs, the court can freeze and take money in your accounts (冻结、划拨), and you must "
            "report your income and assets truthfully (财产报告). Tell the enforcement judge about this plan, including "
            "any money it sets aside for later installments, so that it is not read as hiding money from the creditor."),
        "card_good_faith": lambda: (
            "   A card balance of ¥50,000 or more left unpaid for months after two collection notices risks a "
            "malicious-overdraft complaint (Criminal Law Art. 196); keep paying what you can and keep proof that you "
            "stayed in contact and in good faith."),
        "confirm": lambda: "# \"Please confirm what we agreed in writing, with the amounts and dates, before I pay.\"",
        "keep_records": lambda: "   Keep every written confirmation, payment receipt and call record.",
        "no_call": lambda: "   No call needed: the plan keeps paying this loan as the contract says. Do not fall behind on it.",
    },
    "zh": {
        "title": lambda t: f"第{t.call_rank}个电话：{who(t.lender, t.loan, 'zh')}",
        "title_no_call": lambda t: f"第{t.call_rank}位：{who(t.lender, t.loan, 'zh')}（不需要打电话）",
        "prepare": lambda: "打电话前：准备好合同和身份证；记下日期、时间和客服的姓名或工号。",
        "no_new_borrowing": lambda: "   不要借新还旧（以贷养贷会越陷越深）；对方若建议你去借钱还款，明确拒绝。",
        "intro": lambda t: f"# 「我想和你们商量一下我在{t.loan}的这笔借款。我愿意还款，但现在没有能力按你们要求的金额还。」",
        "hardship": lambda: ("# 「我现在的收入扣除房租、吃饭、交通等基本开支后，不够按你们要求的金额还款。可以提供收入证明、"
                             "银行流水等困难证明（失业或生病的，提供失业证明或医疗证明），并书面提出申请。」"),
        "early_acceleration": lambda days, threshold: (
            f"# 「我只逾期{days}天，你们就要求一次性全额还款。请出示合同中允许提前到期的条款和约定的逾期天数；"
            "约定的条件未成就的，提前到期不发生效力，我对加速到期有异议，请恢复分期。」\n"
            f"   （合同常见约定为30、60或90天，这里按{threshold}天估计，请以合同为准。）"),
        "penalty_above_cap": lambda rate, cap, assumed: (
            f"# 「{f'如果罚息按常见的年化{pct(rate)}计收' if assumed else f'罚息年化{pct(rate)}'}，加上利息和费用已超过"
            f"年化{pct(cap.yearly_rate)}的司法保护上限，超出部分的罚息请予调减。」"),
        "breakdown": lambda card, judged: (
            "# 「请书面提供按判决还剩多少、已还和已执行多少，以及主张的迟延履行利息。」" if judged else
            f"# 「请书面提供还款明细：本金、利息、{'违约金' if card else '罚息'}和各项费用，"
            f"以及{'信用卡领用合约和账单' if card else '借款合同和加速到期通知'}。」"),
        "dispute": lambda cap, rule_zh: (
            f"# 「你们收取的利息、罚息和费用合计{yuan(cap.claimed_charges)}。按司法保护上限（{rule_zh}），"
            f"大约只能主张{yuan(cap.allowed_charges)}。超出的{yuan(cap.disputable)}我有异议，请予以减除。」"),
        "rate_above_cap": lambda t, cap: (
            f"   「年化{pct(t.yearly_rate)}超过了{pct(cap.yearly_rate)}的上限，今后的利息不应超过{pct(cap.yearly_rate)}。」"),
        "installments": lambda ask, accelerated, start, made_of: (
            f"# 「{'请不要要求我一次性全额还款，' if accelerated else ''}我申请协商分期还款：待还金额{yuan(ask.principal)}"
            f"{_made_of(*made_of, 'zh')}，年化{pct(ask.yearly_rate)}，"
            + (f"前{ask.grace}个月每月先还{yuan(ask.step)}（阶梯还款，这期间照常计息，这{ask.grace}个月结束时待还"
               f"{yuan(ask.at_first_installment)}），" if ask.step else
               f"先延期{ask.grace}个月（延期期间照常计息，延期结束时待还{yuan(ask.at_first_installment)}），" if ask.grace else "")
            + f"从{start}开始每月还{yuan(ask.monthly)}，共{ask.months}期。」"),
        "wait": lambda t, ask, start, others: (
            f"# 「你借给我的钱（还剩{yuan(ask.principal)}）我一直按时在还，也想说到做到。"
            + (f"我有{others}笔借款已经逾期，正在和对方协商分期，" if others else "我还有其他欠款要处理，")
            + "接下来几个月钱排不开：如果还按原来的金额还你，就会有按时在还的借款逾期。能不能"
            + ((f"前{ask.grace}个月每月先只还{yuan(ask.step)}" if ask.step else f"先缓{ask.grace}个月")
               + (f"（这期间照常按年化{pct(ask.yearly_rate)}计息，这{ask.grace}个月结束时待还{yuan(ask.at_first_installment)}）"
                                       if ask.yearly_rate else "") + "，" if ask.grace else "")
            + (f"按年化{pct(ask.yearly_rate)}不变，" if ask.yearly_rate and not ask.grace else "")
            + f"从{start}开始每月还{yuan(ask.monthly)}，共{ask.months}期？我是在还没有逾期之前提前跟你商量。」"),
        "wait_promise": lambda: "# 「在还清你之前，我不会提前还其他任何一笔欠款；除了留给各笔分期的钱，有富余就先还给你。」",
        "wait_confirm": lambda: "# 「我把新的还款安排用微信或短信发给你，你回复一句同意就行，我们都留个记录。」",
        "wait_refused": lambda: "   如果对方不同意：继续按原来的约定还款，再重新做一次计划；不要直接停止还款。",
        "wait_first": lambda: "   先和朋友谈，再联系其他各家：其他各家的分期只有在朋友同意缓还时才付得起，谈好之前不要签其他协议。",
        "waiver": lambda t, owed: (
            (f"# 「请减免已产生的罚息{yuan(owed)}" + ("，今后也不再计收罚息" if t.penalty_waiver > owed + 0.005 else "") + "。」")
            if owed else "# 「请今后不再计收罚息。」"),
        "offer": lambda t: (
            f"# 对方提出{t.offer_by}前一次性结清{yuan(t.offer_amount)}："
            f"{'建议接受' if t.take_offer else '除非条件更好，否则建议不接受'}。"),
        "limit": lambda t, limited, shared, friend: (
            (f"   自己心里的底线（不要告诉对方）：{t.break_even_by}前你最多能凑出{yuan(t.break_even)}；"
             f"在这个数以内一次性结清都比现有计划划算，但不要答应超过这个数。" if limited else
             f"   自己心里的底线（不要告诉对方）：{t.break_even_by}前一次性结清不超过{yuan(t.break_even)}才比现有计划划算。")
            + "开价要远低于这个数。"
            + ("各家的底线算的是同一笔钱，不能相加：一家结清用掉这笔钱后，其他家的底线就不再成立。" if shared else "")
            + (f"你答应过{friend}在还清之前不提前还别人：在那之前结清，要先征得对方同意。" if friend else "")),
        "collection_rules": lambda: (
            "# 「催收只能在早8点到晚10点之间联系，每天有效通话不超过3次，不得向我的家人和通讯录联系人透露这笔债务。"
            "否则我会向监管部门投诉。」"),
        "evidence": lambda: "   保留暴力催收的录音和截图，作为投诉证据。",
        "court": lambda enforcement: (
            f"   案件已进入法院程序：按以上条件申请{'执行和解' if enforcement else '诉讼调解'}；法院的任何通知都不要置之不理。"),
        "enforcement_savings": lambda: (
            "   执行期间，法院可以冻结、划拨你账户里的钱，你也必须如实申报收入和财产（财产报告）。把这份还款计划告诉执行法官，"
            "包括计划为后面的分期预留的钱，以免被认为隐匿财产、有能力而拒不履行。"),
        "card_good_faith": lambda: (
            "   信用卡欠款5万元以上、经两次催收后超过3个月仍不还，可能被认定为恶意透支（刑法第196条）；"
            "尽量按能力还款，并保留一直积极联系、诚意还款的证据。"),
        "confirm": lambda: "# 「达成的方案请以书面形式（短信或函件）确认金额和日期，我收到后再还款。」",
        "keep_records": lambda: "   保存每一份书面确认、还款凭证和通话记录。",
        "no_call": lambda: "   不需要打电话：计划按合同继续按时还这笔借款，注意不要逾期。",
    },
}
