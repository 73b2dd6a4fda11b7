"""`python -m bot migrate` and `--copy-from`: a SQLite deployment filled by real hand-off
operations moves into PostgreSQL with every row; the bot refuses an outdated schema."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from bot.cli import main as cli_main
from bot.storage import LATEST_VERSION, NewEnquiry, migrate_database, open_database, open_for_bot
from bot.storage.migrations import MIGRATIONS
from tests.fakebotapi import FakeBotApi
from tests.tg.test_handoff import FIRM, LAWYER, A, B, buttons, make_bot, press, submit_enquiry, to

ANSWERED = "催收说明天要上门来我家，这合法吗？"
UNANSWERED = "我的狗丢了怎么办"


async def fill_by_hand_off(api: FakeBotApi, tmp_path: Path) -> Path:
    """A day of the bot: questions, a vote, an enquiry with a photo, the lawyer's reply, a
    follow-up, another borrower's unfinished form."""
    api.chat_members[(FIRM, LAWYER)] = "member"
    running = make_bot(api, tmp_path)
    await running.start()
    try:
        answer = await api.reply_to(A, ANSWERED)
        vote = next(b for b in buttons(answer) if b.startswith("v:+:"))
        mark = await press(api, A, A, answer.result["message_id"], vote)
        await api.wait_for(to(A, "editMessageReplyMarkup"), after=mark)
        await api.reply_to(B, UNANSWERED)
        ref, _ = await submit_enquiry(api, A, "他们说明天来我家，我该怎么办？", photo=True)
        card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
        await api.wait_for(to(FIRM, "sendPhoto"))
        mark = len(api.calls)
        api.push_message(
            LAWYER,
            "您可以拒绝开门。",
            chat_id=FIRM,
            chat_type="supergroup",
            reply_to=api.messages[(FIRM, card.result["message_id"])],
        )
        relayed = await api.wait_for(to(A, contains="律所回复"), after=mark)
        mark = len(api.calls)
        api.push_message(A, "他们还打给了我妈妈", reply_to=api.messages[(A, relayed.result["message_id"])])
        await api.wait_for(to(FIRM, contains="用户补充"), after=mark)
        await api.reply_to(B, "/lawyer")  # B's form stays at the consent step
    finally:
        await running.stop()
    return tmp_path / "bot.sqlite3"


def sqlite_rows(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    tables = [
        r[0]
        for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations'"
        )
    ]
    rows = {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    db.close()
    return rows


def postgres_rows(url: str, tables: list[str]) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(url) as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}


async def test_copy_from_sqlite_moves_every_row(
    api: FakeBotApi, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys
):
    source = await fill_by_hand_off(api, tmp_path)
    before = sqlite_rows(source)
    for table in ("enquiries", "outbox", "message_links", "intake_drafts", "learn_meta"):
        assert before[table], f"the hand-off left no {table} rows to copy"
    for table in ("question_log", "answer_counts", "answer_feedback"):
        assert before[table], f"the questions left no {table} rows to copy"

    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert cli_main(["migrate", "--copy-from", f"sqlite:///{source}"]) == 0
    out = capsys.readouterr().out
    assert f"schema version {LATEST_VERSION}" in out and f"enquiries: {len(before['enquiries'])}" in out
    assert postgres_rows(pg_url, list(before)) == before, "every row, every value"

    # The copy is a working deployment: same salt (so /forget finds old log rows), new ids after
    # the copied ones.
    database = open_for_bot(pg_url)
    copied = open_database(source, read_only=True)
    assert database.learning.user_hash(A) == copied.learning.user_hash(A)
    copied.close()
    fresh = database.enquiries.create_enquiry(NewEnquiry(user_id=B, chat_id=B, user_name="李四", question="新的咨询"), "NEWREF", 1.0)
    assert fresh.id > max(row[0] for row in before["enquiries"])
    deleted = database.forget_user(A)
    assert deleted["律师咨询"] == 1 and deleted["👍/👎 反馈"] == 1
    database.close()

    # Twice would mix two deployments: refused, nothing changed.
    assert cli_main(["migrate", "--copy-from", str(source)]) == 1
    err = capsys.readouterr().err
    assert "not empty" in err and err.count("\n") == 1


def test_copy_from_refuses_a_source_at_another_version(tmp_path: Path, pg_url: str, monkeypatch, capsys):
    old = tmp_path / "old.sqlite3"
    migrate_database(old, MIGRATIONS[:1])
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert cli_main(["migrate", "--copy-from", f"sqlite:///{old}"]) == 1
    assert "migrate it first" in capsys.readouterr().err
    database = open_database(pg_url)
    assert all(
        database.engine.run(lambda tx, t=t: tx.one(f"SELECT COUNT(*) AS n FROM {t}"))["n"] == 0  # type: ignore[index]
        for t in database.engine.tables()
    )
    database.close()


def test_copy_needs_a_postgresql_target(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "bot.sqlite3"))
    assert cli_main(["migrate", "--copy-from", "sqlite:///data/bot.sqlite3"]) == 2
    assert "DATABASE_URL" in capsys.readouterr().err


def test_migrate_applies_once_and_reports_the_version(pg_url: str, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    assert cli_main(["migrate"]) == 0
    assert f"schema version {LATEST_VERSION} (applied 1, 2" in capsys.readouterr().out
    assert cli_main(["migrate"]) == 0
    assert "(nothing to apply)" in capsys.readouterr().out


def test_the_bot_will_not_start_on_an_outdated_schema(pg_url: str, monkeypatch, capsys):
    migrate_database(pg_url, MIGRATIONS[:-1])
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    for command in ("run", "webhook"):
        if command == "webhook":
            monkeypatch.setenv("WEBHOOK_URL", "https://example.invalid")
            monkeypatch.setenv("WEBHOOK_SECRET", "s")
        assert cli_main([command]) == 2
        err = capsys.readouterr().err
        assert err == (
            f"database: the database schema is at version {LATEST_VERSION - 1}, this code needs "
            f"{LATEST_VERSION}: run `python -m bot migrate` first (a Procfile deploy does it in its release phase)\n"
        )


def test_the_bot_says_so_in_one_line_when_postgresql_is_unreachable(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2@127.0.0.1:1/bot")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    assert cli_main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("database: cannot connect to PostgreSQL postgresql://bot:***@127.0.0.1:1/bot: ")
    assert "Connection refused" in err
    assert err.count("\n") == 1 and "hunter2" not in err


def test_gaps_reads_without_migrating(tmp_path: Path, capsys):
    path = tmp_path / "old.sqlite3"
    migrate_database(path, MIGRATIONS[:2])  # a database from before the last migration
    database = open_database(path)
    database.learning.log_question(
        1.0, user_hash="u", msg_ref="", chat_type="private", decision="none", question=UNANSWERED, candidates=[]
    )
    database.close()
    assert cli_main(["gaps", "--database", str(path)]) == 0
    assert "1 logged questions" in capsys.readouterr().out
    again = open_database(path, read_only=True)
    assert again.schema_version() == 2
    again.close()
