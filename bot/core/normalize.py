"""Text normalisation shared by the knowledge phrasings and by users' questions.

Both sides go through exactly the same steps, once (phrasings at load time), so a user who
types full-width letters, Traditional characters, emoji or "xyk" meets the same canonical
text the entries were indexed with.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import zhconv

from bot.core.recognise import Facts, Recogniser

# Anything that is not a letter, digit or CJK ideograph separates segments.
_SEPARATORS = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_ASCII_WORD = re.compile(r"^[0-9a-z]+$")


def _to_simplified(text: str) -> str:
    # zhconv only rewrites runs that contain Traditional characters, so Simplified text is
    # returned as it is; skipping pure-ASCII text saves the dictionary walk entirely.
    if not _CJK.search(text):
        return text
    return str(zhconv.convert(text, "zh-cn"))


class Normalizer:
    """Turns raw text into the canonical form the matcher indexes."""

    def __init__(self, synonyms: Mapping[str, str], recogniser: Recogniser | None = None) -> None:
        self._recognise = recogniser or Recogniser()
        # Canonical terms map to themselves so that, with longest-first alternation, a
        # canonical term is never re-expanded through one of its own shorter variants
        # (e.g. 停息挂账 must not become 停息挂账挂账 via the variant 停息).
        table: dict[str, str] = {}
        for canonical in synonyms.values():
            table[_to_simplified(unicodedata.normalize("NFKC", canonical).lower())] = canonical
        for variant, canonical in synonyms.items():
            key = _to_simplified(unicodedata.normalize("NFKC", variant).lower())
            table.setdefault(key, canonical)
        self._table = table
        parts = []
        for key in sorted(table, key=len, reverse=True):
            escaped = re.escape(key)
            # Latin abbreviations (xyk, cs, zx) only count as whole words.
            parts.append(rf"(?<![0-9a-z]){escaped}(?![0-9a-z])" if _ASCII_WORD.match(key) else escaped)
        self._pattern = re.compile("|".join(parts)) if parts else None

    @staticmethod
    def prepare(text: str) -> str:
        """Width, case and script only: punctuation stays (the semantic model reads this)."""
        return _to_simplified(unicodedata.normalize("NFKC", text).lower())

    def basic(self, text: str) -> str:
        """Width, case, script and punctuation only (no recognisers, no synonyms)."""
        return " ".join(_SEPARATORS.split(self.prepare(text))).strip()

    def analyse(self, text: str) -> tuple[str, Facts]:
        """Full normalisation and the facts found on the way: width, case and script;
        lenders, amounts, times, people and places replaced by class words (`Recogniser`);
        punctuation out; synonyms (longest variant first)."""
        text, facts = self._recognise(self.prepare(text))
        text = " ".join(_SEPARATORS.split(text)).strip()
        if self._pattern is not None and text:
            text = self._pattern.sub(lambda m: self._table[m.group(0)], text)
        return text, facts

    def __call__(self, text: str) -> str:
        return self.analyse(text)[0]
