"""Long polling that survives an update python-telegram-bot cannot read.

When `Update.de_json` fails on one update of a `getUpdates` batch, PTB's updater logs the
whole batch at CRITICAL and asks again from the same offset: the same update comes back
forever, nothing after it is processed, and the log grows by megabytes a minute. This request
class (used for `getUpdates` only) checks each update of a batch first; one that cannot be
read is logged once, briefly, and replaced by an empty update with the same `update_id`, so
the offset moves past it and no handler sees it.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)


def readable(batch: list[Any]) -> list[Any]:
    """The batch with every update PTB cannot parse replaced by a bare `{"update_id": n}`."""
    out: list[Any] = []
    for raw in batch:
        try:
            Update.de_json(raw, None)
        except Exception as exc:  # any failure of the library's parser
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            kinds = [k for k in raw if k != "update_id"] if isinstance(raw, dict) else []
            log.warning(
                "skipped update %s (%s) that python-telegram-bot cannot read: %s: %s",
                update_id,
                ", ".join(kinds) or "no content",
                type(exc).__name__,
                str(exc)[:200],
            )
            if isinstance(update_id, int):
                out.append({"update_id": update_id})
            continue
        out.append(raw)
    return out


class UpdatesRequest(HTTPXRequest):
    """`HTTPXRequest` for getUpdates (one connection, as PTB's default) that skips unreadable updates."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("connection_pool_size", 1)
        super().__init__(**kwargs)

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        # PTB's documented hook for reading the server's JSON; only getUpdates returns a list.
        data = HTTPXRequest.parse_json_payload(payload)
        result = data.get("result")
        if data.get("ok") and isinstance(result, list):
            data["result"] = readable(result)
        return data
