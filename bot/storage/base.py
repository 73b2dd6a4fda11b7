"""The storage interface: what the bot needs from a database, independent of the engine.

`SqliteStorage` is the default implementation. Another engine only has to provide the same
methods (structural typing: no base class to inherit). All times are Unix seconds, passed in
by the caller so that tests and jobs control the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.core.gaps import LoggedQuestion

EnquiryStatus = Literal["open", "taken", "answered", "closed"]
OutboxState = Literal["pending", "sending", "sent", "uncertain", "dead"]
Target = Literal["firm", "user"]
Side = Literal["firm", "user"]


class DuplicateRef(Exception):
    """`create_enquiry` was given a reference that is already taken; draw another."""


@dataclass(frozen=True)
class NewEnquiry:
    """What the borrower confirmed; written before anything is sent."""

    user_id: int
    chat_id: int
    user_name: str
    username: str
    question: str
    lender: str = ""
    overdue: str = ""
    events: tuple[str, ...] = ()
    amount: str = ""
    photo_file_id: str = ""
    last_answer: str = ""


@dataclass(frozen=True)
class Enquiry:
    id: int
    ref: str
    user_id: int
    chat_id: int
    user_name: str
    username: str
    lender: str
    overdue: str
    events: tuple[str, ...]
    amount: str
    question: str
    photo_file_id: str
    last_answer: str
    status: EnquiryStatus
    handled_by: str
    firm_chat_id: int | None
    firm_message_id: int | None
    firm_thread_id: int | None
    created_at: float
    updated_at: float
    closed_at: float | None
    delivery: OutboxState | None = None  # state of the enquiry's card in the outbox


@dataclass(frozen=True)
class OutboxRow:
    id: int
    enquiry_id: int | None
    user_id: int | None
    target: Target
    kind: str  # card | text | photo | copy
    payload: dict[str, Any]
    state: OutboxState
    attempts: int
    next_attempt_at: float
    last_error: str


@dataclass(frozen=True)
class Draft:
    user_id: int
    chat_id: int
    step: str
    data: dict[str, Any]
    updated_at: float


class Storage(Protocol):
    """Everything the hand-off stores. Implementations must make each method atomic."""

    def close(self) -> None: ...

    def schema_version(self) -> int: ...

    # -- intake drafts (deleted on submit, cancel, timeout and /forget) --------------------
    def get_draft(self, user_id: int) -> Draft | None: ...
    def save_draft(self, user_id: int, chat_id: int, step: str, data: dict[str, Any], now: float) -> None: ...
    def delete_draft(self, user_id: int) -> bool: ...
    def expired_drafts(self, before: float) -> list[Draft]: ...

    # -- enquiries ---------------------------------------------------------------------------
    def create_enquiry(self, new: NewEnquiry, ref: str, now: float) -> Enquiry:
        """Write the enquiry and queue its delivery to the firm, in one transaction."""
        ...

    def enquiry(self, enquiry_id: int) -> Enquiry | None: ...
    def enquiry_by_ref(self, ref: str) -> Enquiry | None: ...
    def enquiries_of(self, user_id: int) -> list[Enquiry]: ...
    def count_enquiries_since(self, user_id: int, since: float) -> int: ...
    def set_status(self, enquiry_id: int, status: EnquiryStatus, by: str, now: float) -> Enquiry | None: ...
    def set_thread(self, enquiry_id: int, firm_chat_id: int, thread_id: int | None) -> None: ...

    # -- message links: which Telegram message belongs to which enquiry ------------------------
    def link(self, chat_id: int, message_id: int, enquiry: Enquiry, side: Side) -> None: ...
    def linked_enquiry(self, chat_id: int, message_id: int, side: Side) -> Enquiry | None: ...

    # -- outbox ------------------------------------------------------------------------------
    def enqueue(
        self,
        target: Target,
        kind: str,
        payload: dict[str, Any],
        now: float,
        enquiry: Enquiry | None = None,
    ) -> int: ...

    def due(self, now: float, limit: int = 20) -> list[OutboxRow]: ...
    def claim(self, row_id: int) -> bool:
        """pending → sending; False if another worker got there first."""
        ...

    def mark_sent(self, row_id: int, chat_id: int, message_id: int, now: float) -> None:
        """sending → sent, and link the sent message to its enquiry, in one transaction.

        For a card, also store the firm's chat and message id on the enquiry.
        """
        ...

    def mark_retry(self, row_id: int, next_attempt_at: float, error: str) -> None: ...
    def mark_failed(self, row_id: int, state: OutboxState, error: str) -> None: ...
    def requeue(self, row_id: int, now: float) -> None: ...
    def recover_interrupted(self) -> list[OutboxRow]:
        """Rows left in 'sending' by a crash become 'uncertain' (never re-sent automatically)."""
        ...

    def rows_for(self, enquiry_id: int) -> list[OutboxRow]: ...

    # -- personal data -----------------------------------------------------------------------
    def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user from every registered table; label → count."""
        ...

    def close_idle(self, idle_before: float, now: float) -> int:
        """Close enquiries with no activity since `idle_before` (so retention applies to them too)."""
        ...

    def purge_closed(self, closed_before: float) -> int: ...

    # -- learning from users (bot/storage/learnlog.py): no user ids, salted hashes at most ------
    def set_log_salt(self, salt: str) -> None: ...
    def user_hash(self, user_id: int) -> str: ...
    def message_ref(self, chat_id: int, message_id: int) -> str: ...
    def count_decision(self, at: float, decision: str, entry: str = "") -> None: ...
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
    ) -> int: ...
    def record_choice(self, at: float, msg_ref: str, entry: str) -> bool: ...
    def record_feedback(
        self, at: float, *, user_hash: str, msg_ref: str, chat_type: str, entry: str, vote: int
    ) -> None: ...
    def logged_questions(self, since: float = 0.0) -> list[LoggedQuestion]: ...
    def decision_counts(self, since: float = 0.0) -> list[tuple[str, str, str, int]]: ...
    def feedback_counts(self, since: float = 0.0) -> list[tuple[str, int, int]]: ...
    def purge_learning(self, before: float) -> int: ...
