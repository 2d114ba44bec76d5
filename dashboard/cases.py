"""Between the case file and the Cases view: which case file, and the caseload, a case's drift
from its plan, its next steps and its notes worded in the page's language. Pure functions, no
Streamlit, so every step can be tested directly.

**Which case file.** The same as ``debtplan case``: ``--db`` (given to the dashboard after
``--``: ``streamlit run dashboard/app.py -- --db cases.db``), else ``$DEBTPLAN_DB``, else the
default file (:func:`optimizer.casefile.default_path`). The dashboard only reads: it opens a file
that exists and never creates one (:func:`open_case_file` answers ``None`` for a missing file, and
the view shows how to create the first case with the command line).

**Today.** Months are closed or open as of today; ``--today YYYY-MM-DD`` (as for ``debtplan case``)
looks at the cases as of another day.

The words come from :mod:`dashboard.i18n`; casework hands over its findings as data
(:class:`~optimizer.casework.Reason`, :class:`~optimizer.casework.MissedPayment`,
:class:`~optimizer.casework.Note`, stage names), so nothing English leaks into the Chinese page.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex

import pandas as pd

from optimizer.casefile import CaseFile, database_url
from optimizer.casework import ActualVsPlan, AgreementInForce, CaseloadRow, CaseState, LoanDrift, Note, Reason
from optimizer.errors import (
    BadAmount, BadDate, CaseFileError, CaseNotFound, DatabaseBusy, DatabaseTooNew, DatabaseUnusable, DateBeforeCase,
    DateInFuture, DebtplanError, LoanSettled, NoCaseFile, UnsupportedDatabase,
)

from .i18n import day_name, month_name, t, yuan


def start_options(argv: list[str]) -> tuple[str | None, dt.date | None]:
    """``--db`` and ``--today`` from the arguments given after ``streamlit run dashboard/app.py --``
    (anything else is left to Streamlit); a bad date is ignored rather than stopping the page."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db")
    parser.add_argument("--today")
    known, _ = parser.parse_known_args(argv)
    today = None
    if known.today:
        try:
            today = dt.date.fromisoformat(known.today)
        except ValueError:
            today = None
    return known.db, today


def case_file_url(given: str | None) -> str:
    """The case file as ``debtplan case`` finds it: ``--db``, else ``$DEBTPLAN_DB``, else the default."""
    return database_url(given)


def open_case_file(url: str) -> tuple[CaseFile | None, str]:
    """The case file at ``url`` and its path, opened only if it exists (``None`` if it does not:
    nothing is created). Other problems (not a database, too new, busy) are raised as
    :class:`CaseFileError`."""
    try:
        cf = CaseFile(url, create=False)
    except NoCaseFile as missing:
        return None, str(missing.fields["path"])
    return cf, str(cf.path)


def error_text(exc: DebtplanError, lang: str) -> str:
    """One line for a case-file error, in the page's language."""
    if lang != "zh" or not isinstance(exc, CaseFileError):
        return str(exc)
    f = exc.fields
    if isinstance(exc, BadAmount):
        return t("bad_amount", lang, value=f["value"])
    if isinstance(exc, BadDate):
        return t("bad_date", lang, value=f["value"])
    if isinstance(exc, DateInFuture):
        return t("date_in_future", lang, value=f["value"], today=f["today"])
    if isinstance(exc, DateBeforeCase):
        return t("date_before_case", lang, value=f["value"], start=month_name(f["start"], lang))
    if isinstance(exc, LoanSettled):
        return t("loan_settled", lang, loan=f["loan"], settled=f["settled"])
    if isinstance(exc, NoCaseFile):
        return t("cases_no_file", lang, path=f["path"])
    if isinstance(exc, CaseNotFound):
        return t("case_not_found", lang, name=f["name"])
    if isinstance(exc, UnsupportedDatabase):
        return t("db_unsupported", lang, url=f["url"])
    if isinstance(exc, DatabaseTooNew):
        return t("db_too_new", lang, path=f["path"], found=f["found"], known=f["known"])
    if isinstance(exc, DatabaseBusy):
        return t("db_busy", lang, path=f["path"])
    if isinstance(exc, DatabaseUnusable):
        return t("db_unusable", lang, path=f["path"])
    return str(exc)


