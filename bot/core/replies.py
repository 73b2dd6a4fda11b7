"""What the conversation hands to a shell: replies, buttons, and the button actions we accept.

Pure values (no Telegram): the Telegram shell turns a `Reply` into a message with an inline
keyboard, the console into numbered choices. The grammar of button actions is documented in
`bot.core.dialog`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.core.matcher import MatchResult
from bot.core.messages import Texts

_ACTION = re.compile(
    r"^(?:([ac]):([a-z0-9-]{3,48})|m:(\d{1,3})|t:([a-z0-9-]{3,48}):(\d{1,3})|(l)(:q)?"
    r"|v:([+-]):([a-z0-9-]{3,48})|v:(ok))$"
)
FEEDBACK_PREFIX = "v:"
MAX_RELATED = 3  # entries offered as buttons under an answer
LAWYER = "l"
LAWYER_WITH_QUESTION = "l:q"

ReplyKind = Literal["answer", "clarify", "none", "smalltalk", "menu", "info", "invalid"]


@dataclass(frozen=True)
class Button:
    label: str
    action: str


Rows = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML, or plain text when the dialog was built for the console
    kind: ReplyKind
    buttons: Rows = ()
    entry_id: str | None = None  # the answer shown, if any
    match: MatchResult | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Action:
    kind: Literal["answer", "choice", "menu", "topic", "lawyer", "feedback"]
    entry_id: str = ""
    topic_id: str = ""
    page: int = 0
    vote: int = 0  # feedback: +1 👍, -1 👎, 0 the thank-you button
    with_question: bool = False  # lawyer: carry the question the bot could not answer


def parse_action(data: str | None) -> Action | None:
    """Parse callback data; None for anything we did not create ourselves."""
    if not data or len(data.encode("utf-8")) > 64:
        return None
    m = _ACTION.match(data)
    if m is None:
        return None
    if m.group(1):
        return Action("answer" if m.group(1) == "a" else "choice", entry_id=m.group(2))
    if m.group(3) is not None:
        return Action("menu", page=int(m.group(3)))
    if m.group(4):
        return Action("topic", topic_id=m.group(4), page=int(m.group(5)))
    if m.group(6):
        return Action("lawyer", with_question=bool(m.group(7)))
    if m.group(8):
        return Action("feedback", entry_id=m.group(9), vote=1 if m.group(8) == "+" else -1)
    return Action("feedback")


def feedback_row(entry_id: str, texts: Texts) -> tuple[Button, ...]:
    return (
        Button(texts.label("button.helpful"), f"v:+:{entry_id}"),
        Button(texts.label("button.not_helpful"), f"v:-:{entry_id}"),
    )


def after_feedback(rows: Rows, vote: int, texts: Texts) -> Rows:
    """The answer's buttons once 👍/👎 was tapped: the feedback row becomes a thank-you; every
    other button (related questions, 问律师, 全部主题) stays as it was."""
    key = "button.thanks_helpful" if vote > 0 else "button.thanks_not_helpful"
    thanks = (Button(texts.label(key), "v:ok"),)
    return tuple(thanks if any(b.action.startswith(FEEDBACK_PREFIX) for b in row) else row for row in rows)


def pager(prefix: str, page: int, pages: int, t: Texts) -> tuple[Button, ...]:
    buttons = []
    if page > 0:
        buttons.append(Button(t.label("button.previous"), f"{prefix}{page - 1}"))
    if page + 1 < pages:
        buttons.append(Button(t.label("button.next"), f"{prefix}{page + 1}"))
    return tuple(buttons)
