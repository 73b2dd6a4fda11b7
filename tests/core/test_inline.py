"""Inline search: ranked entries for staff, common entries for an empty query, a lawyer item off-topic."""

from __future__ import annotations

import pytest

from bot.core.dialog import WELCOME_TOPICS
from bot.core.inline import LAWYER_ID, MAX_RESULTS, first_line, inline_results
from bot.core.render import TELEGRAM_LIMIT


def test_empty_query_lists_common_entries(real_kb, real_matcher):
    items = inline_results(real_kb, real_matcher, "  ")
    assert len(items) == MAX_RESULTS
    assert [real_kb.entry(i.id).topic for i in items[: len(WELCOME_TOPICS)]] == list(WELCOME_TOPICS)


@pytest.mark.parametrize(
    ("query", "topic"),
    [
        ("上门", "door-visit"),
        ("催收員說要來我家", "door-visit"),  # Traditional
        ("崔收说要上们", "door-visit"),  # typos
        ("征信", "credit-report"),  # the chat would ask "did you mean"; inline ranks anyway
    ],
)
def test_query_lists_the_best_entries_first(real_kb, real_matcher, query, topic):
    items = inline_results(real_kb, real_matcher, query)
    assert 1 <= len(items) <= MAX_RESULTS
    assert all(i.entry_id == i.id for i in items)
    assert real_kb.entry(items[0].id).topic == topic
    assert len({i.id for i in items}) == len(items)


def test_clarify_queries_list_several_entries(real_kb, real_matcher):
    # Which short query is "unsure" depends on tuning; inline must list several for any of them.
    vague = [
        q
        for q in ["征信", "催收", "逾期了怎么办", "利息", "律师", "还不上", "家人", "起诉", "钱", "怎么办"]
        if real_matcher.match(q).decision == "clarify"
    ]
    assert vague
    for q in vague:
        assert len(inline_results(real_kb, real_matcher, q)) >= 3, q


def test_item_inserts_the_full_answer_with_legal_basis(real_kb, real_matcher):
    for item in inline_results(real_kb, real_matcher, "上门"):
        entry = real_kb.entry(item.id)
        assert item.title == entry.title
        assert item.text.startswith(f"<b>{entry.title}</b>")
        assert "法律依据" in item.text and entry.legal_basis[0] in item.text
        assert len(item.text) <= TELEGRAM_LIMIT
        assert "**" not in item.description and item.description
        assert not item.description.startswith("直接回答")


def test_every_entry_fits_an_inline_message(real_kb, real_matcher):
    for entry in real_kb.entries:
        items = inline_results(real_kb, real_matcher, entry.title)
        assert items[0].id == entry.id, entry.id
        assert len(items[0].text) <= TELEGRAM_LIMIT


def test_out_of_scope_gets_only_the_lawyer(real_kb, real_matcher):
    items = inline_results(real_kb, real_matcher, "离婚了孩子抚养权归谁")
    assert [i.id for i in items] == [LAWYER_ID]
    assert real_kb.firm.name in items[0].title and real_kb.firm.name in items[0].text
    assert items[0].entry_id is None


def test_first_line_strips_markup_and_label():
    assert first_line("**直接回答：** 可以，**但是**要注意。\n第二行") == "可以，但是要注意。"
    assert first_line("\n\n- 第一点") == "• 第一点"
    long = first_line("很" * 200, limit=20)
    assert len(long) == 20 and long.endswith("…")
