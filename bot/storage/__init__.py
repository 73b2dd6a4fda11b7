"""Durable storage behind a small interface (`Storage`); SQLite is the default engine."""

from __future__ import annotations

from pathlib import Path

from bot.storage.base import Draft, DuplicateRef, Enquiry, NewEnquiry, OutboxRow, Storage
from bot.storage.sqlite import SqliteStorage

__all__ = [
    "Draft",
    "DuplicateRef",
    "Enquiry",
    "NewEnquiry",
    "OutboxRow",
    "SqliteStorage",
    "Storage",
    "open_storage",
]


def open_storage(path: Path | str) -> Storage:
    """Open (create and migrate) the database at `path`."""
    return SqliteStorage(path)
