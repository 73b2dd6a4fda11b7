"""PostgreSQL with several instances: racing claims and draft updates, lost connections, outages.

Run against the real server (a schema per test); "several instances" are separate processes
or separate pools on their own connections.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from bot.storage import (
    DraftChanged,
    NewEnquiry,
    SqlDatabase,
    StorageUnavailable,
    migrate_database,
    open_database,
)
from bot.storage import postgres as pg_engine
from tests.pg import SERVER_URL
from tests.tcpproxy import TcpProxy

NOW = 1_700_000_000.0


@pytest.fixture
def open_instance(pg_url: str) -> Iterator[Callable[[], SqlDatabase]]:
    """Opens the test schema as one more instance would (its own pool); closes them all after."""
    migrate_database(pg_url)
    opened: list[SqlDatabase] = []

    def instance() -> SqlDatabase:
        opened.append(open_database(pg_url))
        return opened[-1]

    yield instance
    for database in opened:
        database.close()


def backend_pid(database: SqlDatabase) -> int:
    row = database.engine.run(lambda tx: tx.one("SELECT pg_backend_pid() AS pid"), write=False)
    assert row is not None
    return int(row["pid"])


def race(*workers: Callable[[], object]) -> list[object]:
    """Run the workers in threads released at the same moment; their results or exceptions."""
    barrier = threading.Barrier(len(workers))
    results: list[object] = [None] * len(workers)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = workers[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_processes_send_every_outbox_row_exactly_once(open_instance, pg_url: str):
    store = open_instance().enquiries
    for i in range(200):
        store.enqueue("firm", "text", {"text": f"消息 {i}"}, NOW)
    senders = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.storage.claimer", pg_url, name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for sender in senders:
        assert sender.stdout is not None and sender.stdout.readline().strip() == "ready"
    for sender in senders:  # go
        assert sender.stdin is not None
        sender.stdin.write("go\n")
        sender.stdin.flush()
    claimed = []
    for sender in senders:
        out, _ = sender.communicate(timeout=60)
        assert sender.returncode == 0
        claimed.append([int(line) for line in out.split()])
    a, b = claimed
    assert not set(a) & set(b), "no row was claimed by both"
    assert sorted(a + b) == sorted(r["id"] for r in _outbox(open_instance()))
    assert len(a) > 0 and len(b) > 0, "both processes took part in the race"
    rows = _outbox(open_instance())
    assert {(r["state"], r["attempts"]) for r in rows} == {("sent", 1)}
    assert {r["id"] for r in rows if r["claimed_by"] == "a"} == set(a)


def _outbox(database: SqlDatabase) -> list[dict[str, object]]:
    return database.engine.run(lambda tx: tx.all("SELECT * FROM outbox ORDER BY id"), write=False)


def test_alternating_draft_updates_from_two_instances_lose_nothing_and_apply_nothing_twice(open_instance):
    first, second = open_instance(), open_instance()
    first.enquiries.save_draft(1, 1, "events", {"events": []}, NOW)
    conflicts = [0, 0]

    def add_events(database: SqlDatabase, name: str, slot: int) -> None:
        store = database.enquiries
        for n in range(25):
            while True:  # what the shell does: read, apply the step, write; on a lost race, again
                draft = store.get_draft(1)
                assert draft is not None
                data = {"events": [*draft.data["events"], f"{name}{n}"]}
                try:
                    store.save_draft(1, 1, "events", data, NOW, version=draft.version)
                    break
                except DraftChanged:
                    conflicts[slot] += 1

    results = race(lambda: add_events(first, "a", 0), lambda: add_events(second, "b", 1))
    assert results == [None, None]
    draft = first.enquiries.get_draft(1)
    assert draft is not None
    events = draft.data["events"]
    assert sorted(events) == sorted([f"a{n}" for n in range(25)] + [f"b{n}" for n in range(25)])
    assert [e for e in events if e.startswith("a")] == [f"a{n}" for n in range(25)], "in order"


def test_a_confirmation_tapped_on_two_instances_creates_one_enquiry(open_instance):
    first, second = open_instance(), open_instance()
    first.enquiries.save_draft(7, 7, "confirm", {"question": "q"}, NOW)
    draft = first.enquiries.get_draft(7)
    assert draft is not None
    new = NewEnquiry(user_id=7, chat_id=7, user_name="张三", username="zs", question="法院寄来传票怎么办")
    results = race(
        lambda: first.enquiries.create_enquiry(new, "AAAAAA", NOW, draft_version=draft.version),
        lambda: second.enquiries.create_enquiry(new, "BBBBBB", NOW, draft_version=draft.version),
    )
    assert sorted(type(r).__name__ for r in results) == ["DraftChanged", "Enquiry"]
    assert len(first.enquiries.enquiries_of(7)) == 1
    assert first.enquiries.due(NOW)[0].kind == "card" and len(first.enquiries.due(NOW)) == 1


def test_a_lost_connection_is_retried_on_a_fresh_one(open_instance):
    database = open_instance()
    store = database.enquiries
    store.save_draft(1, 1, "consent", {}, NOW)
    before = backend_pid(database)
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (before,))
    draft = store.get_draft(1)  # the pooled connection is dead: this is retried, not an error
    assert draft is not None
    version = store.save_draft(1, 1, "lender", {}, NOW, version=draft.version)
    assert version == draft.version + 1, "applied once"
    assert backend_pid(database) != before


def test_an_unreachable_server_is_one_clear_error():
    with pytest.raises(StorageUnavailable, match=r"cannot connect to PostgreSQL postgresql://postgres:\*\*\*@127\.0\.0\.1:1/"):
        open_database("postgresql://postgres:secret@127.0.0.1:1/test")


def test_while_the_database_is_down_calls_fail_fast_then_recover(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pg_engine, "BREAKER_SECONDS", 1.0)
    migrate_database(pg_url)
    server = urlsplit(pg_url)
    proxy = TcpProxy(server.hostname or "127.0.0.1", server.port or 5432)
    proxy.start()
    url = urlunsplit(server._replace(netloc=server.netloc.replace(f"{server.hostname}:{server.port}", f"127.0.0.1:{proxy.port}")))
    database = open_database(url)
    try:
        store = database.enquiries
        store.save_draft(1, 1, "consent", {}, NOW)

        proxy.cut()
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            store.get_draft(1)
        assert time.monotonic() - started < pg_engine.POOL_WAIT + 2
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):  # at once: nobody waits on a database known to be down
            store.save_draft(2, 2, "consent", {}, NOW)
        assert time.monotonic() - started < 0.1

        proxy.start()  # back on the same port
        deadline = time.monotonic() + 15
        while True:
            try:
                draft = store.get_draft(1)
                break
            except StorageUnavailable:
                assert time.monotonic() < deadline, "never recovered"
                time.sleep(0.2)
        assert draft is not None and draft.step == "consent"
        assert store.get_draft(2) is None, "the refused write was not applied"
    finally:
        database.close()
        proxy.cut()
