"""An outage of the database, logged as an operator wants it: one line when it starts, one when it ends.

While the database is down every job tick and every hand-off step fails the same way; a
warning with a trace for each would bury everything else. The shell (bot/tg/handoff.py) asks
`failed` on every failure and `recovered` on every success, and logs only when these say so.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outage:
    since: float | None = None  # when the current outage was first seen; None: no outage
    failures: int = 0  # failures seen during it (told in the "back" line)

    def failed(self, now: float) -> bool:
        """Note a failure; True if it starts an outage (the one line to log)."""
        self.failures += 1
        if self.since is None:
            self.since = now
            return True
        return False

    def recovered(self, now: float) -> tuple[float, int] | None:
        """Note a success; (the outage's length, failures seen) if it ends one, else None."""
        if self.since is None:
            return None
        ended = (max(0.0, now - self.since), self.failures)
        self.since, self.failures = None, 0
        return ended

    @property
    def down(self) -> bool:
        return self.since is not None
