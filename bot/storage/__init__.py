"""Durable storage behind two small interfaces (`EnquiryStore`, `LearningLog`) composed by a
`Database`. Engines: SQLite (the default, a file: `DATABASE_PATH`) and PostgreSQL
(`DATABASE_URL=postgresql://…`), with the same SQL, behaviour and migrations.

Migrations run once per deploy (`python -m bot migrate`, the Procfile's release phase). The bot
itself only migrates a SQLite file (embedded, one process, nobody runs a release phase for
`make run`); on PostgreSQL it refuses to start on a schema older than its code.
"""

from __future__ import annotations

from pathlib import Path

from bot.config import POSTGRES_SCHEMES
from bot.storage.base import (
    Database,
    Draft,
    DraftChanged,
    DuplicateRef,
    Enquiry,
    EnquiryStore,
    InstanceRegistry,
    LearningLog,
    NewEnquiry,
    OutboxRow,
    SchemaOutdated,
    StorageError,
    StorageUnavailable,
)
from bot.storage.database import SqlDatabase
from bot.storage.engine import Engine
from bot.storage.migrations import MIGRATIONS, Migration

__all__ = [
    "LATEST_VERSION",
    "Database",
    "Draft",
    "DraftChanged",
    "DuplicateRef",
    "Enquiry",
    "EnquiryStore",
    "InstanceRegistry",
    "LearningLog",
    "NewEnquiry",
    "OutboxRow",
    "SchemaOutdated",
    "SqlDatabase",
    "StorageError",
    "StorageUnavailable",
    "is_postgres",
    "migrate_database",
    "open_database",
    "open_for_bot",
    "sqlite_path",
]

LATEST_VERSION = max(m.version for m in MIGRATIONS)


def is_postgres(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(POSTGRES_SCHEMES)


def sqlite_path(target: str | Path) -> Path:
    """A SQLite file from a path or a `sqlite:///relative` / `sqlite:////absolute` URL."""
    text = str(target)
    if text.startswith("sqlite://"):
        text = text.removeprefix("sqlite://")
        text = text[1:] if text.startswith("/") else text
    return Path(text)


def _engine(target: str | Path, *, read_only: bool) -> Engine:
    if is_postgres(target):
        from bot.storage.postgres import PostgresEngine  # psycopg only when PostgreSQL is used

        return PostgresEngine(str(target), read_only=read_only)
    from bot.storage.sqlite import SqliteEngine

    return SqliteEngine(sqlite_path(target), read_only=read_only)


def open_database(target: str | Path, *, read_only: bool = False) -> SqlDatabase:
    """Open a database as it is: nothing is created or migrated (but a new SQLite file is made).

    `read_only`: for tools that only read (`gaps`): SQLite opens the file read-only (it must
    exist), PostgreSQL sessions are read-only.
    """
    return SqlDatabase(_engine(target, read_only=read_only))


def migrate_database(target: str | Path, migrations: list[Migration] | None = None) -> tuple[int, list[int]]:
    """Apply the pending migrations; (version now, versions applied)."""
    database = open_database(target)
    try:
        applied = database.engine.migrate(MIGRATIONS if migrations is None else migrations)
        return database.schema_version(), applied
    finally:
        database.close()


def require_current(database: Database) -> None:
    """`SchemaOutdated` if the database is older than the code.

    A newer database is accepted: migrations only add, and during a deploy the release phase
    migrates before the old instances stop.
    """
    have = database.schema_version()
    if have < LATEST_VERSION:
        raise SchemaOutdated(have, LATEST_VERSION)


def open_for_bot(target: str | Path) -> SqlDatabase:
    """The bot's database: a SQLite file is created and migrated; PostgreSQL must be migrated
    already (`python -m bot migrate`). Raises `SchemaOutdated` or `StorageUnavailable`."""
    if not is_postgres(target):
        migrate_database(target)
    database = open_database(target)
    try:
        require_current(database)
    except BaseException:
        database.close()
        raise
    return database
