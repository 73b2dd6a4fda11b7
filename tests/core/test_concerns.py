"""Several concerns in one message are each recognised."""

from __future__ import annotations

from bot.core.concerns import clauses


def test_clauses_cut_at_punctuation_and_new_points():
    assert clauses("催收说12点前不还就上门，还说要去老家找我爸妈") == ["催收说12点前不还就上门", "还说要去老家找我爸妈"]
    assert clauses("要我今天下午之前还清否则直接起诉我") == ["要我今天下午之前还清", "否则直接起诉我"]
    assert clauses("好，谢谢") == ["好谢谢"]  # fragments join their neighbour


def test_a_story_with_three_concerns_lists_them_main_first(real_matcher):
    story = "催收说今天中午12点前不还就上门，还说要去我老家找我爸妈和村委会，还说我这是诈骗要报警抓我"
    result = real_matcher.match(story)
    assert result.decision == "answer"
    topics = [c.topic for c in result.concerns]
    assert topics[0] == result.best.topic
    assert {"noon-deadline", "door-visit", "criminal-threats"} <= set(topics)
    assert len(topics) == len(set(topics))


def test_a_single_concern_has_no_list(real_matcher):
    assert real_matcher.match("催收说明天要上门，合法吗？我该怎么办").concerns == ()
    assert real_matcher.match("征信多久能恢复").concerns == ()
