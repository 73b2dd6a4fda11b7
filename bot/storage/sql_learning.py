"""`LearningLog` in SQL for both engines: unanswered questions, "did you mean" choices, 👍/👎, counters.

No Telegram user id or chat id is ever written here. Where rows must be linkable (so that
`/forget` can delete a user's rows, and a choice can be attached to its question) they hold
an HMAC-SHA256 of the id under a secret salt: `LOG_SALT` if set, else a random salt generated
on first use and kept in `learn_meta`. Without the salt the hashes cannot be turned back into
ids by trying all plausible ids. Changing the salt makes older rows unlinkable (they then only
age out with the retention period).

Every method is one unit of work on the engine shared with the `EnquiryStore`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence

from bot.core.model import AnsweredQuestion, LoggedQuestion
from bot.storage.engine import Engine, Row, Tx

_SALT_KEY = "log_salt"


def utc_day(at: float) -> str:
    """The UTC calendar day of a Unix time, as YYYY-MM-DD (the unit of the counters)."""
    return dt.datetime.fromtimestamp(at, dt.UTC).date().isoformat()


class SqlLearningLog:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._log_salt: bytes | None = None

    # -- hashing ---------------------------------------------------------------------------------

    def set_log_salt(self, salt: str) -> None:
        """Use a salt from the environment (LOG_SALT) instead of the one stored in the database."""
        if salt:
            self._log_salt = salt.encode("utf-8")

    def _salt(self) -> bytes:
        if self._log_salt is None:
            select = "SELECT value FROM learn_meta WHERE key = ?"
            row = self._engine.run(lambda tx: tx.one(select, (_SALT_KEY,)), write=False)
            if row is None:

                def create(tx: Tx) -> Row | None:
                    # Two instances starting at once: the first insert wins, both read the winner.
                    tx.run(
                        "INSERT INTO learn_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                        (_SALT_KEY, secrets.token_hex(32)),
                    )
                    return tx.one(select, (_SALT_KEY,))

                row = self._engine.run(create)
            assert row is not None
            self._log_salt = str(row["value"]).encode("utf-8")
        return self._log_salt

    def _hash(self, text: str) -> str:
        return hmac.new(self._salt(), text.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def user_hash(self, user_id: int) -> str:
        return self._hash(f"user:{user_id}")

    def message_ref(self, chat_id: int, message_id: int) -> str:
        return self._hash(f"message:{chat_id}:{message_id}")

    # -- writing ---------------------------------------------------------------------------------

    def count_decision(self, at: float, decision: str, entry: str = "") -> None:
        self._engine.run(
            lambda tx: tx.run(
                "INSERT INTO answer_counts (day, decision, entry, count) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (day, decision, entry) DO UPDATE SET count = answer_counts.count + 1",
                (utc_day(at), decision, entry),
            )
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
        params = (at, user_hash, msg_ref, chat_type, decision, question, json.dumps([list(c) for c in candidates]))
        row = self._engine.run(
            lambda tx: tx.one(
                "INSERT INTO question_log (at, user_hash, msg_ref, chat_type, decision, question, candidates) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                params,
            )
        )
        assert row is not None
        return int(row["id"])

    def record_choice(self, at: float, msg_ref: str, entry: str) -> bool:
        """Attach a "did you mean" choice to its question (the first choice counts); False if none."""
        changed = self._engine.run(
            lambda tx: tx.run(
                "UPDATE question_log SET chosen = ?, chosen_at = ? "
                "WHERE msg_ref = ? AND decision = 'clarify' AND chosen IS NULL",
                (entry, at, msg_ref),
            )
        )
        return changed > 0

    def record_feedback(
        self, at: float, *, user_hash: str, msg_ref: str, chat_type: str, entry: str, vote: int
    ) -> None:
        self._engine.run(
            lambda tx: tx.run(
                "INSERT INTO answer_feedback (at, user_hash, msg_ref, chat_type, entry, vote) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (msg_ref) DO UPDATE SET at = excluded.at, "
                "vote = excluded.vote",
                (at, user_hash, msg_ref, chat_type, entry, 1 if vote > 0 else -1),
            )
        )

    # -- reading ---------------------------------------------------------------------------------

    def logged_questions(self, since: float = 0.0) -> list[LoggedQuestion]:
        rows = self._engine.run(
            lambda tx: tx.all(
                "SELECT question, decision, user_hash, chosen FROM question_log WHERE at >= ? ORDER BY id",
                (since,),
            ),
            write=False,
        )
        return [LoggedQuestion(r["question"], r["decision"], r["user_hash"], r["chosen"]) for r in rows]

    def decision_counts(self, since: float = 0.0) -> list[tuple[str, str, str, int]]:
        """(day, decision, entry, count) from the day of `since` on."""
        rows = self._engine.run(
            lambda tx: tx.all(
                "SELECT day, decision, entry, count FROM answer_counts WHERE day >= ? "
                "ORDER BY day, decision, entry",
                (utc_day(since),),
            ),
            write=False,
        )
        return [(r["day"], r["decision"], r["entry"], int(r["count"])) for r in rows]

    def feedback_counts(self, since: float = 0.0) -> list[tuple[str, int, int]]:
        """(entry, 👍, 👎) since `since`, most votes first."""
        rows = self._engine.run(
            lambda tx: tx.all(
                "SELECT entry, SUM(CASE WHEN vote > 0 THEN 1 ELSE 0 END) AS up, "
                "SUM(CASE WHEN vote < 0 THEN 1 ELSE 0 END) AS down FROM answer_feedback WHERE at >= ? "
                "GROUP BY entry ORDER BY COUNT(*) DESC, entry",
                (since,),
            ),
            write=False,
        )
        return [(r["entry"], int(r["up"]), int(r["down"])) for r in rows]

    # -- retention -------------------------------------------------------------------------------

    # -- answered questions, for edits --------------------------------------------------------------

    def answer_ref(self, key: str) -> str:
        """The salted hash of an answer's identity (what makes two replies the same reply)."""
        return self._hash(f"answer:{key}")

    def remember_answered(
        self, at: float, *, chat_id: int, message_id: int, user_id: int, key: str, answer_message_id: int, parts: int
    ) -> None:
        """The question (chat, message id) was answered by `answer_message_id` (in `parts` messages)."""
        row = (
            self.message_ref(chat_id, message_id),
            self.user_hash(user_id) if user_id else "",
            self.answer_ref(key),
            answer_message_id,
            parts,
            at,
        )
        self._engine.run(
            lambda tx: tx.run(
                "INSERT INTO answered_questions (msg_ref, user_hash, answer_ref, answer_message_id, parts, at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (msg_ref) DO UPDATE SET answer_ref = excluded.answer_ref, "
                "answer_message_id = excluded.answer_message_id, parts = excluded.parts, at = excluded.at",
                row,
            )
        )

    def answered(self, chat_id: int, message_id: int) -> AnsweredQuestion | None:
        ref = self.message_ref(chat_id, message_id)
        row = self._engine.run(
            lambda tx: tx.one(
                "SELECT answer_ref, answer_message_id, parts FROM answered_questions WHERE msg_ref = ?", (ref,)
            ),
            write=False,
        )
        if row is None:
            return None
        return AnsweredQuestion(str(row["answer_ref"]), int(row["answer_message_id"]), int(row["parts"]))

    # -- retention -----------------------------------------------------------------------------------

    def purge_learning(self, before: float) -> int:
        """Delete log, feedback, answered-question and counter rows older than `before`; rows deleted."""

        def work(tx: Tx) -> int:
            n = tx.run("DELETE FROM question_log WHERE at < ?", (before,))
            n += tx.run("DELETE FROM answered_questions WHERE at < ?", (before,))
            n += tx.run("DELETE FROM answer_feedback WHERE at < ?", (before,))
            return n + tx.run("DELETE FROM answer_counts WHERE day < ?", (utc_day(before),))

        return self._engine.run(work)
