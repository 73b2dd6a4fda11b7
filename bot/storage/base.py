"""The storage interfaces: what the bot needs from a database, independent of the engine.

Small protocols by concern, composed over one connection (or pool) by a `Database`:

* `EnquiryStore`: the hand-off to the law firm (intake drafts, enquiries, message links,
  the outbox, the per-user rate limit, retention);
* `LearningLog`: learning from users (question log, counters, 👍/👎, the hashing salt);
* `InstanceRegistry`: the running processes' heartbeats and shared counters (several instances).

`/forget` crosses both (one transaction over every table in `USER_TABLES`), so it lives on the
`Database`. Both engines (SQLite, PostgreSQL) implement these with the same SQL and the same
behaviour (bot/storage/sql_*.py over bot/storage/engine.py). Calls are synchronous and short;
all times are Unix seconds passed in by the caller, so tests and jobs control the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

# The enquiry is defined once, in the core (IntakeData -> NewEnquiry -> Enquiry); re-exported here.
from bot.core.handoff import Enquiry as Enquiry
from bot.core.handoff import EnquiryStatus as EnquiryStatus
from bot.core.handoff import NewEnquiry as NewEnquiry
from bot.core.handoff import OutboxState as OutboxState
from bot.core.instances import Claim, Instance
from bot.core.model import AnsweredQuestion, LoggedQuestion

Target = Literal["firm", "user"]
Side = Literal["firm", "user"]


class StorageError(Exception):
    """Base of the storage layer's own exceptions."""


class StorageUnavailable(StorageError):
    """The database cannot be reached right now (down, restarting, locked, out of connections).

    Every storage call raises this, and only this, for such faults: the shell catches it to
    tell a borrower the hand-off is briefly unavailable instead of failing with a trace.
    """


class SchemaOutdated(StorageError):
    """The database's schema is older than the code: `python -m bot migrate` has not run."""

    def __init__(self, have: int, want: int) -> None:
        self.have, self.want = have, want
        super().__init__(
            f"the database schema is at version {have}, this code needs {want}: "
            "run `python -m bot migrate` first (a Procfile deploy does it in its release phase)"
        )


class DuplicateRef(StorageError):
    """`create_enquiry` was given a reference that is already taken; draw another."""


class DraftChanged(StorageError):
    """The intake draft is no longer at the version that was read: another update (on another
    instance) changed, submitted or deleted it first. Read it again and redo the step."""


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
    # Message ids of the parts of a long message delivered so far, in order: a retry or
    # `/resend` sends only the parts after them.
    sent_parts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Draft:
    user_id: int
    chat_id: int
    step: str
    data: dict[str, Any]
    updated_at: float
    version: int = 0  # changes on every write; pass it back to write only if nobody else did


