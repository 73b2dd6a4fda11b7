"""Versioned schema migrations and the registry of tables that hold personal data.

How to add a table (or change one):

1. Append a `Migration` to `MIGRATIONS` with the next version number and its SQL. Never edit a
   migration that has shipped: databases in the field have already applied it. A test checks
   that versions run 1, 2, 3, … without gaps or duplicates.
2. If the table holds anything about a user, append `UserTable(table, user_column, label)` to
   `USER_TABLES`; `/forget` then deletes the user's rows from it and reports the count under
   `label`. Child tables go before their parents (deletion runs in list order).

Each migration runs in one transaction together with its row in `schema_migrations`, so a
failure leaves the database at the previous version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@dataclass(frozen=True)
class UserTable:
    table: str
    user_column: str
    label: str  # what the user is told was deleted, e.g. "律师咨询"
    hashed: bool = False  # the column holds the salted hash of the user id, not the id


MIGRATIONS: list[Migration] = [
    Migration(
        1,
        "enquiries, outbox, message links, intake drafts",
        """
        CREATE TABLE enquiries (
            id INTEGER PRIMARY KEY,
            ref TEXT NOT NULL UNIQUE,
            user_id INTEGER NOT NULL,
            chat_id INTEGER NOT NULL,
            user_name TEXT NOT NULL DEFAULT '',
            username TEXT NOT NULL DEFAULT '',
            lender TEXT NOT NULL DEFAULT '',
            overdue TEXT NOT NULL DEFAULT '',
            events TEXT NOT NULL DEFAULT '',
            amount TEXT NOT NULL DEFAULT '',
            question TEXT NOT NULL,
            photo_file_id TEXT NOT NULL DEFAULT '',
            last_answer TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open',
            handled_by TEXT NOT NULL DEFAULT '',
            firm_chat_id INTEGER,
            firm_message_id INTEGER,
            firm_thread_id INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            closed_at REAL
        );
        CREATE INDEX enquiries_by_user ON enquiries(user_id, created_at);
        CREATE INDEX enquiries_by_status ON enquiries(status, closed_at);

        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            enquiry_id INTEGER REFERENCES enquiries(id) ON DELETE CASCADE,
            user_id INTEGER,
            target TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            last_error TEXT NOT NULL DEFAULT '',
            sent_message_id INTEGER,
            created_at REAL NOT NULL,
            sent_at REAL
        );
        CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

        CREATE TABLE message_links (
            chat_id INTEGER NOT NULL,
            message_id INTEGER NOT NULL,
            enquiry_id INTEGER NOT NULL REFERENCES enquiries(id) ON DELETE CASCADE,
            user_id INTEGER NOT NULL,
            side TEXT NOT NULL,
            PRIMARY KEY (chat_id, message_id)
        );

        CREATE TABLE intake_drafts (
            user_id INTEGER PRIMARY KEY,
            chat_id INTEGER NOT NULL,
            step TEXT NOT NULL,
            data TEXT NOT NULL,
            updated_at REAL NOT NULL
        );
        """,
    ),
    Migration(
        2,
        "question log, answer counters, feedback (learning from users)",
        """
        -- One row per database: the salt of the user and message hashes, generated on first use
        -- unless LOG_SALT is set.
        CREATE TABLE learn_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );

        -- Questions that got no answer or a "did you mean"; text masked, asker as a salted hash.
        -- msg_ref: salted hash of the bot's "did you mean" message, to attach the user's choice.
        CREATE TABLE question_log (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            user_hash TEXT NOT NULL DEFAULT '',
            msg_ref TEXT NOT NULL DEFAULT '',
            chat_type TEXT NOT NULL DEFAULT '',
            decision TEXT NOT NULL,
            question TEXT NOT NULL,
            candidates TEXT NOT NULL DEFAULT '[]',
            chosen TEXT,
            chosen_at REAL
        );
        CREATE INDEX question_log_at ON question_log(at);
        CREATE INDEX question_log_user ON question_log(user_hash);
        CREATE INDEX question_log_msg ON question_log(msg_ref);

        -- Content-free counters for /stats: how many questions a day ended how (no text, no user).
        CREATE TABLE answer_counts (
            day TEXT NOT NULL,
            decision TEXT NOT NULL,
            entry TEXT NOT NULL DEFAULT '',
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, decision, entry)
        );

        -- 👍 / 👎 under answers: one row per answer message (a second tap replaces the first).
        CREATE TABLE answer_feedback (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            user_hash TEXT NOT NULL DEFAULT '',
            msg_ref TEXT NOT NULL UNIQUE,
            chat_type TEXT NOT NULL DEFAULT '',
            entry TEXT NOT NULL,
            vote INTEGER NOT NULL
        );
        CREATE INDEX answer_feedback_at ON answer_feedback(at);
        CREATE INDEX answer_feedback_user ON answer_feedback(user_hash);
        """,
    ),
]

USER_TABLES: list[UserTable] = [
    UserTable("message_links", "user_id", "消息对应记录"),
    UserTable("outbox", "user_id", "与律所往来的消息"),
    UserTable("intake_drafts", "user_id", "未提交的填写内容"),
    UserTable("enquiries", "user_id", "律师咨询"),
    UserTable("question_log", "user_hash", "未能回答的提问记录", hashed=True),
    UserTable("answer_feedback", "user_hash", "👍/👎 反馈", hashed=True),
]
