"""debtplan's dashboard: widgets → scenario → optimizer → figures. No arithmetic of its own.

Run ``streamlit run dashboard/app.py`` from the project folder (``.streamlit/config.toml`` there
keeps it on 127.0.0.1 with usage statistics off). Engine calls go through
:mod:`dashboard.engine` (cached, and safe when reruns overlap); only the chosen view is computed.

What the user changes lives in ``st.session_state["edits"][source]`` (one entry per case file or
upload), not only in widget state, so switching language, view or case never loses an edit; the
sidebar's "reset to file" drops it.
"""

from __future__ import annotations

import datetime as dt
import sys

import pandas as pd
import streamlit as st

from dashboard import cases, charts, engine, state
from dashboard.i18n import (
    CSV_HEADERS, CSV_VALUES, LANG_NAMES, LANGS, STYLE, error_text, month_name, months_in_words, problem_text, t, yuan, yuan0,
)
from optimizer import DebtplanError, Scenario, load_scenario, scenario_from_bytes, summarize
from optimizer.export import plan_table
from optimizer.calendar_export import payment_calendar
from optimizer.casework import STAGES, actual_vs_plan, case_state, caseload, caseload_frame, record_payment
from optimizer.documents import letter_files
from optimizer.errors import CaseFileError, NoCaseFile
from optimizer.planner import BEFORE_PLAN, credit_records, new_triggers, reported_already_likely, short_of_contract, triggers
from optimizer.scripts import notes_for_borrower, script_for_lender

VIEWS = ("plan", "compare", "negotiate", "export", "cases")
COST_PARTS = ("lawsuit", "credit", "collection", "records", "missed", "other")  # harms, as state.cost_parts names them


# ---- the case and what the user changed ------------------------------------------------------------

def edits(source: str, base: Scenario) -> dict:
    """This case's edits (created from the file on first use)."""
    store = st.session_state.setdefault("edits", {})
    if source not in store:
        store[source] = {**state.slider_values(base), "table": state.loan_table(base), "version": next_version(),
                         "next_label": 10_000}
    return store[source]


def next_version() -> int:
    """A number never used before in this session: the loan editor's key changes with each folded
    edit (and each reset), so an old change set can never be applied twice."""
    st.session_state["editor_versions"] = st.session_state.get("editor_versions", 0) + 1
    return st.session_state["editor_versions"]


def reset_to_file(source: str) -> None:
    st.session_state.get("edits", {}).pop(source, None)
    for name in state.SLIDERS:
        st.session_state.pop(f"{name}::{source}", None)


def choose_case(lang: str) -> tuple[Scenario, str, str] | None:
    """The case file (picker or upload): (scenario, source key, title for file names)."""
    sb = st.sidebar
    files = state.scenario_files()
    current = st.session_state.setdefault("scenario_file", state.DEFAULT_SCENARIO)
    upload = sb.file_uploader(t("upload", lang), type=["toml"], key="upload", help=t("upload_help", lang))
    if upload is not None:
        try:
            base = scenario_from_bytes(upload.getvalue(), upload.name)
        except DebtplanError as exc:
            st.error(t("bad_upload", lang, name=upload.name) + error_text(exc, lang))
        else:
            sb.info(t("using_upload", lang, name=upload.name))
            return base, f"upload:{upload.name}:{upload.size}", base.title or upload.name.removesuffix(".toml")

    def picked() -> None:
        new = st.session_state["scenario_pick"]
        if new != st.session_state["scenario_file"] and f"file:{st.session_state['scenario_file']}" in st.session_state.get("dirty", set()):
            st.session_state["pending_case"] = new  # ask first (see ask_before_switching)
            st.session_state["scenario_pick"] = st.session_state["scenario_file"]
        else:
            st.session_state["scenario_file"] = new

    if st.session_state.get("scenario_pick") not in files:
        st.session_state["scenario_pick"] = current
    sb.selectbox(t("scenario", lang), files, key="scenario_pick", on_change=picked, format_func=lambda f: f.removesuffix(".toml"),
                 placeholder=t("choose", lang))
    if f"file:{current}" in st.session_state.get("dirty", set()):
        sb.caption(t("unsaved", lang))
    try:
        base = load_scenario(state.SCENARIOS / current)
    except DebtplanError as exc:
        st.error(t("bad_file", lang) + error_text(exc, lang))
        return None
    return base, f"file:{current}", base.title or current.removesuffix(".toml")


def ask_before_switching(lang: str, scenario: Scenario | None, title: str) -> None:
    pending = st.session_state.get("pending_case")
    if not pending:
        return

    def go(discard: bool) -> None:
        if discard:
            reset_to_file(f"file:{st.session_state['scenario_file']}")
        st.session_state["scenario_file"] = st.session_state["scenario_pick"] = pending
        st.session_state.pop("pending_case", None)

    with st.container(border=True):
        st.warning(t("unsaved_switch", lang, case=pending.removesuffix(".toml")))
        a, b, c = st.columns(3)
        a.button(t("switch_keep", lang), on_click=go, args=(False,), key="switch_keep", type="primary")
        b.button(t("switch_discard", lang), on_click=go, args=(True,), key="switch_discard")
        c.button(t("switch_stay", lang), on_click=lambda: st.session_state.pop("pending_case", None), key="switch_stay")
        if scenario is not None:
            st.download_button(t("download_scenario", lang), state.to_toml(scenario), state.file_name(title, t("file_scenario", lang), "toml"),
                               "application/toml", key="dl_before_switch", on_click="ignore")