# ---- words for what casework found -------------------------------------------------------------

def stage_word(stage: str, lang: str) -> str:
    return t(f"state_{stage}", lang)


def since_words(since: str, lang: str) -> str:
    """"2027-03" -> "2027年3月"; "before 2026-12" (flags the case began with) -> "2026年12月前"."""
    if since.startswith("before "):
        return t("before_month", lang, month=month_name(since.removeprefix("before "), lang))
    return month_name(since, lang)


def reason_text(reason: Reason, lang: str) -> str:
    """What to do about one reason a case needs attention."""
    words = {"loan": reason.loan, "amount": yuan(reason.amount), "month": month_name(reason.month, lang)}
    kind = reason.kind.replace(" ", "_").replace("-", "_")
    if reason.kind == "court":
        return t("reason_court", lang, loan=reason.loan, day=day_name(reason.month, lang), event=t(f"court_{reason.detail}", lang))
    if reason.kind in ("agreement broken", "agreement ending"):
        kind += f"_{reason.detail}"
    return t(f"reason_{kind}", lang, **words)


def note_text(note: Note, lang: str) -> str:
    words = {"loan": note.loan, "amount": yuan(note.amount), "claim": yuan(note.claim)}
    if note.kind == "paid_after_closed":
        return t("note_paid_after_closed", lang, day=note.month, **words)
    if note.kind == "money_short" and note.month is None:
        return t("note_money_short_any", lang)
    return t(f"note_{note.kind}", lang, month=month_name(note.month, lang), **words)


def drift_line(drift: LoanDrift, lang: str) -> str:
    """"京东金条：落后计划¥1,200.00；2027年3月起上征信" — the loan's drift in yuan and in stage."""
    if abs(drift.behind) < 0.005:
        parts = [t("drift_on", lang)]
    else:
        parts = [t("drift_behind" if drift.behind > 0 else "drift_ahead", lang, amount=yuan(abs(drift.behind)))]
    parts += [t("drift_stage", lang, stage=stage_word(stage, lang), since=since_words(since, lang))
              for stage, since in drift.stages]
    parts += [t("drift_missed", lang, kind=t(f"kind_{m.kind}", lang), due=yuan(m.due), paid=yuan(m.paid),
                month=month_name(m.month, lang)) for m in drift.missed_agreed]
    return drift.loan + t("colon", lang) + t("list_sep", lang).join(parts)


def _loan_stages(loan_stages: tuple[tuple[str, tuple[str, ...]], ...], lang: str) -> str:
    sep, comma = t("list_sep", lang), t("comma", lang)
    return sep.join(f"{loan}{t('colon', lang)}{comma.join(stage_word(s, lang) for s in stages)}"
                    for loan, stages in loan_stages)


def caseload_table(rows: list[CaseloadRow], lang: str) -> pd.DataFrame:
    """The caseload, one row per case, most urgent first; money as numbers (they sort as numbers)."""
    sep, colon = t("list_sep", lang), t("colon", lang)
    out = []
    for r in rows:
        out.append({
            t("col_case", lang): ("☎ " if r.needs_call else "") + r.case,
            t("col_urgency", lang): r.urgency,
            t("col_top", lang): reason_text(r.why[0], lang) if r.why else t("nothing_to_do", lang),
            t("col_due", lang): sep.join(f"{loan} {yuan(v)}" for loan, v in r.due),
            t("col_missed", lang): sep.join(
                f"{m.loan}{colon}{month_name(m.month, lang)} {t(f'missed_{m.kind}', lang, due=yuan(m.due), paid=yuan(m.paid))}"
                for m in r.missed_payments),
            t("col_agreements", lang): sep.join(agreement_words(a, lang) for a in r.agreements_in_force),
            t("col_stages", lang): _loan_stages(r.loan_stages, lang),
            t("col_owed", lang): r.owed,
            t("col_behind", lang): r.behind,
            t("col_last_payment", lang): r.last_payment.isoformat() if r.last_payment else "",
        })
    return pd.DataFrame(out, columns=[t(c, lang) for c in CASELOAD_COLUMNS])


