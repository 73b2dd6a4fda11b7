"""End to end: the hand-off to the law firm, two borrowers, a lawyer and an outsider in the firm group."""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.tg.handoff import HandoffConfig
from tests.fakebotapi import Call, FakeBotApi
from tests.tg.conftest import RunningBot, settings_for, texts

FIRM = -100777
LAWYER = 5001
OUTSIDER = 5002
ADMIN = 9001
A = 4242
B = 4343
FAST = HandoffConfig(
    intake_timeout=600,
    outbox_interval=0.2,
    housekeeping_interval=0.3,
    backoff_base=0.05,
    backoff_cap=0.5,
    unreachable_retry=0.3,
)
PHONE, ID_CARD, BANK_CARD = "13812345678", "110101199003071234", "6222021234567890123"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns inside RetryAfter() itself unless it may use timedelta; tests turn warnings
    # into errors, so opt in (the outbox accepts both forms).
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def labels(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def make_bot(api: FakeBotApi, tmp_path: Path, config: HandoffConfig = FAST, **overrides: Any) -> RunningBot:
    settings = settings_for(api, tmp_path, **{"firm_chat_id": FIRM, "admin_ids": (ADMIN,), **overrides})
    running = RunningBot(settings)
    running.app.bot_data.require_handoff().config = replace(config)
    return running


@pytest.fixture
async def firm_bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    api.chat_members[(FIRM, LAWYER)] = "member"
    running = make_bot(api, tmp_path)
    await running.start()
    yield running
    await running.stop()


def to(chat_id: int, method: str = "sendMessage", contains: str = ""):
    def predicate(c: Call) -> bool:
        text = str(c.params.get("text") or c.params.get("caption") or "")
        return c.method == method and c.params.get("chat_id") == chat_id and contains in text

    return predicate


async def press(api: FakeBotApi, user: int, chat_id: int, message_id: int, data: str) -> int:
    mark = len(api.calls)
    api.push_callback(user, api.messages[(chat_id, message_id)], data)
    return mark


async def submit_enquiry(api: FakeBotApi, user: int, question: str, photo: bool = False) -> tuple[str, Call]:
    """The whole form: consent, the three fact steps, amount, question, confirm."""
    consent = await api.reply_to(user, "/lawyer")
    assert "会发给律所的内容" in consent.params["text"] and "i:c:no" in buttons(consent)
    mid = consent.result["message_id"]
    for data, expect in [
        ("i:c:yes", "1/5"),
        ("i:l:online", "2/5"),
        ("i:o:3to12", "3/5"),
        ("i:e:family", "✅ 联系家人/朋友"),
        ("i:e:visit", "✅ 说要上门"),
        ("i:e:done", "4/5"),
    ]:
        mark = await press(api, user, user, mid, data)
        edited = await api.wait_for(to(user, "editMessageText"), after=mark)
        assert expect in edited.params["text"] or expect in labels(edited), (data, edited.params)
    prompt = await api.reply_to(user, "大概3万")
    assert "5/5" in prompt.params["text"]
    if photo:
        mark = len(api.calls)
        extra = {
            "photo": [{"file_id": "doc-photo", "file_unique_id": "dp", "width": 9, "height": 9}],
            "caption": question,
        }
        api.push_message(user, None, extra=extra)
        summary = await api.wait_for(to(user, contains="请确认"), after=mark)
    else:
        summary = await api.reply_to(user, question)
    assert "请确认" in summary.params["text"] and "网贷" in summary.params["text"]
    mark = await press(api, user, user, summary.result["message_id"], "i:s:yes")
    receipt = await api.wait_for(to(user, contains="咨询编号"), after=mark)
    match = re.search(r"#([A-Z2-9]{6})", receipt.params["text"])
    assert match, receipt.params["text"]
    return match.group(1), receipt


async def test_whole_hand_off_between_two_borrowers_and_the_firm(api: FakeBotApi, firm_bot: RunningBot):
    # A reads an answer first, so the firm sees which answer did not settle it.
    answer = await api.reply_to(A, "催收说明天要上门来我家，这合法吗？")
    title = answer.params["text"].split("\n")[0].replace("<b>", "").replace("</b>", "")
    ref_a, receipt_a = await submit_enquiry(api, A, "他们说明天来我家，我该怎么办？", photo=True)
    assert "/mycases" in receipt_a.params["text"]

    card = await api.wait_for(to(FIRM, contains=f"#{ref_a}"))
    text = card.params["text"]
    assert "网贷" in text and "3–12 个月" in text and "联系家人/朋友、说要上门" in text and "大概3万" in text
    assert "他们说明天来我家" in text and title in text
    assert "e:t:" in " ".join(buttons(card)) and any(b.startswith("e:x:") for b in buttons(card))
    photo = await api.wait_for(to(FIRM, "sendPhoto"))
    assert photo.params["reply_parameters"]["message_id"] == card.result["message_id"]

    # B files one too; the firm gets two separate cards.
    ref_b, _ = await submit_enquiry(api, B, "网贷催收天天打我单位电话")
    await api.wait_for(to(FIRM, contains=f"#{ref_b}"))
    assert ref_a != ref_b

    # The lawyer takes A's enquiry and replies to the card; A gets it, marked as the firm's.
    card_message = api.messages[(FIRM, card.result["message_id"])]
    mark = len(api.calls)
    api.push_callback(LAWYER, card_message, next(b for b in buttons(card) if b.startswith("e:t:")))
    await api.wait_for(to(A, contains="律师已接手"), after=mark)
    edited = await api.wait_for(to(FIRM, "editMessageText"), after=mark)
    assert "律师已接手" in edited.params["text"] and not any(b.startswith("e:t:") for b in buttons(edited))

    mark = len(api.calls)
    api.push_message(
        LAWYER,
        "上门催收要遵守规定，您可以拒绝开门。",
        chat_id=FIRM,
        chat_type="supergroup",
        reply_to=card_message,
    )
    relayed = await api.wait_for(to(A, contains="律所回复"), after=mark)
    assert "可以拒绝开门" in relayed.params["text"] and f"#{ref_a}" in relayed.params["text"]
    assert any(b.startswith("f:") for b in buttons(relayed))
    await api.wait_for(lambda c: c.method == "setMessageReaction", after=mark)
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == B], "B hears nothing of A's case"

    # A's follow-up (a normal reply, no forward metadata) goes back to the same thread.
    mark = len(api.calls)
    api.push_message(A, "他们还打给了我妈妈", reply_to=api.messages[(A, relayed.result["message_id"])])
    followup = await api.wait_for(to(FIRM, contains="用户补充"), after=mark)
    assert "打给了我妈妈" in followup.params["text"] and f"#{ref_a}" in followup.params["text"]
    assert followup.params["reply_parameters"]["message_id"] == card.result["message_id"]
    await api.wait_for(to(A, contains="已转给律所"), after=mark)

    # /mycases shows each borrower only their own enquiries.
    mine = await api.reply_to(A, "/mycases")
    assert f"#{ref_a}" in mine.params["text"] and f"#{ref_b}" not in mine.params["text"]
    assert "律所已回复" in mine.params["text"]
    theirs = await api.reply_to(B, "/mycases")
    assert f"#{ref_b}" in theirs.params["text"] and f"#{ref_a}" not in theirs.params["text"]

    # B cannot use A's follow-up button; commands in the firm group never show enquiries.
    mark = len(api.calls)
    api.push_callback(B, api.messages[(A, relayed.result["message_id"])], buttons(relayed)[0])
    refused = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert refused.params.get("text") == "按钮已失效"
    group = await api.reply_to(LAWYER, "/mycases", chat_id=FIRM, chat_type="supergroup")
    assert "私聊" in group.params["text"] and ref_a not in group.params["text"]

    # Closing tells the borrower; a later reply to the card is not relayed.
    mark = len(api.calls)
    api.push_callback(
        LAWYER,
        api.messages[(FIRM, card.result["message_id"])],
        next(b for b in buttons(card) if b.startswith("e:x:")),
    )
    await api.wait_for(to(A, contains="已结案"), after=mark)


