"""The hand-off's service object: settings, storage, timings, who counts as the firm, admin alerts.

Pieces, each a module of handlers or jobs that `bot/tg/app.py` registers: `intake` (the
borrower's form), `outbox` and `sending` (durable delivery), `firm` (the firm's chat: take/close,
replies relayed back) and `cases` (follow-ups, /mycases, /forget, /resend). They share one
`Handoff` in `bot_data.handoff`; this module imports none of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.config import Settings
from bot.core.delivery import Policy
from bot.core.messages import Texts
from bot.core.outage import Outage
from bot.core.privacy import mask_pii
from bot.storage import Database, EnquiryStore, StorageUnavailable, open_for_bot

log = logging.getLogger(__name__)


@dataclass
class HandoffConfig:
    """Timings; production defaults, shortened by tests."""

    intake_timeout: float = 15 * 60  # an unfinished form is dropped after this many idle seconds
    outbox_interval: float = 2.0  # how often the outbox looks for due messages
    housekeeping_interval: float = 60.0  # draft timeouts and the retention purge
    backoff_base: float = 2.0  # first retry after ~2 s, then 4, 8, … (with jitter)
    backoff_cap: float = 300.0
    unreachable_retry: float = 120.0  # firm chat unreachable: try again this often
    member_cache: float = 300.0  # seconds a confirmed firm-chat membership is trusted
    max_parts: int = 3  # a longer message is sent as a text file
    # Several instances (bot/tg/cluster.py): each beats this often; one silent for `stale_after`
    # seconds is taken for dead (its interrupted sends settled, its send share handed back).
    heartbeat_interval: float = 5.0
    stale_after: float = 20.0

    def policy(self) -> Policy:
        return Policy(self.backoff_base, self.backoff_cap, self.unreachable_retry, self.max_parts)


@dataclass
class Handoff:
    settings: Settings
    config: HandoffConfig = field(default_factory=HandoffConfig)
    storage: Database | None = None
    firm_is_forum: bool | None = None
    firm_down_alerted: bool = False
    _members: dict[int, float] = field(default_factory=dict)
    _lock: asyncio.Lock | None = None
    # The bot's Chinese words (knowledge/messages.yaml) as the current knowledge base has them;
    # set by app.py, so a reload reaches the outbox too.
    words: Callable[[], Texts] | None = None
    outage: Outage = field(default_factory=Outage)
    # Outbox results that could not be written while the database was down (sent, or to be
    # retried): written first thing once it answers again, so a sent row is not sent twice.
    unrecorded: list[Callable[[EnquiryStore], None]] = field(default_factory=list)

    def unavailable(self, exc: Exception, what: str) -> None:
        """The database failed: one warning when an outage starts, nothing more until it ends."""
        if self.outage.failed(self.now()):
            log.warning(
                "database unavailable (%s: %s): questions are still answered; "
                "the hand-off waits and catches up when it is back",
                what,
                exc,
            )

    def available(self) -> None:
        """The database answered: one line if that ends an outage."""
        ended = self.outage.recovered(self.now())
        if ended is not None:
            log.info("database back after %.0f s (%d calls failed meanwhile)", *ended)

    def record(self, write: Callable[[EnquiryStore], None]) -> None:
        """Write what a send did now or, the database being down, as soon as it answers again: a
        row left in 'sending' would otherwise wait for a restart and then count as interrupted."""
        try:
            write(self.db())
        except StorageUnavailable as exc:
            self.unavailable(exc, "outbox result kept in memory until the database is back")
            self.unrecorded.append(write)

    def record_deferred(self) -> None:
        """Write the outbox results the database missed while it was down, oldest first."""
        while self.unrecorded:
            self.unrecorded[0](self.db())
            self.unrecorded.pop(0)

    def texts(self) -> Texts:
        if self.words is None:
            raise RuntimeError("hand-off texts not set up")
        return self.words()

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def open(self) -> Database:
        """Open the database, migrating a SQLite file (StorageUnavailable / SchemaOutdated say why not)."""
        self.storage = open_for_bot(self.settings.database)  # on the event loop's thread, like every call
        log.info(
            "database %s at schema version %d",
            self.settings.database_description,
            self.storage.schema_version(),
        )
        if self.settings.firm_chat_id is None:
            log.warning("FIRM_CHAT_ID is not set: enquiries are stored and queued until it is")
        return self.storage

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()
            self.storage = None

    def db(self) -> EnquiryStore:
        return self.database().enquiries

    def database(self) -> Database:
        if self.storage is None:
            raise RuntimeError("storage is not open")
        return self.storage

    @staticmethod
    def now() -> float:
        return time.time()

    async def is_firm_member(self, bot: Bot, user_id: int) -> bool:
        """Admins, and members of the firm chat (checked with getChatMember, cached briefly)."""
        if user_id in self.settings.admin_ids:
            return True
        chat_id = self.settings.firm_chat_id
        if chat_id is None:
            return False
        if self._members.get(user_id, 0.0) > self.now():
            return True
        member = await bot.get_chat_member(chat_id, user_id)
        ok = member.status in (
            ChatMemberStatus.OWNER,
            ChatMemberStatus.ADMINISTRATOR,
            ChatMemberStatus.MEMBER,
        )
        if ok:
            self._members[user_id] = self.now() + self.config.member_cache
        return ok

    async def alert_admins(self, bot: Bot, text: str) -> None:
        """Tell every admin in a private message; without admins, the log is all there is."""
        log.warning("admin alert: %s", mask_pii(text))
        for admin in self.settings.admin_ids:
            try:
                await bot.send_message(admin, text)
            except TelegramError:
                log.warning("could not alert admin %s", admin, exc_info=True)
