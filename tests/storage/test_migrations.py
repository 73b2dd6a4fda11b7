"""Migrations on both engines: versions, one transaction each, refusing an outdated schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import (
    LATEST_VERSION,
    SchemaOutdated,
    migrate_database,
    open_database,
    open_for_bot,
)
from bot.storage.migrations import MIGRATIONS, USER_TABLES, Migration, UserTable
from bot.storage.sqlite import SqliteEngine

NOW = 1_700_000_000.0


def test_migration_versions_run_one_two_three_without_gaps():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_every_migration_is_written_for_both_engines():
    for migration in MIGRATIONS:
        assert migration.sql.strip() and migration.postgres.strip(), migration.version
        assert "REAL" not in migration.postgres, "PostgreSQL's REAL is 4 bytes: Unix times need DOUBLE PRECISION"


def test_both_engines_end_with_the_same_tables_and_columns(new_target, tmp_path: Path):
    migrate_database(tmp_path / "reference.sqlite3")
    reference = SqliteEngine(tmp_path / "reference.sqlite3")
    target = new_target("bot")
    migrate_database(target)
    database = open_database(target)
    assert database.engine.tables() == reference.tables()
    for table in reference.tables():
        assert database.engine.columns(table) == reference.columns(table), table
    database.close()
    reference.close()


def test_every_user_table_exists_with_its_user_column(new_target):
    target = new_target("bot")
    migrate_database(target)
    database = open_database(target)
    for table in USER_TABLES:
        assert table.user_column in database.engine.columns(table.table), table
    database.close()


def test_migrating_again_applies_nothing(new_target):
    target = new_target("bot")
    assert migrate_database(target) == (LATEST_VERSION, list(range(1, LATEST_VERSION + 1)))
    assert migrate_database(target) == (LATEST_VERSION, [])


def test_a_new_migration_is_one_list_entry_and_a_failed_one_changes_nothing(new_target):
    target = new_target("bot")
    migrate_database(target)
    extra = [
        *MIGRATIONS,
        Migration(
            LATEST_VERSION + 1,
            "votes",
            "CREATE TABLE votes (user_id INTEGER, vote INTEGER);",
            postgres="CREATE TABLE votes (user_id BIGINT, vote INTEGER);",
        ),
    ]
    assert migrate_database(target, extra) == (LATEST_VERSION + 1, [LATEST_VERSION + 1])
    broken = [
        *extra,
        Migration(
            LATEST_VERSION + 2,
            "broken",
            "CREATE TABLE t (x INTEGER); SELECT * FROM nowhere;",
            postgres="CREATE TABLE t (x INTEGER); SELECT * FROM nowhere;",
        ),
    ]
    with pytest.raises(Exception, match="nowhere"):
        migrate_database(target, broken)
    database = open_database(target)
    assert database.schema_version() == LATEST_VERSION + 1
    assert "t" not in database.engine.tables() and "votes" in database.engine.tables()
    database.enquiries.enqueue("firm", "text", {"text": "still usable"}, NOW)
    database.close()


def test_the_bot_refuses_a_database_older_than_its_code(pg_url: str):
    migrate_database(pg_url, MIGRATIONS[:-1])
    with pytest.raises(SchemaOutdated, match=rf"version {LATEST_VERSION - 1}, this code needs {LATEST_VERSION}"):
        open_for_bot(pg_url)
    migrate_database(pg_url)
    open_for_bot(pg_url).close()


def test_the_bot_migrates_a_sqlite_file_itself(tmp_path: Path):
    path = tmp_path / "sub" / "bot.sqlite3"
    migrate_database(path, MIGRATIONS[:1])
    database = open_for_bot(path)
    assert database.schema_version() == LATEST_VERSION
    assert isinstance(database.engine, SqliteEngine) and database.engine.journal_mode() == "wal"
    database.close()


def test_future_tables_register_for_forget(new_target, monkeypatch: pytest.MonkeyPatch):
    target = new_target("bot")
    extra = [
        *MIGRATIONS,
        Migration(LATEST_VERSION + 1, "votes", "CREATE TABLE votes (user_id INTEGER);", postgres="CREATE TABLE votes (user_id BIGINT);"),
    ]
    migrate_database(target, extra)
    monkeypatch.setattr("bot.storage.database.USER_TABLES", [*USER_TABLES, UserTable("votes", "user_id", "评价")])
    database = open_database(target)
    database.engine.run(lambda tx: tx.run("INSERT INTO votes VALUES (7), (7), (8)"))
    assert database.forget_user(7)["评价"] == 2
    database.close()


def test_a_read_only_sqlite_database_is_neither_created_nor_migrated(tmp_path: Path):
    path = tmp_path / "old.sqlite3"
    migrate_database(path, MIGRATIONS[:1])
    database = open_database(path, read_only=True)
    assert database.schema_version() == 1
    database.close()
    assert SqliteEngine(path).schema_version() == 1
    with pytest.raises(Exception, match="unable to open"):
        open_database(tmp_path / "missing.sqlite3", read_only=True)
    assert not (tmp_path / "missing.sqlite3").exists()
