"""The command line: every command has help; check, match, ask and chat work end to end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from bot.cli import build_parser, main
from tests.conftest import FIXTURES
from tests.fakebotapi import FakeBotApi

COMMANDS = ["run", "webhook", "chat", "ask", "match", "check", "eval", "gaps", "migrate"]


def run_cli(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        encoding="utf-8",
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0
    assert "--knowledge" in capsys.readouterr().out


def test_check_passes_on_the_bundled_knowledge():
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("OK: 24 topics")


def test_check_fails_with_all_errors_listed():
    result = run_cli("check", "--knowledge", str(FIXTURES / "kb_bad"))
    assert result.returncode == 1
    assert (
        "kb_bad/entries/visits.yaml:4: entry 'door-visit-basics': questions: needs at least 6"
        in result.stderr
    )
    assert "kb_bad/entries/broken.yaml:3:" in result.stderr


def test_match_follows_the_batch_contract():
    questions = ["催收说要上门合法吗", "离婚孩子归谁", "", "征信", "😭" * 10] * 200
    result = run_cli("match", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(questions)
    for q, row in zip(questions, rows, strict=True):
        assert set(row) == {
            "q",
            "decision",
            "entry",
            "topic",
            "score",
            "confidence",
            "candidates",
            "options",
            "smalltalk",
            "concerns",
            "facts",
        }
        assert row["q"] == q
        assert row["decision"] in ("answer", "clarify", "none")
        assert isinstance(row["score"], float) and 0.0 <= row["confidence"] <= 1.0
        # Small talk (empty, emoji) is never matched: no candidates at all.
        assert len(row["candidates"]) == (0 if row["smalltalk"] else 3)
        assert all(set(c) == {"entry", "topic", "score"} for c in row["candidates"])
        assert set(row["facts"]) == {"lender", "lender_type", "amount", "when", "who", "where"}
        scores = [c["score"] for c in row["candidates"]]
        assert scores == sorted(scores, reverse=True)
        if row["decision"] == "answer":
            assert row["entry"] == row["candidates"][0]["entry"] and row["topic"]
        else:
            assert row["entry"] is None and row["topic"] is None
    assert rows[0]["decision"] == "answer" and rows[0]["topic"] == "door-visit"
    assert rows[1]["decision"] == "none"
    assert rows[2]["smalltalk"] == rows[4]["smalltalk"] == "noise"


def test_ask_prints_one_answer(capsys):
    assert main(["ask", "催收说要上门合法吗"]) == 0
    out = capsys.readouterr().out
    assert "法律依据" in out and "<b>" not in out


def test_console_chat_answers_choices_and_commands():
    script = "\n".join(["催收说要上门合法吗", "/topics", "2", "1", "征信", "1", "/quit"]) + "\n"
    result = run_cli("chat", stdin=script)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("法律依据") >= 2
    assert "全部主题" in out and "[1]" in out


def test_console_chat_is_the_same_conversation(tmp_path):
    """The intake with a file as the firm, /mycases, deep links, commands, buttons after a vote."""
    firm = tmp_path / "firm.jsonl"
    script = [
        "离婚后孩子的抚养权归谁",  # not answered: the lawyer button carries these words
        "1",  # 问律师
        "1",  # 同意，继续
        "1",  # 1/5 银行信用卡/贷款
        "5",  # 2/5 跳过
        "3",  # 3/5 说要上门
        "7",  # 选好了
        "3万",  # 4/5 the amount
        "1",  # 5/5 就用这句
        "1",  # 确认发送
        "/mycases",
        "/start door-visit-lawful",
        "4",  # 👍
        "/nonsense",
        "/quit",
    ]
    result = run_cli("chat", "--firm-file", str(firm), stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for number in range(1, 6):
        assert f"{number}/5 " in out
    [record] = [json.loads(line) for line in firm.read_text(encoding="utf-8").splitlines()]
    assert record["question"] == "离婚后孩子的抚养权归谁"
    assert record["lender"] == "银行信用卡/贷款" and record["overdue"] == "" and record["events"] == ["说要上门"]
    assert record["amount"] == "3万"
    assert f"我的咨询\n#{record['ref']} · " in out  # /mycases
    answer = out[out.index("催收可以上门吗？上门催收合法吗？") :]
    after_vote = answer[answer.index("谢谢您的反馈！") :]
    assert "[1] 到家门口不走" in after_vote and "✅ 谢谢反馈" in after_vote and "问律师" in after_vote
    assert "怎么用" in after_vote  # an unknown command gets the help, not an answer


def test_run_without_token_explains_what_to_do():
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": ""}
    result = run_cli("run", env=env)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "python -m bot chat" in result.stderr


def test_run_refuses_an_invalid_knowledge_base():
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "123:abc"}
    result = run_cli("run", "--knowledge", str(FIXTURES / "kb_bad"), env=env)
    assert result.returncode == 1
    assert "is invalid" in result.stderr and "visits.yaml:4" in result.stderr


@contextlib.asynccontextmanager
async def bot_process(command: str, tmp_path, **env_extra: str):
    """`python -m bot <command>` in a subprocess, pointed at a fresh local fake Bot API server."""
    api = FakeBotApi()
    await api.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))},
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
        "DATABASE_PATH": str(tmp_path / "bot.sqlite3"),
        **env_extra,
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        yield api, child
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        await api.stop()


async def wait_for_call(api: FakeBotApi, child, method: str) -> None:
    deadline = time.monotonic() + 30
    while not any(c.method == method for c in api.calls):
        assert child.returncode is None, f"the bot exited before {method}"
        assert time.monotonic() < deadline, f"{method} never reached the local Bot API server"
        await asyncio.sleep(0.05)


async def stop_cleanly(child) -> None:
    child.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(child.communicate(), timeout=20)
    assert child.returncode == 0, stderr.decode("utf-8", "replace")[-2000:]


async def test_run_polls_the_configured_server_and_exits_cleanly_on_sigterm(tmp_path):
    async with bot_process("run", tmp_path) as (api, child):
        await wait_for_call(api, child, "setMyCommands")
        reply = await api.reply_to(4242, "催收说要上门合法吗", timeout=15)
        assert "法律依据" in reply.params["text"]
        await stop_cleanly(child)


async def test_webhook_checks_the_secret_on_every_request(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram"
    async with bot_process(
        "webhook",
        tmp_path,
        WEBHOOK_URL=f"http://127.0.0.1:{port}",
        WEBHOOK_SECRET="s3cret-token",
        WEBHOOK_LISTEN="127.0.0.1",
        PORT=str(port),
    ) as (api, child):
        update = api.push_message(4242, "催收说要上门合法吗")
        api.updates.clear()  # delivered by webhook below, not by getUpdates
        await wait_for_call(api, child, "setWebhook")
        hook = next(c for c in api.calls if c.method == "setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret-token"
        async with aiohttp.ClientSession() as session:
            for _ in range(100):  # the server starts listening just after setWebhook
                try:
                    async with session.post(
                        url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
                    ) as r:
                        assert r.status == 403
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            async with session.post(url, json=update) as r:
                assert r.status == 403
            assert not api.sent(4242), "requests without the secret must not reach the bot"
            mark = len(api.calls)
            async with session.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            ) as r:
                assert r.status == 200
        reply = await api.wait_for(lambda c: c.method == "sendMessage", after=mark, timeout=15)
        assert "法律依据" in reply.params["text"]
        await stop_cleanly(child)
