"""Every way a user's input can be wrong, one class each, with its message written once here.

The loader raises these; the CLI prints ``str(error)`` as one line and exits 2. Each message
names the file, the loan (where there is one) and the field, and says what is allowed, so the
user can fix the file without reading code.

Whatever the user wrote is quoted through :func:`shown` / :func:`describe`: control characters
escaped (a message is always one line) and at most :data:`MAX_SHOWN` characters of it, so an
800 KB value or a name holding a line break cannot flood or split the line.

Field problems are classes with a ``problem`` template; the loader fills it with the details
(``got``: the bad value as :func:`describe` shows it; bounds; counts) and never writes message
text of its own.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

MAX_SHOWN = 60  # characters of a user's value (or name) quoted in a message


def shown(text: str, limit: int = MAX_SHOWN) -> str:
    """``text`` safe for a one-line message: control, line-separator and surrogate characters
    escaped (``\\n``, ``\\x07``, ``\\u2028``), cut to ``limit`` characters with "…"."""
    text = str(text)
    body = "".join(_escaped(ch) for ch in text[:limit])
    return body + "…" if len(text) > limit else body


def _escaped(ch: str) -> str:
    if unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp"):
        return ch
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return named.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def describe(value: Any) -> str:
    """A user's value as a message quotes it: TOML-like, short, one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int) and abs(value) >= 10**MAX_SHOWN:
        return f"a number of more than {MAX_SHOWN} digits"
    if isinstance(value, float) and abs(value) >= 1e12:
        return f"{value:.6g}"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        quoted = f'"{shown(value)}"'
        return quoted if len(value) <= MAX_SHOWN else f"{quoted} ({len(value):,} characters)"
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    return shown(repr(value))


class DebtplanError(Exception):
    """Base of every error the product reports to a user (never a bug in the product)."""

    exit_code = 2


# ---- the file as a whole ----------------------------------------------------------------------


class ScenarioFileError(DebtplanError):
    """The file as a whole cannot be read as a scenario."""

    template = "{file}: {problem}"

    def __init__(self, file: str, problem: str = ""):
        self.file = file
        self.problem = problem
        super().__init__(self.template.format(file=shown(file, 200), problem=problem or self.default_problem))

    default_problem = "cannot be read"


class ScenarioNotFound(ScenarioFileError):
    default_problem = "no such file"


class ScenarioIsFolder(ScenarioFileError):
    default_problem = "is a folder, not a scenario file"


class ScenarioUnreadable(ScenarioFileError):
    template = "{file}: cannot be read: {problem}"


class EmptyScenario(ScenarioFileError):
    default_problem = "the file is empty; a scenario needs at least start, income and one [[loans]] entry"


class NotText(ScenarioFileError):
    default_problem = "not a text file (binary content); a scenario is a UTF-8 TOML file"


class NotUtf8(ScenarioFileError):
    template = ("{file}: not UTF-8 text ({problem}); save the file as UTF-8 "
                "(e.g. Notepad: Save as → Encoding: UTF-8)")


class FileTooBig(ScenarioFileError):
    template = "{file}: the file is larger than {problem} bytes; a scenario file is at most 1 MB"


class NotToml(ScenarioFileError):
    template = "{file}: not valid TOML: {problem}"


class NumberTooLong(ScenarioFileError):
    default_problem = "not valid TOML: a number has more than 4,300 digits"


class NestedTooDeep(ScenarioFileError):
    template = "{file}: lists or tables are nested more than {problem} levels deep; a scenario needs far fewer"


class BatchFolderMissing(ScenarioFileError):
    default_problem = "not a folder of scenario files"


class BatchFolderEmpty(ScenarioFileError):
    default_problem = "no *.toml scenario files in it"


# ---- one field --------------------------------------------------------------------------------


class ScenarioFieldError(DebtplanError):
    """One field of the scenario is missing, unknown or out of range."""

    template = "{file}: {where}field '{field}': {problem}"
    problem_template = "{problem}"

    def __init__(self, file: str, field: str, problem: str, loan: str | None = None):
        self.file = file
        self.field = field
        self.loan = loan
        self.problem = problem
        where = f"loan '{shown(loan)}', " if loan else ""
        super().__init__(self.template.format(file=shown(file, 200), where=where, field=shown(field), problem=problem))

    @classmethod
    def describe(cls, **details: Any) -> str:
        """The problem text, filled in with ``details`` (``got`` is quoted with :func:`describe`)."""
        if "got" in details:
            details["got"] = describe(details["got"])
        return cls.problem_template.format(**details)


