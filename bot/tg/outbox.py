"""Durable delivery: every message about an enquiry goes through the `outbox` table.

Protocol for one row: claim it (pending → sending), send it (bot/tg/sending.py), then in one
transaction store the sent message's id, link it to the enquiry and mark the row sent. On a
failure `bot.core.delivery.after_failure` decides: retry later (the time is stored, so it
survives a restart), wait for the firm's chat (admins alerted once per outage), or give up —
and then whoever wrote the words is told, so nothing is lost silently.

Exactly once, and the trade-off: a row left in 'sending' by a process that died (bot/tg/cluster.py
finds them, at start-up and while running) was interrupted between claim and record, so nobody
knows whether Telegram got it. It becomes 'uncertain' and the admins are asked to check and
`/resend <ref>` if it is missing (a lawyer replying to such a card is routed all the same:
bot/tg/firm.py adopts it). We never send twice on our own, and
nothing vanishes silently. The one duplicate we accept: a send that timed out *after*
Telegram accepted it is retried (it looked like a network error); the retried card says so.
"""

from __future__ import annotations

import logging
import os
import random
import socket
from typing import Any

from telegram import Bot
from telegram.error import ChatMigrated, TelegramError
from telegram.ext import CallbackContext

from bot.core.delivery import Failure, GiveUp, Retry, WaitForChat, after_failure, waits_for_card
from bot.core.handoff import Enquiry, Payload, Text, payload_from_dict, payload_to_dict
from bot.core.handoff_texts import undelivered
from bot.core.instances import Claim, instance_id
from bot.core.intake import Intake
from bot.core.privacy import mask_pii
from bot.storage import DraftChanged, EnquiryStore, OutboxRow, StorageUnavailable
from bot.storage.base import Target
from bot.tg.context import Context
from bot.tg.handoff import Handoff
from bot.tg.sending import classify, send_payload

log = logging.getLogger(__name__)

OUTBOX_JOB = "outbox"
# Recorded with each claim: the admins see who, bot/core/instances.py judges whether it is alive.
OWNER = instance_id(socket.gethostname(), os.getpid())


def enqueue(
    storage: EnquiryStore, target: Target, payload: Payload, now: float, enquiry: Enquiry | None = None
) -> int:
    """Queue a typed payload (stored as JSON)."""
    kind, data = payload_to_dict(payload)
    return storage.enqueue(target, kind, data, now, enquiry)


def kick(context: Context) -> None:
    """Run the outbox now rather than at its next tick."""
    if context.job_queue is not None:
        context.job_queue.run_once(outbox_job, 0, name="outbox-now")


