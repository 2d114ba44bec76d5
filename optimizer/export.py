"""Plans and tables at the edge: amounts rounded to the fen, CSV files written atomically.

Rounding happens only here. :func:`to_fen` turns a plan into whole-fen payments month by month,
replaying as it goes, so that (a) no month pays more than the money it has (available money is
floored to the fen, payments share it by largest remainder) and (b) a loan the exact plan clears
is paid to the fen in the rounded plan too. The CSV's balances are the ledger's replay of exactly
those payments, so replaying the CSV gives its balances back to the fen.

CSV files are UTF-8 with a BOM (Excel and WPS then show Chinese names) and CRLF line ends
(RFC 4180), so any field holding a comma, a quote or a line break of either kind is quoted. They
are written to a temporary file in the target folder and renamed into place: a failed run leaves
nothing behind. The file gets the permissions any new file of the user's gets (0666 less the
umask), not the temporary file's owner-only 0600.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import OutputError, OutputFolderMissing, OutputIsFolder
from .ledger import Ledger, MonthView, replay

# Fen. Amounts a plan works out (a judgment's share of the month's money, an LP's payment) carry
# float noise of up to ~1e-6 fen; rounding them up by that noise spent a fen the month did not
# have (162.500000012 paid as 162.51), and a loan being cleared was then left a fraction of a fen
# short, which counts as owed (and a card's ¥47.50 late fee followed every month).
NOISE_FEN = 1e-3
# Yuan: how far the whole-fen replay's amounts may drift from the exact plan's (each month's
# rounding carries into the next month's interest); a payment within it of what is due is taken
# to be the exact plan paying it in full.
DRIFT = 0.05

# ``fees``: court and enforcement fees and a card's late fee (违约金) added to the debt that month, so
# balance = previous balance + interest + penalty + fees − payment.
PLAN_COLUMNS = ["strategy", "month", "loan", "payment", "interest", "penalty", "fees", "balance", "overdue"]


def _fen_split(targets: np.ndarray, clearing: np.ndarray, cap_fen: int, agreed: np.ndarray | None = None,
               most: np.ndarray | None = None, hard: np.ndarray | None = None,
               need: np.ndarray | None = None, lean: np.ndarray | None = None) -> np.ndarray:
    """Whole-fen amounts close to ``targets`` (yuan) whose sum never exceeds ``cap_fen``.

    A loan being cleared is paid its owed amount rounded half-up to the fen (which settles it);
    the others share what is left by largest remainder, never above ``most`` (fen: what each
    loan owes, rounded half-up; a fen more would be a payment above the debt, which the ledger
    cuts back to a fraction of a fen). An ``agreed`` loan is paid at least its ``need`` (yuan:
    the installment, default its target) rounded up; a payment above that need is rounded like
    any other, so the fen a month lacks come out of payments ahead before a loan being cleared.
    ``lean`` (fen, per loan) is added to the remainders: spare fen go first where it is largest.
    """
    exact = np.maximum(targets, 0.0) * 100
    fen = np.floor(exact + NOISE_FEN).astype(np.int64)
    fen[clearing] = np.floor(exact[clearing] + 0.5).astype(np.int64)
    # The fen each loan must get: what clears it, an agreed installment in full. A payment above
    # that (a payment ahead) gives up a fen before any of these does.
    committed = np.where(clearing, fen, 0)
    least = np.zeros_like(fen)
    if agreed is not None:
        # An agreed installment is paid in full: a fen short would void the agreement. Only the
        # installment: the counsellor's negotiated CSV once rounded up 京东金条's ¥1,841.565 (an
        # installment of ¥630.69 and a payment ahead), and the month's money then lacked the fen
        # that cleared 朋友借款, left owing ¥0.01 and paid it the next month.
        least = np.ceil(np.maximum(targets if need is None else need, 0.0) * 100 - NOISE_FEN).astype(np.int64)
        least[~agreed] = 0
        fen[agreed] = np.maximum(fen[agreed], least[agreed])
        committed = np.maximum(committed, least)
        if committed.sum() > cap_fen and hard is not None:
            # Every installment rounded up is more than the month's money: the agreements' keep
            # their fen (a fen short voids one), the others are floored and share what is left.
            soft = agreed & ~hard
            fen[soft] = np.floor(exact[soft] + NOISE_FEN).astype(np.int64)
            committed[soft] = np.where(clearing, fen, 0)[soft]
    if committed.sum() > cap_fen:  # not enough to clear after rounding: share everything
        clearing = np.zeros_like(clearing)
        committed = np.zeros_like(fen)
        fen = np.floor(exact + NOISE_FEN).astype(np.int64)
    total = min(int(round(exact.sum())), cap_fen)
    spare = total - int(fen.sum())
    if spare > 0:
        remainders = np.where(clearing, -1.0, exact - fen + (0.0 if lean is None else lean))
        # Installments first where a fen is still short of one: a fen short is a month behind.
        remainders = np.where(fen < least, remainders + 100.0, remainders)
        for i in np.argsort(-remainders, kind="stable"):
            if spare == 0:
                break
            if not clearing[i] and (most is None or fen[i] < most[i]):
                fen[i] += 1
                spare -= 1
    # Over the month's money (the fen rounding up took, or float noise in the floors): taken from
    # the payment furthest above what it must get. The counsellor's negotiated plan in 2029-07
    # cleared 360借条 and 度小满 and paid the card ¥1,775.18, ¥1,328 ahead of its installment,
    # with exactly the month's money: the clearing fen come out of the card's payment ahead, not
    # out of the clearing payments (which would leave 0.54 fen owed, a month behind).
    while fen.sum() > cap_fen:
        fen[np.argmax(fen - committed)] -= 1
    return fen


def to_fen(ledger: Ledger) -> Ledger:
    """The same plan in whole fen, replayed (see module docstring).

    Each month pays at most the month's money less what later essentials need, floored to the fen;
    only the fen that clears a loan to 0.00 may come out of that reserve, once in a plan."""
    exact = ledger.payments
    clears = ledger.balance[:, 1:] == 0.0
    reserve_fen_used = [False]
    # (T,) cash each month must keep for later months: the exact plan's cash at the month's end
    # less the least it holds at any later month's end.
    later_least = np.minimum.accumulate(ledger.cash[::-1])[::-1]
    keep = np.maximum(ledger.cash[1:] - later_least[1:], 0.0)
    exact_owed = ledger.balance[:, :-1] + ledger.charges + ledger.fees  # (n, T) before each month's payment
    # (n,) the month each loan is cleared in the exact plan (the horizon if it is not)
    cleared_at = np.where(clears.any(axis=1), clears.argmax(axis=1), ledger.terms.horizon)

    def policy(view: MonthView) -> np.ndarray:
        t = view.t
        clearing = clears[:, t] & (view.owed > 0)
        target = np.where(clearing, view.owed, np.minimum(exact[:, t], view.owed))
        agreed = (view.agreed > 0) & (exact[:, t] >= view.agreed - 0.005)  # kept in the exact plan
        agreement = ledger.terms.agreed[:, t] > 0  # a lender's agreed installment, not a judgment's floor
        target = np.where(agreed, np.maximum(target, view.agreed), target)
        # A month the exact plan ends current is paid its whole due amount, rounded up: a fen short
        # would make the loan a month behind (a new run, a report) that the plan never had.
        # The due amount here may exceed the exact plan's by the fen or two that rounding carried
        # (snowball's 花呗 paid ¥1,276.93 against ¥1,276.938 due, ended 0.79 fen behind, and the
        # whole-fen replay had it accelerated the month after).
        current = ~ledger.behind[:, t + 1] & (view.due > 0) & (exact[:, t] >= view.due - DRIFT) & ~agreed
        target = np.where(current, np.maximum(target, view.due), target)
        money = max(math.floor((view.available + ledger.terms.reserve[t]) * 100 + 1e-6), 0)
        free = max(math.floor(view.available * 100 + 1e-6), 0)
        # Fen spent rounding up come out of the money carried: never so many that a later month
        # the exact plan leaves with less cash (one that spends all its money) would be short; an
        # installment then paid a fen short is a month behind.
        free = max(min(free, money - math.ceil(keep[t] * 100 - 1e-6)), 0)

        # Loans paid at least their installment or due amount (named apart from ``keep``, the
        # cash kept for later months). An installment that settles the loan is paid to the fen
        # like any clearing payment.
        held = agreed | current
        settles = held & (target >= view.owed - 0.005)
        owed_fen = np.floor(view.owed * 100 + 0.5).astype(np.int64)
        # Spare fen go first to the loans the exact plan clears soonest, then to those the
        # whole-fen plan owes most above the exact plan's balance: rounding drift is paid back
        # before the month that clears the loan, where the exact plan may spend every fen it has
        # (the counsellor's negotiated plan, 2029-06: 京东金条, 分期乐 and 平安普惠 cleared with
        # ¥6,500.00; 平安普惠 was left 0.72 fen short, a month behind).
        drift = np.clip((view.owed - exact_owed[:, t]) * 100, -5.0, 5.0)
        # (A loan the exact plan does not pay this month gets no fen.)
        lean = np.where(exact[:, t] > 0, drift - 20.0 * np.maximum(cleared_at - t, 0), -1e9)

        def split(cap: int) -> np.ndarray:
            # Only a lender's agreement keeps its fen when the month cannot round everything up:
            # a judgment's floor is this plan's own rule, and a fen under it is nothing a lender sees.
            return _fen_split(np.where(settles, view.owed, target), clearing | settles, cap, held & ~settles,
                              owed_fen, agreed & agreement, np.where(agreed, view.agreed, view.due), lean)

        fen = split(free)
        if (clearing & (fen < owed_fen)).any() and free < money and not reserve_fen_used[0]:
            fen = split(free + 1)  # the fen that clears a loan to 0.00
            reserve_fen_used[0] = True
        return fen / 100

    return replay(ledger.terms, policy)


def plan_table(strategy: str, ledger: Ledger) -> pd.DataFrame:
    """The plan CSV's rows (rounded to the fen), one per month and loan."""
    fen = to_fen(ledger)
    terms = fen.terms
    n, T = terms.n_loans, terms.horizon
    frame = pd.DataFrame({
        "strategy": strategy,
        "month": np.tile(np.array(terms.months), n),
        "loan": np.repeat(np.array(terms.names), T),
        "payment": fen.payments.ravel(),
        "interest": fen.interest.ravel(),
        "penalty": fen.penalty.ravel(),
        "fees": fen.fees.ravel(),
        "balance": fen.balance[:, 1:].ravel(),
        "overdue": fen.overdue[:, 1:].ravel(),
    })
    money = ["payment", "interest", "penalty", "fees", "balance", "overdue"]
    frame[money] = frame[money].round(2)
    return frame.sort_values(["month"], kind="stable").reset_index(drop=True)[PLAN_COLUMNS]


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """``frame`` as the CSV bytes every export uses (the CLI's files, the dashboard's downloads)."""
    return frame.to_csv(index=False, float_format="%.2f", lineterminator="\r\n").encode("utf-8-sig")


