"""Short handlers: read the update, ask the core, send the reply."""

from __future__ import annotations

import asyncio
import logging

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop

from bot.core import thread
from bot.core.dialog import Reply
from bot.core.privacy import mask_pii
from bot.core.render import split_message
from bot.storage import Enquiry, StorageUnavailable
from bot.tg import edits, learn
from bot.tg.cases import queue_followup
from bot.tg.context import NO_MATCH, Context, lang_of
from bot.tg.replies import edit_or_send, keyboard, send_reply

log = logging.getLogger(__name__)


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


async def start(update: Update, context: Context) -> None:
    """/start: welcome with topic buttons, or a deep-linked answer (/start <entry id>)."""
    message = update.effective_message
    if message is None:
        return
    payload = context.args[0] if context.args else None
    reply = context.bot_data.require_brain().dialog.start(payload, lang_of(update))
    remember_answer(context, reply)
    await send_reply(message, reply)


async def help_command(update: Update, context: Context) -> None:
    """/help: how to use the bot."""
    if update.effective_message:
        await send_reply(
            update.effective_message, context.bot_data.require_brain().dialog.help(lang_of(update))
        )


async def topics_command(update: Update, context: Context) -> None:
    """/topics: browse all topics."""
    if update.effective_message:
        menu = context.bot_data.require_brain().dialog.topics_menu(0, lang_of(update))
        await send_reply(update.effective_message, menu)


async def privacy_command(update: Update, context: Context) -> None:
    """/privacy: what is stored and how to delete it."""
    if update.effective_message:
        days = context.bot_data.settings.retention_days
        reply = context.bot_data.require_brain().dialog.privacy(days, lang_of(update))
        await send_reply(update.effective_message, reply)


async def on_text(update: Update, context: Context) -> None:
    """A typed question: answer, "did you mean", or a polite fallback."""
    message = update.effective_message
    if message is None or not message.text:
        return
    text = addressed_text(message, context.bot_data.bot_username, context.bot.id)
    if text is None:
        return
    brain = context.bot_data.require_brain()
    lang = lang_of(update)
    if not text.strip():
        await send_reply(message, brain.dialog.help(lang))
        return
    threads = _open_threads(context, update) if _is_private(message.chat) else []
    # Matching is CPU work (tens of milliseconds with the semantic model): off the event loop,
    # so other chats' replies are not held up (and leave when our rate limiter lets them).
    reply = await asyncio.to_thread(brain.dialog.ask, text, lang)
    if threads and thread.offer_to_lawyer(text, reply.match, threads):
        # Probably meant for the lawyer (after an answer, "好的，明天上午可以"): ask first.
        await _offer_thread(message, context, threads, lang)
        return
    await _send_answer(update, context, message, text, reply)


async def _send_answer(update: Update, context: Context, message: Message, text: str, reply: Reply) -> None:
    """Send the reply to a typed question; remember it (for the firm, for edits, for the log)."""
    if reply.match is not None:
        log.info(
            "question decision=%s entry=%s score=%.3f len=%d",
            reply.match.decision,
            reply.match.best.entry if reply.match.best else None,
            reply.match.score,
            len(text),
        )
    remember_answer(context, reply)
    if reply.kind == "none" and reply.match is not None and context.user_data is not None:
        context.user_data.unanswered = text  # the lawyer button under it carries these words
    sent = await send_reply(message, reply, quote=not _is_private(message.chat))
    learn.record_question(context, update, text, reply, sent)
    edits.remember(context, message, sent.message_id, len(split_message(reply.text)), reply)


async def on_edit(update: Update, context: Context) -> None:
    """An edited question: answered again only if the answer changes, by editing the earlier one.

    Edits of messages the bot did not answer (relays, form input) are left alone, so a
    corrected typo never brings a second reply. The memory is in the database (bot/tg/edits.py).
    """
    message = update.edited_message
    if message is None or not message.text:
        return
    text = addressed_text(message, context.bot_data.bot_username, context.bot.id)
    earlier = edits.earlier(context, message) if text is not None and text.strip() else None
    if earlier is None or text is None:
        return
    dialog = context.bot_data.require_brain().dialog
    reply = await asyncio.to_thread(dialog.ask, text, lang_of(update))  # CPU work
    if edits.same_answer(context, earlier, reply):
        return
    remember_answer(context, reply)
    parts = split_message(reply.text)
    if len(parts) == 1 and earlier.parts == 1:
        try:
            await context.bot.edit_message_text(
                parts[0], message.chat.id, earlier.answer_message_id, reply_markup=keyboard(reply)
            )
            edits.remember(context, message, earlier.answer_message_id, 1, reply)
            return
        except BadRequest as exc:  # too old or deleted: answer anew below
            log.info("could not edit the earlier answer: %s", exc.message)
    sent = await send_reply(message, reply, quote=True)
    edits.remember(context, message, sent.message_id, len(parts), reply)


