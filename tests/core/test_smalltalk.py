"""A question must carry content to be answered; everything else is small talk."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ok", "ack"),
        ("好的", "ack"),
        ("嗯嗯", "ack"),
        ("谢谢", "thanks"),
        ("太感谢了！", "thanks"),
        ("你好", "greeting"),
        ("在吗", "greeting"),
        ("你好，在吗？", "greeting"),
        ("哈哈哈哈", "laughter"),
        ("拜拜", "bye"),
        ("你是机器人吗", "about"),
        ("6", "noise"),
        ("1", "noise"),
        ("12", "noise"),
        ("😀😀😀", "noise"),
        ("？？？", "noise"),
        ("啊", "noise"),
        ("qpwoeiruty", "noise"),
        ("", "noise"),
    ],
)
def test_messages_without_content_are_small_talk_never_an_entry(real_matcher, text, kind):
    result = real_matcher.match(text)
    assert result.smalltalk == kind
    assert result.decision == "none"
    assert result.candidates == () and result.options == () and result.concerns == ()


@pytest.mark.parametrize("text", ["你好，催收说明天要上门怎么办", "谢谢。那他们打给我爸妈合法吗", "ok 那征信多久能恢复"])
def test_small_talk_around_a_question_does_not_hide_it(real_matcher, text):
    result = real_matcher.match(text)
    assert result.smalltalk is None
    assert result.decision == "answer"


def test_a_bare_keyword_is_offered_not_answered(real_matcher):
    # 征信 names a topic, not a question: "did you mean" with its entries.
    result = real_matcher.match("征信")
    assert result.decision == "clarify"
    assert {c.topic for c in real_matcher.clarify_options(result)} == {"credit-report"}
