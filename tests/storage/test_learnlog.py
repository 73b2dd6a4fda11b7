"""The learning log: salted hashes instead of ids, choices, feedback, counters, /forget, retention."""

from __future__ import annotations

import pytest

from bot.storage import SqlDatabase, migrate_database, open_database
from bot.storage.sql_learning import SqlLearningLog

NOW = 1_700_000_000.0  # 2023-11-14 UTC
DAY = 86400.0


@pytest.fixture
def database(db: SqlDatabase) -> SqlDatabase:
    return db


def opened(target) -> SqlDatabase:
    migrate_database(target)
    return open_database(target)


def log(
    db: SqlLearningLog, user: int, text: str, decision: str = "none", at: float = NOW, ref: str = ""
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


def test_hashes_are_stable_per_database_and_differ_with_another_salt(new_target):
    a, b, c = new_target("a"), new_target("b"), new_target("c")
    first = opened(a)
    h = first.learning.user_hash(4242)
    assert len(h) == 32 and "4242" not in h and h != first.learning.user_hash(4243)
    assert first.learning.message_ref(4242, 7) != first.learning.message_ref(4242, 8)
    second_instance = open_database(a)
    assert second_instance.learning.user_hash(4242) == h, "instances sharing a database share its salt"
    second_instance.close()
    first.close()
    reopened = open_database(a)
    assert reopened.learning.user_hash(4242) == h, "the generated salt is kept in the database"
    reopened.close()
    other = opened(b)
    assert other.learning.user_hash(4242) != h, "each database generates its own salt"
    other.learning.set_log_salt("from-the-environment")
    env_hash = other.learning.user_hash(4242)
    other.close()
    again = opened(c)
    again.learning.set_log_salt("from-the-environment")
    assert again.learning.user_hash(4242) == env_hash, "LOG_SALT gives the same hashes everywhere"
    again.close()


def test_choice_attaches_to_its_clarify_question_once(database: SqlDatabase):
    db = database.learning
    ref = db.message_ref(4242, 99)
    log(db, 1, "征信花了多久能好", "clarify", ref=ref)
    assert db.record_choice(NOW + 5, ref, "credit-report-how-long")
    assert not db.record_choice(NOW + 6, ref, "door-visit-lawful"), "the first choice counts"
    assert not db.record_choice(NOW + 6, db.message_ref(4242, 100), "door-visit-lawful")
    (row,) = db.logged_questions()
    assert (row.text, row.decision, row.chosen) == ("征信花了多久能好", "clarify", "credit-report-how-long")
    assert row.user == db.user_hash(1)


def test_counters_and_feedback_totals(database: SqlDatabase):
    db = database.learning
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


def test_forget_deletes_the_users_log_and_feedback_rows_by_hash(database: SqlDatabase):
    db = database.learning
    log(db, 1, "我的狗丢了怎么办")
    log(db, 2, "股票怎么买")
    db.record_feedback(
        NOW, user_hash=db.user_hash(1), msg_ref="m1", chat_type="private", entry="door-visit-lawful", vote=1
    )
    db.count_decision(NOW, "none")
    deleted = database.forget_user(1)
    assert deleted["未能回答的提问记录"] == 1 and deleted["👍/👎 反馈"] == 1
    assert [r.text for r in db.logged_questions()] == ["股票怎么买"]
    assert db.feedback_counts() == []
    assert db.decision_counts() == [("2023-11-14", "none", "", 1)], "counters hold nobody's data"


def test_purge_removes_rows_older_than_the_cutoff(database: SqlDatabase):
    db = database.learning
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


def test_answered_questions_hold_no_ids_and_go_with_forget_and_purge(database: SqlDatabase):
    db = database.learning
    key = "('answer', 'door-visit-lawful', ())"
    db.remember_answered(
        NOW - 10 * DAY, chat_id=1, message_id=10, user_id=1, key=key, answer_message_id=11, parts=1
    )
    db.remember_answered(NOW, chat_id=1, message_id=12, user_id=1, key=key, answer_message_id=13, parts=2)
    db.remember_answered(NOW, chat_id=2, message_id=12, user_id=2, key=key, answer_message_id=14, parts=1)
    known = db.answered(1, 12)
    assert known is not None and (known.answer_message_id, known.parts) == (13, 2)
    assert known.answer_ref == db.answer_ref(key) != db.answer_ref("('none', '', ())")
    assert db.answered(1, 99) is None
    # Only hashes: neither the chat / message ids nor the answer's entry id appear in clear.
    rows = database.engine.run(lambda tx: tx.all("SELECT * FROM answered_questions"), write=False)
    stored = " ".join(
        str(v) for row in rows for k, v in row.items() if k not in ("answer_message_id", "parts", "at")
    )
    assert "door-visit" not in stored and " 1 " not in f" {stored} "
    # A newer answer to the same question replaces the old one.
    db.remember_answered(NOW, chat_id=1, message_id=12, user_id=1, key="other", answer_message_id=15, parts=1)
    again = db.answered(1, 12)
    assert again is not None and again.answer_message_id == 15 and again.answer_ref == db.answer_ref("other")
    assert db.purge_learning(NOW - DAY) == 1 and db.answered(1, 10) is None
    assert database.forget_user(1)["已回答提问的对应记录"] == 1
    assert db.answered(1, 12) is None and db.answered(2, 12) is not None
