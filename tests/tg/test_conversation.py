"""End to end: the real Application over HTTP against the local fake Bot API server."""

from __future__ import annotations

import logging

from tests.fakebotapi import BOT_ID, BOT_USERNAME, FakeBotApi
from tests.tg.conftest import RunningBot

USER = 4242
STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "su",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
}


def buttons(call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def labels(call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_start_registers_commands_and_welcomes(api: FakeBotApi, bot: RunningBot):
    commands = api.sent(method="setMyCommands")
    assert len(commands) == 2
    assert {c.params.get("language_code") for c in commands} == {None, "en"}
    assert [c["command"] for c in commands[0].params["commands"]] == [
        "start",
        "topics",
        "lawyer",
        "mycases",
        "privacy",
        "forget",
        "cancel",
        "help",
    ]
    reply = await api.reply_to(USER, "/start")
    assert "催收问答" in reply.params["text"]
    assert reply.params["parse_mode"] == "HTML"
    assert "m:0" in buttons(reply) and "l" in buttons(reply)
    assert "t:noon-deadline:0" in buttons(reply)


async def test_english_user_gets_english_welcome(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "/start", user=api.user(USER, language_code="en-GB"))
    assert "Debt-collection help" in reply.params["text"]


async def test_question_gets_answer_with_legal_basis_and_buttons(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "催收说明天要上门来我家，这合法吗？")
    text = reply.params["text"]
    assert "法律依据" in text and "12348" in text
    assert "l" in buttons(reply)
    related = [b for b in buttons(reply) if b.startswith("a:")]
    assert 1 <= len(related) <= 3
    assert bot.kb.entry(related[0][2:]) is not None


async def test_deep_link_opens_the_answer(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, "/start door-visit-lawful")
    assert reply.params["text"].startswith("<b>" + bot.kb.entry("door-visit-lawful").title)


VAGUE = ["征信", "催收", "逾期了怎么办", "利息", "律师", "还不上", "电话", "家人", "起诉", "钱", "怎么办"]


async def test_did_you_mean_and_tap(api: FakeBotApi, bot: RunningBot):
    # Which vague question is "unsure" depends on tuning; any one of them exercises the path.
    dialog = bot.app.bot_data.require_brain().dialog
    vague = next(q for q in VAGUE if dialog.ask(q).kind == "clarify")
    reply = await api.reply_to(USER, vague)
    choices = [b for b in buttons(reply) if b.startswith("c:")]
    assert reply.params["text"].startswith("别着急，我想先确认一下您问的是哪一个"), reply.params["text"][:60]
    assert 2 <= len(choices) <= 3
    message = api.messages[(USER, reply.result["message_id"])]
    mark = len(api.calls)
    api.push_callback(USER, message, choices[0])
    answer = await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
    entry = bot.kb.entry(choices[0][2:])
    assert answer.params["text"].startswith(f"<b>{entry.title}")
    assert any(c.method == "answerCallbackQuery" for c in api.calls[mark:])


async def test_topics_paging_edits_the_menu(api: FakeBotApi, bot: RunningBot):
    menu = await api.reply_to(USER, "/topics")
    assert "m:1" in buttons(menu)
    message = api.messages[(USER, menu.result["message_id"])]
    mark = len(api.calls)
    api.push_callback(USER, message, "m:1")
    edited = await api.wait_for(lambda c: c.method == "editMessageText", after=mark)
    assert "第 2/" in edited.params["text"]
    assert "m:0" in buttons(edited)
    # Open a topic from the menu and then an entry from the topic.
    topic_action = next(b for b in buttons(edited) if b.startswith("t:"))
    mark = len(api.calls)
    api.push_callback(USER, api.messages[(USER, menu.result["message_id"])], topic_action)
    topic = await api.wait_for(lambda c: c.method == "editMessageText", after=mark)
    entry_action = next(b for b in buttons(topic) if b.startswith("a:"))
    mark = len(api.calls)
    api.push_callback(USER, api.messages[(USER, menu.result["message_id"])], entry_action)
    answer = await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
    assert "法律依据" in answer.params["text"] or bot.kb.entry(entry_action[2:]).legal_basis == ()


async def test_sticker_photo_voice_and_location_get_a_friendly_reply(api: FakeBotApi, bot: RunningBot):
    contents = [
        STICKER,
        {"photo": [{"file_id": "p", "file_unique_id": "pu", "width": 1, "height": 1}]},
        {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}},
        {"location": {"latitude": 30.0, "longitude": 120.0}},
    ]
    for extra in contents:
        mark = len(api.calls)
        api.push_message(USER, None, extra=extra)
        reply = await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
        assert "文字" in reply.params["text"]


async def test_four_thousand_character_rant_and_emoji_only(api: FakeBotApi, bot: RunningBot):
    rant = ("我欠了信用卡三万多，催收天天打电话骂我，还说要上门找我爸妈，我真的快崩溃了" * 60)[:4000]
    reply = await api.reply_to(USER, rant)
    assert len(reply.params["text"]) <= 4096
    reply = await api.reply_to(USER, "😭😭😭🙏")
    assert reply.params["text"]
    reply = await api.reply_to(USER, "催收说要上门合法吗")
    assert "法律依据" in reply.params["text"]


async def test_forged_callback_is_refused_and_bot_keeps_serving(api: FakeBotApi, bot: RunningBot):
    menu = await api.reply_to(USER, "/topics")
    message = api.messages[(USER, menu.result["message_id"])]
    for forged in ["a:../../etc/passwd", "t:nope:0", "x" * 70, "c:no-such-entry", ""]:
        mark = len(api.calls)
        api.push_callback(USER, message, forged)
        answered = await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)
        assert answered.params.get("text") == "按钮已失效"
    reply = await api.reply_to(USER, "催收说要上门合法吗")
    assert "法律依据" in reply.params["text"]


async def test_error_inside_a_handler_is_logged_and_bot_keeps_answering(
    api: FakeBotApi, bot: RunningBot, caplog
):
    caplog.set_level(logging.ERROR)
    api.fail_next("sendMessage", 400, "Bad Request: can't parse entities", chat_id=USER)
    mark = len(api.calls)
    api.push_message(USER, "催收说要上门合法吗")
    await api.wait_for(lambda c: c.method == "FAILED:sendMessage", after=mark)
    apology = await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
    assert "出了点问题" in apology.params["text"]
    assert any("error while handling an update" in r.getMessage() for r in caplog.records)
    reply = await api.reply_to(USER, "催收说要上门合法吗")
    assert "法律依据" in reply.params["text"]


async def test_group_chat_answers_only_when_addressed(api: FakeBotApi, bot: RunningBot):
    group = -100500
    api.push_message(USER, "催收说要上门合法吗", chat_id=group, chat_type="supergroup")
    api.push_message(
        USER,
        None,
        chat_id=group,
        chat_type="supergroup",
        extra=STICKER,
    )
    reply = await api.reply_to(
        USER, f"@{BOT_USERNAME} 催收说要上门合法吗", chat_id=group, chat_type="supergroup"
    )
    assert "法律依据" in reply.params["text"]
    assert len(api.sent(group)[0:]) == 1, "only the addressed message gets a reply"
    bot_message = {
        "message_id": reply.result["message_id"],
        "date": 0,
        "chat": {"id": group, "type": "supergroup"},
        "from": {"id": BOT_ID, "is_bot": True, "first_name": "bot"},
        "text": "x",
    }
    reply2 = await api.reply_to(
        USER, "那在单位呢 催收来单位找领导合法吗", chat_id=group, chat_type="supergroup", reply_to=bot_message
    )
    assert reply2.params["text"]
