"""The enquiry store on both engines: atomic outbox transitions, drafts, /forget, retention."""

from __future__ import annotations

import pytest

from bot.storage import DraftChanged, DuplicateRef, NewEnquiry, SqlDatabase
from bot.storage.migrations import USER_TABLES

NOW = 1_700_000_000.0


def new(user_id: int = 1, question: str = "催收上门怎么办", photo: str = "") -> NewEnquiry:
    return NewEnquiry(
        user_id=user_id,
        chat_id=user_id,
        user_name="张三",
        username="zs",
        question=question,
        lender="网贷",
        events=("说要上门",),
        photo_file_id=photo,
    )


def count(db: SqlDatabase, sql: str, *params: object) -> int:
    row = db.engine.run(lambda tx: tx.one(sql, params), write=False)
    assert row is not None
    return int(next(iter(row.values())))


def test_enquiry_and_its_delivery_are_written_together(db: SqlDatabase):
    store = db.enquiries
    enquiry = store.create_enquiry(new(photo="file-1"), "ABCDEF", NOW)
    assert enquiry.ref == "ABCDEF" and enquiry.status == "open" and enquiry.delivery == "pending"
    assert enquiry.events == ("说要上门",) and enquiry.created_at == NOW
    assert [(r.kind, r.state) for r in store.rows_for(enquiry.id)] == [("card", "pending"), ("photo", "pending")]
    with pytest.raises(DuplicateRef):
        store.create_enquiry(new(), "ABCDEF", NOW)
    assert store.count_enquiries_since(1, NOW - 10) == 1 and store.count_enquiries_since(1, NOW + 1) == 0
    assert store.enquiry_by_ref("abcdef") == enquiry


def test_telegram_ids_and_times_keep_their_full_size(db: SqlDatabase):
    big_user, firm_chat, at = 7_123_456_789, -1_001_234_567_890, 1_765_432_109.123456
    store = db.enquiries
    enquiry = store.create_enquiry(new(big_user), "BIGIDS", at)
    card = store.claim(store.due(at)[0].id, at)
    assert card is not None
    store.mark_sent(card.id, firm_chat, 2_147_483_648, at)
    stored = store.enquiry(enquiry.id)
    assert stored is not None and stored.user_id == big_user and stored.created_at == at
    assert stored.firm_chat_id == firm_chat and stored.firm_message_id == 2_147_483_648


def test_claim_is_exclusive_and_sent_links_the_message(db: SqlDatabase):
    store = db.enquiries
    enquiry = store.create_enquiry(new(), "ABCDEF", NOW)
    card = store.due(NOW)[0]
    claimed = store.claim(card.id, NOW, "host:1")
    assert claimed is not None and claimed.state == "sending" and claimed.attempts == 1
    assert store.claim(card.id, NOW) is None
    assert store.due(NOW) == []
    store.mark_sent(card.id, -100, 55, NOW)
    stored = store.enquiry(enquiry.id)
    assert stored is not None and stored.firm_message_id == 55 and stored.delivery == "sent"
    assert store.linked_enquiry(-100, 55, "firm") == stored
    assert store.linked_enquiry(-100, 55, "user") is None


def test_a_row_listed_before_its_retry_cannot_be_claimed_early(db: SqlDatabase):
    # Instance B listed the row as due; instance A then tried it and put it back for later.
    store = db.enquiries
    store.create_enquiry(new(), "ABCDEF", NOW)
    listed_by_b = store.due(NOW)[0]
    assert store.claim(listed_by_b.id, NOW) is not None
    store.mark_retry(listed_by_b.id, NOW + 60, "timed out")
    assert store.claim(listed_by_b.id, NOW + 1) is None, "not due yet"
    again = store.claim(listed_by_b.id, NOW + 61)
    assert again is not None and again.attempts == 2 and again.last_error == "timed out"


def test_parts_delivered_are_kept_through_retry_interruption_and_requeue(db: SqlDatabase):
    store = db.enquiries
    store.create_enquiry(new(), "ABCDEF", NOW)
    row = store.due(NOW)[0]
    assert row.sent_parts == ()
    store.record_part(row.id, 70)  # not claimed: nothing is being sent, nothing recorded
    assert store.due(NOW)[0].sent_parts == ()
    store.claim(row.id, NOW)
    store.record_part(row.id, 71)
    store.mark_retry(row.id, NOW, "network")
    again = store.claim(row.id, NOW)
    assert again is not None and again.sent_parts == (71,)
    store.record_part(row.id, 72)
    assert [r.sent_parts for r in store.mark_uncertain(store.sending_claims())] == [(71, 72)]
    store.requeue(row.id, NOW)
    assert store.due(NOW)[0].sent_parts == (71, 72)