def money_inputs(base: Scenario, source: str, store: dict, lang: str) -> dict:
    """The sidebar's sliders, their values kept in ``store``."""
    sb = st.sidebar
    sb.subheader(t("money", lang))
    top = max(20000.0, 2 * state.slider_values(base)["income"])

    def slider(name: str, label: str, low, high, step, fmt: str, help: str | None = None):
        value = sb.slider(label, low, high, type(low)(min(max(store[name], low), high)), step=step, format=fmt,
                          help=help, key=f"{name}::{source}")
        store[name] = value
        return value

    values = {
        "income": slider("income", t("income", lang), 0.0, top, 100.0, "¥%,.0f", t("income_help", lang)),
        "essentials": slider("essentials", t("essentials", lang), 0.0, top, 100.0, "¥%,.0f", t("essentials_help", lang)),
        "horizon": slider("horizon", t("horizon", lang), 6, 120, 1, t("months_format", lang)),
    }
    sb.subheader(t("weights", lang))
    sb.caption(t("weights_help", lang))
    # From 0.1: the scenario needs a positive interest weight (optimizer/scenario.py, Weights.interest).
    weights = {"interest": slider("w_interest", t("w_interest", lang), 0.1, 3.0, 0.1, "×%.1f", t("w_interest_help", lang))}
    for name, high in (("lawsuit", 0.5), ("enforcement", 1.0), ("credit", 0.5), ("collection", 0.5)):
        weights[name] = slider(f"w_{name}", t(f"w_{name}", lang), 0.0, high, 0.01, "¥%.2f", t("w_example", lang))
    values["weights"] = weights
    options = ("cap", "claim")
    if st.session_state.get(f"basis::{source}") not in options:
        st.session_state[f"basis::{source}"] = store["basis"]
    values["basis"] = store["basis"] = sb.radio(t("basis", lang), options, format_func=lambda b: t(f"basis_{b}", lang),
                                                key=f"basis::{source}", help=t("basis_help", lang))
    return values


def loans_editor(base: Scenario, source: str, store: dict, lang: str) -> pd.DataFrame:
    """The loan table; every change is folded into ``store`` at once (see state.fold_edits)."""
    key = f"loans::{source}::{store['version']}"  # a new key after each folded edit (see main)
    # Widths in pixels so that every column fits a 1440 px screen beside the sidebar.
    money = {col: st.column_config.NumberColumn(t(f"col_{col}", lang), format="¥%,.2f", help=t(f"{col}_help", lang), width=86)
             for col in state.MONEY_COLUMNS}
    st.data_editor(
        store["table"], key=key, num_rows="dynamic", hide_index=True, width="stretch", placeholder="",
        height=min(38 * (len(store["table"]) + 2) + 3, 700),
        column_config={
            "name": st.column_config.TextColumn(t("loan", lang), pinned=True, help=t("name_help", lang), width=88),
            "lender": st.column_config.TextColumn(t("lender", lang), help=t("lender_help", lang), width=84),
            "lender_type": st.column_config.SelectboxColumn(
                t("col_lender_type", lang), options=["licensed", "private"], default="licensed", format_func=lambda v: t(v, lang),
                help=t("lender_type_help", lang), width=78),
            **money,
            "apr": st.column_config.NumberColumn(t("col_apr", lang), format="%.2f%%", help=t("apr_help", lang), width=70),
            "installments_left": st.column_config.NumberColumn(t("col_installments_left", lang), format="%d", step=1, width=64,
                                                               help=t("installments_left_help", lang)),
            "days_overdue": st.column_config.NumberColumn(t("col_days_overdue", lang), format="%d", step=1, default=0, width=64,
                                                          help=t("days_overdue_help", lang)),
            "status": st.column_config.MultiselectColumn(
                t("status", lang), options=state.FLAGS, format_func=lambda v: t(v, lang), width=140,
                help="；".join(f"{t(f, lang)}：{t(f'{f}_help', lang)}" for f in state.FLAGS) if lang == "zh"
                else "; ".join(f"{t(f, lang)}: {t(f'{f}_help', lang)}" for f in state.FLAGS)),
        },
    )
    return store["table"]


def current_scenario(base: Scenario, source: str, store: dict, values: dict, lang: str,
                     messages: st.delta_generator.DeltaGenerator) -> Scenario | None:
    """The scenario from the sliders and the table; None, with every problem named, if invalid."""
    problems = state.table_problems(store["table"])
    if problems:
        messages.error(t("bad_edit", lang) + "\n\n" + "\n".join(f"- {problem_text(p, lang)}" for p in problems))
        return None
    try:
        return state.apply_inputs(base, income=values["income"], essentials=values["essentials"], horizon=values["horizon"],
                                  weights=values["weights"], basis=values["basis"],
                                  shown=state.loan_table(base), edited=store["table"])
    except DebtplanError as exc:
        messages.error(t("bad_edit", lang) + "\n\n- " + error_text(exc, lang))
        return None


# ---- views -------------------------------------------------------------------------------------

