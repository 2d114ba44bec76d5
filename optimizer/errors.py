"""Every way a user's input can be wrong, one class each, with its message written once here.

The loader raises these; the CLI prints ``str(error)`` as one line and exits 2. Each message
names the file, the loan (where there is one) and the field, and says what is allowed, so the
user can fix the file without reading code.
"""

from __future__ import annotations


class DebtplanError(Exception):
    """Base of every error the product reports to a user (never a bug in the product)."""

    exit_code = 2


class ScenarioFileError(DebtplanError):
    """The file as a whole cannot be read as a scenario."""

    template = "{file}: {problem}"

    def __init__(self, file: str, problem: str = ""):
        self.file = file
        self.problem = problem
        super().__init__(self.template.format(file=file, problem=problem or self.default_problem))

    default_problem = "cannot be read"


class ScenarioNotFound(ScenarioFileError):
    default_problem = "no such file"


class EmptyScenario(ScenarioFileError):
    default_problem = "the file is empty; a scenario needs at least start, income and one [[loans]] entry"


class NotText(ScenarioFileError):
    default_problem = "not a text file (binary content); a scenario is a UTF-8 TOML file"


class NotToml(ScenarioFileError):
    template = "{file}: not valid TOML: {problem}"


class ScenarioFieldError(DebtplanError):
    """One field of the scenario is missing, unknown or out of range."""

    template = "{file}: {where}field '{field}': {problem}"

    def __init__(self, file: str, field: str, problem: str, loan: str | None = None):
        self.file = file
        self.field = field
        self.loan = loan
        self.problem = problem
        where = f"loan '{loan}', " if loan else ""
        super().__init__(self.template.format(file=file, where=where, field=field, problem=problem))


class MissingField(ScenarioFieldError):
    pass


class UnknownField(ScenarioFieldError):
    pass


class InvalidField(ScenarioFieldError):
    pass


class OutputError(DebtplanError):
    """An output file cannot be written (folder missing, no permission)."""

    template = "{file}: cannot write output: {problem}"
    exit_code = 2

    def __init__(self, file: str, problem: str):
        self.file = file
        super().__init__(self.template.format(file=file, problem=problem))


# ---- the case file (optimizer/casefile.py, optimizer/casework.py) ------------------------------


class CaseFileError(DebtplanError):
    """Something about the case database or a case command's input is wrong.

    Each subclass is one failure; its ``template`` is the whole message, filled from the keyword
    arguments it is raised with, so every message is written once, here.
    """

    template = "{problem}"

    def __init__(self, **fields: object):
        self.fields = fields
        super().__init__(self.template.format(**fields))


class UnsupportedDatabase(CaseFileError):
    template = ("{url}: only SQLite case files are supported: give a file path or sqlite:///PATH "
                "(a shared PostgreSQL server is planned, not implemented)")


class DatabaseUnusable(CaseFileError):
    template = "{path}: cannot be used as a case file: {problem}"


class NoCaseFile(CaseFileError):
    template = "{path}: no case file here yet; create the first case with: debtplan case new NAME --from SCENARIO"


class DatabaseTooNew(CaseFileError):
    template = ("{path}: written by a newer debtplan (case-file schema {found}; this version knows up to "
                "{known}); upgrade debtplan, nothing was changed")


class DatabaseBusy(CaseFileError):
    template = "{path}: another program is writing to this case file; nothing was changed, try again in a moment"


class BadCaseName(CaseFileError):
    template = "case name {name!r}: {problem}"


class CaseNotFound(CaseFileError):
    template = "{db}: no case named '{name}' ({known})"


class CaseExists(CaseFileError):
    template = "{db}: a case named '{name}' already exists; pick another name or delete it first"


class UnknownLoan(CaseFileError):
    template = "case '{case}': no loan or lender named '{loan}'; the loans are: {known}"


class AmbiguousLender(CaseFileError):
    template = "case '{case}': lender '{loan}' has several loans ({loans}); give the loan's name instead"


class LoanSettled(CaseFileError):
    template = ("case '{case}', loan '{loan}': settled on {settled} (settlement-paid event); "
                "no payment or event can be recorded for it after that")


class BadAmount(CaseFileError):
    template = "{field} {value!r}: must be yuan above 0 and at most 100,000,000 with at most two decimals, e.g. 1200 or 1200.50"


class BadDate(CaseFileError):
    template = "{field} {value!r}: must be a date written YYYY-MM-DD (e.g. 2027-03-15)"


class BadMonth(CaseFileError):
    template = "{field} {value!r}: must be a month written YYYY-MM (e.g. 2027-03)"


class DateInFuture(CaseFileError):
    template = "{field} {value}: is after today ({today}); record what has happened, not what is planned"


class DateBeforeCase(CaseFileError):
    template = ("{field} {value}: is before case '{case}' starts ({start}); the case's figures are as of "
                "{start}, so earlier payments and events are already in them")


class EventNeedsLoan(CaseFileError):
    template = "event '{kind}': name the loan (or lender) it happened to, e.g. debtplan case event CASE {kind} 京东金条"


class EventTakesNoLoan(CaseFileError):
    template = "event '{kind}': is about the whole case, not one loan; remove '{loan}'"


class BadEventTerms(CaseFileError):
    template = "event '{kind}': {problem}"


class AgreementOver(CaseFileError):
    template = ("event 'agreement': its last installment ({last}) is before this month ({month}); "
                "an agreement already fulfilled needs no record (record settlement-paid if the loan is closed)")


class DeleteNotConfirmed(CaseFileError):
    template = ("case '{name}': add --yes to delete it and all its scenarios, payments, events and plans "
                "for good (backups made earlier still hold it)")
