"""The firm's intake chat: take/close buttons and replies to the bot's messages.

Only members of the firm chat (or ADMIN_IDS) can act; everyone else is ignored. A reply to
one of the bot's messages is matched to its enquiry through the stored message links (never
`forward_from`) and relayed to the borrower; a reply to anything else the bot posted there is
answered "这条消息不属于任何咨询" — never with an FAQ answer. A card whose delivery was never
recorded (the send was interrupted) still carries its take/close buttons: the enquiry id in
them is trusted for a message the bot itself sent no earlier than the enquiry was created
(ids of deleted enquiries are reused by SQLite), and the card is adopted.
"""

from __future__ import annotations

import logging
import re

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.core.handoff import Copy, Enquiry, MessageRef, Text
from bot.core.handoff_texts import firm_card, not_routed, relay_to_user, status_notice
from bot.storage.base import EnquiryStatus
from bot.tg.context import Context
from bot.tg.handoff import Handoff
from bot.tg.outbox import enqueue, kick
from bot.tg.replies import keyboard

log = logging.getLogger(__name__)

_ACTION = re.compile(r"^e:([tx]):(\d{1,12})$")
CLOCK_SKEW = 2.0  # seconds between our clock and Telegram's that a card's date may be off


def _handoff(context: Context) -> Handoff:
    return context.bot_data.require_handoff()


def _card_id(message: Message) -> int | None:
    """The enquiry id in the take/close buttons of one of our cards, if it has them."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            m = _ACTION.match(button.callback_data) if isinstance(button.callback_data, str) else None
            if m:
                return int(m.group(2))
    return None


def card_enquiry(handoff: Handoff, message: Message, claimed: int | None) -> Enquiry | None:
    """The enquiry a bot message in the firm chat belongs to: linked, or an unrecorded card adopted."""
    storage = handoff.db()
    linked = storage.linked_enquiry(message.chat.id, message.message_id, "firm")
    if linked is not None:
        return linked if claimed is None or linked.id == claimed else None
    if claimed is None:
        return None
    enquiry = storage.enquiry(claimed)
    if enquiry is None or message.date.timestamp() < enquiry.created_at - CLOCK_SKEW:
        return None  # deleted, or a card of an earlier enquiry that had the same id
    log.info("card of enquiry #%s found unrecorded in the firm chat: adopted", enquiry.ref)
    return storage.adopt_card(enquiry.id, message.chat.id, message.message_id, handoff.now())


async def on_button(update: Update, context: Context) -> None:
    """✋ take / ✅ close on an enquiry card."""
    query = update.callback_query
    if query is None:
        return
    handoff = _handoff(context)
    m = _ACTION.match(query.data or "")
    message = query.message
    if m is None or not isinstance(message, Message) or message.chat.id != handoff.settings.firm_chat_id:
        await query.answer(handoff.texts().plain("invalid.toast"))
        return
    t = handoff.texts()
    if not await handoff.is_firm_member(context.bot, query.from_user.id):
        log.warning("firm button pressed by a non-member (user %s); ignored", query.from_user.id)
        await query.answer(t.plain("firm.members_only"), show_alert=True)
        return
    storage = handoff.db()
    enquiry = card_enquiry(handoff, message, int(m.group(2)))
    if enquiry is None:
        await query.answer(t.plain("firm.deleted"), show_alert=True)
        return
    if enquiry.status == "closed":
        await query.answer(t.plain("firm.closed"))
        return
    status: EnquiryStatus = "taken" if m.group(1) == "t" else "closed"
    if status == "taken" and enquiry.status != "open":
        await query.answer(t.plain("firm.taken_by", who=enquiry.handled_by or t.plain("firm.another_lawyer")))
        return
    updated = storage.set_status(enquiry.id, status, query.from_user.full_name, handoff.now())
    assert updated is not None
    enqueue(storage, "user", Text(status_notice(updated, t)), handoff.now(), updated)
    kick(context)
    log.info("enquiry #%s %s", updated.ref, status)
    await query.answer(t.plain("firm.taken" if status == "taken" else "firm.closed"))
    card = firm_card(updated, t)
    await message.edit_text(card.text, reply_markup=keyboard(card))


async def firm_reply(update: Update, context: Context) -> None:
    """A message in the firm chat that replies to one of the bot's: relay it, or say why not.

    Lawyers replying to each other are left alone; an edit is never relayed (send a new reply).
    """
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if (
        message is None
        or replied is None
        or replied.from_user is None
        or replied.from_user.id != context.bot.id
    ):
        return
    if replied.forum_topic_created is not None:  # in a forum topic, every message "replies" to its start
        return
    if update.edited_message is not None:
        raise ApplicationHandlerStop
    sender = message.from_user
    handoff = _handoff(context)
    if sender is None or sender.is_bot or not await handoff.is_firm_member(context.bot, sender.id):
        log.warning(
            "reply to the bot in the firm chat from a non-member (user %s); ignored", sender and sender.id
        )
        raise ApplicationHandlerStop
    storage = handoff.db()
    t = handoff.texts()
    enquiry = card_enquiry(handoff, replied, _card_id(replied))
    if enquiry is None:
        if storage.is_notice(replied.chat.id, replied.message_id):
            text = not_routed("notice", t)
        else:
            text = not_routed("deleted" if _card_id(replied) is not None else "unknown", t)
        await _answer(handoff, message, text)
        raise ApplicationHandlerStop
    if enquiry.status == "closed":
        await _answer(handoff, message, t("firm.closed_not_relayed", ref=enquiry.ref))
        raise ApplicationHandlerStop
    origin = MessageRef(message.chat.id, message.message_id)
    relayed = relay_to_user(enquiry, message.text or message.caption, t)
    if message.text:
        payload: Text | Copy = Text(relayed, origin, ack=True, reply_button=True)
    else:
        source = MessageRef(message.chat.id, message.message_id)
        payload = Copy(source, relayed, origin, ack=True, reply_button=True)
    enqueue(storage, "user", payload, handoff.now(), enquiry)
    if enquiry.status in ("open", "taken"):
        storage.set_status(enquiry.id, "answered", sender.full_name, handoff.now())
    log.info("lawyer reply queued for enquiry #%s", enquiry.ref)
    kick(context)
    raise ApplicationHandlerStop


async def _answer(handoff: Handoff, message: Message, text: str) -> None:
    """Reply in the firm chat, and remember the reply as a notice (a reply to it is not relayed)."""
    sent = await message.reply_text(text)
    handoff.db().record_notice(sent.chat.id, sent.message_id, handoff.now())