def headline(scenario: Scenario, lang: str) -> str:
    """Debt-free when, total paid, whom to call first (also kept in session state for tests)."""
    sj = scenario.model_dump_json()
    summary = summarize(engine.optimal(sj))
    if summary.months_to_debt_free is not None:
        first = t("headline_free", lang, months=summary.months_to_debt_free, month=month_name(summary.debt_free_month, lang))
    else:
        first = t("headline_not_free", lang, month=month_name(scenario.months[-1], lang), left=yuan0(summary.left_at_horizon))
    top = min(engine.call_order(sj).loans, key=lambda x: x.call_rank)
    text = (f"{first} · {t('headline_paid', lang, paid=yuan0(summary.total_paid))} · "
            f"{t('headline_call', lang, who=state.who(top.lender, top.loan, lang))}")
    st.session_state["headline"] = text
    return text


def open_script(loan: str) -> None:
    st.session_state["view"] = "negotiate"
    st.session_state["script_for"] = loan


def trigger_words(events: dict[str, str], lang: str, days_now: int | None = None) -> str:
    """{"reported": "2027-01", "sued": "2027-06"} -> "2027年1月会上征信；2027年6月可能被起诉". A loan
    already past its reporting threshold (``days_now`` overdue) is most likely reported already."""
    said = [t("trigger_reported_likely", lang, month=month_name(month, lang), days=days_now)
            if stage == "reported" and days_now is not None else
            t(f"trigger_{stage}", lang, month=month_name(month, lang)) for stage, month in events.items()]
    return t("list_sep", lang).join(said)


def this_month_card(scenario: Scenario, lang: str):
    """The card on top of the Plan view: what to pay each lender this month and why. Returns the
    slots for the headline and for whom to call first, filled by :func:`call_first` once the
    targets are worked out (after the charts, so the browser draws them meanwhile)."""
    result = engine.optimal(scenario.model_dump_json())
    ledger = result.ledger
    terms = ledger.terms
    triggers = new_triggers(result)
    likely = reported_already_likely(terms)
    lenders = {loan.name: loan.lender_name for loan in scenario.loans}
    colon = "：" if lang == "zh" else ": "
    with st.container(border=True, key="this_month"):
        st.markdown(f"### {t('this_month', lang, month=month_name(terms.months[0], lang))}")
        headline_slot = st.empty()
        st.markdown(t("this_month_money", lang, available=yuan(ledger.cash[0] + terms.net[0]),
                      paid=yuan(ledger.payments[:, 0].sum()), kept=yuan(ledger.cash[1])))
        rows = []
        for line in sorted(state.month_lines(ledger, 0), key=lambda x: (-x.pay, x.index)):
            if line.owed <= 0.005:
                continue
            if line.pay < 0.005:
                why = t("why_nothing_due", lang) if line.due <= 0.005 else t("why_behind", lang, due=yuan(line.due))
            elif line.due > 0.005 and line.pay + 0.005 < line.due:
                why = t("why_part", lang, due=yuan(line.due), short=yuan(line.due - line.pay))
            elif line.balance_after <= 0.005:
                why = t("why_clears", lang)
            elif line.pay > line.due + 0.005:
                why = t("why_ahead", lang, due=yuan(line.due))
            else:
                why = t("why_due", lang)
            events = triggers.get(line.loan, {})
            soonest = dict([min(events.items(), key=lambda e: e[1])]) if events else {}
            warn = f" · ⚠ {trigger_words(soonest, lang, likely.get(line.loan))}" if soonest else ""
            rows.append(f"- **{state.who(lenders[line.loan], line.loan, lang)}**{colon}"
                        f"{t('pay', lang, amount=yuan(line.pay))} · {why}{warn}")
        st.markdown("\n".join(rows))
        call_slot = st.container()
        if result.gap > 1e-6:
            st.caption(t("gap_note", lang, gap=f"{result.gap:.2%}"))
        if result.extra_monthly:
            st.warning(t("extra_needed", lang, extra=yuan0(result.extra_monthly)))
    return headline_slot, call_slot


def call_first(scenario: Scenario, lang: str, headline_slot, call_slot) -> None:
    headline_slot.markdown(f"**{headline(scenario, lang)}**")
    first = min(engine.call_order(scenario.model_dump_json()).loans, key=lambda x: x.call_rank)
    with call_slot:
        st.markdown(t("call_first", lang, who=state.who(first.lender, first.loan, lang)))
        st.button(t("open_script", lang, who=first.lender), key="to_script", type="primary",
                  on_click=open_script, args=(first.loan,))


def triggers_section(scenario: Scenario, lang: str) -> None:
    """What this plan triggers (DOMAIN.md §6): per loan, each stage the plan reaches and when, and
    the stages reached before the plan."""
    result = engine.optimal(scenario.model_dump_json())
    new, every = new_triggers(result), triggers(result)
    likely = reported_already_likely(result.ledger.terms)
    colon = "：" if lang == "zh" else ": "
    st.subheader(t("triggers_title", lang))
    rows = []
    for loan in scenario.loans:
        already = [t(f"stage_{stage}", lang) for stage, month in every.get(loan.name, {}).items() if month == BEFORE_PLAN]
        before = t("triggers_already", lang, stages=t("list_sep", lang).join(already)) if already else ""
        if loan.name in new:
            rows.append(f"- **{loan.name}**{colon}{trigger_words(new[loan.name], lang, likely.get(loan.name))}{before}")
    st.markdown("\n".join(rows) if rows else t("triggers_none", lang))
    kept = result.ledger.terms.kept_names
    if kept:
        st.markdown(t("kept_current", lang, loans=("、" if lang == "zh" else ", ").join(kept)))
    for loan, short in short_of_contract(result).items():
        st.warning(t("short_of_contract", lang, loan=loan, month=month_name(short.first, lang),
                     smallest=yuan(short.smallest), installment=yuan(short.installment)))
    st.caption(t("triggers_note", lang))


