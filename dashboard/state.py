"""Between widgets and the engine: the loan table, slider changes and TOML files, as pure functions.

No Streamlit here, so every step can be tested directly. The dashboard shows loans as a table of
the fields people know from their lenders' apps; :func:`apply_inputs` folds the slider values and
the *changed* cells back into a validated :class:`~optimizer.scenario.Scenario`, so a field the
table does not show (a contract date, a settlement offer, a schedule of income) is never lost.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from optimizer import Scenario, scenario_from_dict

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT_SCENARIO = "three-overdue-loans.toml"

TABLE_COLUMNS = [
    "name", "lender", "lender_type", "principal", "interest_owed", "penalty_owed", "fees_owed", "apr",
    "installment", "installments_left", "days_overdue", "accelerated", "lawsuit", "enforcement",
    "credit_reported", "abusive_collection", "credit_card",
]
FLAGS = ["accelerated", "lawsuit", "enforcement", "credit_reported", "abusive_collection", "credit_card"]
WHOLE = ["installments_left", "days_overdue"]


def scenario_files() -> list[str]:
    return sorted(p.name for p in SCENARIOS.glob("*.toml"))


def loan_table(scenario: Scenario) -> pd.DataFrame:
    """One row per loan; the contract shown as installment + installments left, the rate as APR."""
    rows = []
    for loan in scenario.loans:
        accelerated_only = loan.installment is None and loan.installments is None
        rows.append({
            "name": loan.name,
            "lender": loan.lender_name,
            "lender_type": loan.lender_type,
            "principal": loan.principal,
            "interest_owed": loan.interest_owed,
            "penalty_owed": loan.penalty_owed,
            "fees_owed": loan.fees_owed,
            "apr": round(loan.yearly_rate, 6),
            "installment": None if accelerated_only else round(loan.installment_amount, 2),
            "installments_left": None if accelerated_only else loan.remaining_installments,
            "days_overdue": loan.days_overdue,
            **{flag: getattr(loan, flag) for flag in FLAGS},
        })
    frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    return frame.astype({"installment": "float64", "installments_left": "Int64"})


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value == ""


def _same(a: Any, b: Any) -> bool:
    if _blank(a) and _blank(b):
        return True
    if _blank(a) or _blank(b):
        return False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


def _plain(value: Any) -> Any:
    if _blank(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value


def _cell(row: pd.Series, col: str) -> Any:
    """A table cell as plain Python. A whole-number column turns float in pandas once a row has
    a blank in it, and the scenario takes whole numbers only as integers: 45.0 becomes 45."""
    value = _plain(row.get(col))
    if col in WHOLE and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def loans_from_table(scenario: Scenario, shown: pd.DataFrame, edited: pd.DataFrame) -> list[dict]:
    """The scenario's loans with the table's changed cells applied (rows may be added or removed)."""
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
            if value is None and col not in FLAGS:
                data.pop(col, None)
            else:
                data[col] = bool(value) if col in FLAGS else value
        if not data or all(_blank(v) for v in data.values()):
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


def to_toml(scenario: Scenario) -> bytes:
    """The scenario as a TOML file that loads back to the same scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=True)
    data.setdefault("start", scenario.model_dump(mode="json")["start"])
    return tomli_w.dumps(data).encode("utf-8")
