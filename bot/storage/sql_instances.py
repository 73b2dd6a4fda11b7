"""The `InstanceRegistry`: running processes with their heartbeats, and shared counters.

Both are tiny tables every instance reads every few seconds (bot/tg/cluster.py); the decisions
made from them (who is alive, each one's send share) are in bot/core/instances.py.
"""

from __future__ import annotations

from bot.core.instances import Instance
from bot.storage.engine import Engine, Row

UPSERT = (
    "INSERT INTO instances (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, "
    "started_at = excluded.started_at, seen_at = excluded.seen_at"
)


class SqlInstances:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def heartbeat(self, me: Instance, now: float) -> None:
        # An upsert rather than an update: a row pruned while this process was stalled (a long
        # pause, a database outage) comes back with the next beat.
        self._engine.run(lambda tx: tx.run(UPSERT, (me.id, me.host, me.pid, me.started_at, now)))

    def instances(self) -> list[Instance]:
        rows = self._engine.run(lambda tx: tx.all("SELECT * FROM instances ORDER BY id"), write=False)
        return [_instance(r) for r in rows]

    def remove(self, instance_id: str) -> None:
        self._engine.run(lambda tx: tx.run("DELETE FROM instances WHERE id = ?", (instance_id,)))

    def prune(self, seen_before: float) -> int:
        """Forget instances silent since `seen_before` (killed ones never remove themselves)."""
        return self._engine.run(lambda tx: tx.run("DELETE FROM instances WHERE seen_at < ?", (seen_before,)))

    def counter(self, name: str) -> int:
        row = self._engine.run(
            lambda tx: tx.one("SELECT value FROM shared_counters WHERE name = ?", (name,)), write=False
        )
        return int(row["value"]) if row else 0

    def bump(self, name: str, now: float) -> int:
        """Add one to a counter (created at 1); its new value."""
        row = self._engine.run(
            lambda tx: tx.one(
                "INSERT INTO shared_counters (name, value, changed_at) VALUES (?, 1, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = shared_counters.value + 1, "
                "changed_at = excluded.changed_at RETURNING value",
                (name, now),
            )
        )
        assert row is not None
        return int(row["value"])


def _instance(row: Row) -> Instance:
    return Instance(
        id=row["id"],
        host=row["host"],
        pid=int(row["pid"]),
        started_at=row["started_at"],
        seen_at=row["seen_at"],
    )
