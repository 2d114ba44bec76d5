"""Chart functions: engine results in, ``plotly.graph_objects.Figure`` out. No Streamlit here."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from optimizer import Comparison, Ledger

from .i18n import t

_LAYOUT = dict(margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.15), hovermode="x unified")
_CLASS_COLOURS = {"lawsuit": "#c0392b", "credit": "#e67e22", "collection": "#8e44ad", "other": "#7f8c8d"}


def _shown_months(ledger: Ledger) -> int:
    """Months worth drawing: up to the debt-free month and one after, else the whole horizon."""
    free = ledger.debt_free_month
    return ledger.terms.horizon if free is None else min(ledger.terms.horizon, free + 1)


def payments_figure(ledger: Ledger, lang: str) -> go.Figure:
    terms = ledger.terms
    k = _shown_months(ledger)
    fig = go.Figure()
    for name, row in zip(terms.names, ledger.payments):
        fig.add_bar(x=list(terms.months[:k]), y=row[:k], name=name, hovertemplate="¥%{y:,.2f}")
    fig.update_layout(barmode="stack", title=t("payments_chart", lang), yaxis_tickprefix="¥", yaxis_tickformat=",.0f", **_LAYOUT)
    return fig


def balances_figure(ledger: Ledger, lang: str) -> go.Figure:
    terms = ledger.terms
    k = _shown_months(ledger)
    year, month = map(int, terms.months[0].split("-"))
    now = f"{year - (month == 1)}-{12 if month == 1 else month - 1:02d}"  # balances owed before month 1
    months = [now, *terms.months[:k]]
    fig = go.Figure()
    for name, row in zip(terms.names, ledger.balance):
        fig.add_scatter(x=months, y=row[: k + 1], name=name, mode="lines+markers", hovertemplate="¥%{y:,.2f}")
    fig.update_layout(title=t("balances_chart", lang), yaxis_tickprefix="¥", yaxis_tickformat=",.0f", **_LAYOUT)
    return fig


def overdue_figure(ledger: Ledger, lang: str) -> go.Figure:
    """Overdue by each loan's worst class that month (a loan sued under the plan moves class), so
    the stacked chart counts every yuan once."""
    terms = ledger.terms
    classes = ledger.worst_class()[:, 1:]
    fig = go.Figure()
    for cls, colour in _CLASS_COLOURS.items():
        amount = (ledger.overdue[:, 1:] * (classes == cls)).sum(axis=0)[: _shown_months(ledger)]
        if (classes == cls).any():
            fig.add_scatter(x=list(terms.months[: len(amount)]), y=amount, name=t(f"class_{cls}", lang), stackgroup="overdue",
                            mode="lines", line=dict(color=colour), hovertemplate="¥%{y:,.2f}")
    fig.update_layout(title=t("overdue_chart", lang), yaxis_tickprefix="¥", yaxis_tickformat=",.0f", **_LAYOUT)
    return fig


def compare_figure(comparison: Comparison, lang: str) -> go.Figure:
    names = list(comparison.summaries)
    costs = [comparison.summaries[n].weighted_cost for n in names]
    colours = ["#27ae60" if n == "optimal" else "#2980b9" if n == "negotiated" else "#95a5a6" for n in names]
    fig = go.Figure(go.Bar(
        x=[t(f"strategy_{n}", lang) for n in names], y=costs, marker_color=colours,
        text=[f"¥{c:,.0f}" for c in costs], textposition="outside", hovertemplate="¥%{y:,.2f}",
    ))
    fig.update_layout(title=t("compare_chart", lang), yaxis_tickprefix="¥", yaxis_tickformat=",.0f",
                      margin=dict(l=10, r=10, t=40, b=10), showlegend=False)
    return fig
