"""The case file: where a case's scenarios, payments, events and plans are kept, in one database.

This module is the only place that talks to the database. Everything above it (the re-plan, actual
against plan, the caseload in :mod:`optimizer.casework`, the ``debtplan case`` commands) works on
the plain records it returns.

**Where.** A database is named by a URL: ``sqlite:///PATH`` (three slashes, then the path, so an
absolute path has four: ``sqlite:////home/me/cases.db``) or simply a file path. The URL comes from
``--db``, else the environment variable ``DEBTPLAN_DB``, else the default,
``platformdirs.user_data_dir("debtplan")/cases.db`` (``~/.local/share/debtplan/cases.db`` on
Linux, ``~/Library/Application Support/debtplan/cases.db`` on macOS,
``%LOCALAPPDATA%\\debtplan\\cases.db`` on Windows). Only SQLite is implemented: the schema and
queries are plain SQL with one backend class per URL scheme, so a ``postgresql://`` backend for an
office sharing cases can be added beside :class:`_Sqlite` without touching the callers.

**Why the standard library's sqlite3.** Five tables and a handful of queries do not earn an ORM;
sqlite3 ships with Python, gives transactions, WAL and the online backup API directly, and its
``PRAGMA user_version`` is all a migration list needs.

**Safety.** Foreign keys on; WAL journal with ``synchronous=FULL``; every change is one
``BEGIN IMMEDIATE`` … ``COMMIT`` transaction, so a process killed mid-write leaves the change
either wholly there or not at all (tested by killing a writer). The file is created owner-only
(0600; SQLite gives its -wal and -shm files the same mode) in a folder created 0700; an existing
file readable by others is tightened to 0600 when opened. ``secure_delete`` is on and a deleted
case's pages are checkpointed out of the WAL, so a deleted case is gone from the file.

**Schema.** :data:`MIGRATIONS` lists the steps from an empty file to the current schema; the
file's ``PRAGMA user_version`` says how many have been applied, and opening a file applies the
rest, each step in its own transaction. A file from a newer debtplan is refused, not changed.
Money is stored as whole fen (INTEGER), dates as ISO text.

Test hook: when the environment variable ``DEBTPLAN_TEST_HOLD_WRITE`` names a file, every write
transaction creates that file just before it commits and then waits 60 seconds, so a test can
kill the writer at that exact point.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import platformdirs

from .errors import (
    CaseExists,
    CaseNotFound,
    DatabaseBusy,
    DatabaseTooNew,
    DatabaseUnusable,
    NoCaseFile,
    UnsupportedDatabase,
)

ENV_DB = "DEBTPLAN_DB"
ENV_TEST_HOLD = "DEBTPLAN_TEST_HOLD_WRITE"

# Each step is a list of statements run in one transaction; never edit a released step, add one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: cases, the scenario versions they were planned from, what was paid, what happened.
    (
        """CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_on TEXT NOT NULL
        )""",
        """CREATE TABLE scenario_versions (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            made_on TEXT NOT NULL,
            start_month TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('import', 'replan')),
            origin TEXT NOT NULL,
            toml TEXT NOT NULL,
            UNIQUE (case_id, number)
        )""",
        """CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            loan TEXT NOT NULL,
            paid_on TEXT NOT NULL,
            amount_fen INTEGER NOT NULL CHECK (amount_fen > 0),
            recorded_at TEXT NOT NULL
        )""",
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            loan TEXT,
            happened_on TEXT NOT NULL,
            terms TEXT NOT NULL DEFAULT '{}',
            recorded_at TEXT NOT NULL
        )""",
    ),
    # 2: the plans made, so that what was paid can be set against what was planned.
    (
        """CREATE TABLE plans (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            version_id INTEGER NOT NULL REFERENCES scenario_versions(id) ON DELETE CASCADE,
            made_on TEXT NOT NULL,
            start_month TEXT NOT NULL,
            strategy TEXT NOT NULL,
            status TEXT NOT NULL,
            parameters TEXT NOT NULL DEFAULT '{}',
            plan_csv TEXT NOT NULL
        )""",
    ),
    # 3: a note on each payment and event (a receipt number, who called), and the caseload's indexes.
    (
        "ALTER TABLE payments ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE events ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX payments_by_case ON payments (case_id, paid_on)",
        "CREATE INDEX events_by_case ON events (case_id, happened_on)",
        "CREATE INDEX plans_by_case ON plans (case_id, start_month)",
        "CREATE INDEX versions_by_case ON scenario_versions (case_id, number)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


# ---- records -------------------------------------------------------------------------------


class CaseRecord(NamedTuple):
    id: int
    name: str
    created_on: dt.date


class ScenarioVersion(NamedTuple):
    """A scenario as stored with a case (``id`` and ``number`` are given when it is stored)."""

    made_on: dt.date
    start_month: str  # YYYY-MM
    source: str  # "import" (a scenario file as given) or "replan" (the state on a day)
    origin: str  # the file imported, or what the re-plan was made from
    toml: str
    id: int | None = None
    number: int | None = None


class PaymentRecord(NamedTuple):
    id: int
    loan: str
    paid_on: dt.date
    amount: float  # yuan (stored as whole fen)
    note: str


class EventRecord(NamedTuple):
    id: int
    kind: str
    loan: str | None
    happened_on: dt.date
    terms: dict[str, Any]
    note: str


class PlanRecord(NamedTuple):
    """A plan made for a case (``id`` and ``version_id`` are given when it is stored)."""

    made_on: dt.date
    start_month: str
    strategy: str
    status: str
    parameters: dict[str, Any]
    plan_csv: str  # the plan CSV's rows (as `debtplan solve --out` writes them, without the BOM)
    id: int | None = None
    version_id: int | None = None


class CaseData(NamedTuple):
    """Everything recorded for one case, read in one transaction (a consistent picture)."""

    case: CaseRecord
    versions: tuple[ScenarioVersion, ...]  # oldest first
    payments: tuple[PaymentRecord, ...]  # by date, then as recorded
    events: tuple[EventRecord, ...]  # by date, then as recorded
    plans: tuple[PlanRecord, ...]  # as made


# ---- where the database is -----------------------------------------------------------------


def default_path() -> Path:
    return Path(platformdirs.user_data_dir("debtplan", appauthor=False)) / "cases.db"


def database_url(given: str | None = None) -> str:
    """``--db`` if given, else ``$DEBTPLAN_DB``, else the default file, as a URL."""
    chosen = given or os.environ.get(ENV_DB) or ""
    return chosen if chosen.strip() else f"sqlite:///{default_path()}"


def _backend_for(url: str) -> _Sqlite:
    scheme, sep, rest = url.partition("://")
    if not sep:  # a plain path
        return _Sqlite(url, Path(url).expanduser())
    if scheme.lower() == "sqlite" and rest.startswith("/") and len(rest) > 1:
        return _Sqlite(url, Path(rest[1:]).expanduser())
    raise UnsupportedDatabase(url=url)


# ---- the SQLite backend --------------------------------------------------------------------


class _Sqlite:
    """Opens (creating owner-only if needed) and migrates one SQLite case file."""

    def __init__(self, url: str, path: Path):
        self.url = url
        self.path = path

    def connect(self, create: bool) -> sqlite3.Connection:
        path = self.path
        folder = path.parent
        if not create and not path.exists():
            raise NoCaseFile(path=path)
        try:
            if not folder.exists():
                folder.mkdir(parents=True, mode=0o700)
                folder.chmod(0o700)
            if not path.exists():
                try:
                    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                except FileExistsError:
                    pass
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise DatabaseUnusable(path=path, problem="not a file")
            if info.st_size:
                with path.open("rb") as head:
                    if head.read(16) != b"SQLite format 3\x00":  # checked before anything touches it
                        raise DatabaseUnusable(path=path, problem="not a SQLite database (is --db the right file?)")
            if info.st_mode & 0o077 and info.st_uid == getattr(os, "getuid", lambda: -1)():
                path.chmod(0o600)  # a case file is nobody else's business
        except OSError as exc:
            raise DatabaseUnusable(path=path, problem=exc.strerror or str(exc)) from None
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a transaction is exactly
        # what a method says it is.
        conn = sqlite3.connect(path, isolation_level=None, timeout=10.0)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # Before anything that writes (even the switch to WAL): a newer file is left untouched.
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            if found > SCHEMA_VERSION:
                raise DatabaseTooNew(path=path, found=found, known=SCHEMA_VERSION)
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise DatabaseUnusable(path=path, problem=f"cannot switch to WAL journal (got {mode})")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA secure_delete = ON")
            _migrate(conn, path)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise DatabaseUnusable(path=path, problem=str(exc)) from None
        except BaseException:
            conn.close()
            raise
        return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise DatabaseTooNew(path=path, found=found, known=SCHEMA_VERSION)
    for number in range(found, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the write lock.
            if conn.execute("PRAGMA user_version").fetchone()[0] > number:
                conn.execute("COMMIT")
                continue
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _hold_for_test() -> None:
    marker = os.environ.get(ENV_TEST_HOLD)
    if marker:
        Path(marker).write_text("in transaction", encoding="utf-8")
        time.sleep(60)


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


# ---- the case file -------------------------------------------------------------------------


class CaseFile:
    """One open case database. Use as a context manager, or call :meth:`close`.

    ``create=False`` opens only a file that exists (:class:`NoCaseFile` otherwise), so a command
    that only reads or adds to cases never leaves an empty database behind.
    """

    def __init__(self, url: str | None = None, create: bool = True):
        self.url = database_url(url)
        self._backend = _backend_for(self.url)
        self.path = self._backend.path
        self._conn = self._backend.connect(create)

    def __enter__(self) -> CaseFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none of it."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:  # still locked after the connection's 10 s timeout
            raise DatabaseBusy(path=self.path) from None
        try:
            yield self._conn
            _hold_for_test()
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one consistent state of the file."""
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    # ---- reads ---------------------------------------------------------------------------

    def case_names(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT name FROM cases ORDER BY name")]

    def _case(self, conn: sqlite3.Connection, name: str) -> CaseRecord:
        row = conn.execute("SELECT id, name, created_on FROM cases WHERE name = ?", (name,)).fetchone()
        if row is None:
            names = [r[0] for r in conn.execute("SELECT name FROM cases ORDER BY name LIMIT 11")]
            known = ("cases: " + ", ".join(names[:10]) + (", …" if len(names) > 10 else "")) if names else "the file has no cases yet"
            raise CaseNotFound(db=self.path, name=name, known=known)
        return CaseRecord(row[0], row[1], _day(row[2]))

    def case(self, name: str) -> CaseRecord:
        return self._case(self._conn, name)

    def load(self, name: str) -> CaseData:
        """Everything recorded for case ``name``."""
        with self._read() as conn:
            return self._load(conn, self._case(conn, name))

    def load_all(self) -> list[CaseData]:
        """Every case, in name order (the caseload's input)."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, name, created_on FROM cases ORDER BY name").fetchall()
            return [self._load(conn, CaseRecord(r[0], r[1], _day(r[2]))) for r in rows]

    @staticmethod
    def _load(conn: sqlite3.Connection, case: CaseRecord) -> CaseData:
        cid = (case.id,)
        versions = tuple(
            ScenarioVersion(_day(r[2]), r[3], r[4], r[5], r[6], id=r[0], number=r[1])
            for r in conn.execute(
                "SELECT id, number, made_on, start_month, source, origin, toml FROM scenario_versions "
                "WHERE case_id = ? ORDER BY number", cid)
        )
        payments = tuple(
            PaymentRecord(r[0], r[1], _day(r[2]), r[3] / 100, r[4])
            for r in conn.execute(
                "SELECT id, loan, paid_on, amount_fen, note FROM payments WHERE case_id = ? ORDER BY paid_on, id", cid)
        )
        events = tuple(
            EventRecord(r[0], r[1], r[2], _day(r[3]), json.loads(r[4]), r[5])
            for r in conn.execute(
                "SELECT id, kind, loan, happened_on, terms, note FROM events WHERE case_id = ? "
                "ORDER BY happened_on, id", cid)
        )
        plans = tuple(
            PlanRecord(_day(r[2]), r[3], r[4], r[5], json.loads(r[6]), r[7], id=r[0], version_id=r[1])
            for r in conn.execute(
                "SELECT id, version_id, made_on, start_month, strategy, status, parameters, plan_csv FROM plans "
                "WHERE case_id = ? ORDER BY id", cid)
        )
        return CaseData(case, versions, payments, events, plans)

    # ---- writes (each one transaction) ------------------------------------------------------

    def create_case(self, name: str, created_on: dt.date, version: ScenarioVersion, plan: PlanRecord | None) -> CaseRecord:
        """A new case with its first scenario version (and the plan made from it)."""
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM cases WHERE name = ?", (name,)).fetchone():
                raise CaseExists(db=self.path, name=name)
            case_id = conn.execute("INSERT INTO cases (name, created_on) VALUES (?, ?)",
                                   (name, created_on.isoformat())).lastrowid
            self._insert_version(conn, case_id, version, plan)
        return CaseRecord(case_id, name, created_on)

    def add_version(self, case: CaseRecord, version: ScenarioVersion, plan: PlanRecord | None) -> int:
        """Store a scenario version (and the plan made from it); returns its number."""
        with self._write() as conn:
            return self._insert_version(conn, case.id, version, plan)

    @staticmethod
    def _insert_version(conn: sqlite3.Connection, case_id: int, version: ScenarioVersion, plan: PlanRecord | None) -> int:
        number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM scenario_versions WHERE case_id = ?",
                              (case_id,)).fetchone()[0]
        version_id = conn.execute(
            "INSERT INTO scenario_versions (case_id, number, made_on, start_month, source, origin, toml) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (case_id, number, version.made_on.isoformat(), version.start_month, version.source, version.origin,
             version.toml),
        ).lastrowid
        if plan is not None:
            conn.execute(
                "INSERT INTO plans (case_id, version_id, made_on, start_month, strategy, status, parameters, plan_csv) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (case_id, version_id, plan.made_on.isoformat(), plan.start_month, plan.strategy, plan.status,
                 json.dumps(plan.parameters, ensure_ascii=False, sort_keys=True), plan.plan_csv),
            )
        return number

    def add_payment(self, case: CaseRecord, loan: str, paid_on: dt.date, amount_fen: int, note: str = "") -> int:
        with self._write() as conn:
            return conn.execute(
                "INSERT INTO payments (case_id, loan, paid_on, amount_fen, recorded_at, note) VALUES (?, ?, ?, ?, ?, ?)",
                (case.id, loan, paid_on.isoformat(), int(amount_fen), _now(), note),
            ).lastrowid

    def add_event(self, case: CaseRecord, kind: str, loan: str | None, happened_on: dt.date,
                  terms: dict[str, Any], note: str = "") -> int:
        with self._write() as conn:
            return conn.execute(
                "INSERT INTO events (case_id, kind, loan, happened_on, terms, recorded_at, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (case.id, kind, loan, happened_on.isoformat(), json.dumps(terms, ensure_ascii=False, sort_keys=True),
                 _now(), note),
            ).lastrowid

    def delete_case(self, name: str) -> None:
        """Delete the case and everything recorded for it, and scrub it from the file."""
        with self._write() as conn:
            case = self._case(conn, name)
            conn.execute("DELETE FROM cases WHERE id = ?", (case.id,))  # cascades to every table
        # secure_delete zeroed the freed pages; moving them into the main file and emptying the
        # WAL removes the last copies of the old pages.
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---- safety ---------------------------------------------------------------------------

    def integrity_problems(self) -> list[str]:
        """[] when SQLite's integrity and foreign-key checks pass, else what they found."""
        found = [r[0] for r in self._conn.execute("PRAGMA integrity_check")]
        problems = [] if found == ["ok"] else found
        problems += [f"foreign key: {tuple(r)}" for r in self._conn.execute("PRAGMA foreign_key_check")]
        return problems

    def backup(self, out: str | Path) -> Path:
        """A consistent copy of the whole file (SQLite's online backup), owner-only, written
        atomically: a temporary file in the target folder renamed into place."""
        out = Path(out).expanduser()
        folder = out.parent
        if not folder.is_dir():
            raise DatabaseUnusable(path=out, problem=f"folder {folder} does not exist")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)  # created 0600
        except OSError as exc:
            raise DatabaseUnusable(path=out, problem=exc.strerror or str(exc)) from None
        os.close(fd)
        try:
            target = sqlite3.connect(tmp)
            try:
                self._conn.backup(target)
                # A backup is one self-contained file: no WAL beside it.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return out