def test_retry_waits_and_interrupted_rows_become_uncertain(db: SqlDatabase):
    store = db.enquiries
    store.create_enquiry(new(), "ABCDEF", NOW)
    row = store.due(NOW)[0]
    store.claim(row.id, NOW)
    store.mark_retry(row.id, NOW + 60, "network")
    assert store.due(NOW) == [] and store.due(NOW + 61)[0].attempts == 1
    store.claim(row.id, NOW + 61)
    assert [r.id for r in store.mark_uncertain(store.sending_claims())] == [row.id]
    assert store.due(NOW + 1000) == []
    store.requeue(row.id, NOW)
    assert store.due(NOW)[0].id == row.id


def test_forget_deletes_from_every_registered_table(db: SqlDatabase):
    store = db.enquiries
    mine = store.create_enquiry(new(1), "AAAAAA", NOW)
    other = store.create_enquiry(new(2), "BBBBBB", NOW)
    store.link(1, 10, mine, "user")
    store.enqueue("user", "text", {"text": "律所回复"}, NOW, mine)
    store.save_draft(1, 1, "amount", {"lender": "网贷"}, NOW)
    deleted = db.forget_user(1)
    assert deleted["律师咨询"] == 1 and deleted["未提交的填写内容"] == 1 and deleted["与律所往来的消息"] == 2
    for table in USER_TABLES:
        if not table.hashed:
            assert count(db, f"SELECT COUNT(*) AS n FROM {table.table} WHERE {table.user_column} = ?", 1) == 0
    assert store.enquiry(other.id) is not None
    assert db.forget_user(1) == {t.label: 0 for t in USER_TABLES}


def test_purge_removes_only_enquiries_closed_before_the_cutoff(db: SqlDatabase):
    store = db.enquiries
    old = store.create_enquiry(new(1), "AAAAAA", NOW)
    recent = store.create_enquiry(new(2), "BBBBBB", NOW)
    still_open = store.create_enquiry(new(3), "CCCCCC", NOW)
    store.link(1, 10, old, "user")
    store.set_status(old.id, "closed", "律师", NOW)
    store.set_status(recent.id, "closed", "律师", NOW + 100)
    assert store.purge_closed(NOW + 50) == 1
    assert store.enquiry(old.id) is None and store.rows_for(old.id) == []
    assert store.linked_enquiry(1, 10, "user") is None
    assert store.enquiry(recent.id) is not None and store.enquiry(still_open.id) is not None


def test_status_keeps_the_handler_unless_a_new_one_is_named(db: SqlDatabase):
    store = db.enquiries
    enquiry = store.create_enquiry(new(), "AAAAAA", NOW)
    taken = store.set_status(enquiry.id, "taken", "王律师", NOW + 1)
    assert taken is not None and taken.handled_by == "王律师" and taken.closed_at is None
    answered = store.set_status(enquiry.id, "answered", "", NOW + 2)
    assert answered is not None and answered.handled_by == "王律师" and answered.updated_at == NOW + 2
    store.set_thread(enquiry.id, -100, 77)
    threaded = store.enquiry(enquiry.id)
    assert threaded is not None and (threaded.firm_chat_id, threaded.firm_thread_id) == (-100, 77)


def test_drafts_expire(db: SqlDatabase):
    store = db.enquiries
    store.save_draft(1, 1, "consent", {}, NOW)
    store.save_draft(2, 2, "consent", {}, NOW + 100)
    assert [d.user_id for d in store.expired_drafts(NOW + 50)] == [1]
    assert store.delete_draft(1) and not store.delete_draft(1)


def test_a_draft_write_based_on_an_old_read_is_refused(db: SqlDatabase):
    store = db.enquiries
    store.save_draft(1, 1, "lender", {"events": []}, NOW)
    read_by_a = store.get_draft(1)
    read_by_b = store.get_draft(1)
    assert read_by_a is not None and read_by_b is not None and read_by_a.version == read_by_b.version
    store.save_draft(1, 1, "events", {"events": ["visit"]}, NOW + 1, version=read_by_a.version)
    with pytest.raises(DraftChanged):
        store.save_draft(1, 1, "events", {"events": ["family"]}, NOW + 1, version=read_by_b.version)
    again = store.get_draft(1)
    assert again is not None and again.data == {"events": ["visit"]}
    store.save_draft(1, 1, "events", {"events": ["visit", "family"]}, NOW + 2, version=again.version)
    final = store.get_draft(1)
    assert final is not None and final.data == {"events": ["visit", "family"]}
    with pytest.raises(DraftChanged):
        store.delete_draft(1, version=again.version)
    assert store.delete_draft(1, version=final.version)
    with pytest.raises(DraftChanged):
        store.save_draft(1, 1, "events", {}, NOW + 3, version=final.version)


