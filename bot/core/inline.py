"""Inline search (`@bot 上门` in any chat): which entries to list and what each one inserts.

Staff type a few words; we list the best entries (title + the answer's first line) and the
chosen one inserts the full answer with its legal basis. Unlike the private chat, the list
is ranked even when the matcher would ask "did you mean": the person choosing is staff and
can see the options. Off-topic queries get a single "问律师" item rather than guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.core.dialog import WELCOME_TOPICS
from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.messages import Texts
from bot.core.render import TELEGRAM_LIMIT, markup_to_plain, render_entry, render_firm_contact, split_message

MAX_RESULTS = 8
# Entries listed must score at least this close to the best one, so a clear match is not
# followed by noise.
RESULT_WINDOW = 0.20
MAX_DESCRIPTION = 90
LAWYER_ID = "lawyer"
_LEADING_LABEL = re.compile(r"^\*\*[^*\n]{1,12}[：:]\*\*\s*")


@dataclass(frozen=True)
class InlineItem:
    id: str  # the result id Telegram echoes back on a choice: the entry id, or "lawyer"
    title: str
    description: str
    text: str  # Telegram HTML, at most TELEGRAM_LIMIT characters
    entry_id: str | None = None


def first_line(answer: str, limit: int = MAX_DESCRIPTION) -> str:
    """The answer's first non-empty line as plain text, without a leading label like **直接回答：**."""
    line = next((ln.strip() for ln in answer.splitlines() if ln.strip()), "")
    line = markup_to_plain(_LEADING_LABEL.sub("", line))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def entry_item(entry: Entry, kb: KnowledgeBase) -> InlineItem:
    text = render_entry(entry, kb, as_html=True)
    if len(text) > TELEGRAM_LIMIT:  # never for a valid entry; keep whole lines if it happens
        text = split_message(text)[0]
    return InlineItem(entry.id, entry.title, first_line(entry.answer), text, entry.id)


def lawyer_item(kb: KnowledgeBase) -> InlineItem:
    t = Texts(kb.messages)
    return InlineItem(
        LAWYER_ID,
        t.plain("inline.lawyer_title", firm=kb.firm.name),
        t.plain("inline.lawyer_description"),
        render_firm_contact(kb.firm, t),
    )


def common_items(kb: KnowledgeBase, limit: int = MAX_RESULTS) -> list[InlineItem]:
    """For an empty query: the first entry of each welcome topic, then of the other topics."""
    order = list(WELCOME_TOPICS) + [t.id for t in kb.topics if t.id not in WELCOME_TOPICS]
    items = []
    for topic_id in order:
        entries = kb.entries_in(topic_id)
        if entries:
            items.append(entry_item(entries[0], kb))
        if len(items) >= limit:
            break
    return items


def inline_results(
    kb: KnowledgeBase, matcher: Matcher, query: str, limit: int = MAX_RESULTS
) -> list[InlineItem]:
    """The items to list for an inline query, best first."""
    if not query.strip():
        return common_items(kb, limit)
    result, scores = matcher.rank(query)
    if result.decision == "none":
        return [lawyer_item(kb)]
    floor = result.score - RESULT_WINDOW
    order = np.argsort(-scores, kind="stable")[:limit]
    items = [entry_item(matcher.kb.entries[int(i)], kb) for i in order if float(scores[int(i)]) >= floor]
    return items or [lawyer_item(kb)]
