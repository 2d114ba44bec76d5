"""Every word the dashboard shows, in Chinese and English (terms as in DOMAIN.md §5), and the
formats that differ by language: months ("2027年1月" / "Jan 2027"), messages about bad input
(the engine's errors carry the file, loan and field as data; the words are put together here),
CSV headers in Chinese (an option; the CLI's English headers stay the default), and the page's
style sheet (text contrast, Streamlit's own uploader words, the phone's input button).
"""

from __future__ import annotations

import re

from optimizer.scripts import month_name, months_in_words  # noqa: F401 (the words the pages use)
from optimizer.planner import AGREED_RECORD_NOTE, AGREED_RECORD_NOTE_ZH
from optimizer.errors import (
    DebtplanError, EmptyScenario, NotText, NotToml, ScenarioFieldError, ScenarioFileError, ScenarioNotFound,
)

LANGS = ("zh", "en")
LANG_NAMES = {"zh": "中文", "en": "English"}

_TEXT: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "title": ("网贷逾期还款计划", "Repayment plan for overdue loans"),
    "tagline": (
        "先保基本生活，再安排还款：每月的钱怎么分、先找谁谈、该提什么要求。所有数据只在本机计算，不会上传。",
        "Essentials first, then repayments: how to split each month's money, whom to call first, what to ask for. "
        "Everything is computed on this machine; nothing is uploaded.",
    ),
    "language": ("语言", "Language"),
    "inputs": ("修改收入、开支和优先级", "Change income, expenses and priorities"),
    "scenario": ("案例文件", "Case file"),
    "choose": ("请选择", "Choose"),
    "upload": ("上传自己的案例文件（TOML格式）", "Upload your own case file (TOML)"),
    "upload_help": ("文件只在本机读取，不会上传到任何地方；最大1MB。", "The file is read on this machine only; at most 1 MB."),
    "bad_upload": ("上传的文件「{name}」无法使用，下面仍显示原来的案例。", "The uploaded file “{name}” cannot be used; the case below is unchanged. "),
    "using_upload": ("正在使用上传的文件「{name}」。删除上传（点文件旁的×）即可回到示例案例。",
                     "Using the uploaded file “{name}”. Remove the upload (× beside the file) to go back to the example cases."),
    "bad_file": ("案例文件有误：", "The case file has a problem: "),
    "unsaved_switch": ("你对当前案例做了修改，还没有保存到文件。切换到「{case}」后，这些修改仍保留在本页，切回来还在；关闭页面就会丢失，需要的话先下载。",
                       "You have changed this case and not saved it to a file. If you switch to “{case}”, your changes stay "
                       "on this page for when you come back, but they are lost when the page closes: download them first if you need them."),
    "unsaved": ("✎ 这个案例有修改，还没有保存到文件（可在「导出」下载）。", "✎ This case has changes not saved to a file (download them under Export)."),
    "switch_keep": ("切换（保留修改）", "Switch (keep my changes)"),
    "switch_discard": ("放弃修改并切换", "Discard changes and switch"),
    "switch_stay": ("留在当前案例", "Stay on this case"),
    "reset": ("恢复为文件中的数据", "Reset to file"),
    "reset_help": ("放弃对这个案例的所有修改（收入、开支、权重和借款表）。", "Drop every change to this case (income, expenses, weights and the loan table)."),
    "money": ("每月资金", "Money each month"),
    "income": ("月收入", "Monthly income"),
    "income_help": ("第一个计划月的收入；收入有变化时，整条收入曲线一起平移。",
                    "Income in the first plan month; if income changes over time, the whole schedule moves by the same amount."),
    "essentials": ("基本生活开支", "Essential expenses"),
    "essentials_help": ("房租、吃饭、交通等，计划不会动用这部分钱。", "Rent, food, transport: the plan never touches this money."),
    "horizon": ("计划期限", "Plan horizon"),
    "months_format": ("%d个月", "%d months"),
    "weights": ("什么最要紧", "What matters most"),
    "weights_help": (
        "每个滑块的意思：这类借款每逾期¥1、拖一个月，相当于多付多少利息。数字越大，计划越先还这类借款。",
        "Each slider says: one yuan overdue for one month on this kind of loan counts as how many yuan of interest. "
        "The larger it is, the sooner the plan pays such loans.",
    ),
    "w_interest": ("利息和罚息的分量（×1 = 按实际金额）", "Weight of interest and penalty (×1 = as charged)"),
    "w_interest_help": ("调低会更看重减少逾期，调高会更看重少付利息。", "Lower it to care more about being overdue, raise it to care more about interest."),
    "w_lawsuit": ("已被起诉的借款：每¥1逾期一个月，算多付", "Sued loan: ¥1 overdue for a month counts as"),
    "w_enforcement": ("已被法院强制执行的借款：每¥1逾期一个月，算多付", "Loan in court enforcement: ¥1 overdue for a month counts as"),
    "w_credit": ("上了征信的借款：每¥1逾期一个月，算多付", "Loan reported to the credit bureau: ¥1 overdue for a month counts as"),
    "w_collection": ("暴力催收的借款：每¥1逾期一个月，算多付", "Loan with abusive collection: ¥1 overdue for a month counts as"),
    "w_example": ("例如¥0.12：逾期¥1,000一个月，相当于多付¥120利息。", "For example ¥0.12: ¥1,000 overdue for a month counts like ¥120 of interest."),
    "basis": ("按什么计算利息", "Interest counted on"),
    "basis_cap": ("按法律保护的上限（法院会支持的部分）", "the legal cap (what a court enforces)"),
    "basis_claim": ("按出借方主张的金额", "the lender's claim"),
    "basis_help": ("超过法定上限的利息、罚息和费用，可以要求减免；详见「协商目标」。",
                   "Interest, penalty and fees above the legal cap can be disputed; see Negotiate."),
    "loans": ("显示和修改借款明细（{n}笔）", "Show and edit the loans ({n})"),
    "bad_edit": ("输入有误，下面仍显示上一个有效的计划：", "That input is not valid; the last good plan stays below:"),
    "view": ("查看", "View"),
    "view_plan": ("还款计划", "Plan"),
    "view_compare": ("方案对比", "Compare"),
    "view_negotiate": ("协商目标和通话稿", "Negotiate"),
    "view_export": ("导出", "Export"),
    "headline_free": ("{months}个月后（{month}）还清全部债务", "Debt-free in {months} months ({month})"),
    "headline_not_free": ("期限内无法还清：到{month}仍欠{left}", "Not debt-free within the horizon: {left} still owed in {month}"),
    "headline_paid": ("共还款{paid}", "total paid {paid}"),
    "headline_call": ("先联系：{who}", "call first: {who}"),
    "this_month": ("本月（{month}）怎么还", "This month ({month})"),
    "this_month_money": ("本月可用于还款{available}，按计划还{paid}，留存{kept}。",
                         "Money for debts this month: {available}; the plan pays {paid} and keeps {kept}."),
    "pay": ("还{amount}", "pay {amount}"),
    "why_due": ("本月应还的已还上", "what is due this month"),
    "why_clears": ("这笔还清", "clears this loan"),
    "why_ahead": ("比应还的{due}多还，提前减少利息", "more than the {due} due, to cut interest"),
    "why_part": ("本月应还{due}，钱不够，还差{short}", "{due} is due; the money falls {short} short"),
    "why_nothing_due": ("本月没有到期的款项", "nothing is due this month"),
    "why_behind": ("本月应还{due}，但钱要先给更要紧的借款，这笔暂时不还", "{due} is due, but the money goes to more urgent loans first"),
    "call_first": ("**先打电话给：{who}**。通话稿里只有可以对他们说的话。", "**Call first: {who}.** The script holds only what you may say to them."),
    "open_script": ("打开给{who}的通话稿", "Open the script for {who}"),
    "extra_needed": ("每月再多{extra}即可在期限内还清。", "{extra} more per month would clear everything within the horizon."),
    "trigger_reported": ("{month}会上征信", "reported to the credit bureau in {month}"),
    "trigger_reported_likely": ("{month}会上征信（已逾期{days}天，很可能已经上报，可查询个人征信报告）",
                                "reported to the credit bureau in {month} (probably already: {days} days overdue; check "
                                "your credit report)"),
    "stage_reported": ("上征信", "reported"),
    "stage_accelerated": ("要求一次性还清", "full balance demanded"),
    "stage_sued": ("起诉", "sued"),
    "stage_enforcement": ("强制执行", "enforcement"),
    "triggers_already": ("（计划开始前已经：{stages}）", " (already before the plan: {stages})"),
    "trigger_accelerated": ("{month}可能被要求一次性还清全部", "full balance likely demanded in {month}"),
    "trigger_sued": ("{month}可能被起诉", "likely sued in {month}"),
    "trigger_enforcement": ("{month}可能被强制执行", "court enforcement likely in {month}"),
    "list_sep": ("；", "; "),
    "short_of_contract": ("**{loan}**：从{month}起，计划在按期的月份最少只还{smallest}，低于合同每期{installment}——这是按法定上限利率保持合同还款进度所需的金额。"
                          "在出借方书面同意或法院适用上限之前，对方系统会把差额算作逾期，可能上报征信：先书面提出异议（协商函、异议函）。",
                          "**{loan}**: from {month} the plan pays as little as {smallest} in a month it counts as current, below the "
                          "contract's installment of {installment}: what keeps the balance on the contract's schedule at the legal cap. "
                          "Until the lender agrees in writing or a court applies the cap, its system counts the difference as overdue "
                          "and may report it: dispute the charges in writing first (the letters)."),
    "triggers_title": ("这个计划会引发什么", "What this plan triggers"),
    "kept_current": ("每个方案都按期还{loans}：每月的钱够付它们的分期，让它们逾期就是制造本可避免的新逾期。",
                     "Every plan keeps {loans} current: the money covers their installments every month, so "
                     "letting them fall behind would be a default the plan could avoid."),
    "triggers_none": ("按这个计划，不会再有借款被上报征信、要求全额还款、起诉或强制执行。",
                      "With this plan no loan is newly reported, accelerated, sued or enforced."),
    "triggers_note": ("时间按行业惯例估计（不是法律规定），以合同和出借方的实际做法为准。",
                      "Months are estimates from common practice (not law); the contract and the lender's actual practice decide."),
    "payments_chart": ("每月还款（按借款）", "Payments per month, by loan"),
    "balances_chart": ("剩余欠款", "Balance owed"),
    "overdue_chart": ("逾期金额（按风险类别）", "Overdue amount by risk class"),
    "month_table": ("逐月明细", "Month by month"),
    "record_until": ("征信记录：{loan}的逾期于{repaid}结束，不良记录约保留至{until}（逾期结束后{years}年）。",
                     "Credit record: {loan}'s default ends {repaid}, the record kept until about {until} ({years} years after the default ends)."),
    "record_agreed": (f"（{AGREED_RECORD_NOTE_ZH}）", f" ({AGREED_RECORD_NOTE[0].upper()}{AGREED_RECORD_NOTE[1:]})"),
    "record_open": ("征信记录：{loan}的逾期在计划期内没有结束；不良记录在逾期结束（补足欠款或还清）后保留{years}年。",
                    "Credit record: {loan}'s default does not end within the plan; the record is kept {years} years after it ends (arrears paid or the loan repaid)."),
    "month": ("月份", "Month"),
    "month_table_after": ("{month}以后不再需要还款。", "Nothing more to pay after {month}."),
    "interest_penalty": ("利息和罚息", "Interest, penalty"),
    "saved": ("结余", "Saved"),
    "loan": ("借款", "Loan"),
    "name_help": ("你对这笔借款的叫法，例如借呗；不能重复。", "What you call this loan, e.g. 借呗; must be unique."),
    "lender": ("出借方", "Lender"),
    "lender_help": ("留空表示与借款名称相同。", "Leave blank if it is the same as the loan's name."),
    "lender_type": ("机构类型", "Lender type"),
    "lender_type_help": ("持牌机构：银行、消费金融公司、小贷公司；民间借贷：个人或非持牌机构。",
                         "Licensed: banks, consumer-finance and microloan companies; private: people and unlicensed lenders."),
    # the loan table's headers (narrow columns; each explains itself on hover)
    "col_lender_type": ("类型", "Type"),
    "col_principal": ("剩余本金", "Principal"),
    "col_interest_owed": ("欠利息", "Interest"),
    "col_penalty_owed": ("欠罚息", "Penalty"),
    "col_fees_owed": ("欠费用", "Fees"),
    "col_installment": ("月供", "Installment"),
    "col_apr": ("年化%", "APR %"),
    "col_installments_left": ("剩余期", "Left"),
    "col_days_overdue": ("逾期天", "Days late"),
    "licensed": ("持牌机构", "licensed"),
    "private": ("民间借贷", "private"),
    "principal": ("剩余本金", "Principal"),
    "principal_help": ("现在还欠的本金，不含利息和罚息。", "Principal still owed now, without interest or penalty."),
    "interest_owed": ("欠利息", "Interest owed"),
    "interest_owed_help": ("已经产生但还没还的利息。", "Interest charged and not yet paid."),
    "penalty_owed": ("欠罚息", "Penalty owed"),
    "penalty_owed_help": ("逾期产生的罚息。", "Penalty interest from being overdue."),
    "fees_owed": ("欠费用", "Fees owed"),
    "fees_owed_help": ("服务费、违约金等。", "Service fees, late fees and the like."),
    "apr": ("年化利率（%）", "APR (%)"),
    "apr_help": ("按百分数填写：24 表示 24%。只知道日利率时，年化 = 日利率 × 365（日息0.05%即年化18.25%）。",
                 "Type it as a percentage: 24 means 24 %. From a daily rate: APR = daily × 365 (0.05 % a day is 18.25)."),
    "installment": ("月供", "Installment"),
    "installment_help": ("合同约定每月还多少；只知道要求一次性还清时留空并勾选「加速到期」。",
                         "The contract's monthly amount; leave blank and tick “full balance demanded” if that is all you know."),
    "installments_left": ("剩余期数", "Left"),
    "installments_left_help": ("还没还的期数（包括已经逾期的）。", "Installments not yet paid, missed ones included."),
    "days_overdue": ("逾期天数", "Days late"),
    "days_overdue_help": ("现在已经逾期多少天。", "How many days overdue now."),
    "accelerated": ("加速到期", "Full balance demanded"),
    "accelerated_help": ("出借方要求一次性还清全部欠款。", "The lender demands the whole balance now."),
    "lawsuit": ("已起诉", "Sued"),
    "lawsuit_help": ("出借方已向法院起诉。", "The lender has gone to court."),
    "enforcement": ("强制执行", "Enforcement"),
    "enforcement_help": ("法院已判决并进入强制执行。", "A court judgment is being enforced."),
    "credit_reported": ("上征信", "Credit-reported"),
    "credit_reported_help": ("逾期已报送征信。", "Reported to the credit bureau."),
    "abusive_collection": ("暴力催收", "Abusive collection"),
    "abusive_collection_help": ("骚扰家人、通讯录或深夜催收；保留证据。", "Harassing family or contacts, calls at night; keep evidence."),
    "credit_card": ("信用卡", "Credit card"),
    "credit_card_help": ("信用卡按最低还款额和违约金计算。", "Cards work with a minimum payment and a late fee."),
    "class_lawsuit": ("起诉 / 执行", "lawsuit / enforcement"),
    "class_credit": ("上征信", "credit-reported"),
    "class_collection": ("暴力催收", "abusive collection"),
    "class_other": ("其他", "other"),
    "plan": ("方案", "Plan"),
    "strategy_optimal": ("最优方案", "optimal"),
    "strategy_avalanche": ("先还高利率（雪崩法）", "avalanche (highest APR first)"),
    "strategy_snowball": ("先还小额（雪球法）", "snowball (smallest first)"),
    "strategy_priority": ("按风险顺序", "priority order"),
    "strategy_pro-rata": ("按余额比例", "pro-rata"),
    "strategy_minimum": ("只还最低", "minimum only"),
    "strategy_negotiated": ("协商成功后", "negotiated (all agree)"),
    "compare_title": ("各方案的总代价", "What each plan costs"),
    "weighted_cost_means": (
        "**总代价**（加权成本）把每个方案的坏处换算成元，越低越好：要付的利息、罚息和费用（×{interest}），"
        "加上逾期的风险：被起诉的借款每¥1逾期一个月算{lawsuit}，上征信的算{credit}，暴力催收的算{collection}"
        "（左侧「什么最要紧」可调），再加上新增征信记录和诉讼的长期影响、拖欠月供的月数，以及期限结束时还欠的钱。",
        "**Total cost** (weighted cost) puts each plan's harms in yuan; lower is better: interest, penalty and fees "
        "paid (×{interest}), plus the harm of being overdue: each ¥1 overdue for a month on a sued loan counts "
        "{lawsuit}, on a credit-reported loan {credit}, with abusive collection {collection} (set under “What "
        "matters most”), plus the lasting harm of new credit records and suits, months behind on installments, "
        "and what is still owed when the plan ends.",
    ),
    "why_pays_more": ("最优方案比雪崩法多付{extra}，换来{bought}。", "The optimal plan pays {extra} more than avalanche to have {bought}."),
    "why_pays_more_other": ("最优方案比雪崩法多付{extra}，换来更少的逾期风险和期末欠款。",
                            "The optimal plan pays {extra} more than avalanche for less overdue risk and less owed at the end."),
    "fewer_months": ("{cls}的借款少逾期{months}个月", "{months} fewer months overdue on {cls} loans"),
    "gap_note": ("这个计划是在计算时限内找到的，还没有证明是最优：总代价最多比最优高{gap}。",
                 "This plan was found within the time limit and is not proven best: its total cost is at most {gap} above the best."),
    "rule_cheaper": ("这次计算没有在时限内找到比「{rule}」更好的方案，可以参考它。",
                     "Within the time limit the optimizer did not beat “{rule}”; consider that plan."),
    "fewer_stages": ("少{n}次新的上征信、要求全额还款、起诉或强制执行", "{n} fewer new credit reports, accelerations, suits or enforcements"),
    "fewer_yuan_months": ("{cls}的借款逾期金额×月数少{amount}", "{amount} fewer overdue ¥·months on {cls} loans"),
    "short_lawsuit": ("起诉风险", "Lawsuit"),
    "short_credit": ("征信风险", "Credit"),
    "short_collection": ("催收风险", "Collection"),
    "short_records": ("新记录和诉讼", "New records"),
    "short_missed": ("拖欠月供", "Months behind"),
    "short_other": ("其他", "Other"),
    "part_interest": ("利息和罚息", "interest and penalty"),
    "part_lawsuit": ("起诉风险", "lawsuit harm"),
    "part_credit": ("征信风险", "credit-record harm"),
    "part_collection": ("催收风险", "collection harm"),
    "part_records": ("新增征信记录和诉讼的长期影响", "lasting harm of new records and suits"),
    "part_missed": ("拖欠月供的月数", "months behind on installments"),
    "part_unpaid": ("期末仍欠（及之后的代价）", "owed at the end (and after)"),
    "part_other": ("其他", "other"),
    "status": ("状态（可多选）", "Status (pick any)"),
    "total_paid": ("总还款", "Total paid"),
    "interest": ("利息", "Interest"),
    "penalty": ("罚息", "Penalty interest"),
    "debt_free": ("还清月份", "Debt-free"),
    "not_within": ("期限内未还清", "not within horizon"),
    "left": ("期末仍欠", "Left at horizon"),
    "weighted_cost": ("总代价", "Total cost"),
    "gain": ("比最优多", "Above best"),
    "compare_note": ("所有方案都用同一套逐月账本计算；「协商成功后」假设每个出借方都同意协商目标。",
                     "Every plan is replayed by the same month-by-month ledger; “negotiated” assumes every lender agrees to the targets."),
    "targets_table": ("协商目标", "Negotiation targets"),
    "call_order": ("拨打顺序", "Call order"),
    "disputable": ("超出法定上限可争议", "Disputable above the cap"),
    "cap_rate": ("法定上限（%）", "Legal cap (%)"),
    "ask_months": ("请求分期期数", "Ask: months"),
    "ask_monthly": ("请求分期月供", "Ask: per month"),
    "grace": ("先延期（月）", "Grace (months)"),
    "ask_step": ("延期内每月先还", "During grace, a month"),
    "penalty_waiver": ("请求减免罚息", "Penalty waiver"),
    "targets_basis": ("利率和拨打顺序的依据", "Rates, and what the call order rests on"),
    "order_note": ("拨打顺序：对方让出每¥1，你的总代价能降低多少，降得多的先打。",
                   "Call order: the lender whose yes lowers your total cost most per yuan they give up comes first."),
    "improvement": ("同意后你的改善", "Your gain if they agree"),
    "concession": ("对方让出", "Lender gives up"),
    "scripts": ("通话稿", "Call scripts"),
    "script_for": ("给哪家的通话稿", "Script for"),
    "say_this": ("**可以对{lender}说的话**（右上角按钮可复制；里面没有你的底线）",
                 "**What you may say to {lender}** (copy with the button at the top right; your limit is not in it)"),
    "private_title": ("🔒 **只给自己看，不要念给对方，也不要复制给对方**", "🔒 **For you only: do not read this out or paste it to them**"),
    "asks_short": ("注意：即使按最长期限分期，部分月份仍超出可用资金，共{short}。", "Note: even at the longest terms, some months fall short by {short} in all."),
    "informal": (
        "说明：法律上限为参数，可在案例文件的 [legal] 中修改；以出借方提供的明细为准。",
        "Legal caps are parameters (the case file's [legal] table); the lender's itemised statement is what counts.",
    ),
    "scripts_file_head": ("通话稿（只含可以对出借方说的话；你的底线不在这里）", "Call scripts (only what may be said to each lender; your limits are not here)"),
    "script_head": ("第{rank}个电话：{who}", "Call #{rank}: {who}"),
    "download_plan": ("下载还款计划（CSV）", "Download the plan (CSV)"),
    "download_compare": ("下载方案对比（CSV）", "Download the comparison (CSV)"),
    "download_targets": ("下载协商目标（CSV）", "Download the targets (CSV)"),
    "download_targets_help": ("含每家一次性结清的上限（你的底线），只给自己或咨询师看。",
                              "Includes each lender's settlement break-even (your limit): for you or your counsellor only."),
    "download_scripts": ("下载通话稿（文本）", "Download the scripts (text)"),
    "download_scenario": ("下载当前案例（TOML）", "Download this case (TOML)"),
    "download_letters": ("下载协商申请书、异议书和还款计划（Word 和 PDF，压缩包）",
                         "Download the letters and the one-page plan (Word and PDF, zip)"),
    "download_letters_help": ("和命令行生成的文件相同；需要几秒钟。不含你的底线。",
                              "The same files as `debtplan letters`; takes a few seconds. Your limits are not in them."),
    "download_calendar": ("下载还款日历（.ics，可导入手机日历）", "Download the payment calendar (.ics, for phone calendars)"),
    "file_letters": ("协商文书", "letters"),
    "file_calendar": ("还款日历", "calendar"),
    "file_plan": ("还款计划", "plan"),
    "file_compare": ("方案对比", "compare"),
    "file_targets": ("协商目标", "targets"),
    "file_scripts": ("通话稿", "scripts"),
    "file_scenario": ("案例", "case"),
    "export_note": (
        "CSV为UTF-8（带BOM），可直接用Excel或WPS打开；金额精确到分。",
        "CSV files are UTF-8 with BOM (open directly in Excel or WPS); amounts to the fen.",
    ),
    "zh_headers": ("CSV使用中文表头", "Chinese CSV headers"),
    "zh_headers_help": ("默认用英文表头，与命令行导出的文件一致，方便其他程序读取。",
                        "English headers by default, the same as the command line's files, for other programs to read."),
    # The Cases view (dashboard/cases.py): the counsellor's caseload and one case against its plan
    "view_cases": ("案件", "Cases"),
    "download_caseload": ("下载案件一览（CSV）", "Download the caseload (CSV)"),
    "file_caseload": ("案件一览", "caseload"),
    "cases_title": ("案件一览", "Caseload"),
    "cases_where": ("案件库：{path} · 按{date}计算 · 本页可以记录还款；记录事件和重新规划用命令行。",
                    "Case file: {path} · as of {date} · payments can be recorded here; events and re-plans on the command line."),
    "cases_no_file": ("还没有案件库（{path}）。本页不会自动创建。", "No case file here yet ({path}). This page does not create one."),
    "cases_empty": ("案件库里还没有案件（{path}）。", "The case file has no cases yet ({path})."),
    "cases_how_new": ("在项目文件夹里用命令行新建第一个案件、记录还款，然后刷新本页：",
                      "Create the first case and record a payment on the command line (in the project folder), then reload this page:"),
    "cases_how_other": ("案件库在别处时，启动时指定（或设置环境变量 DEBTPLAN_DB）：",
                        "If your case file is elsewhere, name it when starting (or set DEBTPLAN_DB):"),
    "cases_error": ("案件库无法打开：", "The case file cannot be opened: "),
    "case_search": ("搜索（案件名、借款或出借方）", "Search (case, loan or lender)"),
    "case_stage": ("只看有借款处于此阶段的案件", "Only cases with a loan in this stage"),
    "stage_all": ("全部阶段", "any stage"),
    "calls_only": ("只看需要打电话的", "Only those who need a call"),
    "cases_count": ("共{n}个案件，其中{calls}个需要打电话（☎）；最紧急的在最前面。",
                    "{n} case(s), {calls} need a call (☎); most urgent first."),
    "cases_none_match": ("没有符合条件的案件。", "No case matches."),
    "col_case": ("案件", "Case"),
    "col_urgency": ("紧急", "Urgency"),
    "col_urgency_help": ("100：约定的款没付足；90：和解款本月到期；80：近60天起诉、判决或执行；60：重要借款上月少还；"
                         "50：协议即将结束；40：上月少还（40起需要打电话）；30：3个月没有重新规划；20：本月还有要还的。",
                         "100: an agreed payment missed; 90: a settlement due this month; 80: a lawsuit, judgment or "
                         "enforcement in the last 60 days; 60: last month short on a serious loan; 50: an agreement ends "
                         "soon; 40: last month short of plan (40 and up: call); 30: no re-plan for 3 months; 20: payments "
                         "due this month."),
    "col_top": ("最要紧的事", "Most urgent"),
    "col_due": ("本月还需还", "Due this month"),
    "col_missed": ("漏还", "Missed"),
    "col_agreements": ("协议", "Agreements"),
    "col_stages": ("阶段", "Stages"),
    "col_owed": ("欠款", "Owed"),
    "col_behind": ("落后计划", "Behind plan"),
    "col_behind_help": ("已过月份的计划还款减去实际还款；负数表示超前。", "Planned minus paid over the months gone by; negative: ahead."),
    "col_last_payment": ("最近还款", "Last payment"),
    "col_last_plan": ("最近规划", "Last plan"),
    "col_planned_closed": ("已过月份计划", "Planned, past months"),
    "col_paid_closed": ("已过月份实付", "Paid, past months"),
    "col_planned_now": ("本月计划", "Planned this month"),
    "col_paid_now": ("本月已付", "Paid this month"),
    "col_still": ("本月还需", "Still due this month"),
    "col_charges": ("利息罚息费用", "Charges"),
    "col_months_behind": ("连续逾期月数", "Months behind"),
    "col_state": ("阶段", "Stages"),
    "case_pick": ("打开案件", "Open case"),
    "case_head": ("案件：{case}", "Case: {case}"),
    "case_figures": ("欠款{owed}（{month}初，出借方主张）· 已过月份落后计划{behind} · 最近还款：{paid} · 最近规划：{plan}",
                     "Owed {owed} (start of {month}, lender's claim) · behind plan over past months {behind} · last payment: {paid} · last plan: {plan}"),
    "none_yet": ("还没有", "none yet"),
    "next_steps": ("下一步", "Next steps"),
    "nothing_to_do": ("本月没有要处理的事", "nothing needs doing this month"),
    "avp_title": ("实际还款与计划", "Actual against plan"),
    "avp_note": ("柱：实际还款；短横线：当时有效的计划在该月要还的钱。{month}还没结束。",
                 "Bars: paid; dashes: what the plan in force asked for that month. {month} is not over yet."),
    "avp_none": ("这个案件还没有计划，也没有记录还款。", "This case has no plan and no payments yet."),
    "paid": ("实付", "paid"),
    "planned": ("计划", "planned"),
    "open_month": ("本月（未结束）", "this month (open)"),
    "drift_title": ("偏离计划", "Drift from plan"),
    "drift_on": ("与计划一致", "on plan"),
    "drift_behind": ("落后计划{amount}", "{amount} behind plan"),
    "drift_ahead": ("超前计划{amount}", "{amount} ahead of plan"),
    "drift_stage": ("{since}起{stage}", "{stage} since {since}"),
    "drift_missed": ("{month}约定的{kind}{due}没有付足（付了{paid}）", "agreed {kind} of {due} for {month} missed (paid {paid})"),
    "kind_installment": ("分期款", "installment"),
    "kind_settlement": ("和解款", "settlement"),
    "missed_plan": ("计划{due}，实付{paid}", "planned {due}, paid {paid}"),
    "missed_installment": ("约定分期款{due}，实付{paid}", "agreed installment {due}, paid {paid}"),
    "missed_settlement": ("约定和解款{due}，实付{paid}", "agreed settlement {due}, paid {paid}"),
    "agreement_installments": ("{loan}：每月{monthly}，共{months}期，{first}起，{last}最后一期",
                               "{loan}: {monthly} × {months} from {first}, last {last}"),
    "agreement_settlement": ("{loan}：{by}前一次性付{amount}结清", "{loan}: settle for {amount} by {by}"),
    "loans_now": ("{month}初的欠款（出借方主张，已扣除记录的还款）", "Owed at the start of {month} (lender's claim after the payments recorded)"),
    "closed_cleared": ("已还清（{month}）", "cleared ({month})"),
    "closed_settled": ("已和解结清（{month}）", "settled ({month})"),
    "closed_closed": ("已结清", "closed"),
    "notes_title": ("需要注意", "To note"),
    "record_commands": ("记录还款、协议，重新规划和导出（命令行；把借款名和金额换成实际的）：",
                        "Record a payment or an agreement, re-plan and export (command line; put in the real loan and amounts):"),
    "before_month": ("{month}前", "before {month}"),
    "colon": ("：", ": "),
    "comma": ("、", ", "),
    "state_reported": ("上征信", "reported"),
    "state_accelerated": ("被要求一次性还清", "accelerated"),
    "state_sued": ("被起诉", "sued"),
    "state_judgment": ("已判决", "judgment"),
    "state_enforcement": ("被强制执行", "in enforcement"),
    "state_agreement": ("达成协议", "agreement"),
    "state_settled": ("和解结清", "settled"),
    "state_collection": ("暴力催收", "abusive collection"),
    "court_lawsuit": ("被起诉", "sued"),
    "court_judgment": ("法院作出判决", "judgment given"),
    "court_enforcement": ("进入强制执行", "enforcement began"),
    "reason_agreement_broken_installment": (
        "{loan}：{month}约定的分期款没有付足（差{amount}）。尽快联系出借方补上，并请对方书面确认协议继续有效；否则对方可以要求一次性还清。",
        "{loan}: the agreed installment for {month} was not paid in full ({amount} short). Call the lender, make it up and "
        "ask them to confirm in writing that the agreement stands; otherwise they may demand the whole balance."),
    "reason_agreement_broken_settlement": (
        "{loan}：约定的和解款没有在{month}前付足（差{amount}）。尽快联系出借方，争取延期并书面确认。",
        "{loan}: the agreed settlement was not paid in full by {month} ({amount} short). Call the lender and ask for "
        "more time, in writing."),
    "reason_settlement_due": ("{loan}：和解款{amount}须在本月付清。", "{loan}: the settlement of {amount} is due this month."),
    "reason_court": ("{loan}：{day}{event}。优先处理这笔借款，必要时咨询律师或法律援助。",
                     "{loan}: {event} on {day}. Deal with this loan first; see a lawyer or legal aid if needed."),
    "reason_missed_on_a_serious_loan": (
        "{loan}：{month}比计划少还{amount}（这笔已上征信、被起诉或被要求一次性还清）。问清原因，联系出借方说明情况，必要时重新规划。",
        "{loan}: {amount} short of plan in {month} (a reported, sued or accelerated loan). Find out why, tell the lender, "
        "re-plan if needed."),
    "reason_missed": ("{loan}：{month}比计划少还{amount}。问清原因，必要时重新规划。",
                      "{loan}: {amount} short of plan in {month}. Find out why; re-plan if needed."),
    "reason_agreement_ending_installment": ("{loan}：分期协议在{month}还最后一期。", "{loan}: the agreed installments end in {month}."),
    "reason_agreement_ending_settlement": ("{loan}：和解款{amount}须在{month}前付清。", "{loan}: the settlement of {amount} is due by {month}."),
    "reason_re_plan_due": ("超过3个月没有重新规划：按已记录的还款重新规划。", "No plan made for 3 months or more: re-plan from what was paid."),
    "reason_due_this_month": ("本月还需还款{amount}。", "{amount} still to pay this month."),
    "note_paid_after_closed": ("{day}付给{loan}的{amount}是在这笔借款结清之后付的，请出借方退回。",
                               "{amount} was paid to {loan} on {day}, after the loan was closed: ask the lender to refund it."),
    "note_overpaid": ("{month}付给{loan}的钱比欠款多{amount}，请出借方退回。",
                      "In {month}, {amount} more was paid to {loan} than it was owed: ask the lender to refund it."),
    "note_money_short": ("{month}记录的还款比案件里的可用资金多{amount}（收入可能已经变化：请记录收入变化）。",
                         "In {month} the payments recorded exceed the money available by {amount} (income may have "
                         "changed: record an income event)."),
    "note_money_short_any": ("有的月份记录的还款比案件里的可用资金多（收入可能已经变化：请记录收入变化）。",
                             "Some months' payments exceed the money available (income may have changed: record an income event)."),
    "note_paid_beyond_money": ("到{month}为止，记录的还款比案件里的资金多{amount}；重新规划时按没有结余计算。",
                               "By {month} the payments recorded exceed the case's money by {amount}; the re-plan assumes no savings."),
    "note_agreement_void": (
        "{loan}：{month}约定的分期款没有付足，协议因此失效，出借方可以要求一次性还清全部{claim}。重新规划时按协议失效计算；如果出借方同意继续，请再记录一次协议。",
        "{loan}: the agreed installment for {month} was not paid in full, which voids the agreement: the lender can "
        "demand its whole claim ({claim}) at once. The re-plan treats the agreement as void; if the lender keeps it, "
        "record the agreement again."),
    "note_settlement_lapsed": ("{loan}：和解款{amount}没有在{month}前付清，出借方的全部主张（{claim}）重新有效。",
                               "{loan}: the settlement of {amount} was not paid by {month}; the lender's claim ({claim}) stands again."),
    "pay_title": ("记录一笔还款", "Record a payment"),
    "pay_amount": ("金额（元）", "Amount (yuan)"),
    "pay_date": ("付款日期", "Paid on"),
    "pay_note": ("备注（如流水号，可不填）", "Note (e.g. a receipt number; optional)"),
    "pay_submit": ("记录还款", "Record the payment"),
    "pay_done": ("已记录：{day}付给{loan}{amount}。", "Recorded: {amount} paid to {loan} on {day}."),
    "bad_amount": ("金额「{value}」不对：须大于0、最多1亿元、最多两位小数，例如1200或1200.50。",
                   "amount {value!r}: must be yuan above 0 with at most two decimals"),
    "bad_date": ("日期「{value}」须写成年-月-日，例如2027-03-15。", "date {value!r}: must be YYYY-MM-DD"),
    "date_in_future": ("日期{value}晚于今天（{today}）：只记录已经付了的钱。", "date {value}: after today ({today})"),
    "date_before_case": ("日期{value}早于案件开始（{start}）：那之前的还款已经算在案件的数字里。",
                         "date {value}: before the case starts ({start})"),
    "loan_settled": ("借款「{loan}」已于{settled}和解结清，之后不能再记录还款。", "loan {loan}: settled on {settled}"),
    "case_not_found": ("案件库里没有「{name}」。", "no case named {name}"),
    "db_unsupported": ("{url}：只支持SQLite案件库：请给出文件路径，或 sqlite:///路径。",
                       "{url}: only SQLite case files are supported."),
    "db_too_new": ("{path}：由更新版本的debtplan写入（案件库版本{found}，本版本最高支持{known}）；请先升级，文件没有被改动。",
                   "{path}: written by a newer debtplan; upgrade first, nothing was changed."),
    "db_busy": ("{path}：另一个程序正在写入这个案件库，请稍后刷新。", "{path}: another program is writing to it; reload in a moment."),
    "db_unusable": ("{path}：不能用作案件库（不是SQLite数据库，或无法读取）。", "{path}: cannot be used as a case file."),
    # Problems with the loan table (dashboard.state.Problem)
    "row_n": ("第{n}行", "row {n}"),
    "row_loan": ("借款「{name}」", "loan “{name}”"),
    "problem_missing": ("{who}缺少「{field}」，请填写。", "{who}: “{field}” is missing; please fill it in."),
    "problem_negative": ("{who}的「{field}」不能为负数（填的是{value}）。", "{who}: “{field}” cannot be negative (it says {value})."),
    "problem_whole": ("{who}的「{field}」必须是整数（填的是{value}）。", "{who}: “{field}” must be a whole number (it says {value})."),
    "problem_too_high": ("{who}的「{field}」是{value}%，超过了365%（每天1%）。按百分数填写：24表示24%。",
                         "{who}: “{field}” is {value} %, above 365 % (1 % a day). Type a percentage: 24 means 24 %."),
    "problem_duplicate": ("有两笔借款都叫「{who}」，名称不能重复。", "Two loans are called “{who}”; names must be unique."),
}


