"""The light markup maintainers write (`**bold**`, `- ` bullets, backticks for code) and the one
escaping step.

Maintainers never write HTML: their text is escaped first, and only our own tags are added
afterwards, so nothing a maintainer (or a user) types can break Telegram's HTML parser. Values
put into a text (a firm's name, a borrower's words) are escaped on their own and inserted
after the markup is converted, so a `**` inside a value is never taken as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

BOLD = re.compile(r"\*\*(.+?)\*\*")
CODE = re.compile(r"`([^`\n]+)`")  # `file:line`, entry ids: shown as code (admins' messages)
BULLET = re.compile(r"^- ", re.MULTILINE)
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


def esc(text: str, as_html: bool = True) -> str:
    return html.escape(text, quote=False) if as_html else text


def markup_to_html(text: str) -> str:
    return BULLET.sub("• ", CODE.sub(r"<code>\1</code>", BOLD.sub(r"<b>\1</b>", esc(text))))


def markup_to_plain(text: str) -> str:
    return BULLET.sub("• ", CODE.sub(r"\1", BOLD.sub(r"\1", text)))


def bold(text: str, as_html: bool = True) -> str:
    """Plain text shown bold: escaped, then wrapped."""
    return f"<b>{esc(text)}</b>" if as_html else text


def fill(template: str, values: Mapping[str, object], as_html: bool = True) -> str:
    """Render a template in light markup with `{name}` placeholders: markup first, then each
    value escaped on its own. A placeholder without a value is a programming error (KeyError)."""
    converted = markup_to_html(template) if as_html else markup_to_plain(template)
    return PLACEHOLDER.sub(lambda m: esc(str(values[m.group(1)]), as_html), converted)
