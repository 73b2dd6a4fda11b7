"""Turning entries written in light markup into Telegram HTML or console text.

Maintainers write `**bold**`, numbered lines and `- ` bullets; they never write HTML. All
text is escaped first and only our own tags are added, so nothing a maintainer (or a user)
types can break Telegram's HTML parser.
"""

from __future__ import annotations

import html
import re

from bot.core.htmltext import split_html
from bot.core.knowledge import Entry, Firm, KnowledgeBase

TELEGRAM_LIMIT = 4096
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_BULLET = re.compile(r"^- ", re.MULTILINE)


def markup_to_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _BOLD.sub(r"<b>\1</b>", escaped)
    return _BULLET.sub("• ", escaped)


def markup_to_plain(text: str) -> str:
    return _BULLET.sub("• ", _BOLD.sub(r"\1", text))


def _bold(text: str, as_html: bool) -> str:
    return f"<b>{html.escape(text, quote=False)}</b>" if as_html else text


def _esc(text: str, as_html: bool) -> str:
    return html.escape(text, quote=False) if as_html else text


def help_pointer(firm: Firm, as_html: bool = True) -> str:
    """The line under every answer that points to real legal help."""
    contact = [firm.name]
    if firm.website:
        contact.append(firm.website)
    if firm.phone:
        contact.append(f"电话 {firm.phone}")
    text = f"需要律师帮您看具体情况：{'，'.join(contact)}（发送 /lawyer）。{firm.legal_aid}"
    return _esc(text, as_html)


def render_entry(entry: Entry, kb: KnowledgeBase, as_html: bool = True) -> str:
    """The full answer message: question, answer, legal basis, disclaimer and help pointer."""
    parts = [_bold(entry.title, as_html), ""]
    parts.append(markup_to_html(entry.answer) if as_html else markup_to_plain(entry.answer))
    if entry.legal_basis:
        parts += ["", _bold("法律依据：", as_html)]
        parts += [f"• {_esc(item, as_html)}" for item in entry.legal_basis]
    parts += ["", _esc(kb.firm.disclaimer, as_html), help_pointer(kb.firm, as_html)]
    return "\n".join(parts)


def render_firm_contact(firm: Firm, as_html: bool = True) -> str:
    """What /lawyer shows: the firm's details, only the fields that are filled in."""
    lines = [_bold(firm.name, as_html)]
    fields = [
        ("网站", firm.website),
        ("电话", firm.phone),
        ("邮箱", firm.email),
        ("微信", firm.wechat),
        ("地址", firm.address),
        ("办公时间", firm.office_hours),
    ]
    lines += [f"{label}：{_esc(value, as_html)}" for label, value in fields if value]
    lines += ["", _esc(firm.legal_aid, as_html)]
    return "\n".join(lines)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split Telegram HTML so each part fits Telegram's limit (bot.core.htmltext.split_html).

    Parts end at line breaks where possible; a longer line is cut between whole characters or
    entities, never inside `&lt;` or a tag, and tags open at a cut are closed and reopened.
    """
    return split_html(text, limit)
