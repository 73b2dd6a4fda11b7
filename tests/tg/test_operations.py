"""End to end, issue 12: no lawyer's word lost, no borrower's either; one answer to every button.

The real Application against the local fake Bot API server, which refuses what Telegram
refuses: HTML it cannot parse, a text over 4,096 or a caption over 1,024 visible characters.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bot.tg.firm import CLOCK_SKEW
from tests.fakebotapi import BOT_USERNAME, Call, FakeBotApi, parse_html
from tests.tg.conftest import RunningBot, texts
from tests.tg.test_handoff import (
    ADMIN,
    FAST,
    FIRM,
    LAWYER,
    A,
    B,
    buttons,
    make_bot,
    press,
    submit_enquiry,
    to,
)
from tests.tg.test_handoff import firm_bot as firm_bot  # fixture

GROUP = -100600
LONG = 4096


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as in test_handoff: PTB warns otherwise


def shown(call: Call) -> str:
    """What the reader sees of a sent message or caption."""
    return parse_html(str(call.params.get("text") or call.params.get("caption") or ""))[0]


def sent_to(api: FakeBotApi, chat_id: int, after: int, method: str = "sendMessage") -> list[Call]:
    return [c for c in api.calls[after:] if c.method == method and c.params.get("chat_id") == chat_id]


async def settle(api: FakeBotApi, user: int = 99) -> None:
    """Wait until the bot has handled everything pushed so far (a question from another user)."""
    await api.reply_to(user, "催收说要上门合法吗", timeout=20)


async def wait_count(api: FakeBotApi, chat_id: int, count: int, after: int) -> list[Call]:
    """The messages sent to a chat from call `after` on, once there are `count` of them."""
    for _ in range(100):
        sent = sent_to(api, chat_id, after)
        if len(sent) >= count:
            return sent
        await asyncio.sleep(0.1)
    raise AssertionError(f"{len(sent_to(api, chat_id, after))} messages to {chat_id}, expected {count}")


def no_faq_answer(calls: list[Call]) -> bool:
    return not any(w in shown(c) for c in calls for w in ("法律依据", "别着急，我想先确认", "没有把握回答"))


# -- 1: full-length messages both ways ---------------------------------------------------------


async def test_full_length_follow_up_and_lawyer_reply_arrive_whole(api: FakeBotApi, firm_bot: RunningBot):
    ref, receipt = await submit_enquiry(api, A, "我想协商还款")
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    follow_up = ("他们一天打二十个电话，还发短信给我同事。" * 300)[:LONG]
    mark = len(api.calls)
    api.push_message(A, follow_up, reply_to=api.messages[(A, receipt.result["message_id"])])
    await api.wait_for(to(A, contains="已转给律所"), after=mark)
    parts = await wait_count(api, FIRM, 2, mark)
    assert len(parts) == 2 and not [c for c in api.calls[mark:] if c.method.startswith("FAILED")]
    assert follow_up in "".join(shown(c) for c in parts)
    assert all(c.params["reply_parameters"]["message_id"] == card.result["message_id"] for c in parts[:1])

    # The lawyer answers at full length, replying to the *second* part: routed all the same.
    reply = ("可以要求对方提供书面的还款方案，并保留通话录音。" * 200)[:LONG]
    mark = len(api.calls)
    second = api.messages[(FIRM, parts[1].result["message_id"])]
    api.push_message(LAWYER, reply, chat_id=FIRM, chat_type="supergroup", reply_to=second)
    await api.wait_for(lambda c: c.method == "setMessageReaction", after=mark)
    relayed = await wait_count(api, A, 2, mark)
    assert len(relayed) == 2 and shown(relayed[0]).startswith(f"⚖️ 律所回复（咨询 #{ref}）")
    assert reply in "".join(shown(c) for c in relayed)
    assert any(b.startswith("f:") for b in buttons(relayed[-1])) and not buttons(relayed[0])


async def test_a_follow_up_the_firm_never_gets_is_reported_to_the_borrower(
    api: FakeBotApi, firm_bot: RunningBot
):
    ref, receipt = await submit_enquiry(api, A, "我想协商还款")
    await api.wait_for(to(FIRM, contains=f"#{ref}"))
    api.fail_next("sendMessage", 400, "Bad Request: message must be non-empty", chat_id=FIRM)
    mark = len(api.calls)
    api.push_message(A, "补充：他们今天又来了", reply_to=api.messages[(A, receipt.result["message_id"])])
    told = await api.wait_for(to(A, contains="没能送达律所"), after=mark)
    assert f"#{ref}" in told.params["text"]
    assert told.params["reply_parameters"]["message_id"] == api.updates[-1]["message"]["message_id"]
    what = texts().plain("admin.what_enquiry", ref=ref, kind="text")
    await api.wait_for(to(ADMIN, contains=texts()("admin.undeliverable", what=what, detail="")), after=mark)


async def test_too_long_for_telegram_goes_as_a_file(api: FakeBotApi, tmp_path: Path):
    api.chat_members[(FIRM, LAWYER)] = "member"
    running = make_bot(api, tmp_path, config=replace(FAST, max_parts=1))
    await running.start()
    try:
        ref, receipt = await submit_enquiry(api, A, "我想协商还款")
        await api.wait_for(to(FIRM, contains=f"#{ref}"))
        follow_up = "长" * LONG
        mark = len(api.calls)
        api.push_message(A, follow_up, reply_to=api.messages[(A, receipt.result["message_id"])])
        document = await api.wait_for(to(FIRM, "sendDocument"), after=mark)
        assert f"#{ref}" in shown(document) and "见附件" in shown(document)
        assert follow_up in document.params["document"]["content"].decode("utf-8")
        # Telegram calling a message too long (whatever we measured) also ends in a file.
        api.fail_next("sendMessage", 400, "Bad Request: message is too long", chat_id=FIRM)
        mark = len(api.calls)
        api.push_message(A, "短的补充", reply_to=api.messages[(A, receipt.result["message_id"])])
        document = await api.wait_for(to(FIRM, "sendDocument"), after=mark)
        assert "短的补充" in document.params["document"]["content"].decode("utf-8")
    finally:
        await running.stop()


async def test_a_long_caption_keeps_what_fits_and_sends_the_rest(api: FakeBotApi, firm_bot: RunningBot):
    ref, receipt = await submit_enquiry(api, A, "我想协商还款")
    await api.wait_for(to(FIRM, contains=f"#{ref}"))
    caption = "照" * 1024
    photo = {
        "photo": [{"file_id": "f-1", "file_unique_id": "u", "width": 9, "height": 9}],
        "caption": caption,
    }
    mark = len(api.calls)
    api.push_message(A, None, extra=photo, reply_to=api.messages[(A, receipt.result["message_id"])])
    sent = await api.wait_for(to(FIRM, "sendPhoto"), after=mark)
    rest = await api.wait_for(to(FIRM), after=mark)
    assert caption in shown(sent) + shown(rest)
    assert rest.params["reply_parameters"]["message_id"] == sent.result["message_id"]


# -- 2: replies in the firm chat are routed or answered, never taken for questions --------------


async def test_a_reply_to_an_unrecorded_card_reaches_the_borrower(api: FakeBotApi, tmp_path: Path):
    api.chat_members[(FIRM, LAWYER)] = "member"
    first = make_bot(api, tmp_path)
    await first.start()
    ref, receipt = await submit_enquiry(api, A, "法院寄来了传票怎么办")
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    await first.stop()
    # The process died after Telegram took the card and before the outcome was written.
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    db.execute("UPDATE outbox SET state = 'sending', sent_message_id = NULL WHERE kind = 'card'")
    db.execute("DELETE FROM message_links WHERE side = 'firm'")
    db.execute("UPDATE enquiries SET firm_message_id = NULL, firm_chat_id = NULL")
    db.commit()
    db.close()

    second = make_bot(api, tmp_path)
    await second.start()
    try:
        await api.wait_for(to(ADMIN, contains=f"#{ref}"))
        mark = len(api.calls)
        api.push_message(
            LAWYER,
            "请先核对传票上的案号，按时应诉。",
            chat_id=FIRM,
            chat_type="supergroup",
            reply_to=api.messages[(FIRM, card.result["message_id"])],
        )
        relayed = await api.wait_for(to(A, contains="律所回复"), after=mark)
        assert "按时应诉" in relayed.params["text"]
        assert no_faq_answer(sent_to(api, FIRM, mark))
        # The card is adopted: nothing left to resend, and follow-ups thread under it.
        resend = await api.reply_to(ADMIN, f"/resend {ref}")
        assert resend.params["text"] == texts()("resend.done", ref=ref, count=0)
        mark = len(api.calls)
        api.push_message(A, "补充：开庭在下周一", reply_to=api.messages[(A, receipt.result["message_id"])])
        follow = await api.wait_for(to(FIRM, contains="开庭在下周一"), after=mark)
        assert follow.params["reply_parameters"]["message_id"] == card.result["message_id"]
    finally:
        await second.stop()


async def test_replies_to_deleted_enquiries_and_notices_are_answered_not_relayed(
    api: FakeBotApi, firm_bot: RunningBot
):
    ref, _ = await submit_enquiry(api, A, "我想协商还款")
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    old_id = int(next(b for b in buttons(card) if b.startswith("e:x:")).split(":")[2])
    ask = await api.reply_to(A, "/forget")
    mark = await press(api, A, A, ask.result["message_id"], "g:yes")
    notice = await api.wait_for(to(FIRM, contains="要求删除"), after=mark)

    old_card = api.messages[(FIRM, card.result["message_id"])]
    answer = await api.reply_to(
        LAWYER, "催收说要上门合法吗？", chat_id=FIRM, chat_type="supergroup", reply_to=old_card
    )
    assert "这条消息不属于任何咨询" in answer.params["text"] and "已删除" in answer.params["text"]
    to_notice = api.messages[(FIRM, notice.result["message_id"])]
    answer = await api.reply_to(LAWYER, "收到", chat_id=FIRM, chat_type="supergroup", reply_to=to_notice)
    assert "这条消息不属于任何咨询" in answer.params["text"] and "通知" in answer.params["text"]
    # A reply to that answer is answered the same way (the bot's own notices are recorded).
    own = api.messages[(FIRM, answer.result["message_id"])]
    again = await api.reply_to(LAWYER, "征信会受影响吗", chat_id=FIRM, chat_type="supergroup", reply_to=own)
    assert "这条消息不属于任何咨询" in again.params["text"]
    assert no_faq_answer(api.sent(FIRM))

    # SQLite gives the next enquiry the deleted one's id: the old card must not reach B.
    await asyncio.sleep(max(0.0, old_card["date"] + CLOCK_SKEW + 1.5 - time.time()))
    ref_b, _ = await submit_enquiry(api, B, "催收打我单位电话")
    card_b = await api.wait_for(to(FIRM, contains=f"#{ref_b}"))
    assert f"e:x:{old_id}" in buttons(card_b), "the id was reused: the case this test is about"
    mark = len(api.calls)
    api.push_message(LAWYER, "给错人的答复", chat_id=FIRM, chat_type="supergroup", reply_to=old_card)
    refused = await api.wait_for(to(FIRM, contains="这条消息不属于任何咨询"), after=mark)
    assert refused.params["reply_parameters"]["message_id"] == api.updates[-1]["message"]["message_id"]
    mark = await press(api, LAWYER, FIRM, card.result["message_id"], f"e:x:{old_id}")
    gone = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert "已删除" in gone.params["text"]
    await settle(api)
    assert not [c for c in api.sent(B) if "给错人" in shown(c) or "已结案" in shown(c)]


# -- 3: a fixed FIRM_CHAT_ID delivers at once after the restart ----------------------------------


async def test_restart_with_the_chat_id_set_delivers_at_once(api: FakeBotApi, tmp_path: Path):
    production_wait = replace(FAST, unreachable_retry=120.0)
    first = make_bot(api, tmp_path, config=production_wait, firm_chat_id=None)
    await first.start()
    ref, _ = await submit_enquiry(api, A, "征信会不会受影响")
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    for _ in range(100):
        row = db.execute("SELECT last_error, next_attempt_at FROM outbox WHERE kind = 'card'").fetchone()
        if row[0] == "FIRM_CHAT_ID not set":
            break
        await asyncio.sleep(0.1)
    db.close()
    assert row[0] == "FIRM_CHAT_ID not set" and row[1] > time.time() + 100
    await first.stop()

    second = make_bot(api, tmp_path, config=production_wait)
    started = time.monotonic()
    await second.start()
    try:
        await api.wait_for(to(FIRM, contains=f"#{ref}"), timeout=10)
        assert time.monotonic() - started < 10
    finally:
        await second.stop()


# -- 4: a long summary shows the borrower's words as written -------------------------------------


async def test_a_long_question_with_markup_characters_is_shown_whole(api: FakeBotApi, firm_bot: RunningBot):
    question = "<script>&amp;" + "<" * 2900 + "问题"
    mark = len(api.calls)
    ref, _ = await submit_enquiry(api, A, question)
    summary = next(c for c in sent_to(api, A, mark) if "请确认" in shown(c))
    assert question in shown(summary), "one message, the question whole, no half entity"
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    assert question in shown(card)
    assert not [c for c in api.calls[mark:] if c.method.startswith("FAILED")]


# -- 10: edits and live locations --------------------------------------------------------------


async def test_live_location_updates_get_no_reply(api: FakeBotApi, bot: RunningBot):
    place = {"location": {"latitude": 30.0, "longitude": 120.0, "live_period": 900}}
    first = api.push_message(A, None, extra=place)["message"]
    hint = await api.wait_for(to(A, contains="文字"))
    mark = len(api.calls)
    for i in range(5):
        moved = {"location": {"latitude": 30.0 + i / 1000, "longitude": 120.0, "live_period": 900}}
        api.push_message(A, None, edited=True, extra={**moved, "message_id": first["message_id"]})
    await settle(api, A)
    assert [c for c in sent_to(api, A, mark) if "文字" in shown(c)] == [], hint


async def test_an_edit_is_answered_only_when_the_answer_changes(api: FakeBotApi, bot: RunningBot):
    answer = await api.reply_to(A, "催收说要上门合法吗")
    question = api.updates[-1]["message"]
    mark = len(api.calls)
    api.push_message(A, "催收说要上门，合法吗？", edited=True, extra={"message_id": question["message_id"]})
    await settle(api, A)
    assert [c.method for c in api.calls[mark:] if c.params.get("chat_id") == A] == ["sendMessage"]  # settle's
    mark = len(api.calls)
    api.push_message(A, "征信逾期记录会保留几年", edited=True, extra={"message_id": question["message_id"]})
    edited = await api.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert edited.params["message_id"] == answer.result["message_id"]
    assert "征信" in shown(edited) and shown(edited) != shown(answer)
    # An edit of something the bot never answered (a relay, form input) gets nothing.
    mark = len(api.calls)
    api.push_message(A, "催收说要上门合法吗", edited=True, extra={"message_id": 1})
    await settle(api, A)
    assert [c.method for c in api.calls[mark:] if c.params.get("chat_id") == A] == ["sendMessage"]


# -- 11: mentions by entity ----------------------------------------------------------------------


async def test_only_a_mention_of_this_very_bot_addresses_it(api: FakeBotApi, bot: RunningBot):
    mark = len(api.calls)
    api.push_message(A, f"@{BOT_USERNAME}_fake 催收说要上门合法吗", chat_id=GROUP, chat_type="supergroup")
    api.push_message(A, f"问问 @{BOT_USERNAME}x 催收说要上门合法吗", chat_id=GROUP, chat_type="supergroup")
    addressed = api.push_message(
        A, f"@{BOT_USERNAME.upper()} 催收说要上门合法吗", chat_id=GROUP, chat_type="supergroup"
    )["message"]
    # Updates of one chat are handled in order: once this one is answered, so are the others.
    reply = await api.wait_for(
        lambda c: (
            c.method == "sendMessage"
            and (c.params.get("reply_parameters") or {}).get("message_id") == addressed["message_id"]
        ),
        after=mark,
    )
    assert "法律依据" in reply.params["text"]
    assert len(sent_to(api, GROUP, mark)) == 1


# -- 12: every button press is answered ---------------------------------------------------------


async def test_every_callback_on_a_group_message_is_answered(api: FakeBotApi, bot: RunningBot):
    answer = await api.reply_to(
        A, f"@{BOT_USERNAME} 催收说要上门合法吗", chat_id=GROUP, chat_type="supergroup"
    )
    message = api.messages[(GROUP, answer.result["message_id"])]
    forged = [
        "g:yes",
        "g:no",
        "g:x",
        "e:t:1",
        "e:x:999",
        "f:1",
        "i:c:yes",
        "i:s:yes",
        "v:+:nope",
        "l",
        "zz",
        "m:0",
    ]
    for data in forged:
        mark = len(api.calls)
        api.push_callback(A, message, data)
        await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark, timeout=10)
    mark = len(api.calls)
    api.push({"callback_query": {"id": "77", "from": api.user(A), "message": message, "chat_instance": "ci"}})
    answered = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert answered.params.get("text") == "按钮已失效"


# -- 13: an update PTB cannot read is skipped once ------------------------------------------------


async def test_an_unreadable_update_is_skipped_and_logged_once(api: FakeBotApi, bot: RunningBot, caplog):
    caplog.set_level(logging.INFO)
    api.push({"message": {"message_id": 1, "chat": {"id": A, "type": "private"}, "text": "没有日期"}})
    reply = await api.reply_to(A, "催收说要上门合法吗", timeout=15)
    assert "法律依据" in reply.params["text"]
    skipped = [r for r in caplog.records if "cannot read" in r.getMessage()]
    assert len(skipped) == 1 and skipped[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.CRITICAL]
