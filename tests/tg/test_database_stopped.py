"""The database stopped for a while: a throwaway PostgreSQL cluster of the test's own (never the
shared server) is stopped under the running bot and started again.

While it is down: questions are answered, a borrower starting an enquiry hears that the hand-off
is briefly unavailable, an enquiry confirmed before stays queued, and the bot says so in the log
once. When it is back: everything queued is delivered exactly once, and the log says so once.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.storage import migrate_database, open_database
from bot.storage import postgres as pg_engine
from tests.fakebotapi import Call, FakeBotApi
from tests.pgcluster import Cluster
from tests.tg.conftest import texts
from tests.tg.test_handoff import ADMIN, FIRM, LAWYER, A, B, make_bot, submit_enquiry, to


@pytest.fixture
def cluster():
    made = Cluster()
    made.start()
    yield made
    made.remove()


def _cards(api: FakeBotApi, ref: str) -> list[str]:
    return [str(c.params["text"]) for c in api.sent(FIRM) if f"新咨询 #{ref}" in str(c.params.get("text"))]


async def test_questions_answered_enquiries_kept_and_delivered_once_after_the_database_returns(
    api: FakeBotApi,
    tmp_path: Path,
    cluster: Cluster,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
):
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as in test_handoff
    monkeypatch.setattr(pg_engine, "BREAKER_SECONDS", 1.0)
    migrate_database(cluster.url)
    api.chat_members[(FIRM, LAWYER)] = "member"
    running = make_bot(api, tmp_path, database_url=cluster.url)
    await running.start()
    try:
        # Confirmed while the firm's chat cannot be reached: stored, queued, admins told.
        api.fail_next("getChat", 400, "Bad Request: chat not found", chat_id=FIRM, times=100000)
        ref, _ = await submit_enquiry(api, A, "催收说要起诉我，我该怎么办？")
        await api.wait_for(to(ADMIN, contains=texts().template("admin.firm_down").split("{")[0]))

        caplog.set_level(logging.INFO)
        caplog.clear()
        cluster.stop()
        answer = await api.reply_to(A, "催收说明天要上门来我家，这合法吗？", timeout=20)
        assert "法律依据" in answer.params["text"]
        refused = await api.reply_to(B, "/lawyer", timeout=20)
        assert refused.params["text"] == texts()("intake.unavailable")
        await asyncio.sleep(3)  # many outbox ticks, several housekeeping and purge runs
        api.failures.clear()  # the firm's chat is back before the database is
        await asyncio.sleep(1)
        assert _cards(api, ref) == [], "nothing is sent without the database"

        cluster.start()
        await api.wait_for(to(FIRM, contains=f"新咨询 #{ref}"), timeout=30)
        await asyncio.sleep(2)  # room for a second card, if there were one
        assert len(_cards(api, ref)) == 1
        started = await api.reply_to(B, "/lawyer", timeout=20)
        assert "会发给律所的内容" in started.params["text"], "the hand-off works again"

        ours = [r for r in caplog.records if r.name.startswith("bot.")]
        down = [r for r in ours if "database unavailable" in r.getMessage()]
        back = [r for r in ours if "database back" in r.getMessage()]
        assert len(down) == 1 and down[0].levelno == logging.WARNING, [r.getMessage() for r in down]
        assert len(back) == 1, [r.getMessage() for r in back]
        assert not [r for r in ours if r.levelno >= logging.ERROR or r.exc_info], "no error traces"
    finally:
        await running.stop()


async def test_a_card_sent_while_the_database_stops_is_recorded_when_it_returns(
    api: FakeBotApi, tmp_path: Path, cluster: Cluster, monkeypatch: pytest.MonkeyPatch
):
    """The database stops while Telegram is taking the card: the send cannot be recorded then. It is
    recorded once the database is back (not left in 'sending', not sent again), and the card is the
    enquiry's: the lawyer's reply to it reaches the borrower."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.setattr(pg_engine, "BREAKER_SECONDS", 1.0)
    migrate_database(cluster.url)
    api.chat_members[(FIRM, LAWYER)] = "member"

    def stop_on_the_card(call: Call) -> None:
        # Runs as the fake server records the card, before it answers: the bot has sent it and
        # is waiting for Telegram's reply when the database goes.
        if call.method == "sendMessage" and "新咨询 #" in str(call.params.get("text")):
            api.on_call = None
            cluster.stop()

    running = make_bot(api, tmp_path, database_url=cluster.url)
    await running.start()
    try:
        api.on_call = stop_on_the_card
        ref, _ = await submit_enquiry(api, A, "催收说要起诉我，我该怎么办？")
        card = await api.wait_for(to(FIRM, contains=f"新咨询 #{ref}"), timeout=20)
        await asyncio.sleep(2)  # outbox ticks while the database is down
        cluster.start()
        database = open_database(cluster.url)
        try:
            for _ in range(100):
                enquiry = database.enquiries.enquiry_by_ref(ref)
                if enquiry is not None and enquiry.firm_message_id is not None:
                    break
                await asyncio.sleep(0.2)
            assert enquiry is not None and enquiry.firm_message_id == card.result["message_id"]
            assert [r.state for r in database.enquiries.rows_for(enquiry.id)] == ["sent"]
        finally:
            database.close()
        assert len(_cards(api, ref)) == 1, "recorded, not sent again"
        mark = len(api.calls)
        api.push_message(
            LAWYER,
            "请先核对传票上的案号。",
            chat_id=FIRM,
            chat_type="supergroup",
            reply_to=api.messages[(FIRM, card.result["message_id"])],
        )
        relayed = await api.wait_for(to(A, contains="核对传票"), after=mark, timeout=20)
        assert f"#{ref}" in relayed.params["text"]
    finally:
        await running.stop()