async def test_forget_deletes_everything_and_tells_the_firm(
    api: FakeBotApi, firm_bot: RunningBot, tmp_path: Path
):
    ref, _ = await submit_enquiry(api, A, "我想协商还款")
    await api.wait_for(to(FIRM, contains=f"#{ref}"))
    ask = await api.reply_to(A, "/forget")
    assert "g:yes" in buttons(ask)
    mark = await press(api, A, A, ask.result["message_id"], "g:yes")
    done = await api.wait_for(to(A, "editMessageText"), after=mark)
    assert "律师咨询：1 条" in done.params["text"] and f"#{ref}" in done.params["text"]
    notice = await api.wait_for(to(FIRM, contains="要求删除"), after=mark)
    assert f"#{ref}" in notice.params["text"]
    empty = await api.reply_to(A, "/mycases")
    assert "还没有提交过" in empty.params["text"]
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    for table in ("enquiries", "outbox", "message_links", "intake_drafts"):
        assert db.execute(f"SELECT COUNT(*) FROM {table} WHERE user_id = ?", (A,)).fetchone()[0] == 0
    db.close()
    again = await api.reply_to(A, "/forget")
    mark = await press(api, A, A, again.result["message_id"], "g:yes")
    nothing = await api.wait_for(to(A, "editMessageText"), after=mark)
    assert "没有保存" in nothing.params["text"]


