"""Staff in group chats: reply to someone's message with `/answer <words>` to answer it."""

from __future__ import annotations

import asyncio
import html

from telegram import Update

from bot.core.staff import staff_question
from bot.tg.context import Context
from bot.tg.replies import send_reply

USAGE = "用法：回复某人的消息并发送 /answer（可以再加几个关键词），我会回答那条消息。"
NO_MATCH = "这条消息没有找到合适的回答。可以加几个关键词再试：/answer 上门"


async def answer_command(update: Update, context: Context) -> None:
    """/answer as a reply: answer the replied-to message with the best entry (or "did you mean")."""
    message = update.effective_message
    if message is None:
        return
    target = message.reply_to_message
    if target is None:
        await message.reply_text(html.escape(USAGE, quote=False))
        return
    brain = context.bot_data.require_brain()
    question = staff_question(
        brain.matcher, target.text or target.caption or "", " ".join(context.args or [])
    )
    if not question:
        await message.reply_text(html.escape(USAGE, quote=False))
        return
    reply = await asyncio.to_thread(brain.dialog.ask, question)
    if reply.kind == "none":
        await message.reply_text(html.escape(NO_MATCH, quote=False), do_quote=True)
        return
    await send_reply(target, reply, quote=True)
