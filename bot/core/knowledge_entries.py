"""Reading and validating the entries (`knowledge/entries/*.yaml`), every problem with its line.

Same rules as the other readers (`bot.core.knowledge_files`); the cross-file checks (duplicate
ids, unknown topics and related ids) are in `bot.core.knowledge.load_knowledge`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.core.knowledge_files import (
    HTML_TAG,
    ID_PATTERN,
    MARKUP,
    Collector,
    check_keys,
    display_path,
    read_text,
    text_list,
)
from bot.core.model import Entry
from bot.core.yamlsource import LocatedDict, LocatedList, Problem, line_of, load_yaml

MIN_QUESTIONS = 6
MAX_TITLE_CHARS = 60
MIN_ANSWER_CHARS = 40
# The rendered message adds the legal basis and a footer; 1,800 characters of answer keeps
# the whole message far below Telegram's 4,096-character limit.
MAX_ANSWER_CHARS = 1800
# legal_basis holds citations, not prose: every item is one more line under the answer on a
# phone, so keep the few most specific ones (merge articles of one law into one item).
MAX_LEGAL_BASIS_ITEMS = 4

# A button label a phone shows whole (two or three fit side by side, one per row always).
MAX_BUTTON_CHARS = 14

ENTRY_KEYS = ("id", "topic", "title", "button", "questions", "answer", "legal_basis", "related", "reviewed")
REQUIRED_ENTRY_KEYS = (
    "id",
    "topic",
    "title",
    "button",
    "questions",
    "answer",
    "legal_basis",
    "related",
    "reviewed",
)


def _read_date(c: Collector, node: LocatedDict, where: str) -> dt.date:
    value = node.get("reviewed")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    if "reviewed" in node:
        c.add(line_of(node, "reviewed"), f"{where}reviewed: must be a date like 2026-11-29")
    return dt.date(1970, 1, 1)


def _read_entry(c: Collector, node: LocatedDict, index: int) -> Entry | None:
    eid = node.get("id")
    where = f"entry '{eid}': " if isinstance(eid, str) else f"entry {index + 1}: "
    check_keys(c, node, ENTRY_KEYS, REQUIRED_ENTRY_KEYS, where)
    ok = True
    if not isinstance(eid, str) or not ID_PATTERN.match(eid):
        if "id" in node:
            c.add(
                line_of(node, "id"),
                f"{where}id: must be 3–48 lowercase letters, digits and hyphens, like 'door-visit-basics'",
            )
        ok = False
    topic = read_text(c, node, "topic", where)
    title = read_text(c, node, "title", where)
    if len(title) > MAX_TITLE_CHARS:
        c.add(line_of(node, "title"), f"{where}title: {len(title)} characters; at most {MAX_TITLE_CHARS}")
    button = read_text(c, node, "button", where)
    if len(button) > MAX_BUTTON_CHARS:
        c.add(
            line_of(node, "button"),
            f"{where}button: '{button}' has {len(button)} characters; at most {MAX_BUTTON_CHARS}"
            " (phones cut longer labels)",
        )
    if MARKUP.search(button):
        c.add(line_of(node, "button"), f"{where}button: plain text only (no ** or HTML)")
    questions = text_list(c, node, "questions", where)
    if "questions" in node and len(questions) < MIN_QUESTIONS:
        c.add(
            line_of(node, "questions"),
            f"{where}questions: needs at least {MIN_QUESTIONS}, has {len(questions)}",
        )
    seen: dict[str, int] = {}
    raw_questions = node.get("questions")
    for i, q in enumerate(questions):
        key = q.casefold()
        if key in seen:
            line = line_of(raw_questions, i) if isinstance(raw_questions, LocatedList) else node.line
            c.add(line, f"{where}questions: '{q}' is listed twice")
        seen[key] = i
    answer = read_text(c, node, "answer", where)
    if answer:
        if len(answer) > MAX_ANSWER_CHARS:
            c.add(
                line_of(node, "answer"),
                f"{where}answer: {len(answer)} characters; at most {MAX_ANSWER_CHARS}",
            )
        elif len(answer) < MIN_ANSWER_CHARS:
            c.add(
                line_of(node, "answer"),
                f"{where}answer: only {len(answer)} characters; at least {MIN_ANSWER_CHARS}",
            )
        if HTML_TAG.search(answer):
            c.add(
                line_of(node, "answer"),
                f"{where}answer: contains an HTML tag; write **bold** instead of HTML",
            )
    legal_basis = text_list(c, node, "legal_basis", where)
    if len(legal_basis) > MAX_LEGAL_BASIS_ITEMS:
        c.add(
            line_of(node, "legal_basis"),
            f"{where}legal_basis: {len(legal_basis)} items; at most {MAX_LEGAL_BASIS_ITEMS}"
            " — keep the most specific (articles of one law go in one item)",
        )
    related = text_list(c, node, "related", where)
    reviewed = _read_date(c, node, where)
    if not ok:
        return None
    assert isinstance(eid, str)
    return Entry(
        id=eid,
        topic=topic,
        title=title,
        questions=tuple(questions),
        answer=answer,
        legal_basis=tuple(legal_basis),
        related=tuple(related),
        reviewed=reviewed,
        source=f"{c.display}:{node.line}",
        button=button,
        question_lines=tuple(
            line
            for item, line in zip(raw_questions, raw_questions.item_lines, strict=True)
            if isinstance(item, str) and item.strip()
        )
        if isinstance(raw_questions, LocatedList)
        else (),
    )


def read_entries(directory: Path, root: Path) -> tuple[list[tuple[Entry, LocatedDict, str]], list[Problem]]:
    entries_dir = directory / "entries"
    problems: list[Problem] = []
    found: list[tuple[Entry, LocatedDict, str]] = []
    files = sorted(entries_dir.glob("*.yaml")) + sorted(entries_dir.glob("*.yml"))
    if not files:
        problems.append(Problem(display_path(entries_dir, root), 1, "no entry files (*.yaml) found"))
    for path in files:
        c = Collector(display_path(path, root))
        data, load_problems = load_yaml(path, c.display)
        c.problems.extend(load_problems)
        if data is None:
            if not load_problems:
                c.add(1, "file is empty; it should be a list of entries starting with '- id:'")
            problems.extend(c.problems)
            continue
        if not isinstance(data, LocatedList):
            c.add(1, "must be a list of entries (each starting with '- id:')")
            problems.extend(c.problems)
            continue
        for i, node in enumerate(data):
            if not isinstance(node, LocatedDict):
                c.add(line_of(data, i), f"entry {i + 1}: must be a mapping starting with 'id:'")
                continue
            entry = _read_entry(c, node, i)
            if entry is not None:
                found.append((entry, node, c.display))
        problems.extend(c.problems)
    return found, problems