async def test_restart_between_enquiry_and_delivery_delivers_exactly_once(api: FakeBotApi, tmp_path: Path):
    api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=FIRM, times=10_000)
    first = make_bot(api, tmp_path)
    await first.start()
    ref, receipt = await submit_enquiry(api, A, "法院寄来了传票怎么办")
    assert "排队" in receipt.params["text"], "the borrower is told the truth, not an error"
    await api.wait_for(lambda c: c.method == "FAILED:sendMessage" and c.params.get("chat_id") == FIRM)
    await first.stop()
    api.failures.clear()

    second = make_bot(api, tmp_path)
    await second.start()
    try:
        card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
        # A later message about the same enquiry is delivered after the card: by then any
        # duplicate of the card would have been sent too.
        mark = len(api.calls)
        api.push_message(A, "补充：开庭是下周", reply_to=api.messages[(A, receipt.result["message_id"])])
        await api.wait_for(to(FIRM, contains="开庭是下周"), after=mark)
        cards = [c for c in api.sent(FIRM) if f"新咨询 #{ref}" in c.params["text"]]
        assert cards == [card]
    finally:
        await second.stop()


async def test_429_and_500_for_a_while_then_delivered(api: FakeBotApi, firm_bot: RunningBot):
    # More 429s than AIORateLimiter retries (3), then 5xx: the outbox takes over both.
    api.fail_next("sendMessage", 429, retry_after=1, chat_id=FIRM, times=5)
    ref, _ = await submit_enquiry(api, A, "利息太高了合法吗")
    await api.wait_for(to(FIRM, contains=f"#{ref}"), timeout=30)
    assert len([c for c in api.calls if c.method == "FAILED:sendMessage"]) == 5

    api.fail_next("sendMessage", 502, "Bad Gateway", chat_id=FIRM, times=2)
    api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=FIRM, times=2)
    ref2, _ = await submit_enquiry(api, B, "催收骂我怎么办")
    card = await api.wait_for(to(FIRM, contains=f"#{ref2}"), timeout=30)
    assert len([c for c in api.sent(FIRM) if f"新咨询 #{ref2}" in c.params["text"]]) == 1
    assert card.params["text"].startswith("<b>📨"), "a 5xx is not a timeout: no duplicate warning"


async def test_unreachable_firm_chat_alerts_admins_and_keeps_the_enquiry(
    api: FakeBotApi, firm_bot: RunningBot
):
    # The chat stays unreachable until the test has seen the queued state, then recovers.
    api.fail_next("getChat", 400, "Bad Request: chat not found", chat_id=FIRM, times=1000)
    ref, receipt = await submit_enquiry(api, A, "催收说要起诉我")
    assert "已保存" in receipt.params["text"]
    down = texts().template("admin.firm_down").split("{")[0]  # up to the chat id
    alert = await api.wait_for(to(ADMIN, contains=down))
    assert str(FIRM) in alert.params["text"]
    status = await api.reply_to(A, "/mycases")
    assert "排队中" in status.params["text"]
    api.failures.clear()
    await api.wait_for(to(FIRM, contains=f"#{ref}"))
    await api.wait_for(to(ADMIN, contains="已恢复"))
    assert len([c for c in api.sent(ADMIN) if "无法把咨询" in c.params["text"]]) == 1, "one alert per outage"


async def test_non_member_in_the_firm_chat_is_ignored(api: FakeBotApi, firm_bot: RunningBot):
    ref, _ = await submit_enquiry(api, A, "催收冒充公安怎么办")
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    card_message = api.messages[(FIRM, card.result["message_id"])]
    mark = len(api.calls)
    api.push_callback(OUTSIDER, card_message, next(b for b in buttons(card) if b.startswith("e:x:")))
    refused = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert refused.params.get("text") == "仅限律所成员操作"
    api.push_message(
        OUTSIDER, "我是外人，别信律所", chat_id=FIRM, chat_type="supergroup", reply_to=card_message
    )
    api.push_message(LAWYER, "请保留通话录音。", chat_id=FIRM, chat_type="supergroup", reply_to=card_message)
    relayed = await api.wait_for(to(A, contains="律所回复"), after=mark)
    assert "保留通话录音" in relayed.params["text"]
    assert not [c for c in api.sent(A) if "外人" in str(c.params.get("text"))]
    mine = await api.reply_to(A, "/mycases")
    assert "已结案" not in mine.params["text"]


