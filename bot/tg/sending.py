"""Sending one outbox payload over Telegram, fitted to its limits by `bot.core.delivery`.

A text longer than one message goes out in parts (the first replies where the payload says,
buttons go under the last) or, past `max_parts` or after Telegram called it too long, as a
text file; a caption over 1,024 keeps what fits and the rest follows as a reply to the media.
Every message sent is returned, so the outbox can link each one to its enquiry; each part is
recorded as it arrives, so a retry or `/resend` sends only the parts still missing. `classify`
turns Telegram's exceptions into the core's `Failure` for the outbox's policy.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial

from telegram import Bot, InlineKeyboardMarkup, Message, MessageId, ReplyParameters
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.core.delivery import TIMED_OUT, TOO_LONG, Document, Failure, plan_caption, plan_text
from bot.core.dialog import Button, Reply
from bot.core.handoff import Card, Copy, Enquiry, Payload, Photo, Text
from bot.core.handoff_texts import firm_card
from bot.storage import OutboxRow
from bot.tg.handoff import Handoff
from bot.tg.replies import keyboard


async def send_payload(
    bot: Bot, handoff: Handoff, row: OutboxRow, payload: Payload, enquiry: Enquiry | None, chat_id: int
) -> list[int]:
    """Send the row's payload; the ids of every message sent, the one to record first."""
    thread, reply_to = await _placement(bot, handoff, row, payload, enquiry, chat_id)
    markup = None
    if enquiry is not None and getattr(payload, "reply_button", False):
        label = handoff.texts().label("button.reply_lawyer")
        markup = keyboard(Reply("", "info", ((Button(label, f"f:{enquiry.id}"),),)))
    as_document = row.last_error == TOO_LONG
    out = _Out(bot, handoff, row, chat_id, thread)
    if isinstance(payload, Card):
        assert enquiry is not None
        # "May be a duplicate" only while no part has arrived: the line would move the parts'
        # boundaries under the parts already delivered.
        duplicate = row.last_error == TIMED_OUT and not row.sent_parts
        card = firm_card(enquiry, handoff.texts(), possible_duplicate=duplicate)
        # Buttons stay on the first part: that message is the card take/close edits.
        return await out.text(card.text, reply_to, keyboard(card), as_document, buttons_first=True)
    if isinstance(payload, Text):
        return await out.text(payload.text, reply_to, markup, as_document)
    caption, rest = plan_caption(payload.caption or "") if payload.caption is not None else (None, ())
    if isinstance(payload, Photo):
        photo = payload
        first = await out.part(
            lambda: bot.send_photo(
                chat_id,
                photo.file_id,
                caption=caption or None,
                message_thread_id=thread,
                reply_parameters=_reply(reply_to),
                reply_markup=None if rest else markup,
            )
        )
    else:
        assert isinstance(payload, Copy)
        source = payload.source
        first = await out.part(
            lambda: bot.copy_message(
                chat_id,
                source.chat_id,
                source.message_id,
                caption=caption,
                message_thread_id=thread,
                reply_parameters=_reply(reply_to),
                reply_markup=None if rest else markup,
            )
        )
    ids = [first]
    for i, part in enumerate(rest):
        last = i == len(rest) - 1
        ids += await out.text(part, first, markup if last else None, False)
    return ids


