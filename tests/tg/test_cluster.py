"""The heartbeat job of a running bot on PostgreSQL, beside other instances' rows: a claimer that
fell silent has its sends settled while this instance runs; a live one's are left alone; the
send share follows the number of live instances."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

from bot.core.instances import Instance
from bot.storage import NewEnquiry, migrate_database, open_database
from bot.tg.throttle import ChatRateLimiter
from tests.fakebotapi import FakeBotApi
from tests.tg.test_handoff import ADMIN, FAST, FIRM, make_bot


async def test_a_silent_instances_sends_are_settled_by_the_running_one(
    api: FakeBotApi, tmp_path: Path, pg_url: str
):
    migrate_database(pg_url)
    database = open_database(pg_url)
    now = time.time()
    store, registry = database.enquiries, database.instances
    # Two other instances on other hosts: one beating, one silent for a minute (killed).
    alive = Instance("web-b:7", "web-b", 7, now - 600, now)
    silent = Instance("web-c:9", "web-c", 9, now - 600, now - 60)
    registry.heartbeat(alive, now)
    registry.heartbeat(silent, now - 60)
    for ref in ("LIVE22", "DEAD33"):
        store.create_enquiry(
            NewEnquiry(user_id=4242, chat_id=4242, user_name="张三", question="催收上门"), ref, now - 120
        )
    live_row, dead_row = store.due(now)
    assert store.claim(live_row.id, now, alive.id) and store.claim(dead_row.id, now - 61, silent.id)

    running = make_bot(
        api, tmp_path, replace(FAST, heartbeat_interval=0.3, stale_after=20.0), database_url=pg_url
    )
    await running.start()
    try:
        alert = await api.wait_for(
            lambda c: c.params.get("chat_id") == ADMIN and "无法确定" in str(c.params.get("text"))
        )
        assert "#DEAD33" in alert.params["text"] and "LIVE22" not in alert.params["text"]
        await asyncio.sleep(1)  # a few more beats: the live instance's row stays its own
        assert [r.state for r in store.rows_for(live_row.enquiry_id or 0)] == ["sending"]
        assert [r.state for r in store.rows_for(dead_row.enquiry_id or 0)] == ["uncertain"]
        assert not any(c.params.get("chat_id") == FIRM for c in api.calls), "nothing of theirs was sent"
        limiter = running.app.bot.rate_limiter
        assert isinstance(limiter, ChatRateLimiter)
        assert limiter.overall_rate == running.settings.send_rate / 2  # this one and web-b
        registry.remove(alive.id)  # web-b stopped: the whole rate is ours at the next beat
        deadline = time.monotonic() + 5
        while limiter.overall_rate != running.settings.send_rate:
            assert time.monotonic() < deadline, limiter.overall_rate
            await asyncio.sleep(0.1)
    finally:
        await running.stop()
    assert [i.id for i in registry.instances()] == [silent.id], "a clean stop leaves the registry"
    database.close()
