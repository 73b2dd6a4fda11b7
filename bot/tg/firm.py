"""The firm's intake chat: take/close buttons and lawyers' replies relayed to the borrower.

Only members of the firm chat (or ADMIN_IDS) can act; everyone else is ignored. Nothing here
reads `forward_from`: a reply is matched to its enquiry through the stored message links.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.core.handoff import firm_card, relay_to_user, status_notice
from bot.storage.base import EnquiryStatus
from bot.tg.context import Context
from bot.tg.handoff import Handoff, kick
from bot.tg.replies import keyboard

log = logging.getLogger(__name__)

_ACTION = re.compile(r"^e:([tx]):(\d{1,12})$")


def _handoff(context: Context) -> Handoff:
    return context.bot_data.require_handoff()


async def on_button(update: Update, context: Context) -> None:
    """✋ take / ✅ close on an enquiry card."""
    query = update.callback_query
    if query is None:
        return
    handoff = _handoff(context)
    m = _ACTION.match(query.data or "")
    message = query.message
    in_firm_chat = isinstance(message, Message) and message.chat.id == handoff.settings.firm_chat_id
    if m is None or not in_firm_chat:
        await query.answer("按钮已失效")
        return
    if not await handoff.is_firm_member(context.bot, query.from_user.id):
        log.warning("firm button pressed by a non-member (user %s); ignored", query.from_user.id)
        await query.answer("仅限律所成员操作", show_alert=True)
        return
    storage = handoff.db()
    enquiry = storage.enquiry(int(m.group(2)))
    if enquiry is None:
        await query.answer("该咨询已删除（用户已删除数据或已过保存期限）", show_alert=True)
        return
    if enquiry.status == "closed":
        await query.answer("已结案")
        return
    status: EnquiryStatus = "taken" if m.group(1) == "t" else "closed"
    if status == "taken" and enquiry.status != "open":
        await query.answer(f"已由 {enquiry.handled_by or '其他律师'} 接手")
        return
    updated = storage.set_status(enquiry.id, status, query.from_user.full_name, handoff.now())
    assert updated is not None
    storage.enqueue("user", "text", {"text": status_notice(updated)}, handoff.now(), updated)
    kick(context)
    log.info("enquiry #%s %s", updated.ref, status)
    await query.answer("已接手" if status == "taken" else "已结案")
    if updated.firm_message_id is not None and updated.firm_chat_id is not None:
        card = firm_card(updated)
        await context.bot.edit_message_text(
            card.text, updated.firm_chat_id, updated.firm_message_id, reply_markup=keyboard(card)
        )


async def lawyer_reply(update: Update, context: Context) -> None:
    """A reply, in the firm chat, to a message of an enquiry: relay it to the borrower."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or message.from_user is None:
        return
    handoff = _handoff(context)
    storage = handoff.db()
    enquiry = storage.linked_enquiry(message.chat.id, message.reply_to_message.message_id, "firm")
    if enquiry is None:
        return  # an ordinary conversation in the firm chat
    if message.from_user.is_bot or not await handoff.is_firm_member(context.bot, message.from_user.id):
        log.warning(
            "reply on enquiry #%s from a non-member (user %s); ignored", enquiry.ref, message.from_user.id
        )
        raise ApplicationHandlerStop
    if enquiry.status == "closed":
        await message.reply_text(
            f"咨询 #{enquiry.ref} 已结案，没有转达。如需继续，请让用户重新提交 /lawyer。"
        )
        raise ApplicationHandlerStop
    payload: dict[str, Any]
    ack = [message.chat.id, message.message_id]
    if message.text:
        payload = {"text": relay_to_user(enquiry, message.text), "ack": ack, "followup_button": True}
        storage.enqueue("user", "text", payload, handoff.now(), enquiry)
    else:
        payload = {
            "from_chat_id": message.chat.id,
            "message_id": message.message_id,
            "caption": relay_to_user(enquiry, message.caption),
            "ack": ack,
            "followup_button": True,
        }
        storage.enqueue("user", "copy", payload, handoff.now(), enquiry)
    if enquiry.status in ("open", "taken"):
        storage.set_status(enquiry.id, "answered", message.from_user.full_name, handoff.now())
    log.info("lawyer reply queued for enquiry #%s", enquiry.ref)
    kick(context)
    raise ApplicationHandlerStop
