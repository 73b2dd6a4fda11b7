"""Learning from users: the question log, 👍/👎 under answers, and /stats and /gaps for admins.

What is written (bot/storage/sql_learning.py): a content-free counter for every typed question
(day, how it ended, which entry); the masked text and top candidates of questions that ended
in `none` or `clarify`; the entry picked from a "did you mean"; each 👍/👎. Askers appear only
as a salted hash, so `/forget` can find their rows and nobody else can tell who asked.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import CallbackContext

from bot.core.dialog import Button, Reply, after_feedback, parse_action
from bot.core.gaps import GapsReport, find_gaps, to_csv
from bot.core.messages import Texts
from bot.core.privacy import mask_pii
from bot.core.stats import render_stats
from bot.storage import StorageUnavailable
from bot.tg.context import Context, lang_of
from bot.tg.replies import keyboard, send_reply

log = logging.getLogger(__name__)

PURGE_JOB = "learn-purge"
MAX_LOGGED_CHARS = 600  # as much as the matcher reads
STATS_DAYS = 14
GAPS_LISTED = 10


async def purge_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Delete learning rows older than RETENTION_DAYS."""
    storage = context.bot_data.storage
    if storage is None:
        return
    days = context.bot_data.settings.retention_days
    try:
        purged = storage.learning.purge_learning(time.time() - days * 86400)
    except StorageUnavailable as exc:
        context.bot_data.database_down(exc, "learning purge")
        return
    if purged:
        log.info("purged %d question-log/feedback rows older than %d days", purged, days)


# -- recording -----------------------------------------------------------------------------------


def record_question(context: Context, update: Update, text: str, reply: Reply, sent: Message) -> None:
    """Count every typed question; log the text (masked) of those not answered outright."""
    try:
        _record_question(context, update, text, reply, sent)
    except StorageUnavailable as exc:  # the answer has been sent; only the statistics miss it
        context.bot_data.database_down(exc, "question log")


def _record_question(context: Context, update: Update, text: str, reply: Reply, sent: Message) -> None:
    database = context.bot_data.storage
    if database is None or reply.match is None or reply.kind not in ("answer", "clarify", "none"):
        return
    storage = database.learning
    now = time.time()
    storage.count_decision(now, reply.kind, reply.entry_id or "")
    if reply.kind == "answer":
        return
    user, chat = update.effective_user, update.effective_chat
    storage.log_question(
        now,
        user_hash=storage.user_hash(user.id) if user else "",
        msg_ref=storage.message_ref(sent.chat.id, sent.message_id) if reply.kind == "clarify" else "",
        chat_type=chat.type if chat else "",
        decision=reply.kind,
        question=mask_pii(text[:MAX_LOGGED_CHARS]),
        candidates=[(c.entry, c.score) for c in reply.match.candidates],
    )


def record_choice(context: Context, update: Update, reply: Reply) -> None:
    """A "did you mean" button was pressed: attach the chosen entry to the logged question."""
    try:
        _record_choice(context, update, reply)
    except StorageUnavailable as exc:
        context.bot_data.database_down(exc, "question log")


def _record_choice(context: Context, update: Update, reply: Reply) -> None:
    database, query = context.bot_data.storage, update.callback_query
    if database is None or query is None or reply.kind != "answer":
        return
    storage = database.learning
    action = parse_action(query.data)
    if action is None or action.kind != "choice" or not isinstance(query.message, Message):
        return
    now = time.time()
    storage.count_decision(now, "choice", action.entry_id)
    storage.record_choice(
        now, storage.message_ref(query.message.chat.id, query.message.message_id), action.entry_id
    )


# -- 👍 / 👎 --------------------------------------------------------------------------------------


def _rows(markup: InlineKeyboardMarkup | None) -> tuple[tuple[Button, ...], ...]:
    if markup is None:
        return ()
    return tuple(
        tuple(Button(b.text, b.callback_data) for b in row if isinstance(b.callback_data, str))
        for row in markup.inline_keyboard
    )


