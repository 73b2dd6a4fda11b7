"""One competing outbox sender for the race tests: `python -m tests.storage.claimer URL NAME`.

Waits for a line on stdin (so that both processes start at once), then claims and "sends"
every due row it can, printing the id of each row it claimed, until none is due.
"""

from __future__ import annotations

import sys
import time

from bot.storage import open_database


def main(url: str, name: str) -> None:
    database = open_database(url)
    store = database.enquiries
    print("ready", flush=True)
    sys.stdin.readline()
    while rows := store.due(time.time(), limit=50):
        for row in rows:
            claimed = store.claim(row.id, time.time(), name)
            if claimed is None:
                continue
            print(claimed.id, flush=True)
            store.mark_sent(claimed.id, -100, 1_000_000 + claimed.id, time.time())
    database.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