class MissingField(ScenarioFieldError):
    problem_template = "is required"


class UnknownField(ScenarioFieldError):
    problem_template = "is not a known field (see scenarios/scenario.schema.json)"


class InvalidField(ScenarioFieldError):
    """A problem pydantic reports that no class below describes (kept as its own words)."""


class NotAnAmount(ScenarioFieldError):
    problem_template = ("must be an amount in yuan: a number such as 7500 or 7500.50, or the same in quotes "
                        "(\"7,500\"); got {got}")


class NotANumber(ScenarioFieldError):
    problem_template = "must be a number such as 0.5 (no quotes, not nan or inf); got {got}"


class NotARate(ScenarioFieldError):
    problem_template = "must be a rate: a number such as 0.24 or a percentage in quotes such as \"24%\"; got {got}"


class NotAWholeNumber(ScenarioFieldError):
    problem_template = "must be a whole number such as 36 (no quotes, no decimals); got {got}"


class NotTrueFalse(ScenarioFieldError):
    problem_template = "must be true or false (no quotes, not 1 or 0); got {got}"


class NotAMonth(ScenarioFieldError):
    problem_template = "must be a month written \"YYYY-MM\" (e.g. \"2026-12\"); got {got}"


class NotADate(ScenarioFieldError):
    problem_template = "must be a date on the calendar written YYYY-MM-DD (e.g. 2025-03-15); got {got}"


class YearOutOfRange(ScenarioFieldError):
    problem_template = "must be in the years {first} to {last}; got {got}"


class NotAString(ScenarioFieldError):
    problem_template = "must be text in quotes; got {got}"


class EmptyText(ScenarioFieldError):
    problem_template = "must not be empty"


class TextTooLong(ScenarioFieldError):
    problem_template = "must be at most {max_length} characters; got {got}"


class ControlCharacter(ScenarioFieldError):
    problem_template = ("must not contain control characters such as line breaks or tabs; found {char} "
                        "at character {position}")


class FormulaText(ScenarioFieldError):
    problem_template = ("must not start with =, +, -, or @ (a spreadsheet opening the CSV would run it as a "
                        "formula); got {got}")


class NotAChoice(ScenarioFieldError):
    problem_template = "must be {expected}; got {got}"


class NotATable(ScenarioFieldError):
    problem_template = "must be a table ({{ key = value, … }} or a [section]); got {got}"


class NotAList(ScenarioFieldError):
    problem_template = "must be a list [ … ]; got {got}"


class TooFew(ScenarioFieldError):
    problem_template = "needs at least {min_length} (got {actual_length})"


class TooMany(ScenarioFieldError):
    problem_template = "may hold at most {max_length} (got {actual_length})"


class BelowMinimum(ScenarioFieldError):
    problem_template = "must be at least {limit}; got {got}"


class NotAboveMinimum(ScenarioFieldError):
    problem_template = "must be more than {limit}; got {got}"


class AboveMaximum(ScenarioFieldError):
    problem_template = "must be at most {limit}; got {got}"


class NotBelowMaximum(ScenarioFieldError):
    problem_template = "must be less than {limit}; got {got}"


class TooLarge(ScenarioFieldError):
    problem_template = ("{loans} loans × {months} months = {cells:,} loan-months is beyond the supported size "
                        "({limit:,} loan-months, at most {max_loans} loans); split the case or shorten "
                        "horizon_months")


class BalanceGrowsTooLarge(ScenarioFieldError):
    problem_template = ("at {rate:.0%} a year (penalty rate {penalty:.0%}) the ¥{owed:,.0f} owed would grow past "
                        "¥{limit:,.0f} if unpaid over {months} months, beyond what debtplan computes to the fen; "
                        "plan at most {fits} months (horizon_months) or check the rate")


# Problems between fields of one loan or of the scenario.


class RateTwice(ScenarioFieldError):
    problem_template = "give exactly one of apr (yearly) or daily_rate (日利率)"


