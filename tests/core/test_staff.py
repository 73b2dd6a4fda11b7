"""Which text `/answer <words>` answers: the message with the words, or the words alone."""

from __future__ import annotations

from bot.core.matcher import Matcher, MatchSettings
from bot.core.staff import staff_question


def test_message_alone_and_words_alone(real_matcher):
    assert staff_question(real_matcher, " 催收说要上门合法吗 ", "") == "催收说要上门合法吗"
    assert staff_question(real_matcher, "", " 上门 ") == "上门"
    assert staff_question(real_matcher, "", "") == ""


def test_clear_combination_is_kept(real_matcher):
    assert staff_question(real_matcher, "催收说明天要上门来我家", "合法吗") == "催收说明天要上门来我家 合法吗"


def test_decisive_words_win_over_a_vague_message(real_kb):
    # A cautious matcher (no outright answers) makes the combination undecided, so the
    # more decisive of the two texts must be chosen.
    cautious = Matcher(real_kb, MatchSettings(answer_at=1.1))
    assert cautious.match("我好害怕，怎么办 上门").decision != "answer"
    assert staff_question(cautious, "我好害怕，怎么办", "上门") == "上门"


def test_words_that_help_nothing_keep_the_message(real_matcher):
    message = "催收说要上门，天天打电话，我该怎么办"
    result = staff_question(real_matcher, message, "嗯")
    assert result.startswith(message)
