"""The conversation logic shared by Telegram and the console."""

from bot.core.dialog import Dialog, parse_action
from bot.core.matcher import Matcher


def make(kb):
    return Dialog(kb, Matcher(kb))


def test_parse_action_accepts_only_our_formats():
    assert parse_action("a:door-visit-lawful").entry_id == "door-visit-lawful"
    assert parse_action("c:door-visit-lawful").kind == "choice"
    assert parse_action("m:2").page == 2
    action = parse_action("t:credit-report:1")
    assert (action.kind, action.topic_id, action.page) == ("topic", "credit-report", 1)
    assert parse_action("l").kind == "lawyer" and not parse_action("l").with_question
    assert parse_action("l:q").with_question
    for forged in [
        None,
        "",
        "a:",
        "a:../../etc",
        "x:1",
        "m:-1",
        "t:credit-report",
        "a:" + "x" * 80,
        "l:1",
        "l:qq",
        "a:DROP TABLE",
    ]:
        assert parse_action(forged) is None, forged


def test_answer_has_related_and_lawyer_buttons(min_kb):
    reply = make(min_kb).answer("door-visit-lawful")
    actions = [b.action for row in reply.buttons for b in row]
    assert "a:credit-report-how-long" in actions and "l" in actions
    assert reply.kind == "answer" and reply.entry_id == "door-visit-lawful"


def test_unknown_entry_and_forged_action_are_invalid(min_kb):
    d = make(min_kb)
    assert d.answer("no-such-entry").kind == "invalid"
    assert d.act("a:no-such-entry").kind == "invalid"
    assert d.act("garbage").kind == "invalid"
    assert d.act("t:no-such-topic:0").kind == "invalid"
    assert d.act("l") is None


def test_fallback_points_to_legal_help_and_carries_the_question_to_the_lawyer(min_kb):
    reply = make(min_kb).ask("离婚孩子抚养权归谁")
    assert reply.kind == "none"
    assert "12348" in reply.text and "/topics" in reply.text
    assert [(b.label, b.action) for row in reply.buttons for b in row] == [("问律师", "l:q"), ("全部主题", "m:0")]


def test_deep_link_opens_answer_or_falls_back_to_welcome(min_kb):
    d = make(min_kb)
    assert d.start("credit-report-how-long").entry_id == "credit-report-how-long"
    assert d.start("nonsense").kind == "info"
    assert d.start(None, "en").text.startswith("<b>催收问答 · Debt-collection help</b>")


def test_topic_pages_and_menu(min_kb):
    d = make(min_kb)
    menu = d.topics_menu(0)
    actions = [b.action for row in menu.buttons for b in row]
    assert actions == ["t:door-visit:0", "t:credit-report:0", "t:legal-help:0"]
    page = d.topic_page("credit-report", 0)
    assert [(b.label, b.action) for row in page.buttons for b in row][:2] == [
        ("1. 征信记录留多久", "a:credit-report-how-long"),
        ("2. 征信异议", "a:credit-report-objection"),
    ]
    # The buttons carry short labels; the text lists the full titles.
    assert "1. 逾期记录在征信上保留多久？" in page.text
    # Out-of-range pages are clamped rather than failing.
    assert d.topics_menu(99).kind == "menu"


def test_console_dialog_is_plain_text(min_kb):
    d = Dialog(min_kb, Matcher(min_kb), as_html=False)
    text = d.answer("door-visit-lawful").text
    assert "<b>" not in text and "<blockquote" not in text and "法律依据：" in text


def test_answer_buttons_short_labels_one_lawyer_label(min_kb):
    reply = make(min_kb).answer("door-visit-lawful")
    rows = [[(b.label, b.action) for b in row] for row in reply.buttons]
    assert rows == [
        [("征信记录留多久", "a:credit-report-how-long")],
        [("👍 有帮助", "v:+:door-visit-lawful"), ("👎 没帮助", "v:-:door-visit-lawful")],
        [("问律师", "l"), ("全部主题", "m:0")],
    ]


def test_english_speakers_get_english_buttons_and_lead(min_kb):
    reply = make(min_kb).answer("door-visit-lawful", "en")
    first = reply.text.split("\n", 1)[0]
    assert first.startswith("<i>Home visits.") and "Ask a lawyer" in first
    labels = [b.label for row in reply.buttons for b in row]
    assert "Ask a lawyer" in labels and "All topics" in labels and "👍 Helpful" in labels
    assert "催收可以上门吗？" in reply.text  # the answer itself stays Chinese
