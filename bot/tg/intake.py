"""The borrower's "ask a lawyer" form in Telegram: consent, facts, question, confirmation.

The steps themselves are in `bot.core.intake`; this module stores the draft between messages
(in the database, so a restart does not lose it), shows the replies and, on confirmation,
writes the enquiry before anything is sent.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.ext import ApplicationHandlerStop

from bot.core.dialog import Reply, parse_action
from bot.core.handoff import new_ref
from bot.core.handoff_texts import receipt
from bot.core.intake import Intake, IntakeData, Step
from bot.core.messages import Texts
from bot.storage import Draft, DraftChanged, DuplicateRef, Enquiry, NewEnquiry, StorageUnavailable
from bot.tg.context import NO_MATCH, Context, lang_of
from bot.tg.handoff import Handoff
from bot.tg.outbox import kick
from bot.tg.replies import edit_or_send, send_reply

log = logging.getLogger(__name__)

# Tries of one step against a draft that other updates keep changing (each try is a fresh read).
DRAFT_TRIES = 5


def _intake(context: Context, update: object) -> Intake:
    kb = context.bot_data.require_brain().kb
    return Intake(kb, context.bot_data.settings.retention_days, lang_of(update))


def _texts(context: Context, update: object) -> Texts:
    return context.bot_data.require_brain().texts(lang_of(update))


def _handoff(context: Context) -> Handoff:
    return context.bot_data.require_handoff()


def _last_answer(context: Context) -> str:
    """The title of the last answer the user saw (remembered by entry id), for the firm's card."""
    seen = context.user_data.last_answer if context.user_data is not None else ""
    if seen == NO_MATCH:
        return context.bot_data.require_brain().texts().plain("intake.no_answer")
    entry = context.bot_data.require_brain().kb.entry(seen) if seen else None
    return entry.title if entry is not None else ""


def _live_draft(handoff: Handoff, user_id: int) -> tuple[Draft | None, bool]:
    """The user's draft and whether it had already timed out (and was dropped)."""
    draft = handoff.db().get_draft(user_id)
    if draft is None:
        return None, False
    if draft.updated_at < handoff.now() - handoff.config.intake_timeout:
        with contextlib.suppress(DraftChanged):  # touched meanwhile: it timed out all the same
            handoff.db().delete_draft(user_id, version=draft.version)
        return None, True
    return draft, False


def _rate_limited(handoff: Handoff, user_id: int, t: Texts) -> Reply | None:
    limit = handoff.settings.enquiries_per_hour
    recent = handoff.db().count_enquiries_since(user_id, handoff.now() - 3600)
    if recent < limit:
        return None
    return Reply(t("intake.rate_limited", recent=recent, limit=limit), "info")


async def _begin(message: Message, user: User, context: Context, question: str = "") -> None:
    """A new form; `question` (the borrower's unanswered words) is offered at its step."""
    handoff = _handoff(context)
    t = _texts(context, user)
    step = _intake(context, user).begin(_last_answer(context), question)
    try:
        limited = _rate_limited(handoff, user.id, t)
        if limited is None:
            handoff.db().save_draft(user.id, message.chat.id, "consent", step.data.to_dict(), handoff.now())
    except StorageUnavailable as exc:  # the database is down: say so, keep answering questions
        context.bot_data.database_down(exc, "intake")
        await send_reply(message, Reply(t("intake.unavailable"), "info"))
        return
    await send_reply(message, limited or step.reply)


async def _group_pointer(message: Message, context: Context, update: object) -> None:
    """In groups the form is not started: show the firm's details and a link to a private chat."""
    t = _texts(context, update)
    reply = context.bot_data.require_brain().dialog.lawyer(t.lang)
    text = reply.text + "\n\n" + t("intake.group_pointer")
    markup = None
    if context.bot_data.bot_username:
        url = f"https://t.me/{context.bot_data.bot_username}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(t.label("button.private_chat"), url=url)]])
    await message.reply_text(text, reply_markup=markup)


async def lawyer_command(update: Update, context: Context) -> None:
    """/lawyer: in a private chat, start the form; in a group, point to a private chat."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if message.chat.type != "private":
        await _group_pointer(message, context, update)
        return
    await _begin(message, user, context)


async def lawyer_button(update: Update, context: Context) -> None:
    """The "问律师" button (`l`); under the no-answer reply (`l:q`) it carries the question."""
    query = update.callback_query
    if query is None:
        return
    await query.answer()
    message = query.message
    if not isinstance(message, Message):
        return
    if message.chat.type != "private":
        await _group_pointer(message, context, update)
        return
    action = parse_action(query.data)
    carried = action is not None and action.with_question and context.user_data is not None
    question = context.user_data.unanswered if carried and context.user_data is not None else ""
    await _begin(message, query.from_user, context, question)


async def cancel_command(update: Update, context: Context) -> None:
    """/cancel: drop the unfinished form."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    if _handoff(context).db().delete_draft(user.id):
        await send_reply(message, _intake(context, update).cancelled())
    else:
        await message.reply_text(_texts(context, update)("intake.nothing_to_cancel"))


