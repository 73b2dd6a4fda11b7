"""Two bot instances on one PostgreSQL database handle the same borrower's form.

Like two webhook processes behind one URL, each instance gets its own share of the chat's
updates (here: its own fake Bot API server; both servers share one message store, as Telegram
would). The second instance runs in a thread with its own event loop, so the two really run at
the same time and their database calls interleave. The form must end consistent (no step lost,
none applied twice) and a confirmation tapped on both makes one enquiry and one card.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

from bot.core.intake import EVENT_KEYS
from bot.storage import migrate_database, open_database
from tests.fakebotapi import FakeBotApi
from tests.tg.conftest import RunningBot
from tests.tg.test_handoff import FIRM, LAWYER, buttons, make_bot, to

T = TypeVar("T")
U = 4545


class ThreadedBot:
    """A RunningBot on an event loop of its own, in its own thread (a second process, nearly)."""

    def __init__(self, running: RunningBot) -> None:
        self.running = running
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def close(self) -> None:
        await self.call(self.running.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(self.thread.join, 10)
        self.loop.close()


async def _edits(apis: list[FakeBotApi], marks: list[int], count: int, timeout: float = 20.0) -> None:
    """Wait until the two servers together saw `count` edits of the form since `marks`."""
    deadline = time.monotonic() + timeout
    while True:
        seen = sum(
            1
            for api, mark in zip(apis, marks, strict=True)
            for c in api.calls[mark:]
            if c.method == "editMessageText"
        )
        if seen >= count:
            return
        assert time.monotonic() < deadline, f"only {seen} of {count} form edits"
        await asyncio.sleep(0.05)


async def test_one_form_over_two_instances_stays_consistent(tmp_path: Path, pg_url: str):
    migrate_database(pg_url)  # the release phase, before the instances start
    one, two = FakeBotApi(), FakeBotApi()
    await one.start()
    await two.start()
    two.messages = one.messages  # one Telegram: a message is known to both servers
    two._message_ids = one._message_ids
    for api in (one, two):
        api.chat_members[(FIRM, LAWYER)] = "member"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = make_bot(one, tmp_path / "a", database_url=pg_url)
    await first.start()
    second = ThreadedBot(make_bot(two, tmp_path / "b", database_url=pg_url))
    await second.call(second.running.start())
    db = open_database(pg_url)
    try:
        consent = await one.reply_to(U, "/lawyer")
        form = consent.result["message_id"]
        message = one.messages[(U, form)]
        # Alternate: each step on the other instance.
        for api, data in [(two, "i:c:yes"), (one, "i:l:online"), (two, "i:o:3to12")]:
            mark = len(api.calls)
            api.push_callback(U, message, data)
            await api.wait_for(to(U, "editMessageText"), after=mark, timeout=15)
        draft = db.enquiries.get_draft(U)
        assert draft is not None and draft.step == "events"

        # At the same time, each instance toggles three of the six events, three rounds:
        # on, off, on. A lost update would drop a toggle; one applied twice would undo it.
        apis = [one, two]
        for expected in (len(EVENT_KEYS), 0, len(EVENT_KEYS)):
            marks = [len(one.calls), len(two.calls)]
            for i, key in enumerate(EVENT_KEYS):
                apis[i % 2].push_callback(U, message, f"i:e:{key}")
            await _edits(apis, marks, len(EVENT_KEYS))
            draft = db.enquiries.get_draft(U)
            assert draft is not None
            assert len(draft.data["events"]) == expected, draft.data
            assert len(set(draft.data["events"])) == expected, "no event twice"
        mark = len(two.calls)
        two.push_callback(U, message, "i:e:done")
        await two.wait_for(to(U, "editMessageText", "4/5"), after=mark, timeout=15)
        prompt = await one.reply_to(U, "大概3万", timeout=15)
        assert "5/5" in prompt.params["text"]
        summary = await two.reply_to(U, "催收每天给我家人打电话，我该怎么办？", timeout=15)
        assert "请确认" in summary.params["text"] and "i:s:yes" in buttons(summary)

        # The confirmation tapped on both instances at once: one enquiry, one receipt, one card.
        marks = [len(one.calls), len(two.calls)]
        confirm = one.messages[(U, summary.result["message_id"])]
        one.push_callback(U, confirm, "i:s:yes")
        two.push_callback(U, confirm, "i:s:yes")

        def receipts_and_cards() -> tuple[list[Any], list[Any]]:
            receipts = [
                c
                for api, mark in zip(apis, marks, strict=True)
                for c in api.calls[mark:]
                if c.method == "sendMessage" and c.params.get("chat_id") == U and "咨询编号" in c.params["text"]
            ]
            cards = [c for api in apis for c in api.sent(FIRM) if "新咨询" in str(c.params.get("text"))]
            return receipts, cards

        # The receipt waits for the chat's allowance (the toggles above used it up) and the card for
        # the outbox: wait for both (slow on a loaded machine), then a little for a second of either.
        for _ in range(300):
            receipts, cards = receipts_and_cards()
            if receipts and cards:
                break
            await asyncio.sleep(0.1)
        assert cards, "the card reached the firm"
        assert receipts, "the borrower got a receipt"
        await asyncio.sleep(1.5)
        receipts, cards = receipts_and_cards()
        assert len(receipts) == 1 and len(cards) == 1, (len(receipts), len(cards))
        enquiries = db.enquiries.enquiries_of(U)
        assert len(enquiries) == 1 and db.enquiries.get_draft(U) is None
        assert len(enquiries[0].events) == len(EVENT_KEYS) and enquiries[0].amount
    finally:
        db.close()
        await second.close()
        await first.stop()
        await one.stop()
        await two.stop()
