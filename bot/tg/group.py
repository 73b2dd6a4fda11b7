"""Staff in group chats: reply to someone's message with `/answer <words>` to answer it."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.core.staff import staff_question
from bot.tg.context import Context
from bot.tg.replies import send_reply


async def answer_command(update: Update, context: Context) -> None:
    """/answer as a reply: answer the replied-to message with the best entry (or "did you mean")."""
    message = update.effective_message
    if message is None:
        return
    brain = context.bot_data.require_brain()
    t = brain.texts()
    target = message.reply_to_message
    if target is None:
        await message.reply_text(t("group.usage"))
        return
    question = staff_question(
        brain.matcher, target.text or target.caption or "", " ".join(context.args or [])
    )
    if not question:
        await message.reply_text(t("group.usage"))
        return
    reply = await asyncio.to_thread(brain.dialog.ask, question)
    if reply.kind == "none":
        await message.reply_text(t("group.no_match"), do_quote=True)
        return
    await send_reply(target, reply, quote=True)
