"""knowledge/messages.yaml: the bot's own texts, validated with file and line, rendered once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.messages import SPECS, Texts
from bot.core.model import Message


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE, target)
    return target


def _problems(kb_dir: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    return [str(p) for p in info.value.problems]


def _line(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


def test_every_mistake_is_reported_with_its_line(tmp_path):
    kb_dir = _copy(tmp_path)
    path = kb_dir / "messages.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("feedback.thanks:", "feedback.thank:")  # a typo in a key
    text = text.replace("  zh: 您好！有关欠款催收的问题", "  zh: <b>您好</b>！{name}有关欠款催收的问题")
    text = text.replace('  zh: "**{step}/{steps}** 逾期多久了？（可跳过）"', '  zh: "**{step}** 逾期多久了？（可跳过）"')
    text = text.replace("button.skip:\n  zh: 跳过", "button.skip:\n  zh: 跳过这一步，以后再说也都可以的")
    text = text.replace("none:\n  zh: |\n    这个问题", "none:\n  zh: |\n    {这个问题")
    text = text.replace("button.confirm:\n  zh: 确认发送", "button.confirm:\n  zh: yes")
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    at = {key: lines.index(key) + 1 for key in ("feedback.thank:", "button.confirm:")}
    greeting = lines.index("  zh: <b>您好</b>！{name}有关欠款催收的问题，直接打字问我就行，比如“催收说要上门怎么办”。很多人问的是：") + 1
    overdue = lines.index('  zh: "**{step}** 逾期多久了？（可跳过）"') + 1
    skip = lines.index("  zh: 跳过这一步，以后再说也都可以的") + 1
    found = _problems(kb_dir)
    where = "knowledge/messages.yaml"
    expected = [
        f"{where}:{at['feedback.thank:']}: unknown message 'feedback.thank'; did you mean 'feedback.thanks'?",
        f"{where}:1: missing message 'feedback.thanks'",
        f"{where}:{greeting}: 'smalltalk.greeting': zh: unknown placeholder {{name}} (this text can use: none)",
        f"{where}:{greeting}: 'smalltalk.greeting': zh: contains an HTML tag; texts are escaped",
        f"{where}:{overdue}: 'intake.overdue': zh: must keep the placeholder {{steps}}",
        f"{where}:{skip}: 'button.skip': zh: button label '跳过这一步，以后再说也都可以的' has 15 characters; at most 14",
        f"{where}:{at['button.confirm:'] + 1}: 'button.confirm': zh: must be text (YAML reads yes/no",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), f"missing: {line}\nfound:\n" + "\n".join(found)
    assert any("'none': zh: a { or } that is not a placeholder" in p for p in found)


def test_missing_file_and_unknown_language(tmp_path):
    kb_dir = _copy(tmp_path)
    path = kb_dir / "messages.yaml"
    text = path.read_text(encoding="utf-8").replace("  en: Ask a lawyer\n", "  fr: Avocat\n", 1)
    path.write_text(text, encoding="utf-8")
    found = _problems(kb_dir)
    assert any("'button.lawyer': unknown language 'fr'; use zh: and en:" in p for p in found)
    path.unlink()
    assert _problems(kb_dir)[0].startswith("knowledge/messages.yaml:1: file is missing")


def test_an_english_only_text_needs_english(tmp_path):
    kb_dir = _copy(tmp_path)
    path = kb_dir / "messages.yaml"
    line = _line(path, "answer.english_lead:")
    text = path.read_text(encoding="utf-8").replace("answer.english_lead:\n  en:", "answer.english_lead:\n  zh:")
    path.write_text(text, encoding="utf-8")
    assert f"knowledge/messages.yaml:{line}: 'answer.english_lead': needs a en: text" in _problems(kb_dir)


def test_values_are_escaped_once_and_markup_applies_to_the_text_only():
    messages = {"welcome": Message("**您好**，{firm} & 我们"), "help": Message("帮助", "Help **now**")}
    t = Texts(messages)
    assert t("welcome", firm="<A&B> **x**") == "<b>您好</b>，&lt;A&amp;B&gt; **x** &amp; 我们"
    assert Texts(messages, as_html=False)("welcome", firm="<A>") == "您好，<A> & 我们"
    assert Texts(messages, "en")("help", firm="") == "Help <b>now</b>"
    assert Texts(messages, "en")("welcome", firm="F") == "<b>您好</b>，F &amp; 我们"  # no English: Chinese
    assert t.label("welcome", firm="<A>") == "您好，<A> & 我们"  # button labels are never HTML


def test_the_bundled_texts_all_render(real_kb):
    assert set(real_kb.messages) == set(SPECS)
    for lang in ("zh", "en"):
        t = Texts(real_kb.messages, lang)
        for key, names in SPECS.items():
            text = t(key, **{name: "x" for name in names})
            assert text.strip() and "{" not in text, key
