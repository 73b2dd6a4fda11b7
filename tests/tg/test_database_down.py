"""The bot on PostgreSQL while the database is unreachable: questions are still answered, and a
borrower starting an enquiry hears that the hand-off is briefly unavailable (not an error)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.storage import migrate_database
from bot.storage import postgres as pg_engine
from tests.fakebotapi import FakeBotApi
from tests.tcpproxy import TcpProxy
from tests.tg.test_handoff import A, make_bot, to


async def test_questions_answered_and_the_hand_off_says_it_is_unavailable(
    api: FakeBotApi, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pg_engine, "BREAKER_SECONDS", 1.0)
    migrate_database(pg_url)
    server = urlsplit(pg_url)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    proxy.start()
    netloc = server.netloc.replace(f"{server.hostname}:{server.port}", f"127.0.0.1:{proxy.port}")
    running = make_bot(api, tmp_path, database_url=urlunsplit(server._replace(netloc=netloc)))
    await running.start()
    unavailable = running.app.bot_data.require_brain().texts()("intake.unavailable")
    try:
        first = await api.reply_to(A, "/lawyer")
        assert "会发给律所的内容" in first.params["text"], "the hand-off works while the database is up"
        await api.reply_to(A, "/cancel")

        proxy.cut()
        answer = await api.reply_to(A, "催收说明天要上门来我家，这合法吗？", timeout=15)
        assert "法律依据" in answer.params["text"]
        mark = len(api.calls)
        api.push_message(A, "/lawyer")
        refused = await api.wait_for(to(A), after=mark, timeout=15)
        assert refused.params["text"] == unavailable

        proxy.start()  # back: the next /lawyer after the pool reconnected starts the form
        for _ in range(30):
            again = await api.reply_to(A, "/lawyer", timeout=15)
            if again.params["text"] != unavailable:
                break
            await asyncio.sleep(0.5)
        assert "会发给律所的内容" in again.params["text"]
    finally:
        await running.stop()
        proxy.cut()
