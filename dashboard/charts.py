"""Chart functions: engine results in, ``plotly.graph_objects.Figure`` out. No Streamlit here.

Colours carry one meaning each across the dashboard: every loan keeps one colour in every chart
(by its place in the scenario), and loans never take a risk-class colour (red: lawsuit, orange:
credit bureau, purple: abusive collection), so red always means a lawsuit. All colours are at
least 3:1 against white (WCAG non-text contrast); text in charts is the page's text colour.
Months are drawn on a date axis labelled per language ("2027年1月", "Jan 2027").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from optimizer import Ledger
from optimizer.casework import ActualVsPlan

from .i18n import t

TEXT = "#31333f"
# Blues, greens, teals, ochres and browns: no red, orange or purple, no plain grey.
LOAN_COLOURS = ("#1f77b4", "#2e7d32", "#8d6e00", "#00838f", "#283593", "#558b2f", "#6d4c41", "#0288d1",
                "#827717", "#00695c", "#5c6bc0", "#37474f")
CLASS_COLOURS = {"lawsuit": "#c0392b", "credit": "#d35400", "collection": "#8e44ad", "other": "#6b6f7b"}
PART_COLOURS = {"interest": "#1d4e89", **{k: v for k, v in CLASS_COLOURS.items() if k != "other"},
                "records": "#7b241c", "missed": "#a04000", "unpaid": "#6b6f7b", "other": "#555867"}
_DASHES = ("solid", "dash", "dot", "dashdot")
_MONTH_FORMAT = {"zh": "%Y年%-m月", "en": "%b %Y"}
# No plotly template: a template is sent with every figure on every rerun and costs the browser
# time to apply (bench/browser.py); the few settings the charts need are set in _layout.
_EMPTY = go.layout.Template()


def loan_colour(index: int) -> str:
    return LOAN_COLOURS[index % len(LOAN_COLOURS)]


def _layout(fig: go.Figure, lang: str, months: int | None = None, height: int = 340) -> go.Figure:
    fig.update_layout(
        template=_EMPTY, plot_bgcolor="white", paper_bgcolor="white", height=height, margin=dict(l=8, r=8, t=8, b=8),
        font=dict(color=TEXT, size=13), hoverlabel=dict(font_size=13),
        legend=dict(orientation="h", y=-0.18, x=0, font=dict(color=TEXT)),
        yaxis=dict(tickprefix="¥", tickformat=",.0f", tickfont=dict(color=TEXT), gridcolor="#e3e5ea", automargin=True),
        xaxis=dict(automargin=True),
    )
    if months is not None:
        step = 1 if months <= 12 else 2 if months <= 24 else 3 if months <= 48 else 6
        fig.update_xaxes(type="date", tickformat=_MONTH_FORMAT[lang], hoverformat=_MONTH_FORMAT[lang],
                         dtick=f"M{step}", tickfont=dict(color=TEXT), showgrid=False)
    return fig


def _shown_months(ledger: Ledger) -> int:
    """Months worth drawing: up to the debt-free month and one after, else the whole horizon."""
    free = ledger.debt_free_month
    return ledger.terms.horizon if free is None else min(ledger.terms.horizon, free + 1)


def _previous_month(month: str) -> str:
    year, m = map(int, month.split("-"))
    return f"{year - (m == 1)}-{12 if m == 1 else m - 1:02d}"


def payments_figure(ledger: Ledger, lang: str) -> go.Figure:
    terms = ledger.terms
    k = _shown_months(ledger)
    fig = go.Figure()
    for i, (name, row) in enumerate(zip(terms.names, ledger.payments)):
        fig.add_bar(x=list(terms.months[:k]), y=row[:k], name=name, marker_color=loan_colour(i),
                    hovertemplate="¥%{y:,.2f}")
    fig.update_layout(barmode="stack", hovermode="x unified", legend_traceorder="normal")
    return _layout(fig, lang, k)


def balances_figure(ledger: Ledger, lang: str) -> go.Figure:
    terms = ledger.terms
    k = _shown_months(ledger)
    months = [_previous_month(terms.months[0]), *terms.months[:k]]  # balances owed before month 1
    fig = go.Figure()
    for i, (name, row) in enumerate(zip(terms.names, ledger.balance)):
        # Lines without markers: twelve loans × 48 months of markers double the browser's drawing time.
        fig.add_scatter(x=months, y=row[: k + 1], name=name, mode="lines",
                        line=dict(color=loan_colour(i), width=2.5, dash=_DASHES[i // len(LOAN_COLOURS) % len(_DASHES)]),
                        hovertemplate="¥%{y:,.2f}")
    fig.update_layout(hovermode="x unified")
    return _layout(fig, lang, k + 1)


def overdue_figure(ledger: Ledger, lang: str) -> go.Figure:
    """Overdue by each loan's worst class that month (a loan sued under the plan moves class), so
    the stacked chart counts every yuan once."""
    terms = ledger.terms
    k = _shown_months(ledger)
    classes = ledger.worst_class()[:, 1:]
    fig = go.Figure()
    for cls, colour in CLASS_COLOURS.items():
        if (classes == cls).any():
            amount = (ledger.overdue[:, 1:] * (classes == cls)).sum(axis=0)[:k]
            fig.add_scatter(x=list(terms.months[:k]), y=amount, name=t(f"class_{cls}", lang), stackgroup="overdue",
                            mode="lines", line=dict(color=colour), hovertemplate="¥%{y:,.2f}")
    fig.update_layout(hovermode="x unified", legend_traceorder="normal")
    return _layout(fig, lang, k)


def cost_figure(parts: dict[str, dict[str, float]], lang: str) -> go.Figure:
    """Each plan's weighted cost as stacked bars of its parts (interest, each harm, debt left)."""
    plans = list(parts)
    labels = [t(f"strategy_{p}", lang) for p in plans]
    fig = go.Figure()
    for part, colour in PART_COLOURS.items():
        values = [max(0.0, parts[p].get(part, 0.0)) for p in plans]
        if max(values, default=0.0) >= 0.5:
            fig.add_bar(y=labels, x=values, name=t(f"part_{part}", lang), orientation="h", marker_color=colour,
                        hovertemplate="%{y}: ¥%{x:,.0f}<extra>" + t(f"part_{part}", lang) + "</extra>")
    totals = [sum(parts[p].values()) for p in plans]
    fig.add_scatter(y=labels, x=totals, mode="text", text=[f"¥{v:,.0f}" for v in totals], textposition="middle right",
                    showlegend=False, hoverinfo="skip", textfont=dict(color=TEXT))
    fig.update_layout(barmode="stack", yaxis=dict(autorange="reversed"))
    fig = _layout(fig, lang, height=max(300, 46 * len(plans) + 90))
    fig.update_layout(yaxis=dict(tickprefix="", tickformat=""),
                      xaxis=dict(tickprefix="¥", tickformat=",.0f", range=[0, max(totals, default=1.0) * 1.18]),
                      margin=dict(l=8, r=8, t=8, b=8))
    return fig


