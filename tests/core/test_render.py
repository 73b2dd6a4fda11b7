"""Light markup -> safe Telegram HTML; splitting long messages."""

from bot.core.htmltext import visible_length
from bot.core.render import AnswerExtras, markup_to_html, markup_to_plain, render_entry, split_message


def test_markup_is_escaped_then_bolded():
    assert markup_to_html("**注意** <script>&") == "<b>注意</b> &lt;script&gt;&amp;"
    assert markup_to_html("- 第一\n- 第二") == "• 第一\n• 第二"
    assert markup_to_plain("**注意**：x") == "注意：x"


def test_rendered_entry_folds_the_basis_and_ends_with_one_footer_line(min_kb):
    entry = min_kb.entry("door-visit-lawful")
    text = render_entry(entry, min_kb)
    assert text.startswith("<b>催收可以上门吗？</b>\n<b>直接回答：</b> 上门本身不违法")
    shown, folded = text.split("<blockquote expandable>")
    assert "2. 对方赖着不走可以报警。" in shown and "法律依据" not in shown
    assert "<b>法律依据：</b>\n• 《宪法》第三十九条</blockquote>" in folded
    # One footer line: the disclaimer and 12348; the firm only behind the lawyer button.
    assert text.splitlines()[-1] == f"{min_kb.firm.disclaimer}免费法律咨询可拨 12348。"
    assert min_kb.firm.name not in text


def test_lender_note_and_concerns_and_english_lead(min_kb):
    extras = AnswerExtras(
        english_topic="Home visits", concerns=("要上门", "征信"), lender="光大银行", lender_note="先向银行投诉。"
    )
    lines = render_entry(min_kb.entry("door-visit-lawful"), min_kb, extras=extras).splitlines()
    assert lines[0].startswith("<i>Home visits. The answer is in Chinese;")
    assert lines[1].startswith("您提到：要上门、征信。")
    assert lines[-2] == "ℹ️ 光大银行：先向银行投诉。"


def test_console_answer_shows_the_fold_as_a_quote(min_kb):
    text = render_entry(min_kb.entry("door-visit-lawful"), min_kb, as_html=False)
    assert "│ 法律依据：\n│ • 《宪法》第三十九条" in text and "<" not in text


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
