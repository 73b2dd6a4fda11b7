"""Fitting the matcher's learned parts, with the knowledge base's own phrasings as test data.

Two things are learned: the topic classifier (on every document) and the calibration (on
held-out scores). For the latter every document is scored as an unseen question by a scorer
fitted on the other folds (k-fold): an entry's phrasings cycle through the folds, so each entry
keeps most of its phrasings in every fold. The same held-out scores give the maintainer's
collision list and confusable pairs (`Matcher.held_out_scores`).

All of it is cached (`bot.core.modelcache`) under a hash of the documents and settings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.calibrate import Calibrator
from bot.core.features import FloatArray
from bot.core.lexical import Corpus, IntArray
from bot.core.modelcache import ModelCache, digest
from bot.core.scoring import CALIBRATION_FEATURES, Query, Scorer, Scores, Weights, calibration_features
from bot.core.topic_model import LR_C, TopicModel


@dataclass(frozen=True)
class Layout:
    """How entries map to classes: each entry's topic class and the out-of-scope class."""

    entry_class: IntArray
    n_classes: int
    oos_class: int  # -1 when the knowledge base has no out-of-scope examples

    def best_and_rival(self, combined: FloatArray) -> tuple[int, float]:
        """The best entry, and the best combined score of an entry of another topic."""
        best = int(np.argmax(combined))
        other = self.entry_class != self.entry_class[best]
        return best, float(combined[other].max()) if other.any() else 0.0

    def features(self, scores: Scores, best: int, rival: float) -> FloatArray:
        return calibration_features(scores, int(self.entry_class[best]), best, rival, self.oos_class)


@dataclass(frozen=True)
class Fitted:
    scorer: Scorer  # fitted on every document
    calibrator: Calibrator
    held_out: FloatArray  # per document (rows of entry documents only are meaningful) x entry
    held_out_confidence: FloatArray  # per document: the calibrated confidence of its held-out match


def fit_cached(
    layout: Layout,
    corpus: Corpus,
    embeddings: FloatArray | None,
    weights: Weights,
    folds: int,
    key: Sequence[str],
    cache: ModelCache | None,
) -> Fitted:
    """Load the fitted parts from the cache, or fit them (and store them)."""

    def scorer(train: npt.NDArray[np.bool_], topic_model: TopicModel | None = None) -> Scorer:
        return Scorer(corpus, layout.entry_class, layout.n_classes, train, embeddings, weights, topic_model)

    everything = np.ones(len(corpus.texts), dtype=bool)
    name = "model-" + digest(
        [*key, str(LR_C), *(f"{k}\t{t}" for k, t in zip(corpus.klass.tolist(), corpus.texts, strict=True))]
    )
    stored = cache.load(name) if cache is not None else None
    if stored is not None:
        return Fitted(
            scorer(
                everything,
                TopicModel(stored["lr_coef"].astype(np.float32), stored["lr_intercept"].astype(np.float32)),
            ),
            Calibrator.from_arrays(stored),
            stored["held_out"].astype(np.float32),
            stored["held_out_confidence"].astype(np.float32),
        )
    full = scorer(everything)
    features, correct, held_out = _fold_out(layout, corpus, embeddings, folds, scorer)
    calibrator = Calibrator.fit(features, correct)
    confidence = np.asarray([calibrator.probability(f) for f in features], dtype=np.float32)
    fitted = Fitted(full, calibrator, held_out, confidence)
    if cache is not None:
        cache.save(
            name,
            {
                "lr_coef": full.topic_model.coef,
                "lr_intercept": full.topic_model.intercept,
                "held_out": held_out,
                "held_out_confidence": confidence,
                **fitted.calibrator.arrays(),
            },
        )
    return fitted


def _fold_out(
    layout: Layout,
    corpus: Corpus,
    embeddings: FloatArray | None,
    folds: int,
    scorer: Callable[[npt.NDArray[np.bool_]], Scorer],
) -> tuple[FloatArray, npt.NDArray[np.bool_], FloatArray]:
    """Calibration features and "was the best topic right" for every document, each scored
    by a scorer fitted without its fold; and every document's held-out combined scores."""
    n_docs = len(corpus.texts)
    k = max(2, folds)
    fold = np.zeros(n_docs, dtype=np.int64)
    seen: dict[int, int] = {}
    for i, e in enumerate(corpus.entry.tolist()):
        fold[i] = seen.get(e, 0) % k
        seen[e] = seen.get(e, 0) + 1
    features = np.zeros((n_docs, len(CALIBRATION_FEATURES)), dtype=np.float32)
    correct = np.zeros(n_docs, dtype=bool)
    held_out = np.zeros((n_docs, len(layout.entry_class)), dtype=np.float32)
    for f in range(k):
        fitted = scorer(fold != f)
        for di in np.flatnonzero(fold == f):
            emb = embeddings[di] if embeddings is not None else None
            scores = fitted.score(Query(corpus.texts[di], corpus.counts[di], emb))
            best, rival = layout.best_and_rival(scores.combined)
            features[di] = layout.features(scores, best, rival)
            correct[di] = corpus.klass[di] == layout.entry_class[best]
            held_out[di] = scores.combined
    return features, correct, held_out