def test_a_confirmation_consumes_its_draft_once(db: SqlDatabase):
    store = db.enquiries
    store.save_draft(1, 1, "confirm", {"question": "q"}, NOW)
    draft = store.get_draft(1)
    assert draft is not None
    store.create_enquiry(new(1), "AAAAAA", NOW, draft_version=draft.version)
    assert store.get_draft(1) is None
    with pytest.raises(DraftChanged):
        store.create_enquiry(new(1), "BBBBBB", NOW, draft_version=draft.version)
    assert len(store.enquiries_of(1)) == 1


def test_a_form_started_again_does_not_reuse_a_version(db: SqlDatabase):
    store = db.enquiries
    versions = set()
    for _ in range(20):
        store.save_draft(1, 1, "consent", {}, NOW)
        draft = store.get_draft(1)
        assert draft is not None
        versions.add(draft.version)
        store.delete_draft(1)
    assert len(versions) == 20


def test_idle_enquiries_are_closed_so_retention_applies(db: SqlDatabase):
    store = db.enquiries
    idle = store.create_enquiry(new(1), "AAAAAA", NOW)
    active = store.create_enquiry(new(2), "BBBBBB", NOW)
    store.enqueue("firm", "text", {"text": "补充"}, NOW + 100, active)
    assert store.close_idle(NOW + 50, NOW + 200) == 1
    closed = store.enquiry(idle.id)
    assert closed is not None and closed.status == "closed" and closed.closed_at == NOW + 200
    still = store.enquiry(active.id)
    assert still is not None and still.status == "open"


def test_notices_without_an_enquiry_age_out_once_sent(db: SqlDatabase):
    store = db.enquiries
    notice = store.enqueue("firm", "text", {"text": "用户要求删除数据"}, NOW)
    claimed = store.claim(notice, NOW)
    assert claimed is not None and claimed.enquiry_id is None
    store.mark_sent(notice, -100, 9, NOW)
    assert count(db, "SELECT COUNT(*) AS n FROM message_links") == 0, "a notice links to nothing"
    store.purge_closed(NOW + 1)
    assert count(db, "SELECT COUNT(*) AS n FROM outbox") == 0


def test_notices_in_the_firm_chat_are_recorded_and_age_out(db: SqlDatabase):
    store = db.enquiries
    row = store.enqueue("firm", "text", {"text": "用户要求删除数据"}, NOW)
    assert store.claim(row, NOW) is not None
    store.mark_sent(row, -100, 77, NOW)
    assert store.is_notice(-100, 77) and not store.is_notice(-100, 78)
    store.record_notice(-100, 78, NOW + 100)
    assert store.is_notice(-100, 78)
    store.purge_closed(NOW + 50)
    assert not store.is_notice(-100, 77) and store.is_notice(-100, 78)


def test_an_unrecorded_card_is_adopted_and_its_row_settled(db: SqlDatabase):
    store = db.enquiries
    enquiry = store.create_enquiry(new(), "ABCDEF", NOW)
    card = store.due(NOW)[0]
    assert store.claim(card.id, NOW) is not None
    store.mark_uncertain(store.sending_claims())  # the send was cut off: nobody knows the card's message id
    adopted = store.adopt_card(enquiry.id, -100, 55, NOW)
    assert adopted is not None and adopted.firm_message_id == 55 and adopted.delivery == "sent"
    assert store.linked_enquiry(-100, 55, "firm") == adopted
    again = store.adopt_card(enquiry.id, -100, 56, NOW)  # a second copy (after /resend) links too
    assert again is not None and again.firm_message_id == 55
    assert store.linked_enquiry(-100, 56, "firm") == again
    assert store.adopt_card(999, -100, 57, NOW) is None


def test_retry_now_makes_waiting_rows_due(db: SqlDatabase):
    store = db.enquiries
    enquiry = store.create_enquiry(new(), "ABCDEF", NOW)
    card = store.due(NOW)[0]
    store.mark_retry(card.id, NOW + 120, "FIRM_CHAT_ID not set")
    user_row = store.enqueue("user", "text", {"text": "x"}, NOW, enquiry)
    store.mark_retry(user_row, NOW + 120, "network")
    assert store.due(NOW + 1) == []
    assert store.retry_now(NOW + 1, "firm") == 1 and [r.id for r in store.due(NOW + 1)] == [card.id]
    assert store.retry_now(NOW + 1) == 1
