"""Two `python -m bot webhook` instances on one PostgreSQL schema, as a `web` deployment runs them.

The real processes, the real database (a schema of its own), the fake Bot API enforcing our model
of Telegram's limits; updates POSTed to the instances the way Telegram delivers them (tests/webhooks.py).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

import aiohttp
import psycopg

from benchmarks.common import peak_in_window
from bot.storage import migrate_database
from tests.fakebotapi import Call, FakeBotApi, TelegramLimits
from tests.webhooks import WebhookInstance, WebhookSender

FIRM = -1001234567890
ADMIN = 5000
FIRST_USER = 810_001
SEND_RATE = 8.0  # shared by both instances; the fake server rejects above 10/s overall
LIMITS = TelegramLimits(overall_rate=10.0, overall_burst=10.0)
QUESTIONS = [
    json.loads(line)["q"]
    for line in (Path(__file__).parent / "data" / "questions.jsonl").open(encoding="utf-8")
]


def instance_env(url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "FIRM_CHAT_ID": str(FIRM),
        "ADMIN_IDS": str(ADMIN),
        "SEND_RATE": str(SEND_RATE),
        "SEMANTIC_MODEL": "off",  # start in seconds; matching is not what is tested here
        "LOG_LEVEL": "INFO",
    }


def sends(api: FakeBotApi) -> list[Call]:
    """Every answered request that counts against Telegram's overall limit (it names a chat)."""
    return [
        c for c in api.calls if not c.method.startswith("FAILED") and isinstance(c.params.get("chat_id"), int)
    ]


class Users:
    """Borrowers talking to the bot; each update goes to the instance after the one before."""

    def __init__(self, api: FakeBotApi, sender: WebhookSender) -> None:
        self.api = api
        self.sender = sender
        self.turn: dict[int, int] = {}
        self.unanswered: list[tuple[int, str]] = []
        self.receipts_lost: list[int] = []
        self.updates = 0

    async def _deliver(self, user: int, update: dict) -> None:
        self.api.updates.clear()  # nobody polls: the update goes by webhook only
        turn = self.turn.get(user, user % 2)
        self.turn[user] = turn + 1
        self.updates += 1
        await self.sender.deliver(update, turn)

    async def say(self, user: int, text: str) -> list[Call]:
        """Send a message; the bot's messages to the user while it was handled (at least one)."""
        mark = len(self.api.calls)
        await self._deliver(user, self.api.push_message(user, text))
        return [
            c for c in self.api.calls[mark:] if c.params.get("chat_id") == user and c.method == "sendMessage"
        ]

    async def press(self, user: int, message_id: int, data: str) -> None:
        await self._deliver(user, self.api.push_callback(user, self.api.messages[(user, message_id)], data))

    async def ask(self, user: int, questions: list[str]) -> None:
        for question in questions:
            if not await self.say(user, question):
                self.unanswered.append((user, question))

    async def enquire(self, user: int, question: str) -> str:
        """The whole lawyer form; the enquiry's reference from the receipt."""
        consent = next(c for c in await self.say(user, "/lawyer") if "i:c:yes" in json.dumps(c.params))
        mid = consent.result["message_id"]
        for data in ("i:c:yes", "i:l:online", "i:o:3to12", "i:e:family", "i:e:done"):
            await self.press(user, mid, data)
        await self.say(user, "大概3万")
        summary = next(c for c in await self.say(user, question) if "请确认" in c.params["text"])
        mark = len(self.api.calls)
        await self.press(user, summary.result["message_id"], "i:s:yes")
        told = await self.api.wait_for(
            lambda c: (
                (c.params.get("chat_id") == user and "咨询编号" in str(c.params.get("text")))
                or (c.method == "answerCallbackQuery" and "表单已失效" in str(c.params.get("text")))
            ),
            after=mark,
            timeout=30,
        )
        if told.method == "answerCallbackQuery":
            # The confirmation was stored by the killed instance, which died before its receipt
            # went out; Telegram's second delivery found the form consumed. (Known gap: the
            # receipt is not re-sent; the enquiry itself is safe.)
            self.receipts_lost.append(user)
            return ""
        found = re.search(r"#([A-Z2-9]{6})", told.params["text"])
        assert found, told.params["text"]
        return found.group(1)


def enquiry_refs(url: str, user: int) -> list[str]:
    with psycopg.connect(url) as conn:
        return [
            r[0] for r in conn.execute("SELECT ref FROM enquiries WHERE user_id = %s", (user,)).fetchall()
        ]


def outbox_states(url: str) -> list[tuple[int, str, str]]:
    with psycopg.connect(url) as conn:
        return [
            tuple(r) for r in conn.execute("SELECT id, state, claimed_by FROM outbox ORDER BY id").fetchall()
        ]


async def kill_one_while_sending(
    url: str, instances: list[WebhookInstance], done: asyncio.Event
) -> WebhookInstance:
    """kill -9 the instance that holds an outbox row in `sending` (its send in flight), the moment one does."""
    by_pid = {}
    while not done.is_set():
        by_pid = {str(i.pid): i for i in instances}
        for _, state, claimed_by in outbox_states(url):
            pid = claimed_by.rpartition(":")[2]
            if state == "sending" and pid in by_pid:
                victim = by_pid[pid]
                victim.kill()
                return victim
        await asyncio.sleep(0.02)
    raise AssertionError("no outbox row was ever in flight: nothing to kill mid-send")


