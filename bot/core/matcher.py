"""Matching a borrower's question to a knowledge entry.

Strategy (each part was kept because it measurably helped on the development set; see
README "Matching"):

1. Normalise once (`Normalizer`): width, case, Traditional -> Simplified, punctuation and
   emoji out, colloquial variants -> canonical terms.
2. Features: Chinese character 1-, 2- and 3-grams (unigrams down-weighted) and Latin words.
   Chinese has no spaces; character n-grams need no segmenter and survive typos.
3. Four signals per entry, all precomputed at load time as numpy arrays:
   - nearest phrasing: TF-IDF cosine to the closest single phrasing of the entry;
   - entry profile: cosine to the sum of all the entry's phrasings (wording it never saw
     verbatim but whose pieces are spread across phrasings);
   - topic classifier: multinomial naive Bayes over topics plus an explicit "out of scope"
     class trained on `out_of_scope.yaml`, so off-topic questions that use legal words can
     be told apart;
   - rapidfuzz `fuzz.ratio` to the closest phrasing (edit-distance view of short questions).
4. A weighted sum gives each entry a score in [0, 1]; the decision uses two thresholds and
   a margin (`MatchSettings`).

Nothing here imports Telegram; it is exercised with plain strings.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from bot.core.knowledge import KnowledgeBase
from bot.core.normalize import Normalizer

Decision = Literal["answer", "clarify", "none"]
OUT_OF_SCOPE = "__out_of_scope__"
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
# (entry index, phrasing index, per-entry scores with that phrasing left out)
HeldOut = tuple[int, int, FloatArray]

# Long rants are matched on their first part: enough text to find the topic, and a hard
# bound on the work one message can cause.
MAX_QUERY_CHARS = 600
UNIGRAM_WEIGHT = 0.35
ENGLISH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "me",
        "my",
        "we",
        "you",
        "your",
        "he",
        "she",
        "it",
        "they",
        "them",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "do",
        "does",
        "did",
        "to",
        "of",
        "in",
        "on",
        "at",
        "for",
        "from",
        "with",
        "by",
        "and",
        "or",
        "but",
        "if",
        "so",
        "that",
        "this",
        "these",
        "those",
        "what",
        "which",
        "who",
        "how",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "have",
        "has",
        "had",
        "about",
        "into",
        "as",
        "there",
    ]
)


@dataclass(frozen=True)
class MatchSettings:
    """Weights and thresholds; defaults were chosen by measurement (README, "Matching")."""

    w_nearest: float = 0.25
    w_profile: float = 0.25
    w_topic: float = 0.40
    w_fuzz: float = 0.10
    # Sharpness of the topic classifier's per-feature average log-likelihood -> softmax.
    topic_temperature: float = 4.0
    # Add-alpha smoothing of the topic classifier.
    topic_alpha: float = 0.1
    # Answer outright when the combined score clears this and leads the best entry of any
    # other topic by answer_margin ...
    answer_threshold: float = 0.30
    answer_margin: float = 0.15
    # ... or when the topic classifier alone is this sure of the best entry's topic.
    topic_sure: float = 0.60
    # Below this nothing is offered; between it and an answer, "did you mean".
    clarify_threshold: float = 0.15
    # Candidates offered in "did you mean" must be at least this close to the best one.
    clarify_window: float = 0.15
    # P(out of scope) from the topic classifier at or above which there is no answer.
    out_of_scope_threshold: float = 0.1
    max_candidates: int = 3


@dataclass(frozen=True)
class Candidate:
    entry: str
    topic: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    query: str
    normalized: str
    decision: Decision
    candidates: tuple[Candidate, ...]  # best first, always up to max_candidates
    out_of_scope: float  # the topic classifier's probability that the question is off-topic
    # What "did you mean" offers: the best entry of each topic within clarify_window of the
    # best score (siblings only if fewer than two topics qualify), up to max_candidates.
    options: tuple[Candidate, ...] = ()

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


def extract_features(normalized: str) -> Counter[str]:
    """Character n-grams (1-3) of Chinese runs, whole Latin words; counts."""
    counts: Counter[str] = Counter()
    for segment in normalized.split():
        if segment.isascii():
            if segment not in ENGLISH_STOPWORDS:
                counts[segment] += 1
            continue
        n = len(segment)
        for i in range(n):
            counts[segment[i]] += 1
            if i + 1 < n:
                counts[segment[i : i + 2]] += 1
            if i + 2 < n:
                counts[segment[i : i + 3]] += 1
    return counts


class _Csr:
    """Rows of sparse vectors, stored column-wise for fast 'which rows have feature f'."""

    def __init__(self, rows: list[dict[int, float]], n_features: int) -> None:
        cols: list[list[tuple[int, float]]] = [[] for _ in range(n_features)]
        for r, row in enumerate(rows):
            for f, w in row.items():
                cols[f].append((r, w))
        indptr = np.zeros(n_features + 1, dtype=np.int64)
        for f, col in enumerate(cols):
            indptr[f + 1] = indptr[f] + len(col)
        self.indptr = indptr
        self.indices: IntArray = np.fromiter((r for col in cols for r, _ in col), dtype=np.int32)
        self.data: FloatArray = np.fromiter((w for col in cols for _, w in col), dtype=np.float32)
        self.n_rows = len(rows)

    def dot(self, query: dict[int, float]) -> FloatArray:
        """Dot product of every row with a sparse query vector."""
        if not query:
            return np.zeros(self.n_rows, dtype=np.float32)
        idx_parts = []
        val_parts = []
        for f, qw in query.items():
            lo, hi = self.indptr[f], self.indptr[f + 1]
            if hi > lo:
                idx_parts.append(self.indices[lo:hi])
                val_parts.append(self.data[lo:hi] * qw)
        if not idx_parts:
            return np.zeros(self.n_rows, dtype=np.float32)
        return np.bincount(
            np.concatenate(idx_parts), weights=np.concatenate(val_parts), minlength=self.n_rows
        ).astype(np.float32)


class Matcher:
    """Precomputed index over one knowledge base; `match()` is pure and thread-safe."""

    def __init__(self, kb: KnowledgeBase, settings: MatchSettings | None = None) -> None:
        self.kb = kb
        self.settings = settings or MatchSettings()
        self.normalize = Normalizer(kb.synonyms)
        entries = kb.entries
        self._entry_ids = [e.id for e in entries]
        self._entry_topics = [e.topic for e in entries]

        # Documents: every phrasing and the title of every entry, grouped by entry so that
        # per-entry maxima are a single reduceat over contiguous slices.
        doc_texts: list[str] = []
        doc_entry: list[int] = []
        self._doc_source: list[tuple[int, int]] = []  # (entry index, phrasing index or -1 = title)
        for ei, entry in enumerate(entries):
            for qi, text in [(-1, entry.title), *enumerate(entry.questions)]:
                doc_texts.append(self.normalize(text))
                doc_entry.append(ei)
                self._doc_source.append((ei, qi))
        self._doc_texts = doc_texts
        self._doc_entry: IntArray = np.asarray(doc_entry, dtype=np.int32)
        starts = [0] + [i for i in range(1, len(doc_entry)) if doc_entry[i] != doc_entry[i - 1]]
        self._entry_starts: IntArray = np.asarray(starts, dtype=np.int32)

        doc_counts = [extract_features(t) for t in doc_texts]
        oos_counts = [extract_features(self.normalize(t)) for t in kb.out_of_scope]
        vocab: dict[str, int] = {}
        for counts in doc_counts + oos_counts:
            for feat in counts:
                vocab.setdefault(feat, len(vocab))
        self._vocab = vocab
        n_feat = len(vocab)

        df = np.zeros(n_feat, dtype=np.float32)
        for counts in doc_counts:
            for feat in counts:
                df[vocab[feat]] += 1
        n_docs = max(len(doc_counts), 1)
        self._idf: FloatArray = (np.log((n_docs + 1) / (df + 1)) + 1.0).astype(np.float32)
        self._feat_scale: FloatArray = np.ones(n_feat, dtype=np.float32)
        for feat, fi in vocab.items():
            if len(feat) == 1 and not feat.isascii():
                self._feat_scale[fi] = UNIGRAM_WEIGHT

        doc_vecs = [self._tfidf(c) for c in doc_counts]
        self._docs = _Csr(doc_vecs, n_feat)
        profiles: list[dict[int, float]] = []
        for ei in range(len(entries)):
            acc: dict[int, float] = {}
            for di in np.flatnonzero(self._doc_entry == ei):
                for f, w in doc_vecs[int(di)].items():
                    acc[f] = acc.get(f, 0.0) + w
            profiles.append(_unit(acc))
        self._profiles = _Csr(profiles, n_feat)

        # Topic classifier: multinomial naive Bayes, one class per topic used by an entry
        # plus the out-of-scope class. Add-alpha smoothing; uniform priors because the
        # number of phrasings per topic says nothing about how often users ask it.
        self._classes = sorted({e.topic for e in entries})
        if oos_counts:
            self._classes.append(OUT_OF_SCOPE)
        class_index = {c: i for i, c in enumerate(self._classes)}
        counts_matrix = np.zeros((n_feat, len(self._classes)), dtype=np.float64)
        for counts, ei in zip(doc_counts, doc_entry, strict=True):
            ci = class_index[self._entry_topics[ei]]
            for feat, n in counts.items():
                counts_matrix[vocab[feat], ci] += n
        if oos_counts:
            for counts in oos_counts:
                for feat, n in counts.items():
                    counts_matrix[vocab[feat], class_index[OUT_OF_SCOPE]] += n
        alpha = self.settings.topic_alpha
        totals = counts_matrix.sum(axis=0) + alpha * (n_feat + 1)
        self._nb_log: FloatArray = np.log((counts_matrix + alpha) / totals).astype(np.float32)
        self._nb_unknown: FloatArray = np.log(alpha / totals).astype(np.float32)
        self._entry_class: IntArray = np.asarray([class_index[t] for t in self._entry_topics], dtype=np.int32)
        self._oos_class = class_index.get(OUT_OF_SCOPE, -1)

    # -- scoring -------------------------------------------------------------------------

    def _tfidf(self, counts: Counter[str]) -> dict[int, float]:
        vec: dict[int, float] = {}
        for feat, n in counts.items():
            fi = self._vocab.get(feat)
            if fi is None:
                continue
            vec[fi] = (1.0 + math.log(n)) * float(self._idf[fi] * self._feat_scale[fi])
        return _unit(vec)

    def _topic_probs(self, counts: Counter[str]) -> FloatArray:
        n_classes = len(self._classes)
        if not counts:
            return np.full(n_classes, 1.0 / n_classes, dtype=np.float32)
        known: list[int] = []
        weights: list[float] = []
        unknown = 0
        for feat, n in counts.items():
            fi = self._vocab.get(feat)
            if fi is None:
                unknown += n
            else:
                known.append(fi)
                weights.append(n)
        total = sum(weights) + unknown
        loglik = np.asarray(weights, dtype=np.float64) @ self._nb_log[known] + unknown * self._nb_unknown
        # Average per feature, so long stories are not absurdly over-confident, then a
        # softmax with a fixed temperature.
        z = loglik / total * self.settings.topic_temperature
        z -= z.max()
        p = np.exp(z)
        probs: FloatArray = (p / p.sum()).astype(np.float32)
        return probs

    def signals(self, text: str, exclude_doc: int | None = None) -> tuple[str, FloatArray, float]:
        """The four per-entry signals as rows of a (4, n_entries) array: nearest, profile,
        topic, fuzzy; plus the normalised text and P(off-topic)."""
        normalized = self.normalize(text[:MAX_QUERY_CHARS])
        counts = extract_features(normalized)
        n_entries = len(self._entry_ids)
        if not counts or n_entries == 0:
            return normalized, np.zeros((4, n_entries), dtype=np.float32), 1.0
        qvec = self._tfidf(counts)
        doc_sims = self._docs.dot(qvec)
        fuzz_sims = (
            process.cdist([normalized], self._doc_texts, scorer=fuzz.ratio, processor=None, dtype=np.float32)[
                0
            ]
            / 100.0
        )
        if exclude_doc is not None:
            doc_sims[exclude_doc] = 0.0
            fuzz_sims[exclude_doc] = 0.0
        nearest = np.maximum.reduceat(doc_sims, self._entry_starts)
        fuzzy = np.maximum.reduceat(fuzz_sims, self._entry_starts)
        profile = self._profiles.dot(qvec)
        probs = self._topic_probs(counts)
        topic = probs[self._entry_class]
        oos = float(probs[self._oos_class]) if self._oos_class >= 0 else 0.0
        return normalized, np.vstack([nearest, profile, topic, fuzzy]).astype(np.float32), oos

    def scores(self, text: str, exclude_doc: int | None = None) -> tuple[str, FloatArray, float]:
        """Per-entry combined scores for a question (plus its normalised form and P(off-topic))."""
        normalized, sig, oos = self.signals(text, exclude_doc)
        return normalized, self._combine(sig), oos

    def _combine(self, sig: FloatArray) -> FloatArray:
        s = self.settings
        weights = np.asarray([s.w_nearest, s.w_profile, s.w_topic, s.w_fuzz], dtype=np.float32)
        combined: FloatArray = (weights @ sig).astype(np.float32)
        return combined

    def match(self, text: str, exclude_doc: int | None = None) -> MatchResult:
        """Score every entry and decide: answer, clarify ("did you mean"), or none."""
        return self.rank(text, exclude_doc)[0]

    def rank(self, text: str, exclude_doc: int | None = None) -> tuple[MatchResult, FloatArray]:
        """`match()` plus the combined score of every entry, for callers that list more."""
        s = self.settings
        normalized, sig, oos = self.signals(text, exclude_doc)
        combined = self._combine(sig)
        order = np.argsort(-combined, kind="stable")
        candidates = tuple(
            Candidate(self._entry_ids[i], self._entry_topics[i], round(float(combined[i]), 4))
            for i in order[: s.max_candidates]
        )
        rival = 0.0
        topic_prob = 0.0
        if candidates:
            best_topic = candidates[0].topic
            rival = next((float(combined[i]) for i in order if self._entry_topics[i] != best_topic), 0.0)
            topic_prob = float(sig[2, order[0]])
        decision = self._decide(candidates, rival, topic_prob, oos)
        options = self._options(order, combined)
        return MatchResult(text, normalized, decision, candidates, round(oos, 4), options), combined

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
        return tuple(
            Candidate(self._entry_ids[i], self._entry_topics[i], round(float(combined[i]), 4))
            for i in picked[: s.max_candidates]
        )

    def _decide(
        self, candidates: tuple[Candidate, ...], rival: float, topic_prob: float, oos: float
    ) -> Decision:
        """`rival`: best score of an entry of another topic; `topic_prob`: the classifier's
        probability of the best entry's topic."""
        s = self.settings
        if not candidates or oos >= s.out_of_scope_threshold:
            return "none"
        best = candidates[0].score
        # Sibling entries of one topic often score close together; answering the best is
        # still on topic (its related-question buttons lead to the siblings), so the margin
        # is measured against the best entry of a *different* topic.
        if (best >= s.answer_threshold and best - rival >= s.answer_margin) or topic_prob >= s.topic_sure:
            return "answer"
        if best >= s.clarify_threshold:
            return "clarify"
        return "none"

    def clarify_options(self, result: MatchResult) -> tuple[Candidate, ...]:
        """The candidates worth offering as "did you mean" buttons (at least one)."""
        return result.options or result.candidates[:1]

    # -- maintenance helpers ----------------------------------------------------------------

    def collisions(self, held_out: Iterable[HeldOut] | None = None) -> list[tuple[str, int, str, str]]:
        """Phrasings that, matched without themselves, find another entry first.

        Returns (entry id, phrasing index, phrasing, entry found instead). The phrasing is
        left out of the nearest-phrasing and fuzzy signals; the profile and topic signals
        still contain it, so this under-reports slightly rather than crying wolf. Pass the
        output of `held_out_scores()` to reuse it (the report needs it twice).
        """
        found = []
        for ei, qi, scores in self.held_out_scores() if held_out is None else held_out:
            best = int(np.argmax(scores))  # the first maximum, as match() picks it
            if best != ei:
                entry = self.kb.entries[ei]
                found.append((entry.id, qi, entry.questions[qi], self._entry_ids[best]))
        return found

    def held_out_scores(self) -> Iterator[HeldOut]:
        """Every phrasing scored as if it were a new question, itself left out of the index.

        Yields (entry index, phrasing index, combined per-entry scores in `kb.entries` order);
        the maintainer report uses it to find pairs of entries the matcher cannot tell apart.
        """
        for di, (ei, qi) in enumerate(self._doc_source):
            if qi >= 0:
                yield ei, qi, self.scores(self.kb.entries[ei].questions[qi], exclude_doc=di)[1]


def _unit(vec: dict[int, float]) -> dict[int, float]:
    norm = math.sqrt(sum(w * w for w in vec.values()))
    if norm == 0:
        return {}
    return {f: w / norm for f, w in vec.items()}
