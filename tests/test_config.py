"""Settings from the environment: where the database is, and no secret in any repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, redact_url


def test_sqlite_unless_a_database_url_is_set():
    assert Settings.from_env({}).database == Path("data/bot.sqlite3")
    assert Settings.from_env({"DATABASE_PATH": "/var/bot.db"}).database == Path("/var/bot.db")
    url = "postgresql://bot:pw@db.internal:5432/bot"
    settings = Settings.from_env({"DATABASE_URL": url, "DATABASE_PATH": "/var/bot.db"})
    assert settings.database == url
    assert Settings.from_env({"DATABASE_URL": "postgres://bot@db/bot"}).database == "postgres://bot@db/bot"


def test_the_database_password_never_shows():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://bot:s3cr3t@db.internal:5432/bot?sslmode=require"})
    assert "s3cr3t" not in repr(settings) and "s3cr3t" not in settings.database_description
    assert "postgresql://bot:***@db.internal:5432/bot?sslmode=require" in repr(settings)
    assert redact_url("postgresql://bot@db/bot") == "postgresql://bot@db/bot"


def test_a_database_url_that_is_not_postgresql_is_refused_without_echoing_its_password():
    with pytest.raises(ConfigError, match="DATABASE_URL must start with postgresql://") as info:
        Settings.from_env({"DATABASE_URL": "mysql://root:hunter2@db/bot"})
    assert "hunter2" not in str(info.value)


def test_send_rate_is_the_bots_total_and_must_be_positive():
    assert Settings.from_env({}).send_rate == 25.0
    assert Settings.from_env({"SEND_RATE": "12.5"}).send_rate == 12.5
    for bad in ("0", "-3", "fast", "inf", "nan"):
        with pytest.raises(ConfigError, match="SEND_RATE must be a positive number"):
            Settings.from_env({"SEND_RATE": bad})