def t(key: str, lang: str, **kwargs) -> str:
    zh, en = _TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**kwargs) if kwargs else text


def has(key: str) -> bool:
    return key in _TEXT


def yuan(x: float | None) -> str:
    """¥ with thousands separators, to the fen (display rounding only), never "-0.00"."""
    if x is None or x != x:
        return ""
    value = round(float(x), 2)
    return f"¥{0.0 if value == 0 else value:,.2f}"


def yuan0(x: float | None) -> str:
    if x is None or x != x:
        return ""
    value = round(float(x))
    return f"¥{0 if value == 0 else value:,.0f}"


def pct(x: float) -> str:
    return f"{x:.2%}"


def day_name(day: str, lang: str) -> str:
    """"2027-02-25" -> "2027年2月25日"; in English it stays as written."""
    if lang != "zh":
        return day
    year, month, d = map(int, day.split("-"))
    return f"{year}年{month}月{d}日"





# ---- messages about bad input ----------------------------------------------------------------------

def field_label(field: str, lang: str) -> str:
    """A scenario field as the table or sidebar calls it ("apr" -> "年化利率（%）")."""
    last = field.split(".")[-1]
    names = {"name": "loan", "horizon_months": "horizon", "income": "income", "essentials": "essentials"}
    key = names.get(last, last)
    return t(key, lang) if key in _TEXT else field


