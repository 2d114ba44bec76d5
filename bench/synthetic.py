"""Seeded synthetic scenarios of a given size, shaped like the shipped cases.

Income is set so that the debts can be cleared within the horizon (the usual planning case):
the benchmark measures how fast a plan is made, not how the diagnosis of an impossible case is.
"""

from __future__ import annotations

import numpy as np

from optimizer import Scenario, scenario_from_dict


def synthetic_data(n_loans: int, months: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    loans = []
    for i in range(n_loans):
        loans.append({
            "name": f"贷款{i + 1:03d}",
            "principal": float(rng.integers(2_000, 40_000)),
            "interest_owed": float(rng.integers(0, 800)),
            "penalty_owed": float(rng.integers(0, 400)),
            "apr": float(rng.choice([0.12, 0.18, 0.24, 0.36])),
            "installments": int(rng.integers(6, 37)),
            "installments_paid": 0,
            "days_overdue": int(rng.choice([0, 0, 20, 45, 90, 200])),
            "accelerated": bool(rng.random() < 0.2),
            "lawsuit": bool(rng.random() < 0.15),
            "credit_reported": bool(rng.random() < 0.5),
            "abusive_collection": bool(rng.random() < 0.2),
            "credit_card": bool(rng.random() < 0.1),
        })
    debt = sum(loan["principal"] for loan in loans)
    essentials = float(rng.integers(3_000, 6_000))
    return {
        "title": f"synthetic {n_loans} loans × {months} months (seed {seed})",
        "start": "2027-01", "horizon_months": months, "cash_on_hand": float(rng.integers(0, 5_000)),
        "income": round(essentials + 4.0 * debt / months, 2), "essentials": essentials,
        "loans": loans,
    }


def synthetic(n_loans: int, months: int, seed: int = 0) -> Scenario:
    return scenario_from_dict(synthetic_data(n_loans, months, seed), source=f"synthetic-{n_loans}x{months}")
