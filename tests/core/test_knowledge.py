"""Loading and validating knowledge files, with exact file:line errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeError, load_knowledge
from tests.conftest import FIXTURES


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(directory)
    return [str(p) for p in info.value.problems]


def test_minimal_knowledge_base_loads(min_kb):
    assert [t.id for t in min_kb.topics] == ["door-visit", "credit-report", "legal-help"]
    entry = min_kb.entry("door-visit-lawful")
    assert entry is not None
    assert entry.topic == "door-visit"
    assert len(entry.questions) == 6
    assert entry.legal_basis == ("《宪法》第三十九条",)
    assert entry.source == "kb_min/entries/basics.yaml:1"
    assert min_kb.synonyms["zx"] == "征信"
    assert min_kb.firm.phone == ""


def test_bad_knowledge_base_reports_every_problem_with_file_and_line():
    found = problems_of(FIXTURES / "kb_bad")
    expected = [
        "kb_bad/entries/broken.yaml:3: YAML syntax error: while scanning a quoted scalar; found unexpected end of stream",
        "kb_bad/entries/visits.yaml:4: entry 'door-visit-basics': questions: needs at least 6, has 2",
        "kb_bad/entries/visits.yaml:10: entry 'door-visit-basics': related: unknown entry id 'no-such-entry'",
        "kb_bad/entries/visits.yaml:12: entry 'door-visit-basics': duplicate id (first defined at kb_bad/entries/visits.yaml:1)",
        "kb_bad/entries/visits.yaml:12: entry 'door-visit-basics': missing required key 'questions'",
        "kb_bad/entries/visits.yaml:13: entry 'door-visit-basics': topic: unknown topic 'door-visits'; did you mean 'door-visit'?",
        "kb_bad/entries/visits.yaml:15: entry 'door-visit-basics': unknown key 'question'; did you mean 'questions'?",
        "kb_bad/entries/visits.yaml:17: entry 'door-visit-basics': answer: contains an HTML tag; write **bold** instead of HTML",
        "kb_bad/entries/visits.yaml:21: duplicate key 'reviewed' (only one is allowed; YAML would keep the last)",
        "kb_bad/entries/visits.yaml:24: entry 'yes-no-trap': title: must be text (YAML reads yes/no/on/off/true/false as a true/false value: put the text in quotes)",
        "kb_bad/entries/visits.yaml:25: entry 'yes-no-trap': questions: needs at least 6, has 5",
        "kb_bad/entries/visits.yaml:31: entry 'yes-no-trap': questions: item 6 must be non-empty text (YAML reads yes/no/on/off/true/false as a true/false value: put the text in quotes)",
        "kb_bad/entries/visits.yaml:36: entry 'yes-no-trap': reviewed: must be a date like 2026-11-29",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), f"missing: {line}\nfound:\n" + "\n".join(found)


def _copy_min(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(FIXTURES / "kb_min", target)
    return target


def test_over_long_answer_is_rejected(tmp_path):
    kb_dir = _copy_min(tmp_path)
    path = kb_dir / "entries" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("2. 对方赖着不走可以报警。", "2. " + "很长的回答。" * 400), encoding="utf-8")
    found = problems_of(kb_dir)
    assert len(found) == 1
    assert found[0].startswith("knowledge/entries/basics.yaml:12: entry 'door-visit-lawful': answer: ")
    assert "at most 1800" in found[0]


def test_too_many_legal_basis_items_are_rejected_at_their_line(tmp_path):
    kb_dir = _copy_min(tmp_path)
    path = kb_dir / "entries" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    items = "".join(f"    - 《民法典》第{n}条\n" for n in "一二三四五")
    path.write_text(text.replace("    - 《宪法》第三十九条\n", "    - 《宪法》第三十九条\n" + items, 1), encoding="utf-8")
    line = text.splitlines().index("  legal_basis:") + 1
    found = problems_of(kb_dir)
    assert found == [
        f"knowledge/entries/basics.yaml:{line}: entry 'door-visit-lawful': legal_basis: 6 items; at most 4"
        " — keep the most specific (articles of one law go in one item)"
    ]


def test_four_legal_basis_items_are_allowed(tmp_path):
    kb_dir = _copy_min(tmp_path)
    path = kb_dir / "entries" / "basics.yaml"
    text = path.read_text(encoding="utf-8")
    items = "".join(f"    - 《民法典》第{n}条\n" for n in "一二三")
    path.write_text(text.replace("    - 《宪法》第三十九条\n", "    - 《宪法》第三十九条\n" + items, 1), encoding="utf-8")
    entry = load_knowledge(kb_dir).entry("door-visit-lawful")
    assert entry is not None and len(entry.legal_basis) == 4


def test_missing_topics_file_and_bad_ids(tmp_path):
    kb_dir = _copy_min(tmp_path)
    (kb_dir / "topics.yaml").unlink()
    path = kb_dir / "entries" / "basics.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: legal-help-lawyer", "id: Legal Help"), encoding="utf-8"
    )
    found = problems_of(kb_dir)
    assert "knowledge/topics.yaml:1: file is missing" in found
    assert any("entry 'Legal Help': id: must be 3–48 lowercase letters" in p for p in found)


def test_entry_files_that_are_not_lists(tmp_path):
    kb_dir = _copy_min(tmp_path)
    (kb_dir / "entries" / "extra.yaml").write_text("id: lonely\n", encoding="utf-8")
    (kb_dir / "entries" / "empty.yaml").write_text("", encoding="utf-8")
    found = problems_of(kb_dir)
    assert "knowledge/entries/extra.yaml:1: must be a list of entries (each starting with '- id:')" in found
    assert any(p.startswith("knowledge/entries/empty.yaml:1: file is empty") for p in found)


def test_non_utf8_file_is_reported(tmp_path):
    kb_dir = _copy_min(tmp_path)
    (kb_dir / "entries" / "gbk.yaml").write_bytes("- id: 上门\n".encode("gbk"))
    found = problems_of(kb_dir)
    assert any(p.startswith("knowledge/entries/gbk.yaml:1: not UTF-8 text") for p in found)


def test_topic_without_entries_is_a_warning_not_an_error(tmp_path):
    kb_dir = _copy_min(tmp_path)
    with (kb_dir / "topics.yaml").open("a", encoding="utf-8") as f:
        f.write("- id: lawsuit\n  zh: 被起诉\n  en: Lawsuits\n  order: 4\n")
    kb = load_knowledge(kb_dir)
    topics = [str(w) for w in kb.warnings if "topics.yaml" in w.path]
    assert topics == ["knowledge/topics.yaml:1: topic 'lawsuit' has no entries"]


def test_recogniser_files_are_validated_with_file_and_line(tmp_path):
    kb_dir = _copy_min(tmp_path)
    (kb_dir / "lenders.yaml").write_text(
        "types:\n"
        "  - id: bank\n"
        "    zh: 银行\n"
        "    en: bank\n"
        "    note: 先向银行投诉。\n"
        "lenders:\n"
        "  - name: 光大银行\n"
        "    type: banq\n"
        "  - name: 花呗\n"
        "    type: bank\n"
        "    variants: [光大银行]\n"
        "    colour: red\n"
        "  - {name: 借呗, type: bank, generic: maybe}\n",
        encoding="utf-8",
    )
    (kb_dir / "who_where.yaml").write_text(
        "who:\n  父母: [爸妈]\n  长辈: [爸妈]\nwhen: {}\n", encoding="utf-8"
    )
    (kb_dir / "smalltalk.yaml").write_text("greeting: [你好, yes]\nhello: [hi]\n", encoding="utf-8")
    (kb_dir / "synonyms.yaml").write_text(
        (kb_dir / "synonyms.yaml").read_text(encoding="utf-8") + "网贷: [花呗]\n", encoding="utf-8"
    )
    found = problems_of(kb_dir)
    expected = [
        "knowledge/lenders.yaml:8: lender '光大银行': type: unknown type 'banq'; use one of bank",
        "knowledge/lenders.yaml:9: '光大银行' is listed under both '光大银行' and '花呗'",
        "knowledge/lenders.yaml:12: lender '花呗': unknown key 'colour'",
        "knowledge/lenders.yaml:13: lender '借呗': generic: must be true or false",
        "knowledge/who_where.yaml:3: '爸妈' is listed under both '父母' and '长辈'",
        "knowledge/who_where.yaml:4: unknown key 'when'",
        "knowledge/smalltalk.yaml:1: greeting: item 2 must be non-empty text (YAML reads yes/no",
        "knowledge/smalltalk.yaml:2: unknown key 'hello'",
        "knowledge/synonyms.yaml:",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), f"missing: {line}\nfound:\n" + "\n".join(found)
    assert any("variant '花呗' is also in lenders.yaml" in p for p in found)