class AprTooHigh(ScenarioFieldError):
    problem_template = ("must be a yearly rate between 0 and {limit} ({limit:.0%}), written as a fraction (0.24) or "
                        "a percentage string (\"24%\"); got {got:g}{hint}")

    @classmethod
    def describe(cls, **details: Any) -> str:
        got = details["got"]
        hint = f" (if you meant {got:g} %, write {got / 100:g})" if got <= 100 else ""
        return cls.problem_template.format(hint=hint, **details)


class DailyRateTooHigh(ScenarioFieldError):
    problem_template = ("must be a daily rate between 0 and {limit} (1 % a day), e.g. 0.0005 or \"0.05%\"; "
                        "got {got:g}")

    @classmethod
    def describe(cls, **details: Any) -> str:
        return cls.problem_template.format(**details)


class ContractTwoWays(ScenarioFieldError):
    problem_template = ("describe the contract either by installments (+ installments_paid) or by installment "
                        "(+ installments_left), not both")


class PaidTooMany(ScenarioFieldError):
    problem_template = "must be less than installments ({installments}); got {got}"


class ContractMissing(ScenarioFieldError):
    problem_template = ("is required: give the monthly installment, or installments (the number in the contract), "
                        "or accelerated = true if the lender demands the whole balance")


class InstallmentNeeded(ScenarioFieldError):
    problem_template = "is required with installments_left"


class InstallmentBelowInterest(ScenarioFieldError):
    problem_template = ("¥{installment:,.2f} does not cover one month's interest (¥{interest:,.2f}); give "
                        "installments_left too, or check the rate")


class OwesNothing(ScenarioFieldError):
    problem_template = "the loan owes nothing (principal and all charges are 0)"


class DuplicateName(ScenarioFieldError):
    problem_template = "two loans are named '{name}'; names must be unique"

    @classmethod
    def describe(cls, **details: Any) -> str:
        return super().describe(name=shown(details.pop("name")), **details)


class EmptySchedule(ScenarioFieldError):
    problem_template = "the schedule is empty; give an amount or at least one step"


class ScheduleStartsLate(ScenarioFieldError):
    problem_template = "the schedule must start on or before the plan start {start}"


class ScheduleOutOfOrder(ScenarioFieldError):
    problem_template = "schedule steps must be in increasing month order"


# ---- outputs ----------------------------------------------------------------------------------


class OutputError(DebtplanError):
    """An output file cannot be written (folder missing, no permission)."""

    template = "{file}: cannot write output: {problem}"
    exit_code = 2

    def __init__(self, file: str, problem: str):
        self.file = file
        super().__init__(self.template.format(file=shown(file, 200), problem=problem))


class OutputFolderMissing(OutputError):
    def __init__(self, file: str, folder: str):
        super().__init__(file, f"folder {shown(folder, 200)} does not exist")


class OutputIsFolder(OutputError):
    def __init__(self, file: str):
        super().__init__(file, "it is a folder; give a file name such as plan.csv")


# ---- bugs -------------------------------------------------------------------------------------


class InternalError(DebtplanError):
    """Something the product did not expect (a bug): one line, exit 3, never a traceback."""

    template = "debtplan: internal error ({kind}: {detail}); this is a bug, please report it with the scenario"
    exit_code = 3

    def __init__(self, exc: BaseException):
        detail = shown(str(exc), 200) or "no details"
        super().__init__(self.template.format(kind=type(exc).__name__, detail=detail))


class InternalCheckFailed(DebtplanError):
    """A plan failed the checks re-run after every solve (a bug): one line, exit 3."""

    template = ("debtplan: internal check failed: {first}{more}; this is a bug, please report it with the "
                "scenario")
    exit_code = 3

    def __init__(self, problems: tuple[str, ...]):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(self.template.format(first=shown(problems[0], 200), more=more))


class FontMissing(DebtplanError):
    """The Chinese font the PDF embeds is not installed (DOCX files need none)."""

    template = "PDF output needs the Chinese font file {font}: install it with `{hint}` and run again; nothing was written"

    def __init__(self, font: str, hint: str):
        self.font = font
        super().__init__(self.template.format(font=font, hint=hint))
