"""debtplan's dashboard: widgets → scenario → optimizer → figures. No arithmetic of its own.

Run ``streamlit run dashboard/app.py`` from the project folder (``.streamlit/config.toml`` there
keeps it on 127.0.0.1 with usage statistics off). Solves are cached on the scenario's JSON, so
moving a slider back is instant; only the chosen view is computed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, state
from dashboard.i18n import LANG_NAMES, LANGS, t, yuan, yuan0
from optimizer import DebtplanError, Scenario, compare, load_scenario, make_plan, scenario_from_bytes, summarize
from optimizer.export import csv_bytes, plan_table
from optimizer.planner import credit_records
from optimizer.negotiate import negotiation_targets
from optimizer.scripts import script
from optimizer.solve import Replanner

VIEWS = ("plan", "compare", "negotiate", "export")


# ---- cached engine calls (keyed on the scenario's JSON) -----------------------------------------

# A slider move gives a model of the same shape: each session keeps one warm HiGHS model
# (argument names starting with "_" are not part of Streamlit's cache key).

def replanner() -> Replanner:
    if "replanner" not in st.session_state:
        st.session_state["replanner"] = Replanner()
    return st.session_state["replanner"]


@st.cache_data(max_entries=128, show_spinner=False)
def optimal(scenario_json: str, _replanner: Replanner | None = None):
    return make_plan(Scenario.model_validate_json(scenario_json), "optimal", replanner=_replanner)


@st.cache_data(max_entries=64, show_spinner=False)
def comparison(scenario_json: str, _replanner: Replanner | None = None):
    return compare(Scenario.model_validate_json(scenario_json), replanner=_replanner)


@st.cache_data(max_entries=64, show_spinner=False)
def targets(scenario_json: str, with_break_even: bool, _replanner: Replanner | None = None):
    return negotiation_targets(Scenario.model_validate_json(scenario_json), with_break_even=with_break_even,
                               replanner=_replanner)


# ---- inputs ------------------------------------------------------------------------------------

def choose_language() -> str:
    return st.sidebar.segmented_control(
        "Language / 语言", LANGS, format_func=LANG_NAMES.get, default="zh", required=True, key="lang",
    )


def base_scenario(lang: str) -> tuple[Scenario, str] | None:
    files = state.scenario_files()
    name = st.sidebar.selectbox(t("scenario", lang), files, index=files.index(state.DEFAULT_SCENARIO), key="scenario_file")
    upload = st.sidebar.file_uploader(t("upload", lang), type=["toml"], key="upload")
    try:
        if upload is not None:
            return scenario_from_bytes(upload.getvalue(), upload.name), f"upload:{upload.name}:{upload.size}"
        return load_scenario(state.SCENARIOS / name), f"file:{name}"
    except DebtplanError as exc:
        st.error(t("bad_file", lang) + str(exc))
        return None


def inputs(base: Scenario, source: str, lang: str) -> Scenario | None:
    """The sidebar and the loan table applied to ``base``; None (with a message) if invalid."""
    sb = st.sidebar
    sb.subheader(t("money", lang))
    income0, essentials0 = base.monthly("income")[0], base.monthly("essentials")[0]
    top = max(20000.0, 2 * income0)
    income = sb.slider(t("income", lang), 0.0, top, income0, step=100.0, help=t("income_help", lang), key=f"income::{source}")
    essentials = sb.slider(t("essentials", lang), 0.0, top, essentials0, step=100.0, key=f"essentials::{source}")
    horizon = sb.slider(t("horizon", lang), 6, 120, base.horizon_months, step=1, key=f"horizon::{source}")
    sb.subheader(t("weights", lang))
    w = base.weights
    weights = {
        # From 0.01, as the scenario requires (optimizer/scenario.py, Weights.interest).
        "interest": sb.slider(t("w_interest", lang), 0.01, 3.0, w.interest, step=0.01, key=f"w_interest::{source}"),
        "lawsuit": sb.slider(t("w_lawsuit", lang), 0.0, 0.5, w.lawsuit, step=0.01, key=f"w_lawsuit::{source}"),
        "credit": sb.slider(t("w_credit", lang), 0.0, 0.5, w.credit, step=0.01, key=f"w_credit::{source}"),
        "collection": sb.slider(t("w_collection", lang), 0.0, 0.5, w.collection, step=0.01, key=f"w_collection::{source}"),
    }
    basis = sb.radio(t("basis", lang), ("claim", "cap"), index=("claim", "cap").index(base.legal.basis),
                     format_func=lambda b: t(f"basis_{b}", lang), key=f"basis::{source}", horizontal=True)

    st.subheader(t("loans", lang))
    shown = state.loan_table(base)
    edited = st.data_editor(
        shown, key=f"loans::{source}", num_rows="dynamic", hide_index=True, width="stretch",
        column_config={
            "name": st.column_config.TextColumn(t("loan", lang), required=True),
            "lender": st.column_config.TextColumn(t("lender", lang)),
            "lender_type": st.column_config.SelectboxColumn(
                t("lender_type", lang), options=["licensed", "private"], required=True, format_func=lambda v: t(v, lang)),
            **{col: st.column_config.NumberColumn(f"{t(col, lang)}（¥）" if lang == "zh" else f"{t(col, lang)} (¥)",
                                                  format="accounting", min_value=0.0)
               for col in ("principal", "interest_owed", "penalty_owed", "fees_owed", "installment")},
            "apr": st.column_config.NumberColumn(t("apr", lang), format="percent", help=t("apr_help", lang)),
            "installments_left": st.column_config.NumberColumn(t("installments_left", lang), format="%d"),
            "days_overdue": st.column_config.NumberColumn(t("days_overdue", lang), format="%d"),
            **{flag: st.column_config.CheckboxColumn(t(flag, lang)) for flag in state.FLAGS},
        },
    )
    try:
        scenario = state.apply_inputs(base, income=income, essentials=essentials, horizon=horizon,
                                      weights=weights, basis=basis, shown=shown, edited=edited)
    except DebtplanError as exc:
        st.error(t("bad_edit", lang) + str(exc))
        return None
    return scenario


# ---- views -------------------------------------------------------------------------------------

def headline(scenario: Scenario, lang: str) -> None:
    sj = scenario.model_dump_json()
    result = optimal(sj, replanner())
    summary = summarize(result)
    if summary.months_to_debt_free is not None:
        first = t("headline_free", lang, months=summary.months_to_debt_free, month=summary.debt_free_month)
    else:
        first = t("headline_not_free", lang, month=scenario.months[-1], left=yuan0(summary.left_at_horizon))
    order = sorted(targets(sj, False, replanner()).loans, key=lambda x: x.call_rank)
    who = order[0].lender if order[0].lender == order[0].loan else f"{order[0].lender}（{order[0].loan}）"
    text = f"**{first}** · {t('headline_paid', lang, paid=yuan0(summary.total_paid))} · {t('headline_call', lang, who=who)}"
    st.session_state["headline"] = text
    st.markdown(f"### {text}")
    if result.extra_monthly:
        st.warning(t("extra_needed", lang, extra=yuan0(result.extra_monthly)))


def plan_view(scenario: Scenario, lang: str) -> None:
    result = optimal(scenario.model_dump_json(), replanner())
    ledger = result.ledger
    left, right = st.columns(2)
    left.plotly_chart(charts.payments_figure(ledger, lang), width="stretch")
    right.plotly_chart(charts.balances_figure(ledger, lang), width="stretch")
    st.plotly_chart(charts.overdue_figure(ledger, lang), width="stretch")
    years = scenario.legal.credit_record_years
    for loan, (repaid, until) in credit_records(result, years).items():
        st.caption(t("record_until", lang, loan=loan, repaid=repaid, until=until, years=years) if repaid
                   else t("record_open", lang, loan=loan, years=years))
    st.subheader(t("month_table", lang))
    terms = ledger.terms
    frame = pd.DataFrame(ledger.payments.T, columns=list(terms.names), index=list(terms.months))
    frame[t("saved", lang)] = ledger.cash[1:]
    frame.index.name = t("month", lang)
    st.dataframe(frame.map(yuan), width="stretch")


def compare_view(scenario: Scenario, lang: str) -> None:
    comp = comparison(scenario.model_dump_json(), replanner())
    st.plotly_chart(charts.compare_figure(comp, lang), width="stretch")
    best = comp.summaries["optimal"]
    rows = []
    for name, s in comp.summaries.items():
        rows.append({
            t("plan", lang): ("★ " if name == "optimal" else "") + t(f"strategy_{name}", lang),
            t("debt_free", lang): s.debt_free_month or t("not_within", lang),
            t("total_paid", lang): yuan(s.total_paid),
            t("interest", lang): yuan(s.interest),
            t("penalty", lang): yuan(s.penalty),
            t("left", lang): yuan(s.left_at_horizon),
            t("overdue_ym", lang): f"{s.overdue_yuan_months['all']:,.0f}",
            t("weighted_cost", lang): yuan(s.weighted_cost),
            t("gain", lang): "—" if name in ("optimal", "negotiated") else yuan(s.weighted_cost - best.weighted_cost),
        })
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def negotiate_view(scenario: Scenario, lang: str) -> None:
    with st.spinner(t("working", lang)):
        tg = targets(scenario.model_dump_json(), True, replanner())
    rows = []
    for x in sorted(tg.loans, key=lambda x: x.call_rank):
        ask = x.installment_ask
        rows.append({
            t("call_order", lang): x.call_rank,
            t("loan", lang): x.loan,
            t("lender", lang): x.lender,
            t("apr", lang): f"{x.yearly_rate:.2%}",
            t("cap_rate", lang): f"{x.cap.yearly_rate:.2%}",
            t("disputable", lang): yuan(x.cap.disputable),
            t("ask_months", lang): ask.months if ask else "—",
            t("ask_monthly", lang): yuan(ask.monthly) if ask else "—",
            t("grace", lang): ask.grace if ask else "—",
            t("penalty_waiver", lang): yuan(x.penalty_waiver),
            t("break_even", lang): yuan(x.break_even),
            t("by", lang): x.break_even_by,
            t("improvement", lang): yuan(x.improvement),
            t("concession", lang): yuan(x.concession),
        })
    st.subheader(t("targets_table", lang))
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if not tg.asks_fit:
        st.warning(t("asks_short", lang, short=yuan(tg.shortfall.sum())))
    st.caption(t("informal", lang))
    st.subheader(t("scripts", lang))
    for x in sorted(tg.loans, key=lambda x: x.call_rank):
        with st.expander(f"{x.call_rank}. {x.lender} · {x.loan}", expanded=x.call_rank == 1):
            st.code(script(tg, x, lang), language=None, wrap_lines=True)
    st.session_state["targets_csv"] = csv_bytes(tg.table())


def export_view(scenario: Scenario, lang: str) -> None:
    sj = scenario.model_dump_json()
    st.caption(t("export_note", lang))
    plan_csv = csv_bytes(plan_table("optimal", optimal(sj, replanner()).ledger))
    compare_csv = csv_bytes(comparison(sj, replanner()).table())
    scenario_toml = state.to_toml(scenario)
    st.session_state.update(plan_csv=plan_csv, compare_csv=compare_csv, scenario_toml=scenario_toml)
    st.download_button(t("download_plan", lang), plan_csv, "plan.csv", "text/csv", key="dl_plan")
    st.download_button(t("download_compare", lang), compare_csv, "compare.csv", "text/csv", key="dl_compare")
    st.download_button(t("download_scenario", lang), scenario_toml, "scenario.toml", "application/toml", key="dl_scenario")


def main() -> None:
    st.set_page_config(page_title="debtplan", page_icon="¥", layout="wide")
    lang = choose_language()
    st.title(t("title", lang))
    st.caption(t("tagline", lang))
    loaded = base_scenario(lang)
    if loaded is None:
        return
    base, source = loaded
    top, body = st.container(), st.container()  # filled after the loan table below is read
    scenario = inputs(base, source, lang)
    if scenario is not None:
        st.session_state[f"last_good::{source}"] = scenario
    scenario = st.session_state.get(f"last_good::{source}")
    if scenario is None:
        return
    with top:
        headline(scenario, lang)
    with body:
        view = st.segmented_control(t("view", lang), VIEWS, format_func=lambda v: t(f"view_{v}", lang),
                                    default="plan", required=True, key="view")
        {"plan": plan_view, "compare": compare_view, "negotiate": negotiate_view, "export": export_view}[view](scenario, lang)


main()
