"""The PostgreSQL engine (`DATABASE_URL=postgresql://…`): psycopg 3 and its connection pool.

Synchronous on purpose: the stores are called from the event loop's thread exactly like the
SQLite engine, so both sit behind the same interfaces and the shell does not care which one it
has. A round trip to a database on the same network is well under a millisecond; the price is
that a slow database stalls the loop, which the timeouts below bound.

Failure behaviour:

* a connection lost before the commit (server restart, idle connection cut by a proxy,
  terminated backend) is retried on a fresh connection, and so is a serialisation failure or
  deadlock; PostgreSQL rolled the first try back, so nothing is applied twice. A connection lost
  *during* the commit is not retried (the commit may have happened): `StorageUnavailable`.
* when the database cannot be reached, every call raises `StorageUnavailable`; for the next
  `BREAKER_SECONDS` calls fail at once instead of each waiting `POOL_WAIT` seconds, so the bot
  keeps answering questions while the pool reconnects in the background.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import errors
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.config import redact_url
from bot.storage.base import StorageUnavailable
from bot.storage.engine import Dialect, Params, Row, T, Tx
from bot.storage.migrations import Migration

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds for one connection attempt (libpq connect_timeout)
POOL_WAIT = 2.0  # seconds a call waits for a connection before StorageUnavailable
BREAKER_SECONDS = 5.0  # after StorageUnavailable, fail at once for this long
ATTEMPTS = 3  # tries of one unit of work when its connection was lost
POOL_SIZE = 4  # calls come from one thread; spare connections cover jobs and reconnects
SESSION_SETTINGS = (
    "SET statement_timeout = '10s'",  # no statement of ours takes that long
    "SET lock_timeout = '5s'",
    "SET idle_in_transaction_session_timeout = '30s'",
)
_MIGRATE_LOCK = 0x6375_6973  # pg_advisory_xact_lock key: one `migrate` at a time per database


@functools.lru_cache(maxsize=256)
def _pg(sql: str) -> str:
    """The stores' `?` placeholders in psycopg's format (no `%` is meant literally)."""
    return sql.replace("%", "%%").replace("?", "%s")


class _PgTx:
    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self._conn = conn

    def one(self, sql: str, params: Params = ()) -> Row | None:
        return self._conn.execute(_pg(sql), tuple(params)).fetchone()

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._conn.execute(_pg(sql), tuple(params)).fetchall()

    def run(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(_pg(sql), tuple(params)).rowcount


def connect(url: str, **kwargs: Any) -> psycopg.Connection[Row]:
    """One direct connection (migrations, copying, checks); `StorageUnavailable` if refused."""
    try:
        return psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, row_factory=dict_row, **kwargs)
    except psycopg.OperationalError as exc:
        raise StorageUnavailable(f"cannot connect to PostgreSQL {redact_url(url)}: {_reason(exc)}") from exc


class PostgresEngine:
    dialect: Dialect = "postgres"

    def __init__(self, url: str, *, read_only: bool = False, pool_wait: float = POOL_WAIT) -> None:
        self.url = url
        self.description = f"PostgreSQL {redact_url(url)}"
        self.read_only = read_only
        self._down_until = 0.0
        self._down_reason = ""
        connect(url).close()  # fail now, with the server's own reason, if it cannot be reached
        self._pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
            url,
            kwargs={"row_factory": dict_row, "connect_timeout": CONNECT_TIMEOUT},
            min_size=1,
            max_size=POOL_SIZE,
            timeout=pool_wait,
            configure=self._configure,
            name="bot",
            open=False,
        )
        self._pool.open(wait=False)

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        for statement in SESSION_SETTINGS:
            conn.execute(statement)
        if self.read_only:
            conn.execute("SET default_transaction_read_only = on")
        conn.commit()

    # -- units of work -----------------------------------------------------------------------------

    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        if time.monotonic() < self._down_until:
            raise StorageUnavailable(self._down_reason)
        for attempt in range(1, ATTEMPTS + 1):
            committing = False
            broken = False
            try:
                with self._pool.connection() as conn:
                    try:
                        result = work(_PgTx(conn))
                        committing = write
                        conn.commit()
                    finally:
                        broken = conn.broken
                return result
            except PoolTimeout as exc:
                raise self._down(f"no connection to {self.description} within {self._pool.timeout:g} s") from exc
            except psycopg.OperationalError as exc:
                retry = not committing and (broken or isinstance(exc, errors.TransactionRollback))
                if retry and attempt < ATTEMPTS:
                    log.warning(
                        "database: %s (%s); retrying on a fresh connection",
                        "connection lost" if broken else "transaction rolled back",
                        type(exc).__name__,
                    )
                    if broken:
                        self._pool.check()  # drop every other dead idle connection too
                    continue
                what = "connection lost while committing" if committing and broken else _reason(exc)
                raise self._down(f"{self.description}: {what}", breaker=broken) from exc
        raise AssertionError("unreachable")

    def _down(self, reason: str, *, breaker: bool = True) -> StorageUnavailable:
        if breaker:
            self._down_until = time.monotonic() + BREAKER_SECONDS
            self._down_reason = f"{reason} (not retrying for {BREAKER_SECONDS:g} s)"
        # DEBUG: the caller decides what an outage is worth (the bot logs one line per outage,
        # bot/tg/handoff.py; the CLI prints the reason); one warning per failed call would flood.
        log.debug("database unavailable: %s", reason)
        return StorageUnavailable(reason)

    # -- schema ----------------------------------------------------------------------------------

    def schema_version(self) -> int:
        def work(tx: Tx) -> int:
            exists = tx.one("SELECT to_regclass('schema_migrations') IS NOT NULL AS present")
            if not exists or not exists["present"]:
                return 0
            row = tx.one("SELECT MAX(version) AS v FROM schema_migrations")
            return int(row["v"] or 0) if row else 0

        return self.run(work, write=False)

    def migrate(self, migrations: list[Migration]) -> list[int]:
        """Apply every migration newer than the database, each in one transaction; two `migrate`
        runs at once (a release phase retried) wait for each other instead of colliding."""
        applied = []
        with connect(self.url) as conn:
            for migration in sorted(migrations, key=lambda m: m.version):
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                    )
                    row = conn.execute("SELECT MAX(version) AS v FROM schema_migrations").fetchone()
                    if migration.version <= int((row or {}).get("v") or 0):
                        continue
                    conn.execute(migration.sql_for(self.dialect).encode())  # several statements, no params
                    conn.execute(
                        "INSERT INTO schema_migrations VALUES "
                        "(%s, %s, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))",
                        (migration.version, migration.name),
                    )
                applied.append(migration.version)
        return applied

    def tables(self) -> list[str]:
        rows = self.run(
            lambda tx: tx.all(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' AND table_name != 'schema_migrations' ORDER BY table_name"
            ),
            write=False,
        )
        return [r["table_name"] for r in rows]

    def columns(self, table: str) -> list[str]:
        rows = self.run(
            lambda tx: tx.all(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ? ORDER BY ordinal_position",
                (table,),
            ),
            write=False,
        )
        return [r["column_name"] for r in rows]

    def close(self) -> None:
        self._pool.close()


def _reason(exc: psycopg.Error) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
