"""End to end over the fake Bot API: what replies look like on a phone (issue: replies that fit a phone).

The answer's first message (expandable quote, first screen ≤ 450 characters), short button
labels, one lawyer label, small talk without the footer, the English lead, the intake's
numbering and summary, the no-answer reply carrying the question to the lawyer.
"""

from __future__ import annotations

import html
import re

import pytest

from tests.fakebotapi import Call, FakeBotApi
from tests.tg.conftest import RunningBot

USER = 6161
LAWYER_LABELS = ("问律师", "Ask a lawyer")


def rows(call: Call) -> list[list[dict[str, str]]]:
    markup = call.params.get("reply_markup") or {}
    return markup.get("inline_keyboard", [])


def labels(call: Call) -> list[str]:
    return [b["text"] for row in rows(call) for b in row]


def actions(call: Call) -> list[str]:
    return [b.get("callback_data", "") for row in rows(call) for b in row]


def visible(markup: str) -> str:
    """What Telegram shows of Telegram HTML: tags removed, entities decoded."""
    return html.unescape(re.sub(r"<[^<>]*>", "", markup))


async def press(api: FakeBotApi, call: Call, data: str, user: int = USER) -> int:
    mark = len(api.calls)
    assert data in actions(call), (data, actions(call))
    api.push_callback(user, api.messages[(call.params["chat_id"], call.result["message_id"])], data)
    return mark


def to(chat_id: int, method: str = "sendMessage"):
    return lambda c: c.method == method and c.params.get("chat_id") == chat_id


async def test_answer_fits_one_screen_with_the_rest_folded(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "催收说明天要上门来我家，这合法吗？")
    text = reply.params["text"]
    assert text.count("<blockquote expandable>") == 1 and text.count("</blockquote>") == 1
    shown, folded = text.split("<blockquote expandable>")
    assert len(visible(shown)) <= 450
    assert "1. " in shown and "法律依据" not in shown
    assert "法律依据" in folded and "注意保留" in folded
    # One footer line after the quote: the disclaimer and 12348; the firm is not in the answer.
    footer = text.rsplit("\n", 1)[-1]
    assert bot.kb.firm.disclaimer in footer and "12348" in footer
    assert bot.kb.firm.name not in text
    # Buttons: ≤ 3 related questions, the vote row, then 问律师 | 全部主题.
    keyboard = rows(reply)
    assert 1 <= len(keyboard) - 2 <= 3 and all(len(row) == 1 for row in keyboard[:-2])
    assert [b["callback_data"][:4] for b in keyboard[-2]] == ["v:+:", "v:-:"]
    assert [(b["text"], b["callback_data"]) for b in keyboard[-1]] == [("问律师", "l"), ("全部主题", "m:0")]
    assert all(len(label) <= 14 for label in labels(reply))


async def test_one_lawyer_label_everywhere(api: FakeBotApi, bot: RunningBot):
    answer = await api.reply_to(USER, "催收说明天要上门来我家，这合法吗？")
    mark = await press(api, answer, next(a for a in actions(answer) if a.startswith("v:-:")))
    edited = await api.wait_for(to(USER, "editMessageReplyMarkup"), after=mark)
    after_vote = [b["text"] for row in edited.params["reply_markup"]["inline_keyboard"] for b in row]
    unsure = await api.reply_to(USER, "征信")
    nothing = await api.reply_to(USER, "离婚后孩子的抚养权归谁")
    welcome = await api.reply_to(USER, "/start")
    for call_labels in (labels(answer), after_vote, labels(unsure), labels(nothing), labels(welcome)):
        lawyer = [label for label in call_labels if "律师" in label or "lawyer" in label.lower()]
        assert lawyer == ["问律师"], call_labels


@pytest.mark.parametrize(
    ("text", "needle"),
    [("你好", "直接打字问我"), ("谢谢", "不客气"), ("好的", "好的"), ("哈哈哈", "😊"), ("👍", "请用文字")],
)
async def test_small_talk_is_short_and_has_no_footer(api: FakeBotApi, bot: RunningBot, text: str, needle: str):
    reply = await api.reply_to(USER, text)
    body = reply.params["text"]
    assert needle in body
    assert bot.kb.firm.disclaimer not in body and "抱歉" not in body and "<blockquote" not in body
    assert len(visible(body)) < 120


async def test_a_greeting_offers_three_topics(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "你好")
    assert [a for a in actions(reply) if a.startswith("t:")] == [
        "t:noon-deadline:0",
        "t:door-visit:0",
        "t:contacts-harassment:0",
    ]


async def test_did_you_mean_is_calm_and_lists_the_options(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "征信")
    text = reply.params["text"]
    assert text.startswith("别着急")
    chosen = [a[2:] for a in actions(reply) if a.startswith("c:")]
    assert len(chosen) >= 2
    for number, entry_id in enumerate(chosen, 1):
        assert f"{number}. {html.escape(bot.kb.entry(entry_id).title, quote=False)}" in text


async def test_english_language_gets_an_english_lead_and_english_buttons(api: FakeBotApi, bot: RunningBot):
    english = api.user(USER, language_code="en-US")
    reply = await api.reply_to(USER, "催收说明天要上门来我家，这合法吗？", user=english)
    first = reply.params["text"].split("\n", 1)[0]
    assert first.startswith("<i>") and "The answer is in Chinese" in first and "Ask a lawyer" in first
    assert "Ask a lawyer" in labels(reply) and "All topics" in labels(reply)
    # A question written in English gets the lead too, whatever the Telegram language.
    reply = await api.reply_to(USER + 1, "The collector swore at me and threatened to hurt me. Can I report him?")
    assert "The answer is in Chinese" in reply.params["text"].split("\n", 1)[0]


async def test_intake_numbered_truthfully_and_the_unanswered_question_carried(api: FakeBotApi, bot: RunningBot):
    nothing = await api.reply_to(USER, "离婚后孩子的抚养权归谁")
    assert "l:q" in actions(nothing)
    mark = await press(api, nothing, "l:q")
    consent = await api.wait_for(to(USER), after=mark)
    assert "会发给律所的内容" in consent.params["text"]
    assert "电话" not in consent.params["text"] and "办公时间" not in consent.params["text"]
    steps = []
    current = consent
    for data in ("i:c:yes", "i:l:skip", "i:o:skip", "i:e:done", "i:a:skip"):
        mark = await press(api, current, data)
        current = await api.wait_for(to(USER, "editMessageText"), after=mark)
        current.result.setdefault("message_id", current.params["message_id"])
        steps.append(visible(current.params["text"]).split(" ", 1)[0])
    assert steps == ["1/5", "2/5", "3/5", "4/5", "5/5"]
    assert "离婚后孩子的抚养权归谁" in current.params["text"]
    mark = await press(api, current, "i:q:keep")
    summary = await api.wait_for(to(USER, "editMessageText"), after=mark)
    lines = visible(summary.params["text"]).split("\n")
    assert lines == ["请确认要发给律所的内容", "", "问题：", "离婚后孩子的抚养权归谁"]
