"""Dated legal and regulatory figures, each a parameter with a documented default.

Nothing here is a constant buried in the model: a scenario can override every figure (its
``[legal]`` table), and the defaults carry the date and source they were taken from, so a
counsellor can see what a number rests on and replace it when it changes.
"""

from __future__ import annotations

import datetime as dt
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