class EnquiryStore(Protocol):
    """Everything the hand-off stores. Each method is one transaction."""

    # -- intake drafts (deleted on submit, cancel, timeout and /forget) --------------------
    def get_draft(self, user_id: int) -> Draft | None: ...
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
        """Write the draft; returns its new version.

        `version=None` creates or replaces it (a new form). With the version read by
        `get_draft`, the write applies only if the draft is still at that version, else
        `DraftChanged` (so two instances handling the same chat never lose or double a step).
        """
        ...

    def delete_draft(self, user_id: int, *, version: int | None = None) -> bool:
        """False if there was none; with `version`, `DraftChanged` if it is not at that version."""
        ...

    def expired_drafts(self, before: float) -> list[Draft]: ...

    # -- enquiries ---------------------------------------------------------------------------
    def create_enquiry(
        self, new: NewEnquiry, ref: str, now: float, *, draft_version: int | None = None
    ) -> Enquiry:
        """Write the enquiry and queue its delivery to the firm, in one transaction.

        With `draft_version`, the user's draft is consumed in the same transaction and must be
        at that version (`DraftChanged` otherwise): a confirmation tapped twice, on two
        instances, creates one enquiry.
        """
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
    def claim(self, row_id: int, now: float, owner: str = "") -> OutboxRow | None:
        """pending and due → sending, atomically; the row as claimed, or None if another
        worker (or instance) got there first or it is no longer due. Exactly one caller wins."""
        ...

    def mark_sent(self, row_id: int, chat_id: int, message_id: int, now: float) -> None:
        """sending → sent, and link the sent message to its enquiry, in one transaction.

        For a card, also store the firm's chat and message id on the enquiry.
        """
        ...

    def record_part(self, row_id: int, message_id: int) -> None:
        """One more part of the claimed row's message was delivered (its message id)."""
        ...

    def mark_retry(self, row_id: int, next_attempt_at: float, error: str) -> None: ...
    def mark_failed(self, row_id: int, state: OutboxState, error: str) -> None: ...
    def requeue(self, row_id: int, now: float) -> None: ...
    def sending_claims(self) -> list[Claim]:
        """Who claimed each row now in 'sending', and when (bot/core/instances.py judges them)."""
        ...

    def mark_uncertain(self, claims: list[Claim]) -> list[OutboxRow]:
        """The rows of these (dead) claims → 'uncertain', unless finished or claimed again since."""
        ...

    def rows_for(self, enquiry_id: int) -> list[OutboxRow]: ...
    def retry_now(self, now: float, target: Target | None = None) -> int:
        """Make every pending row (of `target`) due now, e.g. after a restart; returns how many."""
        ...

    # -- the bot's messages in the firm chat that belong to no enquiry (bot/tg/firm.py) ----------
    def record_notice(self, chat_id: int, message_id: int, now: float) -> None: ...
    def is_notice(self, chat_id: int, message_id: int) -> bool: ...
    def adopt_card(self, enquiry_id: int, chat_id: int, message_id: int, now: float) -> Enquiry | None:
        """A card whose delivery was never recorded (the send was interrupted) turned up in the
        firm chat: link it, make it the enquiry's card if it has none, and settle its row."""
        ...

    # -- retention ---------------------------------------------------------------------------
    def close_idle(self, idle_before: float, now: float) -> int:
        """Close enquiries with no activity since `idle_before` (so retention applies to them too)."""
        ...

    def purge_closed(self, closed_before: float) -> int: ...


class LearningLog(Protocol):
    """Learning from users: no user ids, salted hashes at most (bot/storage/sql_learning.py)."""

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
    # An answered question (no text: salted hashes of where it is and of the answer's identity),
    # so an edit of it is answered by editing the answer, on any instance, after a restart.
    def answer_ref(self, key: str) -> str: ...
    def remember_answered(
        self, at: float, *, chat_id: int, message_id: int, user_id: int, key: str, answer_message_id: int, parts: int
    ) -> None: ...
    def answered(self, chat_id: int, message_id: int) -> AnsweredQuestion | None: ...
    def purge_learning(self, before: float) -> int: ...


class InstanceRegistry(Protocol):
    """Running bot processes and their heartbeats, and counters they share (bot/storage/sql_instances.py)."""

    def heartbeat(self, me: Instance, now: float) -> None: ...
    def instances(self) -> list[Instance]: ...
    def remove(self, instance_id: str) -> None: ...
    def prune(self, seen_before: float) -> int: ...
    def counter(self, name: str) -> int: ...
    def bump(self, name: str, now: float) -> int: ...


class Database(Protocol):
    """One database: both stores over one connection (SQLite) or one pool (PostgreSQL)."""

    @property
    def enquiries(self) -> EnquiryStore: ...
    @property
    def learning(self) -> LearningLog: ...
    @property
    def instances(self) -> InstanceRegistry: ...

    def forget_user(self, user_id: int) -> dict[str, int]:
        """Delete every row about the user from every registered table, in one transaction;
        label → count."""
        ...

    def schema_version(self) -> int: ...
    def close(self) -> None: ...
