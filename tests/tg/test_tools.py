"""End to end: live reload, inline search and /answer in groups, against the fake Bot API."""

from __future__ import annotations

import html
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.render import TELEGRAM_LIMIT, render_entry
from tests.fakebotapi import BOT_USERNAME, Call, FakeBotApi, parse_html, utf16_len
from tests.tg.conftest import RunningBot, settings_for

ADMIN = 777
USER = 4242
GROUP = -100600
QUESTION = "催收说要上门合法吗"
ENTRY = "door-visit-lawful"
OLD_TITLE = "催收可以上门吗？上门催收合法吗？"
NEW_TITLE = "【新版】催收可以上门吗？上门催收合法吗？"


def edit(kb_dir: Path, name: str, old: str, new: str) -> None:
    path = kb_dir / "entries" / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def texts(calls: list[Call]) -> str:
    return "\n".join(str(c.params.get("text", "")) for c in calls)


async def wait_count(api: FakeBotApi, chat_id: int, count: int, after: int) -> list[Call]:
    """Wait until the bot has sent `count` messages to a chat (from call index `after` on)."""
    while True:
        sent = [
            c for c in api.calls[after:] if c.method == "sendMessage" and c.params.get("chat_id") == chat_id
        ]
        if len(sent) >= count:
            return sent
        await api.wait_for(
            lambda c: c.method == "sendMessage" and c.params.get("chat_id") == chat_id,
            after=len(api.calls),
            timeout=20,
        )


@pytest.fixture
def kb_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, target)
    return target


async def start_bot(api: FakeBotApi, tmp_path: Path, kb_dir: Path, **overrides: object) -> RunningBot:
    running = RunningBot(settings_for(api, tmp_path, knowledge_dir=kb_dir, admin_ids=(ADMIN,), **overrides))
    await running.start()
    return running


@pytest.fixture
async def tools_bot(api: FakeBotApi, tmp_path: Path, kb_dir: Path) -> AsyncIterator[RunningBot]:
    running = await start_bot(api, tmp_path, kb_dir)
    yield running
    await running.stop()


# -- reload --------------------------------------------------------------------------------


