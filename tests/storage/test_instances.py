"""The instance registry and shared counters on both engines; settling a dead claimer's rows."""

from __future__ import annotations

from bot.core.instances import Claim, Instance
from bot.storage import NewEnquiry, SqlDatabase

NOW = 1_700_000_000.0


def test_heartbeats_register_update_and_prune(db: SqlDatabase):
    reg = db.instances
    a = Instance("web-a:41", "web-a", 41, NOW, NOW)
    b = Instance("web-b:7", "web-b", 7, NOW + 1, NOW + 1)
    reg.heartbeat(a, NOW)
    reg.heartbeat(b, NOW + 1)
    reg.heartbeat(a, NOW + 5)
    assert reg.instances() == [a.__class__(a.id, "web-a", 41, NOW, NOW + 5), b]
    assert reg.prune(NOW + 3) == 1  # a beat at NOW + 5, b only at NOW + 1
    assert [i.id for i in reg.instances()] == [a.id]
    reg.heartbeat(b, NOW + 6)  # a pruned instance that beats again is back
    reg.remove(a.id)
    assert [i.id for i in reg.instances()] == [b.id]


def test_counters_start_at_zero_and_go_up_by_one(db: SqlDatabase):
    reg = db.instances
    assert reg.counter("knowledge") == 0
    assert [reg.bump("knowledge", NOW), reg.bump("knowledge", NOW + 1)] == [1, 2]
    assert reg.counter("knowledge") == 2 and reg.counter("other") == 0


def test_only_the_dead_claim_itself_becomes_uncertain(db: SqlDatabase):
    store = db.enquiries
    for ref in ("AAAAAA", "BBBBBB", "CCCCCC"):
        store.create_enquiry(
            NewEnquiry(user_id=1, chat_id=1, user_name="张三", question="催收上门"), ref, NOW
        )
    first, second, third = store.due(NOW)
    store.claim(first.id, NOW, "web-c:9")
    store.claim(second.id, NOW + 1, "web-c:9")
    store.claim(third.id, NOW + 2, "web-b:7")
    claims = store.sending_claims()
    assert claims == [
        Claim(first.id, "web-c:9", NOW),
        Claim(second.id, "web-c:9", NOW + 1),
        Claim(third.id, "web-b:7", NOW + 2),
    ]
    # Meanwhile the second row was retried and claimed again by a live instance: not that claim.
    store.mark_retry(second.id, NOW + 2, "network")
    store.claim(second.id, NOW + 3, "web-b:7")
    settled = store.mark_uncertain(claims[:2])
    assert [(r.id, r.state) for r in settled] == [(first.id, "uncertain")]
    assert [c.row_id for c in store.sending_claims()] == [second.id, third.id]
