"""Sending within Telegram's flood limits, checked against the fake server's model of them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.tg.throttle import ChatRateLimiter
from tests.fakebotapi import FakeBotApi, TelegramLimits
from tests.tg.conftest import RunningBot, settings_for

USER = 5151


@pytest.fixture
async def strict_api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(limits=TelegramLimits())
    await server.start()
    yield server
    await server.stop()


async def test_fake_server_answers_429_when_a_chat_floods(strict_api: FakeBotApi):
    url = f"{strict_api.base_url}{strict_api.token}/sendMessage"
    statuses = []
    async with aiohttp.ClientSession() as session:
        for i in range(5):
            async with session.post(url, json={"chat_id": USER, "text": f"m{i}"}) as response:
                body = await response.json()
                statuses.append(response.status)
    assert statuses == [200, 200, 200, 429, 429]
    assert body["parameters"]["retry_after"] >= 1
    assert strict_api.rejected == 2 and strict_api.rejected_by == {"chat": 2}


async def test_pasted_questions_are_all_answered_without_429(strict_api: FakeBotApi, tmp_path: Path):
    bot = RunningBot(settings_for(strict_api, tmp_path))
    await bot.start()
    try:
        questions = [
            "催收可以上门吗",
            "征信多久恢复",
            "利息太高合法吗",
            "收到传票怎么办",
            "催收打电话给我同事",
        ]
        mark = len(strict_api.calls)
        for q in questions:
            strict_api.push_message(USER, q)
        for _ in questions:
            mark = (
                strict_api.calls.index(
                    await strict_api.wait_for(
                        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == USER, after=mark
                    )
                )
                + 1
            )
    finally:
        await bot.stop()
    assert strict_api.rejected == 0, strict_api.rejected_by


async def test_other_chats_are_not_held_up_by_a_flooding_chat(strict_api: FakeBotApi, tmp_path: Path):
    bot = RunningBot(settings_for(strict_api, tmp_path))
    await bot.start()
    try:
        for i in range(6):
            strict_api.push_message(USER, f"催收可以上门吗 {i}")
        strict_api.push_message(USER + 1, "征信多久恢复")
        # Answered while the first chat still waits for its per-chat allowance.
        await strict_api.wait_for(lambda c: c.method == "sendMessage" and c.params.get("chat_id") == USER + 1)
        assert len(strict_api.sent(USER)) < 6
    finally:
        await bot.stop()


async def test_a_share_of_the_overall_rate_is_what_the_limiter_lets_through():
    # Two instances: each takes half of SEND_RATE (bot/tg/cluster.py). 30 messages to 30 chats at
    # 20/s would pass in ~0.5 s; at half the rate (10/s, burst 10) they need ~2 s.
    limiter = ChatRateLimiter(overall_max_rate=20)
    limiter.set_share(0.5)
    assert limiter.overall_rate == 10
    times: list[float] = []

    async def send() -> bool:
        times.append(time.monotonic())
        return True

    await limiter.initialize()
    started = time.monotonic()
    await asyncio.gather(
        *(limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 700 + i}, None) for i in range(30))
    )
    assert 1.8 <= max(times) - started < 4.0, max(times) - started
    limiter.set_share(1.0)  # the other instance stopped: the whole rate again
    assert limiter.overall_rate == 20
