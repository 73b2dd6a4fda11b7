"""`EnquiryStore` in SQL that SQLite and PostgreSQL read alike: drafts, enquiries, links
(the outbox is in sql_outbox.py).

Every public method is one unit of work on the engine (one transaction). Concurrency between
instances rests on single conditional statements, which both engines apply atomically: a draft
write is `UPDATE … WHERE version = ?`, a confirmation deletes the draft at its version in the
transaction that creates the enquiry, an outbox claim is `UPDATE … WHERE state = 'pending'`.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from bot.storage.base import (
    Draft,
    DraftChanged,
    DuplicateRef,
    Enquiry,
    EnquiryStatus,
    NewEnquiry,
    Side,
)
from bot.storage.engine import Engine, Row, Tx
from bot.storage.sql_outbox import LINK_UPSERT, NOTICE_UPSERT, SqlOutbox, insert_outbox

_ENQUIRY_SELECT = (
    "SELECT e.*, (SELECT o.state FROM outbox o WHERE o.enquiry_id = e.id AND o.kind = 'card' "
    "ORDER BY o.id DESC LIMIT 1) AS delivery FROM enquiries e"
)


def _first_version() -> int:
    # Random rather than 1: a form deleted and started again must not reuse a version an
    # update in flight may still hold.
    return secrets.randbelow(2**52) + 1


class SqlEnquiryStore(SqlOutbox):
    """Drafts, enquiries, links and retention here; the outbox in `SqlOutbox`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    # -- drafts ----------------------------------------------------------------------------------

    def get_draft(self, user_id: int) -> Draft | None:
        row = self._engine.run(
            lambda tx: tx.one("SELECT * FROM intake_drafts WHERE user_id = ?", (user_id,)), write=False
        )
        return _draft(row) if row else None

    def save_draft(
        self,
        user_id: int,
        chat_id: int,
        step: str,
        data: dict[str, Any],
        now: float,
        *,
        version: int | None = None,
    ) -> int:
        text = json.dumps(data, ensure_ascii=False)

        def work(tx: Tx) -> int:
            if version is None:
                row = tx.one(
                    "INSERT INTO intake_drafts (user_id, chat_id, step, data, updated_at, version) "
                    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET chat_id = excluded.chat_id, "
                    "step = excluded.step, data = excluded.data, updated_at = excluded.updated_at, "
                    "version = intake_drafts.version + 1 RETURNING version",
                    (user_id, chat_id, step, text, now, _first_version()),
                )
            else:
                row = tx.one(
                    "UPDATE intake_drafts SET chat_id = ?, step = ?, data = ?, updated_at = ?, "
                    "version = version + 1 WHERE user_id = ? AND version = ? RETURNING version",
                    (chat_id, step, text, now, user_id, version),
                )
            if row is None:
                raise DraftChanged(user_id)
            return int(row["version"])

        return self._engine.run(work)

    def delete_draft(self, user_id: int, *, version: int | None = None) -> bool:
        def work(tx: Tx) -> bool:
            if version is None:
                return tx.run("DELETE FROM intake_drafts WHERE user_id = ?", (user_id,)) > 0
            if tx.run("DELETE FROM intake_drafts WHERE user_id = ? AND version = ?", (user_id, version)) == 0:
                raise DraftChanged(user_id)
            return True

        return self._engine.run(work)

    def expired_drafts(self, before: float) -> list[Draft]:
        rows = self._engine.run(
            lambda tx: tx.all("SELECT * FROM intake_drafts WHERE updated_at < ? ORDER BY user_id", (before,)),
            write=False,
        )
        return [_draft(r) for r in rows]

    # -- enquiries -------------------------------------------------------------------------------

    def create_enquiry(
        self, new: NewEnquiry, ref: str, now: float, *, draft_version: int | None = None
    ) -> Enquiry:
        def work(tx: Tx) -> Enquiry:
            if tx.one("SELECT 1 AS taken FROM enquiries WHERE ref = ?", (ref,)):
                raise DuplicateRef(ref)
            if draft_version is not None and not tx.run(
                "DELETE FROM intake_drafts WHERE user_id = ? AND version = ?", (new.user_id, draft_version)
            ):
                raise DraftChanged(new.user_id)
            row = tx.one(
                "INSERT INTO enquiries (ref, user_id, chat_id, user_name, username, lender, overdue, events, "
                "amount, question, photo_file_id, last_answer, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
            assert row is not None
            enquiry_id = int(row["id"])
            insert_outbox(tx, "firm", "card", {}, now, enquiry_id, new.user_id)
            if new.photo_file_id:
                payload = {"file_id": new.photo_file_id}
                insert_outbox(tx, "firm", "photo", payload, now, enquiry_id, new.user_id)
            enquiry = _enquiry_where(tx, "e.id = ?", enquiry_id)
            assert enquiry is not None
            return enquiry

        return self._engine.run(work)

    def enquiry(self, enquiry_id: int) -> Enquiry | None:
        return self._engine.run(lambda tx: _enquiry_where(tx, "e.id = ?", enquiry_id), write=False)

    def enquiry_by_ref(self, ref: str) -> Enquiry | None:
        return self._engine.run(lambda tx: _enquiry_where(tx, "e.ref = ?", ref.upper()), write=False)

    def enquiries_of(self, user_id: int) -> list[Enquiry]:
        rows = self._engine.run(
            lambda tx: tx.all(
                f"{_ENQUIRY_SELECT} WHERE e.user_id = ? ORDER BY e.created_at DESC, e.id DESC", (user_id,)
            ),
            write=False,
        )
        return [_enquiry(r) for r in rows]

    def count_enquiries_since(self, user_id: int, since: float) -> int:
        row = self._engine.run(
            lambda tx: tx.one(
                "SELECT COUNT(*) AS n FROM enquiries WHERE user_id = ? AND created_at >= ?", (user_id, since)
            ),
            write=False,
        )
        return int(row["n"]) if row else 0

    def set_status(self, enquiry_id: int, status: EnquiryStatus, by: str, now: float) -> Enquiry | None:
        closed_at = now if status == "closed" else None

        def work(tx: Tx) -> Enquiry | None:
            tx.run(
                "UPDATE enquiries SET status = ?, handled_by = CASE WHEN ? = '' THEN handled_by ELSE ? END, "
                "updated_at = ?, closed_at = ? WHERE id = ?",
                (status, by, by, now, closed_at, enquiry_id),
            )
            return _enquiry_where(tx, "e.id = ?", enquiry_id)

        return self._engine.run(work)

    def set_thread(self, enquiry_id: int, firm_chat_id: int, thread_id: int | None) -> None:
        self._engine.run(
            lambda tx: tx.run(
                "UPDATE enquiries SET firm_chat_id = ?, firm_thread_id = ? WHERE id = ?",
                (firm_chat_id, thread_id, enquiry_id),
            )
        )

    # -- links -----------------------------------------------------------------------------------

    def link(self, chat_id: int, message_id: int, enquiry: Enquiry, side: Side) -> None:
        self._engine.run(
            lambda tx: tx.run(LINK_UPSERT, (chat_id, message_id, enquiry.id, enquiry.user_id, side))
        )

    def linked_enquiry(self, chat_id: int, message_id: int, side: Side) -> Enquiry | None:
        def work(tx: Tx) -> Enquiry | None:
            row = tx.one(
                "SELECT enquiry_id FROM message_links WHERE chat_id = ? AND message_id = ? AND side = ?",
                (chat_id, message_id, side),
            )
            return _enquiry_where(tx, "e.id = ?", int(row["enquiry_id"])) if row else None

        return self._engine.run(work, write=False)

    # -- retention -------------------------------------------------------------------------------

    # -- notices and recovered cards -------------------------------------------------------------

    def record_notice(self, chat_id: int, message_id: int, now: float) -> None:
        self._engine.run(lambda tx: tx.run(NOTICE_UPSERT, (chat_id, message_id, now)))

    def is_notice(self, chat_id: int, message_id: int) -> bool:
        row = self._engine.run(
            lambda tx: tx.one(
                "SELECT 1 AS one FROM notice_messages WHERE chat_id = ? AND message_id = ?", (chat_id, message_id)
            ),
            write=False,
        )
        return row is not None

    def adopt_card(self, enquiry_id: int, chat_id: int, message_id: int, now: float) -> Enquiry | None:
        def work(tx: Tx) -> Enquiry | None:
            row = tx.one("SELECT user_id FROM enquiries WHERE id = ?", (enquiry_id,))
            if row is None:
                return None
            tx.run(LINK_UPSERT, (chat_id, message_id, enquiry_id, row["user_id"], "firm"))
            tx.run(
                "UPDATE enquiries SET firm_chat_id = ?, firm_message_id = ? WHERE id = ? AND firm_message_id IS NULL",
                (chat_id, message_id, enquiry_id),
            )
            # The card evidently arrived: its interrupted row must not be sent again by /resend.
            tx.run(
                "UPDATE outbox SET state = 'sent', sent_message_id = ?, sent_at = ?, "
                "last_error = 'recovered: the card was found in the firm chat' "
                "WHERE enquiry_id = ? AND kind = 'card' AND state = 'uncertain'",
                (message_id, now, enquiry_id),
            )
            return _enquiry_where(tx, "e.id = ?", enquiry_id)

        return self._engine.run(work)

    def close_idle(self, idle_before: float, now: float) -> int:
        return self._engine.run(
            lambda tx: tx.run(
                "UPDATE enquiries SET status = 'closed', closed_at = ?, updated_at = ? "
                "WHERE status != 'closed' AND updated_at < ?",
                (now, now, idle_before),
            )
        )

    def purge_closed(self, closed_before: float) -> int:
        def work(tx: Tx) -> int:
            n = tx.run("DELETE FROM enquiries WHERE status = 'closed' AND closed_at < ?", (closed_before,))
            # Notices with no enquiry (e.g. "a user asked us to delete their data") age out too.
            tx.run(
                "DELETE FROM outbox WHERE enquiry_id IS NULL AND state = 'sent' AND sent_at < ?",
                (closed_before,),
            )
            tx.run("DELETE FROM notice_messages WHERE sent_at < ?", (closed_before,))
            return n

        return self._engine.run(work)

def _enquiry_where(tx: Tx, condition: str, value: object) -> Enquiry | None:
    row = tx.one(f"{_ENQUIRY_SELECT} WHERE {condition}", (value,))
    return _enquiry(row) if row else None


def _draft(row: Row) -> Draft:
    return Draft(
        row["user_id"], row["chat_id"], row["step"], json.loads(row["data"]), row["updated_at"], row["version"]
    )


def _enquiry(row: Row) -> Enquiry:
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