async def on_non_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice, documents, locations: ask for a typed question (a photo while an
    enquiry is open is first offered to the lawyer)."""
    message = update.effective_message
    if message is None or not _is_private(message.chat):
        return
    lang = lang_of(update)
    threads = _open_threads(context, update) if message.photo else []
    if threads:
        await _offer_thread(message, context, threads, lang)
        return
    await send_reply(message, context.bot_data.require_brain().dialog.non_text(lang))


def _open_threads(context: Context, update: Update) -> list[Enquiry]:
    """The user's open enquiries with recent activity, newest first ([] if the database is down)."""
    user, handoff = update.effective_user, context.bot_data.handoff
    if user is None or handoff is None or handoff.storage is None:
        return []
    try:
        enquiries = handoff.db().enquiries_of(user.id)
    except StorageUnavailable as exc:
        context.bot_data.database_down(exc, "open enquiries")
        return []
    return thread.open_threads(enquiries, handoff.now())


async def _offer_thread(message: Message, context: Context, threads: list[Enquiry], lang: str) -> None:
    """ "发给律师（咨询 #REF）吗？" as a reply to the message it is about (the tap finds it there)."""
    t = context.bot_data.require_brain().texts("en" if lang == "en" else "zh")
    offer = thread.offer(threads, t)
    await message.reply_text(offer.text, reply_markup=keyboard(offer), do_quote=True)
    log.info("offered a message to the lawyer (%d open enquiries)", len(threads))


async def thread_button(update: Update, context: Context) -> None:
    """[发给律师] sends the message the offer replies to as a follow-up; [这是新问题] answers it."""
    query = update.callback_query
    if query is None:
        return
    t = context.bot_data.require_brain().texts(lang_of(update))
    choice = thread.parse(query.data)
    offer = query.message if isinstance(query.message, Message) else None
    original = offer.reply_to_message if offer is not None else None
    if choice is None or offer is None:
        await query.answer(t.plain("invalid.toast"))
        return
    if original is None or original.from_user is None or original.from_user.id != query.from_user.id:
        await query.answer(t.plain("thread.gone"), show_alert=True)
        return
    if choice == 0:  # a new question: answered as if the offer had not been made
        await query.answer()
        await offer.edit_reply_markup(None)
        if original.text:
            reply = await asyncio.to_thread(
                context.bot_data.require_brain().dialog.ask, original.text, lang_of(update)
            )
            await _send_answer(update, context, original, original.text, reply)
        else:
            await send_reply(original, context.bot_data.require_brain().dialog.non_text(lang_of(update)))
        return
    handoff = context.bot_data.require_handoff()
    enquiry = handoff.db().enquiry(choice)
    if enquiry is None or enquiry.user_id != query.from_user.id:
        await query.answer(t.plain("invalid.toast"))
        return
    await query.answer()
    if enquiry.status == "closed":
        await offer.edit_text(t("followup.closed", ref=enquiry.ref))
        return
    await queue_followup(context, original, enquiry)
    await offer.edit_text(t("thread.sent", ref=enquiry.ref))


async def on_button(update: Update, context: Context) -> None:
    """An inline button: answers, "did you mean" choices, topic paging; forged data is refused."""
    query = update.callback_query
    if query is None:
        return
    brain = context.bot_data.require_brain()
    lang = lang_of(update)
    reply = brain.dialog.act(query.data, lang)
    if reply is None:  # "l": the intake's own handler is registered before this one
        await query.answer()
        return
    if reply.kind == "invalid":
        log.warning("refused callback data %r", mask_pii(str(query.data))[:80])
        # A short notice on the button is enough; a forged payload gets no further reply.
        await query.answer(brain.texts(lang).plain("invalid.toast"), show_alert=False)
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
        await update.callback_query.answer(
            context.bot_data.require_brain().texts(lang_of(update)).plain("invalid.toast")
        )
    raise ApplicationHandlerStop


async def error_handler(update: object, context: Context) -> None:
    """Log first (a database outage once, not per update); then, if a user was waiting, tell them
    briefly (the hand-off is briefly unavailable, or something went wrong). Never raises."""
    down = isinstance(context.error, StorageUnavailable)
    if isinstance(context.error, StorageUnavailable):
        context.bot_data.database_down(context.error, "update")
        log.debug("database unavailable while handling an update", exc_info=context.error)
    else:
        log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_message and _is_private(update.effective_chat):
        try:
            brain = context.bot_data.brain
            key = "intake.unavailable" if down else "error"
            text = brain.texts(lang_of(update))(key) if brain is not None else "Sorry, something went wrong."
            await update.effective_message.reply_text(text)
        except Exception:  # the network may be what failed; the log above already has it
            log.warning("could not tell the user about the error", exc_info=True)
