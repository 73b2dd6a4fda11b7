"""`python -m bot webhook` instances as subprocesses, and a sender that delivers updates to them
the way Telegram does (used by tests/test_instances.py and benchmarks/load.py).

Telegram POSTs each update to the webhook address until it is answered 200; behind one address
several instances share the requests. `WebhookSender.deliver` does the same: to the instance
asked for, and, while that one does not answer (killed, restarting), to the next one.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakebotapi import FakeBotApi

SECRET = "instances-s3cret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebhookInstance:
    """One `python -m bot webhook` process on its own port; its log in `log_path`."""

    def __init__(self, name: str, api: FakeBotApi, directory: Path, env: dict[str, str]) -> None:
        self.name = name
        self.api = api
        self.port = free_port()
        self.log_path = directory / f"{name}.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))},
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
            "WEBHOOK_URL": f"http://127.0.0.1:{self.port}",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "PORT": str(self.port),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    async def start(self, timeout: float = 120.0) -> None:
        """Start and wait until /healthz answers 200."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child holds it; closed when we stop it
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "webhook"], env=self.env, stdout=log, stderr=log
        )
        log.close()
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"{self.name} exited ({self.process.returncode}): {self.log()[-3000:]}"
                    )
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not healthy within {timeout} s: {self.log()[-3000:]}")
                try:
                    async with session.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    async def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.to_thread(self.process.wait, 30)

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""


class WebhookSender:
    """Delivers updates to instances like Telegram: again, elsewhere, until one answers 200."""

    def __init__(self, instances: list[WebhookInstance], session: aiohttp.ClientSession) -> None:
        self.instances = instances
        self.session = session
        self.delivered: list[int] = [0] * len(instances)  # answered 200, per instance
        self.redelivered = 0

    async def deliver(self, update: dict[str, Any], prefer: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        attempt = 0
        while True:
            index = (prefer + attempt) % len(self.instances)
            instance = self.instances[index]
            if instance.running:
                try:
                    async with self.session.post(
                        f"{instance.url}/telegram", json=update, headers=HEADERS
                    ) as r:
                        if r.status == 200:
                            self.delivered[index] += 1
                            return
                except (TimeoutError, aiohttp.ClientError):
                    pass
                self.redelivered += 1
            attempt += 1
            if time.monotonic() > deadline:
                raise AssertionError(f"update {update.get('update_id')} not accepted within {timeout} s")
            await asyncio.sleep(0.2 if attempt % len(self.instances) == 0 else 0)
