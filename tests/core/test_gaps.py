"""Grouping unanswered questions and exporting them, with plain strings."""

from __future__ import annotations

import csv
import io
import textwrap

import yaml

from bot.core.gaps import CSV_COLUMNS, find_gaps, summary_lines, to_csv, to_yaml
from bot.core.model import LoggedQuestion

DOGS = ["我的狗丢了怎么办", "狗狗走丢了怎么找", "我的狗丢了怎么办"]
STOCKS = ["股票怎么买", "怎么买股票比较好"]
DIVORCE = ["离婚孩子抚养权归谁", "离婚了孩子归谁", "離婚了孩子歸誰"]


def logged(texts, decision="none", user=""):
    return [LoggedQuestion(t, decision, user or f"u{i}") for i, t in enumerate(texts)]


def test_similar_questions_form_groups_biggest_first(min_matcher):
    rows = logged(DOGS) + logged(STOCKS, "clarify") + logged(DIVORCE) + logged(["明天天气怎么样"])
    report = find_gaps(rows, min_matcher)
    assert report.total == 9
    groups = [{p.text for p in g.phrasings} for g in report.gaps]
    # Traditional input joins its Simplified twin (same normalised text, counted twice).
    assert groups[:2] in (
        [{"离婚孩子抚养权归谁", "离婚了孩子归谁"}, {"我的狗丢了怎么办", "狗狗走丢了怎么找"}],
        [{"我的狗丢了怎么办", "狗狗走丢了怎么找"}, {"离婚孩子抚养权归谁", "离婚了孩子归谁"}],
    )
    assert [g.size for g in report.gaps] == [3, 3, 2, 1]
    assert {p.text for p in report.gaps[2].phrasings} == set(STOCKS)
    assert report.gaps[2].decisions == (("clarify", 2),)
    dogs = next(g for g in report.gaps if "狗狗走丢了怎么找" in {p.text for p in g.phrasings})
    assert dogs.phrasings[0].text == "我的狗丢了怎么办" and dogs.phrasings[0].count == 2
    assert dogs.users == 3
    same_asker = find_gaps([LoggedQuestion(t, "none", "same") for t in DOGS], min_matcher)
    assert same_asker.gaps[0].size == 3 and same_asker.gaps[0].users == 1
    for gap in report.gaps:
        assert gap.closest_entry in {e.id for e in min_matcher.kb.entries}
        assert 0.0 <= gap.closest_score <= 1.0


def test_unrelated_questions_stay_apart(min_matcher):
    report = find_gaps(
        logged(["我的狗丢了怎么办", "股票怎么买", "明天天气怎么样", "离婚孩子归谁"]), min_matcher
    )
    assert [g.size for g in report.gaps] == [1, 1, 1, 1]


def test_a_choice_becomes_a_suggested_phrasing_unless_the_entry_has_it(min_matcher):
    rows = [
        LoggedQuestion("征信花了多久能好", "clarify", "a", chosen="credit-report-how-long"),
        LoggedQuestion("征信花了多久能好", "clarify", "b", chosen="credit-report-how-long"),
        LoggedQuestion("逾期记录多久能消除", "clarify", "c", chosen="credit-report-how-long"),  # known
        LoggedQuestion("我的狗丢了怎么办", "none", "d"),
    ]
    report = find_gaps(rows, min_matcher)
    assert [g.phrasings[0].text for g in report.gaps] == ["我的狗丢了怎么办"]
    (suggestion,) = report.suggestions
    assert suggestion.entry == "credit-report-how-long" and suggestion.title == "逾期记录在征信上保留多久？"
    assert [(p.text, p.count, p.users) for p in suggestion.phrasings] == [("征信花了多久能好", 2, 2)]


def test_empty_and_symbol_only_questions_are_skipped(min_matcher):
    report = find_gaps(logged(["", "？？？", "😀"]), min_matcher)
    assert report.gaps == () and report.suggestions == ()


def test_csv_has_one_row_per_distinct_question(min_matcher):
    rows = [
        *logged(DOGS),
        LoggedQuestion("征信花了多久能好", "clarify", "x", chosen="credit-report-how-long"),
    ]
    report = find_gaps(rows, min_matcher)
    table = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert tuple(table[0].keys()) == CSV_COLUMNS
    gaps = [r for r in table if r["kind"] == "gap"]
    assert {r["question"] for r in gaps} == {"我的狗丢了怎么办", "狗狗走丢了怎么找"}
    assert {r["group"] for r in gaps} == {"1"} and {r["group_size"] for r in gaps} == {"3"}
    assert all(r["entry"] and float(r["score"]) >= 0 for r in gaps)
    (suggestion,) = [r for r in table if r["kind"] == "suggestion"]
    assert suggestion["entry"] == "credit-report-how-long" and suggestion["question"] == "征信花了多久能好"


def test_yaml_blocks_paste_into_an_entry(min_matcher):
    awkward = ['他说"明天来": 怎么办', "- 开头是横线", "#号开头", "[手机***5678] 天天打电话"]
    rows = (
        logged(DOGS)
        + logged(awkward)
        + [LoggedQuestion("征信花了多久能好", "clarify", "x", chosen="credit-report-how-long")]
    )
    report = find_gaps(rows, min_matcher)
    text = to_yaml(report)
    blocks = [b for b in text.split("\n\n")[1:]]
    assert len(blocks) == 1 + len(report.gaps)
    assert blocks[0].startswith("# Suggested for entry 'credit-report-how-long'")
    parsed = [yaml.safe_load(textwrap.dedent("\n".join(b.splitlines()[1:]))) for b in blocks]
    assert parsed[0] == {"questions": ["征信花了多久能好"]}
    found = [q for p in parsed[1:] for q in p["questions"]]
    assert sorted(found) == sorted({*DOGS, *awkward})
    # Pasted under an entry, the block is that entry's `questions` key.
    entry = "- id: new-entry\n  topic: door-visit\n" + "\n".join(blocks[1].splitlines()[1:])
    assert yaml.safe_load(entry)[0]["questions"]


def test_summary_lines_for_the_terminal(min_matcher):
    lines = summary_lines(find_gaps(logged(DOGS), min_matcher))
    assert lines[0].startswith("3 logged questions: 1 unanswered groups")
    assert "我的狗丢了怎么办" in lines[1] and "→" in lines[1]
