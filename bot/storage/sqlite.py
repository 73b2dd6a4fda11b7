"""The SQLite engine (the default, embedded): one connection, WAL mode.

Calls are short and run on the event loop's thread; the connection is opened in `post_init`
and closed in `post_shutdown`. Writes take the write lock up front (`BEGIN IMMEDIATE`), so a
unit of work never fails half-way on a lock upgrade. A second process on the same file (the
`gaps` command) waits up to 5 s for the lock; after that, or on a disk fault, a call raises
`StorageUnavailable`.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.storage.base import StorageUnavailable
from bot.storage.engine import Dialect, Params, Row, T, Tx
from bot.storage.migrations import Migration

# sqlite3.OperationalError covers both faults of the moment and our own mistakes ("no such
# table"); only the former mean "unavailable".
_UNAVAILABLE = ("locked", "busy", "disk i/o", "unable to open", "readonly", "disk is full")


def _dict_row(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


class _SqliteTx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self._db.execute(sql, tuple(params)).fetchone()
        return row

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self._db.execute(sql, tuple(params)).fetchall())

    def run(self, sql: str, params: Params = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount


class SqliteEngine:
    dialect: Dialect = "sqlite"

    def __init__(self, path: Path | str, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.description = f"SQLite {path}"
        self.read_only = read_only
        try:
            if read_only:
                # Read-only: never create, never migrate, never take the write lock.
                self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
            else:
                if str(path) != ":memory:":
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE for writes).
                self._db = sqlite3.connect(str(path), isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.row_factory = _dict_row
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # junk or damaged: now
        except (sqlite3.DatabaseError, OSError) as exc:
            why, hint = describe_open_error(self.path, exc)
            raise StorageUnavailable(f"cannot open {self.description} ({why}) — {hint}") from exc

    # -- units of work -----------------------------------------------------------------------------

    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        try:
            self._db.execute("BEGIN IMMEDIATE" if write and not self.read_only else "BEGIN")
            try:
                result = work(_SqliteTx(self._db))
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            if _is_unavailable(exc):
                raise StorageUnavailable(f"{self.description}: {exc}") from exc
            raise
        return result

    # -- schema ----------------------------------------------------------------------------------

    def schema_version(self) -> int:
        if "schema_migrations" not in self._all_tables():
            return 0
        row = self._db.execute("SELECT MAX(version) AS v FROM schema_migrations").fetchone()
        return int(row["v"] or 0)

    def migrate(self, migrations: list[Migration]) -> list[int]:
        """Apply every migration newer than the database; returns the versions applied."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        applied = []
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            # executescript commits first, so the whole script (and its bookkeeping row) is one
            # explicit transaction written out here.
            name = migration.name.replace("'", "''")
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql_for(self.dialect)}\n;"
                f"INSERT INTO schema_migrations VALUES ({migration.version}, '{name}', datetime('now'));"
                "\nCOMMIT;"
            )
            try:
                self._db.executescript(script)
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            applied.append(migration.version)
        return applied

    def _all_tables(self) -> list[str]:
        rows = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        return [r["name"] for r in rows]

    def tables(self) -> list[str]:
        return [t for t in self._all_tables() if t != "schema_migrations"]

    def columns(self, table: str) -> list[str]:
        return [r["name"] for r in self._db.execute(f"PRAGMA table_info({table})").fetchall()]

    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()["journal_mode"])

    def close(self) -> None:
        self._db.close()


def describe_open_error(path: Path, exc: BaseException) -> tuple[str, str]:
    """Why the file could not be opened, and what to do, in words an operator can act on."""
    parent = path.parent
    message = str(exc).lower()
    blocking = next((p for p in [parent, *parent.parents] if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        return f"{blocking} is a file, not a directory", "check DATABASE_PATH"
    if path.is_dir():
        return "it is a directory; DATABASE_PATH must name a file", "check DATABASE_PATH"
    if "not a database" in message:
        return "the file is not an SQLite database", "check DATABASE_PATH"
    if "malformed" in message or "corrupt" in message:
        return f"the file is damaged: {exc}", "restore it from a backup or move it away"
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        return "read-only directory", "check DATABASE_PATH, or make the directory writable"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        why = "read-only file" if os.access(path, os.R_OK) else "permission denied"
        return why, "check DATABASE_PATH and the file's permissions"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower(), "check DATABASE_PATH"
    return str(exc), "check DATABASE_PATH"


def _is_unavailable(exc: sqlite3.OperationalError) -> bool:
    message = str(exc).lower()
    return any(word in message for word in _UNAVAILABLE)