def problem_text(problem, lang: str) -> str:
    """One line for a :class:`dashboard.state.Problem`."""
    who = t("row_n", lang, n=problem.row) if isinstance(problem.row, int) else t("row_loan", lang, name=problem.row)
    if problem.kind == "duplicate":
        return t("problem_duplicate", lang, who=problem.row)
    value = problem.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return t(f"problem_{problem.kind}", lang, who=who, field=field_label(problem.column, lang), value=value)


# The engine's problems (optimizer/scenario.py) in Chinese; anything else keeps its English words.
_PROBLEMS_ZH = (
    (r"^is required$", "必须填写"),
    (r"^is required with installments_left$", "填写了剩余期数时，月供必须填写"),
    (r"^is required: give the monthly installment.*", "必须填写：月供，或合同期数，或勾选「加速到期」"),
    (r"^is not a known field.*", "不是可识别的字段（见 scenarios/scenario.schema.json）"),
    (r"^give exactly one of apr.*", "年化利率和日利率只能填一个，也必须填一个"),
    (r"^must be a yearly rate between.*got (\S+).*", r"年化利率须在0到365%之间（填的是\1）"),
    (r"^must be a daily rate between.*got (\S+).*", r"日利率须在0到1%之间（填的是\1）"),
    (r"^¥([\d,.]+) does not cover one month's interest \(¥([\d,.]+)\).*", r"月供¥\1不够付一个月的利息（¥\2）；请同时填写剩余期数，或检查利率"),
    (r"^the loan owes nothing.*", "这笔借款的本金和各项欠款都是0"),
    (r"^two loans are named '(.+)'.*", r"有两笔借款都叫「\1」，名称不能重复"),
    (r"^must be greater than or equal to (\S+?)(;.*)?$", r"不能小于\1"),
    (r"^must be less than or equal to (\S+?)(;.*)?$", r"不能大于\1"),
    (r"^must be greater than (\S+?)(;.*)?$", r"必须大于\1"),
    (r"^must be a valid number.*", "必须是数字"),
    (r"^must be a valid integer.*", "必须是整数"),
    (r"^must be a month written YYYY-MM.*", "须写成「年-月」，例如 2026-12"),
    (r"^must be a date written YYYY-MM-DD.*", "须写成「年-月-日」，例如 2024-05-20"),
    (r"^must be a number such as 0.24.*", "须是数字（如0.24）或百分数（如\"24%\"）"),
    (r"^the schedule must start on or before the plan start (\S+)", r"收入或开支的时间表必须从计划开始月（\1）或更早开始"),
    (r"^schedule steps must be in increasing month order", "时间表的月份必须从早到晚排列"),
    (r"^must be less than installments \((\d+)\); got (\d+)", r"必须小于合同期数（\1），填的是\2"),
    (r"^describe the contract either by installments.*", "合同只能用一种方式描述：合同期数+已还期数，或月供+剩余期数"),
)


