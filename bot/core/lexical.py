"""The lexical signals: how much a question's characters and words look like each entry's.

Four signals per entry, from the phrasings and titles ("documents") of the knowledge base:

* nearest: TF-IDF cosine to the entry's closest single document;
* profile: cosine to the sum of all its documents (wording it never saw verbatim but whose
  pieces are spread across its phrasings);
* topic (naive Bayes): the probability of the entry's topic under a multinomial naive-Bayes
  classifier over topics plus an explicit out-of-scope class trained on `out_of_scope.yaml`;
  uniform priors, because how many phrasings a topic has says nothing about how often it is
  asked. Naive Bayes generalises well to wording unlike the phrasings;
* fuzzy: rapidfuzz `fuzz.ratio` to the closest document, the edit-distance view of short
  questions (`processor=None`: the text is already normalised; rapidfuzz's default processor
  would blank out Chinese).

An index is built on a subset of the documents (`train`), so the matcher can score documents
as new questions with themselves left out (calibration, collisions).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from scipy import sparse

from bot.core.features import FeatureSpace, FloatArray, SparseVector, unit_rows
from bot.core.recognise import CLASS_TOKENS

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Single Chinese characters say little on their own; 2- and 3-grams carry the meaning.
UNIGRAM_WEIGHT = 0.35
NB_ALPHA = 0.1
# Per-feature average log-likelihood -> softmax with this sharpness (long stories would
# otherwise be absurdly over-confident).
NB_TEMPERATURE = 4.0


def _scale(feature: str) -> float:
    return UNIGRAM_WEIGHT if len(feature) == 1 and not feature.isascii() else 1.0


@dataclass(frozen=True)
class Corpus:
    """Every document the matcher learns from, normalised once.

    `entry[i]` is the entry index of document i, or -1 for an out-of-scope example; `klass[i]`
    its class (topic index, or the out-of-scope class).
    """

    texts: tuple[str, ...]
    counts: tuple[Counter[str], ...]
    entry: IntArray
    klass: IntArray


@dataclass(frozen=True)
class LexicalSignals:
    nearest: FloatArray  # per entry
    profile: FloatArray  # per entry
    fuzzy: FloatArray  # per entry
    nb: FloatArray  # per class (topics..., out of scope)
    coverage: float  # share of the question's 2-, 3-grams and words that the phrasings use


class LexicalIndex:
    def __init__(self, corpus: Corpus, n_entries: int, n_classes: int, train: BoolArray) -> None:
        self.n_entries = n_entries
        kb_docs = np.flatnonzero(train & (corpus.entry >= 0))
        oos_docs = np.flatnonzero(train & (corpus.entry < 0))
        self.space = FeatureSpace(
            [corpus.counts[i] for i in kb_docs], [corpus.counts[i] for i in oos_docs], scale=_scale
        )
        self._doc_entry = corpus.entry[kb_docs]
        self._doc_texts = [corpus.texts[i] for i in kb_docs]
        docs = self.space.matrix([corpus.counts[i] for i in kb_docs])
        # Profiles: the sum of each entry's document vectors, unit length.
        membership = sparse.csr_matrix(
            (np.ones(len(kb_docs), dtype=np.float32), (self._doc_entry, np.arange(len(kb_docs)))),
            shape=(n_entries, len(kb_docs)),
        )
        # Stored feature-major, so a question's few features select a few rows.
        self._docs_by_feature = docs.T.tocsr()
        self._profiles_by_feature = unit_rows((membership @ docs).tocsr()).T.tocsr()
        # Naive Bayes: raw feature counts per class, add-alpha smoothing.
        counts = np.zeros((len(self.space), n_classes), dtype=np.float64)
        for di in (*kb_docs, *oos_docs):
            ci = int(corpus.klass[di])
            for feat, n in corpus.counts[di].items():
                counts[self.space.vocab[feat], ci] += n
        totals = counts.sum(axis=0) + NB_ALPHA * (len(self.space) + 1)
        self._nb_log = np.log((counts + NB_ALPHA) / totals).astype(np.float32)
        self._nb_unknown = np.log(NB_ALPHA / totals).astype(np.float32)
        self._has_class = counts.sum(axis=0) > 0

    def vector(self, counts: Counter[str]) -> SparseVector:
        return self.space.vector(counts)

    def signals(self, normalized: str, counts: Counter[str], query: SparseVector) -> LexicalSignals:
        doc_sims = query.dot_rows(self._docs_by_feature)
        fuzz_sims = (
            process.cdist([normalized], self._doc_texts, scorer=fuzz.ratio, processor=None, dtype=np.float32)[
                0
            ]
            / 100.0
        )
        return LexicalSignals(
            nearest=self._per_entry(doc_sims),
            profile=query.dot_rows(self._profiles_by_feature),
            fuzzy=self._per_entry(fuzz_sims),
            nb=self._nb_probs(counts),
            coverage=self._coverage(counts),
        )

    def _coverage(self, counts: Counter[str]) -> float:
        """Off-topic questions are mostly made of words the knowledge base never uses."""
        words = [f for f in counts if (len(f) > 1 or f.isascii()) and f not in CLASS_TOKENS]
        if not words:
            return 0.0
        vocab, known = self.space.vocab, self.space.in_documents
        return sum(1 for f in words if f in vocab and known[vocab[f]]) / len(words)

    def _per_entry(self, doc_values: FloatArray) -> FloatArray:
        out = np.zeros(self.n_entries, dtype=np.float32)
        np.maximum.at(out, self._doc_entry, doc_values)
        return out

    def _nb_probs(self, counts: Counter[str]) -> FloatArray:
        n_classes = self._nb_log.shape[1]
        known: list[int] = []
        weights: list[float] = []
        unknown = 0
        for feat, n in counts.items():
            fi = self.space.vocab.get(feat)
            if fi is None:
                unknown += n
            else:
                known.append(fi)
                weights.append(n)
        total = sum(weights) + unknown
        if total == 0:
            return np.full(n_classes, 1.0 / n_classes, dtype=np.float32)
        loglik = np.asarray(weights, dtype=np.float64) @ self._nb_log[known] + unknown * self._nb_unknown
        z = loglik / total * NB_TEMPERATURE
        z[~self._has_class] = -np.inf
        z -= z.max()
        p = np.exp(z)
        probs: FloatArray = (p / p.sum()).astype(np.float32)
        return probs
