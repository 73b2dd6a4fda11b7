"""The outbox's policy: what to do after a failed send, and how to fit a text into Telegram.

Pure values in, a decision out; the shell (bot/tg/outbox.py) turns Telegram's exceptions into
a `Failure`, asks `after_failure`, and carries the decision out. Nothing is dropped silently:

* flood control (429): wait as long as Telegram asks;
* network errors, 5xx, timeouts: exponential backoff with jitter, for as long as it takes;
* the firm's chat unreachable (bot removed, wrong id, group upgraded): keep the row and try
  again every `unreachable_retry` seconds (the shell alerts the admins once per outage);
* the borrower unreachable (blocked the bot): give up, and the firm is told;
* "too long": send it again as a text file; if even that is refused, give up;
* any other refusal: give up, and whoever wrote the words is told (and the admins).

Texts are planned before sending: up to `max_parts` messages of at most 4,096 visible units
each, else one text file; a caption over 1,024 keeps what fits and the rest follows as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.htmltext import split_html, visible_length, visible_text

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# `last_error` markers that change how the next attempt is made.
TIMED_OUT = "timed out"  # the retried card says it may be a duplicate
TOO_LONG = "too long"  # the retried text goes as a file

Target = Literal["firm", "user"]
FailureKind = Literal["flood", "network", "timed_out", "unreachable", "too_long", "rejected", "unexpected"]
# Why a row was given up; its words are `giveup.<reason>` in messages.yaml.
GiveUpReason = Literal["unreachable", "too_long", "rejected"]


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    detail: str = ""  # Telegram's description, for the log and the row's last_error
    retry_after: float = 0.0  # flood: the seconds Telegram asked for


@dataclass(frozen=True)
class Policy:
    backoff_base: float = 2.0  # first retry after ~2 s, then 4, 8, …
    backoff_cap: float = 300.0
    unreachable_retry: float = 120.0
    max_parts: int = 3  # a longer text is sent as a file

    def backoff(self, attempts: int, jitter: float = 1.0) -> float:
        """Delay before retry number `attempts` (1, 2, …); `jitter` is drawn in [0.75, 1.25]."""
        return min(self.backoff_cap, self.backoff_base * 2.0 ** max(attempts - 1, 0)) * jitter


@dataclass(frozen=True)
class Retry:
    at: float
    error: str


@dataclass(frozen=True)
class WaitForChat:
    """The firm's chat cannot be reached: keep the row, try again at `at`, alert the admins."""

    at: float
    error: str


@dataclass(frozen=True)
class GiveUp:
    error: str
    reason: GiveUpReason  # what the author of the words (or the firm) is told, as a text key


Outcome = Retry | WaitForChat | GiveUp


def after_failure(
    target: Target,
    failure: Failure,
    attempts: int,
    last_error: str,
    policy: Policy,
    now: float,
    jitter: float = 1.0,
) -> Outcome:
    """The decision after attempt number `attempts` of a row failed."""
    kind = failure.kind
    if kind == "flood":
        return Retry(now + failure.retry_after + 0.5 * jitter, f"429 retry after {failure.retry_after:g}")
    if kind == "network":
        return Retry(now + policy.backoff(attempts, jitter), f"network: {failure.detail}")
    if kind == "timed_out":
        return Retry(now + policy.backoff(attempts, jitter), TIMED_OUT)
    if kind == "unreachable":
        if target == "firm":
            return WaitForChat(now + policy.unreachable_retry, f"firm unreachable: {failure.detail}")
        return GiveUp(f"user unreachable: {failure.detail}", "unreachable")
    if kind == "too_long":
        if last_error == TOO_LONG:
            return GiveUp(f"too long even as a file: {failure.detail}", "too_long")
        return Retry(now, TOO_LONG)
    if kind == "rejected":
        return GiveUp(f"bad request: {failure.detail}", "rejected")
    return Retry(now + policy.backoff(attempts, jitter), "unexpected error")


def waits_for_card(target: Target, is_card: bool, card_delivered: bool) -> bool:
    """A message about an enquiry goes to the firm only after the enquiry's card (it replies to it)."""
    return target == "firm" and not is_card and not card_delivered


# -- fitting a text into Telegram's limits -------------------------------------------------------


@dataclass(frozen=True)
class Parts:
    parts: tuple[str, ...]  # Telegram HTML, each within TEXT_LIMIT


@dataclass(frozen=True)
class Document:
    caption: str  # Telegram HTML, within CAPTION_LIMIT
    body: str  # the whole text as the reader would see it
    filename: str = "message.txt"


TextPlan = Parts | Document
def plan_text(text: str, policy: Policy, as_document: bool = False, note: str = "📄") -> TextPlan:
    """Send as it is, in parts, or (too many parts, or Telegram refused it) as a text file whose
    caption is the text's first line and `note` (Telegram HTML: messages.yaml's `outbox.document_note`)."""
    parts = split_html(text, TEXT_LIMIT)
    if not as_document and len(parts) <= policy.max_parts:
        return Parts(tuple(parts))
    first_line = text.split("\n", 1)[0]
    heading = split_html(first_line, 200)[0] if visible_length(first_line) else ""
    caption = f"{heading}\n{note}" if heading else note
    return Document(caption, visible_text(text))


def plan_caption(caption: str) -> tuple[str, tuple[str, ...]]:
    """(the caption, texts sent after the media): what fits stays, the rest follows as text."""
    if visible_length(caption) <= CAPTION_LIMIT:
        return caption, ()
    head, *rest = split_html(caption, CAPTION_LIMIT)
    return head, tuple(split_html("\n".join(rest), TEXT_LIMIT))
