"""The lawyer thread: when a borrower's message is probably meant for the lawyer.

After a lawyer's answer, borrowers type `好的，明天上午可以` or send a photo without pressing
"reply". Answered as a question, such a message is lost to the firm. So while the borrower has
an open enquiry with activity in the last `THREAD_DAYS` days, a message that the matcher cannot
answer outright, or that reads as a reply (short, an acknowledgement or thanks, a time or day,
a photo), gets "发给律师（咨询 #REF）吗？" with [发给律师] [这是新问题]. With several open
enquiries the newest comes first and each one is a choice.

Pure: the shell gives it the borrower's enquiries and the match, and carries out the tap
(`h:s:<enquiry id>` sends the message the offer answers, `h:n` answers it as a question).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from bot.core.matcher import MatchResult
from bot.core.messages import Texts
from bot.core.replies import Button, Reply

THREAD_DAYS = 14
MAX_CHOICES = 3  # enquiries offered at once (newest first)
# A message this short is more likely a reply than a question ("可以", "好的谢谢"); one that names
# a time or day ("好的，明天上午可以") up to the longer length.
SHORT_REPLY_CHARS = 8
TIME_REPLY_CHARS = 14
SEND = "h:s:"
NEW_QUESTION = "h:n"
_ACTION = re.compile(r"^h:(?:s:(\d{1,12})|(n))$")


class ThreadEnquiry(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def ref(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def updated_at(self) -> float: ...


E = TypeVar("E", bound=ThreadEnquiry)


def open_threads(enquiries: Sequence[E], now: float) -> list[E]:
    """Open enquiries with activity in the last THREAD_DAYS days, newest first."""
    since = now - THREAD_DAYS * 86400
    live = [e for e in enquiries if e.status != "closed" and e.updated_at >= since]
    return sorted(live, key=lambda e: e.updated_at, reverse=True)


def reads_as_reply(text: str, result: MatchResult | None, has_photo: bool = False) -> bool:
    """A photo, an acknowledgement or thanks, a very short message, or a short one naming a time
    or day ("好的，明天上午可以"); a longer question that mentions 明天 is still a question."""
    if has_photo or result is None:
        return True
    if result.smalltalk in ("ack", "thanks", "bye"):
        return True
    size = len(re.sub(r"[\s\W_]+", "", text))
    return size <= SHORT_REPLY_CHARS or (bool(result.facts.when) and size <= TIME_REPLY_CHARS)


def offer_to_lawyer(
    text: str, result: MatchResult | None, threads: Sequence[ThreadEnquiry], has_photo: bool = False
) -> bool:
    """Should this message first be offered to the lawyer rather than answered?"""
    if not threads:
        return False
    answered = result is not None and result.decision == "answer" and result.smalltalk is None
    return not answered or reads_as_reply(text, result, has_photo)


def offer(threads: Sequence[ThreadEnquiry], texts: Texts) -> Reply:
    """ "发给律师（咨询 #REF）吗？" [发给律师] [这是新问题]; with several, one button per enquiry."""
    shown = list(threads[:MAX_CHOICES])
    new = Button(texts.label("button.new_question"), NEW_QUESTION)
    if len(shown) == 1:
        e = shown[0]
        buttons = ((Button(texts.label("button.send_to_lawyer"), f"{SEND}{e.id}"), new),)
        return Reply(texts("thread.offer", ref=e.ref), "info", buttons)
    rows = tuple((Button(texts.label("button.send_to_case", ref=e.ref), f"{SEND}{e.id}"),) for e in shown)
    return Reply(texts("thread.offer_several", count=len(shown)), "info", (*rows, (new,)))


def parse(data: str | None) -> int | None:
    """The enquiry id of "send to the lawyer", 0 for "a new question", None for anything else."""
    m = _ACTION.match(data or "")
    if m is None:
        return None
    return int(m.group(1)) if m.group(1) else 0