def plan_view(scenario: Scenario, lang: str, loans_box) -> None:
    slots = this_month_card(scenario, lang)
    loans_box()
    result = engine.optimal(scenario.model_dump_json())
    ledger = result.ledger
    triggers_section(scenario, lang)
    config = {"displayModeBar": False, "responsive": True}
    left, right = st.columns(2)
    left.markdown(f"##### {t('payments_chart', lang)}")
    left.plotly_chart(charts.payments_figure(ledger, lang), width="stretch", config=config, theme=None)
    right.markdown(f"##### {t('balances_chart', lang)}")
    right.plotly_chart(charts.balances_figure(ledger, lang), width="stretch", config=config, theme=None)
    st.markdown(f"##### {t('overdue_chart', lang)}")
    st.plotly_chart(charts.overdue_figure(ledger, lang), width="stretch", config=config, theme=None)
    years = scenario.legal.credit_record_years
    for loan, (repaid, until) in credit_records(result, years).items():
        st.caption(t("record_until", lang, loan=loan, repaid=month_name(repaid, lang), until=month_name(until, lang), years=years)
                   + (t("record_agreed", lang) if loan in ledger.terms.under_agreement else "")
                   if repaid else t("record_open", lang, loan=loan, years=years))
    st.subheader(t("month_table", lang))
    terms = ledger.terms
    shown = terms.horizon if ledger.debt_free_month is None else ledger.debt_free_month  # then nothing changes
    month_col = t("month", lang)
    frame = pd.DataFrame({month_col: [month_name(m, lang) for m in terms.months[:shown]]})
    for name, row in zip(terms.names, ledger.payments):
        frame[name] = [state.money(x) for x in row[:shown]]
    frame[t("saved", lang)] = [state.money(x) for x in ledger.cash[1:shown + 1]]
    number_table(frame, month_col)
    if shown < terms.horizon:
        st.caption(t("month_table_after", lang, month=month_name(terms.months[shown - 1], lang)))
    call_first(scenario, lang, *slots)


def compare_view(scenario: Scenario, lang: str, loans_box) -> None:
    loans_box()
    sj = scenario.model_dump_json()
    comp = engine.comparison(sj)
    parts = {name: state.cost_parts(r.ledger) for name, r in comp.results.items()}
    st.subheader(t("compare_title", lang))
    w = scenario.weights
    st.markdown(t("weighted_cost_means", lang, lawsuit=yuan(w.lawsuit), credit=yuan(w.credit), collection=yuan(w.collection),
                  interest=f"{w.interest:g}"))
    best = comp.summaries["optimal"]
    if comp.results["optimal"].gap > 1e-6:
        st.warning(t("gap_note", lang, gap=f"{comp.results['optimal'].gap:.2%}"))
    cheaper = [n for n, x in comp.summaries.items() if n not in ("optimal", "negotiated") and x.weighted_cost < best.weighted_cost - 0.5]
    if cheaper:
        st.warning(t("rule_cheaper", lang, rule=t(f"strategy_{cheaper[0]}", lang)))
    why = state.tradeoff(comp)
    if why is not None:
        bought = [t("fewer_months", lang, months=m, cls=t(f"class_{c}", lang)) for c, m in why.months_fewer.items()]
        if why.stages_fewer:
            bought.append(t("fewer_stages", lang, n=why.stages_fewer))
        if not bought:
            bought = [t("fewer_yuan_months", lang, amount=f"{v:,.0f}", cls=t(f"class_{c}", lang)) for c, v in why.yuan_months_fewer.items()]
        if bought:
            st.info(t("why_pays_more", lang, extra=yuan0(why.extra_paid), bought=t("list_sep", lang).join(bought)))
        else:
            st.info(t("why_pays_more_other", lang, extra=yuan0(why.extra_paid)))
    st.plotly_chart(charts.cost_figure(parts, lang), width="stretch", config={"displayModeBar": False}, theme=None)
    rows = []
    plan_col = t("plan", lang)
    for name, s in comp.summaries.items():
        p = parts[name]
        rows.append({
            plan_col: ("★ " if name == "optimal" else "") + t(f"strategy_{name}", lang),
            t("debt_free", lang): month_name(s.debt_free_month, lang) if s.debt_free_month else t("not_within", lang),
            t("total_paid", lang): state.money(s.total_paid),
            t("interest_penalty", lang): state.money(s.interest + s.penalty),
            t("left", lang): state.money(s.left_at_horizon),
            **{t(f"short_{k}", lang): state.money(p[k]) for k in COST_PARTS},
            t("weighted_cost", lang): state.money(s.weighted_cost),
            t("gain", lang): state.money(s.weighted_cost - best.weighted_cost),
        })
    frame = pd.DataFrame(rows)
    # Columns no plan has anything in (nothing left at the end, no abusive collection in the case)
    # are left out, so every column fits a desktop screen; each header explains itself on hover.
    empty = [c for c in [t("left", lang), *(t(f"short_{k}", lang) for k in COST_PARTS)] if not frame[c].any()]
    helps = {t(f"short_{k}", lang): t(f"part_{k}", lang) for k in COST_PARTS}
    number_table(frame.drop(columns=empty), plan_col, text=(t("debt_free", lang),), helps=helps)
    st.caption(t("compare_note", lang))


