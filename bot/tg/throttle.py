"""Pacing what the bot sends and how it takes updates, within Telegram's limits.

Telegram allows a bot about 30 messages per second overall and about one per second in a
single chat, with short bursts tolerated. PTB's `AIORateLimiter` enforces the overall rate
and the per-group rate (20 per minute), but nothing per *private* chat; `ChatRateLimiter`
adds that. Because the limiter makes a handler wait, updates are processed concurrently
across chats (`PerChatUpdateProcessor`), so one chat's wait does not hold up everyone else,
while updates from the same chat still run one at a time and in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.ext import AIORateLimiter, BaseUpdateProcessor

# One message a second per private chat on average, with a burst of three (a long answer in
# two parts plus a menu edit go out at once).
PRIVATE_CHAT_BURST = 3
PRIVATE_CHAT_PERIOD = 3.0
# Telegram says "about 30 messages per second"; staying a little under leaves room for the
# jitter between our limiter and their clock when many handlers send at once (measured:
# at 30/s the load benchmark drew 429s, at 25/s none).
OVERALL_MAX_RATE = 25
# Idle limiters are dropped once this many chats have one.
MAX_IDLE_LIMITERS = 1024


class ChatRateLimiter(AIORateLimiter):
    """`AIORateLimiter` plus a limit per private chat (positive chat ids)."""

    def __init__(
        self,
        private_chat_burst: int = PRIVATE_CHAT_BURST,
        private_chat_period: float = PRIVATE_CHAT_PERIOD,
        overall_max_rate: float = OVERALL_MAX_RATE,
        **kwargs: Any,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, **kwargs)
        self._overall_rate = overall_max_rate
        self._group_rate = self._group_max_rate
        self._share = 1.0
        self._private_burst = private_chat_burst
        self._private_period = private_chat_period
        self._private: dict[int, AsyncLimiter] = {}

    def set_share(self, fraction: float) -> None:
        """Use `fraction` of the configured overall and per-group rates (several instances share
        Telegram's limits for one bot: bot/tg/cluster.py sets 1/N).

        The limiters are changed in place, so requests already waiting see the new rate at once
        (a new limiter would let them through on the old one). aiolimiter keeps the rate in
        `_rate_per_sec` beside `max_rate`, hence both are set.
        """
        self._share = fraction
        if self._base_limiter is not None:
            _set_rate(self._base_limiter, self._overall_rate * fraction)
        if self._group_rate:
            self._group_max_rate = max(1.0, self._group_rate * fraction)
            for limiter in self._group_limiters.values():
                _set_rate(limiter, self._group_rate * fraction)

    @property
    def share(self) -> float:
        return self._share

    @property
    def overall_rate(self) -> float:
        """Messages per second this process allows itself now."""
        return self._overall_rate * self._share

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        limiter = self._private.get(chat_id)
        if limiter is None:
            if len(self._private) >= MAX_IDLE_LIMITERS:
                # A limiter with its full capacity back has no waiters and no memory worth keeping.
                for key in [k for k, v in self._private.items() if v.has_capacity(v.max_rate)]:
                    del self._private[key]
            limiter = AsyncLimiter(self._private_burst, self._private_period)
            self._private[chat_id] = limiter
        return limiter

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat_id = data.get("chat_id")
        if isinstance(chat_id, int) and chat_id > 0:
            async with self._private_limiter(chat_id):
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
        return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)


def _set_rate(limiter: AsyncLimiter, rate: float) -> None:
    """`rate` per the limiter's period; capacity (its burst) at least one request."""
    limiter.max_rate = max(1.0, rate)
    limiter._rate_per_sec = rate / limiter.time_period


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential (in arrival order) within one chat."""

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""
