"""Telling a question from small talk: a message must carry content to be answered.

`ok`, `6`, `谢谢`, `你好在吗`, `哈哈哈`, an emoji or one character carry no question; matched as
questions they used to draw confident legal answers (`ok` the noon-deadline entry, `6` the
interest cap). A message counts as a question only if, once its small-talk phrases
(`knowledge/smalltalk.yaml`) are taken out, it still holds a domain-bearing feature: a Chinese
2- or 3-gram or an English word the knowledge base knows, not made only of function characters
(我, 的, 吗, 一下 …), and not a class token the recogniser left for a bare number. Otherwise it
is small talk of the first kind found (greeting, thanks, acknowledgement, laughter, goodbye, a
question about the bot), or noise.
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence
from typing import Literal

from bot.core.features import FUNCTION_CHARS, extract_features
from bot.core.recognise import CLASS_TOKENS

SmallTalk = Literal["greeting", "thanks", "ack", "laughter", "bye", "about", "noise"]
KINDS: tuple[SmallTalk, ...] = ("greeting", "thanks", "ack", "laughter", "bye", "about")


class SmallTalkLexicon:
    """Small-talk phrases by kind, already normalised (the matcher's normaliser)."""

    def __init__(self, phrases: Mapping[SmallTalk, Sequence[str]]) -> None:
        self._kind: dict[str, SmallTalk] = {}
        for kind, items in phrases.items():
            for phrase in items:
                if phrase.strip():
                    self._kind.setdefault(phrase.strip(), kind)
        ordered = sorted(self._kind, key=len, reverse=True)
        parts = [
            rf"(?<![0-9a-z]){re.escape(p)}(?![0-9a-z])" if p.isascii() else re.escape(p) for p in ordered
        ]
        self._pattern = re.compile("|".join(parts)) if parts else None

    def strip(self, normalized: str) -> tuple[str, list[SmallTalk]]:
        """The text without its small-talk phrases, and the kinds found (in order)."""
        if self._pattern is None:
            return normalized, []
        kinds: list[SmallTalk] = []

        def drop(m: re.Match[str]) -> str:
            kinds.append(self._kind[m.group(0)])
            return " "

        return self._pattern.sub(drop, normalized), kinds


def content_size(normalized: str, vocabulary: Container[str]) -> int:
    """How many domain-bearing features the text holds: known Chinese 2-grams and English
    words, not made only of function characters, not a class token."""
    size = 0
    for feature in extract_features(normalized):
        if feature in CLASS_TOKENS or feature not in vocabulary:
            continue
        if feature.isascii():
            size += len(feature) > 1 and not feature.isdigit()
        elif len(feature) == 2 and not FUNCTION_CHARS.issuperset(feature):
            size += 1
    return size


def has_content(normalized: str, vocabulary: Container[str]) -> bool:
    """Does the text hold a feature that can point to a knowledge-base entry?"""
    return content_size(normalized, vocabulary) > 0


def classify(normalized: str, lexicon: SmallTalkLexicon, vocabulary: Container[str]) -> SmallTalk | None:
    """None for a question; otherwise the kind of small talk."""
    rest, kinds = lexicon.strip(normalized)
    if has_content(rest, vocabulary):
        return None
    # "你好，谢谢" is thanks more than a greeting: the later phrase is usually the point,
    # except that any question about the bot wins.
    if "about" in kinds:
        return "about"
    return kinds[-1] if kinds else "noise"
