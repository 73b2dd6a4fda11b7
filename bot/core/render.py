"""An answer as a message: one screen first, the rest folded (Telegram HTML or console text).

Layout of an answer (which lines are shown is decided by `bot.core.answer_layout`):

    [one English line, for English speakers]      "Home visits. The answer is in Chinese; …"
    [您提到：…, when a message raised several points]
    **title**
    direct answer and numbered steps               ← the first screen, about 450 characters
    <blockquote expandable> explanation, evidence to keep, legal basis </blockquote>
    [the note of the lender's kind, when the question named a lender]
    footer: disclaimer + 12348, one line

The firm appears only behind the lawyer button. All text is escaped once (`bot.core.markup`);
only our own tags are added, so nothing a maintainer or a user types can break Telegram's
HTML parser. Long messages are split after rendering, on what Telegram counts (`split_message`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.answer_layout import layout
from bot.core.htmltext import split_html
from bot.core.knowledge import Entry, Firm, KnowledgeBase
from bot.core.markup import bold, esc, markup_to_html, markup_to_plain
from bot.core.messages import Texts

TELEGRAM_LIMIT = 4096
FOLD_OPEN = "<blockquote expandable>"
FOLD_CLOSE = "</blockquote>"
CONSOLE_FOLD = "│ "

__all__ = [
    "TELEGRAM_LIMIT",
    "AnswerExtras",
    "markup_to_html",
    "markup_to_plain",
    "render_entry",
    "render_firm_contact",
    "split_message",
]


@dataclass(frozen=True)
class AnswerExtras:
    """What the question adds to an answer (all optional)."""

    english_topic: str = ""  # set for English speakers: the topic's English name
    concerns: tuple[str, ...] = ()  # the `concern:` words of each point raised, main first
    lender: str = ""  # the lender named (or its kind), with the note of its kind
    lender_note: str = ""


def render_entry(
    entry: Entry, kb: KnowledgeBase, as_html: bool = True, extras: AnswerExtras | None = None
) -> str:
    """The answer message for `entry` (see the module docstring for the layout)."""
    t = Texts(kb.messages, "zh", as_html)
    extras = extras or AnswerExtras()
    convert = markup_to_html if as_html else markup_to_plain
    head: list[str] = []
    if extras.english_topic:
        lead = t.to("en")("answer.english_lead", topic=extras.english_topic)
        head.append(f"<i>{lead}</i>" if as_html else lead)
    if extras.concerns:
        head.append(t("answer.concerns", concerns="、".join(extras.concerns)))
    if head:
        head.append("")
    parts = layout(entry.answer)
    lines = [*head, bold(entry.title, as_html), *(convert(line) for line in parts.shown)]
    folded = [convert(line) for line in parts.folded]
    if entry.legal_basis:
        folded.append(bold(t.plain("answer.legal_basis"), as_html))
        folded += [f"• {esc(item, as_html)}" for item in entry.legal_basis]
    if folded:
        title = bold(t.plain("answer.fold"), as_html)
        if as_html:
            lines.append(FOLD_OPEN + "\n".join([title, *folded]) + FOLD_CLOSE)
        else:
            lines += ["", *(CONSOLE_FOLD + line for line in [title, *folded]), ""]
    if extras.lender_note:
        lines.append(t("answer.lender_note", lender=extras.lender, note=extras.lender_note))
    lines.append(t("answer.footer", disclaimer=kb.firm.disclaimer))
    return "\n".join(lines)


def first_screen(text: str) -> str:
    """The part of a rendered answer shown before the fold (for tests and measurements)."""
    return text.split(FOLD_OPEN, 1)[0]


def render_firm_contact(firm: Firm, texts: Texts) -> str:
    """The firm's details: only the lines firm.yaml fills in, then the free legal-aid line."""
    lines = [bold(firm.name, texts.as_html)]
    lines += contact_lines(firm, texts)
    lines += ["", esc(firm.legal_aid, texts.as_html)]
    return "\n".join(lines)


def contact_lines(firm: Firm, texts: Texts) -> list[str]:
    fields = ("website", "phone", "email", "wechat", "address", "office_hours")
    return [texts(f"firm.{key}", value=getattr(firm, key)) for key in fields if getattr(firm, key)]


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML so each part fits Telegram's limit (bot.core.htmltext.split_html).

    Parts end at line breaks where possible; a longer line is cut between whole characters or
    entities, never inside `&lt;` or a tag, and tags open at a cut are closed and reopened.
    """
    return split_html(text, limit)