def _problem_zh(problem: str) -> str:
    for pattern, words in _PROBLEMS_ZH:
        if re.match(pattern, problem):
            return re.sub(pattern, words, problem)
    return f"不符合要求（{problem}）"


def _file_zh(name: str) -> str:
    return "借款表" if name == "loan table" else f"「{name}」"


def error_text(exc: DebtplanError, lang: str) -> str:
    """One line for an engine error, naming the file, the loan and the field."""
    if lang != "zh":
        return str(exc)
    if isinstance(exc, ScenarioFieldError):
        where = f"借款「{exc.loan}」的" if exc.loan else ""
        return f"{_file_zh(exc.file)}：{where}「{field_label(exc.field, lang)}」{_problem_zh(exc.problem)}。"
    if isinstance(exc, NotToml):
        spot = re.search(r"line (\d+), column (\d+)", exc.problem)
        at = f"第{spot.group(1)}行第{spot.group(2)}列附近" if spot else ""
        return f"{_file_zh(exc.file)}不是有效的TOML文件：{at}有格式错误。"
    if isinstance(exc, EmptyScenario):
        return f"{_file_zh(exc.file)}是空文件：案例至少需要 start、income 和一笔 [[loans]]。"
    if isinstance(exc, NotText):
        return f"{_file_zh(exc.file)}不是文本文件：案例文件应是UTF-8编码的TOML文件。"
    if isinstance(exc, ScenarioNotFound):
        return f"找不到文件{_file_zh(exc.file)}。"
    if isinstance(exc, ScenarioFileError):
        return f"{_file_zh(exc.file)}无法读取。"
    return str(exc)


