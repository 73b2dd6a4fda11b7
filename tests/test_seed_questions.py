"""The law firm's own article titles are answered outright, with the right topic."""

from __future__ import annotations

import pytest

SEEDS = [
    ("银行的催收要上门如何处理？", {"door-visit"}),
    ("银行逾期催收要求12点前还款合法吗", {"noon-deadline"}),
    ("光大银行逾期催收要求今天12点前达到最低还款金额,否则强一次性还清怎么办?", {"noon-deadline", "full-repayment-demand"}),
    ("宁波银行催收要上门怎么办？", {"door-visit"}),
    ("金条欠9000要上门如何处理", {"door-visit"}),
    ("交通银行催收要上门", {"door-visit"}),
    ("广大信用卡催收上门如何处理", {"door-visit"}),
    ("支付宝催收打电话要上门如何进行投诉？", {"complaint", "door-visit"}),
    ("借呗催收要上门怎么办？", {"door-visit"}),
    ("催收公司能代表银行做决定吗", {"collector-identity"}),
]


@pytest.mark.parametrize(("question", "topics"), SEEDS)
def test_seed_question_is_answered_outright(real_matcher, question, topics):
    result = real_matcher.match(question)
    assert result.decision == "answer", (question, result.confidence, result.candidates)
    assert result.best.topic in topics


def test_the_off_topic_article_on_the_same_page_gets_nothing(real_matcher):
    assert real_matcher.match("郴州公路施工作业验收要办多久完成").decision == "none"


def test_lender_and_amount_do_not_pull_the_answer(real_matcher):
    # The same question about different lenders and amounts lands on the same topic.
    base = real_matcher.match("催收要上门怎么办")
    for variant in ["交通银行催收要上门怎么办", "金条欠9000催收要上门怎么办", "借呗欠了三万二催收要上门怎么办"]:
        assert real_matcher.match(variant).best.topic == base.best.topic == "door-visit", variant
