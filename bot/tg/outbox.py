"""Durable delivery: every message about an enquiry goes through the `outbox` table.

Protocol for one row: claim it (pending → sending), send, then in one transaction store the
sent message's id, link it to the enquiry and mark the row sent. Failures put the row back to
pending with a later `next_attempt_at`, so retries survive a restart:

* 429: wait what Telegram asks (`RetryAfter`), after AIORateLimiter's own retries gave up;
* 5xx and network errors: exponential backoff with jitter;
* firm chat unreachable (bot removed, wrong id, group upgraded): keep the row queued, retry
  every few minutes and alert the admins once per outage;
* the borrower blocked the bot: give up on that row and tell the firm.

Exactly once, and the trade-off: a row found in 'sending' at start-up was interrupted between
claim and record, so nobody knows whether Telegram got it. It becomes 'uncertain' and the
admins are asked to check and `/resend <ref>` if it is missing: we never send twice on our
own, and nothing vanishes silently. The one duplicate we accept: a send that timed out
*after* Telegram accepted it is retried (it looked like a network error); the retried card
says it may be a duplicate.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import warnings
from datetime import timedelta
from typing import Any

from telegram import Bot, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import CallbackContext
from telegram.warnings import PTBDeprecationWarning

from bot.core.handoff import firm_card
from bot.core.privacy import mask_pii
from bot.storage import Enquiry, OutboxRow
from bot.tg.handoff import Handoff
from bot.tg.replies import keyboard

log = logging.getLogger(__name__)

TIMED_OUT = "timed out"
OWNER = f"{socket.gethostname()}:{os.getpid()}"  # recorded with each claim, for the admins


def retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # the int/timedelta migration warning is not ours to fix
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value: int | timedelta = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return seconds


def backoff(handoff: Handoff, attempts: int) -> float:
    base = min(handoff.config.backoff_cap, handoff.config.backoff_base * 2.0 ** max(attempts - 1, 0))
    return base * random.uniform(0.75, 1.25)


async def outbox_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Deliver every due row, oldest first; one run at a time."""
    handoff: Handoff = context.bot_data.require_handoff()
    if handoff.storage is None or handoff.lock.locked():
        return
    async with handoff.lock:
        for row in handoff.db().due(handoff.now()):
            if handoff.storage is None:
                return
            await deliver(context.bot, handoff, row)


