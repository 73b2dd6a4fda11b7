"""An edited question after a restart: the memory of which answer went with which question is in
the database, so the restarted bot (or another instance) still edits the earlier answer, and
/forget deletes that memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.storage import migrate_database, open_database
from tests.fakebotapi import FakeBotApi
from tests.tg.conftest import RunningBot, settings_for
from tests.tg.test_handoff import A, press, to
from tests.tg.test_operations import settle, shown


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings overrides for the engine under test (a SQLite file, or a fresh PostgreSQL schema)."""
    if request.param == "sqlite":
        return {}
    url = request.getfixturevalue("pg_schemas").new()
    migrate_database(url)
    return {"database_url": url}


async def test_an_edit_after_a_restart_edits_the_earlier_answer(
    api: FakeBotApi, tmp_path: Path, engine: dict[str, Any]
):
    settings = settings_for(api, tmp_path, **engine)
    before = RunningBot(settings)
    await before.start()
    try:
        answer = await api.reply_to(A, "催收说要上门合法吗")
        question = api.updates[-1]["message"]
    finally:
        await before.stop()

    after = RunningBot(settings)
    await after.start()
    try:
        mark = len(api.calls)  # the same answer: nothing new
        api.push_message(
            A, "催收说要上门，合法吗？", edited=True, extra={"message_id": question["message_id"]}
        )
        await settle(api, A)
        assert [c.method for c in api.calls[mark:] if c.params.get("chat_id") == A] == ["sendMessage"]
        mark = len(api.calls)  # another answer: the earlier message is edited
        api.push_message(
            A, "征信逾期记录会保留几年", edited=True, extra={"message_id": question["message_id"]}
        )
        edited = await api.wait_for(lambda c: c.method == "editMessageText", after=mark)
        assert edited.params["message_id"] == answer.result["message_id"] and "征信" in shown(edited)

        ask = await api.reply_to(A, "/forget")  # the memory is the user's data: deleted with the rest
        mark = await press(api, A, A, ask.result["message_id"], "g:yes")
        done = await api.wait_for(to(A, "editMessageText"), after=mark)
        assert "已回答提问的对应记录" in shown(done)
        target = engine.get("database_url") or settings.database_path
        database = open_database(target)
        try:
            assert database.learning.answered(A, question["message_id"]) is None
        finally:
            database.close()
        mark = len(api.calls)
        api.push_message(A, "催收说要上门合法吗", edited=True, extra={"message_id": question["message_id"]})
        await settle(api, A)
        assert [c.method for c in api.calls[mark:] if c.params.get("chat_id") == A] == ["sendMessage"]
    finally:
        await after.stop()
