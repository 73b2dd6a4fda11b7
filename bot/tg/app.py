"""Builds the Application and registers every handler, in one place."""

from __future__ import annotations

import logging
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
from bot.tg import group, handlers, handoff, inline, learn, reload
from bot.tg.context import BotData, Brain
from bot.tg.throttle import ChatRateLimiter, PerChatUpdateProcessor

log = logging.getLogger(__name__)

COMMANDS_ZH = [
    BotCommand("start", "开始 / 常见问题"),
    BotCommand("topics", "按主题浏览"),
    BotCommand("lawyer", "联系律师"),
    BotCommand("mycases", "我的律师咨询"),
    BotCommand("privacy", "隐私说明与删除数据"),
    BotCommand("forget", "删除我的数据"),
    BotCommand("cancel", "取消正在填写的内容"),
    BotCommand("help", "使用说明"),
]
COMMANDS_EN = [
    BotCommand("start", "Start / common questions"),
    BotCommand("topics", "Browse topics"),
    BotCommand("lawyer", "Contact a lawyer"),
    BotCommand("mycases", "My enquiries to the lawyers"),
    BotCommand("privacy", "Privacy and deleting your data"),
    BotCommand("forget", "Delete my data"),
    BotCommand("cancel", "Cancel what I am filling in"),
    BotCommand("help", "How to use this bot"),
]

AnyApp = Application[Any, Any, Any, Any, BotData, Any]


async def _post_init(app: AnyApp) -> None:
    await handoff.start(app)
    await learn.start(app)
    me = await app.bot.get_me()
    app.bot_data.bot_username = me.username or ""
    await app.bot.set_my_commands(COMMANDS_ZH)
    await app.bot.set_my_commands(COMMANDS_EN, language_code="en")
    log.info("bot @%s ready with %d entries", me.username, len(app.bot_data.require_brain().kb.entries))


def build_application(settings: Settings, kb: KnowledgeBase) -> AnyApp:
    """The production Application; tests build it the same way, pointed at a local server."""
    context_types = ContextTypes(bot_data=BotData)
    app: AnyApp = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(context_types)
        .defaults(
            Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
        )
        # Telegram allows ~30 messages/s overall, 20/min per group and ~1/s per chat; queue
        # rather than hit 429. Waiting for one chat must not stall the others, hence updates
        # run concurrently across chats and in order within a chat (bot/tg/throttle.py).
        .rate_limiter(ChatRateLimiter(max_retries=3))
        .concurrent_updates(PerChatUpdateProcessor())
        .post_init(_post_init)
        .post_shutdown(handoff.stop)
        .build()
    )
    app.bot_data.settings = settings
    app.bot_data.brain = Brain.build(kb, settings)
    app.bot_data.handoff = handoff.Handoff(settings)
    register_handlers(app)
    return app


def register_handlers(app: AnyApp) -> None:
    """Every handler, in order; the first matching handler in a group wins."""
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("topics", handlers.topics_command))
    app.add_handler(CommandHandler("privacy", handlers.privacy_command))
    handoff.register_handlers(app)  # /lawyer, /mycases, /forget, /cancel, relays; before on_button
    # Staff and maintainer tools. /reload: ADMIN_IDS only (others fall through to the unknown-
    # command reply below); non-blocking, so questions are answered while it rebuilds.
    admins = filters.User(user_id=app.bot_data.settings.admin_ids)
    app.add_handler(CommandHandler("reload", reload.reload_command, filters=admins, block=False))
    app.add_handler(CommandHandler("answer", group.answer_command))
    app.add_handler(InlineQueryHandler(inline.inline_query))
    app.add_handler(ChosenInlineResultHandler(inline.chosen_result))
    reload.schedule_watch(app)
    # Learning from users: 👍/👎 under answers; /stats and /gaps answer ADMIN_IDS only (others,
    # even with the command, get nothing).
    app.add_handler(CallbackQueryHandler(learn.feedback_button, pattern=r"^v:"))
    app.add_handler(CommandHandler("stats", learn.stats_command))
    app.add_handler(CommandHandler("gaps", learn.gaps_command))
    app.add_handler(CallbackQueryHandler(handlers.on_button))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.on_text))
    # Unknown commands and everything without text (stickers, photos, voice, files, places).
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, handlers.help_command))
    app.add_handler(MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.on_non_text))
    app.add_error_handler(handlers.error_handler)


def run_polling(settings: Settings, kb: KnowledgeBase) -> None:
    """Long polling until SIGINT/SIGTERM, then a clean shutdown."""
    app = build_application(settings, kb)
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)


def run_webhook(settings: Settings, kb: KnowledgeBase) -> None:
    """Webhook server for a `web` process; Telegram must send the secret token on every call."""
    app = build_application(settings, kb)
    url_path = "telegram"
    app.run_webhook(
        listen=settings.webhook_listen,
        port=settings.port,
        url_path=url_path,
        webhook_url=f"{settings.webhook_url.rstrip('/')}/{url_path}",
        secret_token=settings.webhook_secret,
        allowed_updates=Update.ALL_TYPES,
    )
