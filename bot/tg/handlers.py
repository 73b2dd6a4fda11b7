"""Short handlers: read the update, ask the core, send the reply."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Chat, Message, Update
from telegram.constants import ChatType

from bot.core.privacy import mask_pii
from bot.tg import learn
from bot.tg.context import Context
from bot.tg.handoff import remember_answer
from bot.tg.replies import edit_or_send, send_reply

log = logging.getLogger(__name__)


def _english(update: Update) -> bool:
    user = update.effective_user
    return bool(user and user.language_code and user.language_code.lower().startswith("en"))


def _is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """In groups, the question if the bot was addressed (mention or reply to it), else None."""
    text = message.text or ""
    if _is_private(message.chat):
        return text
    mention = f"@{bot_username}".lower() if bot_username else ""
    if mention and mention in text.lower():
        start = text.lower().index(mention)
        return (text[:start] + text[start + len(mention) :]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


async def start(update: Update, context: Context) -> None:
    """/start: welcome with topic buttons, or a deep-linked answer (/start <entry id>)."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else None
    reply = context.bot_data.require_brain().dialog.start(payload, english=_english(update))
    await send_reply(message, reply)


async def help_command(update: Update, context: Context) -> None:
    """/help: how to use the bot."""
    if update.effective_message:
        await send_reply(update.effective_message, context.bot_data.require_brain().dialog.help())


async def topics_command(update: Update, context: Context) -> None:
    """/topics: browse all topics."""
    if update.effective_message:
        await send_reply(update.effective_message, context.bot_data.require_brain().dialog.topics_menu(0))


async def privacy_command(update: Update, context: Context) -> None:
    """/privacy: what is stored and how to delete it."""
    if update.effective_message:
        days = context.bot_data.settings.retention_days
        await send_reply(update.effective_message, context.bot_data.require_brain().dialog.privacy(days))


async def on_text(update: Update, context: Context) -> None:
    """A typed question: answer, "did you mean", or a polite fallback."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = addressed_text(message, context.bot_data.bot_username, context.bot.id)
    if text is None:
        return
    brain = context.bot_data.require_brain()
    if not text.strip():
        await send_reply(message, brain.dialog.help())
        return
    # Matching is CPU work (tens of milliseconds with the semantic model): off the event loop,
    # so other chats' replies are not held up (and leave when our rate limiter lets them).
    reply = await asyncio.to_thread(brain.dialog.ask, text)
    if reply.match is not None:
        log.info(
            "question decision=%s entry=%s score=%.3f len=%d",
            reply.match.decision,
            reply.match.best.entry if reply.match.best else None,
            reply.match.score,
            len(text),
        )
    remember_answer(context, reply)
    sent = await send_reply(message, reply, quote=not _is_private(message.chat))
    learn.record_question(context, update, text, reply, sent)


async def on_non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, documents, locations: ask for a typed question."""
    message = update.effective_message
    if message is None or not _is_private(message.chat):
        return
    await send_reply(message, context.bot_data.require_brain().dialog.non_text())


async def on_button(update: Update, context: Context) -> None:
    """An inline button: answers, "did you mean" choices, topic paging; forged data is refused."""
    query = update.callback_query
    if query is None:
        return
    brain = context.bot_data.require_brain()
    reply = brain.dialog.act(query.data)
    if reply is None:  # "l": the hand-off's own handler (bot/tg/handoff.py) runs before this one
        await query.answer()
        return
    if reply.kind == "invalid":
        log.warning("refused callback data %r", mask_pii(str(query.data))[:80])
        # A short notice on the button is enough; a forged payload gets no further reply.
        await query.answer("按钮已失效", show_alert=False)
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message):  # too old to reach, or an inline message
        return
    if reply.kind == "menu":
        await edit_or_send(message, reply)
    else:
        remember_answer(context, reply)
        await send_reply(message, reply)
        learn.record_choice(context, update, reply)


async def error_handler(update: object, context: Context) -> None:
    """Log first; then, if a user was waiting, tell them briefly. Never raises."""
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and _is_private(update.effective_chat):
        try:
            await update.effective_message.reply_text(
                html.escape("抱歉，处理您的消息时出了点问题。请稍后再试，或发送 /help。")
            )
        except Exception:  # the network may be what failed; the log above already has it
            log.warning("could not tell the user about the error", exc_info=True)
