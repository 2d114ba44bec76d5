"""The papers a borrower sends and keeps: a negotiation letter and a dispute letter per lender, and
a one-page plan, in Chinese (default) or English, each as an editable DOCX and a printable PDF.

* **协商还款申请书 / negotiation request**: who is writing (blanks the borrower fills: name, the
  last digits of the ID, the contract number), the hardship with the proof offered, the ask
  (installments at the capped rate, penalty waiver, or the lender's settlement offer when the plan
  takes it), the itemised statement request, the collection-conduct paragraph where collection is
  abusive, and the request for written confirmation.
* **异议书 / dispute**: for a loan whose charges or rate exceed the legal cap, or whose whole
  balance was demanded early: the cap and its source, claimed against allowed, the amount
  disputed, the early-acceleration objection.
* **还款计划 / one-page plan**: this month's payments, the next 12 months per lender, whom to call
  in which order, what each agreement requires, and until when each credit record is kept.

Every figure comes from :func:`optimizer.negotiate.negotiation_targets`, formatted by the same
:func:`optimizer.scripts.yuan` the ``targets`` command prints with, so a letter and the call script
cannot disagree. The plan's payments are the negotiated plan's, to the fen, as ``debtplan solve
--strategy negotiated --out`` writes them. The break-even settlement amount is the borrower's own
limit: nothing here reads it.

Functions return bytes (:func:`letter_files`, or :func:`optimizer.typeset.to_docx` /
:func:`~optimizer.typeset.to_pdf` of one :class:`~optimizer.typeset.Document`), so the CLI writes
them and the dashboard can offer them for download.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from .export import to_fen
from .ledger import SETTLED_BELOW
from .legal import PRIVATE_RULE_CHANGE
from .negotiate import LoanTarget, Targets, undisputed_penalty
from .planner import AGREED_RECORD_NOTE, AGREED_RECORD_NOTE_ZH, credit_records, summarize
from .scenario import Loan, month_label
from .scripts import _start as ask_start_month  # the first installment month the call script says
from .scripts import months_in_words, pct, yuan
from .scripts import who as lender_and_loan
from .typeset import Bullets, Document, Heading, Paragraph, Table, keep, to_docx, to_pdfs

Lang = Literal["zh", "en"]

PLAN_MONTHS = 12  # months shown per lender on the one-page plan
LENDERS_PER_TABLE = 6  # columns of the month table that still fit the page's width
PAID_AHEAD_FROM = 1.0  # yuan above an installment before the plan calls it paid ahead
BLANK = "________________"
SHORT_BLANK = "________"


# ---- what applies to a loan ----------------------------------------------------------------------


def above_cap(t: LoanTarget) -> bool:
    return t.cap.disputable > 0.005 or t.yearly_rate > t.cap.yearly_rate + 1e-9


def asks_waiver(targets: Targets, t: LoanTarget) -> bool:
    """Waiving penalty interest is asked of a loan already overdue that bears it; a card bears none
    since 2017 (银发〔2016〕111号: a 违约金 instead)."""
    loan = targets.scenario.loans[t.index]
    return (t.penalty_waiver > 0.005 and not loan.credit_card
            and (loan.days_overdue > 0 or loan.penalty_owed > 0 or loan.accelerated))


def has_negotiation(targets: Targets, t: LoanTarget) -> bool:
    """Something to ask this lender for in a letter: installments, taking its offer, or waiving
    penalty interest on a loan already overdue (a loan on schedule needs no letter: it needs
    paying; a private lender asked to wait is asked in person, and confirms in writing)."""
    return (t.installment_ask is not None and not t.asked_to_wait) or bool(t.take_offer) or asks_waiver(targets, t)


def has_dispute(targets: Targets, t: LoanTarget) -> bool:
    """Charges or the rate above the cap, or the whole balance demanded before the contract's
    threshold (as the targets judge it: a sued loan's objection belongs in court). Not for a loan
    in enforcement: a judgment has fixed what is owed, and a letter cannot dispute it."""
    if targets.scenario.loans[t.index].enforcement:
        return False
    return above_cap(t) or t.early_acceleration


def who(t: LoanTarget, lang: Lang) -> str:
    return lender_and_loan(t.lender, t.loan, lang)


def _last_month(targets: Targets, t: LoanTarget) -> str:
    ask = t.installment_ask
    return month_label(targets.scenario.start, ask.grace + ask.months - 1)


def _grace(ask, lang: Lang) -> str:
    """The months before the first full installment, in a letter's words."""
    if lang == "zh":
        if ask.step:
            return f"（此前{ask.grace}个月每月先还{yuan(ask.step)}，期间照常计息，这{ask.grace}个月结束时待还{yuan(ask.at_first_installment)}）"
        if ask.grace:
            return f"（此前{ask.grace}个月暂缓还款，期间照常计息，延期结束时待还{yuan(ask.at_first_installment)}）"
        return ""
    if ask.step:
        return (f" (after {ask.grace} months at {yuan(ask.step)} a month, with their interest: "
                f"{yuan(ask.at_first_installment)} when the full installments start)")
    if ask.grace:
        return (f" (after {ask.grace} months' grace, with its interest: {yuan(ask.at_first_installment)} when the "
                f"installments start)")
    return ""


def _court(loan: Loan, lang: Lang) -> str | None:
    if not (loan.lawsuit or loan.enforcement):
        return None
    if lang == "zh":
        return ("本笔借款已进入执行程序，本人愿意按上述方案与贵司达成执行和解。" if loan.enforcement else
                "本笔借款已进入诉讼程序，本人愿意按上述方案申请诉讼调解。")
    return (f"This loan is in enforcement; I ask to settle it on these terms as an enforcement settlement ({keep('执行和解')})."
            if loan.enforcement else
            f"This loan is before the court; I ask to settle it on these terms through court mediation ({keep('诉讼调解')}).")


# ---- shared parts of both letters ----------------------------------------------------------------


def _addressee(t: LoanTarget, loan: Loan, lang: Lang) -> list:
    card = loan.credit_card
    if lang == "zh":
        return [
            Paragraph(f"致：{t.lender}"),
            Paragraph(f"{'信用卡' if card else '借款产品'}：{t.loan}"
                      + (f"　　合同签订日期：{loan.contract_date.isoformat()}" if loan.contract_date else "")),
            Paragraph(f"申请人（姓名）：{BLANK}　　身份证号码后四位：{SHORT_BLANK}"),
            Paragraph(f"{'信用卡卡号后四位' if card else '借款合同编号'}：{BLANK}　　联系电话：{BLANK}"),
        ]
    return [
        Paragraph(f"To: {t.lender}"),
        Paragraph(f"{'Credit card' if card else 'Loan'}: {t.loan}"
                  + (f"    Contract signed: {loan.contract_date.isoformat()}" if loan.contract_date else "")),
        Paragraph(f"From (name): {BLANK}    Last 4 digits of ID card: {SHORT_BLANK}"),
        Paragraph(f"{'Last 4 digits of the card' if card else 'Contract number'}: {BLANK}    Phone: {BLANK}"),
    ]


def _closing(last: Paragraph, lang: Lang) -> list:
    """The letter's last paragraph and the signature lines, kept on one page."""
    if lang == "zh":
        lines = [Paragraph("此致", indent=True), Paragraph("敬礼！"), Paragraph(f"申请人（签名）：{BLANK}", align="right"),
                 Paragraph("日期：________年____月____日", align="right")]
    else:
        lines = [Paragraph("Yours faithfully,"), Paragraph(f"Signature: {BLANK}", align="right"),
                 Paragraph(f"Date: {BLANK}", align="right")]
    chain = [last, *lines]
    return [p._replace(keep_with_next=k < len(chain) - 1) for k, p in enumerate(chain)]


def _rewrite(doc: Document, change, tables: bool = True) -> Document:
    """``doc`` with ``change`` applied to the text of every block (and of tables' cells if ``tables``)."""
    def fix(block):
        if isinstance(block, (Heading, Paragraph)):
            return block._replace(text=change(block.text))
        if isinstance(block, Bullets):
            return block._replace(items=tuple(change(x) for x in block.items))
        if isinstance(block, Table) and tables:
            return block._replace(rows=tuple(tuple(change(c) for c in row) for row in block.rows))
        return block

    return doc._replace(blocks=tuple(fix(b) for b in doc.blocks))


def _addressed(doc: Document, loan: Loan) -> Document:
    """A private lender may be a person, not a company: 贵方 instead of 贵司; a card is issued by a
    bank: 贵行. Chinese text writes its months as 2027年5月 (tables keep the compact 2027-05)."""
    if doc.lang != "zh":
        return doc
    doc = _in_words(doc)
    if not (loan.lender_type == "private" or loan.credit_card):
        return doc
    you = "贵行" if loan.credit_card else "贵方"
    return _rewrite(doc, lambda text: text.replace("贵司", you))


def _in_words(doc: Document) -> Document:
    """A Chinese document's sentences with months as 2027年5月; tables keep 2027-05."""
    if doc.lang != "zh":
        return doc
    return _rewrite(doc._replace(title=months_in_words(doc.title, "zh")), lambda text: months_in_words(text, "zh"),
                    tables=False)


def _statement_request(loan: Loan, lang: Lang) -> str:
    if lang == "zh":
        if loan.credit_card:
            return ("请贵司在收到本函后十五日内，以书面形式提供本信用卡欠款的明细，分项列明本金、利息、违约金、分期手续费"
                    "和其他费用，并提供信用卡领用合约和历次还款记录" + ("，以及要求一次性还清全部欠款的通知" if loan.accelerated else "") + "。")
        return ("请贵司在收到本函后十五日内，以书面形式提供本笔借款的还款明细，分项列明本金、利息、罚息和各项费用"
                "（如服务费、担保费、违约金），并提供借款合同和历次还款记录"
                + ("，以及要求提前一次性还款的通知" if loan.accelerated else "") + "。")
    if loan.credit_card:
        return ("Within fifteen days of receiving this letter, please send me in writing an itemised statement of what this card "
                "owes, listing principal, interest, late fees (违约金), installment fees and any other charges separately, together "
                "with the cardholder agreement and the record of my payments"
                + (", and the notice demanding the whole balance" if loan.accelerated else "") + ".")
    return ("Within fifteen days of receiving this letter, please send me in writing an itemised statement of this loan, "
            "listing principal, interest, penalty interest and every fee (service, guarantee or late fees) separately, "
            "together with the loan contract and the record of my payments"
            + (", and the notice demanding the whole balance" if loan.accelerated else "") + ".")


# ---- the negotiation letter ----------------------------------------------------------------------


def negotiation_letter(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> Document:
    """协商还款申请书 for one lender, carrying the targets' ask."""
    loan = targets.scenario.loans[t.index]
    zh = lang == "zh"
    blocks: list = _addressee(t, loan, lang)
    ask = t.installment_ask
    card = loan.credit_card
    if zh:
        situation = ((f"本人持有贵司信用卡（{t.loan}），目前欠款本金{yuan(loan.principal)}" if card else
                      f"本人{f'于{loan.contract_date.isoformat()}' if loan.contract_date else ''}与贵司签订借款合同（{t.loan}），"
                      f"目前剩余本金{yuan(loan.principal)}") + (f"，已逾期{loan.days_overdue}天" if loan.days_overdue else "") + "。"
                     + ("贵司已要求本人一次性偿还全部剩余欠款。" if loan.accelerated else "")
                     + "本人无意逃避债务，愿意还款，但目前确实无力按贵司要求的金额偿还，现书面申请协商还款。")
    else:
        situation = ((f"I hold your credit card ({t.loan}) with {yuan(loan.principal)} of principal outstanding" if card else
                      f"I have a loan with you ({t.loan}{f', signed {loan.contract_date.isoformat()}' if loan.contract_date else ''}) "
                      f"with {yuan(loan.principal)} of principal outstanding")
                     + (f", {loan.days_overdue} days overdue" if loan.days_overdue else "") + ". "
                     + ("You have demanded the whole remaining balance at once. " if loan.accelerated else "")
                     + "I do not intend to avoid this debt and I want to repay it, but I cannot pay what you are "
                       "demanding now, so I am writing to ask for a repayment arrangement.")
    blocks.append(Paragraph(situation, indent=zh))

    blocks.append(Heading("一、困难情况" if zh else "1. My circumstances"))
    others = len(targets.scenario.loans) > 1  # said only where the case has other loans
    if zh:
        blocks.append(Paragraph(
            f"本人因{BLANK}（例如：失业、收入下降、疾病、家庭变故），收入明显减少。每月收入扣除房租、饮食、交通等基本生活开支后，"
            f"可用于还款的金额有限{'，同时还需偿还其他借款' if others else ''}。本人已停止一切新的借贷，不再以贷养贷。", indent=True))
        blocks.append(Paragraph("本人可提供以下证明材料（请勾选）：" + "　".join(
            keep(x) for x in ("□ 收入证明", "□ 失业证明", "□ 银行流水", "□ 医疗证明", f"□ 其他：{SHORT_BLANK}")), indent=True))
    else:
        blocks.append(Paragraph(
            f"Because of {BLANK} (for example: job loss, lower income, illness, a family emergency) my income has fallen. "
            "After rent, food and transport, what is left each month for repayments is limited"
            + (", and I have other loans to repay as well" if others else "")
            + ". I have stopped all new borrowing and will not borrow to repay."))
        blocks.append(Paragraph("I can provide (tick):   " + "   ".join(
            keep(x) for x in ("[ ] proof of income", "[ ] proof of unemployment", "[ ] bank statements",
                              "[ ] medical certificate", f"[ ] other: {SHORT_BLANK}"))))

    blocks.append(Heading("二、协商方案" if zh else "2. What I propose"))
    asks: list[str] = []
    if ask is not None:
        start = ask_start_month(targets, t)
        if zh and card:
            asks.append(
                f"个性化分期还款：本人仍有还款意愿，但欠款金额已超出本人目前的还款能力。根据《商业银行信用卡业务监督管理办法》"
                f"第七十条，请贵司{'不再要求一次性还清全部欠款，' if loan.accelerated else ''}与本人协商达成个性化分期还款协议："
                f"待还金额{yuan(ask.principal)}（欠款本金加利息和费用），年化利率{pct(ask.yearly_rate)}，"
                f"从{start}开始" + _grace(ask, lang)
                + f"，每月还{yuan(ask.monthly)}，共{ask.months}期，至{_last_month(targets, t)}还清；每月还款日为____日。")
        elif zh:
            asks.append(
                f"分期还款：请贵司{'不再要求一次性全额还款，' if loan.accelerated else ''}同意本笔借款按以下方案分期偿还："
                f"待还金额{yuan(ask.principal)}（剩余本金加上限内的利息和费用，免除罚息），年化利率{pct(ask.yearly_rate)}，"
                f"从{start}开始" + _grace(ask, lang)
                + f"，每月还{yuan(ask.monthly)}，共{ask.months}期，至{_last_month(targets, t)}还清；每月还款日为____日。")
        else:
            what = ("the principal plus interest and fees" if card else
                    "the principal plus the interest and fees allowed under the cap, penalty interest waived")
            asks.append(
                ("Personalised installments: I still intend to repay, but what I owe is now beyond what I can pay. Under "
                 "Art. 70 of the Measures on the Supervision of Credit Card Business of Commercial Banks (商业银行信用卡业务"
                 "监督管理办法), please agree a personalised installment plan with me" + (
                     ", instead of the whole balance you demand" if loan.accelerated else "") + f": I repay "
                 if card else
                 f"Installments: {'instead of the whole balance you demand, ' if loan.accelerated else ''}please agree that I repay ")
                + f"{yuan(ask.principal)} ({what}) at {pct(ask.yearly_rate)} a year: "
                f"I can pay {yuan(ask.monthly)} a month for {ask.months} months, starting {start}"
                + _grace(ask, lang)
                + f", the last in {_last_month(targets, t)}, on day ____ of each month.")
    if t.take_offer:
        if zh:
            asks.append(f"一次性结清：本人接受贵司提出的方案，于{t.offer_by}前一次性支付{yuan(t.offer_amount)}，结清本笔借款的全部欠款。"
                        "请贵司书面确认：付清该金额后，其余本金、利息、罚息和费用全部免除，不再追偿，并向征信机构报送结清。")
        else:
            asks.append(f"Settlement: I accept your offer to settle this loan in full for {yuan(t.offer_amount)} paid by {t.offer_by}. "
                        "Please confirm in writing that once it is paid, all remaining principal, interest, penalty interest and "
                        "fees are waived, nothing more will be claimed, and the loan is reported to the credit bureau as settled.")
    if asks_waiver(targets, t):
        owed = undisputed_penalty(loan, targets.scenario)
        more = t.penalty_waiver > owed + 0.005  # the current plan would still add penalty interest
        if zh:
            asks.append("减免罚息：请贵司减免本笔借款" + (f"已产生的罚息{yuan(owed)}及" if owed else "") + "今后产生的罚息"
                        + (f"（按本人目前的还款能力估算，如不调整，罚息合计约{yuan(t.penalty_waiver)}）" if more else "") + "。")
        else:
            asks.append("Penalty interest: please waive " + (f"the {yuan(owed)} of penalty interest charged so far and " if owed else "")
                        + "any penalty interest from now on"
                        + (f" (at what I can pay now, it would come to about {yuan(t.penalty_waiver)} in all if nothing changes)"
                           if more else "") + ".")
    court = _court(loan, lang)
    if court:
        asks.append(court)
    blocks.append(Bullets(tuple(asks), numbered=True))

    section = iter(["三", "四", "五", "六"] if zh else ["3", "4", "5", "6"])
    blocks.append(Heading(f"{next(section)}、请提供还款明细" if zh else f"{next(section)}. Itemised statement"))
    blocks.append(Paragraph(_statement_request(loan, lang), indent=zh))
    if loan.abusive_collection:
        blocks.append(Heading(f"{next(section)}、关于催收行为" if zh else f"{next(section)}. Collection"))
        blocks.extend(_collection_conduct(lang))
    blocks.append(Heading(f"{next(section)}、请书面确认" if zh else f"{next(section)}. Written confirmation"))
    blocks.extend(_closing(Paragraph(
        f"请贵司以书面形式（函件、短信或电子邮件）确认同意的还款方案，写明每期金额、还款日期、期数以及{'违约金' if card else '罚息'}和费用的减免情况，"
        "并确认本人按约还款期间停止催收、不再要求提前一次性还款。本人收到书面确认后即按约还款。" if zh else
        "Please confirm the arrangement you agree to in writing (letter, text message or e-mail), stating each installment's "
        f"amount and date, the number of installments and what {'late fees' if card else 'penalty interest'} and fees are waived, and confirming that "
        "collection stops and the whole balance will not be demanded while I pay as agreed. I will pay as soon as I receive "
        "your written confirmation.", indent=zh), lang))
    return _addressed(Document("协商还款申请书" if zh else "Request for a repayment arrangement", tuple(blocks), lang, "serif"), loan)


def _collection_conduct(lang: Lang) -> list:
    if lang == "zh":
        return [
            Paragraph(f"近期，贵司或贵司委托的催收人员存在{BLANK}（例如：晚上10点后或早上8点前来电、一天内多次来电、"
                      "联系本人的家人、同事或通讯录联系人）等行为。", indent=True),
            Paragraph("根据国家标准GB/T 45251-2025等催收规范，请贵司及贵司委托的机构：只在8:00至22:00之间联系本人；"
                      "每天有效通话不超过3次；不得向本人以外的任何人（家人、同事、通讯录联系人）透露本笔债务。"
                      "本人会保留相关通话录音、短信和截图作为证据；如再发生，本人将向金融监管部门投诉。", indent=True),
        ]
    return [
        Paragraph(f"Recently you or collectors acting for you have {BLANK} (for example: called after 22:00 or before 08:00, "
                  "called many times a day, contacted my family, colleagues or phone contacts)."),
        Paragraph("Under the national standard GB/T 45251-2025 and the collection rules, please make sure that you and anyone "
                  "acting for you contact me only between 08:00 and 22:00, make at most three effective calls a day, and never "
                  "tell anyone else (family, colleagues, contacts) about this debt. I will keep recordings, messages and "
                  "screenshots as evidence; if this continues I will complain to the financial regulator."),
    ]


# ---- the dispute letter --------------------------------------------------------------------------


def _cap_rule(targets: Targets, t: LoanTarget, loan: Loan, lang: Lang) -> tuple[str, str]:
    """(the cap in words, its source) for the loan's lender type, worded as the source words it:
    the courts do not support interest above it (private lending), or cut the combined charges
    above it when the borrower asks (financial loans)."""
    cap = t.cap
    if loan.lender_type == "private":
        law = targets.scenario.legal
        signed = loan.contract_date or targets.scenario.start
        if signed < PRIVATE_RULE_CHANGE:
            if lang == "zh":
                return (f"本借款合同成立于{signed.isoformat()}，早于2020年8月20日：2020年8月19日前的利息按年利率"
                        f"{law.private_old_cap:.0%}保护，此后的利息、逾期利息、违约金和其他费用总计超过起诉时一年期贷款市场报价利率（LPR）"
                        f"{law.private_lpr_multiple:g}倍（按现行LPR即年化{pct(cap.yearly_rate)}）的部分，人民法院不予支持",
                        "《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》（2020年第二次修正）第二十五条、第二十九条、第三十一条")
            return (f"the contract was made on {signed.isoformat()}, before 2020-08-20: interest up to 2020-08-19 is protected up "
                    f"to {law.private_old_cap:.0%} a year; after that, interest, overdue interest, penalties and fees together above "
                    f"{law.private_lpr_multiple:g} × the one-year LPR when suit is filed ({pct(cap.yearly_rate)} a year at today's "
                    "LPR) are not supported by the courts",
                    "SPC Provisions on Private Lending Cases (2020 amendment), Arts. 25, 29 and 31")
        signed = signed.isoformat()
        if lang == "zh":
            return (f"约定的利率超过合同成立时（{signed}）一年期贷款市场报价利率（LPR）{law.private_lpr_multiple:g}倍"
                    f"（即年化{pct(cap.yearly_rate)}）的部分，人民法院不予支持；逾期利息、违约金和其他费用总计超过该上限的部分，"
                    "人民法院也不予支持",
                    "《最高人民法院关于审理民间借贷案件适用法律若干问题的规定》（2020年第二次修正）第二十五条、第二十九条")
        return (f"interest above {law.private_lpr_multiple:g} × the one-year loan prime rate (LPR) when the contract was made "
                f"({signed}), i.e. {pct(cap.yearly_rate)} a year, is not supported by the courts, nor is overdue interest, "
                "penalties and fees together above that cap",
                "SPC Provisions on Private Lending Cases (2020 amendment), Arts. 25 and 29")
    if lang == "zh":
        return (f"金融借款的贷款人同时主张的利息、复利、罚息、违约金和其他费用总计超过年利率{pct(cap.yearly_rate)}的部分，"
                "借款人请求调减的，人民法院应予支持；本人据此请求调减",
                "《最高人民法院关于进一步加强金融审判工作的若干意见》（法发〔2017〕22号）第二条")
    return (f"where a lender claims interest, compound interest, penalty interest, late fees and other charges that together "
            f"exceed {pct(cap.yearly_rate)} a year, the courts cut the part above it at the borrower's request; I so request",
            "SPC Opinions on Further Strengthening Financial Adjudication (法发〔2017〕22号), Art. 2")


def _cap_days(loan: Loan, cap) -> int | None:
    """The days of charges the cap's estimate allows, read back from it (principal × cap × days /
    365), so the letter can show a sum the lender can check; None where it is not a whole number."""
    if loan.principal <= 0 or cap.yearly_rate <= 0:
        return None
    days = cap.allowed_charges * 365 / (loan.principal * cap.yearly_rate)
    return round(days) if abs(days - round(days)) < 1e-6 and loan.days_overdue > 0 else None


def dispute_letter(targets: Targets, t: LoanTarget, lang: Lang = "zh") -> Document:
    """异议书: charges or rate above the legal cap, and/or an early demand for the whole balance."""
    loan = targets.scenario.loans[t.index]
    zh = lang == "zh"
    cap = t.cap
    blocks: list = _addressee(t, loan, lang)
    over, early = above_cap(t), t.early_acceleration
    topics = [x for x, on in ((("部分利息和费用" if zh else "some of the interest and charges you claim"), over),
                              (("要求提前一次性还款" if zh else "your demand for the whole balance"), early)) if on]
    blocks.append(Paragraph(
        f"就本人与贵司的借款合同（{t.loan}，剩余本金{yuan(loan.principal)}），贵司目前主张的{'和'.join(topics)}不符合法律规定，"
        "本人特此书面提出异议。" if zh else
        f"Regarding my loan with you ({t.loan}, {yuan(loan.principal)} of principal outstanding), I dispute "
        f"{' and '.join(topics)}, for the reasons below.", indent=zh))
    section = iter(["一", "二", "三"] if zh else ["1", "2", "3"])
    requests: list[str] = []
    if over:
        rule, source = _cap_rule(targets, t, loan, lang)
        blocks.append(Heading(f"{next(section)}、利息、罚息和费用超过司法保护的上限" if zh else
                              f"{next(section)}. Charges above the legal cap"))
        blocks.append(Paragraph((f"{rule}。依据：{source}。") if zh else f"The legal cap: {rule} ({source}).",
                                indent=zh))
        if cap.disputable > 0.005:
            head = ("项目", "金额") if zh else ("Item", "Amount")
            rows = (
                (("贵司主张的利息" if zh else "Interest you claim"), yuan(loan.interest_owed)),
                (("贵司主张的罚息" if zh else "Penalty interest you claim"), yuan(loan.penalty_owed)),
                (("贵司主张的费用" if zh else "Fees you claim"), yuan(loan.fees_owed)),
                (("主张合计" if zh else "Claimed in all"), yuan(cap.claimed_charges)),
                (("上限内可主张（估算）" if zh else "Allowed under the cap (estimate)"), yuan(cap.allowed_charges)),
                (("本人提出异议的金额" if zh else "Amount I dispute"), yuan(cap.disputable)),
            )
            blocks.append(Table(head, rows, (3, 1.4), bold_last_row=True))
            days = _cap_days(loan, cap)
            basis = ((f"剩余本金{yuan(loan.principal)}×年化{pct(cap.yearly_rate)}×{days}天÷365"
                      f"（{days}天：逾期{loan.days_overdue}天，加首笔未还分期所属的30天）") if zh else
                     (f"{yuan(loan.principal)} principal × {pct(cap.yearly_rate)} × {days} days ÷ 365 ({days} days: "
                      f"{loan.days_overdue} days overdue plus the 30 days of the first unpaid installment)")) if days else ""
            blocks.append(Paragraph(
                f"按上述上限估算，贵司目前可主张的利息、罚息和费用合计约{yuan(cap.allowed_charges)}，超出的{yuan(cap.disputable)}"
                f"本人不予认可，请贵司核减。该估算为{basis or '剩余本金按上限计算的利息'}，以贵司提供的分项明细为准。" if zh else
                f"Under the cap, about {yuan(cap.allowed_charges)} of interest, penalty interest and fees can be claimed now; "
                f"I do not accept the {yuan(cap.disputable)} above it and ask you to remove it. The estimate is "
                f"{basis or 'the principal outstanding at the cap for the time overdue'}; your itemised statement will settle "
                "the exact figure.", indent=zh))
            requests.append(f"核减超出上限的{yuan(cap.disputable)}" if zh else
                            f"remove the {yuan(cap.disputable)} above the legal cap")
        if t.yearly_rate > cap.yearly_rate + 1e-9:
            blocks.append(Paragraph(
                f"合同约定的年化利率{pct(t.yearly_rate)}超过上述上限，今后的利息、罚息和费用合计不应超过年化{pct(cap.yearly_rate)}。" if zh else
                f"The contract rate of {pct(t.yearly_rate)} a year is above this cap; from now on interest, penalty interest and "
                f"fees together should not exceed {pct(cap.yearly_rate)} a year.", indent=zh))
            requests.append(f"今后按不超过年化{pct(cap.yearly_rate)}计收利息、罚息和费用" if zh else
                            f"charge no more than {pct(cap.yearly_rate)} a year in all from now on")
    if early:
        blocks.append(Heading(f"{next(section)}、提前要求一次性还款" if zh else f"{next(section)}. Early demand for the whole balance"))
        blocks.append(Paragraph(
            f"本人逾期{loan.days_overdue}天，贵司即要求一次性偿还全部剩余欠款。提前到期（加速到期）须有合同明确约定、约定的条件已经成就，"
            "并依法通知本人。请贵司出示合同中的提前到期条款和向本人发出的通知；如约定条件尚未成就，请撤销提前到期，恢复按期分期还款。"
            "在此之前，本人对提前到期提出异议。" if zh else
            f"My loan was {loan.days_overdue} days overdue when you demanded the whole remaining balance. Acceleration requires a "
            "clear clause in the contract, its condition to be met, and notice to me. Please show me the clause and the notice; "
            "if the condition has not been met, please withdraw the demand and restore the installments. Until then I dispute it.",
            indent=zh))
        requests.append("撤销提前到期，恢复按期分期还款" if zh else "withdraw the demand for the whole balance and restore the installments")
    blocks.append(Heading(f"{next(section)}、请求" if zh else f"{next(section)}. What I ask"))
    requests.insert(0, "书面提供分项还款明细（本金、利息、罚息、费用）及计算依据" if zh else
                    "send an itemised statement (principal, interest, penalty interest, fees) and how each was calculated")
    requests.append("异议处理期间，暂停就上述争议部分进行催收" if zh else "pause collection of the disputed amounts while this is resolved")
    blocks.append(Bullets(tuple(requests), numbered=True))
    blocks.extend(_closing(Paragraph(
        "请于收到本函后十五日内书面答复。本人愿意偿还依法应还的款项，同时保留向金融监管部门投诉和依法主张权利的权利。" if zh else
        "Please reply in writing within fifteen days of receiving this letter. I am willing to repay what is lawfully owed, and I "
        "reserve the right to complain to the financial regulator and to pursue my rights at law.", indent=zh), lang))
    return _addressed(Document("异议书" if zh else "Letter of dispute", tuple(blocks), lang, "serif"), loan)


# ---- the one-page plan ---------------------------------------------------------------------------


def agreement_shortfalls(targets: Targets) -> dict[tuple[int, int], float]:
    """(loan, month) → the installment the ask requires there, where the negotiated plan pays less
    while the loan still owes it: the plan would break the agreement in that month."""
    ledger = to_fen(targets.negotiated.ledger)
    out: dict[tuple[int, int], float] = {}
    for t in targets.loans:
        ask = t.installment_ask
        if ask is None:
            continue
        i = t.index
        due = ask.due(ledger.terms.horizon)
        for k in (k for k, amount in enumerate(due) if amount > 0):
            owed = ledger.balance[i, k] + ledger.interest[i, k] + ledger.penalty[i, k] + ledger.fees[i, k]
            needed = min(due[k], owed)  # the last installment is what is left
            if ledger.payments[i, k] + 0.005 < needed:
                out[i, k] = round(needed, 2)
    return out


def _money(x: float) -> str:
    return "—" if abs(x) < 0.005 else f"{x:,.2f}"


def plan_page(targets: Targets, lang: Lang = "zh", today: dt.date | None = None) -> Document:
    """还款计划: what to pay and whom to call, on one printed page (for up to about six lenders)."""
    zh = lang == "zh"
    scenario = targets.scenario
    ledger = to_fen(targets.negotiated.ledger)
    months = ledger.terms.months
    order = sorted(targets.loans, key=lambda x: x.call_rank)
    short = agreement_shortfalls(targets)
    # Still overdue after the month's payment: read on the exact plan, since rounding payments to
    # the fen leaves fractions of a fen below a schedule that is not itself in fen.
    exact = targets.negotiated.ledger
    behind = (exact.overdue[:, 1:] > SETTLED_BELOW) | (exact.behind[:, 1:] & (exact.overdue[:, 1:] == 0))

    def mark(i: int, k: int) -> str:
        return ("*" if (i, k) in short else "") + ("!" if behind[i, k] else "")

    summary = summarize(targets.negotiated)
    blocks: list = []
    free = summary.debt_free_month
    blocks.append(Paragraph(
        (f"本计划假设各贷款方同意协商还款申请书中的方案：{f'{free}还清' if free else '期限内无法全部还清'}，共还{yuan(summary.total_paid)}。"
         "在对方书面确认前，本月仍按下表还款并保留凭证；每收到一个答复，重新生成计划。") if zh else
        (f"This plan assumes every lender agrees to the terms in its letter: debt-free {free or 'not within the plan'}, "
         f"{yuan(summary.total_paid)} paid in all. Until a lender confirms in writing, still pay this month's amounts and keep "
         "the receipts; after each answer, make the plan again."), small=True))
    if not targets.asks_fit:
        blocks.append(Paragraph(
            f"注意：即使按最长期限分期，仍有月份超出可用资金，共{yuan(targets.shortfall.sum())}；可请求更长的延期或一次性结清。" if zh else
            f"Note: even at the longest terms the asks exceed the money available by {yuan(targets.shortfall.sum())} in all; "
            "ask for a longer grace period or a settlement.", small=True))

    # This month.
    first = months[0]
    blocks.append(Heading(f"本月（{first}）还款" if zh else f"This month ({first})"))
    rows = []
    for t in order:
        paid = ledger.payments[t.index, 0]
        rows.append((who(t, lang), _money(paid) + mark(t.index, 0), month_note(targets, t, 0, lang, paid)))
    rows.append(("合计" if zh else "Total", _money(ledger.payments[:, 0].sum()),
                 (f"月末结余{ledger.cash[1]:,.2f}" if zh else f"left at month end {ledger.cash[1]:,.2f}")))
    blocks.append(Table(("贷款方" if zh else "Lender", "金额（元）" if zh else "Amount (¥)", "说明" if zh else "What it is"),
                        tuple(rows), (3.2, 1.4, 4.0), "LRL", bold_last_row=True))

    # The next twelve months: months as rows, up to six lenders per table (more lenders: more tables).
    shown = months[:PLAN_MONTHS]
    blocks.append(Heading(f"未来{len(shown)}个月每月还款（元）" if zh else f"The next {len(shown)} months (¥)"))
    for g in range(0, len(order), LENDERS_PER_TABLE):
        group = order[g:g + LENDERS_PER_TABLE]
        last = g + LENDERS_PER_TABLE >= len(order)
        rows = []
        for k, month in enumerate(shown):
            cells = [_money(ledger.payments[t.index, k]) + mark(t.index, k) for t in group]
            rows.append((month, *cells, *([_money(ledger.payments[:, k].sum())] if last else [])))
        header = ("月份" if zh else "Month", *(who(t, lang) for t in group), *(["合计" if zh else "Total"] if last else []))
        blocks.append(Table(header, tuple(rows), (1.0, *([1.6] * (len(header) - 1)))))
    if short:
        blocks.append(Paragraph(
            "* 低于协议要求的每期金额：协议要求每期在当月足额还款，提前多还不能抵后面的月份；这些月份请至少还满每期金额"
            "（从多还的贷款中调出），或事先与贷款方书面约定。" if zh else
            "* Less than the agreed installment: an agreement needs each installment paid in full in its month, and paying "
            "ahead does not excuse a later one; pay at least the installment in these months (moving money from a loan paid "
            "ahead) or agree otherwise in writing first.",
            small=True))

    if behind[:, :len(shown)].any():
        blocks.append(Paragraph(
            "! 本月还款后这笔借款仍有逾期（按合同或协议计算）：会产生罚息，可能被上报征信、要求全额还款或起诉。" if zh else
            "! Still overdue after this month's payment (against the contract or the agreement): it is charged penalty "
            "interest and may be reported, accelerated or sued.", small=True))

    blocks.append(Heading("拨打顺序和请求" if zh else "Whom to call, in this order"))
    blocks.append(Bullets(tuple(f"{who(t, lang)}：{ask_summary(targets, t, lang)}" if zh else
                                f"{who(t, lang)}: {ask_summary(targets, t, lang)}" for t in order), numbered=True))

    blocks.append(Heading("每项协议的要求" if zh else "What each agreement requires"))
    blocks.append(Bullets(tuple(_requirement(targets, t, lang) for t in order)))

    records = credit_records(targets.negotiated, scenario.legal.credit_record_years)
    if records:
        years = scenario.legal.credit_record_years
        blocks.append(Heading("征信记录" if zh else "Credit records"))
        items = []
        for name, (cleared, until) in records.items():
            if cleared is None:
                items.append(f"{name}：本计划内未还清；不良记录在还清后保留{years}年。" if zh else
                             f"{name}: not repaid within this plan; the record stays {years} years after repayment.")
            else:
                # ``cleared`` is the month the default ends (arrears cured under an agreement, or
                # repaid), not the month the debt is paid off: an agreed plan may run years longer.
                agreed = name in targets.negotiated.ledger.terms.under_agreement
                items.append(f"{name}：按本计划逾期于{cleared}结束，不良记录约保留至{until}"
                             f"（自逾期结束起{years}年，《征信业管理条例》第十六条；以贷款方实际报送为准）。"
                             + (AGREED_RECORD_NOTE_ZH if agreed else "") if zh else
                             f"{name}: under this plan the default ends {cleared}; the record is kept until about {until} "
                             f"({years} years from the end of the default, Credit Reporting Regulation Art. 16; as the lender "
                             "reports it)." + (f" Note: {AGREED_RECORD_NOTE}" if agreed else ""))
        blocks.append(Bullets(tuple(items)))

    blocks.append(Heading("请记住" if zh else "Remember"))
    blocks.append(Bullets((
        "停止一切新的借贷，不要以贷养贷。" if zh else "Stop all new borrowing: never borrow from one app to repay another.",
        "协商时主动提供困难证明（收入证明、失业证明、银行流水）。" if zh else
        "Offer proof of hardship when you ask (proof of income or unemployment, bank statements).",
        "每一项协议都要书面确认（函件或短信），写明金额和日期；还款保留凭证。" if zh else
        "Get every agreement in writing with amounts and dates; keep every receipt.",
        "遇到暴力催收，保留录音、短信和截图作为投诉证据。" if zh else
        "If collectors harass you, keep recordings, messages and screenshots as evidence for a complaint.",
        "法院的任何通知都不要置之不理。" if zh else "Never ignore a letter from a court.",
    )))
    made = (today or dt.date.today()).isoformat()
    return _in_words(Document(
        f"还款计划（{first}起）" if zh else f"Repayment plan from {first}", tuple(blocks), lang, "sans", compact=True,
        footer=(f"{scenario.title + '  ·  ' if scenario.title else ''}生成于{made}" if zh else
                f"{scenario.title + '  ·  ' if scenario.title else ''}made {made}")))


def month_note(targets: Targets, t: LoanTarget, k: int, lang: Lang, paid: float | None = None) -> str:
    """What a payment in plan month ``k`` (0-based) is, for the plan page and the calendar."""
    zh = lang == "zh"
    ask = t.installment_ask
    if ask is not None:
        n = k - ask.grace + 1
        if n < 1 and not ask.step:
            if paid:
                return "暂缓还款期（如对方同意），提前还款" if zh else "grace period (if agreed), paid ahead"
            return "暂缓还款期（如对方同意）" if zh else "grace period (if agreed)"
        if n > ask.months:
            return "协商分期已还完" if zh else "installments complete"
        stepped = n < 1  # a step-up payment of the grace
        # A fen or two above what is asked is rounding to the fen, not paying ahead.
        extra = paid - (ask.step if stepped else ask.monthly) if paid is not None else 0.0
        more = ((f"（另提前还{yuan(extra)}）" if zh else f" plus {yuan(extra)} paid ahead")
                if extra >= PAID_AHEAD_FROM else "")
        if stepped:
            return (f"阶梯还款第{k + 1}/{ask.grace}期（如对方同意）" if zh else
                    f"step-up payment {k + 1} of {ask.grace} (if agreed)") + more
        return (f"协商分期第{n}/{ask.months}期" if zh else f"installment {n} of {ask.months} (as asked)") + more
    if t.take_offer:
        return f"一次性结清：{t.offer_by}前共{yuan(t.offer_amount)}" if zh else f"settlement: {yuan(t.offer_amount)} by {t.offer_by}"
    return "按原合同" if zh else "contract installment"


def ask_summary(targets: Targets, t: LoanTarget, lang: Lang) -> str:
    zh = lang == "zh"
    loan = targets.scenario.loans[t.index]
    parts = []
    ask = t.installment_ask
    if t.asked_to_wait:
        start = ask_start_month(targets, t)
        parts.append(f"请对方缓还：{start}起每月{yuan(ask.monthly)}，共{ask.months}期" if zh else
                     f"ask them to wait: {ask.months} payments of {yuan(ask.monthly)} from {start}")
    elif ask is not None:
        start = ask_start_month(targets, t)
        parts.append(f"分期{ask.months}期，每月{yuan(ask.monthly)}，{start}起" if zh else
                     f"{ask.months} installments of {yuan(ask.monthly)} from {start}")
    if t.take_offer:
        parts.append(f"接受一次性结清{yuan(t.offer_amount)}（{t.offer_by}前）" if zh else
                     f"accept the settlement of {yuan(t.offer_amount)} by {t.offer_by}")
    if asks_waiver(targets, t):
        parts.append("减免罚息" if zh else "waive penalty interest")
    if t.cap.disputable > 0.005 and has_dispute(targets, t):
        parts.append(f"核减超出上限的{yuan(t.cap.disputable)}" if zh else f"remove {yuan(t.cap.disputable)} above the cap")
    if t.early_acceleration:
        parts.append("撤销提前到期" if zh else "withdraw the early demand for the whole balance")
    if loan.lawsuit or loan.enforcement:
        parts.append(("执行和解" if loan.enforcement else "诉讼调解") if zh else
                     ("as an enforcement settlement" if loan.enforcement else "through court mediation"))
    if not parts:
        return "无需协商，按原合同还款" if zh else "nothing to ask: keep paying as the contract says"
    return ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")


def _requirement(targets: Targets, t: LoanTarget, lang: Lang) -> str:
    zh = lang == "zh"
    name = who(t, lang)
    ask = t.installment_ask
    if ask is not None:
        start, end = ask_start_month(targets, t), _last_month(targets, t)
        return (f"{name}：每月{yuan(ask.monthly)}，共{ask.months}期（{start}至{end}），每期当月足额还款；提前多还不能抵后面的月份，"
                "漏还一期协议可能作废。" if zh else
                f"{name}: {yuan(ask.monthly)} every month, {ask.months} installments ({start} to {end}), each paid in full in its "
                "month; paying ahead does not excuse a later month, and one missed installment can void the agreement.")
    if t.take_offer:
        return (f"{name}：{t.offer_by}前付清{yuan(t.offer_amount)}；付款前取得书面结清确认，付款后索取结清证明。" if zh else
                f"{name}: pay {yuan(t.offer_amount)} by {t.offer_by}; get the settlement confirmed in writing before paying and a "
                "settlement certificate after.")
    return (f"{name}：无协议；按原合同按时还款。" if zh else f"{name}: no agreement; keep paying as the contract says.")


# ---- files ---------------------------------------------------------------------------------------

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _name_part(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._") or "lender"


def letter_files(targets: Targets, lang: Lang = "zh", today: dt.date | None = None) -> dict[str, bytes]:
    """Every document for the scenario, by file name: per lender a negotiation letter and, where
    it applies, a dispute letter, plus the one-page plan; each as DOCX and PDF. File names say the
    kind, the lender (and loan) and the date."""
    day = (today or dt.date.today()).isoformat()
    zh = lang == "zh"
    docs: list[tuple[str, Document]] = []
    for t in sorted(targets.loans, key=lambda x: x.call_rank):
        who = _name_part(t.lender if t.lender == t.loan else f"{t.lender}-{t.loan}")
        if has_negotiation(targets, t):
            docs.append((f"{'协商还款申请书' if zh else 'negotiation-letter'}_{who}_{day}", negotiation_letter(targets, t, lang)))
        if has_dispute(targets, t):
            docs.append((f"{'异议书' if zh else 'dispute-letter'}_{who}_{day}", dispute_letter(targets, t, lang)))
    docs.append((f"{'还款计划' if zh else 'repayment-plan'}_{day}", plan_page(targets, lang, today)))
    pdfs = to_pdfs([doc for _, doc in docs])
    files: dict[str, bytes] = {}
    for (stem, doc), pdf in zip(docs, pdfs):
        files[f"{stem}.docx"] = to_docx(doc)
        files[f"{stem}.pdf"] = pdf
    return files

