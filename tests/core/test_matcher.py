"""The three outcomes, Traditional input, synonyms and typos, on the small fixture base."""

from bot.core.matcher import Matcher, MatchSettings, extract_features


def test_features_are_character_ngrams_and_words():
    feats = extract_features("上门催收 hello the")
    assert feats["上门"] == 1 and feats["上门催"] == 1 and feats["收"] == 1
    assert feats["hello"] == 1 and "the" not in feats


def test_confident_answer(min_matcher):
    result = min_matcher.match("催收说明天要上门来我家，合法吗")
    assert result.decision == "answer"
    assert result.best.entry == "door-visit-lawful"
    assert len(result.candidates) == 3


def test_traditional_and_synonym_input(min_matcher):
    result = min_matcher.match("徵信上的逾期記錄要保留幾年")
    assert result.decision == "answer" and result.best.entry == "credit-report-how-long"
    result = min_matcher.match("zx不良记录保存多久")
    assert result.best.entry == "credit-report-how-long"


def test_out_of_scope_gets_none(min_matcher):
    for q in ["离婚以后孩子抚养权怎么判", "今天天气怎么样", "asdfgh", "🙂🙂", ""]:
        result = min_matcher.match(q)
        assert result.decision == "none", q


def test_unsure_match_clarifies_between_close_entries(min_kb):
    # A strict answer margin forces "did you mean" when two credit-report entries compete.
    matcher = Matcher(min_kb, MatchSettings(answer_at=1.1, clarify_at=0.0, clarify_window=1.0))
    result = matcher.match("征信记录")
    assert result.decision == "clarify"
    options = matcher.clarify_options(result)
    # One button per topic first: every entry is within the (wide) window here.
    assert options[0].topic == "credit-report"
    assert len({c.topic for c in options}) == len(options) == 3


def test_clarify_offers_siblings_when_only_one_topic_is_close(min_kb):
    matcher = Matcher(min_kb, MatchSettings(answer_at=1.1, clarify_at=0.0, clarify_window=0.3))
    result = matcher.match("征信记录")
    options = matcher.clarify_options(result)
    assert {c.entry for c in options} >= {"credit-report-how-long", "credit-report-objection"}


def test_long_rant_is_bounded_and_still_matched(min_matcher):
    text = "他们天天打电话" * 50 + "还说明天要上门来我家堵我" + "😡" * 3000
    result = min_matcher.match(text)
    assert result.decision in ("answer", "clarify", "none")
    assert len(result.candidates) == 3


def test_every_entry_phrasing_finds_its_entry(min_kb, min_matcher):
    for entry in min_kb.entries:
        for q in entry.questions:
            result = min_matcher.match(q)
            assert result.decision in ("answer", "clarify"), q
            assert result.best.entry == entry.id, q