def targets_frames(tg, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What to ask each lender, and what the call order and the dispute rest on (two tables, so
    every column fits on a desktop screen)."""
    asks, basis = [], []
    for x in sorted(tg.loans, key=lambda x: x.call_rank):
        ask = x.installment_ask
        asks.append({
            t("call_order", lang): x.call_rank,
            t("loan", lang): x.loan,
            t("lender", lang): x.lender,
            t("ask_months", lang): ask.months if ask else None,
            t("ask_monthly", lang): state.money(ask.monthly) if ask else None,
            t("grace", lang): ask.grace if ask else None,
            # NaN, not None: a column with no grace anywhere stays numeric (and shows blank)
            t("ask_step", lang): state.money(ask.step) if ask and ask.grace else float("nan"),
            t("penalty_waiver", lang): state.money(x.penalty_waiver),
            t("disputable", lang): state.money(x.cap.disputable),
        })
        basis.append({
            t("loan", lang): x.loan,
            t("apr", lang): round(x.yearly_rate * 100, 2),
            t("cap_rate", lang): round(x.cap.yearly_rate * 100, 2),
            t("improvement", lang): state.money(x.improvement),
            t("concession", lang): state.money(x.concession),
        })
    return pd.DataFrame(asks), pd.DataFrame(basis)


def number_table(frame: pd.DataFrame, pinned: str, percent=(), counts=(), text=(), helps=None, widths=None) -> None:
    """Numbers as numbers, so they sort as numbers (percent, whole counts, else yuan); the
    ``pinned`` column stays in view when the table scrolls sideways; empty cells blank; every row
    shown; ``widths``: pixels for columns whose content would otherwise push the table wider than
    the screen."""
    config, helps, widths = {}, helps or {}, widths or {}
    for c in frame.columns:
        if c in percent:
            config[c] = st.column_config.NumberColumn(c, format="%.2f%%", help=helps.get(c), width=widths.get(c))
        elif c in counts:
            config[c] = st.column_config.NumberColumn(c, format="%d", help=helps.get(c), width=widths.get(c))
        elif c not in text and c != pinned:
            config[c] = st.column_config.NumberColumn(c, format="¥%,.2f", help=helps.get(c), width=widths.get(c))
        elif c != pinned and c in widths:
            config[c] = st.column_config.TextColumn(c, help=helps.get(c), width=widths[c])
    config[pinned] = st.column_config.TextColumn(pinned, pinned=True, width=widths.get(pinned))
    st.dataframe(frame, hide_index=True, width="stretch", height=35 * (len(frame) + 1) + 3, column_config=config,
                 placeholder="")


def negotiate_view(scenario: Scenario, lang: str, loans_box, title: str) -> None:
    loans_box()
    sj = scenario.model_dump_json()
    tg = engine.targets(sj)
    asks, basis = targets_frames(tg, lang)
    st.subheader(t("targets_table", lang))
    number_table(asks, t("loan", lang), counts=(t("call_order", lang), t("ask_months", lang), t("grace", lang)),
                 text=(t("lender", lang),))
    st.markdown(f"##### {t('targets_basis', lang)}")
    number_table(basis, t("loan", lang), percent=(t("apr", lang), t("cap_rate", lang)))
    st.caption(t("order_note", lang))
    if not tg.asks_fit:
        st.warning(t("asks_short", lang, short=yuan(tg.shortfall.sum())))
    st.caption(t("informal", lang))

    st.subheader(t("scripts", lang))
    order = sorted(tg.loans, key=lambda x: x.call_rank)
    names = [x.loan for x in order]
    if st.session_state.get("script_for") not in names:
        st.session_state["script_for"] = names[0]
    # The label names the lender only: with the call rank in it, a rank that changed under a kept
    # choice (the counsellor case's friend, first at one income and twelfth at ¥8,500) still showed
    # the old "1." in Chromium; the rank is in the targets table and in the options' order.
    chosen = st.selectbox(t("script_for", lang), names, key="script_for", placeholder=t("choose", lang),
                          format_func=lambda n: next(state.who(x.lender, x.loan, lang) for x in order if x.loan == n))
    target = next(x for x in order if x.loan == chosen)
    target = target._replace(break_even=engine.limit(sj, tg, target.index))
    st.markdown(t("say_this", lang, lender=target.lender))
    st.code(months_in_words(script_for_lender(tg, target, lang), lang), language=None, wrap_lines=True)
    with st.container(border=True, key="private_notes"):
        st.markdown(t("private_title", lang))
        st.markdown("\n".join(f"- {months_in_words(note, lang)}" for note in notes_for_borrower(tg, target, lang)))
    download_targets_and_scripts(scenario, tg, lang, title, "neg")


def csv_words(lang: str):
    """Chinese headers and words in the CSV files, when asked for (English stays the default)."""
    return (CSV_HEADERS[lang], CSV_VALUES[lang]) if st.session_state.get("zh_headers") and lang == "zh" else None


def download_targets_and_scripts(scenario: Scenario, tg, lang: str, title: str, where: str) -> None:
    sj = scenario.model_dump_json()
    headers = csv_words(lang)
    a, b = st.columns(2)
    a.download_button(t("download_targets", lang), lambda: state.csv_bytes(engine.targets_with_limits(sj).table(), headers),
                      state.file_name(title, t("file_targets", lang), "csv"), "text/csv", key=f"dl_targets_{where}",
                      on_click="ignore", help=t("download_targets_help", lang))
    b.download_button(t("download_scripts", lang), state.scripts_text(tg, lang).encode("utf-8"),
                      state.file_name(title, t("file_scripts", lang), "txt"), "text/plain", key=f"dl_scripts_{where}",
                      on_click="ignore")
    # Letters and the calendar are made only when asked for (the PDFs take seconds).
    c, d = st.columns(2)
    c.download_button(t("download_letters", lang), lambda: state.zip_bytes(letter_files(tg, lang)),
                      state.file_name(title, t("file_letters", lang), "zip"), "application/zip",
                      key=f"dl_letters_{where}", on_click="ignore", help=t("download_letters_help", lang))
    d.download_button(t("download_calendar", lang), lambda: payment_calendar(tg, lang),
                      state.file_name(title, t("file_calendar", lang), "ics"), "text/calendar",
                      key=f"dl_calendar_{where}", on_click="ignore")


def export_view(scenario: Scenario, lang: str, loans_box, title: str) -> None:
    loans_box()
    sj = scenario.model_dump_json()
    st.caption(t("export_note", lang))
    if lang == "zh":
        st.checkbox(t("zh_headers", lang), key="zh_headers", help=t("zh_headers_help", lang))
    headers = csv_words(lang)
    plan_csv = state.csv_bytes(plan_table("optimal", engine.optimal(sj).ledger), headers)
    compare_csv = state.csv_bytes(engine.comparison(sj).table(), headers)
    scenario_toml = state.to_toml(scenario)
    st.session_state.update(plan_csv=plan_csv, compare_csv=compare_csv, scenario_toml=scenario_toml)
    a, b, c = st.columns(3)
    a.download_button(t("download_plan", lang), plan_csv, state.file_name(title, t("file_plan", lang), "csv"), "text/csv",
                      key="dl_plan", on_click="ignore")
    b.download_button(t("download_compare", lang), compare_csv, state.file_name(title, t("file_compare", lang), "csv"),
                      "text/csv", key="dl_compare", on_click="ignore")
    c.download_button(t("download_scenario", lang), scenario_toml, state.file_name(title, t("file_scenario", lang), "toml"),
                      "application/toml", key="dl_scenario", on_click="ignore")
    download_targets_and_scripts(scenario, engine.targets(sj), lang, title, "export")


# ---- the Cases view: the case file's caseload and one case against its plan ------------------------

# On the Cases view the sidebar's inputs (for the example or uploaded scenario) do not apply: they are
# hidden, not removed, so that what was typed or uploaded there is still there on the way back.
HIDE_SIDEBAR = ("<style>[data-testid='stSidebar'], [data-testid='stExpandSidebarButton'], "
                "[data-testid='stSidebarCollapsedControl'] { display: none !important; }</style>")


def case_settings() -> tuple[str, str | None, dt.date]:
    """(case file URL, the --db given if any, today), worked out once per session as `debtplan case`
    does (see dashboard/cases.py); tests set ``case_db`` and ``case_today`` in session state."""
    if "case_db" not in st.session_state:
        given, today = cases.start_options(sys.argv[1:])
        st.session_state["case_db"] = cases.case_file_url(given)
        st.session_state["case_db_flag"] = given
        st.session_state.setdefault("case_today", today)
    return (st.session_state["case_db"], st.session_state.get("case_db_flag"),
            st.session_state.get("case_today") or dt.date.today())


def pick_from_table() -> None:
    """A row clicked in the caseload opens that case."""
    rows = st.session_state["caseload_table"].selection.rows
    shown = st.session_state.get("caseload_shown", [])
    if rows and rows[0] < len(shown):
        st.session_state["case_pick"] = shown[rows[0]]


def cases_view(lang: str) -> None:
    st.html(HIDE_SIDEBAR)
    url, flag, today = case_settings()
    st.subheader(t("cases_title", lang))
    try:
        cf, path = cases.open_case_file(url)
    except CaseFileError as exc:
        st.error(t("cases_error", lang) + cases.error_text(exc, lang))
        return
    if cf is None or not cf.case_names():
        if cf is not None:
            cf.close()
        st.info(t("cases_no_file" if cf is None else "cases_empty", lang, path=path))
        st.markdown(t("cases_how_new", lang))
        st.code(cases.first_case_commands(flag), language=None, wrap_lines=True)
        st.markdown(t("cases_how_other", lang))
        st.code("streamlit run dashboard/app.py -- --db cases.db", language=None, wrap_lines=True)
        return
    store = st.session_state.setdefault("cases_page", {"search": "", "stage": None, "calls": False})
    with cf:
        st.caption(t("cases_where", lang, path=path, date=today.isoformat()))
        a, b, c = st.columns([3, 3, 2], vertical_alignment="bottom")
        store["search"] = a.text_input(t("case_search", lang), value=store["search"], key="case_search")
        options = [None, *STAGES]
        # A key per language: the options' words change with it, and a kept widget would show the old ones.
        store["stage"] = b.selectbox(t("case_stage", lang), options, index=options.index(store["stage"]), key=f"case_stage::{lang}",
                                     format_func=lambda s: t("stage_all", lang) if s is None else cases.stage_word(s, lang))
        store["calls"] = c.checkbox(t("calls_only", lang), value=store["calls"], key="case_calls")
        try:
            rows = caseload(cf, today, store["search"].strip() or None, store["stage"], store["calls"])
        except DebtplanError as exc:  # e.g. a case stored by a newer debtplan: said, not a traceback
            st.error(t("cases_error", lang) + cases.error_text(exc, lang))
            return
        st.session_state["caseload"] = rows  # for tests
        if not rows:
            st.info(t("cases_none_match", lang))
            return
        st.markdown(t("cases_count", lang, n=len(rows), calls=sum(r.needs_call for r in rows)))
        caseload_section(rows, lang, today)
        names = [r.case for r in rows]
        if st.session_state.get("case_pick") not in names:
            st.session_state["case_pick"] = store.get("case") if store.get("case") in names else names[0]
        store["case"] = st.selectbox(t("case_pick", lang), names, key="case_pick",
                                     format_func=lambda n: ("☎ " if next(r for r in rows if r.case == n).needs_call else "") + n)
        data = cf.load(store["case"])
    case_section(data, next(r for r in rows if r.case == store["case"]), today, lang, flag, url)


def caseload_section(rows, lang: str, today: dt.date) -> None:
    frame = cases.caseload_table(rows, lang)
    st.session_state["caseload_shown"] = [r.case for r in rows]
    # Widths in pixels so that every column fits a 1440 px screen; long cells show in full on hover
    # and in the case below (the last plan too: a table with it would not fit).
    widths = {"col_case": 100, "col_urgency": 50, "col_top": 260, "col_due": 130, "col_missed": 150, "col_agreements": 140,
              "col_stages": 150, "col_owed": 92, "col_behind": 92, "col_last_payment": 88}
    helps = {"col_urgency": t("col_urgency_help", lang), "col_behind": t("col_behind_help", lang)}
    config = {}
    for col in cases.CASELOAD_COLUMNS:
        name = t(col, lang)
        if col in cases.CASELOAD_MONEY:
            config[name] = st.column_config.NumberColumn(name, format="¥%,.2f", width=widths[col], help=helps.get(col))
        elif col == "col_urgency":
            config[name] = st.column_config.NumberColumn(name, format="%d", width=widths[col], help=helps[col])
        else:
            config[name] = st.column_config.TextColumn(name, width=widths[col], pinned=col == "col_case")
    st.dataframe(frame, hide_index=True, width="stretch", height=35 * (len(frame) + 1) + 3, column_config=config,
                 placeholder="", key="caseload_table", on_select=pick_from_table, selection_mode="single-row")
    st.download_button(t("download_caseload", lang), state.csv_bytes(caseload_frame(rows)),
                       state.file_name("debtplan", t("file_caseload", lang), "csv", today), "text/csv",
                       key="dl_caseload", on_click="ignore")


def case_section(data, row, today: dt.date, lang: str, flag: str | None, url: str) -> None:
    """One case: what to do next, actual against plan (chart and drift), the loans as they stand,
    recording a payment."""
    case_now = case_state(data, today)
    vs = actual_vs_plan(data, today)
    month = case_now.month.strftime("%Y-%m")
    done = st.session_state.pop("payment_recorded", None)
    if done:
        st.success(t("pay_done", lang, **done))
    with st.container(border=True, key="case_detail"):
        st.markdown(f"### {t('case_head', lang, case=data.case.name)}")
        st.markdown(t("case_figures", lang, owed=yuan(row.owed), month=month_name(month, lang), behind=yuan(row.behind),
                      paid=row.last_payment.isoformat() if row.last_payment else t("none_yet", lang),
                      plan=row.last_plan.isoformat() if row.last_plan else t("none_yet", lang)))
        st.markdown(f"##### {t('next_steps', lang)}")
        steps = [cases.reason_text(r, lang) for r in row.why] or [t("nothing_to_do", lang)]
        st.markdown("\n".join(f"- {text}" for text in steps))
        if case_now.note_items:
            st.warning(t("notes_title", lang) + "\n\n" + "\n".join(f"- {cases.note_text(n, lang)}" for n in case_now.note_items))
    st.markdown(f"##### {t('avp_title', lang)}")
    if vs.rows:
        loans = [loan.name for loan in case_now.base.loans]
        st.plotly_chart(charts.actual_vs_plan_figure(vs, lang, loans), width="stretch",
                        config={"displayModeBar": False, "responsive": True}, theme=None, key="avp_chart")
        st.caption(t("avp_note", lang, month=month_name(vs.month, lang)))
    else:
        st.info(t("avp_none", lang))
    st.markdown(f"##### {t('drift_title', lang)}")
    st.markdown("\n".join(f"- {cases.drift_line(d, lang)}" for d in vs.drift))
    number_table(cases.drift_table(vs, lang), t("loan", lang))
    st.markdown(f"##### {t('loans_now', lang, month=month_name(month, lang))}")
    # Stages and agreements are long: fixed widths keep every column on a 1440 px screen.
    number_table(cases.loans_table(case_now, lang), t("loan", lang), counts=(t("col_months_behind", lang),),
                 text=(t("lender", lang), t("col_state", lang), t("col_agreements", lang)),
                 widths={t("col_state", lang): 380, t("col_agreements", lang): 280})
    payment_form(data, case_now, today, lang, url)
    st.markdown(t("record_commands", lang))
    loan = next((s.name for s in case_now.loans if not s.closed), case_now.loans[0].name)
    st.code(cases.commands(data.case.name, loan, case_now.month, flag), language=None, wrap_lines=True)


def payment_form(data, case_now, today: dt.date, lang: str, url: str) -> None:
    """Record a payment for this case: the checks and the one transaction of `debtplan case pay`
    (casework.record_payment); a refused payment writes nothing and says why."""
    with st.form("record_payment", clear_on_submit=False, border=True):
        st.markdown(f"##### {t('pay_title', lang)}")
        a, b, c = st.columns([2, 2, 2])
        loan = a.selectbox(t("loan", lang), [s.name for s in case_now.loans if not s.closed] or [case_now.loans[0].name],
                           key="pay_loan")
        amount = b.text_input(t("pay_amount", lang), key="pay_amount", placeholder="1200.50")
        day = c.date_input(t("pay_date", lang), value=today, max_value=today, key="pay_date", format="YYYY-MM-DD")
        note = st.text_input(t("pay_note", lang), key="pay_note", max_chars=200)
        submitted = st.form_submit_button(t("pay_submit", lang), type="primary", key="pay_submit")
    if not submitted:
        return
    try:
        cf, _ = cases.open_case_file(url)
        if cf is None:  # removed since the page was drawn: never made again here
            raise NoCaseFile(path=url)
        with cf:
            _, name, paid_on, fen = record_payment(cf, data.case.name, loan, amount, day.isoformat() if day else None,
                                                   note, today)
    except DebtplanError as exc:
        st.error(cases.error_text(exc, lang))
        return
    st.session_state["payment_recorded"] = {"amount": yuan(fen / 100), "loan": name, "day": paid_on.isoformat()}
    for key in ("pay_amount", "pay_note"):
        st.session_state.pop(key, None)
    st.rerun()


# ---- the page -----------------------------------------------------------------------------------

def main() -> None:
    st.set_page_config(page_title="debtplan", page_icon="¥", layout="wide", initial_sidebar_state="auto")
    engine.begin_run()
    lang = st.session_state.get("lang") or "zh"
    st.html(STYLE[lang])
    head, switch = st.columns([4, 1], vertical_alignment="center")
    lang = switch.segmented_control(t("language", lang), LANGS, format_func=LANG_NAMES.get, default="zh", required=True,
                                    key="lang", label_visibility="collapsed")
    head.markdown(f"## {t('title', lang)}")
    st.caption(t("tagline", lang))

    st.sidebar.markdown(f"### {t('inputs', lang)}")
    loaded = choose_case(lang)
    if loaded is None:
        return
    base, source, title = loaded
    store = edits(source, base)
    st.sidebar.button(t("reset", lang), on_click=reset_to_file, args=(source,), key="reset", help=t("reset_help", lang),
                      disabled=source not in st.session_state.get("dirty", set()))
    values = money_inputs(base, source, store, lang)

    messages = st.container()
    view = st.segmented_control(t("view", lang), VIEWS, format_func=lambda v: t(f"view_{v}", lang), default="plan",
                                required=True, key="view")
    if view == "cases":  # the case file's, not the scenario's: the sidebar's inputs do not apply
        cases_view(lang)
        run_done(values["income"])
        return
    body = st.container()

    def loans_box() -> None:
        # A toggle, not an expander: a closed expander's table is still sent and drawn on every
        # rerun; a table that is off costs nothing.
        if st.toggle(t("loans", lang, n=len(store["table"])), key="show_loans"):
            loans_editor(base, source, store, lang)

    # The editor is drawn inside the view (where it sits differs per view), so read it first.
    with body:
        placeholder = st.empty()
    key = f"loans::{source}::{store['version']}"
    delta = st.session_state.get(key)
    if delta and any(delta.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
        store["table"], store["next_label"] = state.fold_edits(store["table"], delta, store["next_label"])
        store["version"] = next_version()
        st.session_state.pop(key, None)

    scenario = current_scenario(base, source, store, values, lang, messages)
    dirty = st.session_state.setdefault("dirty", set())
    if scenario is not None and scenario == base and store["table"].equals(state.loan_table(base)):
        dirty.discard(source)
    else:
        dirty.add(source)
    if scenario is not None:
        st.session_state[f"last_good::{source}"] = scenario
    else:
        scenario = st.session_state.get(f"last_good::{source}")
        st.session_state["show_loans"] = True  # the table with the problem stays in view
    with messages:
        ask_before_switching(lang, scenario, title)
    if scenario is None:
        with body:
            loans_box()
        return
    try:
        if view != "plan":  # the Plan view has it in its card
            with messages:
                st.markdown(f"**{headline(scenario, lang)}**")
        with placeholder.container():
            if view == "plan":
                plan_view(scenario, lang, loans_box)
            elif view == "compare":
                compare_view(scenario, lang, loans_box)
            elif view == "negotiate":
                negotiate_view(scenario, lang, loans_box, title)
            else:
                export_view(scenario, lang, loans_box, title)
    except engine.Superseded:
        st.stop()  # a newer run of this session has the page
    run_done(values["income"])


def run_done(income: float) -> None:
    """The page's last element: which run finished, and on what income (bench/browser.py and the
    browser tests wait for it; hidden from view and from screen readers)."""
    st.session_state["runs_done"] = st.session_state.get("runs_done", 0) + 1
    st.html(f'<span id="run-done" data-run="{st.session_state["runs_done"]}" data-income="{income:.2f}" hidden></span>')


main()

