"""The webhook server's health route, and `/reload` on one instance reaching the other (real
processes, the real PostgreSQL server, the fake Bot API)."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import aiohttp

from bot.config import DEFAULT_KNOWLEDGE
from bot.storage import migrate_database
from bot.tg.webhook import health
from tests.fakebotapi import FakeBotApi
from tests.pg import SERVER_URL
from tests.tcpproxy import TcpProxy
from tests.tg.conftest import RunningBot, settings_for
from tests.webhooks import WebhookInstance, WebhookSender

ADMIN = 5000
USER = 4242
QUESTION = "催收说要上门合法吗"
TITLE = "催收可以上门吗？上门催收合法吗？"


def env(url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "ADMIN_IDS": str(ADMIN), "SEMANTIC_MODEL": "off", **extra}


async def healthz(session: aiohttp.ClientSession, instance: WebhookInstance) -> tuple[int, str]:
    async with session.get(f"{instance.url}/healthz") as r:
        return r.status, await r.text()


async def until(
    session: aiohttp.ClientSession, instance: WebhookInstance, status: int, timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        got, body = await healthz(session, instance)
        if got == status:
            return body
        assert time.monotonic() < deadline, f"/healthz still {got} {body!r} after {timeout} s"
        await asyncio.sleep(0.2)


async def test_healthz_follows_the_database(tmp_path: Path, pg_url: str):
    migrate_database(pg_url)
    host, port = SERVER_URL.split("@", 1)[1].split("/", 1)[0].split(":")
    proxy = TcpProxy(host, int(port))
    proxy.start()
    relayed = pg_url.replace(f"{host}:{port}", f"127.0.0.1:{proxy.port}", 1)
    api = FakeBotApi()
    await api.start()
    instance = WebhookInstance("web", api, tmp_path, env(relayed))
    try:
        await instance.start()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            assert await healthz(session, instance) == (200, "ok\n")
            proxy.cut()
            body = await until(session, instance, 503, timeout=15)
            assert body.startswith("database unavailable"), body
            # Questions are still answered meanwhile (from the knowledge base).
            sender = WebhookSender([instance], session)
            mark = len(api.calls)
            await sender.deliver(api.push_message(USER, QUESTION), 0)
            assert any(TITLE in str(c.params.get("text")) for c in api.calls[mark:])
            proxy.start()  # the database is back, on the same address
            assert await until(session, instance, 200, timeout=30) == "ok\n"
        assert await instance.stop() == 0
    finally:
        await instance.stop()
        proxy.cut()
        await api.stop()


async def test_healthz_is_503_until_the_knowledge_base_and_database_are_there(
    api: FakeBotApi, tmp_path: Path
):
    running = RunningBot(settings_for(api, tmp_path))
    bot_data = running.app.bot_data
    assert health(bot_data) == (False, "starting")  # built, database not open yet
    await running.start()
    try:
        assert health(bot_data) == (True, "ok")
        brain, bot_data.brain = bot_data.brain, None
        assert health(bot_data) == (False, "knowledge base not loaded")
        bot_data.brain = brain
    finally:
        await running.stop()
    assert health(bot_data) == (False, "database not open")


async def test_reload_on_one_instance_reaches_the_other(tmp_path: Path, pg_url: str):
    migrate_database(pg_url)
    knowledge = tmp_path / "knowledge"  # one directory both read, as on a shared volume
    shutil.copytree(DEFAULT_KNOWLEDGE, knowledge)
    api = FakeBotApi()
    await api.start()
    instances = [
        WebhookInstance(n, api, tmp_path, env(pg_url, KNOWLEDGE_DIR=str(knowledge))) for n in ("a", "b")
    ]
    try:
        await asyncio.gather(*(i.start() for i in instances))
        await asyncio.sleep(6)  # a heartbeat: each knows the other is there
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            sender = WebhookSender(instances, session)

            async def ask(index: int) -> str:
                mark = len(api.calls)
                await sender.deliver(api.push_message(USER, QUESTION), index)
                return " ".join(
                    str(c.params.get("text")) for c in api.calls[mark:] if c.params.get("chat_id") == USER
                )

            assert TITLE in await ask(1)
            entry = knowledge / "entries" / "door-visit.yaml"
            entry.write_text(
                entry.read_text("utf-8").replace(TITLE, "上门催收合法吗？（新标题）", 1), "utf-8"
            )
            mark = len(api.calls)
            await sender.deliver(api.push_message(ADMIN, "/reload"), 0)
            # /reload runs beside other updates (non-blocking): its answer comes when it is done.
            reply = await api.wait_for(lambda c: c.params.get("chat_id") == ADMIN, after=mark, timeout=60)
            told = str(reply.params.get("text"))
            assert "已重新加载" in told and "其他 1 个运行中的实例" in told, told
            deadline = time.monotonic() + 15
            while "（新标题）" not in await ask(1):  # instance b, which never got /reload
                assert time.monotonic() < deadline, instances[1].log()[-2000:]
                await asyncio.sleep(0.5)
        assert "another instance reloaded the knowledge base" in instances[1].log()
    finally:
        for instance in instances:
            await instance.stop()
        await api.stop()
