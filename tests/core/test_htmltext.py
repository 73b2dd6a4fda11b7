"""Telegram HTML measured and split as Telegram counts it: never inside an entity or a tag."""

import html
import re

from bot.core.htmltext import split_html, units, visible_length, visible_text


def test_visible_length_counts_parsed_text_in_utf16_units():
    assert visible_length("<b>a&lt;b</b>") == 3
    assert visible_length("&amp;&#169;") == 2
    assert units("😭") == 2 and visible_length("<i>😭</i>字") == 3


def test_escaped_user_text_is_never_cut_inside_an_entity():
    # Failure 4 of issue 12: a long question of "<" became "…&lt;&l" + "t;…" at a part boundary.
    text = "<b>请确认要发给律所的内容</b>\n\n" + html.escape("<" * 5000 + "问题" + "&" * 3000)
    parts = split_html(text, 4096)
    assert len(parts) == 2
    for part in parts:
        assert visible_length(part) <= 4096
        assert not re.search(r"&(?!lt;|amp;)", part), "every & starts a whole entity"
    assert "".join(visible_text(p) for p in parts) == visible_text(text)


def test_a_tag_open_at_a_cut_is_closed_and_reopened():
    parts = split_html("<b>" + "字" * 5000 + "</b>", 4096)
    assert parts == ["<b>" + "字" * 4096 + "</b>", "<b>" + "字" * 904 + "</b>"]
    quoted = split_html("<blockquote expandable>" + "一\n" * 3000 + "</blockquote>尾", 4096)
    assert all(p.count("<blockquote") == p.count("</blockquote>") for p in quoted)
    assert quoted[1].startswith("<blockquote expandable>")


def test_parts_end_at_line_breaks_when_that_keeps_them_half_full():
    text = "\n".join(f"<b>第{i}段</b>" + "字" * 300 for i in range(40))
    parts = split_html(text, 4096)
    assert "\n".join(parts) == text
    assert all(visible_length(p) <= 4096 for p in parts)


def test_short_text_is_untouched():
    assert split_html("<b>x</b> &lt;", 4096) == ["<b>x</b> &lt;"]