class _Out:
    """Messages to one chat (and forum topic), in parts counted across the whole payload.

    Each part delivered is recorded on the row at once (`record_part`), so a retry or a
    `/resend` skips the parts that arrived and sends the rest. A part cut off mid-flight is not
    recorded: the row is then `uncertain` like any interrupted send, and a resend repeats it.
    """

    def __init__(self, bot: Bot, handoff: Handoff, row: OutboxRow, chat_id: int, thread: int | None) -> None:
        self.bot, self.handoff, self.row, self.chat_id, self.thread = bot, handoff, row, chat_id, thread
        self.index = 0

    async def part(self, send: Callable[[], Awaitable[Message | MessageId]]) -> int:
        """The message id of the next part: sent now, or the one delivered by an earlier try."""
        index, self.index = self.index, self.index + 1
        if index < len(self.row.sent_parts):
            return self.row.sent_parts[index]
        sent = await send()
        row_id, message_id = self.row.id, sent.message_id
        self.handoff.record(lambda store: store.record_part(row_id, message_id))
        return sent.message_id

    async def text(
        self,
        text: str,
        reply_to: int | None,
        markup: InlineKeyboardMarkup | None,
        as_document: bool,
        buttons_first: bool = False,
    ) -> list[int]:
        note = self.handoff.texts()("outbox.document_note")
        plan = plan_text(text, self.handoff.config.policy(), as_document, note)
        if isinstance(plan, Document):
            # The whole text as one file (Telegram called a part too long): after the parts
            # that did arrive, if any.
            self.index = max(self.index, len(self.row.sent_parts))
            document = plan
            return [
                await self.part(
                    lambda: self.bot.send_document(
                        self.chat_id,
                        document.body.encode("utf-8"),
                        filename=document.filename,
                        caption=document.caption,
                        message_thread_id=self.thread,
                        reply_parameters=_reply(reply_to),
                        reply_markup=markup,
                    )
                )
            ]
        ids: list[int] = []
        for i, part in enumerate(plan.parts):
            carries = i == 0 if buttons_first else i == len(plan.parts) - 1
            ids.append(
                await self.part(
                    partial(
                        self.bot.send_message,
                        self.chat_id,
                        part,
                        message_thread_id=self.thread,
                        reply_parameters=_reply(reply_to) if i == 0 else None,
                        reply_markup=markup if carries else None,
                    )
                )
            )
        return ids


def _reply(message_id: int | None) -> ReplyParameters | None:
    return ReplyParameters(message_id, allow_sending_without_reply=True) if message_id else None


async def _placement(
    bot: Bot, handoff: Handoff, row: OutboxRow, payload: Payload, enquiry: Enquiry | None, chat_id: int
) -> tuple[int | None, int | None]:
    """(forum topic, message to reply to): in the firm chat, an enquiry's messages answer its card."""
    explicit = payload.reply_to if isinstance(payload, Text) else None
    if row.target != "firm" or enquiry is None:
        return None, explicit
    if isinstance(payload, Card):
        return await _thread_for(bot, handoff, enquiry, chat_id), None
    return enquiry.firm_thread_id, explicit or enquiry.firm_message_id


async def _thread_for(bot: Bot, handoff: Handoff, enquiry: Enquiry, chat_id: int) -> int | None:
    """In a forum supergroup, one topic per enquiry (created once, stored before the card is sent)."""
    if enquiry.firm_thread_id is not None and enquiry.firm_chat_id == chat_id:
        return enquiry.firm_thread_id
    if handoff.firm_is_forum is None:
        handoff.firm_is_forum = bool((await bot.get_chat(chat_id)).is_forum)
    if not handoff.firm_is_forum:
        return None
    name = enquiry.lender or handoff.texts().plain("outbox.topic_fallback")
    topic = await bot.create_forum_topic(chat_id, f"#{enquiry.ref} {name}"[:128])
    handoff.db().set_thread(enquiry.id, chat_id, topic.message_thread_id)
    return topic.message_thread_id


def classify(exc: TelegramError) -> Failure:
    """Telegram's exception as the core's `Failure`."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # the int/timedelta migration warning is not ours to fix
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            value: int | timedelta = exc.retry_after
        seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
        return Failure("flood", exc.message, seconds)
    if isinstance(exc, ChatMigrated):
        return Failure("unreachable", f"{exc.message} (new chat id {exc.new_chat_id})")
    if isinstance(exc, Forbidden):
        return Failure("unreachable", exc.message)
    if isinstance(exc, BadRequest):
        lowered = exc.message.lower()
        if "chat not found" in lowered:
            return Failure("unreachable", exc.message)
        if "too long" in lowered:
            return Failure("too_long", exc.message)
        return Failure("rejected", exc.message)
    if isinstance(exc, TimedOut):
        return Failure("timed_out", exc.message)
    if isinstance(exc, NetworkError):  # 5xx and connection errors
        return Failure("network", exc.message)
    return Failure("unexpected", exc.message)
