"""The outbox's policy, decided on plain values (bot/core/delivery.py)."""

import pytest

from bot.core.delivery import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    TIMED_OUT,
    TOO_LONG,
    Document,
    Failure,
    GiveUp,
    Parts,
    Policy,
    Retry,
    WaitForChat,
    after_failure,
    plan_caption,
    plan_text,
    waits_for_card,
)
from bot.core.htmltext import visible_length, visible_text

POLICY = Policy(backoff_base=2.0, backoff_cap=300.0, unreachable_retry=120.0, max_parts=3)
NOW = 1000.0


def decide(target, kind, attempts=1, last_error="", detail="x", retry_after=0.0):
    return after_failure(target, Failure(kind, detail, retry_after), attempts, last_error, POLICY, NOW)


def test_flood_waits_as_long_as_telegram_asks():
    assert decide("firm", "flood", retry_after=7) == Retry(NOW + 7.5, "429 retry after 7")


@pytest.mark.parametrize(("attempts", "delay"), [(1, 2.0), (2, 4.0), (3, 8.0), (20, 300.0)])
def test_network_errors_back_off_exponentially_up_to_the_cap(attempts, delay):
    assert decide("user", "network", attempts) == Retry(NOW + delay, "network: x")
    assert decide("firm", "timed_out", attempts) == Retry(NOW + delay, TIMED_OUT)


def test_jitter_scales_the_delay():
    outcome = after_failure("firm", Failure("network"), 1, "", POLICY, NOW, jitter=1.25)
    assert outcome == Retry(NOW + 2.5, "network: ")


def test_an_unreachable_firm_chat_is_waited_for_an_unreachable_borrower_given_up():
    assert decide("firm", "unreachable", detail="chat not found") == WaitForChat(
        NOW + 120.0, "firm unreachable: chat not found"
    )
    outcome = decide("user", "unreachable", detail="bot was blocked")
    assert isinstance(outcome, GiveUp) and outcome.reason == "unreachable"


def test_too_long_is_retried_once_as_a_file_then_given_up():
    assert decide("user", "too_long") == Retry(NOW, TOO_LONG)
    assert isinstance(decide("user", "too_long", last_error=TOO_LONG), GiveUp)


def test_other_refusals_are_given_up_and_unknown_errors_retried():
    assert isinstance(decide("firm", "rejected"), GiveUp)
    assert decide("firm", "unexpected", 2) == Retry(NOW + 4.0, "unexpected error")


def test_messages_about_an_enquiry_wait_for_its_card():
    assert waits_for_card("firm", is_card=False, card_delivered=False)
    assert not waits_for_card("firm", is_card=True, card_delivered=False)
    assert not waits_for_card("firm", is_card=False, card_delivered=True)
    assert not waits_for_card("user", is_card=False, card_delivered=False)


def test_a_full_length_relay_goes_in_two_parts():
    # Failure 1 of issue 12: 4,096 characters plus the relay's header were one message, refused.
    text = "<b>⚖️ 律所回复（咨询 #ABCDEF）</b>\n\n" + "好" * TEXT_LIMIT
    plan = plan_text(text, POLICY, note="见附件")
    assert isinstance(plan, Parts) and len(plan.parts) == 2
    assert all(visible_length(p) <= TEXT_LIMIT for p in plan.parts)
    assert plan.parts[0].startswith("<b>⚖️")


def test_too_many_parts_or_a_refusal_make_a_file():
    text = "<b>标题 &lt;1&gt;</b>\n" + "字" * (TEXT_LIMIT * 4)
    plan = plan_text(text, POLICY, note="见附件")
    assert isinstance(plan, Document)
    assert plan.body == visible_text(text)
    assert plan.caption == "<b>标题 &lt;1&gt;</b>\n见附件"
    assert isinstance(plan_text("短", POLICY, as_document=True), Document)


def test_a_long_caption_keeps_what_fits_and_the_rest_follows():
    assert plan_caption("<b>头</b>") == ("<b>头</b>", ())
    caption, rest = plan_caption("<b>💬 用户补充（#ABCDEF）</b>\n\n" + "字" * CAPTION_LIMIT)
    assert visible_length(caption) <= CAPTION_LIMIT and caption.startswith("<b>💬")
    assert len(rest) == 1 and visible_length(caption) + visible_length(rest[0]) >= CAPTION_LIMIT