async def feedback_button(update: Update, context: Context) -> None:
    """👍/👎 under an answer: record it, then turn the two buttons into a thank-you."""
    query = update.callback_query
    if query is None:
        return
    t = context.bot_data.require_brain().texts(lang_of(update))
    action = parse_action(query.data)
    message = query.message
    rows = _rows(message.reply_markup) if isinstance(message, Message) else ()
    offered = any(b.action == query.data for row in rows for b in row)
    if action is None or action.kind != "feedback" or not isinstance(message, Message) or not offered:
        # Only data we put on this very message counts: forged or replayed taps are refused.
        log.warning("refused feedback data %r", mask_pii(str(query.data))[:80])
        await query.answer(t.plain("invalid.toast"))
        return
    if action.vote == 0:  # the thank-you button itself
        await query.answer(t.plain("feedback.toast_up"))
        return
    database = context.bot_data.storage
    if database is not None:
        storage = database.learning
        storage.record_feedback(
            time.time(),
            user_hash=storage.user_hash(query.from_user.id),
            msg_ref=storage.message_ref(message.chat.id, message.message_id),
            chat_type=message.chat.type,
            entry=action.entry_id,
            vote=action.vote,
        )
    await query.answer(t.plain("feedback.toast_up" if action.vote > 0 else "feedback.toast_down"))
    await message.edit_reply_markup(
        reply_markup=keyboard(Reply("", "info", after_feedback(rows, action.vote, t)))
    )


# -- admin commands ------------------------------------------------------------------------------


async def _admin_message(update: Update, context: Context) -> Message | None:
    """The message if an admin sent it in a private chat; others get nothing at all."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.id not in context.bot_data.settings.admin_ids:
        return None
    if message.chat.type != "private":
        await message.reply_text(context.bot_data.require_brain().texts()("private_only"))
        return None
    if context.bot_data.storage is None:
        await message.reply_text(context.bot_data.require_brain().texts()("admin.no_database"))
        return None
    return message


async def stats_command(update: Update, context: Context) -> None:
    """/stats (admins): questions per day, answer/clarify/none rates, top entries, 👍/👎."""
    message = await _admin_message(update, context)
    if message is None:
        return
    assert context.bot_data.storage is not None  # checked by _admin_message
    storage = context.bot_data.storage.learning
    kb = context.bot_data.require_brain().kb
    now = time.time()
    since = now - STATS_DAYS * 86400
    texts = Texts(context.bot_data.require_brain().kb.messages)

    def title(entry_id: str) -> str:
        entry = kb.entry(entry_id)
        return entry.title if entry else texts.plain("stats.deleted_entry")

    today = dt.datetime.fromtimestamp(now, dt.UTC).date()
    text = render_stats(
        storage.decision_counts(since), storage.feedback_counts(since), title, today, texts, STATS_DAYS
    )
    await send_reply(message, Reply(text, "info"))


def gaps_text(report: GapsReport, t: Texts, limit: int = GAPS_LISTED) -> str:
    """The /gaps message: the largest groups of unanswered questions, then suggested phrasings."""
    lines = [t("gaps.title", total=report.total, groups=len(report.gaps))]
    if not report.gaps and not report.suggestions:
        lines.append("\n" + t("gaps.empty"))
    for n, gap in enumerate(report.gaps[:limit], 1):
        closest = (
            t.plain(
                "gaps.closest",
                title=gap.closest_title,
                entry=gap.closest_entry,
                score=f"{gap.closest_score:.2f}",
            )
            if gap.closest_entry
            else t.plain("gaps.no_closest")
        )
        others = t.plain("gaps.others", count=len(gap.phrasings) - 1) if len(gap.phrasings) > 1 else ""
        item = t(
            "gaps.item",
            n=n,
            size=gap.size,
            users=gap.users,
            question=gap.phrasings[0].text,
            others=others,
            closest=closest,
        )
        lines.append("\n" + item)
    if report.suggestions:
        lines.append("\n" + t("gaps.suggestions"))
        for s in report.suggestions[:limit]:
            lines.append(t("gaps.suggestion", entry=s.entry, phrasings="；".join(p.text for p in s.phrasings[:3])))
    lines.append("\n" + t("gaps.footer"))
    return "\n".join(lines)


async def gaps_command(update: Update, context: Context) -> None:
    """/gaps (admins): unanswered questions grouped by similarity, plus the CSV."""
    message = await _admin_message(update, context)
    if message is None:
        return
    assert context.bot_data.storage is not None  # checked by _admin_message
    storage = context.bot_data.storage.learning
    since = time.time() - context.bot_data.settings.retention_days * 86400
    report = find_gaps(storage.logged_questions(since), context.bot_data.require_brain().matcher)
    texts = context.bot_data.require_brain().texts()
    await send_reply(message, Reply(gaps_text(report, texts), "info"))
    if report.gaps or report.suggestions:
        await message.reply_document(to_csv(report).encode("utf-8"), filename="gaps.csv")