# ---- CSV headers in Chinese (an option) -------------------------------------------------------------

CSV_HEADERS: dict[str, dict[str, str]] = {
    "en": {},
    "zh": {
        # plan
        "strategy": "方案", "month": "月份", "loan": "借款", "payment": "还款", "interest": "利息", "penalty": "罚息",
        "fees": "费用", "balance": "余额", "overdue": "逾期金额",
        # comparison
        "status": "状态", "total_paid": "总还款", "debt_free": "还清月份", "left_at_horizon": "期末仍欠",
        "overdue_yuan_months_lawsuit": "逾期元×月_起诉执行", "overdue_yuan_months_credit": "逾期元×月_上征信",
        "overdue_yuan_months_collection": "逾期元×月_暴力催收", "overdue_yuan_months_all": "逾期元×月_合计",
        "weighted_cost": "加权成本", "months_overdue[": "逾期月数[",
        # targets
        "call_order": "拨打顺序", "lender": "出借方", "apr": "年化利率", "cap_rate": "法定上限", "cap_rule": "上限依据",
        "claimed_charges": "主张的利息罚息费用", "allowed_charges": "上限内的利息罚息费用", "disputable": "可争议金额",
        "ask_months": "协商分期期数", "ask_monthly": "协商分期月供", "ask_principal": "协商分期本金", "ask_rate": "协商分期利率",
        "ask_grace": "延期月数", "ask_step": "延期内每月先还", "ask_to_wait": "请求缓还（按时还款的借款）",
        "penalty_waiver": "请求减免罚息", "offer_amount": "对方报价", "offer_by": "报价期限", "take_offer": "是否接受报价",
        "break_even_amount": "一次性结清上限（底线）", "break_even_by": "结清期限", "improvement": "同意后的改善",
        "concession": "对方让出", "contest_acceleration": "对加速到期有异议", "penalty_above_cap": "罚息超过法定上限",
        "reported[": "上征信[", "accelerated[": "要求一次性还清[", "sued[": "起诉[", "enforcement[": "强制执行[",
    },
}
# Words inside the CSV files, with the Chinese headers.
CSV_VALUES: dict[str, dict[str, str]] = {
    "en": {},
    "zh": {
        "optimal": "最优方案", "avalanche": "先还高利率（雪崩法）", "snowball": "先还小额（雪球法）", "priority": "按风险顺序",
        "pro-rata": "按余额比例", "minimum": "只还最低", "negotiated": "协商成功后", "before the plan": "计划开始前已发生",
        "not within horizon": "期限内未还清", "cleared": "还清", "cannot be cleared within the horizon": "期限内无法还清",
    },
}


