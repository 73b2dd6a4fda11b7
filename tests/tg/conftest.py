"""End-to-end fixtures: the real Application polling a local fake Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE, Settings
from bot.core.knowledge import load_knowledge
from bot.core.messages import Texts
from bot.tg.app import build_application
from tests.fakebotapi import FakeBotApi


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.stop()


@cache
def texts() -> Texts:
    """The bot's words from knowledge/messages.yaml (Chinese, Telegram HTML), as the bot says them."""
    return Texts(load_knowledge(DEFAULT_KNOWLEDGE).messages)


def settings_for(api: FakeBotApi, tmp_path: Path, **overrides: object) -> Settings:
    base = Settings(
        token=api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        database_path=tmp_path / "bot.sqlite3",
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


class RunningBot:
    """Starts and stops an Application the way run_polling does, inside the test's loop."""

    def __init__(self, settings: Settings, knowledge: Path | None = None) -> None:
        self.settings = settings
        self.kb = load_knowledge(knowledge or settings.knowledge_dir)
        self.app = build_application(settings, self.kb)

    async def start(self) -> None:
        await self.app.initialize()
        if self.app.post_init is not None:
            await self.app.post_init(self.app)
        await self.app.start()
        assert self.app.updater is not None
        await self.app.updater.start_polling(poll_interval=0.0, timeout=1)

    async def stop(self) -> None:
        assert self.app.updater is not None
        if self.app.updater.running:
            await self.app.updater.stop()
        if self.app.running:
            await self.app.stop()
        if self.app.post_shutdown is not None:
            await self.app.post_shutdown(self.app)
        await self.app.shutdown()


@pytest.fixture
async def bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings_for(api, tmp_path))
    await running.start()
    yield running
    await running.stop()
