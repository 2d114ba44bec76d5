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


class FontMissing(DebtplanError):
    """The Chinese font the PDF embeds is not installed (DOCX files need none)."""

    template = "PDF output needs the Chinese font file {font}: install it with `{hint}` and run again; nothing was written"

    def __init__(self, font: str, hint: str):
        self.font = font
        super().__init__(self.template.format(font=font, hint=hint))
