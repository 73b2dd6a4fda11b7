"""End to end: 👍/👎 under answers, the question log, /stats, /gaps and the gaps CLI."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cli import main as cli_main
from tests.fakebotapi import Call, FakeBotApi
from tests.tg.conftest import RunningBot, settings_for, texts

ADMIN = 9001
# Long ids, so that finding one inside a 32-digit hash by chance is out of the question.
A, B, C = 987654321, 876543219, 765432198
ANSWERED = "催收说要上门合法吗"
ENTRY = "door-visit-lawful"
PHONE, ID_CARD, BANK_CARD = "13812345678", "110101199003071234", "6222021234567890123"
NUMBERS = f" {PHONE} {ID_CARD} {BANK_CARD}"
MASKED = " [手机***5678] [身份证***1234] [卡号***0123]"
# Off-topic questions; which one ends in "none" depends on the matcher's tuning.
OFF_TOPIC = ["明天天气怎么样", "附近哪家火锅好吃", "我的狗丢了怎么办", "股票怎么买"]
VAGUE = ["征信", "催收", "逾期了怎么办", "利息", "律师", "还不上", "电话", "家人", "起诉", "钱", "怎么办"]
LEARN_TABLES = ("question_log", "answer_feedback", "answer_counts", "learn_meta")


def buttons(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


def to(chat_id: int, method: str = "sendMessage", contains: str = ""):
    def predicate(c: Call) -> bool:
        return (
            c.method == method
            and c.params.get("chat_id") == chat_id
            and contains in str(c.params.get("text", ""))
        )

    return predicate


async def press(api: FakeBotApi, user: int, chat_id: int, message_id: int, data: str) -> int:
    mark = len(api.calls)
    api.push_callback(user, api.messages[(chat_id, message_id)], data)
    return mark


async def callback_answer(api: FakeBotApi, mark: int) -> Call:
    return await api.wait_for(lambda c: c.method == "answerCallbackQuery", after=mark)


async def nothing_sent_to(api: FakeBotApi, user: int, command: str) -> None:
    """Send `command`, then a question; updates run in order, so if the first reply is the
    answer, the command got no reply at all."""
    mark = len(api.calls)
    api.push_message(user, command)
    reply = await api.reply_to(user, ANSWERED)
    assert reply.params["text"].startswith("<b>催收可以上门吗"), reply.params["text"][:40]
    to_user = [c for c in api.calls[mark:] if c.params.get("chat_id") == user and c.method.startswith("send")]
    assert to_user == [reply], [c.params.get("text", "")[:30] for c in to_user]


def make_bot(api: FakeBotApi, tmp_path: Path) -> RunningBot:
    return RunningBot(settings_for(api, tmp_path, admin_ids=(ADMIN,)))


@pytest.fixture
async def learn_bot(api: FakeBotApi, tmp_path: Path) -> AsyncIterator[RunningBot]:
    running = make_bot(api, tmp_path)
    await running.start()
    yield running
    await running.stop()


def kind_of(bot: RunningBot, question: str) -> str:
    return bot.app.bot_data.require_brain().dialog.ask(question).kind


async def choose(api: FakeBotApi, bot: RunningBot, user: int) -> tuple[str, str]:
    """Ask a vague question and pick the first "did you mean" option: (question, entry)."""
    vague = next(q for q in VAGUE if kind_of(bot, q) == "clarify")
    reply = await api.reply_to(user, vague)
    choice = next(b for b in buttons(reply) if b.startswith("c:"))
    mark = await press(api, user, user, reply.result["message_id"], choice)
    await api.wait_for(to(user, contains="<b>"), after=mark)
    return vague, choice[2:]


# -- 👍 / 👎 ----------------------------------------------------------------------------------


async def test_feedback_round_trip_then_stats_for_admins_only(api: FakeBotApi, learn_bot: RunningBot):
    answer = await api.reply_to(A, ANSWERED)
    before = buttons(answer)
    assert f"v:+:{ENTRY}" in before and f"v:-:{ENTRY}" in before
    mid = answer.result["message_id"]

    mark = await press(api, A, A, mid, f"v:-:{ENTRY}")
    assert "谢谢" in (await callback_answer(api, mark)).params["text"]
    edited = await api.wait_for(to(A, "editMessageReplyMarkup"), after=mark)
    after = buttons(edited)
    assert not any(b.startswith(("v:+", "v:-")) for b in after)
    # The lawyer stays one tap away, under the one lawyer label (no second lawyer button).
    assert "v:ok" in after and after.count("l") == 1, after
    assert [b for b in after if b.startswith("a:")] == [b for b in before if b.startswith("a:")]
    assert "m:0" in after, "the other buttons keep working"

    # One tap: the buttons are gone, so a replay of the old data is refused.
    mark = await press(api, A, A, mid, f"v:-:{ENTRY}")
    assert (await callback_answer(api, mark)).params["text"] == "按钮已失效"

    # The lawyer button of the thank-you row starts the hand-off.
    mark = await press(api, A, A, mid, "l")
    consent = await api.wait_for(to(A), after=mark)
    assert "律所" in consent.params["text"]
    await api.reply_to(A, "/cancel")

    other = await api.reply_to(B, ANSWERED)
    mark = await press(api, B, B, other.result["message_id"], f"v:+:{ENTRY}")
    up = await api.wait_for(to(B, "editMessageReplyMarkup"), after=mark)
    assert "v:ok" in buttons(up) and "l" in buttons(up)
    mark = await press(api, B, B, other.result["message_id"], "v:ok")
    assert (await callback_answer(api, mark)).params["text"] == "谢谢反馈！"

    stats = await api.reply_to(ADMIN, "/stats")
    text = stats.params["text"]
    assert "提问 2：回答 2（100%）" in text
    assert f"2 × 催收可以上门吗？上门催收合法吗？（{ENTRY}）" in text
    assert f"👍 1 👎 1  催收可以上门吗？上门催收合法吗？（{ENTRY}）" in text
    await nothing_sent_to(api, A, "/stats")


async def test_forged_feedback_is_refused_and_not_recorded(
    api: FakeBotApi, learn_bot: RunningBot, tmp_path: Path
):
    answer = await api.reply_to(A, ANSWERED)
    menu = await api.reply_to(A, "/topics")
    forged = [
        (answer, "v:+:credit-report-how-long"),  # well-formed, but not on this message
        (answer, "v:+:no-such-entry"),
        (answer, "v:*:door-visit-lawful"),
        (answer, "v:+:" + "x" * 70),
        (menu, f"v:+:{ENTRY}"),  # a real entry, on a message that never offered it
    ]
    for message, data in forged:
        mark = await press(api, A, A, message.result["message_id"], data)
        assert (await callback_answer(api, mark)).params["text"] == "按钮已失效", data
    assert not [c for c in api.calls if c.method == "editMessageReplyMarkup"]
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM answer_feedback").fetchone()[0] == 0
    db.close()


# -- the question log ---------------------------------------------------------------------------


async def test_log_is_masked_has_no_user_ids_and_forget_removes_it(api: FakeBotApi, tmp_path: Path):
    first = make_bot(api, tmp_path)
    await first.start()
    try:
        off_topic = next(q for q in OFF_TOPIC if kind_of(first, q + NUMBERS) == "none")
        await api.reply_to(A, off_topic + NUMBERS)
        vague, chosen = await choose(api, first, A)
        answer = await api.reply_to(A, ANSWERED)
        mark = await press(api, A, A, answer.result["message_id"], f"v:+:{ENTRY}")
        await api.wait_for(to(A, "editMessageReplyMarkup"), after=mark)
        await api.reply_to(B, "股票怎么买")
    finally:
        await first.stop()

    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    rows = db.execute("SELECT decision, question, chosen, chat_type FROM question_log ORDER BY id").fetchall()
    assert [r[0] for r in rows] == ["none", "clarify", "none"]
    assert rows[0][1] == off_topic + MASKED
    assert rows[1][1:] == (vague, chosen, "private")
    dump = "\n".join(
        str(value) for table in LEARN_TABLES for row in db.execute(f"SELECT * FROM {table}") for value in row
    )
    for secret in (PHONE, ID_CARD, BANK_CARD, str(A), str(B)):
        assert secret not in dump, secret
    for table in LEARN_TABLES:
        columns = {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
        assert not columns & {"user_id", "chat_id", "message_id"}, table
    counts = db.execute("SELECT decision, entry, count FROM answer_counts ORDER BY decision").fetchall()
    assert counts == [("answer", ENTRY, 1), ("choice", chosen, 1), ("clarify", "", 1), ("none", "", 2)]
    db.close()

    # After a restart the same (stored) salt finds A's rows; B's stay.
    second = make_bot(api, tmp_path)
    await second.start()
    try:
        ask = await api.reply_to(A, "/forget")
        mark = await press(api, A, A, ask.result["message_id"], "g:yes")
        done = await api.wait_for(to(A, "editMessageText"), after=mark)
        assert "未能回答的提问记录：2 条" in done.params["text"]
        assert "👍/👎 反馈：1 条" in done.params["text"]
    finally:
        await second.stop()
    db = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert db.execute("SELECT question FROM question_log").fetchall() == [("股票怎么买",)]
    assert db.execute("SELECT COUNT(*) FROM answer_feedback").fetchone()[0] == 0
    db.close()


# -- /gaps and the CLI ----------------------------------------------------------------------------


async def test_gaps_for_admins_then_the_cli_on_the_same_database(
    api: FakeBotApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    running = make_bot(api, tmp_path)
    await running.start()
    try:
        for user, question in [
            (A, "我的狗丢了怎么办"),
            (B, "狗狗走丢了怎么找"),
            (C, "我的狗丢了怎么办"),
            (A, "股票怎么买"),
        ]:
            assert kind_of(running, question) == "none", question
            await api.reply_to(user, question)
        vague, chosen = await choose(api, running, B)
        await nothing_sent_to(api, A, "/gaps")

        mark = len(api.calls)
        report = await api.reply_to(ADMIN, "/gaps")
        text = report.params["text"]
        t = texts()
        # Each item up to its closest entry (the item's last line, left empty here).
        more = t.plain("gaps.others", count=1)
        first = t("gaps.item", n=1, size=3, users=3, question="我的狗丢了怎么办", others=more, closest="")
        second = t("gaps.item", n=2, size=1, users=1, question="股票怎么买", others="", closest="")
        assert first in text and second in text
        assert t.template("gaps.closest").split("{")[0] in text
        assert t("gaps.suggestion", entry=chosen, phrasings=vague) in text
        document = await api.wait_for(to(ADMIN, "sendDocument"), after=mark)
        upload = document.params["document"]
        assert upload["filename"] == "gaps.csv"
        table = list(csv.DictReader(io.StringIO(upload["content"].decode("utf-8"))))
        assert {(r["kind"], r["group"], r["question"]) for r in table} >= {
            ("gap", "1", "我的狗丢了怎么办"),
            ("gap", "1", "狗狗走丢了怎么找"),
            ("suggestion", chosen, vague),
        }
        groups = {r["group"] for r in table if r["kind"] == "gap"}
        assert t("gaps.title", total=5, groups=len(groups)) in text
    finally:
        await running.stop()

    database = tmp_path / "bot.sqlite3"
    out_csv, out_yaml = tmp_path / "gaps.csv", tmp_path / "gaps.yaml"
    code = cli_main(["gaps", "--database", str(database), "--csv", str(out_csv), "--yaml", str(out_yaml)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "5 logged questions: 2 unanswered groups, 1 entries with suggested phrasings" in printed
    assert "1. ×3 (3 users) 我的狗丢了怎么办" in printed
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [r["question"] for r in rows if r["group"] == "1"] == ["我的狗丢了怎么办", "狗狗走丢了怎么找"]
    snippet = out_yaml.read_text(encoding="utf-8")
    assert f"# Suggested for entry '{chosen}'" in snippet and f"    - {vague}\n" in snippet
    assert "# Gap 1: asked 3 times by 3 users; closest entry" in snippet
    assert cli_main(["gaps", "--database", str(tmp_path / "missing.sqlite3")]) == 2
