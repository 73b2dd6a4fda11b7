"""What typed messages get, on the bundled knowledge base and the production matcher."""

from __future__ import annotations

import html
import re

import pytest

from bot.core.asking import looks_english
from bot.core.dialog import Dialog

STORY = "催收说今天12点前不还就上门，还说要去老家找我爸妈，说我涉嫌诈骗要坐牢"


@pytest.fixture(scope="module")
def dialog(real_kb, real_matcher) -> Dialog:
    return Dialog(real_kb, real_matcher)


def actions(reply) -> list[str]:
    return [b.action for row in reply.buttons for b in row]


def labels(reply) -> list[str]:
    return [b.label for row in reply.buttons for b in row]


@pytest.mark.parametrize(
    ("text", "kind", "needle"),
    [
        ("你好", "greeting", "直接打字问我"),
        ("谢谢", "thanks", "不客气"),
        ("好的", "ack", "好的"),
        ("哈哈哈", "laughter", "😊"),
        ("你是机器人吗", "about", "不是真人"),
        ("6", "noise", "请用文字写下您的问题"),
    ],
)
def test_small_talk_gets_a_short_reply_without_the_footer(dialog, real_kb, text, kind, needle):
    reply = dialog.ask(text)
    assert reply.kind == "smalltalk" and reply.match is not None and reply.match.smalltalk == kind
    assert needle in reply.text
    assert real_kb.firm.disclaimer not in reply.text and "抱歉" not in reply.text
    assert len(reply.text) < 200


def test_a_greeting_offers_three_topics_and_thanks_the_lawyer(dialog):
    greeting = dialog.ask("您好")
    assert [a for a in actions(greeting) if a.startswith("t:")] == [
        "t:noon-deadline:0",
        "t:door-visit:0",
        "t:contacts-harassment:0",
    ]
    thanks = dialog.ask("谢谢你")
    assert "/lawyer" in thanks.text and "l" in actions(thanks)


def test_did_you_mean_opens_calmly_and_lists_the_options_as_text(dialog, real_kb):
    reply = dialog.ask("征信")
    assert reply.kind == "clarify"
    lines = reply.text.splitlines()
    assert lines[0] == "别着急，我想先确认一下您问的是哪一个："
    chosen = [a[2:] for a in actions(reply) if a.startswith("c:")]
    assert 2 <= len(chosen) <= 3
    for number, entry_id in enumerate(chosen, 1):
        assert f"{number}. {real_kb.entry(entry_id).title}" in lines
    assert labels(reply)[-2:] == ["问律师", "全部主题"]


def test_several_concerns_answer_the_main_one_and_offer_the_others(dialog, real_kb):
    reply = dialog.ask(STORY)
    concerns = reply.match.concerns
    assert len(concerns) >= 2 and reply.entry_id == concerns[0].entry
    first = reply.text.splitlines()[0]
    named = [real_kb.topic(c.topic).concern for c in concerns]
    assert first.startswith("您提到：" + "、".join(named) + "。")
    offered = [a[2:] for a in actions(reply) if a.startswith("a:")]
    assert offered[: len(concerns) - 1] == [c.entry for c in concerns[1:]]
    assert len(offered) <= 3


def test_a_named_lender_adds_the_note_of_its_kind(dialog, real_kb):
    reply = dialog.ask("光大银行催收说要上门，合法吗")
    assert reply.kind == "answer" and reply.match.facts.lender_type[0] == "bank"
    note = real_kb.lender_type("bank").note
    assert f"ℹ️ 光大银行：{note}" in reply.text
    plain = dialog.ask("催收说要上门，合法吗")
    assert "ℹ️" not in plain.text


def test_english_question_gets_the_chinese_answer_with_an_english_lead(dialog):
    reply = dialog.ask("The collector swore at me and threatened to hurt me. Can I report him?")
    assert reply.kind == "answer"
    assert reply.text.startswith("<i>Abusive or incessant calls. The answer is in Chinese;")
    assert "Ask a lawyer" in labels(reply) and "👍 Helpful" in labels(reply)


def test_looks_english():
    assert looks_english("The collector swore at me, 骂我全家, and threatened to hurt me")
    assert not looks_english("花呗逾期了被cs骂得狗血淋头，能投诉吗")
    assert not looks_english("ok")


def test_first_screen_of_an_answer_is_short(dialog):
    reply = dialog.ask("催收说明天要上门来我家，这合法吗？")
    shown = html.unescape(re.sub(r"<[^>]+>", "", reply.text.split("<blockquote expandable>")[0]))
    assert reply.kind == "answer" and len(shown) <= 450
    assert all(len(label) <= 14 for label in labels(reply))
