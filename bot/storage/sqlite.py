"""SQLite storage (the default): one connection, WAL mode, migrations applied on open.

Calls are short and run on the event loop's thread; the connection is opened in `post_init`
and closed in `post_shutdown`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.storage.base import (
    Draft,
    DuplicateRef,
    Enquiry,
    EnquiryStatus,
    NewEnquiry,
    OutboxRow,
    OutboxState,
    Side,
    Target,
)
from bot.storage.learnlog import LearnLog
from bot.storage.migrations import MIGRATIONS, USER_TABLES, Migration


class SqliteStorage(LearnLog):
    def __init__(self, path: Path | str, migrations: list[Migration] | None = None) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE.
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=5000")
        self.migrate(MIGRATIONS if migrations is None else migrations)

    # -- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    def journal_mode(self) -> str:
        return str(self._db.execute("PRAGMA journal_mode").fetchone()[0])

    def schema_version(self) -> int:
        row = self._db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, migrations: list[Migration]) -> list[int]:
        """Apply every migration newer than the database; returns the versions applied."""
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        current = self.schema_version()
        applied = []
        for migration in sorted(migrations, key=lambda m: m.version):
            if migration.version <= current:
                continue
            # executescript commits first, so the whole script (and its bookkeeping row) is one
            # explicit transaction written out here.
            name = migration.name.replace("'", "''")
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n;"
                f"INSERT INTO schema_migrations VALUES ({migration.version}, '{name}', datetime('now'));"
                "\nCOMMIT;"
            )
            try:
                self._db.executescript(script)
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            applied.append(migration.version)
        return applied

    # -- drafts ----------------------------------------------------------------------------------

    def get_draft(self, user_id: int) -> Draft | None:
        row = self._db.execute("SELECT * FROM intake_drafts WHERE user_id = ?", (user_id,)).fetchone()
        return _draft(row) if row else None

    def save_draft(self, user_id: int, chat_id: int, step: str, data: dict[str, Any], now: float) -> None:
        self._db.execute(
            "INSERT INTO intake_drafts (user_id, chat_id, step, data, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(user_id) DO UPDATE SET chat_id = excluded.chat_id, step = excluded.step, "
            "data = excluded.data, updated_at = excluded.updated_at",
            (user_id, chat_id, step, json.dumps(data, ensure_ascii=False), now),
        )

    def delete_draft(self, user_id: int) -> bool:
        return self._db.execute("DELETE FROM intake_drafts WHERE user_id = ?", (user_id,)).rowcount > 0

    def expired_drafts(self, before: float) -> list[Draft]:
        rows = self._db.execute("SELECT * FROM intake_drafts WHERE updated_at < ?", (before,)).fetchall()
        return [_draft(r) for r in rows]

    # -- enquiries -------------------------------------------------------------------------------

    def create_enquiry(self, new: NewEnquiry, ref: str, now: float) -> Enquiry:
        if self._db.execute("SELECT 1 FROM enquiries WHERE ref = ?", (ref,)).fetchone():
            raise DuplicateRef(ref)
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO enquiries (ref, user_id, chat_id, user_name, username, lender, overdue, events, "
                "amount, question, photo_file_id, last_answer, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    ref,
                    new.user_id,
                    new.chat_id,
                    new.user_name,
                    new.username,
                    new.lender,
                    new.overdue,
                    ",".join(new.events),
                    new.amount,
                    new.question,
                    new.photo_file_id,
                    new.last_answer,
                    now,
                    now,
                ),
            )
            enquiry_id = int(cur.lastrowid or 0)
            self._insert_outbox(db, "firm", "card", {}, now, enquiry_id, new.user_id)
            if new.photo_file_id:
                payload = {"file_id": new.photo_file_id}
                self._insert_outbox(db, "firm", "photo", payload, now, enquiry_id, new.user_id)
        enquiry = self.enquiry(enquiry_id)
        assert enquiry is not None
        return enquiry

    _ENQUIRY_SELECT = (
        "SELECT e.*, (SELECT o.state FROM outbox o WHERE o.enquiry_id = e.id AND o.kind = 'card' "
        "ORDER BY o.id DESC LIMIT 1) AS delivery FROM enquiries e"
    )

    def enquiry(self, enquiry_id: int) -> Enquiry | None:
        row = self._db.execute(f"{self._ENQUIRY_SELECT} WHERE e.id = ?", (enquiry_id,)).fetchone()
        return _enquiry(row) if row else None

    def enquiry_by_ref(self, ref: str) -> Enquiry | None:
        row = self._db.execute(f"{self._ENQUIRY_SELECT} WHERE e.ref = ?", (ref.upper(),)).fetchone()
        return _enquiry(row) if row else None

    def enquiries_of(self, user_id: int) -> list[Enquiry]:
        rows = self._db.execute(
            f"{self._ENQUIRY_SELECT} WHERE e.user_id = ? ORDER BY e.created_at DESC, e.id DESC", (user_id,)
        ).fetchall()
        return [_enquiry(r) for r in rows]

    def count_enquiries_since(self, user_id: int, since: float) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM enquiries WHERE user_id = ? AND created_at >= ?", (user_id, since)
        ).fetchone()
        return int(row[0])

    def set_status(self, enquiry_id: int, status: EnquiryStatus, by: str, now: float) -> Enquiry | None:
        closed_at = now if status == "closed" else None
        self._db.execute(
            "UPDATE enquiries SET status = ?, handled_by = CASE WHEN ? = '' THEN handled_by ELSE ? END, "
            "updated_at = ?, closed_at = ? WHERE id = ?",
            (status, by, by, now, closed_at, enquiry_id),
        )
        return self.enquiry(enquiry_id)

    def set_thread(self, enquiry_id: int, firm_chat_id: int, thread_id: int | None) -> None:
        self._db.execute(
            "UPDATE enquiries SET firm_chat_id = ?, firm_thread_id = ? WHERE id = ?",
            (firm_chat_id, thread_id, enquiry_id),
        )

    # -- links -----------------------------------------------------------------------------------

    def link(self, chat_id: int, message_id: int, enquiry: Enquiry, side: Side) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO message_links VALUES (?, ?, ?, ?, ?)",
            (chat_id, message_id, enquiry.id, enquiry.user_id, side),
        )

    def linked_enquiry(self, chat_id: int, message_id: int, side: Side) -> Enquiry | None:
        row = self._db.execute(
            "SELECT enquiry_id FROM message_links WHERE chat_id = ? AND message_id = ? AND side = ?",
            (chat_id, message_id, side),
        ).fetchone()
        return self.enquiry(int(row[0])) if row else None

    # -- outbox ----------------------------------------------------------------------------------

    @staticmethod
    def _insert_outbox(
        db: sqlite3.Connection,
        target: Target,
        kind: str,
        payload: dict[str, Any],
        now: float,
        enquiry_id: int | None,
        user_id: int | None,
    ) -> int:
        cur = db.execute(
            "INSERT INTO outbox (enquiry_id, user_id, target, kind, payload, next_attempt_at, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (enquiry_id, user_id, target, kind, json.dumps(payload, ensure_ascii=False), now, now),
        )
        return int(cur.lastrowid or 0)

    def enqueue(
        self,
        target: Target,
        kind: str,
        payload: dict[str, Any],
        now: float,
        enquiry: Enquiry | None = None,
    ) -> int:
        if enquiry is not None:  # a message about an enquiry is activity on it
            self._db.execute("UPDATE enquiries SET updated_at = ? WHERE id = ?", (now, enquiry.id))
        return self._insert_outbox(
            self._db,
            target,
            kind,
            payload,
            now,
            enquiry.id if enquiry else None,
            enquiry.user_id if enquiry else None,
        )

    def due(self, now: float, limit: int = 20) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_outbox(r) for r in rows]

    def claim(self, row_id: int) -> bool:
        cur = self._db.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ? AND state = 'pending'",
            (row_id,),
        )
        return cur.rowcount == 1

    def mark_sent(self, row_id: int, chat_id: int, message_id: int, now: float) -> None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM outbox WHERE id = ?", (row_id,)).fetchone()
            if row is None:  # deleted by /forget while it was being sent
                return
            db.execute(
                "UPDATE outbox SET state = 'sent', sent_message_id = ?, sent_at = ?, last_error = '' "
                "WHERE id = ?",
                (message_id, now, row_id),
            )
            enquiry_id = row["enquiry_id"]
            if enquiry_id is None:
                return
            if row["kind"] == "card":
                db.execute(
                    "UPDATE enquiries SET firm_chat_id = ?, firm_message_id = ? WHERE id = ?",
                    (chat_id, message_id, enquiry_id),
                )
            db.execute(
                "INSERT OR REPLACE INTO message_links VALUES (?, ?, ?, ?, ?)",
                (chat_id, message_id, enquiry_id, row["user_id"], row["target"]),
            )

    def mark_retry(self, row_id: int, next_attempt_at: float, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ?",
            (next_attempt_at, error[:300], row_id),
        )

    def mark_failed(self, row_id: int, state: OutboxState, error: str) -> None:
        self._db.execute(
            "UPDATE outbox SET state = ?, last_error = ? WHERE id = ?", (state, error[:300], row_id)
        )

    def requeue(self, row_id: int, now: float) -> None:
        self._db.execute(
            "UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE id = ? AND state != 'sent'",
            (now, row_id),
        )

    def recover_interrupted(self) -> list[OutboxRow]:
        with self._tx() as db:
            rows = db.execute("SELECT * FROM outbox WHERE state = 'sending'").fetchall()
            db.execute(
                "UPDATE outbox SET state = 'uncertain', last_error = 'interrupted while sending' "
                "WHERE state = 'sending'"
            )
        return [_outbox(r) for r in rows]

    def rows_for(self, enquiry_id: int) -> list[OutboxRow]:
        rows = self._db.execute(
            "SELECT * FROM outbox WHERE enquiry_id = ? ORDER BY id", (enquiry_id,)
        ).fetchall()
        return [_outbox(r) for r in rows]

    # -- personal data ---------------------------------------------------------------------------

    def forget_user(self, user_id: int) -> dict[str, int]:
        deleted: dict[str, int] = {}
        with self._tx() as db:
            for table in USER_TABLES:
                key: int | str = self.user_hash(user_id) if table.hashed else user_id
                cur = db.execute(f"DELETE FROM {table.table} WHERE {table.user_column} = ?", (key,))
                deleted[table.label] = deleted.get(table.label, 0) + cur.rowcount
        return deleted

    def close_idle(self, idle_before: float, now: float) -> int:
        cur = self._db.execute(
            "UPDATE enquiries SET status = 'closed', closed_at = ?, updated_at = ? "
            "WHERE status != 'closed' AND updated_at < ?",
            (now, now, idle_before),
        )
        return cur.rowcount

    def purge_closed(self, closed_before: float) -> int:
        with self._tx() as db:
            cur = db.execute(
                "DELETE FROM enquiries WHERE status = 'closed' AND closed_at < ?", (closed_before,)
            )
            # Notices with no enquiry (e.g. "a user asked us to delete their data") age out too.
            db.execute(
                "DELETE FROM outbox WHERE enquiry_id IS NULL AND state = 'sent' AND sent_at < ?",
                (closed_before,),
            )
        return cur.rowcount


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(row["user_id"], row["chat_id"], row["step"], json.loads(row["data"]), row["updated_at"])


def _enquiry(row: sqlite3.Row) -> Enquiry:
    return Enquiry(
        id=row["id"],
        ref=row["ref"],
        user_id=row["user_id"],
        chat_id=row["chat_id"],
        user_name=row["user_name"],
        username=row["username"],
        lender=row["lender"],
        overdue=row["overdue"],
        events=tuple(e for e in row["events"].split(",") if e),
        amount=row["amount"],
        question=row["question"],
        photo_file_id=row["photo_file_id"],
        last_answer=row["last_answer"],
        status=row["status"],
        handled_by=row["handled_by"],
        firm_chat_id=row["firm_chat_id"],
        firm_message_id=row["firm_message_id"],
        firm_thread_id=row["firm_thread_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
        delivery=row["delivery"],
    )


def _outbox(row: sqlite3.Row) -> OutboxRow:
    return OutboxRow(
        id=row["id"],
        enquiry_id=row["enquiry_id"],
        user_id=row["user_id"],
        target=row["target"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )
