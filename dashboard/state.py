"""Between widgets and the engine: the loan table, its edits, slider values, files and the figures
the dashboard arranges, as pure functions.

No Streamlit here, so every step can be tested directly. The dashboard shows loans as a table of
the fields people know from their lenders' apps, with rates in percent (24 means 24 %);
:func:`table_problems` names every cell that cannot be right (a negative amount, a missing
required field) before anything reaches the engine, and :func:`apply_inputs` folds the slider
values and the *changed* cells back into a validated :class:`~optimizer.scenario.Scenario`, so a
field the table does not show (a contract date, a settlement offer, a schedule of income) is
never lost. :func:`fold_edits` applies a ``st.data_editor`` change set to the table kept in the
session, so an edit survives switching language, view or case.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import tomli_w

from optimizer import Comparison, Ledger, Scenario, export, scenario_from_dict
from optimizer.scripts import script_for_lender, who  # noqa: F401 (state.who: the pages' name for a lender)
from optimizer.planner import BEFORE_PLAN, risk_membership
from optimizer.ledger import demanded
from optimizer.terms import ENFORCEMENT, REPORTED, RISK_CLASSES, SUED

from .i18n import months_in_words, t

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = "three-overdue-loans.toml"

# The loan's yes/no fields share one "status" column of tags (six checkbox columns would not fit a
# screen beside the amounts).
FLAGS = ["accelerated", "lawsuit", "enforcement", "credit_reported", "abusive_collection", "credit_card"]
TABLE_COLUMNS = [
    "name", "lender", "lender_type", "principal", "interest_owed", "penalty_owed", "fees_owed", "apr",
    "installment", "installments_left", "days_overdue", "status",
]
MONEY_COLUMNS = ["principal", "interest_owed", "penalty_owed", "fees_owed", "installment"]
COUNT_COLUMNS = ["installments_left", "days_overdue"]
# Filled in for every new row, or the row is named in a message (never dropped in silence).
REQUIRED = ["name", "lender_type", "principal", "apr"]
MAX_APR_PERCENT = 365.0  # 1 % a day, the engine's limit (optimizer.scenario.MAX_APR)
# Sliders: the first plan month's amounts, and the weights (see Scenario.weights).
SLIDERS = ("income", "essentials", "horizon", "w_interest", "w_lawsuit", "w_enforcement", "w_credit",
           "w_collection", "basis")
WEIGHTS = ("interest", "lawsuit", "enforcement", "credit", "collection")


def scenario_files() -> list[str]:
    return sorted(p.name for p in SCENARIOS.glob("*.toml"))


# ---- the loan table ------------------------------------------------------------------------------

def loan_table(scenario: Scenario) -> pd.DataFrame:
    """One row per loan; the contract shown as installment + installments left, the rate as APR
    in percent."""
    rows = []
    for loan in scenario.loans:
        accelerated_only = loan.installment is None and loan.installments is None
        rows.append({
            "name": loan.name,
            "lender": loan.lender,
            "lender_type": loan.lender_type,
            "principal": loan.principal,
            "interest_owed": loan.interest_owed,
            "penalty_owed": loan.penalty_owed,
            "fees_owed": loan.fees_owed,
            "apr": round(loan.yearly_rate * 100, 4),
            "installment": None if accelerated_only else round(loan.installment_amount, 2),
            "installments_left": None if accelerated_only else loan.remaining_installments,
            "days_overdue": loan.days_overdue,
            "status": [flag for flag in FLAGS if getattr(loan, flag)],
        })
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return frame.astype({"name": "object", "lender": "object", "lender_type": "object", "installment": "float64",
                         "installments_left": "Int64", "days_overdue": "Int64"})


def fold_edits(frame: pd.DataFrame, delta: dict | None, next_label: int) -> tuple[pd.DataFrame, int]:
    """``frame`` with a data editor's change set applied (cells edited, rows added, rows deleted;
    positions refer to ``frame`` as shown). New rows get labels from ``next_label`` on, so they
    never take the label of one of the file's loans; returns the table and the next free label."""
    if not delta:
        return frame, next_label
    out = frame.copy()
    for pos, changes in (delta.get("edited_rows") or {}).items():
        label = out.index[int(pos)]
        for col, value in changes.items():
            if col in out.columns:
                out[col] = out[col].astype("object") if not _fits(out[col], value) else out[col]
                out.at[label, col] = value
    deleted = [out.index[int(pos)] for pos in delta.get("deleted_rows") or [] if int(pos) < len(out)]
    out = out.drop(index=deleted)
    added = []
    for row in delta.get("added_rows") or []:
        added.append(pd.DataFrame([{col: row.get(col) for col in TABLE_COLUMNS}], index=[next_label]))
        next_label += 1
    if added:
        out = pd.concat([out.astype("object"), *[a.astype("object") for a in added]])
    return _typed(out), next_label