async def housekeeping_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Drop forms left unfinished (telling the borrower) and purge closed enquiries past retention."""
    handoff: Handoff = context.bot_data.require_handoff()
    if handoff.storage is None:
        return
    from bot.core.intake import Intake

    storage = handoff.db()
    now = handoff.now()
    for draft in storage.expired_drafts(now - handoff.config.intake_timeout):
        storage.delete_draft(draft.user_id)
        reply = Intake(context.bot_data.require_brain().kb.firm, handoff.settings.retention_days).timed_out()
        try:
            await context.bot.send_message(draft.chat_id, reply.text)
        except TelegramError:
            log.warning("could not tell a user their form timed out", exc_info=True)
    retention = handoff.settings.retention_days * 86400
    idle = storage.close_idle(now - retention, now)
    if idle:
        log.info("closed %d enquiries idle for %d days", idle, handoff.settings.retention_days)
    purged = storage.purge_closed(now - retention)
    if purged:
        log.info("purged %d closed enquiries older than %d days", purged, handoff.settings.retention_days)


async def recover(bot: Bot, handoff: Handoff) -> None:
    """At start-up: rows interrupted mid-send become 'uncertain'; the admins decide."""
    rows = handoff.db().recover_interrupted()
    refs = []
    for row in rows:
        enquiry = handoff.db().enquiry(row.enquiry_id) if row.enquiry_id else None
        refs.append(f"#{enquiry.ref}（{row.kind}）" if enquiry else f"消息 {row.id}")
    if refs:
        await handoff.alert_admins(
            bot,
            "⚠️ 上次停止时以下消息正在发送，无法确定律所群是否已收到："
            + "、".join(refs)
            + "。请在律所群里查找；如果没有收到，私聊我发送 /resend 编号 重新发送。",
        )


async def deliver(bot: Bot, handoff: Handoff, row: OutboxRow) -> None:
    storage = handoff.db()
    enquiry = storage.enquiry(row.enquiry_id) if row.enquiry_id is not None else None
    if row.target == "firm":
        chat_id = handoff.settings.firm_chat_id
        if chat_id is None:
            storage.mark_retry(
                row.id, handoff.now() + handoff.config.unreachable_retry, "FIRM_CHAT_ID not set"
            )
            return
        if row.kind != "card" and enquiry is not None and enquiry.firm_message_id is None:
            return  # follow-ups wait for their enquiry's card
    else:
        chat_id = enquiry.chat_id if enquiry is not None else int(row.payload["chat_id"])
    claimed = storage.claim(row.id, handoff.now(), OWNER)
    if claimed is None:  # another run or instance has it, or it is no longer due
        return
    row = claimed
    try:
        message_id = await _send(bot, handoff, row, enquiry, chat_id)
    except RetryAfter as exc:
        wait = retry_seconds(exc)
        log.warning("outbox row %d: flood control, retrying in %.0fs", row.id, wait)
        storage.mark_retry(row.id, handoff.now() + wait + random.uniform(0.1, 1.0), f"429 retry after {wait}")
    except (Forbidden, ChatMigrated) as exc:
        await _unreachable(bot, handoff, row, enquiry, exc)
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            await _unreachable(bot, handoff, row, enquiry, exc)
        else:  # our message is malformed: retrying cannot help
            storage.mark_failed(row.id, "dead", f"bad request: {exc.message}")
            await handoff.alert_admins(bot, f"❌ 消息无法发送（{_what(row, enquiry)}）：{exc.message}")
    except NetworkError as exc:  # 5xx, connection errors, timeouts
        delay = backoff(handoff, row.attempts + 1)
        error = TIMED_OUT if isinstance(exc, TimedOut) else f"network: {exc.message}"
        log.warning(
            "outbox row %d: %s, retry %d in %.1fs", row.id, mask_pii(exc.message), row.attempts + 1, delay
        )
        storage.mark_retry(row.id, handoff.now() + delay, error)
    except Exception:
        storage.mark_retry(row.id, handoff.now() + backoff(handoff, row.attempts + 1), "unexpected error")
        raise
    else:
        storage.mark_sent(row.id, chat_id, message_id, handoff.now())
        log.info("outbox row %d delivered (%s %s)", row.id, row.target, row.kind)
        if row.target == "firm" and handoff.firm_down_alerted:
            handoff.firm_down_alerted = False
            await handoff.alert_admins(bot, "✅ 律所群已恢复接收，排队的咨询正在送达。")
        await _acknowledge(bot, row)


def _what(row: OutboxRow, enquiry: Enquiry | None) -> str:
    return f"咨询 #{enquiry.ref} 的 {row.kind}" if enquiry else f"消息 {row.id}"


async def _unreachable(
    bot: Bot, handoff: Handoff, row: OutboxRow, enquiry: Enquiry | None, exc: TelegramError
) -> None:
    storage = handoff.db()
    if row.target == "user":
        # The borrower blocked the bot or deleted their account: nothing to retry.
        storage.mark_failed(row.id, "dead", f"user unreachable: {exc.message}")
        if enquiry is not None:
            text = f"⚠️ 无法把消息转给咨询 #{enquiry.ref} 的用户（对方可能已停用或屏蔽机器人）。"
            storage.enqueue("firm", "text", {"text": text}, handoff.now(), enquiry)
        return
    storage.mark_retry(
        row.id, handoff.now() + handoff.config.unreachable_retry, f"firm unreachable: {exc.message}"
    )
    handoff.firm_is_forum = None
    if not handoff.firm_down_alerted:
        handoff.firm_down_alerted = True
        hint = (
            f"（群已升级，新 ID 为 {exc.new_chat_id}，请更新 FIRM_CHAT_ID）"
            if isinstance(exc, ChatMigrated)
            else ""
        )
        await handoff.alert_admins(
            bot,
            f"⚠️ 无法把咨询发到律所群 {handoff.settings.firm_chat_id}：{exc.message}{hint}。"
            "请检查机器人是否仍在群里、FIRM_CHAT_ID 是否正确。咨询已保存并排队，恢复后会自动送达。",
        )


async def _thread_for(bot: Bot, handoff: Handoff, enquiry: Enquiry, chat_id: int) -> int | None:
    """In a forum supergroup, one topic per enquiry (created once, stored before the card is sent)."""
    if enquiry.firm_thread_id is not None and enquiry.firm_chat_id == chat_id:
        return enquiry.firm_thread_id
    if handoff.firm_is_forum is None:
        handoff.firm_is_forum = bool((await bot.get_chat(chat_id)).is_forum)
    if not handoff.firm_is_forum:
        return None
    topic = await bot.create_forum_topic(chat_id, f"#{enquiry.ref} {enquiry.lender or '咨询'}"[:128])
    handoff.db().set_thread(enquiry.id, chat_id, topic.message_thread_id)
    return topic.message_thread_id


async def _send(bot: Bot, handoff: Handoff, row: OutboxRow, enquiry: Enquiry | None, chat_id: int) -> int:
    payload = row.payload
    thread: int | None = None
    reply: ReplyParameters | None = None
    markup = None
    if row.target == "firm" and enquiry is not None:
        if row.kind == "card":
            thread = await _thread_for(bot, handoff, enquiry, chat_id)
        else:
            thread = enquiry.firm_thread_id
            assert enquiry.firm_message_id is not None
            reply = ReplyParameters(enquiry.firm_message_id, allow_sending_without_reply=True)
    if row.target == "user" and enquiry is not None and payload.get("followup_button"):
        from bot.core.dialog import Button, Reply

        markup = keyboard(Reply("", "info", ((Button("✍️ 回复律师", f"f:{enquiry.id}"),),)))
    if row.kind == "card":
        assert enquiry is not None
        card = firm_card(enquiry, possible_duplicate=row.last_error == TIMED_OUT)
        sent = await bot.send_message(
            chat_id, card.text, reply_markup=keyboard(card), message_thread_id=thread
        )
        return sent.message_id
    if row.kind == "photo":
        caption = payload.get("caption") or (f"📎 #{enquiry.ref} 的附件" if enquiry else None)
        sent = await bot.send_photo(
            chat_id,
            payload["file_id"],
            caption=caption,
            message_thread_id=thread,
            reply_parameters=reply,
            reply_markup=markup,
        )
        return sent.message_id
    if row.kind == "copy":
        copied = await bot.copy_message(
            chat_id,
            payload["from_chat_id"],
            payload["message_id"],
            caption=payload.get("caption"),
            message_thread_id=thread,
            reply_parameters=reply,
            reply_markup=markup,
        )
        return copied.message_id
    sent = await bot.send_message(
        chat_id, payload["text"], message_thread_id=thread, reply_parameters=reply, reply_markup=markup
    )
    return sent.message_id


async def _acknowledge(bot: Bot, row: OutboxRow) -> None:
    """A 👍 on the lawyer's message once their reply reached the borrower."""
    ack = row.payload.get("ack")
    if not ack:
        return
    try:
        await bot.set_message_reaction(ack[0], ack[1], "👍")
    except TelegramError:
        log.info("could not react to the lawyer's message", exc_info=True)