CASELOAD_COLUMNS = ("col_case", "col_urgency", "col_top", "col_due", "col_missed", "col_agreements", "col_stages",
                    "col_owed", "col_behind", "col_last_payment")
CASELOAD_MONEY = ("col_owed", "col_behind")


def agreement_words(a: AgreementInForce, lang: str) -> str:
    deal = a.agreement
    if deal.kind == "installments":
        return t("agreement_installments", lang, loan=a.loan, monthly=yuan(deal.monthly), months=deal.months,
                 first=month_name(deal.first.strftime("%Y-%m"), lang), last=month_name(a.last.strftime("%Y-%m"), lang))
    return t("agreement_settlement", lang, loan=a.loan, amount=yuan(deal.amount), by=month_name(deal.by.strftime("%Y-%m"), lang))


def drift_table(vs: ActualVsPlan, lang: str) -> pd.DataFrame:
    """Per loan: planned and paid over the closed months, behind plan, and this month so far."""
    frame = vs.frame()
    closed = frame[frame["closed"]].groupby("loan", sort=False)[["planned", "paid"]].sum()
    rows = []
    for d in vs.drift:
        rows.append({
            t("loan", lang): d.loan,
            t("col_planned_closed", lang): round(float(closed["planned"].get(d.loan, 0.0)), 2),
            t("col_paid_closed", lang): round(float(closed["paid"].get(d.loan, 0.0)), 2),
            t("col_behind", lang): d.behind,
            t("col_planned_now", lang): d.planned_now,
            t("col_paid_now", lang): d.paid_now,
            t("col_still", lang): round(d.still_due, 2),
        })
    return pd.DataFrame(rows)


def loans_table(state: CaseState, lang: str) -> pd.DataFrame:
    """The loans at the start of this month: the lender's claim after the payments recorded."""
    rows = []
    for s in state.loans:
        closed = None
        if s.closed:
            how, _, month = s.closed.partition(" ")
            closed = t(f"closed_{how}", lang, month=month_name(month, lang) if month else "")
        deal = ""
        if s.agreement is not None:
            deal = agreement_words(AgreementInForce(s.name, s.agreement), lang)
        rows.append({
            t("loan", lang): s.name,
            t("lender", lang): s.lender,
            t("col_owed", lang): 0.0 if s.closed else s.owed,
            t("principal", lang): 0.0 if s.closed else s.principal,
            t("col_charges", lang): 0.0 if s.closed else s.charges,
            t("col_months_behind", lang): s.months_behind,
            t("col_state", lang): closed or t("comma", lang).join(
                f"{stage_word(stage, lang)}（{since_words(since, lang)}）" if lang == "zh"
                else f"{stage_word(stage, lang)} ({since_words(since, lang)})" for stage, since in s.stages),
            t("col_agreements", lang): deal,
        })
    return pd.DataFrame(rows)


def commands(case: str, loan: str, month: dt.date, db_flag: str | None) -> str:
    """The command lines that record for this case and plan it again (the dashboard only reads);
    ``month``: the open month, where an agreement recorded today would start."""
    db = f" --db {shlex.quote(db_flag)}" if db_flag else ""
    name = shlex.quote(case)
    return "\n".join([
        f"debtplan case pay {name} {shlex.quote(loan)} 600{db}",
        f"debtplan case event {name} agreement {shlex.quote(loan)} --monthly 600 --months 24 --first {month:%Y-%m}{db}",
        f"debtplan case replan {name}{db}",
        f"debtplan case export {name} --out {shlex.quote(case + '-export')}{db}",
    ])


def first_case_commands(db_flag: str | None) -> str:
    db = f" --db {shlex.quote(db_flag)}" if db_flag else ""
    return "\n".join([
        f"debtplan case new 张三 --from scenarios/three-overdue-loans.toml{db}",
        f"debtplan case pay 张三 京东金条 600{db}",
        f"debtplan case status{db}",
    ])