async def on_button(update: Update, context: Context) -> None:
    """A button of the form (i:<step>:<value>)."""
    query = update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    handoff, intake = _handoff(context), _intake(context, update)
    for _ in range(DRAFT_TRIES):
        draft, _ = _live_draft(handoff, query.from_user.id)
        if draft is None:
            await query.answer(_texts(context, update).plain("intake.expired"), show_alert=True)
            return
        step = intake.button(draft.step, IntakeData.from_dict(draft.data), query.data)
        if step is None:
            await query.answer(_texts(context, update).plain("intake.stale_button"))
            return
        try:
            done = _store(step, draft, query.from_user, context)
        except DraftChanged:  # another update (maybe on another instance) came first: redo on it
            log.info("intake draft changed meanwhile: the step is redone")
            continue
        await query.answer()
        await _show(step, done, query.message, query.from_user, context)
        return
    await query.answer(_texts(context, update).plain("intake.stale_button"))


async def on_input(update: Update, context: Context) -> None:
    """Typed text or a photo while the form is open; otherwise the normal handlers answer."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    handoff, intake = _handoff(context), _intake(context, update)
    for _ in range(DRAFT_TRIES):
        try:
            draft, expired = _live_draft(handoff, user.id)
        except StorageUnavailable as exc:  # cannot tell whether a form is open: answer it as a question
            context.bot_data.database_down(exc, "intake")
            return
        if expired:
            await send_reply(message, intake.timed_out())
            raise ApplicationHandlerStop
        if draft is None:
            return
        try:
            if draft.step == "consent":  # they moved on without agreeing: drop the form, answer normally
                handoff.db().delete_draft(user.id, version=draft.version)
                return
            data = IntakeData.from_dict(draft.data)
            if message.photo:
                step = intake.photo(draft.step, data, message.photo[-1].file_id, message.caption or "")
            else:
                step = intake.text(draft.step, data, message.text or "")
            done = _store(step, draft, user, context)
        except DraftChanged:
            log.info("intake draft changed meanwhile: the step is redone")
            continue
        for notice in step.notices:
            await message.reply_text(notice)
        await _show(step, done, message, user, context)
        raise ApplicationHandlerStop
    log.warning("intake step not applied: the draft kept changing")
    raise ApplicationHandlerStop


def _store(step: Step, draft: Draft, user: User, context: Context) -> Enquiry | Reply | None:
    """Write the step, only if the draft is still the one it was computed from (else `DraftChanged`).

    Nothing is sent before this succeeds, so a step lost in a race is redone, never shown twice.
    Returns the enquiry created by a confirmation, a refusal to show instead, or None.
    """
    handoff = _handoff(context)
    storage = handoff.db()
    if not step.submit:
        if step.step is None:
            storage.delete_draft(user.id, version=draft.version)
        else:
            storage.save_draft(
                user.id, draft.chat_id, step.step, step.data.to_dict(), handoff.now(), version=draft.version
            )
        return None
    limited = _rate_limited(handoff, user.id, _texts(context, user))
    if limited is not None:
        storage.delete_draft(user.id, version=draft.version)
        return limited
    data = step.data
    new = NewEnquiry(
        user_id=user.id,
        chat_id=draft.chat_id,
        user_name=user.full_name,
        username=user.username or "",
        question=data.question,
        lender=data.lender,
        overdue=data.overdue,
        events=data.events,
        amount=data.amount,
        photo_file_id=data.photo_file_id,
        last_answer=data.last_answer,
    )
    for _ in range(5):
        try:
            # The draft is consumed in the same transaction: a confirmation tapped twice (on
            # two instances) makes one enquiry; the second tap finds no draft.
            enquiry = storage.create_enquiry(new, new_ref(), handoff.now(), draft_version=draft.version)
            break
        except DuplicateRef:  # one in ~10^9: draw another
            continue
    else:
        raise RuntimeError("could not allocate an enquiry reference")
    log.info(
        "enquiry #%s stored (%d chars, photo=%s)", enquiry.ref, len(enquiry.question), bool(new.photo_file_id)
    )
    return enquiry


async def _show(
    step: Step, done: Enquiry | Reply | None, message: Message, user: User, context: Context
) -> None:
    """What the borrower sees once the step is stored."""
    if isinstance(done, Enquiry):
        kick(context)
        t = _texts(context, user)
        await message.edit_reply_markup(None)
        sent = await send_reply(message, receipt(done, context.bot_data.require_brain().kb.firm, t))
        try:  # a reply to the receipt is a follow-up; without the link it is asked about instead
            _handoff(context).db().link(sent.chat.id, sent.message_id, done, "user")
        except StorageUnavailable as exc:
            context.bot_data.database_down(exc, "receipt link")
    elif isinstance(done, Reply):
        await send_reply(message, done)
    elif step.edit:
        await edit_or_send(message, step.reply)
    else:
        await send_reply(message, step.reply)
