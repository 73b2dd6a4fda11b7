"""The outbox half of `EnquiryStore`, in SQL both engines read alike (see sql_enquiries.py).

Every message to the firm or a borrower is a row here before it is sent. The claim is the one
point where instances compete: a single conditional `UPDATE … WHERE state = 'pending'`, which
PostgreSQL (read committed: a second claimer waits for the first to commit, re-checks the
condition and changes nothing) and SQLite (one writer at a time) both apply to exactly one caller.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.instances import Claim
from bot.storage.base import Enquiry, OutboxRow, OutboxState, Target
from bot.storage.engine import Engine, Row, Tx

NOTICE_UPSERT = (
    "INSERT INTO notice_messages (chat_id, message_id, sent_at) VALUES (?, ?, ?) "
    "ON CONFLICT (chat_id, message_id) DO UPDATE SET sent_at = excluded.sent_at"
)
LINK_UPSERT = (
    "INSERT INTO message_links (chat_id, message_id, enquiry_id, user_id, side) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (chat_id, message_id) DO UPDATE SET enquiry_id = excluded.enquiry_id, "
    "user_id = excluded.user_id, side = excluded.side"
)


class SqlOutbox:
    _engine: Engine

    # -- outbox ----------------------------------------------------------------------------------

    def enqueue(
        self,
        target: Target,
        kind: str,
        payload: dict[str, Any],
        now: float,
        enquiry: Enquiry | None = None,
    ) -> int:
        def work(tx: Tx) -> int:
            if enquiry is not None:  # a message about an enquiry is activity on it
                tx.run("UPDATE enquiries SET updated_at = ? WHERE id = ?", (now, enquiry.id))
            return insert_outbox(
                tx,
                target,
                kind,
                payload,
                now,
                enquiry.id if enquiry else None,
                enquiry.user_id if enquiry else None,
            )

        return self._engine.run(work)

    def due(self, now: float, limit: int = 20) -> list[OutboxRow]:
        rows = self._engine.run(
            lambda tx: tx.all(
                "SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?",
                (now, limit),
            ),
            write=False,
        )
        return [_outbox(r) for r in rows]

    def claim(self, row_id: int, now: float, owner: str = "") -> OutboxRow | None:
        # The row as it is now, not as the caller listed it: another instance may have tried it
        # in between (its attempts and last error decide the next backoff and the duplicate mark).
        row = self._engine.run(
            lambda tx: tx.one(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = ?, claimed_by = ? "
                "WHERE id = ? AND state = 'pending' AND next_attempt_at <= ? RETURNING *",
                (now, owner, row_id, now),
            )
        )
        return _outbox(row) if row else None

    def mark_sent(self, row_id: int, chat_id: int, message_id: int, now: float) -> None:
        def work(tx: Tx) -> None:
            row = tx.one(
                "UPDATE outbox SET state = 'sent', sent_message_id = ?, sent_at = ?, last_error = '' "
                "WHERE id = ? RETURNING enquiry_id, user_id, kind, target",
                (message_id, now, row_id),
            )
            if row is None:  # deleted by /forget meanwhile
                return
            if row["enquiry_id"] is None:
                if row["target"] == "firm":  # a notice: a reply to it is answered, never relayed
                    tx.run(NOTICE_UPSERT, (chat_id, message_id, now))
                return
            if row["kind"] == "card":
                tx.run(
                    "UPDATE enquiries SET firm_chat_id = ?, firm_message_id = ? WHERE id = ?",
                    (chat_id, message_id, row["enquiry_id"]),
                )
            tx.run(LINK_UPSERT, (chat_id, message_id, row["enquiry_id"], row["user_id"], row["target"]))

        self._engine.run(work)

    def mark_retry(self, row_id: int, next_attempt_at: float, error: str) -> None:
        self._engine.run(
            lambda tx: tx.run(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ?",
                (next_attempt_at, error[:300], row_id),
            )
        )

    def mark_failed(self, row_id: int, state: OutboxState, error: str) -> None:
        self._engine.run(
            lambda tx: tx.run(
                "UPDATE outbox SET state = ?, last_error = ? WHERE id = ?", (state, error[:300], row_id)
            )
        )

    def record_part(self, row_id: int, message_id: int) -> None:
        def work(tx: Tx) -> None:
            row = tx.one("SELECT sent_parts FROM outbox WHERE id = ? AND state = 'sending'", (row_id,))
            if row is not None:  # not deleted by /forget meanwhile
                parts = [*json.loads(row["sent_parts"]), message_id]
                tx.run("UPDATE outbox SET sent_parts = ? WHERE id = ?", (json.dumps(parts), row_id))

        self._engine.run(work)

    def requeue(self, row_id: int, now: float) -> None:
        self._engine.run(
            lambda tx: tx.run(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE id = ? AND state != 'sent'",
                (now, row_id),
            )
        )

    def sending_claims(self) -> list[Claim]:
        rows = self._engine.run(
            lambda tx: tx.all("SELECT id, claimed_by, claimed_at FROM outbox WHERE state = 'sending' ORDER BY id"),
            write=False,
        )
        return [Claim(r["id"], r["claimed_by"] or "", r["claimed_at"]) for r in rows]

    def mark_uncertain(self, claims: list[Claim]) -> list[OutboxRow]:
        """These claims' rows become 'uncertain' if they are still in `sending` under that very
        claim (not finished meanwhile, not retried and claimed again by someone else)."""

        def work(tx: Tx) -> list[Row]:
            found = []
            for claim in claims:
                same = "claimed_at IS NULL" if claim.claimed_at is None else "claimed_at = ?"
                params = (claim.row_id, claim.claimed_by) + (() if claim.claimed_at is None else (claim.claimed_at,))
                row = tx.one(
                    "UPDATE outbox SET state = 'uncertain', last_error = 'interrupted while sending' "
                    f"WHERE id = ? AND state = 'sending' AND claimed_by = ? AND {same} RETURNING *",
                    params,
                )
                if row is not None:
                    found.append(row)
            return found

        return [_outbox(r) for r in self._engine.run(work)]

    def rows_for(self, enquiry_id: int) -> list[OutboxRow]:
        rows = self._engine.run(
            lambda tx: tx.all("SELECT * FROM outbox WHERE enquiry_id = ? ORDER BY id", (enquiry_id,)),
            write=False,
        )
        return [_outbox(r) for r in rows]

    def retry_now(self, now: float, target: Target | None = None) -> int:
        where = "" if target is None else " AND target = ?"
        params = (now, now) if target is None else (now, now, target)
        return self._engine.run(
            lambda tx: tx.run(
                f"UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending' AND next_attempt_at > ?{where}",
                params,
            )
        )


def insert_outbox(
    tx: Tx,
    target: Target,
    kind: str,
    payload: dict[str, Any],
    now: float,
    enquiry_id: int | None,
    user_id: int | None,
) -> int:
    row = tx.one(
        "INSERT INTO outbox (enquiry_id, user_id, target, kind, payload, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (enquiry_id, user_id, target, kind, json.dumps(payload, ensure_ascii=False), now, now),
    )
    assert row is not None
    return int(row["id"])


def _outbox(row: Row) -> OutboxRow:
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
        sent_parts=tuple(json.loads(row.get("sent_parts") or "[]")),
    )