def _new_file_mode() -> int:
    """What open() would give a new file: 0666 less the umask (read without a race from
    /proc on Linux; elsewhere by setting and restoring it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def check_output(path: str | Path) -> None:
    """Refuse an output path that cannot be written before any work is done on it."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputFolderMissing(str(path), str(path.parent))
    if path.is_dir():
        raise OutputIsFolder(str(path))


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as UTF-8-with-BOM CSV, atomically (temp file + rename)."""
    check_output(Path(path))
    write_files({path: csv_bytes(frame)})


def write_files(files: dict[str | Path, bytes], private: bool = False) -> None:
    """Write several files all or nothing: each goes to a temporary file in its folder first, and
    only when every one is written are they renamed into place (a failure leaves none behind).
    Files get the user's normal permissions (umask), like any file they save, or owner-only
    (0600) when ``private`` (what comes out of the case file)."""
    pending: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            folder = path.parent if str(path.parent) else Path(".")
            if not folder.is_dir():
                raise OutputError(str(path), f"folder {folder} does not exist")
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            except OSError as exc:
                raise OutputError(str(path), exc.strerror or str(exc)) from None
            pending.append((tmp, path))
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                os.fchmod(out.fileno(), 0o600 if private else _new_file_mode())
        for tmp, path in pending:
            os.replace(tmp, path)
    except BaseException as exc:
        for tmp, _ in pending:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # disk full, no permission: the user's to fix, not a bug
            raise OutputError(str(pending[-1][1] if pending else ""), exc.strerror or str(exc)) from None
        raise


def payments_from_csv(path: str | Path, names: tuple[str, ...], months: tuple[str, ...]) -> np.ndarray:
    """The (n, T) payment matrix of a plan CSV (to replay it through the ledger)."""
    frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"month": str, "loan": str})
    wide = frame.pivot(index="loan", columns="month", values="payment")
    return wide.reindex(index=list(names), columns=list(months)).to_numpy(dtype=float)
