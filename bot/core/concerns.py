"""Several concerns in one message: "12点前不还就上门，还说要去老家找我爸妈，说我涉嫌诈骗".

A long story often carries more than one question. Matched as a whole it lands on one topic
(or on a vague "did you mean"); the borrower then cannot see that the rest was understood. So
a message of several clauses is also matched clause by clause: every clause the matcher would
answer on its own with another topic becomes a concern, listed after the main one. Clauses are
cut at punctuation and at the words that start a new point (还说, 而且, 否则 …); tiny
fragments are joined to their neighbour.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# A message needs at least this many characters and two clauses to be looked at (each clause
# is matched again, so short questions, most of them, are spared the cost).
MIN_CHARS = 30
MIN_CLAUSE_CHARS = 5
MAX_CLAUSES = 8
MAX_CONCERNS = 4
_CLAUSE_BREAK = re.compile(
    r"[，,。.！!？?；;\n、…~～]+|\s{2,}|(?=还说|而且|另外|然后还|还有就是|否则|不然|并且|同时还|甚至)"
)


@dataclass(frozen=True)
class Concern:
    topic: str
    entry: str
    score: float  # calibrated probability that this clause's topic is right


def clauses(text: str) -> list[str]:
    """The message cut into clauses, short fragments joined to the clause before them."""
    out: list[str] = []
    for part in _CLAUSE_BREAK.split(text):
        part = part.strip()
        if not part:
            continue
        if (out and len(part) < MIN_CLAUSE_CHARS) or (out and len(out[-1]) < MIN_CLAUSE_CHARS):
            out[-1] += part
        else:
            out.append(part)
    return out


def clauses_to_match(text: str) -> list[str]:
    """The clauses worth matching one by one; [] for a message too short or of one clause."""
    parts = clauses(text)
    if len(text) < MIN_CHARS or len(parts) < 2:
        return []
    return parts[:MAX_CLAUSES]


def find_concerns(matched: Sequence[Concern | None], main: Concern, sure: float) -> tuple[Concern, ...]:
    """The main concern (the whole message's best entry) first, then every other topic a
    clause is about with the confidence `sure` that the matcher would answer it on its own
    (a clause that merely states a fact, 欠了两万, stays below it); () when the message
    carries only one concern. `matched` holds each clause's best entry (None: no question)."""
    found: dict[str, Concern] = {}
    for concern in matched:
        if concern is not None and concern.score >= sure and concern.topic not in found:
            found[concern.topic] = concern
    found.pop(main.topic, None)
    if not found:
        return ()
    return (main, *sorted(found.values(), key=lambda c: -c.score))[:MAX_CONCERNS]
