"""Text features and TF-IDF vectors, shared by the matcher and the gaps report.

Chinese has no spaces: character 1-, 2- and 3-grams of each Chinese run need no segmenter and
survive typos; Latin runs (English words, pinyin abbreviations, the recogniser's class tokens)
count as whole words. Vectors are scipy sparse rows (CSR), unit length, with sublinear term
frequency and a smoothed IDF, so cosine similarity is one sparse matrix product.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float32]

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

# Characters that alone never carry a question's subject (gaps and the small-talk gate drop
# n-grams made only of these).
FUNCTION_CHARS = frozenset(
    "我你您他她它们的了吗呢啊吧呀么嘛哦噢哇啦怎样办说要会是就都也这那个一啥什想知道请问下在有没不好"
)


def extract_features(normalized: str) -> Counter[str]:
    """Character n-grams (1-3) of Chinese runs and whole Latin words, with counts."""
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


class FeatureSpace:
    """A vocabulary with IDF weights, fitted on a list of documents' feature counts.

    `scale(feature)` multiplies a feature's weight (the matcher down-weights single Chinese
    characters, which say little on their own); `vocabulary_from` adds features that may carry
    information without counting towards document frequency (e.g. out-of-scope examples).
    """

    def __init__(
        self,
        documents: Sequence[Counter[str]],
        vocabulary_from: Iterable[Counter[str]] = (),
        scale: Callable[[str], float] | None = None,
    ) -> None:
        vocab: dict[str, int] = {}
        for counts in (*documents, *vocabulary_from):
            for feat in counts:
                vocab.setdefault(feat, len(vocab))
        self.vocab: Mapping[str, int] = vocab
        df = np.zeros(len(vocab), dtype=np.float32)
        for counts in documents:
            for feat in counts:
                df[vocab[feat]] += 1
        n_docs = max(len(documents), 1)
        self.in_documents = df > 0  # False for features seen only in `vocabulary_from`
        weights = np.log((n_docs + 1) / (df + 1)) + 1.0
        if scale is not None:
            weights *= np.fromiter((scale(f) for f in vocab), dtype=np.float32, count=len(vocab))
        self.weights: FloatArray = weights.astype(np.float32)

    def __len__(self) -> int:
        return len(self.vocab)

    def vector(self, counts: Counter[str]) -> SparseVector:
        """A single document's unit vector (as `matrix`, without the matrix overhead)."""
        pairs = [(fi, 1.0 + math.log(n)) for feat, n in counts.items() if (fi := self.vocab.get(feat)) is not None]
        if not pairs:
            return SparseVector(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
        indices = np.fromiter((fi for fi, _ in pairs), dtype=np.int64, count=len(pairs))
        values = np.fromiter((tf for _, tf in pairs), dtype=np.float32, count=len(pairs)) * self.weights[indices]
        norm = float(np.sqrt(values @ values))
        return SparseVector(indices, (values / norm if norm else values).astype(np.float32))

    def matrix(self, rows: Sequence[Counter[str]], unit: bool = True) -> sparse.csr_matrix:
        """One row per document: (1 + log tf) × weight, unit length unless `unit` is False.
        Features outside the vocabulary are ignored."""
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        for counts in rows:
            for feat, n in counts.items():
                fi = self.vocab.get(feat)
                if fi is not None:
                    indices.append(fi)
                    data.append(1.0 + math.log(n))
            indptr.append(len(indices))
        m = sparse.csr_matrix(
            (np.asarray(data, dtype=np.float32), np.asarray(indices, dtype=np.int32), np.asarray(indptr)),
            shape=(len(rows), len(self.vocab)),
            dtype=np.float32,
        )
        m = m.multiply(self.weights).tocsr()
        return unit_rows(m) if unit else m


@dataclass(frozen=True)
class SparseVector:
    """One question's unit TF-IDF vector: feature indices and their weights.

    Kept as two numpy arrays rather than a one-row scipy matrix: building and multiplying a
    scipy matrix costs tens of microseconds of overhead per call, which for a single question
    was most of the matching time (measured with cProfile on the real questions).
    """

    indices: npt.NDArray[np.int64]
    values: FloatArray

    def dot_rows(self, by_feature: sparse.csr_matrix) -> FloatArray:
        """Dot product with every row of a matrix stored feature-major (features x rows)."""
        if not len(self.indices):
            return np.zeros(by_feature.shape[1], dtype=np.float32)
        out: FloatArray = np.asarray(by_feature[self.indices].T @ self.values, dtype=np.float32).ravel()
        return out


def unit_rows(m: sparse.csr_matrix) -> sparse.csr_matrix:
    """Each row scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    scaled: sparse.csr_matrix = sparse.diags(1.0 / norms).astype(np.float32) @ m
    return scaled.tocsr()
