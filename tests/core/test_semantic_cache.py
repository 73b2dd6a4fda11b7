"""The embeddings cache: reused across knowledge bases, bounded, and never wrong."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.core import semantic
from bot.core.modelcache import ModelCache


class CountingEncoder:
    """A stand-in with the real interface: one fixed vector per text, and a count of calls."""

    name = "counting"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += list(texts)
        return np.asarray([[len(t), sum(map(ord, t)) % 97] for t in texts], dtype=np.float32)


def test_texts_are_embedded_once_even_when_knowledge_bases_alternate(tmp_path):
    cache, encoder = ModelCache(tmp_path), CountingEncoder()
    real, fixture = ["催收上门", "征信多久恢复", "还不上了"], ["狗丢了"]
    first = semantic.embed_cached(encoder, real, cache)
    semantic.embed_cached(encoder, fixture, cache)
    again = semantic.embed_cached(encoder, real, cache)
    assert encoder.embedded == [*sorted(real, key=semantic._key), *fixture]  # nothing embedded twice
    assert np.array_equal(first, again)
    assert np.array_equal(again[1], encoder.embed(["征信多久恢复"])[0])


def test_the_cache_keeps_the_most_recently_used_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(semantic, "MAX_CACHED_ROWS", 3)
    cache, encoder = ModelCache(tmp_path), CountingEncoder()
    semantic.embed_cached(encoder, ["a1", "a2"], cache)
    semantic.embed_cached(encoder, ["b1", "b2"], cache)  # a1, a2 are older now: one of them goes
    encoder.embedded.clear()
    semantic.embed_cached(encoder, ["b1", "b2"], cache)
    assert encoder.embedded == []
    stored = cache.load("embeddings-counting")
    assert stored is not None and len(stored["keys"]) == 3