async def test_reload_with_a_good_file_serves_the_new_answer(api: FakeBotApi, tools_bot, kb_dir):
    before = await api.reply_to(USER, QUESTION)
    assert before.params["text"].startswith(f"<b>{OLD_TITLE}</b>")
    edit(kb_dir, "door-visit.yaml", f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    # A changed title is a changed document: the matcher refits its classifier and calibration
    # (seconds, more on a busy machine) before it swaps.
    done = await api.reply_to(ADMIN, "/reload", timeout=120)
    assert "已重新加载" in done.params["text"]
    assert f"修改：<code>{ENTRY}</code>" in done.params["text"]
    after = await api.reply_to(USER, QUESTION)
    assert after.params["text"].startswith(f"<b>{NEW_TITLE}</b>")


async def test_reload_with_broken_files_keeps_the_old_knowledge(api: FakeBotApi, tools_bot, kb_dir):
    edit(kb_dir, "door-visit.yaml", "topic: door-visit\n", "topic: door-visitt\n")
    (kb_dir / "entries" / "zz-broken.yaml").write_text('- id: x\n  title: "未闭合\n', encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    problems = info.value.problems
    assert len(problems) >= 2
    mark = len(api.calls)
    api.push_message(ADMIN, "/reload")
    first = await api.wait_for(
        lambda c: c.method == "sendMessage" and c.params.get("chat_id") == ADMIN, after=mark
    )
    told = texts(api.sent(ADMIN)[-5:])
    assert "没有重新加载" in first.params["text"]
    for problem in problems:
        assert f"<code>{problem.path}:{problem.line}</code>" in told, str(problem)
    assert "knowledge/entries/door-visit.yaml:" in told and "did you mean 'door-visit'" in told
    assert "knowledge/entries/zz-broken.yaml:" in told
    # The old knowledge base keeps answering.
    reply = await api.reply_to(USER, QUESTION)
    assert reply.params["text"].startswith(f"<b>{OLD_TITLE}</b>")


async def test_many_problems_are_all_reported_in_parts(api: FakeBotApi, tools_bot, kb_dir):
    bad = "".join(f"- id: Bad_{i}\n  topic: nowhere\n  tittle: x\n" for i in range(30))
    (kb_dir / "entries" / "zz-many.yaml").write_text(bad, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    problems = info.value.problems
    end = problems[-1]
    last = f"{end.path}:{end.line}</code> {html.escape(end.message, quote=False)}"
    mark = len(api.calls)
    api.push_message(ADMIN, "/reload")
    await api.wait_for(lambda c: c.method == "sendMessage" and last in c.params.get("text", ""), after=mark)
    parts = [c for c in api.calls[mark:] if c.method == "sendMessage" and c.params.get("chat_id") == ADMIN]
    assert len(parts) >= 2
    assert all(utf16_len(parse_html(p.params["text"])[0]) <= TELEGRAM_LIMIT for p in parts)
    told = texts(parts)
    assert told.count("knowledge/entries/zz-many.yaml:") == len(problems) > 200
    assert "id: must be 3–48 lowercase letters" in told and "did you mean 'title'?" in told


async def test_reload_is_unknown_to_non_admins(api: FakeBotApi, tools_bot, kb_dir):
    edit(kb_dir, "door-visit.yaml", f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    reply = await api.reply_to(USER, "/reload")
    assert "怎么用" in reply.params["text"], "the unknown-command reply, nothing about reloading"
    assert "重新加载" not in reply.params["text"]
    api.push_message(USER, "/reload", chat_id=GROUP, chat_type="supergroup")
    answer = await api.reply_to(USER, QUESTION)
    assert answer.params["text"].startswith(f"<b>{OLD_TITLE}</b>")
    assert api.sent(GROUP) == []


async def test_swap_is_atomic_under_concurrent_questions(api: FakeBotApi, tools_bot, kb_dir):
    old_kb = tools_bot.kb
    edit(kb_dir, "door-visit.yaml", f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
    edit(
        kb_dir,
        "door-visit.yaml",
        "**直接回答：** 法律没有一概禁止",
        "**直接回答：** 【新版回答】法律没有一概禁止",
    )
    edit(
        kb_dir,
        "door-visit.yaml",
        "《宪法》第三十九条（住宅不受侵犯）",
        "《宪法》第三十九条（住宅不受侵犯，新版）",
    )
    new_kb = load_knowledge(kb_dir)
    old_text = render_entry(old_kb.entry(ENTRY), old_kb)
    new_text = render_entry(new_kb.entry(ENTRY), new_kb)
    assert old_text != new_text
    mark = len(api.calls)
    users = [USER + i for i in range(1, 41)]
    for i, user in enumerate(users):
        if i == 5:
            api.push_message(ADMIN, "/reload")
        api.push_message(user, QUESTION)
    replies: list[Call] = []
    for user in users:
        replies += await wait_count(api, user, 1, mark)
    assert len(replies) == len(users), "no question is lost"
    versions = []
    for reply in replies:
        text = reply.params["text"]
        assert text in (old_text, new_text), "a reply mixes the old and the new knowledge base"
        versions.append("new" if text == new_text else "old")
    done = await wait_count(api, ADMIN, 1, mark)
    assert "已重新加载" in done[0].params["text"]
    final = await api.reply_to(USER, QUESTION)
    assert final.params["text"] == new_text
    logging.getLogger(__name__).info("answers during reload: %s", versions)


async def test_watching_the_folder_reloads_and_tells_admins(api: FakeBotApi, tmp_path: Path, kb_dir):
    running = await start_bot(api, tmp_path, kb_dir, knowledge_watch_seconds=1)
    try:
        mark = len(api.calls)
        edit(kb_dir, "door-visit.yaml", f"title: {OLD_TITLE}", f"title: {NEW_TITLE}")
        (notice,) = await wait_count(api, ADMIN, 1, mark)
        assert "有变化" in notice.params["text"] and "已重新加载" in notice.params["text"]
        reply = await api.reply_to(USER, QUESTION)
        assert reply.params["text"].startswith(f"<b>{NEW_TITLE}</b>")
        mark = len(api.calls)
        edit(kb_dir, "door-visit.yaml", "topic: door-visit\n", "topic: door-visitt\n")
        (notice,) = await wait_count(api, ADMIN, 1, mark)
        assert "没有重新加载" in notice.params["text"]
        assert "knowledge/entries/door-visit.yaml:" in notice.params["text"]
        reply = await api.reply_to(USER, QUESTION)
        assert reply.params["text"].startswith(f"<b>{NEW_TITLE}</b>")
    finally:
        await running.stop()


# -- inline mode -----------------------------------------------------------------------------


async def inline(api: FakeBotApi, query: str) -> list[dict]:
    mark = len(api.calls)
    api.push_inline_query(USER, query)
    call = await api.wait_for(lambda c: c.method == "answerInlineQuery", after=mark)
    return call.params["results"]


async def test_inline_query_lists_entries_that_insert_the_full_answer(api: FakeBotApi, bot: RunningBot):
    results = await inline(api, "上门")
    assert results and results[0]["id"] == ENTRY
    first = results[0]
    assert first["type"] == "article"
    assert first["title"] == bot.kb.entry(ENTRY).title
    assert first["description"].startswith("法律没有一概禁止")
    content = first["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert content["message_text"] == render_entry(bot.kb.entry(ENTRY), bot.kb)
    assert "法律依据" in content["message_text"]
    button = first["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == f"https://t.me/{BOT_USERNAME}?start={ENTRY}"
    assert all(bot.kb.entry(r["id"]).topic == "door-visit" for r in results)


async def test_inline_query_traditional_typos_empty_and_off_topic(api: FakeBotApi, bot: RunningBot):
    assert (await inline(api, "催收員說要來我家"))[0]["id"] == ENTRY
    assert (await inline(api, "崔收说要上们"))[0]["id"] == ENTRY
    common = await inline(api, "")
    assert len(common) >= 5 and all(bot.kb.entry(r["id"]) for r in common)
    off = await inline(api, "离婚了孩子抚养权归谁")
    assert [r["id"] for r in off] == ["lawyer"]
    assert bot.kb.firm.name in off[0]["input_message_content"]["message_text"]


async def test_chosen_inline_result_is_logged_masked(api: FakeBotApi, bot: RunningBot, caplog):
    caplog.set_level(logging.INFO, logger="bot.tg.inline")
    api.push_chosen_inline_result(USER, ENTRY, "我电话13812345678 上门")
    await api.reply_to(USER, QUESTION)  # updates are handled in order: the choice is done
    logged = [r.getMessage() for r in caplog.records if r.name == "bot.tg.inline"]
    assert any(f"result={ENTRY}" in m for m in logged)
    assert not any("13812345678" in m for m in logged)


# -- groups ---------------------------------------------------------------------------------


def group_message(api: FakeBotApi, user: int, text: str, **kwargs) -> dict:
    return api.push_message(user, text, chat_id=GROUP, chat_type="supergroup", **kwargs)["message"]


def reply_target(call: Call) -> int | None:
    params = call.params.get("reply_parameters") or {}
    return params.get("message_id")


def callback_data(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_staff_answer_replies_to_the_borrowers_message(api: FakeBotApi, bot: RunningBot):
    borrower, staff = 5001, 5002
    question = group_message(api, borrower, "请问催收说明天上门来我家，这合法吗")
    reply = await api.reply_to(staff, "/answer", chat_id=GROUP, chat_type="supergroup", reply_to=question)
    assert reply_target(reply) == question["message_id"]
    assert reply.params["text"].startswith(f"<b>{OLD_TITLE}</b>")
    assert len(api.sent(GROUP)) == 1, "the borrower's own message was not addressed to the bot"
    # Extra words help a vague message; the bot's username may follow the command.
    vague = group_message(api, borrower, "我好害怕，怎么办")
    reply = await api.reply_to(
        staff, f"/answer@{BOT_USERNAME} 上门", chat_id=GROUP, chat_type="supergroup", reply_to=vague
    )
    assert reply_target(reply) == vague["message_id"]
    door_titles = [e.title for e in bot.kb.entries_in("door-visit")]
    assert any(reply.params["text"].startswith(f"<b>{t}</b>") for t in door_titles)


async def test_staff_answer_unsure_none_and_usage(api: FakeBotApi, bot: RunningBot):
    borrower, staff = 5001, 5002
    dialog = bot.app.bot_data.require_brain().dialog
    vague_texts = ["征信", "催收", "逾期了怎么办", "利息", "律师", "还不上", "家人", "起诉", "钱", "怎么办"]
    unsure = group_message(api, borrower, next(q for q in vague_texts if dialog.ask(q).kind == "clarify"))
    reply = await api.reply_to(staff, "/answer", chat_id=GROUP, chat_type="supergroup", reply_to=unsure)
    assert reply.params["text"].startswith("别着急，我想先确认一下您问的是哪一个")
    assert reply_target(reply) == unsure["message_id"]
    assert len([d for d in callback_data(reply) if d.startswith("c:")]) >= 2
    off = group_message(api, borrower, "离婚了孩子抚养权归谁")
    mark = len(api.calls)
    command = group_message(api, staff, "/answer", reply_to=off)
    reply = await api.wait_for(lambda c: c.method == "sendMessage", after=mark)
    assert "没有找到合适的回答" in reply.params["text"]
    assert reply_target(reply) == command["message_id"]
    usage = await api.reply_to(staff, "/answer", chat_id=GROUP, chat_type="supergroup")
    assert usage.params["text"].startswith("用法")


async def test_group_commands_and_mentions_still_work(api: FakeBotApi, bot: RunningBot):
    reply = await api.reply_to(USER, f"/help@{BOT_USERNAME}", chat_id=GROUP, chat_type="supergroup")
    assert "怎么用" in reply.params["text"]
    reply = await api.reply_to(USER, f"@{BOT_USERNAME} {QUESTION}", chat_id=GROUP, chat_type="supergroup")
    assert reply.params["text"].startswith(f"<b>{OLD_TITLE}</b>")
