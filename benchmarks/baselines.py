"""The usual ways of building an FAQ bot, over the same knowledge files as our matcher.

Both index exactly the documents our matcher indexes (every entry's title and phrasings)
and answer with the entry of the single best document: top-1, no threshold, no
"did you mean", no out-of-scope class. That is how these baselines are normally used; an
answer is therefore always given, and the out-of-scope false-answer rate is 100% by
construction (a threshold would trade it against the in-scope rates).

- BM25 over jieba-segmented text (`bm25s`, Lucene variant, default k1/b).
- `rapidfuzz.process.extractOne` with `fuzz.WRatio` and rapidfuzz's default processor.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import numpy as np

from bot.config import Settings
from bot.core.evaluate import Labelled, Report, score
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Candidate, Decision, Matcher, build_matcher

Decide = Callable[[str], tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...]]]
_WORDLIKE = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")


def documents(kb: KnowledgeBase) -> tuple[list[str], list[tuple[str, str]]]:
    """Raw texts (title and phrasings of every entry) and the (entry id, topic) of each."""
    texts: list[str] = []
    owners: list[tuple[str, str]] = []
    for entry in kb.entries:
        for text in (entry.title, *entry.questions):
            texts.append(text)
            owners.append((entry.id, entry.topic))
    return texts, owners


def _quiet_jieba() -> object:
    import jieba

    # jieba announces building its prefix dictionary on stderr; nothing here is news.
    jieba.setLogLevel(logging.WARNING)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    return jieba


class Bm25Baseline:
    """Top-1 BM25 over jieba tokens (lower-cased, punctuation dropped)."""

    name = "BM25 (jieba + bm25s)"

    def __init__(self, kb: KnowledgeBase) -> None:
        import bm25s

        self._jieba = _quiet_jieba()
        texts, self.owners = documents(kb)
        self._index = bm25s.BM25()
        self._index.index([self.tokens(t) for t in texts], show_progress=False)

    def tokens(self, text: str) -> list[str]:
        words = self._jieba.lcut(text.lower())  # type: ignore[attr-defined]
        return [w for w in words if _WORDLIKE.search(w)]

    def top(self, question: str) -> tuple[int, float] | None:
        query = self.tokens(question)
        if not query:
            return None
        scores = self._index.get_scores(query)
        best = int(np.argmax(scores))
        return (best, float(scores[best])) if scores[best] > 0 else None

    def decide(self, question: str) -> tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...]]:
        found = self.top(question)
        if found is None:
            return "none", (), ()
        entry, topic = self.owners[found[0]]
        top = (Candidate(entry, topic, round(found[1], 4)),)
        return "answer", top, top


class WRatioBaseline:
    """Top-1 `process.extractOne(q, phrasings, scorer=fuzz.WRatio)`, default processor."""

    name = "rapidfuzz extractOne (WRatio)"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.texts, self.owners = documents(kb)

    def top(self, question: str) -> tuple[int, float] | None:
        from rapidfuzz import fuzz, process, utils

        found = process.extractOne(question, self.texts, scorer=fuzz.WRatio, processor=utils.default_process)
        if found is None or found[1] <= 0:
            return None
        return found[2], float(found[1])

    def decide(self, question: str) -> tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...]]:
        found = self.top(question)
        if found is None:
            return "none", (), ()
        entry, topic = self.owners[found[0]]
        top = (Candidate(entry, topic, round(found[1] / 100, 4)),)
        return "answer", top, top


def ours(matcher: Matcher) -> Decide:
    """Our matcher as the bot uses it: answer, "did you mean" (offered options) or none."""

    def decide(question: str) -> tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...]]:
        result = matcher.match(question)
        return result.decision, result.candidates, matcher.clarify_options(result)

    return decide


OURS = "ours (bot.core.matcher)"
OURS_LEXICAL = "ours, lexical signals only"


def run_all(kb: KnowledgeBase, items: list[Labelled]) -> dict[str, Report]:
    """Score ours (as the bot runs it, and without the semantic model) and both baselines on the
    same items; keys are display names, ours first."""
    cache = Settings.from_env().model_cache_dir
    reports = {
        OURS: score(items, ours(build_matcher(kb, cache))),
        OURS_LEXICAL: score(items, ours(build_matcher(kb, cache, semantic=False))),
    }
    for baseline in (Bm25Baseline(kb), WRatioBaseline(kb)):
        reports[baseline.name] = score(items, baseline.decide)
    return reports
