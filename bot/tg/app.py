"""Builds the Application: every handler and every job is registered here, and only here.

Other modules of bot/tg export handlers and jobs and never import this one, so imports run
one way (app → handlers → services → context).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.messages import Texts
from bot.tg import (
    cases,
    cluster,
    faults,
    firm,
    group,
    handlers,
    inline,
    intake,
    learn,
    outbox,
    reload,
    webhook,
)
from bot.tg.context import BotData, Brain, ChatData, UserData
from bot.tg.handoff import Handoff
from bot.tg.throttle import ChatRateLimiter, PerChatUpdateProcessor
from bot.tg.updates import UpdatesRequest

log = logging.getLogger(__name__)

# The command menu, in this order; descriptions from knowledge/messages.yaml (command.*).
COMMANDS = ("start", "topics", "lawyer", "mycases", "privacy", "forget", "cancel", "help")


def commands(texts: Texts) -> list[BotCommand]:
    return [BotCommand(name, texts.plain(f"command.{name}")) for name in COMMANDS]


AnyApp = Application[Any, Any, Any, Any, BotData, Any]


async def _post_init(app: AnyApp) -> None:
    """After getMe: open the database, join the instances, recover the outbox, start the jobs,
    publish the commands."""
    bot_data = app.bot_data
    bot_data.startup_phase = "setup"
    handoff = bot_data.require_handoff()
    storage = handoff.open()
    bot_data.storage = storage
    storage.learning.set_log_salt(bot_data.settings.log_salt)
    await outbox.recover(handoff)
    await cluster.start(app.bot, bot_data)
    schedule_jobs(app)
    me = await app.bot.get_me()
    bot_data.bot_username = me.username or ""
    brain = bot_data.require_brain()
    await app.bot.set_my_commands(commands(brain.texts("zh")))
    await app.bot.set_my_commands(commands(brain.texts("en")), language_code="en")
    log.info("bot @%s ready with %d entries", me.username, len(bot_data.require_brain().kb.entries))
    bot_data.startup_phase = "updates"


async def _post_shutdown(app: AnyApp) -> None:
    """Leave the instances and close the database (the jobs have stopped by now)."""
    cluster.stop(app.bot_data)
    app.bot_data.require_handoff().close()
    app.bot_data.storage = None


def build_application(settings: Settings, kb: KnowledgeBase) -> AnyApp:
    """The production Application; tests build it the same way, pointed at a local server."""
    context_types = ContextTypes(bot_data=BotData, user_data=UserData, chat_data=ChatData)
    app: AnyApp = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .get_updates_request(UpdatesRequest())
        .context_types(context_types)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        # Telegram allows ~30 messages/s overall, 20/min per group and ~1/s per chat; queue
        # rather than hit 429. The overall and group rates are shared among the running
        # instances (bot/tg/cluster.py gives each 1/N of SEND_RATE). Waiting for one chat must
        # not stall the others, hence updates run concurrently across chats and in order
        # within a chat (bot/tg/throttle.py).
        .rate_limiter(ChatRateLimiter(overall_max_rate=settings.send_rate, max_retries=3))
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    app.bot_data.settings = settings
    app.bot_data.brain = Brain.build(kb, settings)
    app.bot_data.handoff = Handoff(settings)
    app.bot_data.handoff.words = lambda: app.bot_data.require_brain().texts()
    reload.remember_stamp(app.bot_data)
    register_handlers(app)
    return app


def _no_data(_data: object) -> bool:
    return False  # PTB asks a pattern only about callbacks that carry data: those are not for the guard


def register_handlers(app: AnyApp) -> None:
    """Every handler, in order: a lower group runs first; within a group the first match wins.

    Edits never reach the handlers of new messages: `handlers.on_edit` alone deals with them.
    """
    settings = app.bot_data.settings
    private = filters.ChatType.PRIVATE
    new = filters.UpdateType.MESSAGE

    # -3: a callback without data matches every pattern in PTB; answered here, once, for all.
    app.add_handler(CallbackQueryHandler(handlers.callback_without_data, pattern=_no_data), group=-3)
    # -2: replies that belong to an enquiry, relayed (in the firm chat, every reply to the bot
    # is relayed or answered there, never taken for a question); they stop further handling.
    if settings.firm_chat_id is not None:
        firm_replies = filters.Chat(settings.firm_chat_id) & filters.REPLY & ~filters.COMMAND
        app.add_handler(MessageHandler(firm_replies, firm.firm_reply), group=-2)
    app.add_handler(
        MessageHandler(new & private & filters.REPLY & ~filters.COMMAND, cases.user_followup), group=-2
    )
    # -1: typed input while the lawyer form is open.
    form_input = new & private & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND
    app.add_handler(MessageHandler(form_input, intake.on_input), group=-1)

    commands = [
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("topics", handlers.topics_command),
        ("privacy", handlers.privacy_command),
        ("lawyer", intake.lawyer_command),
        ("cancel", intake.cancel_command),
        ("mycases", cases.mycases_command),
        ("forget", cases.forget_command),
        ("resend", cases.resend_command),
        ("answer", group.answer_command),
        # /stats and /gaps answer ADMIN_IDS only (others, even with the command, get nothing).
        ("stats", learn.stats_command),
        ("gaps", learn.gaps_command),
    ]
    for name, callback in commands:
        app.add_handler(CommandHandler(name, callback, filters=new))
    # /reload: ADMIN_IDS only (others fall through to the unknown-command reply below);
    # non-blocking, so questions are answered while it rebuilds.
    admins = filters.User(user_id=settings.admin_ids)
    app.add_handler(CommandHandler("reload", reload.reload_command, filters=new & admins, block=False))

    app.add_handler(CallbackQueryHandler(intake.lawyer_button, pattern=r"^l(:q)?$"))
    app.add_handler(CallbackQueryHandler(handlers.thread_button, pattern=r"^h:"))
    app.add_handler(CallbackQueryHandler(intake.on_button, pattern=r"^i:"))
    app.add_handler(CallbackQueryHandler(firm.on_button, pattern=r"^e:"))
    app.add_handler(CallbackQueryHandler(cases.followup_button, pattern=r"^f:"))
    app.add_handler(CallbackQueryHandler(cases.forget_button, pattern=r"^g:"))
    app.add_handler(CallbackQueryHandler(learn.feedback_button, pattern=r"^v:"))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.chosen_result))

    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, handlers.on_edit)
    )
    app.add_handler(MessageHandler(new & filters.TEXT & ~filters.COMMAND, handlers.on_text))
    # Unknown commands, and everything without text (stickers, photos, voice, files, places);
    # edits (a live location's every move) get nothing.
    app.add_handler(MessageHandler(new & filters.COMMAND & private, handlers.help_command))
    app.add_handler(MessageHandler(new & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.on_non_text))
    app.add_error_handler(handlers.error_handler)


def schedule_jobs(app: AnyApp) -> None:
    """Every repeating job, by name; called once the database is open."""
    jq = app.job_queue
    if jq is None:
        raise RuntimeError("the bot needs the job queue (python-telegram-bot[job-queue])")
    settings = app.bot_data.settings
    config = app.bot_data.require_handoff().config
    jq.run_repeating(outbox.outbox_job, config.outbox_interval, first=0, name=outbox.OUTBOX_JOB)
    jq.run_repeating(
        cluster.heartbeat_job, config.heartbeat_interval, first=config.heartbeat_interval, name=cluster.HEARTBEAT_JOB
    )
    jq.run_repeating(outbox.housekeeping_job, config.housekeeping_interval, first=1, name="housekeeping")
    jq.run_repeating(learn.purge_job, config.housekeeping_interval, first=1, name=learn.PURGE_JOB)
    interval = settings.knowledge_watch_seconds
    if interval > 0:
        jq.run_repeating(reload.watch_knowledge, interval, first=interval, name=reload.WATCH_JOB, data={})


def _run(app: AnyApp, settings: Settings, webhook: bool, start: Callable[[], None]) -> None:
    """Run until stopped; a known start-up fault becomes a StartupFault with its one line."""
    # Everything built so far (knowledge base, matcher indexes, the library) lives as long as
    # the process: keep it out of the garbage collector's full passes, which otherwise stall
    # the event loop for tens of milliseconds between a send's rate-limit slot and the send.
    gc.freeze()
    try:
        start()
    except Exception as exc:
        line = faults.explain(exc, settings, app.bot_data.startup_phase, webhook)
        if line is None:
            raise
        raise faults.StartupFault(line) from exc


def run_polling(settings: Settings, kb: KnowledgeBase) -> None:
    """Long polling until SIGINT/SIGTERM, then a clean shutdown."""
    app = build_application(settings, kb)
    _run(
        app,
        settings,
        False,
        lambda: app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False),
    )


def run_webhook(settings: Settings, kb: KnowledgeBase) -> None:
    """Our webhook server for a `web` process (bot/tg/webhook.py: /telegram and /healthz)."""
    app = build_application(settings, kb)
    _run(app, settings, True, lambda: asyncio.run(webhook.serve(app, settings)))
