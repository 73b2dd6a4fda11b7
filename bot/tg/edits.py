"""Which answer the bot gave to which question, kept in the database (bot/storage/sql_learning.py).

An edited question is answered again only if the answer changes, by editing the earlier answer
(bot/tg/handlers.py). The memory is in the database, so it holds on every instance and after a
restart, without the question's text: only salted hashes of the question's place and of the
answer's identity, with the asker's hash so `/forget` deletes it; purged with the learning log.
"""

from __future__ import annotations

import logging
import time

from telegram import Message

from bot.core.dialog import Reply
from bot.core.model import AnsweredQuestion
from bot.storage import StorageUnavailable
from bot.tg.context import Context

log = logging.getLogger(__name__)


def answer_key(reply: Reply) -> str:
    """What makes two replies to a question the same reply."""
    return repr((reply.kind, reply.entry_id, reply.buttons))


def remember(context: Context, question: Message, answer_message_id: int, parts: int, reply: Reply) -> None:
    database = context.bot_data.storage
    if database is None:
        return
    user = question.from_user
    try:
        database.learning.remember_answered(
            time.time(),
            chat_id=question.chat.id,
            message_id=question.message_id,
            user_id=user.id if user else 0,
            key=answer_key(reply),
            answer_message_id=answer_message_id,
            parts=parts,
        )
    except StorageUnavailable as exc:  # the answer was sent; only a later edit of it goes unanswered
        context.bot_data.database_down(exc, "edit memory")


def earlier(context: Context, question: Message) -> AnsweredQuestion | None:
    """The bot's answer to this question, if it answered it (None when unknown or unreadable)."""
    database = context.bot_data.storage
    if database is None:
        return None
    try:
        return database.learning.answered(question.chat.id, question.message_id)
    except StorageUnavailable as exc:
        context.bot_data.database_down(exc, "edit memory")
        return None


def same_answer(context: Context, known: AnsweredQuestion, reply: Reply) -> bool:
    database = context.bot_data.storage
    return database is not None and database.learning.answer_ref(answer_key(reply)) == known.answer_ref
