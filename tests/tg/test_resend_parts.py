"""A message in several parts whose second part fails: a retry, and an admin's /resend, send only
the parts that did not arrive (each part is recorded on its outbox row as it is delivered)."""

from __future__ import annotations

from bot.storage import open_database
from tests.fakebotapi import FakeBotApi
from tests.tg.conftest import RunningBot, texts
from tests.tg.test_handoff import ADMIN, FIRM, LAWYER, A, submit_enquiry, to
from tests.tg.test_handoff import _timedelta_retry_after as _timedelta_retry_after  # autouse fixture
from tests.tg.test_handoff import firm_bot as firm_bot  # fixture
from tests.tg.test_operations import LONG, shown, wait_count


async def _lawyer_answers_at_full_length(api: FakeBotApi, ref: str) -> tuple[int, str]:
    card = await api.wait_for(to(FIRM, contains=f"#{ref}"))
    reply = ("可以要求对方提供书面的还款方案，并保留通话录音。" * 200)[:LONG]
    mark = len(api.calls)
    api.push_message(
        LAWYER,
        reply,
        chat_id=FIRM,
        chat_type="supergroup",
        reply_to=api.messages[(FIRM, card.result["message_id"])],
    )
    return mark, reply


def _parts_sent(api: FakeBotApi, mark: int) -> list[str]:
    return [shown(c) for c in api.calls[mark:] if c.method == "sendMessage" and c.params.get("chat_id") == A]


async def test_a_retry_after_part_two_failed_sends_only_part_two(api: FakeBotApi, firm_bot: RunningBot):
    ref, _ = await submit_enquiry(api, A, "我想协商还款")
    api.fail_next("sendMessage", 500, "Internal Server Error", chat_id=A, skip=1)
    mark, reply = await _lawyer_answers_at_full_length(api, ref)
    await api.wait_for(lambda c: c.method == "setMessageReaction", after=mark, timeout=15)
    failed = [
        c for c in api.calls[mark:] if c.method == "FAILED:sendMessage" and c.params.get("chat_id") == A
    ]
    parts = _parts_sent(api, mark)
    assert len(failed) == 1 and len(parts) == 2, "part 1 once, part 2 once (after one failure)"
    assert shown(failed[0]) == parts[1] != parts[0]
    assert reply in "".join(parts)


async def test_resend_of_a_message_whose_part_two_was_refused_sends_only_part_two(
    api: FakeBotApi, firm_bot: RunningBot
):
    ref, _ = await submit_enquiry(api, A, "我想协商还款")
    api.fail_next("sendMessage", 400, "Bad Request: message is not allowed", chat_id=A, skip=1)
    mark, reply = await _lawyer_answers_at_full_length(api, ref)
    reason = texts().plain("giveup.rejected")
    await api.wait_for(
        to(FIRM, contains=texts()("firm.undelivered_to_user", ref=ref, reason=reason)), after=mark
    )
    first = _parts_sent(api, mark)
    assert len(first) == 1, "part 1 arrived, part 2 was refused"
    database = open_database(firm_bot.settings.database_path)
    try:
        enquiry = database.enquiries.enquiry_by_ref(ref)
        assert enquiry is not None
        dead = [
            r for r in database.enquiries.rows_for(enquiry.id) if r.state == "dead" and r.target == "user"
        ]
        assert len(dead) == 1 and len(dead[0].sent_parts) == 1
    finally:
        database.close()

    resend = len(api.calls)
    done = await api.reply_to(ADMIN, f"/resend {ref}")
    assert done.params["text"] == texts()("resend.done", ref=ref, count=1)
    await api.wait_for(lambda c: c.method == "setMessageReaction", after=resend, timeout=15)
    again = await wait_count(api, A, 1, resend)
    assert len(again) == 1 and shown(again[0]) != first[0], "only part 2 is sent again"
    assert reply in first[0] + shown(again[0])
