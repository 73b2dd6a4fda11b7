"""End to end: the lawyer thread never drops a borrower's message that was not sent as a reply."""

from __future__ import annotations

import re

import pytest

from tests.fakebotapi import FakeBotApi
from tests.tg.conftest import RunningBot
from tests.tg.test_handoff import FIRM, LAWYER, buttons, submit_enquiry, to
from tests.tg.test_handoff import firm_bot as firm_bot  # fixture

A = 7171
B = 7272


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as in test_handoff: PTB 22 warns otherwise


async def lawyer_answers(api: FakeBotApi, borrower: int, ref: str) -> None:
    """The lawyer replies to the enquiry's card; the borrower receives it."""
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    mark = len(api.calls)
    api.push_message(
        LAWYER,
        "明天上午方便电话沟通吗？",
        chat_id=FIRM,
        chat_type="supergroup",
        reply_to=api.messages[(FIRM, card.result["message_id"])],
    )
    await api.wait_for(to(borrower, contains="律所回复"), after=mark)


async def press(api: FakeBotApi, user: int, call, data: str) -> int:
    mark = len(api.calls)
    assert data in buttons(call), (data, buttons(call))
    api.push_callback(user, api.messages[(user, call.result["message_id"])], data)
    return mark


async def test_a_plain_message_after_the_lawyers_answer_is_offered_and_delivered(
    api: FakeBotApi, firm_bot: RunningBot
):
    ref, _ = await submit_enquiry(api, A, "催收说要去我老家，我该怎么办？")
    await lawyer_answers(api, A, ref)
    enquiry_id = firm_bot.app.bot_data.require_handoff().db().enquiry_by_ref(ref).id

    # Typed, not a Telegram reply: the bot asks before answering it as a question.
    offer = await api.reply_to(A, "好的，明天上午可以")
    assert offer.params["text"] == f"发给律师（咨询 #{ref}）吗？"
    assert buttons(offer) == [f"h:s:{enquiry_id}", "h:n"]
    assert offer.params["reply_parameters"]["message_id"] == offer.result["reply_to_message"]["message_id"]
    assert "法律依据" not in offer.params["text"]

    mark = await press(api, A, offer, f"h:s:{enquiry_id}")
    followup = await api.wait_for(to(FIRM, contains="用户补充"), after=mark)
    assert "好的，明天上午可以" in followup.params["text"] and f"#{ref}" in followup.params["text"]
    done = await api.wait_for(to(A, "editMessageText"), after=mark)
    assert f"已转给律所（咨询 #{ref}）" in done.params["text"]

    # "这是新问题" answers it the usual way instead (small talk here: no footer).
    offer = await api.reply_to(A, "谢谢")
    assert "h:n" in buttons(offer)
    mark = await press(api, A, offer, "h:n")
    answer = await api.wait_for(
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == A, after=mark
    )
    assert "不客气" in answer.params["text"]
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == FIRM and "谢谢" in str(c.params)]

    # A clear new question is answered outright, without asking.
    answer = await api.reply_to(A, "催收天天打电话骂我，还威胁要弄死我，这种情况能报警吗")
    assert "<blockquote expandable>" in answer.params["text"] and "h:n" not in buttons(answer)

    # A photo without a caption is offered too, and goes to the firm as a photo.
    mark = len(api.calls)
    photo = {"photo": [{"file_id": "receipt-photo", "file_unique_id": "rp", "width": 9, "height": 9}]}
    api.push_message(A, None, extra=photo)
    offer = await api.wait_for(to(A), after=mark)
    assert offer.params["text"] == f"发给律师（咨询 #{ref}）吗？"
    mark = await press(api, A, offer, f"h:s:{enquiry_id}")
    sent = await api.wait_for(to(FIRM, "sendPhoto"), after=mark)
    assert sent.params["photo"] == "receipt-photo" and f"#{ref}" in sent.params["caption"]


async def test_several_open_enquiries_are_a_choice_newest_first(api: FakeBotApi, firm_bot: RunningBot):
    older, _ = await submit_enquiry(api, B, "网贷催收天天打我单位电话")
    newer, _ = await submit_enquiry(api, B, "信用卡要求一次性还清怎么办")
    offer = await api.reply_to(B, "好的")
    assert offer.params["text"].startswith("发给律师吗？您有 2 个进行中的咨询")
    labels = [b["text"] for row in offer.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [f"发给律师 #{newer}", f"发给律师 #{older}", "这是新问题"]
    # Someone else's enquiry id in a forged button is refused.
    store = firm_bot.app.bot_data.require_handoff().db()
    mark = len(api.calls)
    api.push_callback(A, api.messages[(B, offer.result["message_id"])], buttons(offer)[0])
    refused = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
    assert refused.params.get("text")
    assert not [c for c in api.calls[mark:] if c.params.get("chat_id") == FIRM]
    mark = await press(api, B, offer, buttons(offer)[1])
    followup = await api.wait_for(to(FIRM, contains="用户补充"), after=mark)
    assert f"#{older}" in followup.params["text"]
    assert store.enquiry_by_ref(newer) is not None


async def test_without_an_open_enquiry_nothing_is_offered(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(A, "好的，明天上午可以")
    assert not any(re.match(r"^h:", b) for b in buttons(reply))
