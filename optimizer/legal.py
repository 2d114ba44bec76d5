"""Dated legal and regulatory figures, each a parameter with a documented default.

Nothing here is a constant buried in the model: a scenario can override every figure (its
``[legal]`` table), and the defaults carry the date and source they were taken from, so a
counsellor can see what a number rests on and replace it when it changes.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple


class DatedRate(NamedTuple):
    """A rate in force from ``since`` (inclusive) until the next entry of its table."""

    since: dt.date
    rate: float


# One-year loan prime rate (贷款市场报价利率), fixings since the 2019 LPR reform.
# 2023-08 onwards: DOMAIN.md §3 (PBoC monthly fixing). Earlier entries: the published fixings
# (NIFC), added so that contracts signed before 2023-08 are capped at the LPR of *their* date,
# as the SPC private-lending provisions require; medium-high confidence.
DEFAULT_LPR_1Y: tuple[DatedRate, ...] = (
    DatedRate(dt.date(2019, 8, 20), 0.0425),
    DatedRate(dt.date(2019, 9, 20), 0.0420),
    DatedRate(dt.date(2019, 11, 20), 0.0415),
    DatedRate(dt.date(2020, 2, 20), 0.0405),
    DatedRate(dt.date(2020, 4, 20), 0.0385),
    DatedRate(dt.date(2021, 12, 20), 0.0380),
    DatedRate(dt.date(2022, 1, 20), 0.0370),
    DatedRate(dt.date(2022, 8, 22), 0.0365),
    DatedRate(dt.date(2023, 6, 20), 0.0355),
    DatedRate(dt.date(2023, 8, 21), 0.0345),
    DatedRate(dt.date(2024, 7, 22), 0.0335),
    DatedRate(dt.date(2024, 10, 21), 0.0310),
    DatedRate(dt.date(2025, 5, 20), 0.0300),
)

# Financial loans: courts cut interest + compound + penalty + fees above 24 %/year combined
# (法发〔2017〕22号 Art. 2).
DEFAULT_LICENSED_CAP = 0.24
# Private lending: 4 × the one-year LPR at contract formation (SPC provisions, 2020 rev.).
DEFAULT_PRIVATE_LPR_MULTIPLE = 4.0
# Penalty interest = contract rate × (1 + markup); 30 %–50 % (银发〔2003〕251号).
DEFAULT_PENALTY_MARKUP = 0.5
# Restructuring targets: online loans 12–36 months typical, credit cards up to 60
# (商业银行信用卡业务监督管理办法 Art. 70).
DEFAULT_MAX_RESTRUCTURE_MONTHS = 36
DEFAULT_MAX_RESTRUCTURE_MONTHS_CARD = 60
# Negative credit records are kept 5 years from the end of the default (征信业管理条例 Art. 16).
DEFAULT_CREDIT_RECORD_YEARS = 5
# Credit cards (DOMAIN.md §7): no penalty interest since 2017 but a late fee (违约金), commonly 5 %
# of the unpaid minimum payment, with no interest on it (银发〔2016〕111号; high).
DEFAULT_CARD_LATE_FEE = 0.05
# Private loans signed before this day: interest up to the day before under the old rule (24 %
# protected), from it under 4 × LPR (SPC private-lending provisions, 2020 rev., Art. 31).
PRIVATE_RULE_CHANGE = dt.date(2020, 8, 20)
DEFAULT_PRIVATE_OLD_CAP = 0.24


# ---- escalation (DOMAIN.md §6): practice, not law; every figure is a default a file overrides ----

# When the figures below were last checked against practice.
ESCALATION_AS_OF = dt.date(2025, 12, 1)


class EscalationPath(NamedTuple):
    """Days overdue after which a lender of one type usually takes each step."""

    reports: bool  # reports to the credit bureau (licensed lenders do; private lenders cannot)
    report_days: int  # an installment this many days overdue is reported (practice, medium)
    acceleration_days: int  # the whole balance demanded (the contract clause wins; 90 by default)
    lawsuit_days: int  # sued (practice, low confidence)
    enforcement_months: int  # judgment unpaid this many months after the suit: enforcement


DEFAULT_ESCALATION = {
    # 征信业管理条例 Arts. 15–16 (reporting is law; the 30 days is practice); acceleration: the
    # contract clause (Civil Code Art. 563); lawsuit and enforcement timing: practice, low.
    "licensed": EscalationPath(True, 30, 90, 180, 6),
    "private": EscalationPath(False, 30, 90, 90, 6),
}


# A judgment in enforcement is paid every month before other lenders get anything beyond
# keeping their loans current: paying others while a judgment stays unpaid reads as "able to pay
# and refusing" (失信被执行人 list, 限制高消费; Criminal Law Art. 313 where serious), and the court
# can freeze the salary account anyway. The share of each month's money (after essentials and
# agreed installments) that goes to judgments in enforcement until they are paid, whether in
# enforcement now or from the month after a plan lets a loan reach it: practice, low confidence
# (a court's 执行和解 sets the real figure; put it in the file when known).
DEFAULT_ENFORCEMENT_SHARE = 0.3


def _banded(claim: float, bands: tuple[tuple[float, float], ...], base: float = 50.0) -> float:
    """A fee of ``base`` up to the first band's top, plus each band's rate on the part of the claim
    inside it (the tables of 诉讼费用交纳办法)."""
    fee, lower = base, 0.0
    for upper, rate in bands:
        if claim > lower:
            fee += (min(claim, upper) - lower) * rate
        lower = upper
    return fee


def court_fee(claim: float) -> float:
    """Case acceptance fee (案件受理费) for a money claim, halved for the simplified procedure
    (简易程序) that small loan cases use: 诉讼费用交纳办法 Arts. 13(1) and 16 (law, high).
    Borne by the losing party, so a lawsuit the borrower loses adds it to the debt."""
    return _banded(claim, ((10_000, 0.0), (100_000, 0.025), (200_000, 0.02), (500_000, 0.015), (1_000_000, 0.01),
                           (2_000_000, 0.009), (5_000_000, 0.008), (10_000_000, 0.007), (20_000_000, 0.006),
                           (math.inf, 0.005))) / 2


def enforcement_fee(claim: float) -> float:
    """Enforcement application fee (申请执行费): 诉讼费用交纳办法 Art. 14(1) (law, high); borne by
    the debtor (Art. 38)."""
    return _banded(claim, ((10_000, 0.0), (500_000, 0.015), (5_000_000, 0.01), (10_000_000, 0.005), (math.inf, 0.001)))


def rate_on(table: tuple[DatedRate, ...], day: dt.date) -> float:
    """The rate in force on ``day``; before the first entry, the first entry's rate.

    Contracts signed before the 2019 LPR reform have no LPR of their own; the earliest fixing
    is the closest published figure, and the product says so where it shows a private cap.
    """
    ordered = sorted(table)
    current = ordered[0].rate
    for entry in ordered:
        if entry.since <= day:
            current = entry.rate
        else:
            break
    return current