def actual_vs_plan_figure(vs: ActualVsPlan, lang: str, loans: Sequence[str] = ()) -> go.Figure:
    """Planned against paid per month and loan (the result of ``casework.actual_vs_plan``): a bar
    for what was paid to each loan, a dark dash at what the plan in force asked for it that month, and
    the month still open shaded. ``loans``: the case's loans in its scenario's order, so that each
    loan has the colour it has in the plan charts."""
    frame = vs.frame()
    order = list(loans) + [loan for loan in dict.fromkeys(frame["loan"]) if loan not in loans]
    paid_word, planned_word = t("paid", lang), t("planned", lang)
    fig = go.Figure()
    for loan in sorted(dict.fromkeys(frame["loan"]), key=order.index):
        part = frame[frame["loan"] == loan]
        colour = loan_colour(order.index(loan))
        fig.add_bar(x=part["month"].tolist(), y=part["paid"].tolist(), name=loan, marker_color=colour, offsetgroup=loan,
                    legendgroup=loan, hovertemplate=f"{paid_word} ¥%{{y:,.2f}}")
        # The plan: a dark dash over the loan's bar ("line-ew" marker in the bar's group), seen
        # also where the bar reaches it exactly, and where nothing was paid.
        fig.add_scatter(x=part["month"].tolist(), y=part["planned"].tolist(), name=f"{loan} · {planned_word}",
                        mode="markers", offsetgroup=loan, legendgroup=loan, showlegend=False,
                        marker=dict(symbol="line-ew", size=18, color=TEXT, line=dict(width=3, color=TEXT)),
                        hovertemplate=f"{planned_word} ¥%{{y:,.2f}}")
    months = sorted(set(frame["month"]))
    if vs.month in months:
        year, m = map(int, vs.month.split("-"))
        start = dt.date(year, m, 1)
        fig.add_vrect(x0=(start - dt.timedelta(days=15)).isoformat(), x1=(start + dt.timedelta(days=15)).isoformat(),
                      fillcolor="#e3e5ea", opacity=0.5, layer="below", line_width=0,
                      annotation_text=t("open_month", lang), annotation_position="outside top left",
                      annotation_font=dict(color=TEXT, size=12))
    fig.update_layout(barmode="group", scattermode="group", hovermode="x unified", legend_traceorder="normal")
    fig = _layout(fig, lang, max(len(months), 1))
    fig.update_layout(margin=dict(t=26))  # room for the open month's label above the plot
    return fig
