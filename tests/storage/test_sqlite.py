"""SQLite storage: migrations, WAL, atomic outbox transitions, /forget and the retention purge."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import DuplicateRef, NewEnquiry, SqliteStorage
from bot.storage.migrations import MIGRATIONS, USER_TABLES, Migration, UserTable

NOW = 1_700_000_000.0


def new(user_id: int = 1, question: str = "催收上门怎么办", photo: str = "") -> NewEnquiry:
    return NewEnquiry(
        user_id, user_id, "张三", "zs", question, lender="网贷", events=("说要上门",), photo_file_id=photo
    )


@pytest.fixture
def db(tmp_path: Path):
    storage = SqliteStorage(tmp_path / "sub" / "bot.sqlite3")
    yield storage
    storage.close()


def test_migration_versions_run_one_two_three_without_gaps():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))


def test_created_in_wal_mode_and_reopening_applies_nothing_twice(tmp_path: Path):
    path = tmp_path / "sub" / "bot.sqlite3"
    first = SqliteStorage(path)
    assert first.journal_mode() == "wal"
    assert first.schema_version() == len(MIGRATIONS)
    first.close()
    again = SqliteStorage(path)
    assert again.migrate(MIGRATIONS) == []
    again.close()


def test_a_new_migration_is_one_list_entry_and_a_failed_one_changes_nothing(tmp_path: Path):
    path = tmp_path / "bot.sqlite3"
    SqliteStorage(path).close()
    extra = [
        *MIGRATIONS,
        Migration(len(MIGRATIONS) + 1, "feedback", "CREATE TABLE feedback (user_id INTEGER, vote INTEGER);"),
    ]
    storage = SqliteStorage(path, migrations=extra)
    assert storage.schema_version() == len(extra)
    broken = [
        *extra,
        Migration(len(extra) + 1, "broken", "CREATE TABLE t (x INTEGER); SELECT * FROM nowhere;"),
    ]
    with pytest.raises(sqlite3.OperationalError):
        storage.migrate(broken)
    assert storage.schema_version() == len(extra)
    storage.enqueue("firm", "text", {"text": "still usable"}, NOW)
    storage.close()
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 't'").fetchone() is None
    raw.close()


def test_every_user_table_exists_with_its_user_column(db: SqliteStorage):
    for table in USER_TABLES:
        columns = [r[1] for r in db._db.execute(f"PRAGMA table_info({table.table})")]
        assert table.user_column in columns, table


def test_enquiry_and_its_delivery_are_written_together(db: SqliteStorage):
    enquiry = db.create_enquiry(new(photo="file-1"), "ABCDEF", NOW)
    assert enquiry.ref == "ABCDEF" and enquiry.status == "open" and enquiry.delivery == "pending"
    assert [(r.kind, r.state) for r in db.rows_for(enquiry.id)] == [("card", "pending"), ("photo", "pending")]
    with pytest.raises(DuplicateRef):
        db.create_enquiry(new(), "ABCDEF", NOW)
    assert db.count_enquiries_since(1, NOW - 10) == 1 and db.count_enquiries_since(1, NOW + 1) == 0


def test_claim_is_exclusive_and_sent_links_the_message(db: SqliteStorage):
    enquiry = db.create_enquiry(new(), "ABCDEF", NOW)
    card = db.due(NOW)[0]
    assert db.claim(card.id) and not db.claim(card.id)
    assert db.due(NOW) == []
    db.mark_sent(card.id, -100, 55, NOW)
    stored = db.enquiry(enquiry.id)
    assert stored is not None and stored.firm_message_id == 55 and stored.delivery == "sent"
    assert db.linked_enquiry(-100, 55, "firm") == stored
    assert db.linked_enquiry(-100, 55, "user") is None


def test_retry_waits_and_interrupted_rows_become_uncertain(db: SqliteStorage):
    db.create_enquiry(new(), "ABCDEF", NOW)
    row = db.due(NOW)[0]
    db.claim(row.id)
    db.mark_retry(row.id, NOW + 60, "network")
    assert db.due(NOW) == [] and db.due(NOW + 61)[0].attempts == 1
    db.claim(row.id)
    assert [r.id for r in db.recover_interrupted()] == [row.id]
    assert db.due(NOW + 1000) == []
    db.requeue(row.id, NOW)
    assert db.due(NOW)[0].id == row.id


def test_forget_deletes_from_every_registered_table(db: SqliteStorage):
    mine = db.create_enquiry(new(1), "AAAAAA", NOW)
    other = db.create_enquiry(new(2), "BBBBBB", NOW)
    db.link(1, 10, mine, "user")
    db.enqueue("user", "text", {"text": "律所回复"}, NOW, mine)
    db.save_draft(1, 1, "amount", {"lender": "网贷"}, NOW)
    deleted = db.forget_user(1)
    assert deleted["律师咨询"] == 1 and deleted["未提交的填写内容"] == 1 and deleted["与律所往来的消息"] == 2
    for table in USER_TABLES:
        count = db._db.execute(
            f"SELECT COUNT(*) FROM {table.table} WHERE {table.user_column} = 1"
        ).fetchone()[0]
        assert count == 0, table
    assert db.enquiry(other.id) is not None
    assert db.forget_user(1) == {t.label: 0 for t in USER_TABLES}


def test_future_tables_register_for_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    extra = [
        *MIGRATIONS,
        Migration(len(MIGRATIONS) + 1, "feedback", "CREATE TABLE feedback (user_id INTEGER);"),
    ]
    monkeypatch.setattr(
        "bot.storage.sqlite.USER_TABLES", [*USER_TABLES, UserTable("feedback", "user_id", "评价")]
    )
    storage = SqliteStorage(tmp_path / "bot.sqlite3", migrations=extra)
    storage._db.execute("INSERT INTO feedback VALUES (7), (7), (8)")
    assert storage.forget_user(7)["评价"] == 2
    storage.close()


def test_purge_removes_only_enquiries_closed_before_the_cutoff(db: SqliteStorage):
    old = db.create_enquiry(new(1), "AAAAAA", NOW)
    recent = db.create_enquiry(new(2), "BBBBBB", NOW)
    still_open = db.create_enquiry(new(3), "CCCCCC", NOW)
    db.link(1, 10, old, "user")
    db.set_status(old.id, "closed", "律师", NOW)
    db.set_status(recent.id, "closed", "律师", NOW + 100)
    assert db.purge_closed(NOW + 50) == 1
    assert (
        db.enquiry(old.id) is None and db.rows_for(old.id) == [] and db.linked_enquiry(1, 10, "user") is None
    )
    assert db.enquiry(recent.id) is not None and db.enquiry(still_open.id) is not None


def test_drafts_expire(db: SqliteStorage):
    db.save_draft(1, 1, "consent", {}, NOW)
    db.save_draft(2, 2, "consent", {}, NOW + 100)
    assert [d.user_id for d in db.expired_drafts(NOW + 50)] == [1]
    assert db.delete_draft(1) and not db.delete_draft(1)


def test_idle_enquiries_are_closed_so_retention_applies(db: SqliteStorage):
    idle = db.create_enquiry(new(1), "AAAAAA", NOW)
    active = db.create_enquiry(new(2), "BBBBBB", NOW)
    db.enqueue("firm", "text", {"text": "补充"}, NOW + 100, active)
    assert db.close_idle(NOW + 50, NOW + 200) == 1
    closed = db.enquiry(idle.id)
    assert closed is not None and closed.status == "closed" and closed.closed_at == NOW + 200
    assert db.enquiry(active.id).status == "open"
