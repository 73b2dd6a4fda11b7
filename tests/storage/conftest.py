"""One parametrised fixture: every storage test runs against SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.storage import SqlDatabase, migrate_database, open_database

NewTarget = Callable[[str], "str | Path"]


@pytest.fixture(params=["sqlite", "postgres"])
def new_target(request: pytest.FixtureRequest, tmp_path: Path) -> NewTarget:
    """name → a new, empty database of the engine under test (a file, or a fresh schema)."""
    if request.param == "sqlite":
        return lambda name: tmp_path / f"{name}.sqlite3"
    schemas = request.getfixturevalue("pg_schemas")
    return lambda name: schemas.new()


@pytest.fixture
def target(new_target: NewTarget) -> str | Path:
    return new_target("bot")


@pytest.fixture
def db(target: str | Path) -> Iterator[SqlDatabase]:
    migrate_database(target)
    database = open_database(target)
    yield database
    database.close()
