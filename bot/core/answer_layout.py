"""Which part of an answer shows on the first screen, and which part folds away.

A borrower reads on a phone, often frightened: the first screen carries the title, the direct
answer and the numbered steps. Everything else an entry says (the explanation, what evidence
to keep, other lists) goes into Telegram's expandable quote with the legal basis, collapsed
until tapped. Nothing is dropped, only folded.

The rule follows how entries are written (see knowledge/entries/*.yaml):

* the first line (`**直接回答：** …`) is shown;
* the block of numbered lines (`1. …`), with the heading line just above it
  (`**建议这样做：**`), is shown;
* every other line is folded, in its order.

An answer without numbered lines shows only its first line. `check` warns when the shown part
is longer than `MAX_VISIBLE_CHARS` (measured as text, without markup).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.markup import markup_to_plain

# About one phone screen of Chinese text above the fold.
MAX_VISIBLE_CHARS = 450
_STEP = re.compile(r"^\d{1,2}[.、．]\s*")
_HEADING = re.compile(r"^\*\*[^*\n]{1,16}\*\*\s*$")


@dataclass(frozen=True)
class AnswerLayout:
    shown: tuple[str, ...]  # lines in light markup, first screen
    folded: tuple[str, ...]  # lines in light markup, in the expandable quote


def layout(answer: str) -> AnswerLayout:
    lines = [line.rstrip() for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return AnswerLayout((), ())
    shown = {0}
    first_step = next((i for i, line in enumerate(lines) if i > 0 and _STEP.match(line)), None)
    if first_step is not None:
        end = first_step
        while end < len(lines) and _STEP.match(lines[end]):
            shown.add(end)
            end += 1
        if first_step > 1 and _HEADING.match(lines[first_step - 1]):
            shown.add(first_step - 1)
    return AnswerLayout(
        tuple(line for i, line in enumerate(lines) if i in shown),
        tuple(line for i, line in enumerate(lines) if i not in shown),
    )


def visible_chars(title: str, answer: str) -> int:
    """Characters on the first screen of an answer: its title and the shown lines, as text."""
    shown = layout(answer).shown
    return len(title) + sum(len(markup_to_plain(line)) + 1 for line in shown)
