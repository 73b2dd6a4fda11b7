"""What the stores need from an engine: run a unit of work in one transaction.

The stores (bot/storage/sql_enquiries.py, sql_learning.py) are written once, in the SQL both
SQLite and PostgreSQL understand (`?` placeholders, `ON CONFLICT … DO UPDATE`, `RETURNING`),
as functions of a `Tx`. An engine runs such a function in a transaction and may run it again
on a fresh connection when the first one was lost before the commit: so a unit of work must
only touch the database through its `Tx` (no sends, no counters outside it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, TypeVar

from bot.storage.migrations import Migration

T = TypeVar("T")
Row = dict[str, Any]
Params = Sequence[Any]
Dialect = Literal["sqlite", "postgres"]


class Tx(Protocol):
    """One open transaction. Rows are dicts keyed by column name."""

    def one(self, sql: str, params: Params = ()) -> Row | None: ...
    def all(self, sql: str, params: Params = ()) -> list[Row]: ...
    def run(self, sql: str, params: Params = ()) -> int:
        """Execute; the number of rows changed."""
        ...


class Engine(Protocol):
    dialect: Dialect
    description: str  # where the database is, without secrets, for log lines

    def run(self, work: Callable[[Tx], T], *, write: bool = True) -> T:
        """`work` in one transaction; committed if it returns, rolled back if it raises."""
        ...

    def schema_version(self) -> int: ...
    def migrate(self, migrations: list[Migration]) -> list[int]: ...
    def tables(self) -> list[str]:
        """The application's tables (not `schema_migrations`), sorted."""
        ...

    def columns(self, table: str) -> list[str]: ...
    def close(self) -> None: ...
