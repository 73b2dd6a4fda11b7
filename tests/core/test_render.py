"""Light markup -> safe Telegram HTML; splitting long messages."""

from bot.core.htmltext import visible_length
from bot.core.render import markup_to_html, markup_to_plain, render_entry, split_message


def test_markup_is_escaped_then_bolded():
    assert markup_to_html("**注意** <script>&") == "<b>注意</b> &lt;script&gt;&amp;"
    assert markup_to_html("- 第一\n- 第二") == "• 第一\n• 第二"
    assert markup_to_plain("**注意**：x") == "注意：x"


def test_rendered_entry_has_basis_disclaimer_and_help(min_kb):
    entry = min_kb.entry("door-visit-lawful")
    text = render_entry(entry, min_kb)
    assert text.startswith("<b>催收可以上门吗？</b>")
    assert "<b>法律依据：</b>" in text and "《宪法》第三十九条" in text
    assert min_kb.firm.disclaimer in text
    assert "12348" in text and "/lawyer" in text


def test_split_keeps_parts_under_limit_and_loses_nothing():
    text = "\n".join(f"<b>第{i}段</b>" + "字" * 300 for i in range(40))
    parts = split_message(text, limit=4096)
    assert len(parts) > 1
    assert all(visible_length(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    assert all(p.count("<b>") == p.count("</b>") for p in parts)


def test_split_hard_cuts_a_single_huge_line():
    parts = split_message("字" * 9000, limit=4096)
    assert [len(p) for p in parts] == [4096, 4096, 808]
