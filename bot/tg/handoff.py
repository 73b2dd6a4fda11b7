"""The hand-off to the law firm: its service object, lifecycle and handler registration.

Pieces: `intake` (the borrower's form), `outbox` (durable delivery with retries), `firm`
(the firm's chat: take/close, lawyers' replies relayed back) and `cases` (follow-ups,
/mycases, /forget, /resend). They share one `Handoff` in `bot_data.handoff` and the storage in
`bot_data.storage`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.config import Settings
from bot.core.dialog import Reply
from bot.core.privacy import mask_pii
from bot.storage import Database, EnquiryStore, open_for_bot

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.tg.context import BotData, Context

log = logging.getLogger(__name__)

LAST_ANSWER = "last_answer"  # user_data key: the title of the last answer the user saw


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


@dataclass
class Handoff:
    settings: Settings
    config: HandoffConfig = field(default_factory=HandoffConfig)
    storage: Database | None = None
    firm_is_forum: bool | None = None
    firm_down_alerted: bool = False
    _members: dict[int, float] = field(default_factory=dict)
    _lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

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


def remember_answer(context: Context, reply: Reply) -> None:
    """Note what the user saw last, so the firm knows which answer did not settle it."""
    if context.user_data is None:
        return
    if reply.kind == "answer" and reply.text:
        context.user_data[LAST_ANSWER] = reply.text.split("\n", 1)[0].replace("<b>", "").replace("</b>", "")
    elif reply.kind == "none":
        context.user_data[LAST_ANSWER] = "（机器人没有找到匹配的回答）"


def kick(context: Context) -> None:
    """Run the outbox now rather than at its next tick."""
    from bot.tg.outbox import outbox_job

    if context.job_queue is not None:
        context.job_queue.run_once(outbox_job, 0, name="outbox-now")


async def start(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """post_init: open the database (migrating a SQLite file), recover interrupted sends, start the jobs."""
    from bot.tg.outbox import housekeeping_job, outbox_job, recover

    handoff = app.bot_data.require_handoff()
    storage = open_for_bot(handoff.settings.database)  # short; same thread as every later call
    handoff.storage = storage
    app.bot_data.storage = storage
    log.info("database %s at schema version %d", handoff.settings.database_description, storage.schema_version())
    if handoff.settings.firm_chat_id is None:
        log.warning("FIRM_CHAT_ID is not set: enquiries are stored and queued until it is")
    await recover(app.bot, handoff)
    jq = app.job_queue
    if jq is None:
        raise RuntimeError("the hand-off needs the job queue (python-telegram-bot[job-queue])")
    jq.run_repeating(outbox_job, handoff.config.outbox_interval, first=0, name="outbox")
    jq.run_repeating(housekeeping_job, handoff.config.housekeeping_interval, first=1, name="housekeeping")


async def stop(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """post_shutdown: close the database (the jobs have stopped by now)."""
    handoff = app.bot_data.require_handoff()
    if handoff.storage is not None:
        handoff.storage.close()
        handoff.storage = None
        app.bot_data.storage = None


def register_handlers(app: Application[Any, Any, Any, Any, BotData, Any]) -> None:
    """/lawyer, /mycases, /forget, /cancel, /resend, their buttons and the two relays.

    Groups: -2 relays (a reply to a linked message), -1 the intake form's typed input; both
    stop further handling only when they consumed the message. The rest is in group 0 and
    must come before the generic button handler.
    """
    from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

    from bot.tg import cases, firm, intake

    settings: Settings = app.bot_data.settings
    private = filters.ChatType.PRIVATE
    if settings.firm_chat_id is not None:
        app.add_handler(
            MessageHandler(
                filters.Chat(settings.firm_chat_id) & filters.REPLY & ~filters.COMMAND, firm.lawyer_reply
            ),
            group=-2,
        )
    app.add_handler(MessageHandler(private & filters.REPLY & ~filters.COMMAND, cases.user_followup), group=-2)
    app.add_handler(
        MessageHandler(private & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND, intake.on_input), group=-1
    )
    app.add_handler(CommandHandler("lawyer", intake.lawyer_command))
    app.add_handler(CommandHandler("cancel", intake.cancel_command))
    app.add_handler(CommandHandler("mycases", cases.mycases_command))
    app.add_handler(CommandHandler("forget", cases.forget_command))
    app.add_handler(CommandHandler("resend", cases.resend_command))
    app.add_handler(CallbackQueryHandler(intake.lawyer_button, pattern=r"^l$"))
    app.add_handler(CallbackQueryHandler(intake.on_button, pattern=r"^i:"))
    app.add_handler(CallbackQueryHandler(firm.on_button, pattern=r"^e:"))
    app.add_handler(CallbackQueryHandler(cases.followup_button, pattern=r"^f:"))
    app.add_handler(CallbackQueryHandler(cases.forget_button, pattern=r"^g:"))
