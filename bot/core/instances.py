"""Several bot processes on one database: who is alive, whose claims were cut off, each one's share.

Pure decisions over plain values; bot/tg/cluster.py does the I/O. Every running process keeps a
row (`Instance`) with a heartbeat. An outbox row in `sending` belongs to the process that
claimed it (`host:pid` and the claim's time). Rules:

- a claimer is **alive** when an instance with its id has a heartbeat newer than `stale_after`
  seconds *and* started before the claim (a restarted container often gets the same host and
  pid 1: a claim older than the live process with that id was made by its predecessor);
- a claim from this host by a pid that no longer runs here, or from this very id before we
  started, was made by an earlier process here: dead at once, without waiting for its heartbeat
  to go stale (several instances may share a host, so another pid that runs is judged by its
  heartbeat like any other);
- a claim nobody signed (rows claimed before claims were signed) is dead once it is older
  than `stale_after`.

A dead claimer's `sending` rows become `uncertain` (Telegram may or may not have the message);
a live claimer's are never touched, since it is sending them right now.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Instance:
    id: str  # host:pid, the same string the outbox records as the claimer
    host: str
    pid: int
    started_at: float
    seen_at: float


@dataclass(frozen=True)
class Claim:
    row_id: int
    claimed_by: str
    claimed_at: float | None


@dataclass
class Cluster:
    """This process among the instances (kept in `bot_data.cluster`)."""

    me: Instance
    knowledge_version: int = 0  # the shared `knowledge` counter our knowledge base corresponds to
    instances_live: int = 1
    last_beat: float = 0.0  # when our last heartbeat was written (0: not yet)


def instance_id(host: str, pid: int) -> str:
    return f"{host}:{pid}"


def split_id(claimed_by: str) -> tuple[str, int | None]:
    """(host, pid) of a claimer id; pid None when it does not end in ':<digits>'."""
    host, sep, pid = claimed_by.rpartition(":")
    if not sep or not pid.isdigit():
        return claimed_by, None
    return host, int(pid)


def live(instances: Iterable[Instance], now: float, stale_after: float) -> list[Instance]:
    """Instances whose heartbeat is fresh."""
    return [i for i in instances if now - i.seen_at <= stale_after]


PidRunning = Callable[[int], bool]


def claimer_dead(
    claim: Claim,
    instances: Iterable[Instance],
    me: Instance,
    now: float,
    stale_after: float,
    running_here: PidRunning = lambda _pid: True,
) -> bool:
    claimed_at = claim.claimed_at if claim.claimed_at is not None else -math.inf
    if not claim.claimed_by:
        return now - claimed_at > stale_after
    host, pid = split_id(claim.claimed_by)
    if host == me.host and pid is not None:
        if pid == me.pid and claimed_at < me.started_at:
            return True  # our predecessor with the same pid (a restarted container)
        if pid != me.pid and not running_here(pid):
            return True  # that process is gone from this host
    return not any(
        i.id == claim.claimed_by and i.started_at <= claimed_at for i in live(instances, now, stale_after)
    )


def dead_claims(
    claims: Iterable[Claim],
    instances: Iterable[Instance],
    me: Instance,
    now: float,
    stale_after: float,
    running_here: PidRunning = lambda _pid: True,
) -> list[Claim]:
    """The claims whose claimer can no longer finish them, oldest row first. `running_here`
    tells whether a pid runs on this host (without it, only heartbeats count)."""
    known = list(instances)
    return sorted(
        (c for c in claims if claimer_dead(c, known, me, now, stale_after, running_here)),
        key=lambda c: c.row_id,
    )


def may_judge(last_beat: float, now: float, interval: float) -> bool:
    """Whether others' silence means anything now. After our own beats were missed (the database
    was out of reach, or this process stalled), the others could not beat either: give them one
    beat after ours before calling them dead. At start-up (no beat before) there is no such doubt."""
    return last_beat == 0.0 or now - last_beat <= 2 * interval


def send_share(
    total_rate: float, instances: Iterable[Instance], me: Instance, now: float, stale_after: float
) -> float:
    """This instance's part of the bot's overall send rate: the total split evenly among the live
    instances (this one always counted, even before its first heartbeat is visible)."""
    others = {i.id for i in live(instances, now, stale_after) if i.id != me.id}
    return total_rate / (len(others) + 1)
