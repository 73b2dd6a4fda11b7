"""Several instances on one database: heartbeats, cut-off sends, the shared send rate, /reload.

Every process registers itself (`instances` table: host:pid, start time) and beats every
`heartbeat_interval` seconds from a job. The same job, on every instance:

- settles the outbox rows whose claimer died (bot/core/instances.py decides who is dead): they
  become `uncertain` and the admins are asked to check, exactly as after a restart; a row that
  a live instance is sending right now is never touched;
- sets this process's share of Telegram's overall send limit: `SEND_RATE` divided by the live
  instances (bot/tg/throttle.py), so N instances together stay within it;
- reloads the knowledge base when another instance's `/reload` raised the shared `knowledge`
  counter (bot/tg/reload.py raises it).

At start-up `start` beats once and settles before the outbox job runs, so the earlier process on
this host (its claims are ours to settle at once) never waits for its heartbeat to go stale.
"""

from __future__ import annotations

import logging
import os
import socket

from telegram import Bot

from bot.core.instances import Cluster, Instance, dead_claims, instance_id, live, may_judge, send_share
from bot.storage import Database, StorageUnavailable
from bot.tg import outbox, reload
from bot.tg.context import BotData, Context
from bot.tg.throttle import ChatRateLimiter

log = logging.getLogger(__name__)

HEARTBEAT_JOB = "heartbeat"
FORGET_AFTER = 86400.0  # a silent instance's row is deleted after a day (kept that long for the admins)


def this_process(now: float) -> Instance:
    host, pid = socket.gethostname(), os.getpid()
    return Instance(instance_id(host, pid), host, pid, now, now)


def pid_running(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 only asks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return True  # cannot tell: leave it to the heartbeat
    return True


def _limiter(bot: Bot) -> ChatRateLimiter | None:
    limiter = getattr(bot, "rate_limiter", None)
    return limiter if isinstance(limiter, ChatRateLimiter) else None


async def start(bot: Bot, bot_data: BotData) -> Cluster:
    """Register this process, settle what dead processes left in `sending`, take our send share."""
    handoff = bot_data.require_handoff()
    database = handoff.database()
    cluster = Cluster(this_process(handoff.now()))
    bot_data.cluster = cluster
    database.instances.heartbeat(cluster.me, handoff.now())
    cluster.last_beat = handoff.now()
    cluster.knowledge_version = database.instances.counter(reload.KNOWLEDGE_COUNTER)
    await _beat(bot, bot_data, cluster, database, beat=False)
    return cluster


def stop(bot_data: BotData) -> None:
    """A clean stop leaves the registry at once (a killed process is judged by its silence)."""
    cluster, handoff = bot_data.cluster, bot_data.handoff
    if cluster is None or handoff is None or handoff.storage is None:
        return
    try:
        handoff.storage.instances.remove(cluster.me.id)
    except StorageUnavailable:
        log.warning("could not remove this instance from the registry (database unavailable)")


async def heartbeat_job(context: Context) -> None:
    """Job: beat, settle dead claimers' rows, adjust the send share, follow other instances' /reload."""
    bot_data = context.bot_data
    handoff, cluster = bot_data.handoff, bot_data.cluster
    if handoff is None or handoff.storage is None or cluster is None:
        return
    try:
        await _beat(context.bot, bot_data, cluster, handoff.storage)
        version = handoff.storage.instances.counter(reload.KNOWLEDGE_COUNTER)
    except StorageUnavailable as exc:
        log.warning("heartbeat skipped: %s", exc)
        return
    if version > cluster.knowledge_version and not bot_data.reload_lock.locked():
        cluster.knowledge_version = version
        outcome = await reload.reload_knowledge(bot_data)
        state = "reloaded" if outcome.brain is not None else "refused (the old one stays)"
        log.info("another instance reloaded the knowledge base (version %d): %s here", version, state)


async def _beat(bot: Bot, bot_data: BotData, cluster: Cluster, database: Database, beat: bool = True) -> None:
    handoff = bot_data.require_handoff()
    config = handoff.config
    now = handoff.now()
    judge = may_judge(cluster.last_beat, now, config.heartbeat_interval)
    if beat:
        database.instances.heartbeat(cluster.me, now)
        cluster.last_beat = now
    database.instances.prune(now - FORGET_AFTER)
    if not judge:  # the others' heartbeats are as stale as ours were: wait one beat for them
        return
    instances = database.instances.instances()
    alive = live(instances, now, config.stale_after)
    if len(alive) != cluster.instances_live:
        log.info("%d instances running", len(alive))
        cluster.instances_live = len(alive)
    limiter = _limiter(bot)
    if limiter is not None:
        share = send_share(1.0, instances, cluster.me, now, config.stale_after)
        if share != limiter.share:
            limiter.set_share(share)
    claims = database.enquiries.sending_claims()
    dead = dead_claims(claims, instances, cluster.me, now, config.stale_after, pid_running)
    if dead:
        await outbox.settle_interrupted(bot, handoff, dead)
