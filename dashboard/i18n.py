"""Every word the dashboard shows, in Chinese and English (terms as in DOMAIN.md §5)."""

from __future__ import annotations

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
    "scenario": ("案例文件", "Scenario file"),
    "upload": ("上传自己的案例（TOML）", "Upload your own scenario (TOML)"),
    "money": ("每月资金", "Money each month"),
    "income": ("月收入（¥）", "Monthly income (¥)"),
    "income_help": ("有收入变化时，整条收入曲线一起平移。", "If income changes over time, the whole schedule moves by the same amount."),
    "essentials": ("基本生活开支（¥）", "Essential expenses (¥)"),
    "horizon": ("计划期限（月）", "Plan horizon (months)"),
    "weights": ("优先级权重（每元逾期每月的代价）", "Priority weights (cost per yuan-month overdue)"),
    "w_interest": ("利息（倍数）", "Interest (multiplier)"),
    "w_lawsuit": ("起诉 / 执行", "Lawsuit / enforcement"),
    "w_credit": ("上征信", "Credit-bureau reporting"),
    "w_collection": ("暴力催收", "Abusive collection"),
    "basis": ("计算依据", "Basis"),
    "basis_claim": ("按出借方主张", "Lender's claim"),
    "basis_cap": ("按法定上限", "Legal cap"),
    "loans": ("借款明细（可直接修改）", "Loans (edit in place)"),
    "bad_edit": ("输入有误，仍显示上一个有效计划：", "That edit is not valid; the last good plan stays on screen: "),
    "bad_file": ("案例文件有误：", "The scenario file has a problem: "),
    "view": ("查看", "View"),
    "view_plan": ("还款计划", "Plan"),
    "view_compare": ("方案对比", "Compare"),
    "view_negotiate": ("协商目标", "Negotiate"),
    "view_export": ("导出", "Export"),
    "headline_free": ("{months}个月后（{month}）还清全部债务", "Debt-free in {months} months ({month})"),
    "headline_not_free": ("期限内无法还清：到{month}仍欠{left}", "Not debt-free within the horizon: {left} still owed in {month}"),
    "headline_paid": ("共还款{paid}", "total paid {paid}"),
    "headline_call": ("先联系：{who}", "call first: {who}"),
    "extra_needed": ("每月再多{extra}即可在期限内还清。", "{extra} more per month would clear everything within the horizon."),
    "payments_chart": ("每月还款（按借款）", "Payments per month, by loan"),
    "balances_chart": ("剩余欠款", "Balance owed"),
    "overdue_chart": ("逾期金额（按风险类别）", "Overdue amount by risk class"),
    "month_table": ("逐月明细", "Month by month"),
    "record_until": ("征信记录：{loan}于{repaid}还清，约保留至{until}（还清后{years}年）。",
                     "Credit record: {loan} repaid {repaid}, kept until about {until} ({years} years after repayment)."),
    "record_open": ("征信记录：{loan}在计划期内未还清；记录在还清后保留{years}年。",
                    "Credit record: {loan} is not repaid within the plan; the record is kept {years} years after repayment."),
    "month": ("月份", "Month"),
    "saved": ("结余", "Saved"),
    "loan": ("借款", "Loan"),
    "lender": ("出借方", "Lender"),
    "lender_type": ("机构类型", "Lender type"),
    "licensed": ("持牌机构", "licensed"),
    "private": ("民间借贷", "private"),
    "principal": ("本金", "Principal"),
    "interest_owed": ("欠利息", "Interest owed"),
    "penalty_owed": ("欠罚息", "Penalty interest owed"),
    "fees_owed": ("欠费用", "Fees owed"),
    "apr": ("年化利率", "APR"),
    "apr_help": ("年化利率 = 日利率 × 365；0.24 即 24%", "Yearly rate; APR = daily rate (日利率) × 365; 0.24 = 24 %"),
    "installment": ("月供", "Installment"),
    "installments_left": ("剩余期数", "Installments left"),
    "days_overdue": ("逾期天数", "Days overdue"),
    "accelerated": ("加速到期", "Full balance demanded"),
    "lawsuit": ("起诉", "Lawsuit"),
    "enforcement": ("执行", "Enforcement"),
    "credit_reported": ("上征信", "Credit-reported"),
    "abusive_collection": ("暴力催收", "Abusive collection"),
    "credit_card": ("信用卡", "Credit card"),
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
    "status": ("状态", "Status"),
    "total_paid": ("总还款", "Total paid"),
    "interest": ("利息", "Interest"),
    "penalty": ("罚息", "Penalty interest"),
    "debt_free": ("还清月份", "Debt-free"),
    "not_within": ("期限内未还清", "not within horizon"),
    "left": ("期末仍欠", "Left at horizon"),
    "overdue_ym": ("逾期（元×月）", "Overdue (¥·months)"),
    "weighted_cost": ("加权成本", "Weighted cost"),
    "gain": ("最优方案相比节省的加权成本", "What the optimal plan saves in weighted cost"),
    "compare_chart": ("各方案加权成本（越低越好）", "Weighted cost per plan (lower is better)"),
    "targets_table": ("协商目标", "Negotiation targets"),
    "call_order": ("拨打顺序", "Call order"),
    "disputable": ("超出法定上限可争议", "Disputable above the legal cap"),
    "cap_rate": ("法定上限", "Legal cap"),
    "ask_months": ("协商分期期数", "Installment ask: months"),
    "ask_monthly": ("协商分期月供", "Installment ask: per month"),
    "grace": ("延期（月）", "Grace (months)"),
    "penalty_waiver": ("减免罚息", "Penalty waiver"),
    "break_even": ("一次性结清上限", "Settlement break-even"),
    "by": ("截止", "by"),
    "improvement": ("同意后你的改善", "Your gain if they agree"),
    "concession": ("对方让出", "Lender gives up"),
    "scripts": ("通话稿（可复制）", "Call scripts (copy them)"),
    "asks_short": ("注意：即使按最长期限分期，部分月份仍超出可用资金，共{short}。", "Note: even at the longest terms, some months fall short by {short} in all."),
    "working": ("正在计算……", "Working it out…"),
    "download_plan": ("下载还款计划 CSV", "Download the plan (CSV)"),
    "download_compare": ("下载方案对比 CSV", "Download the comparison (CSV)"),
    "download_targets": ("下载协商目标 CSV", "Download the targets (CSV)"),
    "download_scenario": ("下载当前案例（TOML）", "Download this scenario (TOML)"),
    "export_note": (
        "CSV为UTF-8（带BOM），可直接用Excel或WPS打开；金额精确到分。",
        "CSV files are UTF-8 with BOM (open directly in Excel or WPS); amounts to the fen.",
    ),
    "informal": (
        "说明：法律上限为参数，可在案例文件的 [legal] 中修改；以出借方提供的明细为准。",
        "Legal caps are parameters (the scenario's [legal] table); the lender's itemised statement is what counts.",
    ),
}


def t(key: str, lang: str, **kwargs) -> str:
    zh, en = _TEXT[key]
    text = zh if lang == "zh" else en
    return text.format(**kwargs) if kwargs else text


def yuan(x: float | None) -> str:
    """¥ with thousands separators, to the fen (display rounding only)."""
    return "—" if x is None or x != x else f"¥{x:,.2f}"


def yuan0(x: float | None) -> str:
    return "—" if x is None or x != x else f"¥{x:,.0f}"
