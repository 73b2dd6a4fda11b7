"""👍/👎 buttons and their callback data; the /stats text."""

from __future__ import annotations

import datetime as dt

from bot.core.dialog import Button, Dialog, after_feedback, parse_action
from bot.core.matcher import Matcher
from bot.core.messages import Texts
from bot.core.stats import render_stats


def test_feedback_actions_parse_and_forgeries_do_not():
    up = parse_action("v:+:door-visit-lawful")
    assert (up.kind, up.entry_id, up.vote) == ("feedback", "door-visit-lawful", 1)
    assert parse_action("v:-:door-visit-lawful").vote == -1
    assert (parse_action("v:ok").kind, parse_action("v:ok").vote) == ("feedback", 0)
    for forged in [
        "v:",
        "v:+",
        "v:*:door-visit-lawful",
        "v:+:DROP TABLE",
        "v:+:" + "x" * 60,
        "v:ok:1",
        "v:-:ab",
    ]:
        assert parse_action(forged) is None, forged


def test_every_answer_has_feedback_buttons_within_64_bytes(min_kb):
    d = Dialog(min_kb, Matcher(min_kb))
    for entry in min_kb.entries:
        actions = [b.action for row in d.answer(entry.id).buttons for b in row]
        assert f"v:+:{entry.id}" in actions and f"v:-:{entry.id}" in actions and "l" in actions
        assert all(len(a.encode()) <= 64 and parse_action(a) is not None for a in actions)
    # The console shows a thank-you for them rather than the lawyer's details.
    assert d.act("v:+:door-visit-lawful").text == "谢谢您的反馈！"


def test_after_feedback_keeps_the_other_buttons(min_kb):
    rows = (
        (Button("相关", "a:credit-report-how-long"),),
        (Button("👍", "v:+:door-visit-lawful"), Button("👎", "v:-:door-visit-lawful")),
        (Button("问律师", "l"), Button("全部主题", "m:0")),
    )
    texts = Texts(min_kb.messages)
    up = after_feedback(rows, 1, texts)
    assert up[0] == rows[0] and up[2] == rows[2]
    assert [b.action for b in up[1]] == ["v:ok"]
    down = after_feedback(rows, -1, texts)
    # The lawyer button stays in the last row: no second lawyer label after 👎.
    assert [b.action for b in down[1]] == ["v:ok"] and down[2] == rows[2]


def test_stats_rates_days_top_entries_and_votes(min_kb):
    today = dt.date(2026, 3, 10)
    counts = [
        ("2026-03-10", "answer", "door-visit-lawful", 6),
        ("2026-03-10", "clarify", "", 2),
        ("2026-03-09", "answer", "credit-report-how-long", 1),
        ("2026-03-09", "none", "", 1),
        ("2026-03-09", "choice", "door-visit-lawful", 1),
        ("2026-01-01", "none", "", 50),  # outside the window
    ]
    text = render_stats(counts, [("door-visit-lawful", 3, 1)], lambda e: f"T<{e}>", today, Texts(min_kb.messages), days=14)
    assert "提问 10：回答 7（70%） · 请选择 2（20%） · 无回答 1（10%）" in text
    assert "“您是想问”被点选：1 次" in text
    assert "2026-03-10  8：6/2/0" in text and "2026-03-09  2：1/0/1" in text
    assert text.index("6 × T&lt;door-visit-lawful&gt;") < text.index("1 × T&lt;credit-report-how-long&gt;")
    assert "👍 3 👎 1  T&lt;door-visit-lawful&gt;（door-visit-lawful）" in text


def test_stats_without_data(min_kb):
    text = render_stats([], [], str, dt.date(2026, 3, 10), Texts(min_kb.messages))
    assert "没有收到提问" in text and "还没有反馈" in text
