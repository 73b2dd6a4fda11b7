"""The learning log in SQLite: unanswered questions, "did you mean" choices, 👍/👎, counters.

No Telegram user id or chat id is ever written here. Where rows must be linkable (so that
`/forget` can delete a user's rows, and a choice can be attached to its question) they hold
an HMAC-SHA256 of the id under a secret salt: `LOG_SALT` if set, else a random salt generated
on first use and kept in `learn_meta`. Without the salt the hashes cannot be turned back into
ids by trying all plausible ids. Changing the salt makes older rows unlinkable (they then only
age out with the retention period).

Mixed into `SqliteStorage`; every method is one short statement on the bot's connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Sequence

from bot.core.gaps import LoggedQuestion

_SALT_KEY = "log_salt"


def utc_day(at: float) -> str:
    """The UTC calendar day of a Unix time, as YYYY-MM-DD (the unit of the counters)."""
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


class LearnLog:
    _db: sqlite3.Connection
    _log_salt: bytes | None = None

    # -- hashing ---------------------------------------------------------------------------------

    def set_log_salt(self, salt: str) -> None:
        """Use a salt from the environment (LOG_SALT) instead of the one stored in the database."""
        if salt:
            self._log_salt = salt.encode("utf-8")

    def _salt(self) -> bytes:
        if self._log_salt is None:
            row = self._db.execute("SELECT value FROM learn_meta WHERE key = ?", (_SALT_KEY,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT OR IGNORE INTO learn_meta (key, value) VALUES (?, ?)",
                    (_SALT_KEY, secrets.token_hex(32)),
                )
                row = self._db.execute("SELECT value FROM learn_meta WHERE key = ?", (_SALT_KEY,)).fetchone()
            self._log_salt = str(row[0]).encode("utf-8")
        return self._log_salt

    def _hash(self, text: str) -> str:
        return hmac.new(self._salt(), text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def user_hash(self, user_id: int) -> str:
        return self._hash(f"user:{user_id}")

    def message_ref(self, chat_id: int, message_id: int) -> str:
        return self._hash(f"message:{chat_id}:{message_id}")

    # -- writing ---------------------------------------------------------------------------------

    def count_decision(self, at: float, decision: str, entry: str = "") -> None:
        self._db.execute(
            "INSERT INTO answer_counts (day, decision, entry, count) VALUES (?, ?, ?, 1) "
            "ON CONFLICT(day, decision, entry) DO UPDATE SET count = count + 1",
            (utc_day(at), decision, entry),
        )

    def log_question(
        self,
        at: float,
        *,
        user_hash: str,
        msg_ref: str,
        chat_type: str,
        decision: str,
        question: str,
        candidates: Sequence[tuple[str, float]],
    ) -> int:
        """`question` must already be masked (bot.core.privacy.mask_pii)."""
        cur = self._db.execute(
            "INSERT INTO question_log (at, user_hash, msg_ref, chat_type, decision, question, candidates) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                at,
                user_hash,
                msg_ref,
                chat_type,
                decision,
                question,
                json.dumps([list(c) for c in candidates]),
            ),
        )
        return int(cur.lastrowid or 0)

    def record_choice(self, at: float, msg_ref: str, entry: str) -> bool:
        """Attach a "did you mean" choice to its question (the first choice counts); False if none."""
        cur = self._db.execute(
            "UPDATE question_log SET chosen = ?, chosen_at = ? "
            "WHERE msg_ref = ? AND decision = 'clarify' AND chosen IS NULL",
            (entry, at, msg_ref),
        )
        return cur.rowcount > 0

    def record_feedback(
        self, at: float, *, user_hash: str, msg_ref: str, chat_type: str, entry: str, vote: int
    ) -> None:
        self._db.execute(
            "INSERT INTO answer_feedback (at, user_hash, msg_ref, chat_type, entry, vote) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(msg_ref) DO UPDATE SET at = excluded.at, "
            "vote = excluded.vote",
            (at, user_hash, msg_ref, chat_type, entry, 1 if vote > 0 else -1),
        )

    # -- reading ---------------------------------------------------------------------------------

    def logged_questions(self, since: float = 0.0) -> list[LoggedQuestion]:
        rows = self._db.execute(
            "SELECT question, decision, user_hash, chosen FROM question_log WHERE at >= ? ORDER BY id",
            (since,),
        ).fetchall()
        return [LoggedQuestion(r[0], r[1], r[2], r[3]) for r in rows]

    def decision_counts(self, since: float = 0.0) -> list[tuple[str, str, str, int]]:
        """(day, decision, entry, count) from the day of `since` on."""
        rows = self._db.execute(
            "SELECT day, decision, entry, count FROM answer_counts WHERE day >= ? ORDER BY day, decision, entry",
            (utc_day(since),),
        ).fetchall()
        return [(r[0], r[1], r[2], int(r[3])) for r in rows]

    def feedback_counts(self, since: float = 0.0) -> list[tuple[str, int, int]]:
        """(entry, 👍, 👎) since `since`, most votes first."""
        rows = self._db.execute(
            "SELECT entry, SUM(vote > 0), SUM(vote < 0) FROM answer_feedback WHERE at >= ? "
            "GROUP BY entry ORDER BY COUNT(*) DESC, entry",
            (since,),
        ).fetchall()
        return [(r[0], int(r[1]), int(r[2])) for r in rows]

    # -- retention -------------------------------------------------------------------------------

    def purge_learning(self, before: float) -> int:
        """Delete log, feedback and counter rows older than `before`; returns rows deleted."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            n = self._db.execute("DELETE FROM question_log WHERE at < ?", (before,)).rowcount
            n += self._db.execute("DELETE FROM answer_feedback WHERE at < ?", (before,)).rowcount
            n += self._db.execute("DELETE FROM answer_counts WHERE day < ?", (utc_day(before),)).rowcount
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return n
