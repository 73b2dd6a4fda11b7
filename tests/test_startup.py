"""`python -m bot run/webhook` as an operator starts it: every known fault is one line, exit 1.

Each test runs the real command in a subprocess against the local fake Bot API server (or
against a closed port), and reads what it printed: the one line, no traceback, no token.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import FIXTURES
from tests.fakebotapi import FakeBotApi
from tests.storage.test_sqlite_open import damaged_sqlite
from tests.test_cli import bot_process, wait_for_call

WRONG_TOKEN = "999999:AAH-wrongWRONGwrong_k9ut"
# These tests are about start-up and logs, not matching: the lexical matcher starts at once.
LEXICAL = {"SEMANTIC_MODEL": "off"}


async def finish(child: asyncio.subprocess.Process, timeout: float = 60) -> tuple[int, str]:
    _, err = await asyncio.wait_for(child.communicate(), timeout)
    assert child.returncode is not None
    return child.returncode, err.decode("utf-8", "replace")


def assert_one_line(rc: int, stderr: str, *expected: str, code: int = 1) -> None:
    assert rc == code, stderr
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    for text in expected:
        assert text in last, last


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


DATABASE_FAULTS = {
    "junk file": (
        lambda d: (d / "bot.sqlite3").write_bytes(b"hello, not a database\n" * 100),
        "not an SQLite database",
    ),
    "damaged file": (damaged_sqlite, "damaged"),
    "parent path is a file": (lambda d: (d / "data").write_text("x"), "is a file, not a directory"),
    "path is a directory": (lambda d: (d / "bot.sqlite3").mkdir(), "it is a directory"),
}


@pytest.mark.parametrize("fault", list(DATABASE_FAULTS))
async def test_database_faults_are_one_line(tmp_path: Path, fault: str):
    make, reason = DATABASE_FAULTS[fault]
    make(tmp_path)
    path = tmp_path / ("data/bot.sqlite3" if fault == "parent path is a file" else "bot.sqlite3")
    async with bot_process("run", tmp_path, DATABASE_PATH=str(path), **LEXICAL) as (_api, child):
        rc, stderr = await finish(child)
    assert_one_line(rc, stderr, f"database: cannot open SQLite {path} (", reason, code=2)
    assert len(stderr.strip().splitlines()) == 1, stderr


async def test_a_read_only_directory_is_one_line(tmp_path: Path):
    directory = tmp_path / "ro"
    directory.mkdir()
    api = FakeBotApi()
    await api.start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))},
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_BASE_URL": api.base_url,
        "DATABASE_PATH": str(directory / "bot.sqlite3"),
        **LEXICAL,
    }
    command = [sys.executable, "-m", "bot", "run"]
    if os.geteuid() == 0:
        # Permission bits do not bind root: make the directory truly read-only, in a mount
        # namespace of the child's own.
        if shutil.which("unshare") is None:
            pytest.skip("running as root without unshare(1): cannot make a read-only directory")
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        command = ["unshare", "-m", "sh", "-c", script, str(directory), *command]
    else:
        directory.chmod(0o555)
    try:
        child = await asyncio.create_subprocess_exec(
            *command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        rc, stderr = await finish(child)
    finally:
        directory.chmod(0o755)
        await api.stop()
    if os.geteuid() == 0 and "mount" in stderr and "database:" not in stderr:
        pytest.skip(f"no mount namespace here: {stderr.strip()[:200]}")
    assert_one_line(rc, stderr, "database: cannot open SQLite", "(read-only directory)", code=2)


async def test_a_closed_bot_api_port_is_one_line(tmp_path: Path):
    base = f"http://127.0.0.1:{_closed_port()}/bot"
    async with bot_process("run", tmp_path, TELEGRAM_API_BASE_URL=base, **LEXICAL) as (_api, child):
        rc, stderr = await finish(child)
    assert_one_line(rc, stderr, f"Bot API: connection refused at {base}", "check TELEGRAM_API_BASE_URL")
    assert len(stderr.strip().splitlines()) == 1, stderr


async def test_a_rejected_token_is_one_line_and_never_printed(tmp_path: Path):
    async with bot_process("run", tmp_path, TELEGRAM_BOT_TOKEN=WRONG_TOKEN, **LEXICAL) as (_api, child):
        rc, stderr = await finish(child)
    assert_one_line(rc, stderr, "token rejected by Telegram (token ending …k9ut)", "check TELEGRAM_BOT_TOKEN")
    assert WRONG_TOKEN not in stderr and WRONG_TOKEN.split(":")[1] not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr


def _webhook_env(port: int, **extra: str) -> dict[str, str]:
    return {
        **LEXICAL,
        "WEBHOOK_URL": f"http://127.0.0.1:{port}",
        "WEBHOOK_SECRET": "s3cret-token",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "PORT": str(port),
        **extra,
    }


async def test_a_refused_set_webhook_is_one_line(tmp_path: Path):
    port = _closed_port()
    async with bot_process("webhook", tmp_path, **_webhook_env(port)) as (api, child):
        api.fail_next(
            "setWebhook", 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        )
        rc, stderr = await finish(child)
    assert_one_line(
        rc, stderr, "Telegram refused setWebhook for", "https url must be provided", "check WEBHOOK_URL"
    )
    assert "s3cret-token" not in stderr


async def test_a_webhook_port_in_use_is_one_line(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with bot_process("webhook", tmp_path, **_webhook_env(port)) as (_api, child):
            rc, stderr = await finish(child)
    assert_one_line(rc, stderr, f"webhook: cannot listen on 127.0.0.1:{port}", "check PORT")


async def test_knowledge_dir_from_the_environment_is_used(tmp_path: Path):
    # Failure 9 of issue 12: --knowledge always had a default, so KNOWLEDGE_DIR never counted.
    bad = str(FIXTURES / "kb_bad")
    # Fixture knowledge bases keep their fitted models apart from the real one's cache.
    own_cache = {"MODEL_CACHE_DIR": str(tmp_path / "models"), **LEXICAL}
    async with bot_process("run", tmp_path, KNOWLEDGE_DIR=bad, **own_cache) as (_api, child):
        rc, stderr = await finish(child)
    assert rc == 1 and "is invalid" in stderr and "kb_bad" in stderr, stderr
    env = {**os.environ, "KNOWLEDGE_DIR": str(FIXTURES / "kb_min"), **own_cache}
    check = subprocess.run(
        [sys.executable, "-m", "bot", "check"], capture_output=True, text=True, env=env, timeout=120
    )
    assert check.returncode == 0, check.stderr
    assert "OK:" in check.stdout and "OK: 24 topics" not in check.stdout, check.stdout
    wins = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--knowledge", str(FIXTURES / "kb_bad")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert wins.returncode == 1 and "kb_bad" in wins.stderr


async def test_a_huge_webhook_body_does_not_flood_the_log(tmp_path: Path):
    # Failure 6: PTB logged the whole body of an update it could not read (20 MB, one line).
    port = _closed_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with bot_process("webhook", tmp_path, **_webhook_env(port, LOG_LEVEL="DEBUG")) as (api, child):
        assert child.stderr is not None
        # Read the log as it is written: a line of megabytes must not block the bot on a full pipe.
        log_task = asyncio.create_task(child.stderr.read())
        await wait_for_call(api, child, "setWebhook")
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        huge = {"update_id": 1, "message": {"message_id": 1, "text": "x" * 1_000_000}}  # no chat: unreadable
        good = api.push_message(4242, "催收说要上门合法吗")
        api.updates.clear()
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(100):  # the server starts listening just after setWebhook
                try:
                    # Unreadable: 200 (a 4xx makes Telegram retry it forever), one warning line.
                    async with session.post(url, json=huge, headers=headers) as r:
                        assert r.status == 200
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            async with session.post(url, data=b"{not json", headers=headers) as r:
                assert r.status == 200
            async with session.post(url, json=good, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as r:
                assert r.status == 403
            async with session.post(url, json=good) as r:
                assert r.status == 403
            mark = len(api.calls)
            async with session.post(url, json=good, headers=headers) as r:
                assert r.status == 200
        reply = await api.wait_for(lambda c: c.method == "sendMessage", after=mark, timeout=15)
        assert "法律依据" in reply.params["text"]
        child.send_signal(signal.SIGTERM)
        stderr = (await asyncio.wait_for(log_task, 60)).decode("utf-8", "replace")
        assert await asyncio.wait_for(child.wait(), 20) == 0, stderr[-2000:]
    lines = stderr.splitlines()
    assert sum("dropped an unreadable update" in line for line in lines) == 2, stderr[-2000:]
    assert not any("xxxxxxxx" in line or "not json" in line for line in lines), "no update content in the log"
    assert max(len(line.encode()) for line in lines) < 2048
    assert api.token not in stderr and "s3cret-token" not in stderr


async def test_info_log_shows_start_up_and_deliveries_not_the_scheduler(tmp_path: Path):
    # Failure 14: two "Running job outbox" lines every 2 seconds at INFO.
    async with bot_process("run", tmp_path, **LEXICAL) as (api, child):
        await wait_for_call(api, child, "setMyCommands")
        reply = await api.reply_to(4242, "催收说要上门合法吗", timeout=15)
        assert "法律依据" in reply.params["text"]
        await asyncio.sleep(5)  # the outbox job runs every 2 s
        child.send_signal(signal.SIGTERM)
        rc, stderr = await finish(child)
    assert rc == 0, stderr[-2000:]
    assert "ready with" in stderr
    assert "Running job" not in stderr and "executed successfully" not in stderr, stderr[-2000:]
    assert api.token not in stderr
