"""The PostgreSQL server the tests use (127.0.0.1:5432, trust auth, database `test`).

Each test gets a schema of its own (`search_path` in the URL), dropped afterwards, so tests and
parallel runs never see each other's rows. Unreachable server: a skip on a developer's machine,
a failure when `CI` is set (CI must run both engines).
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import quote

import psycopg
import pytest

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def schema_url(schema: str, base: str = SERVER_URL) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(f'-csearch_path={schema}')}"


def server_or_skip() -> str:
    try:
        psycopg.connect(SERVER_URL, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable at {SERVER_URL}: {str(exc).strip().splitlines()[-1]}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: both engines must be tested)")
        pytest.skip(reason)
    return SERVER_URL


class Schemas:
    """Creates throwaway schemas on the test server and drops them all at the end."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.made: list[str] = []

    def new(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.server, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")
        self.made.append(name)
        return schema_url(name, self.server)

    def drop_all(self) -> None:
        with psycopg.connect(self.server, autocommit=True) as conn:
            for name in self.made:
                conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
