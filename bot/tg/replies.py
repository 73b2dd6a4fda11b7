"""Sending a core `Reply` to Telegram: inline keyboard, splitting, editing."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.core.dialog import Reply
from bot.core.render import split_message


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.action) for b in row] for row in reply.buttons]
    )


async def send_reply(message: Message, reply: Reply, quote: bool = False) -> Message:
    """Send a reply in as many parts as Telegram's limit needs; buttons go on the last part."""
    parts = split_message(reply.text)
    sent = message
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await message.reply_text(
            part,
            reply_markup=keyboard(reply) if last else None,
            do_quote=quote and i == 0,
        )
    return sent


async def edit_or_send(message: Message, reply: Reply) -> None:
    """Replace a menu in place (paging); fall back to a new message if it cannot be edited."""
    parts = split_message(reply.text)
    if len(parts) == 1:
        try:
            await message.edit_text(parts[0], reply_markup=keyboard(reply))
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
    await send_reply(message, reply)
