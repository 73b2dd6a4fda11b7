"""Moving a deployment from SQLite to PostgreSQL: `python -m bot migrate --copy-from sqlite:///…`.

Every table of the SQLite file is copied into the (migrated, empty) PostgreSQL database in one
transaction, parents before children, with the ids kept (links, outbox rows and hashes keep
pointing at the same rows; the salt in `learn_meta` comes along, so `/forget` still finds old
log rows). The tables are locked for the duration, the identity sequences are moved past the
copied ids, and the row count of every table is compared with the source before the commit:
any difference, a target that already holds rows, or schemas at different versions, and
nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.storage import LATEST_VERSION
from bot.storage.base import StorageError
from bot.storage.engine import Row, Tx
from bot.storage.postgres import connect
from bot.storage.sqlite import SqliteEngine


class CopyRefused(StorageError):
    """The copy was not made (the message says why); the target is unchanged."""


def _source_rows(source: Path) -> dict[str, tuple[list[str], list[Row]]]:
    if not source.is_file():
        raise CopyRefused(f"no SQLite database at {source}")
    engine = SqliteEngine(source, read_only=True)
    try:
        version = engine.schema_version()
        if version != LATEST_VERSION:
            raise CopyRefused(
                f"{source} is at schema version {version}, this code copies version {LATEST_VERSION}: "
                f"migrate it first (DATABASE_URL= DATABASE_PATH={source} python -m bot migrate)"
            )
        found: dict[str, tuple[list[str], list[Row]]] = {}
        for table in engine.tables():
            found[table] = (engine.columns(table), engine.run(_select_all(table), write=False))
        return found
    finally:
        engine.close()


def _select_all(table: str) -> Callable[[Tx], list[Row]]:
    return lambda tx: tx.all(f"SELECT * FROM {table}")


def _parents_first(tables: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Tables ordered so that every referenced table comes before the tables referencing it."""
    ordered: list[str] = []
    remaining = sorted(tables)
    while remaining:
        ready = [t for t in remaining if not any(c == t and p in remaining and p != t for c, p in edges)]
        if not ready:
            raise CopyRefused(f"circular foreign keys between {', '.join(remaining)}")
        ordered += ready
        remaining = [t for t in remaining if t not in ready]
    return ordered


def copy_sqlite_to_postgres(source: Path, url: str) -> dict[str, int]:
    """Copy every row; table → rows copied (verified). Raises `CopyRefused`."""
    rows = _source_rows(source)
    with connect(url) as conn, conn.transaction():
        target = [
            r["table_name"]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' AND table_name != 'schema_migrations'"
            ).fetchall()
        ]
        missing = sorted(set(rows) - set(target))
        if missing:
            raise CopyRefused(f"the PostgreSQL database has no table {', '.join(missing)}: run migrate first")
        conn.execute(f"LOCK TABLE {', '.join(target)} IN EXCLUSIVE MODE")
        filled = [t for t in sorted(target) if conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone()]
        if filled:
            raise CopyRefused(
                f"the PostgreSQL database is not empty ({', '.join(filled)} hold rows): "
                "copying would mix two deployments; use a new database"
            )
        edges = [
            (r["child"], r["parent"])
            for r in conn.execute(
                "SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent "
                "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
                "WHERE c.contype = 'f' AND n.nspname = current_schema()"
            ).fetchall()
        ]
        for table in _parents_first(list(rows), edges):
            columns, data = rows[table]
            names = ", ".join(columns)
            with conn.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row([row[c] for c in columns])
        for r in conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ).fetchall():
            table, column = r["table_name"], r["column_name"]
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"GREATEST(MAX({column}), 1), MAX({column}) IS NOT NULL) FROM {table}"
            )
        counts: dict[str, int] = {}
        for table, (_, data) in sorted(rows.items()):
            found_row = conn.execute(f"SELECT COUNT(*) AS n FROM {table}").fetchone()
            n = int(found_row["n"]) if found_row else -1
            if n != len(data):
                raise CopyRefused(f"{table}: {len(data)} rows in SQLite but {n} after copying; nothing written")
            counts[table] = n
    return counts