async def test_interrupted_send_is_not_repeated_but_flagged_for_resend(api: FakeBotApi, tmp_path: Path):
    first = make_bot(api, tmp_path, firm_chat_id=None)  # no firm chat yet: the card stays queued
    await first.start()
    ref, _ = await submit_enquiry(api, A, "征信会不会受影响")
    await first.stop()
    # Simulate a crash after the claim and before the outcome was recorded.
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    db.execute("UPDATE outbox SET state = 'sending' WHERE kind = 'card'")
    db.commit()
    db.close()

    second = make_bot(api, tmp_path)
    await second.start()
    try:
        alert = await api.wait_for(to(ADMIN, contains=f"#{ref}"))
        assert "/resend" in alert.params["text"]
        mark = len(api.calls)
        api.push_message(ADMIN, f"/resend {ref}")
        await api.wait_for(to(ADMIN, contains=texts()("resend.done", ref=ref, count=1)), after=mark)
        await api.wait_for(to(FIRM, contains=f"#{ref}"), after=mark)
        assert len([c for c in api.sent(FIRM) if f"新咨询 #{ref}" in c.params["text"]]) == 1
    finally:
        await second.stop()


async def test_rate_limit_cancel_decline_and_timeout(api: FakeBotApi, tmp_path: Path):
    running = make_bot(api, tmp_path, config=replace(FAST, intake_timeout=1.0), enquiries_per_hour=1)
    await running.start()
    try:
        consent = await api.reply_to(A, "/lawyer")
        mark = await press(api, A, A, consent.result["message_id"], "i:c:no")
        declined = await api.wait_for(to(A), after=mark)
        assert "没有发送任何内容" in declined.params["text"]

        await api.reply_to(A, "/lawyer")
        cancelled = await api.reply_to(A, "/cancel")
        assert "已取消" in cancelled.params["text"]
        nothing = await api.reply_to(A, "/cancel")
        assert "没有正在填写" in nothing.params["text"]

        await api.reply_to(A, "/lawyer")
        timed_out = await api.wait_for(to(A, contains="自动取消"), timeout=15)
        assert "/lawyer" in timed_out.params["text"]
    finally:
        await running.stop()
    # The rate limit, with the usual timeout (a 1-second form cannot be filled in at
    # Telegram's one-message-a-second pace per chat).
    running = make_bot(api, tmp_path, config=FAST, enquiries_per_hour=1)
    await running.start()
    try:
        await submit_enquiry(api, A, "第一条咨询")
        limited = await api.reply_to(A, "/lawyer")
        assert "一小时内" in limited.params["text"] and "i:c:yes" not in buttons(limited)
    finally:
        await running.stop()


async def test_groups_never_start_a_form(api: FakeBotApi, firm_bot: RunningBot):
    group = -100500
    reply = await api.reply_to(A, "/lawyer", chat_id=group, chat_type="supergroup")
    assert "私聊" in reply.params["text"] and not any(b.startswith("i:") for b in buttons(reply))
    mine = await api.reply_to(A, "/forget", chat_id=group, chat_type="supergroup")
    assert "私聊" in mine.params["text"]


async def test_forum_group_gets_one_topic_per_enquiry(api: FakeBotApi, firm_bot: RunningBot):
    api.forum_chats.add(FIRM)
    ref, _ = await submit_enquiry(api, A, "催收发短信给我通讯录")
    topic = await api.wait_for(lambda c: c.method == "createForumTopic")
    assert ref in topic.params["name"]
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    assert card.params["message_thread_id"] == topic.result["message_thread_id"]


async def test_logs_never_hold_personal_numbers(api: FakeBotApi, firm_bot: RunningBot, caplog):
    caplog.set_level(logging.INFO)
    question = f"我手机{PHONE}，身份证{ID_CARD}，卡号{BANK_CARD}，催收天天打电话"
    api.fail_next("sendMessage", 500, chat_id=FIRM)
    ref, _ = await submit_enquiry(api, A, question)
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    assert PHONE in card.params["text"], "the firm gets the text unmasked (the borrower consented)"
    mark = len(api.calls)
    api.push_message(
        LAWYER,
        f"请拨打 {PHONE} 联系我们",
        chat_id=FIRM,
        chat_type="supergroup",
        reply_to=api.messages[(FIRM, card.result["message_id"])],
    )
    await api.wait_for(to(A, contains="律所回复"), after=mark)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert f"#{ref}" in logged
    for number in (PHONE, ID_CARD, BANK_CARD):
        assert number not in logged


async def test_lawyer_button_under_an_answer_starts_the_form_and_typing_instead_moves_on(
    api: FakeBotApi, firm_bot: RunningBot
):
    answer = await api.reply_to(A, "催收说明天要上门来我家，这合法吗？")
    assert "l" in buttons(answer)
    mark = await press(api, A, A, answer.result["message_id"], "l")
    consent = await api.wait_for(to(A, contains="会发给律所的内容"), after=mark)
    assert "i:c:yes" in buttons(consent)
    # Typing a question instead of agreeing drops the form and gets a normal answer.
    reply = await api.reply_to(A, "催收说要上门合法吗")
    assert "法律依据" in reply.params["text"]
    nothing = await api.reply_to(A, "/cancel")
    assert "没有正在填写" in nothing.params["text"]