def _fits(column: pd.Series, value: Any) -> bool:
    if _blank(value):
        return True
    if pd.api.types.is_bool_dtype(column):
        return isinstance(value, (bool, np.bool_))
    if pd.api.types.is_integer_dtype(column):
        return isinstance(value, (int, np.integer)) or (isinstance(value, float) and float(value).is_integer())
    if pd.api.types.is_float_dtype(column):
        return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    return True


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns back to their table types where every value fits (a bad value keeps ``object``)."""
    out = frame.copy()
    for col in MONEY_COLUMNS + ["apr"]:
        try:
            out[col] = pd.to_numeric(out[col]).astype("float64")
        except (TypeError, ValueError):
            pass
    for col in COUNT_COLUMNS:
        try:
            out[col] = pd.to_numeric(out[col]).astype("Int64")
        except (TypeError, ValueError):
            pass
    out["status"] = out["status"].map(_tags)
    for col in ("name", "lender", "lender_type"):
        out[col] = out[col].astype("object")
    return out


class Problem(NamedTuple):
    """One cell that cannot be right: ``row`` is the loan's name, or its 1-based row number."""

    row: str | int
    column: str
    kind: str  # "missing", "negative", "too_high", "whole", "duplicate"
    value: Any = None


def table_problems(frame: pd.DataFrame) -> list[Problem]:
    """Every cell of the loan table that the engine would refuse or that would mislead, in order."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for pos, (_, row) in enumerate(frame.iterrows(), 1):
        name = row.get("name")
        who: str | int = str(name).strip() if not _blank(name) and str(name).strip() else pos
        for col in REQUIRED:
            if _blank(row.get(col)) or (isinstance(row.get(col), str) and not row.get(col).strip()):
                problems.append(Problem(who, col, "missing"))
        if isinstance(who, str):
            if who in seen:
                problems.append(Problem(who, "name", "duplicate"))
            seen.add(who)
        for col in MONEY_COLUMNS + COUNT_COLUMNS + ["apr"]:
            value = row.get(col)
            if _blank(value):
                continue
            number = _number(value)
            if number is None or number < 0:
                problems.append(Problem(who, col, "negative", value))
            elif col in COUNT_COLUMNS and not float(number).is_integer():
                problems.append(Problem(who, col, "whole", value))
            elif col == "apr" and number > MAX_APR_PERCENT:
                problems.append(Problem(who, col, "too_high", value))
        accelerated = "accelerated" in _tags(row.get("status"))
        if _blank(row.get("installment")) and not accelerated:
            problems.append(Problem(who, "installment", "missing"))
        if not _blank(row.get("installments_left")) and _blank(row.get("installment")) and accelerated:
            problems.append(Problem(who, "installment", "missing"))
    return problems


def _tags(value: Any) -> list[str]:
    """A status cell as a list of flags (blank: none)."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value if str(v) in FLAGS]
    if isinstance(value, str) and value.strip():
        try:  # the editor may hand a list over as JSON text
            return _tags(json.loads(value))
        except ValueError:
            return [value] if value in FLAGS else []
    return []


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _blank(value: Any) -> bool:
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value) == 0
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return set(_tags(a)) == set(_tags(b))
    if _blank(a) and _blank(b):
        return True
    if _blank(a) or _blank(b):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if _blank(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value.strip() if isinstance(value, str) else value


def _cell(row: pd.Series, col: str) -> Any:
    """A table cell as plain Python. A whole-number column turns float in pandas once a row has
    a blank in it, and the scenario takes whole numbers only as integers: 45.0 becomes 45."""
    value = _plain(row.get(col))
    if col in COUNT_COLUMNS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def loans_from_table(scenario: Scenario, shown: pd.DataFrame, edited: pd.DataFrame) -> list[dict]:
    """The scenario's loans with the table's changed cells applied (rows may be added or removed).

    ``shown`` is the table as made from ``scenario`` (labels 0..n-1 in its loan order); a row of
    ``edited`` with another label is a new loan."""
    originals = {k: loan.model_dump(mode="json", by_alias=True, exclude_none=True) for k, loan in zip(shown.index, scenario.loans)}
    loans = []
    for k, row in edited.iterrows():
        data = dict(originals.get(k, {}))
        before = shown.loc[k] if k in originals else None
        for col in TABLE_COLUMNS:
            value = _cell(row, col)
            if before is not None and _same(value, _plain(before[col])):
                continue
            if col == "apr":
                data.pop("daily_rate", None)
                if value is None:
                    data.pop("apr", None)
                else:
                    data["apr"] = float(value) / 100  # the table shows percent
                continue
            if col in ("installment", "installments_left"):
                # The table shows the contract as installment + installments left.
                data.pop("installments", None)
                data.pop("installments_paid", None)
                for other in ("installment", "installments_left"):
                    other_value = _cell(row, other)
                    if other_value is None:
                        data.pop(other, None)
                    else:
                        data[other] = other_value
                continue
            if col == "lender" and value is None:
                data.pop("lender", None)
                continue
            if col == "status":
                tags = _tags(value)
                data.update({flag: flag in tags for flag in FLAGS})
                continue
            if value is None:
                data.pop(col, None)
            else:
                data[col] = value
        if not data or all(_blank(v) or v is False for v in data.values()):
            continue  # an empty row the user added and left blank
        loans.append(data)
    return loans


def apply_inputs(
    scenario: Scenario, *, income: float, essentials: float, horizon: int, weights: dict[str, float],
    basis: str, shown: pd.DataFrame | None = None, edited: pd.DataFrame | None = None,
) -> Scenario:
    """The scenario with the sidebar's values (income and essentials as of the first plan month)
    and the table's edits; raises DebtplanError if invalid."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["income"] = _shift(data["income"], income, scenario.monthly("income")[0])
    data["essentials"] = _shift(data["essentials"], essentials, scenario.monthly("essentials")[0])
    data["horizon_months"] = int(horizon)
    data["weights"] = {**data.get("weights", {}), **weights}
    data["legal"] = {**data.get("legal", {}), "basis": basis}
    if shown is not None and edited is not None:
        data["loans"] = loans_from_table(scenario, shown, edited)
    return scenario_from_dict(data, source="loan table")


def _shift(value: float | list, first: float, current_first: float) -> float | list:
    """Set the first plan month's amount; a schedule moves by the same difference (never below 0)."""
    if not isinstance(value, list):
        return float(first)
    delta = first - current_first
    return [{**step, "amount": max(0.0, step["amount"] + delta)} for step in value]


def slider_values(scenario: Scenario) -> dict[str, Any]:
    """The sidebar's values as the scenario has them (what "reset to file" goes back to)."""
    w = scenario.weights
    return {
        "income": float(scenario.monthly("income")[0]),
        "essentials": float(scenario.monthly("essentials")[0]),
        "horizon": int(scenario.horizon_months),
        **{f"w_{name}": float(getattr(w, name)) for name in WEIGHTS},
        "basis": scenario.legal.basis,
    }


def to_toml(scenario: Scenario) -> bytes:
    """The scenario as a TOML file that loads back to the same scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data.setdefault("start", scenario.model_dump(mode="json")["start"])
    return tomli_w.dumps(data).encode("utf-8")


# ---- figures the views arrange ---------------------------------------------------------------------

def money(x: float) -> float:
    """Yuan to the fen for display, never "-0.00"."""
    value = round(float(x), 2)
    return 0.0 if value == 0 else value


class MonthLine(NamedTuple):
    """One loan in one plan month: what the plan pays, what the lender demands, what is left."""

    index: int
    loan: str
    owed: float  # balance after the month's interest, before paying
    due: float  # what the lender demands this month: owed above the contract schedule
    pay: float
    overdue_after: float
    balance_after: float


def month_lines(ledger: Ledger, t: int = 0) -> list[MonthLine]:
    """Every loan's line for plan month ``t`` (0-based), from the ledger."""
    terms = ledger.terms
    owed = ledger.balance[:, t] + ledger.interest[:, t] + ledger.penalty[:, t] + ledger.fees[:, t]  # as the ledger's
    due = demanded(ledger.schedule, terms.r, owed, t)[1]  # as the ledger's: the installment even if paid ahead
    return [MonthLine(i, name, float(owed[i]), float(due[i]), float(ledger.payments[i, t]),
                      float(ledger.overdue[i, t + 1]), float(ledger.balance[i, t + 1]))
            for i, name in enumerate(terms.names)]


def cost_parts(ledger: Ledger) -> dict[str, float]:
    """The plan's weighted cost in parts a user can read: interest, penalty and fees charged (with
    a settlement's premium); each harm class's overdue yuan-months times its weight, month by month
    as the stages are reached; the lasting harm of new credit records and suits; months behind on
    installments; the debt left at the horizon (with what it costs after); and whatever else the
    engine counts ("other"). The parts add up to :attr:`Ledger.weighted_cost` by construction."""
    terms = ledger.terms
    overdue = ledger.overdue[:, 1:]
    stages = ledger.stages[:, :, 1:].astype(float)
    w = terms.stage_weight
    parts = {
        "interest": terms.w_interest * (float(ledger.charges.sum() + ledger.fees.sum()) + terms.settlement_premium),
        "lawsuit": float((overdue * (stages[:, SUED] * w[SUED] + stages[:, ENFORCEMENT] * w[ENFORCEMENT])).sum()),
        "credit": float((overdue * stages[:, REPORTED] * w[REPORTED]).sum()),
        "collection": float((overdue * terms.static_risk[:, None]).sum()),
        "records": ledger.escalation_cost,
        "missed": ledger.missed_months_cost,
        "unpaid": ledger.after_horizon_cost,
    }
    parts["other"] = ledger.weighted_cost - sum(parts.values())
    return parts


class Tradeoff(NamedTuple):
    """Why the optimal plan pays more than another (avalanche): what it buys with the money."""

    extra_paid: float
    months_fewer: dict[str, int]  # risk class -> months overdue saved, summed over its loans (> 0 only)
    yuan_months_fewer: dict[str, float]  # risk class -> overdue yuan-months saved (> 0 only)
    stages_fewer: int = 0  # new reports, accelerations, suits and enforcements avoided


def tradeoff(comparison: Comparison, other: str = "avalanche") -> Tradeoff | None:
    """What the optimal plan buys by paying more than ``other``; None when it does not pay more."""
    best, rival = comparison.summaries.get("optimal"), comparison.summaries.get(other)
    if best is None or rival is None or best.total_paid <= rival.total_paid + 0.5:
        return None
    if best.weighted_cost > rival.weighted_cost:  # a time-limited solve that did not beat it: nothing bought
        return None
    months, yuan_months = {}, {}
    behind = {name: comparison.results[name].ledger.behind[:, 1:] for name in ("optimal", other)}
    member = {name: risk_membership(comparison.results[name].ledger) for name in ("optimal", other)}
    for cls in RISK_CLASSES:
        saved = int((behind[other] & member[other][cls]).sum() - (behind["optimal"] & member["optimal"][cls]).sum())
        if saved > 0:
            months[cls] = saved
        ym = rival.overdue_yuan_months[cls] - best.overdue_yuan_months[cls]
        if ym > 0.5:
            yuan_months[cls] = ym
    def new_stages(summary) -> int:
        return sum(m not in (None, BEFORE_PLAN) for stages in summary.triggers.values() for m in stages.values())

    return Tradeoff(best.total_paid - rival.total_paid, months, yuan_months, max(0, new_stages(rival) - new_stages(best)))


# ---- files --------------------------------------------------------------------------------------

def file_name(title: str, kind: str, ext: str, today: dt.date | None = None) -> str:
    """``<case title>_<kind>_<YYYY-MM-DD>.<ext>``, safe on Windows, macOS and Linux."""
    today = today or dt.date.today()
    safe = re.sub(r'[\\/:*?"<>|\s]+', "-", title).strip("-.") or "debtplan"
    return f"{safe[:60]}_{kind}_{today.isoformat()}.{ext}"


def csv_bytes(frame: pd.DataFrame, words: tuple[dict[str, str], dict[str, str]] | None = None) -> bytes:
    """The same bytes the CLI writes (optimizer.export.csv_bytes); ``words`` (headers, values)
    puts them in another language (the CLI's English stays the default)."""
    return export.csv_bytes(localized(frame, *words) if words else frame)


def localized(frame: pd.DataFrame, headers: dict[str, str], values: dict[str, str]) -> pd.DataFrame:
    """``frame`` with its headers and its words (plan names, statuses) in another language."""
    out = frame.rename(columns=lambda c: _header(c, headers))
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: values.get(v, v) if isinstance(v, str) else v)
    return out


def _header(column: str, headers: dict[str, str]) -> str:
    if column in headers:
        return headers[column]
    for prefix, word in headers.items():  # "months_overdue[借呗]" -> "逾期月数[借呗]"
        if prefix.endswith("[") and column.startswith(prefix):
            return word + column[len(prefix):]
    return column



def zip_bytes(files: dict[str, bytes]) -> bytes:
    """Several files (the letters) as one zip to download."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def scripts_text(targets, lang: str) -> str:
    """Every lender's script, in call order, only what may be said to them: the borrower's limits
    stay out of the file (they are on screen, apart, and in the targets CSV)."""
    parts = [t("scripts_file_head", lang)]
    for x in sorted(targets.loans, key=lambda x: x.call_rank):
        head = t("script_head", lang, rank=x.call_rank, who=who(x.lender, x.loan, lang))
        parts.append(f"{head}\n{'=' * 20}\n{months_in_words(script_for_lender(targets, x, lang), lang)}")
    return "\n\n".join(parts) + "\n"
