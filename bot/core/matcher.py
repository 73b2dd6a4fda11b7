"""Matching a borrower's question to a knowledge entry, and deciding how sure to be.

Strategy (each part kept because it measurably helped; figures in README "Matching"):

1. Normalise once (`Normalizer.analyse`): width, case, Traditional -> Simplified; lenders,
   amounts, times, people and places recognised, kept as `Facts` and replaced by class words
   (`bot.core.recognise`); punctuation and emoji out; colloquial variants, typos and question
   frames (如何处理 -> 怎么办) to canonical terms.
2. Small talk (`bot.core.smalltalk`): a message without a domain-bearing feature (`ok`, `6`,
   `你好`, emoji) is never matched; it is classified for a short reply instead.
3. Score every entry (`bot.core.scoring.Scorer`): lexical signals, a logistic-regression topic
   classifier and, when installed, a multilingual sentence-embedding model.
4. Decide from one calibrated number (`bot.core.calibrate`): the probability that the best
   entry's topic is right, learned from the knowledge base by scoring every phrasing and
   out-of-scope example with itself left out (k-fold). Answer at `answer_at` or more, offer
   "did you mean" at `clarify_at` or more, else nothing.
5. A long message that carries several concerns lists each (`bot.core.concerns`).

The fitted parts (classifier weights, calibration, held-out scores) are cached by a hash of
the knowledge base (`bot.core.modelcache`), so a restart without edits fits nothing.
Nothing here imports Telegram; it is exercised with plain strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
from threadpoolctl import threadpool_limits

from bot.core.concerns import Concern, clauses_to_match, find_concerns
from bot.core.features import FloatArray, extract_features
from bot.core.fitting import Layout, fit_cached
from bot.core.knowledge import KnowledgeBase
from bot.core.lexical import Corpus
from bot.core.match_result import (
    OUT_OF_SCOPE,
    Candidate,
    Decision,
    HeldOut,
    MatchResult,
    MatchSettings,
)
from bot.core.modelcache import ModelCache
from bot.core.normalize import Normalizer
from bot.core.recognise import Facts, Recogniser
from bot.core.scoring import Query, Scores
from bot.core.semantic import QUERY_MAX_CHARS, Encoder, embed_cached, load_encoder
from bot.core.smalltalk import SmallTalk, SmallTalkLexicon, classify, content_size

__all__ = [
    "OUT_OF_SCOPE",
    "Candidate",
    "Decision",
    "HeldOut",
    "MatchResult",
    "MatchSettings",
    "Matcher",
    "build_matcher",
]

# Long rants are matched on their first part: enough text to find the topic, and a hard
# bound on the work one message can cause.
MAX_QUERY_CHARS = 600
# Bump when the training procedure changes, so cached models are refitted.
MODEL_VERSION = "6"


class Matcher:
    """A fitted model of one knowledge base; `match()` is pure and thread-safe."""

    def __init__(
        self,
        kb: KnowledgeBase,
        settings: MatchSettings | None = None,
        encoder: Encoder | None = None,
        cache: ModelCache | None = None,
    ) -> None:
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.encoder = encoder
        self.normalize = Normalizer(kb.synonyms, Recogniser(kb.lenders, kb.people, kb.places))
        self._entry_ids = [e.id for e in kb.entries]
        self._entry_topics = [e.topic for e in kb.entries]
        self._classes = sorted(set(self._entry_topics))
        if kb.out_of_scope:
            self._classes.append(OUT_OF_SCOPE)
        class_index = {c: i for i, c in enumerate(self._classes)}
        self._oos_class = class_index.get(OUT_OF_SCOPE, -1)
        self._entry_class = np.asarray([class_index[t] for t in self._entry_topics], dtype=np.int64)
        self._layout = Layout(self._entry_class, len(self._classes), self._oos_class)

        # Documents: every entry's title and phrasings, then the out-of-scope examples.
        texts: list[str] = []
        entry_of: list[int] = []
        self._doc_source: list[tuple[int, int]] = []  # (entry index or -1, phrasing index or -1)
        for ei, entry in enumerate(kb.entries):
            for qi, text in [(-1, entry.title), *enumerate(entry.questions)]:
                texts.append(text)
                entry_of.append(ei)
                self._doc_source.append((ei, qi))
        for text in kb.out_of_scope:
            texts.append(text)
            entry_of.append(-1)
            self._doc_source.append((-1, -1))
        self._doc_index = {source: di for di, source in enumerate(self._doc_source)}
        normalized = [self.normalize(t) for t in texts]
        entry_arr = np.asarray(entry_of, dtype=np.int64)
        klass = np.where(entry_arr >= 0, self._entry_class[np.maximum(entry_arr, 0)], self._oos_class)
        self._corpus = Corpus(
            tuple(normalized),
            tuple(extract_features(t) for t in normalized),
            entry_arr,
            klass.astype(np.int64),
        )
        self._embeddings = (
            embed_cached(encoder, [Normalizer.prepare(t) for t in texts], cache)
            if encoder is not None
            else None
        )
        self._fit(cache)
        self._vocabulary = self._scorer.lexical.space.vocab
        self.smalltalk = SmallTalkLexicon(
            {kind: [self.normalize(p) for p in phrases] for kind, phrases in kb.smalltalk.items()}  # type: ignore[misc]
        )

    def _fit(self, cache: ModelCache | None) -> None:
        s = self.settings
        key = [MODEL_VERSION, repr(s.weights), str(s.folds), self.encoder.name if self.encoder else "lexical"]
        fitted = fit_cached(self._layout, self._corpus, self._embeddings, s.weights, s.folds, key, cache)
        self._scorer = fitted.scorer
        self.calibrator = fitted.calibrator
        self._held_out = fitted.held_out
        self._held_out_confidence = fitted.held_out_confidence

    # -- matching --------------------------------------------------------------------------

    def query(self, text: str, embed_small_talk: bool = False) -> tuple[Query, Facts, SmallTalk | None]:
        """Prepare a question: normalise, recognise, and tell small talk from questions (which
        are not embedded unless asked: the embedding is the costliest step)."""
        text = text[:MAX_QUERY_CHARS]
        normalized, facts = self.normalize.analyse(text)
        kind = classify(normalized, self.smalltalk, self._vocabulary)
        embedding = self._embed([text])[0] if kind is None or embed_small_talk else None
        return Query(normalized, extract_features(normalized), embedding), facts, kind

    def _embed(self, texts: list[str]) -> list[FloatArray | None]:
        """The semantic embeddings of `texts` in one call (one call for several texts costs
        less than one each); Nones without the semantic model."""
        if self.encoder is None or self._embeddings is None:
            return [None] * len(texts)
        return list(self.encoder.embed([Normalizer.prepare(t[:QUERY_MAX_CHARS]) for t in texts]))

    def match(self, text: str) -> MatchResult:
        """Score every entry and decide: answer, clarify ("did you mean"), or none."""
        return self.rank(text)[0]

    def rank(self, text: str) -> tuple[MatchResult, FloatArray]:
        """`match()` plus the combined score of every entry, for callers that list more."""
        text = text[:MAX_QUERY_CHARS]
        normalized, facts = self.normalize.analyse(text)
        kind = classify(normalized, self.smalltalk, self._vocabulary)
        if kind is not None or not self._entry_ids:
            zeros = np.zeros(len(self._entry_ids), dtype=np.float32)
            return MatchResult(text, normalized, "none", (), 1.0, smalltalk=kind, facts=facts), zeros
        # A long story is matched clause by clause too (`concerns`): its clauses are embedded
        # in the same call as the message.
        parts = clauses_to_match(text)
        embeddings = self._embed([text, *parts])
        query = Query(normalized, extract_features(normalized), embeddings[0])
        scores = self._scorer.score(query)
        combined = scores.combined
        best, rival = self._layout.best_and_rival(combined)
        p = self.calibrator.probability(self._layout.features(scores, best, rival))
        s = self.settings
        decision: Decision = "answer" if p >= s.answer_at else "clarify" if p >= s.clarify_at else "none"
        if decision == "answer" and content_size(query.normalized, self._vocabulary) < s.min_content:
            # A bare keyword (征信, 上门) names a topic, not a question: offer its entries.
            decision = "clarify"
        order = np.argsort(-combined, kind="stable")
        result = MatchResult(
            text,
            query.normalized,
            decision,
            tuple(self._candidate(int(i), combined) for i in order[: s.max_candidates]),
            round(float(scores.lr[self._oos_class]) if self._oos_class >= 0 else 0.0, 4),
            self._options(order, combined),
            round(p, 4),
            facts=facts,
            concerns=(
                find_concerns(
                    [self._match_clause(part, e) for part, e in zip(parts, embeddings[1:], strict=True)],
                    Concern(self._entry_topics[best], self._entry_ids[best], round(p, 4)),
                    s.answer_at,
                )
                if decision != "none" and parts
                else ()
            ),
        )
        return result, combined

    def closest(self, text: str) -> Candidate | None:
        """The best-scoring entry for any text, small talk included (for maintainers' reports)."""
        if not self._entry_ids:
            return None
        query, _, _ = self.query(text, embed_small_talk=True)
        combined = self._scorer.score(query).combined
        return self._candidate(int(np.argmax(combined)), combined)

    def _match_clause(self, text: str, embedding: FloatArray | None) -> Concern | None:
        """One clause of a longer message: its best entry, scored with the calibrated confidence."""
        normalized, _ = self.normalize.analyse(text)
        if classify(normalized, self.smalltalk, self._vocabulary) is not None:
            return None
        scores = self._scorer.score(Query(normalized, extract_features(normalized), embedding))
        best, rival = self._layout.best_and_rival(scores.combined)
        p = self.calibrator.probability(self._layout.features(scores, best, rival))
        return Concern(self._entry_topics[best], self._entry_ids[best], round(p, 4))

    def scores(self, query: Query) -> Scores:
        return self._scorer.score(query)

    def _candidate(self, i: int, combined: FloatArray) -> Candidate:
        return Candidate(self._entry_ids[i], self._entry_topics[i], round(float(combined[i]), 4))

    def _options(self, order: npt.NDArray[np.intp], combined: FloatArray) -> tuple[Candidate, ...]:
        """Offer different topics first: when the matcher is unsure, the doubt is usually
        between topics, and one button per topic covers more of it (measured on real
        questions: right choice offered 87.6% instead of 84.2%)."""
        s = self.settings
        if len(order) == 0:
            return ()
        floor = float(combined[order[0]]) - s.clarify_window
        near = [int(i) for i in order[: 4 * s.max_candidates] if combined[i] >= floor]
        picked: list[int] = []
        topics_seen: set[str] = set()
        for i in near:
            if self._entry_topics[i] not in topics_seen:
                picked.append(i)
                topics_seen.add(self._entry_topics[i])
        if len(picked) < 2:
            picked += [i for i in near if i not in picked]
        return tuple(self._candidate(i, combined) for i in picked[: s.max_candidates])

    def clarify_options(self, result: MatchResult) -> tuple[Candidate, ...]:
        """The candidates worth offering as "did you mean" buttons (at least one)."""
        return result.options or result.candidates[:1]

    # -- maintenance helpers ----------------------------------------------------------------

    def collisions(self, held_out: Iterable[HeldOut] | None = None) -> list[tuple[str, int, str, str]]:
        """Phrasings that, scored as unseen questions (`held_out_scores`), would be answered
        outright with an entry of another topic: the confusions a borrower would see.

        Returns (entry id, phrasing index, phrasing, entry found instead). Mix-ups between
        sibling entries of one topic are left to the report's confusable pairs.
        """
        found = []
        for ei, qi, scores in self.held_out_scores() if held_out is None else held_out:
            best = int(np.argmax(scores))  # the first maximum, as match() picks it
            sure = self._held_out_confidence[self._doc_index[ei, qi]] >= self.settings.answer_at
            if sure and self._entry_topics[best] != self._entry_topics[ei]:
                entry = self.kb.entries[ei]
                found.append((entry.id, qi, entry.questions[qi], self._entry_ids[best]))
        return found

    def held_out_calibration(self) -> list[tuple[float, bool]]:
        """(held-out confidence, was its best topic right) for every document the calibration
        learned from: phrasings and titles, and out-of-scope examples (never right)."""
        pairs = []
        for di, (ei, _) in enumerate(self._doc_source):
            best = int(np.argmax(self._held_out[di]))
            right = ei >= 0 and self._entry_topics[best] == self._entry_topics[ei]
            pairs.append((float(self._held_out_confidence[di]), right))
        return pairs

    def held_out_scores(self) -> Iterator[HeldOut]:
        """Every phrasing scored as a new question by a scorer fitted without it (k-fold).

        Yields (entry index, phrasing index, combined per-entry scores in `kb.entries` order);
        the maintainer report uses it to find pairs of entries the matcher cannot tell apart.
        """
        for di, (ei, qi) in enumerate(self._doc_source):
            if ei >= 0 and qi >= 0:
                yield ei, qi, self._held_out[di]


def build_matcher(
    kb: KnowledgeBase, cache_dir: Path | None, semantic: bool = True, settings: MatchSettings | None = None
) -> Matcher:
    """The production matcher: the semantic model when installed (and wanted), fitted parts
    cached in `cache_dir` (None: fit every time)."""
    # Matching multiplies small matrices (a question against ~1,600 phrasings). OpenBLAS's
    # default of a thread per core only adds threads that spin while they wait: on this 2-core
    # machine, busy with other work, a question took a median 46 ms of wall time and 53 ms of
    # CPU with two BLAS threads, 23 ms of both with one. The limit is process-wide and lasts.
    threadpool_limits(limits=1, user_api="blas")
    return Matcher(
        kb,
        settings,
        encoder=load_encoder() if semantic else None,
        cache=ModelCache(cache_dir) if cache_dir is not None else None,
    )
