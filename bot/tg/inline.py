"""Inline mode: `@bot 上门` in any chat lists matching entries; choosing one inserts the answer."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode

from bot.core.inline import InlineItem, inline_results
from bot.core.privacy import mask_pii
from bot.tg.context import Context

log = logging.getLogger(__name__)

# Short, so a reloaded knowledge base reaches inline users quickly.
CACHE_SECONDS = 30


def _article(item: InlineItem, bot_username: str, label: str) -> InlineQueryResultArticle:
    markup = None
    if item.entry_id and bot_username:
        # Deep link into the private chat, where related questions and the lawyer button live.
        url = f"https://t.me/{bot_username}?start={item.entry_id}"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(label, url=url)]])
    return InlineQueryResultArticle(
        id=item.id,
        title=item.title,
        description=item.description,
        input_message_content=InputTextMessageContent(
            item.text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=markup,
    )


async def inline_query(update: Update, context: Context) -> None:
    """An inline query: the best entries (title + first line), or a "联系律师" item when off-topic."""
    query = update.inline_query
    if query is None:
        return
    brain = context.bot_data.require_brain()
    items = inline_results(brain.kb, brain.matcher, query.query)
    username = context.bot_data.bot_username
    label = context.bot_data.require_brain().texts().label("button.open_in_bot")
    articles = [_article(i, username, label) for i in items]
    await query.answer(articles, cache_time=CACHE_SECONDS, is_personal=False)


async def chosen_result(update: Update, context: Context) -> None:
    """A chosen inline result (only sent when inline feedback is on in @BotFather): logged, masked."""
    chosen = update.chosen_inline_result
    if chosen is None:
        return
    log.info("inline choice result=%s query=%r", chosen.result_id, mask_pii(chosen.query)[:60])
