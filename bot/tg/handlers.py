"""Short handlers: read the update, ask the core, send the reply."""

from __future__ import annotations

import asyncio
import html
import logging

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.core.dialog import Reply
from bot.core.privacy import mask_pii
from bot.core.render import split_message
from bot.tg import learn
from bot.tg.context import NO_MATCH, Answered, Context
from bot.tg.replies import edit_or_send, keyboard, send_reply

log = logging.getLogger(__name__)


def _english(update: Update) -> bool:
    user = update.effective_user
    return bool(user and user.language_code and user.language_code.lower().startswith("en"))


def _is_private(chat: Chat | None) -> bool:
    return chat is not None and chat.type == ChatType.PRIVATE


def addressed_text(message: Message, bot_username: str, bot_id: int) -> str | None:
    """In groups, the question if the bot was addressed (mention or reply to it), else None.

    A mention is one of the message's `mention` entities naming exactly this bot: Telegram
    marks them, so `@somebot_fake` never counts as `@somebot`.
    """
    text = message.text or ""
    if _is_private(message.chat):
        return text
    mention = f"@{bot_username}".lower() if bot_username else ""
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        if mention and value.lower() == mention:
            start = len(text.encode("utf-16-le")[: entity.offset * 2].decode("utf-16-le"))
            return (text[:start] + text[start + len(value) :]).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return text
    return None


def remember_answer(context: Context, reply: Reply) -> None:
    """Note which answer the user saw last, so the firm knows which one did not settle it."""
    if context.user_data is None:
        return
    if reply.kind == "answer" and reply.entry_id:
        context.user_data.last_answer = reply.entry_id
    elif reply.kind == "none":
        context.user_data.last_answer = NO_MATCH


def _answer_key(reply: Reply) -> tuple[object, ...]:
    """What makes two replies to a question the same reply."""
    return (reply.kind, reply.entry_id, reply.buttons)


async def start(update: Update, context: Context) -> None:
    """/start: welcome with topic buttons, or a deep-linked answer (/start <entry id>)."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else None
    reply = context.bot_data.require_brain().dialog.start(payload, "en" if _english(update) else "zh")
    remember_answer(context, reply)
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
    if context.chat_data is not None:
        parts = len(split_message(reply.text))
        context.chat_data.remember(message.message_id, Answered(sent.message_id, parts, _answer_key(reply)))


async def on_edit(update: Update, context: Context) -> None:
    """An edited question: answered again only if the answer changes, by editing the earlier one.

    Edits of messages the bot did not answer (relays, form input, anything from before a
    restart) are left alone, so a corrected typo never brings a second reply.
    """
    message = update.edited_message
    if message is None or not message.text or context.chat_data is None:
        return
    earlier = context.chat_data.answers.get(message.message_id)
    text = addressed_text(message, context.bot_data.bot_username, context.bot.id)
    if earlier is None or text is None or not text.strip():
        return
    reply = await asyncio.to_thread(context.bot_data.require_brain().dialog.ask, text)  # CPU work
    key = _answer_key(reply)
    if key == earlier.key:
        return
    remember_answer(context, reply)
    parts = split_message(reply.text)
    if len(parts) == 1 and earlier.parts == 1:
        try:
            await context.bot.edit_message_text(
                parts[0], message.chat.id, earlier.answer_message_id, reply_markup=keyboard(reply)
            )
            context.chat_data.remember(message.message_id, Answered(earlier.answer_message_id, 1, key))
            return
        except BadRequest as exc:  # too old or deleted: answer anew below
            log.info("could not edit the earlier answer: %s", exc.message)
    sent = await send_reply(message, reply, quote=True)
    context.chat_data.remember(message.message_id, Answered(sent.message_id, len(parts), key))


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
    if reply is None:  # "l": the intake's own handler is registered before this one
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


async def callback_without_data(update: Update, context: Context) -> None:
    """A button press that carries no data: refused before any other handler sees it."""
    if update.callback_query is not None:
        await update.callback_query.answer("按钮已失效")
    raise ApplicationHandlerStop


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
