"""A throwaway PostgreSQL cluster of the test's own (initdb + pg_ctl in a temporary directory, on
a free port), so a test can stop and start "the database" without touching the shared server at
127.0.0.1:5432.

Binaries from /usr/lib/postgresql/15/bin (PG_BIN overrides). Absent binaries: a skip, even under
CI. Present but failing (initdb or start): a failure under CI, a skip elsewhere. PostgreSQL
refuses to run as root, so as root the cluster runs as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    def __init__(self) -> None:
        if not (BIN / "initdb").exists() or not (BIN / "pg_ctl").exists():
            pytest.skip(f"no PostgreSQL binaries in {BIN}")
        self.root = Path(tempfile.mkdtemp(prefix="bot-pgcluster-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        try:
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        except subprocess.CalledProcessError as exc:
            self.remove()
            self._give_up(f"initdb failed: {exc.stderr.strip()[-300:]}")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self._as, str(BIN / tool), *args], check=True, capture_output=True, text=True, timeout=60)

    @staticmethod
    def _give_up(reason: str) -> None:
        if os.environ.get("CI"):
            pytest.fail(f"throwaway PostgreSQL cluster: {reason} (CI is set)")
        pytest.skip(f"throwaway PostgreSQL cluster: {reason}")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off"
        try:
            self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        except subprocess.CalledProcessError as exc:
            self._give_up(f"pg_ctl start failed: {exc.stderr.strip()[-300:]}")

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when a managed database restarts."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as, str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)
