"""The lawyer thread's policy: which messages are first offered to the lawyer."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.dialog import Dialog
from bot.core.messages import Texts
from bot.core.thread import THREAD_DAYS, offer, offer_to_lawyer, open_threads, parse, reads_as_reply

DAY = 86400.0
NOW = 1_800_000_000.0


@dataclass(frozen=True)
class E:
    id: int
    ref: str
    status: str
    updated_at: float


def test_open_threads_are_recent_open_and_newest_first():
    enquiries = [
        E(1, "AAAAAA", "answered", NOW - 3 * DAY),
        E(2, "BBBBBB", "closed", NOW - DAY),
        E(3, "CCCCCC", "taken", NOW - DAY),
        E(4, "DDDDDD", "open", NOW - (THREAD_DAYS + 1) * DAY),
    ]
    assert [e.ref for e in open_threads(enquiries, NOW)] == ["CCCCCC", "AAAAAA"]


@pytest.fixture(scope="module")
def dialog(real_kb, real_matcher) -> Dialog:
    return Dialog(real_kb, real_matcher)


@pytest.mark.parametrize(
    "text", ["好的，明天上午可以", "好的", "谢谢律师", "可以", "下午3点有空", "那我需要准备什么材料"]
)
def test_replies_and_unanswerable_messages_are_offered(dialog, text):
    threads = [E(1, "AAAAAA", "answered", NOW)]
    result = dialog.matcher.match(text)
    assert offer_to_lawyer(text, result, threads), (text, result.decision, result.smalltalk)
    assert not offer_to_lawyer(text, result, []), "no open enquiry: answered as usual"


def test_a_clear_new_question_is_answered_and_a_photo_is_offered(dialog):
    threads = [E(1, "AAAAAA", "answered", NOW)]
    question = "催收说明天要上门来我家，这合法吗？"
    result = dialog.matcher.match(question)
    assert result.decision == "answer"
    # 明天 is a day word, but a longer question answered outright stays a question.
    assert not reads_as_reply(question, result) and not offer_to_lawyer(question, result, threads)
    assert offer_to_lawyer("", None, threads, has_photo=True)


def test_the_offer_names_the_enquiry_and_several_are_a_choice(real_kb):
    t = Texts(real_kb.messages)
    one = offer([E(7, "K7P3QX", "answered", NOW)], t)
    assert one.text == "发给律师（咨询 #K7P3QX）吗？"
    assert [(b.label, b.action) for row in one.buttons for b in row] == [
        ("发给律师", "h:s:7"),
        ("这是新问题", "h:n"),
    ]
    several = offer([E(9, "NEWEST", "open", NOW), E(7, "OLDER1", "answered", NOW - DAY)], t)
    assert [b.action for row in several.buttons for b in row] == ["h:s:9", "h:s:7", "h:n"]
    assert "NEWEST" in several.buttons[0][0].label
    assert parse("h:s:9") == 9 and parse("h:n") == 0
    assert parse("h:s:x") is None and parse("h:s:") is None and parse(None) is None
