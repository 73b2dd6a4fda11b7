"""A directory of fitted model arrays, keyed by what they were fitted on.

Embedding the knowledge base with the semantic model takes tens of seconds and fitting the
classifiers and the calibration a few more; neither changes unless the knowledge base does.
Arrays are stored with `numpy.savez` (no pickle: a cache file can never run code) under a key
that hashes everything they depend on, so an edited knowledge base simply misses the cache.
A cache that cannot be read or written is skipped: the bot then fits at every start.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Arrays = Mapping[str, npt.NDArray[np.generic]]


def digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


class ModelCache:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.npz"

    def load(self, name: str) -> dict[str, npt.NDArray[np.generic]] | None:
        path = self._path(name)
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            log.warning("model cache %s is unreadable (%s); refitting", path, exc)
            return None

    def save(self, name: str, arrays: Arrays) -> None:
        """Write atomically (a crash never leaves half a file under the final name)."""
        tmp = ""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)  # type: ignore[arg-type]
            os.replace(tmp, self._path(name))
        except OSError as exc:
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            log.warning(
                "cannot write the model cache in %s (%s); it will be refitted next start", self.directory, exc
            )