async def test_two_instances_kill_9_mid_send_nothing_lost_nothing_twice(tmp_path: Path, pg_url: str):
    migrate_database(pg_url)
    api = FakeBotApi(limits=LIMITS)
    api.hold[FIRM] = 1.5  # the firm chat answers slowly: a card stays in flight long enough to be cut off
    api.chat_members[(FIRM, ADMIN)] = "administrator"
    await api.start()
    instances = [WebhookInstance(name, api, tmp_path, instance_env(pg_url)) for name in ("web-1", "web-2")]
    try:
        await asyncio.gather(*(i.start() for i in instances))
        await asyncio.sleep(6)  # one heartbeat: each knows the other, and takes half of SEND_RATE
        start_mark = len(api.calls)
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            sender = WebhookSender(instances, session)
            users = Users(api, sender)
            done = asyncio.Event()
            killer = asyncio.create_task(kill_one_while_sending(pg_url, instances, done))
            askers = [FIRST_USER + i for i in range(15)]
            plans = {
                u: [QUESTIONS[(7 * u + k) % len(QUESTIONS)] for k in range(10 if i < 10 else 11)]
                for i, u in enumerate(askers)
            }
            lawyers = [FIRST_USER + 100 + i for i in range(5)]

            async def lawyer(i: int, user: int) -> str:
                await asyncio.sleep(2.0 * i)  # spread over the run
                return await users.enquire(user, f"第{i + 1}位：催收说要去我单位，我该怎么办？")

            work = asyncio.gather(
                *(users.ask(u, plans[u]) for u in askers), *(lawyer(i, u) for i, u in enumerate(lawyers))
            )
            victim = await killer
            killed_pid = victim.pid
            killed_at = time.monotonic()
            await asyncio.sleep(2)
            await victim.start()  # restarted: a new pid on the same host
            told_refs = (await work)[len(askers) :]
            done.set()
            # Exactly one enquiry per borrower who confirmed, whatever happened to the receipt.
            stored = [enquiry_refs(pg_url, user) for user in lawyers]
            assert [len(r) for r in stored] == [1] * len(lawyers), stored
            refs = [r[0] for r in stored]
            assert all(t in ("", r) for t, r in zip(told_refs, refs, strict=True))

            # The killed claim becomes 'uncertain' (settled by the survivor or the restarted one);
            # the admins are asked to check it, and (as an admin would) we resend what is missing.
            deadline = time.monotonic() + 60
            while any(state in ("pending", "sending") for _, state, _ in outbox_states(pg_url)):
                assert time.monotonic() < deadline, outbox_states(pg_url)
                await asyncio.sleep(0.5)
            uncertain = [row for row in outbox_states(pg_url) if row[1] == "uncertain"]
            # Only the killed process's claims were judged interrupted; nothing a live one was sending.
            assert uncertain and all(row[2].endswith(f":{killed_pid}") for row in uncertain), uncertain
            alert = await api.wait_for(
                lambda c: c.params.get("chat_id") == ADMIN and "无法确定" in str(c.params.get("text")),
                timeout=30,
            )
            cards = {ref: [c for c in api.sent(FIRM) if f"新咨询 #{ref}" in c.params["text"]] for ref in refs}
            for ref in refs:
                if f"#{ref}" in alert.params["text"] and not cards[ref]:
                    await users.say(ADMIN, f"/resend {ref}")
            deadline = time.monotonic() + 30
            while (
                any(state in ("pending", "sending") for _, state, _ in outbox_states(pg_url))
                and time.monotonic() < deadline
            ):
                await asyncio.sleep(0.5)

        cards = {ref: [c for c in api.sent(FIRM) if f"新咨询 #{ref}" in c.params["text"]] for ref in refs}
        assert {ref: len(found) for ref, found in cards.items()} == dict.fromkeys(refs, 1), (
            alert.params["text"],
            outbox_states(pg_url),
            [c.params.get("text") for c in api.sent(ADMIN)],
        )
        assert users.unanswered == [], "every question answered"
        assert users.updates >= 200 and min(sender.delivered) >= 50, (users.updates, sender.delivered)

        # Both instances together within the shared limit: no request over the fake server's
        # 10/s, and in every window the sends fit SEND_RATE × window plus both buckets' burst.
        assert api.rejected_by.get("overall", 0) == 0, api.rejected_by
        times = sorted(c.at for c in sends(api)[start_mark:])
        for window in (1.0, 2.0, 5.0, 10.0):
            assert peak_in_window(times, window) <= SEND_RATE * window + SEND_RATE + 1, (window, peak_in_window(times, window))
        print(
            f"\n{len(times)} sends in {times[-1] - times[0]:.1f} s ({len(times) / (times[-1] - times[0]):.1f}/s), "
            f"peak 1 s {peak_in_window(times, 1.0)}, 5 s {peak_in_window(times, 5.0)}; delivered {sender.delivered}, "
            f"redelivered {sender.redelivered}, killed {victim.name} at +{killed_at - times[0]:.1f} s, "
            f"receipts lost {len(users.receipts_lost)}"
        )
    finally:
        for instance in instances:
            await instance.stop()
        await api.stop()