async def outbox_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Deliver every due row, oldest first; one run at a time. A database outage is logged once."""
    handoff: Handoff = context.bot_data.require_handoff()
    if handoff.storage is None or handoff.lock.locked():
        return
    async with handoff.lock:
        try:
            handoff.record_deferred()
            rows = handoff.db().due(handoff.now())
            handoff.available()
            for row in rows:
                if handoff.storage is None:
                    return
                await deliver(context.bot, handoff, row)
        except StorageUnavailable as exc:
            handoff.unavailable(exc, "outbox")


async def housekeeping_job(context: CallbackContext[Any, Any, Any, Any]) -> None:
    """Drop forms left unfinished (telling the borrower) and purge closed enquiries past retention."""
    handoff: Handoff = context.bot_data.require_handoff()
    if handoff.storage is None:
        return
    try:
        await _housekeeping(context, handoff)
    except StorageUnavailable as exc:
        handoff.unavailable(exc, "housekeeping")


async def _housekeeping(context: CallbackContext[Any, Any, Any, Any], handoff: Handoff) -> None:
    storage = handoff.db()
    now = handoff.now()
    for draft in storage.expired_drafts(now - handoff.config.intake_timeout):
        try:  # only as read: an update (on another instance) may have just brought it back to life
            storage.delete_draft(draft.user_id, version=draft.version)
        except DraftChanged:
            continue
        reply = Intake(context.bot_data.require_brain().kb, handoff.settings.retention_days).timed_out()
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


async def recover(handoff: Handoff) -> None:
    """At start-up: whatever was waiting is due now (rows cut off mid-send: bot/tg/cluster.py)."""
    # A wait stored before the restart was for a state that may be fixed now (FIRM_CHAT_ID set,
    # the bot added back to the group): try at once.
    due = handoff.db().retry_now(handoff.now())
    if due:
        log.info("%d queued messages are due now", due)


async def settle_interrupted(bot: Bot, handoff: Handoff, dead: list[Claim]) -> None:
    """Rows whose sender died mid-send become 'uncertain'; the admins are asked to check them."""
    storage = handoff.db()
    t = handoff.texts()
    items = []
    for row in storage.mark_uncertain(dead):
        enquiry = storage.enquiry(row.enquiry_id) if row.enquiry_id else None
        items.append(
            t.plain("admin.item_enquiry", ref=enquiry.ref, kind=row.kind)
            if enquiry
            else t.plain("admin.item_row", id=row.id)
        )
    if items:
        await handoff.alert_admins(bot, t("admin.interrupted", items="、".join(items)))


async def deliver(bot: Bot, handoff: Handoff, row: OutboxRow) -> None:
    storage = handoff.db()
    enquiry = storage.enquiry(row.enquiry_id) if row.enquiry_id is not None else None
    try:
        payload = payload_from_dict(row.kind, row.payload)
    except ValueError as exc:
        storage.mark_failed(row.id, "dead", str(exc))
        await handoff.alert_admins(bot, handoff.texts()("admin.corrupt", id=row.id, error=str(exc)))
        return
    if row.target == "firm":
        chat_id = handoff.settings.firm_chat_id
        if chat_id is None:
            storage.mark_retry(
                row.id, handoff.now() + handoff.config.unreachable_retry, "FIRM_CHAT_ID not set"
            )
            return
        card_delivered = enquiry is not None and enquiry.firm_message_id is not None
        if enquiry is not None and waits_for_card(row.target, row.kind == "card", card_delivered):
            return
    elif enquiry is not None:
        chat_id = enquiry.chat_id
    else:
        storage.mark_failed(row.id, "dead", "no recipient")
        return
    claimed = storage.claim(row.id, handoff.now(), OWNER)
    if claimed is None:  # another run or instance has it, or it is no longer due
        return
    row = claimed
    try:
        ids = await send_payload(bot, handoff, row, payload, enquiry, chat_id)
    except TelegramError as exc:
        await _failed(bot, handoff, row, payload, enquiry, exc)
    except Exception:
        delay = handoff.config.policy().backoff(row.attempts + 1, random.uniform(0.75, 1.25))
        storage.mark_retry(row.id, handoff.now() + delay, "unexpected error")
        raise
    else:
        now = handoff.now()

        def sent(store: EnquiryStore) -> None:
            store.mark_sent(row.id, chat_id, ids[0], now)
            for extra in ids[1:]:  # the other parts of a long message: a reply to any of them counts
                if enquiry is not None:
                    store.link(chat_id, extra, enquiry, row.target)
                elif row.target == "firm":
                    store.record_notice(chat_id, extra, now)

        handoff.record(sent)
        if handoff.unrecorded:  # the rest waits for the database
            return
        parts = f", {len(ids)} parts" if len(ids) > 1 else ""
        log.info("outbox row %d delivered (%s %s%s)", row.id, row.target, row.kind, parts)
        if row.target == "firm" and handoff.firm_down_alerted:
            handoff.firm_down_alerted = False
            storage.retry_now(now, "firm")
            await handoff.alert_admins(bot, handoff.texts()("admin.firm_back"))
        await _acknowledge(bot, payload)


async def _failed(
    bot: Bot, handoff: Handoff, row: OutboxRow, payload: Payload, enquiry: Enquiry | None, exc: TelegramError
) -> None:
    failure = classify(exc)
    outcome = after_failure(
        row.target,
        failure,
        row.attempts,
        row.last_error,
        handoff.config.policy(),
        handoff.now(),
        random.uniform(0.75, 1.25),
    )
    if isinstance(outcome, Retry | WaitForChat):
        retry = outcome
        handoff.record(lambda store: store.mark_retry(row.id, retry.at, retry.error))
    if isinstance(outcome, Retry):
        log.warning("outbox row %d: %s, retry %d", row.id, mask_pii(outcome.error), row.attempts)
        return
    if isinstance(outcome, WaitForChat):
        handoff.firm_is_forum = None
        if not handoff.firm_down_alerted:
            handoff.firm_down_alerted = True
            t = handoff.texts()
            hint = t.plain("admin.firm_migrated", chat=exc.new_chat_id) if isinstance(exc, ChatMigrated) else ""
            text = t("admin.firm_down", chat=handoff.settings.firm_chat_id, error=exc.message, hint=hint)
            await handoff.alert_admins(bot, text)
        return
    await _gave_up(bot, handoff, row, payload, enquiry, outcome, failure)


async def _gave_up(
    bot: Bot,
    handoff: Handoff,
    row: OutboxRow,
    payload: Payload,
    enquiry: Enquiry | None,
    outcome: GiveUp,
    failure: Failure,
) -> None:
    """Record the row dead and tell whoever needs to know: the author of the words, the admins."""
    storage = handoff.db()
    storage.mark_failed(row.id, "dead", outcome.error)
    log.warning("outbox row %d given up: %s", row.id, mask_pii(outcome.error))
    origin = getattr(payload, "origin", None)
    t = handoff.texts()
    reason = t.plain(f"giveup.{outcome.reason}")
    if enquiry is not None and row.target == "user":
        # The borrower cannot get it: the firm hears of it (as a reply to the lawyer's message).
        text = undelivered(enquiry, False, reason, t)
        reply_to = origin.message_id if origin is not None else None
        enqueue(storage, "firm", Text(text, reply_to=reply_to), handoff.now(), enquiry)
    elif enquiry is not None and origin is not None:
        # A borrower's follow-up the firm cannot get: they were told "已转给律所", so correct that.
        text = undelivered(enquiry, True, reason, t)
        enqueue(storage, "user", Text(text, reply_to=origin.message_id), handoff.now(), enquiry)
    if failure.kind != "unreachable":  # a borrower blocking the bot is not the admins' business
        what = (
            t.plain("admin.what_enquiry", ref=enquiry.ref, kind=row.kind)
            if enquiry
            else t.plain("admin.item_row", id=row.id)
        )
        await handoff.alert_admins(bot, t("admin.undeliverable", what=what, detail=failure.detail))


async def _acknowledge(bot: Bot, payload: Payload) -> None:
    """A 👍 on the lawyer's message once their reply reached the borrower."""
    origin = getattr(payload, "origin", None)
    if origin is None or not getattr(payload, "ack", False):
        return
    try:
        await bot.set_message_reaction(origin.chat_id, origin.message_id, "👍")
    except TelegramError:
        log.info("could not react to the lawyer's message", exc_info=True)
