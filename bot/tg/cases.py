"""The borrower's side of open enquiries: follow-ups, /mycases and /forget; and /resend for admins.

Enquiries are only ever shown in the borrower's own private chat; commands from groups get a
pointer, never data.
"""

from __future__ import annotations

import logging
import re

from telegram import ForceReply, Message, Update
from telegram.ext import ApplicationHandlerStop

from bot.core.handoff import Copy, Enquiry, MessageRef, Photo, Text
from bot.core.handoff_texts import firm_forget_notice, forget_done, forget_question, my_cases, relay_to_firm
from bot.core.messages import Texts
from bot.tg.context import Context, lang_of
from bot.tg.handoff import Handoff
from bot.tg.outbox import enqueue, kick
from bot.tg.replies import send_reply

log = logging.getLogger(__name__)

_FOLLOWUP = re.compile(r"^f:(\d{1,12})$")


def _handoff(context: Context) -> Handoff:
    return context.bot_data.require_handoff()


def _texts(context: Context, update: object) -> Texts:
    return context.bot_data.require_brain().texts(lang_of(update))


async def queue_followup(context: Context, message: Message, enquiry: Enquiry) -> None:
    """Pass the borrower's message on to the enquiry's thread in the firm chat, through the outbox."""
    firm_t = context.bot_data.require_brain().texts()  # the firm reads Chinese
    handoff = _handoff(context)
    origin = MessageRef(message.chat.id, message.message_id)
    payload: Text | Photo | Copy
    if message.text:
        payload = Text(relay_to_firm(enquiry, message.text, firm_t), origin)
    elif message.photo:
        payload = Photo(message.photo[-1].file_id, relay_to_firm(enquiry, message.caption, firm_t), origin)
    else:
        payload = Copy(origin, relay_to_firm(enquiry, message.caption, firm_t), origin)
    enqueue(handoff.db(), "firm", payload, handoff.now(), enquiry)
    log.info("follow-up queued for enquiry #%s", enquiry.ref)
    kick(context)


async def user_followup(update: Update, context: Context) -> None:
    """The borrower replied to a message of an enquiry: pass it on to the firm's thread."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    handoff = _handoff(context)
    storage = handoff.db()
    enquiry = storage.linked_enquiry(message.chat.id, message.reply_to_message.message_id, "user")
    if enquiry is None or enquiry.user_id != user.id:
        return  # not about an enquiry: the normal handlers answer it
    t = _texts(context, update)
    if enquiry.status == "closed":
        await message.reply_text(t("followup.closed", ref=enquiry.ref))
        raise ApplicationHandlerStop
    await queue_followup(context, message, enquiry)
    await message.reply_text(t("thread.sent", ref=enquiry.ref))
    raise ApplicationHandlerStop


async def followup_button(update: Update, context: Context) -> None:
    """✍️ under a receipt or a lawyer's reply: ask for the follow-up as a reply."""
    query = update.callback_query
    if query is None:
        return
    m = _FOLLOWUP.match(query.data or "")
    handoff = _handoff(context)
    enquiry = handoff.db().enquiry(int(m.group(1))) if m else None
    t = _texts(context, update)
    if enquiry is None or enquiry.user_id != query.from_user.id or not isinstance(query.message, Message):
        await query.answer(t.plain("invalid.toast"))
        return
    await query.answer()
    if enquiry.status == "closed":
        await query.message.reply_text(t("followup.closed", ref=enquiry.ref))
        return
    prompt = await query.message.reply_text(
        t("followup.prompt", ref=enquiry.ref),
        reply_markup=ForceReply(input_field_placeholder=t.plain("followup.placeholder")),
    )
    handoff.db().link(prompt.chat.id, prompt.message_id, enquiry, "user")


async def mycases_command(update: Update, context: Context) -> None:
    """/mycases: the user's own enquiries and their status (private chats only)."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    t = _texts(context, update)
    if message.chat.type != "private":
        await message.reply_text(t("private_only"))
        return
    await send_reply(message, my_cases(_handoff(context).db().enquiries_of(user.id), t))


async def forget_command(update: Update, context: Context) -> None:
    """/forget: ask for confirmation before deleting everything stored about the user."""
    message = update.effective_message
    if message is None:
        return
    t = _texts(context, update)
    if message.chat.type != "private":
        await message.reply_text(t("private_only"))
        return
    await send_reply(message, forget_question(t))


async def forget_button(update: Update, context: Context) -> None:
    """The /forget confirmation: delete, then say what was deleted."""
    query = update.callback_query
    if query is None:
        return
    if (
        not isinstance(query.message, Message)
        or query.message.chat.type != "private"
        or query.data
        not in (
            "g:yes",
            "g:no",
        )
    ):
        await query.answer(_texts(context, update).plain("invalid.toast"))
        return
    t = _texts(context, update)
    await query.answer()
    if query.data != "g:yes":
        await query.message.edit_text(t("forget.kept"))
        return
    handoff = _handoff(context)
    storage = handoff.db()
    user_id = query.from_user.id
    at_firm = [e.ref for e in storage.enquiries_of(user_id) if e.firm_message_id is not None]
    deleted = handoff.database().forget_user(user_id)
    if context.user_data is not None:
        context.user_data.last_answer = ""
    if at_firm:
        enqueue(
            storage,
            "firm",
            Text(firm_forget_notice(at_firm, context.bot_data.require_brain().texts())),
            handoff.now(),
        )
        kick(context)
    log.info("user data deleted on request: %s", {k: v for k, v in deleted.items() if v})
    reply = forget_done(deleted, at_firm, t)
    await query.message.edit_text(reply.text)


async def resend_command(update: Update, context: Context) -> None:
    """/resend <ref> (admins, private chat): re-queue an enquiry's uncertain or failed messages."""
    message, user = update.effective_message, update.effective_user
    handoff = _handoff(context)
    if message is None or user is None or user.id not in handoff.settings.admin_ids:
        return
    if message.chat.type != "private":
        await message.reply_text(_texts(context, update)("private_only"))
        return
    ref = (context.args or [""])[0].lstrip("#").upper()
    enquiry = handoff.db().enquiry_by_ref(ref) if ref else None
    if enquiry is None:
        await message.reply_text(_texts(context, update)("resend.usage"))
        return
    rows = [r for r in handoff.db().rows_for(enquiry.id) if r.state in ("uncertain", "dead")]
    for row in rows:
        handoff.db().requeue(row.id, handoff.now())
    kick(context)
    await message.reply_text(_texts(context, update)("resend.done", ref=enquiry.ref, count=len(rows)))
