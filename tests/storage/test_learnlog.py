"""The learning log: salted hashes instead of ids, choices, feedback, counters, /forget, retention."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import SqliteStorage

NOW = 1_700_000_000.0  # 2023-11-14 UTC
DAY = 86400.0


@pytest.fixture
def db(tmp_path: Path):
    storage = SqliteStorage(tmp_path / "bot.sqlite3")
    yield storage
    storage.close()


def log(
    db: SqliteStorage, user: int, text: str, decision: str = "none", at: float = NOW, ref: str = ""
) -> int:
    return db.log_question(
        at,
        user_hash=db.user_hash(user),
        msg_ref=ref,
        chat_type="private",
        decision=decision,
        question=text,
        candidates=[("door-visit-lawful", 0.21)],
    )


def test_hashes_are_stable_per_database_and_differ_with_another_salt(tmp_path: Path):
    first = SqliteStorage(tmp_path / "a.sqlite3")
    h = first.user_hash(4242)
    assert len(h) == 32 and "4242" not in h and h != first.user_hash(4243)
    assert first.message_ref(4242, 7) != first.message_ref(4242, 8)
    first.close()
    reopened = SqliteStorage(tmp_path / "a.sqlite3")
    assert reopened.user_hash(4242) == h, "the generated salt is kept in the database"
    reopened.close()
    other = SqliteStorage(tmp_path / "b.sqlite3")
    assert other.user_hash(4242) != h, "each database generates its own salt"
    other.set_log_salt("from-the-environment")
    env_hash = other.user_hash(4242)
    other.close()
    again = SqliteStorage(tmp_path / "c.sqlite3")
    again.set_log_salt("from-the-environment")
    assert again.user_hash(4242) == env_hash, "LOG_SALT gives the same hashes everywhere"
    again.close()


def test_choice_attaches_to_its_clarify_question_once(db: SqliteStorage):
    ref = db.message_ref(4242, 99)
    log(db, 1, "征信花了多久能好", "clarify", ref=ref)
    assert db.record_choice(NOW + 5, ref, "credit-report-how-long")
    assert not db.record_choice(NOW + 6, ref, "door-visit-lawful"), "the first choice counts"
    assert not db.record_choice(NOW + 6, db.message_ref(4242, 100), "door-visit-lawful")
    (row,) = db.logged_questions()
    assert (row.text, row.decision, row.chosen) == ("征信花了多久能好", "clarify", "credit-report-how-long")
    assert row.user == db.user_hash(1)


def test_counters_and_feedback_totals(db: SqliteStorage):
    for _ in range(3):
        db.count_decision(NOW, "answer", "door-visit-lawful")
    db.count_decision(NOW, "none")
    db.count_decision(NOW - 2 * DAY, "clarify")
    assert db.decision_counts(NOW - DAY) == [
        ("2023-11-14", "answer", "door-visit-lawful", 3),
        ("2023-11-14", "none", "", 1),
    ]
    kw = {"chat_type": "private", "entry": "door-visit-lawful"}
    db.record_feedback(NOW, user_hash="a", msg_ref="m1", vote=1, **kw)
    db.record_feedback(NOW, user_hash="a", msg_ref="m1", vote=-1, **kw)  # same message: replaced
    db.record_feedback(NOW, user_hash="b", msg_ref="m2", vote=1, **kw)
    assert db.feedback_counts() == [("door-visit-lawful", 1, 1)]


def test_forget_deletes_the_users_log_and_feedback_rows_by_hash(db: SqliteStorage):
    log(db, 1, "我的狗丢了怎么办")
    log(db, 2, "股票怎么买")
    db.record_feedback(
        NOW, user_hash=db.user_hash(1), msg_ref="m1", chat_type="private", entry="door-visit-lawful", vote=1
    )
    db.count_decision(NOW, "none")
    deleted = db.forget_user(1)
    assert deleted["未能回答的提问记录"] == 1 and deleted["👍/👎 反馈"] == 1
    assert [r.text for r in db.logged_questions()] == ["股票怎么买"]
    assert db.feedback_counts() == []
    assert db.decision_counts() == [("2023-11-14", "none", "", 1)], "counters hold nobody's data"


def test_purge_removes_rows_older_than_the_cutoff(db: SqliteStorage):
    log(db, 1, "旧问题", at=NOW - 10 * DAY)
    log(db, 1, "新问题", at=NOW)
    db.count_decision(NOW - 10 * DAY, "none")
    db.count_decision(NOW, "none")
    db.record_feedback(
        NOW - 10 * DAY, user_hash="a", msg_ref="m1", chat_type="private", entry="x-y-z", vote=1
    )
    assert db.purge_learning(NOW - DAY) == 3
    assert [r.text for r in db.logged_questions()] == ["新问题"]
    assert db.decision_counts() == [("2023-11-14", "none", "", 1)] and db.feedback_counts() == []
