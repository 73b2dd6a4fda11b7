"""One trained scorer: every signal for every entry, combined into one ranking score.

A `Scorer` is fitted on a subset of the knowledge base's documents (`train`): the matcher keeps
one fitted on everything for real questions, and fits one per fold to score the other
documents as unseen questions (calibration, collisions). Signals per entry:

* the four lexical signals (`bot.core.lexical`): nearest phrasing, profile, naive-Bayes topic
  probability, fuzzy ratio;
* the logistic-regression topic probability (`bot.core.topic_model`);
* the semantic model's cosine to the nearest phrasing (`bot.core.semantic`), when installed.

`combined` is their weighted mean (`Weights`); the calibration features summarise how clear
the winner is.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.features import FloatArray
from bot.core.lexical import BoolArray, Corpus, IntArray, LexicalIndex, LexicalSignals
from bot.core.topic_model import TopicModel

# The semantic model's cosines between any two Chinese questions sit in about [0.7, 1.0];
# mapped linearly so that 0.75 -> 0 and 1.0 -> 1 (clipped), comparable with the other signals.
SEMANTIC_FLOOR = 0.75


@dataclass(frozen=True)
class Weights:
    """Relative weights of the signals in the combined score (chosen by measurement: README)."""

    nearest: float = 0.0
    profile: float = 0.20
    nb: float = 0.20
    fuzzy: float = 0.10
    lr: float = 0.25
    semantic: float = 0.90


@dataclass(frozen=True)
class Query:
    """A question prepared once for every scorer: normalised text, its features, its embedding."""

    normalized: str
    counts: Counter[str]
    embedding: FloatArray | None


@dataclass(frozen=True)
class Scores:
    combined: FloatArray  # per entry
    lexical: LexicalSignals
    lr: FloatArray  # per class (topics..., out of scope)
    semantic: FloatArray  # per entry, rescaled to [0, 1] (zeros without the model)
    semantic_oos: float  # rescaled cosine to the nearest out-of-scope example


class Scorer:
    def __init__(
        self,
        corpus: Corpus,
        entry_class: IntArray,
        n_classes: int,
        train: BoolArray,
        embeddings: FloatArray | None,
        weights: Weights,
        topic_model: TopicModel | None = None,
    ) -> None:
        self.entry_class = entry_class
        self.weights = weights
        self.lexical = LexicalIndex(corpus, len(entry_class), n_classes, train)
        rows = np.flatnonzero(train)
        if topic_model is None:
            x = self.lexical.space.matrix([corpus.counts[i] for i in rows])
            topic_model = TopicModel.fit(x, corpus.klass[rows], n_classes)
        self.topic_model = topic_model
        self._emb_entry = np.zeros(0, dtype=np.int64)
        self._emb_docs: FloatArray | None = None
        self._emb_oos: FloatArray | None = None
        if embeddings is not None:
            kb_rows = rows[corpus.entry[rows] >= 0]
            oos_rows = rows[corpus.entry[rows] < 0]
            self._emb_entry = corpus.entry[kb_rows]
            self._emb_docs = embeddings[kb_rows]
            self._emb_oos = embeddings[oos_rows]

    @property
    def semantic(self) -> bool:
        return self._emb_docs is not None

    def score(self, query: Query) -> Scores:
        vector = self.lexical.vector(query.counts)
        lex = self.lexical.signals(query.normalized, query.counts, vector)
        lr = self.topic_model.probs(vector)
        n_entries = len(self.entry_class)
        semantic = np.zeros(n_entries, dtype=np.float32)
        semantic_oos = 0.0
        if self._emb_docs is not None and self._emb_oos is not None and query.embedding is not None:
            sims = _rescale(self._emb_docs @ query.embedding)
            np.maximum.at(semantic, self._emb_entry, sims)
            if len(self._emb_oos):
                semantic_oos = float(_rescale(self._emb_oos @ query.embedding).max())
        w = self.weights
        combined = (
            w.nearest * lex.nearest
            + w.profile * lex.profile
            + w.nb * lex.nb[self.entry_class]
            + w.fuzzy * lex.fuzzy
            + w.lr * lr[self.entry_class]
        )
        total = w.nearest + w.profile + w.nb + w.fuzzy + w.lr
        if self.semantic:
            combined = combined + w.semantic * semantic
            total += w.semantic
        return Scores((combined / total).astype(np.float32), lex, lr, semantic, semantic_oos)


def _rescale(cosines: npt.NDArray[np.float32]) -> FloatArray:
    out: FloatArray = np.clip((cosines - SEMANTIC_FLOOR) / (1.0 - SEMANTIC_FLOOR), 0.0, 1.0).astype(
        np.float32
    )
    return out


CALIBRATION_FEATURES = (
    "score",
    "margin",
    "lr_topic",
    "lr_out_of_scope",
    "nb_topic",
    "nb_out_of_scope",
    "semantic",
    "semantic_vs_out_of_scope",
    "nearest",
    "fuzzy",
    "coverage",
)


def calibration_features(scores: Scores, klass: int, best: int, rival: float, oos_class: int) -> FloatArray:
    """What the calibration sees of one question's scores (`CALIBRATION_FEATURES`): `best` is
    the best entry, `klass` its topic's class, `rival` the best combined score of an entry of
    another topic, `oos_class` the out-of-scope class (-1 if there is none)."""
    lex = scores.lexical
    return np.asarray(
        [
            scores.combined[best],
            scores.combined[best] - rival,
            scores.lr[klass],
            scores.lr[oos_class] if oos_class >= 0 else 0.0,
            lex.nb[klass],
            lex.nb[oos_class] if oos_class >= 0 else 0.0,
            scores.semantic[best],
            scores.semantic[best] - scores.semantic_oos,
            lex.nearest[best],
            lex.fuzzy[best],
            lex.coverage,
        ],
        dtype=np.float32,
    )