# ---- the page's style -----------------------------------------------------------------------------

_CSS = """
<style>
/* Text at AA contrast (≥ 4.5:1 on white): captions, help text, slider bounds. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stSliderTickBarMin"], [data-testid="stSliderTickBarMax"],
[data-testid="stWidgetLabel"] p, small { color: #3d4150 !important; }
/* Streamlit's own uploader words, in the page's language. */
[data-testid="stFileUploaderDropzoneInstructions"] > div > span,
[data-testid="stFileUploaderDropzoneInstructions"] > div > small { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after { content: "%(drop)s"; font-size: 0.875rem; color: #3d4150; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"]::after { content: "%(browse)s"; }
/* The phone's button that opens the inputs says what it is for. */
[data-testid="stExpandSidebarButton"]::after { content: "%(inputs)s"; font-size: 0.95rem; margin-left: 0.25rem; white-space: nowrap; color: #1d4e89; }
[data-testid="stExpandSidebarButton"] { width: auto !important; padding: 0.2rem 0.6rem !important; border: 1px solid #1d4e89 !important; border-radius: 0.5rem; }
[data-testid="stExpandSidebarButton"] [data-testid="stIconMaterial"] { color: #1d4e89 !important; }
/* On a phone the title takes two lines at most. */
@media (max-width: 640px) { h2 { font-size: 1.55rem !important; } h3 { font-size: 1.3rem !important; } }
/* Less empty space above the title and at the sides: room for every column of a table. */
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-left: 2.5rem; padding-right: 2.5rem; }
@media (max-width: 640px) { [data-testid="stMainBlockContainer"] { padding-left: 1rem; padding-right: 1rem; } }
/* Table toolbars never cover the heading above them. */
[data-testid="stElementToolbar"] { top: -2.1rem !important; }
[data-testid="stDataFrame"], [data-testid="stDataFrameResizable"] { margin-top: 0.4rem; }
</style>
"""

STYLE = {
    "zh": _CSS % {"drop": "拖入文件，或点击选择（TOML，最大1MB）", "browse": "选择文件", "inputs": "修改收入和优先级"},
    "en": _CSS % {"drop": "Drop a file here or choose one (TOML, 1 MB at most)", "browse": "Choose file",
                  "inputs": "Income and priorities"},
}
