"""Length and splitting of Telegram HTML, measured the way Telegram measures it.

Telegram's limits (4,096 for a message, 1,024 for a caption) count the text *after* the HTML
is parsed, in UTF-16 code units: `&lt;` is one unit, `<b>` is none, an emoji outside the
basic plane is two. Splitting the raw HTML by its own length cut escaped user text inside an
entity (`…&l` + `t;…`) and made parts far shorter than needed; here the cut is made between
whole tokens (tag, entity, character), preferably at a line break, and a tag left open at a
cut is closed at the end of one part and opened again at the start of the next.
"""

from __future__ import annotations

import html
import re

_TOKEN = re.compile(r"<[^<>]*>|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);|\n|[^<&\n]+|[<&]")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def visible_text(markup: str) -> str:
    """What the reader sees: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))


def visible_length(markup: str) -> int:
    return units(visible_text(markup))


def _tokens(markup: str) -> list[tuple[str, int]]:
    """(token, visible width); runs of plain text are cut into single characters."""
    out: list[tuple[str, int]] = []
    for m in _TOKEN.finditer(markup):
        token = m.group(0)
        if token.startswith("<") and len(token) > 1:
            out.append((token, 0))
        elif token.startswith("&") and len(token) > 1:
            out.append((token, units(html.unescape(token))))
        elif len(token) == 1:
            out.append((token, units(token)))
        else:
            out.extend((ch, units(ch)) for ch in token)
    return out


def _closing(stack: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _opening(stack: list[tuple[str, str]]) -> str:
    return "".join(tag for _, tag in stack)


def _track(stack: list[tuple[str, str]], token: str, width: int) -> None:
    """Update the open-tag stack for one token (tags have no width)."""
    tag = _TAG.fullmatch(token) if width == 0 else None
    if tag is None:
        return
    name = tag.group(2).lower()
    if not tag.group(1):
        stack.append((name, token))
        return
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] == name:
            del stack[i]
            return


def split_html(markup: str, limit: int) -> list[str]:
    """Parts of at most `limit` visible units each, every part valid HTML on its own.

    A part ends at the last line break that keeps it at least half full (the break itself is
    dropped); failing that, after the last whole character or entity that fits.
    """
    if visible_length(markup) <= limit:
        return [markup]
    parts: list[str] = []

    def emit(
        opened: list[tuple[str, str]], tokens: list[tuple[str, int]], still_open: list[tuple[str, str]]
    ) -> None:
        body = "".join(t for t, _ in tokens)
        if visible_text(body).strip():
            parts.append(_opening(opened) + body + _closing(still_open))

    opened: list[tuple[str, str]] = []  # tags reopened at the start of the current part
    current: list[tuple[str, int]] = []
    stack: list[tuple[str, str]] = []  # tags open at the end of `current`
    filled = 0  # visible width of `current`
    for token, width in _tokens(markup):
        if width and current and filled + width > limit:
            cut = _line_break(current, limit)
            if cut is None:
                emit(opened, current, stack)
                opened, current = list(stack), []
            else:
                open_there = list(opened)
                for t, w in current[:cut]:
                    _track(open_there, t, w)
                emit(opened, current[:cut], open_there)
                opened, current = open_there, current[cut + 1 :]
            filled = sum(w for _, w in current)
        _track(stack, token, width)
        current.append((token, width))
        filled += width
    emit(opened, current, stack)
    return parts


def _line_break(tokens: list[tuple[str, int]], limit: int) -> int | None:
    """Index of the last line break that leaves the part at least half full, if any."""
    width = 0
    best = None
    for i, (token, w) in enumerate(tokens):
        if token == "\n" and width >= limit // 2:
            best = i
        width += w
    return best
