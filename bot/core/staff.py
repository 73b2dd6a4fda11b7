"""Staff answering someone else's message (`/answer <words>` as a reply in a group).

The question is the replied-to message plus the staff member's words. The words are a
deliberate hint, while the message may be a long, vague story that drowns them; so when the
combined text does not give a clear answer, the words alone are tried too and the more
decisive of the two is used.
"""

from __future__ import annotations

from bot.core.matcher import Matcher, MatchResult

_RANK = {"answer": 2, "clarify": 1, "none": 0}


def _strength(result: MatchResult) -> tuple[int, float]:
    return _RANK[result.decision], result.score


def staff_question(matcher: Matcher, message: str, words: str) -> str:
    """The text to answer: message and words together, or the words alone if they are more decisive."""
    message, words = message.strip(), words.strip()
    combined = f"{message} {words}".strip()
    if not message or not words:
        return combined
    together = matcher.match(combined)
    if together.decision == "answer":
        return combined
    alone = matcher.match(words)
    return words if _strength(alone) > _strength(together) else combined
