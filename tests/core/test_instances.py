"""Who is alive among the instances, whose sends were cut off, and each one's send share."""

from __future__ import annotations

from bot.core.instances import Claim, Instance, dead_claims, live, may_judge, send_share, split_id

NOW = 1_700_000_000.0
STALE = 20.0
ME = Instance("web-a:41", "web-a", 41, NOW - 100, NOW)
OTHER = Instance("web-b:7", "web-b", 7, NOW - 500, NOW - 3)  # alive: beat 3 s ago
SILENT = Instance("web-c:9", "web-c", 9, NOW - 500, NOW - 60)  # killed a minute ago


def dead(
    *claims: Claim,
    instances: tuple[Instance, ...] = (ME, OTHER, SILENT),
    running: frozenset[int] = frozenset(),
) -> list[int]:
    return [c.row_id for c in dead_claims(claims, instances, ME, NOW, STALE, lambda pid: pid in running)]


def test_a_live_instance_keeps_its_sends_and_a_silent_one_loses_them():
    assert dead(Claim(1, OTHER.id, NOW - 1)) == []
    assert dead(Claim(2, SILENT.id, NOW - 61)) == [2]
    assert dead(Claim(3, "web-d:3", NOW - 1)) == [3]  # never registered (or pruned): nobody is sending it


def test_an_earlier_process_on_this_host_is_dead_at_once():
    # Its heartbeat may still look fresh, but its pid no longer runs on this host.
    earlier = Instance("web-a:40", "web-a", 40, NOW - 900, NOW - 2)
    assert dead(Claim(1, earlier.id, NOW - 5), instances=(ME, earlier)) == [1]
    # A second instance on this host that does run is judged by its heartbeat like any other.
    assert dead(Claim(1, earlier.id, NOW - 5), instances=(ME, earlier), running=frozenset({40})) == []
    # Same host and pid (a container restarted with pid 41 again): claims from before we started.
    assert dead(Claim(2, ME.id, ME.started_at - 1), Claim(3, ME.id, ME.started_at + 1)) == [2]


def test_a_claim_older_than_the_live_process_with_that_id_was_its_predecessors():
    assert dead(Claim(1, OTHER.id, OTHER.started_at - 10)) == [1]


def test_an_unsigned_claim_is_dead_once_it_is_old():
    assert dead(Claim(1, "", NOW - 5), Claim(2, "", NOW - 30), Claim(3, "", None)) == [2, 3]


def test_dead_claims_come_oldest_row_first():
    assert dead(Claim(9, SILENT.id, NOW - 70), Claim(4, SILENT.id, NOW - 80)) == [4, 9]


def test_the_send_rate_is_split_among_the_live_instances():
    assert send_share(25.0, [ME, OTHER, SILENT], ME, NOW, STALE) == 12.5
    assert send_share(25.0, [OTHER], ME, NOW, STALE) == 12.5  # before our own first beat is visible
    assert send_share(25.0, [ME, SILENT], ME, NOW, STALE) == 25.0
    assert [i.id for i in live([ME, OTHER, SILENT], NOW, STALE)] == [ME.id, OTHER.id]


def test_claimer_ids_split_into_host_and_pid():
    assert split_id("web-a:41") == ("web-a", 41)
    assert split_id("host:with:colons:5") == ("host:with:colons", 5)
    assert split_id("odd") == ("odd", None)


def test_after_missing_our_own_beats_we_wait_one_beat_before_judging_others():
    assert may_judge(0.0, NOW, 5.0)  # start-up
    assert may_judge(NOW - 5.0, NOW, 5.0) and may_judge(NOW - 9.0, NOW, 5.0)
    assert not may_judge(NOW - 30.0, NOW, 5.0)  # the database was out of reach for 30 s
