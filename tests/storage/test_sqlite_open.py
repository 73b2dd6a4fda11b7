"""A SQLite file that cannot be opened says why, in one line an operator can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import StorageUnavailable, open_for_bot


def _junk(d: Path) -> Path:
    (d / "bot.sqlite3").write_bytes(b"not a database at all " * 200)
    return d / "bot.sqlite3"


def _directory(d: Path) -> Path:
    (d / "bot.sqlite3").mkdir()
    return d / "bot.sqlite3"


def _parent_is_a_file(d: Path) -> Path:
    (d / "data").write_text("x")
    return d / "data" / "bot.sqlite3"


def damaged_sqlite(d: Path) -> Path:
    """A SQLite file in `d` whose schema page is scrambled (also used by tests/test_startup.py)."""
    path = d / "bot.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [("x" * 100,)] * 500)
    db.commit()
    db.close()
    data = bytearray(path.read_bytes())
    data[100:3000] = bytes((i * 37) % 256 for i in range(2900))  # the schema page, scrambled
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make", "reason", "hint"),
    [
        (_junk, "not an SQLite database", "check DATABASE_PATH"),
        (_directory, "it is a directory", "check DATABASE_PATH"),
        (_parent_is_a_file, "is a file, not a directory", "check DATABASE_PATH"),
        (damaged_sqlite, "damaged", "restore it from a backup"),
    ],
)
def test_a_database_that_cannot_be_opened_says_why(tmp_path: Path, make, reason, hint):
    path = make(tmp_path)
    with pytest.raises(StorageUnavailable) as info:
        open_for_bot(path)
    message = str(info.value)
    assert message.startswith(f"cannot open SQLite {path} (") and reason in message and hint in message
