"""One screen first: which lines of an answer are shown and which are folded."""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.answer_layout import MAX_VISIBLE_CHARS, layout, visible_chars
from bot.core.knowledge import KnowledgeError, load_knowledge

ANSWER = """**直接回答：** 可以不开门。
解释的一段话，放进折叠里。
**建议这样做：**
1. 第一步。
2. 第二步。
**注意保留：** 录音。"""


def test_direct_answer_and_steps_are_shown_the_rest_folded():
    parts = layout(ANSWER)
    assert parts.shown == ("**直接回答：** 可以不开门。", "**建议这样做：**", "1. 第一步。", "2. 第二步。")
    assert parts.folded == ("解释的一段话，放进折叠里。", "**注意保留：** 录音。")
    assert visible_chars("标题", ANSWER) == 2 + sum(len(x) + 1 for x in ("直接回答： 可以不开门。", "建议这样做：", "1. 第一步。", "2. 第二步。"))


def test_an_answer_without_steps_shows_its_first_line():
    parts = layout("**直接回答：** 一句话。\n- 要点一\n- 要点二")
    assert parts.shown == ("**直接回答：** 一句话。",)
    assert parts.folded == ("- 要点一", "- 要点二")


def test_every_bundled_answer_fits_one_screen(real_kb):
    sizes = [visible_chars(e.title, e.answer) for e in real_kb.entries]
    assert max(sizes) <= MAX_VISIBLE_CHARS
    # Every entry keeps its legal basis and something folded with it (nothing was dropped).
    assert all(layout(e.answer).folded for e in real_kb.entries)
    assert statistics.median(sizes) < MAX_VISIBLE_CHARS


def test_check_warns_about_a_long_first_screen_and_rejects_a_long_button(tmp_path: Path):
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, kb_dir)
    path = kb_dir / "entries" / "door-visit.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("1. 您有权不开门、不让对方进屋，可以隔着门沟通。", "1. " + "很长的一步。" * 40, 1)
    path.write_text(text, encoding="utf-8")
    kb = load_knowledge(kb_dir)
    line = text.splitlines().index("- id: door-visit-lawful") + 1
    assert any(
        str(w).startswith(f"knowledge/entries/door-visit.yaml:{line}: entry 'door-visit-lawful': the first screen")
        for w in kb.warnings
    )
    button = text.splitlines().index("  button: 上门催收合法吗") + 1
    path.write_text(text.replace("  button: 上门催收合法吗", "  button: 上门催收到底合法还是不合法呢我想知道"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    assert [str(p) for p in info.value.problems] == [
        f"knowledge/entries/door-visit.yaml:{button}: entry 'door-visit-lawful': button: '上门催收到底合法还是不合法呢我想知道'"
        " has 18 characters; at most 14 (phones cut longer labels)"
    ]


def test_bundled_buttons_and_concerns_are_short_and_distinct(real_kb):
    labels = [e.button for e in real_kb.entries]
    assert all(0 < len(label) <= 14 for label in labels) and len(set(labels)) == len(labels)
    assert all(0 < len(t.concern) <= 16 for t in real_kb.topics)
