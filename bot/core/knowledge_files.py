"""Reading and validating each kind of knowledge file, collecting every problem with its line.

One reader per file kind (topics, firm, synonyms, out-of-scope examples; the entries in
`bot.core.knowledge_entries`); each
returns what it could read plus the problems it found, so `load_knowledge` can report all
mistakes of all files in one pass. Cross-file checks (duplicate ids, unknown topics and
related ids) live in `bot.core.knowledge.load_knowledge`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from bot.core.model import Firm, Topic
from bot.core.yamlsource import LocatedDict, LocatedList, Problem, line_of, load_yaml

# Telegram limits callback data and /start payloads to 64 bytes of [A-Za-z0-9_-];
# ids stay well inside that so "a:<id>" callback data always fits.
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,46}[a-z0-9]$")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
MARKUP = re.compile(r"\*\*|</?[a-zA-Z][^>]*>")
MAX_CONCERN_CHARS = 16
TOPIC_KEYS = ("id", "zh", "en", "concern", "order")
REQUIRED_TOPIC_KEYS = ("id", "zh", "en", "order")
FIRM_KEYS = (
    "name",
    "name_en",
    "website",
    "phone",
    "email",
    "wechat",
    "address",
    "office_hours",
    "disclaimer",
    "legal_aid",
)
REQUIRED_FIRM_KEYS = ("name", "website", "disclaimer", "legal_aid")


class Collector:
    """Gathers problems while reading one file."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.display, line, message))


def type_hint(value: object) -> str:
    if isinstance(value, bool):
        return " (YAML reads yes/no/on/off/true/false as a true/false value: put the text in quotes)"
    if value is None:
        return " (it is empty)"
    return ""


def check_keys(
    c: Collector, node: LocatedDict, allowed: Iterable[str], required: Iterable[str], where: str
) -> None:
    allowed = tuple(allowed)
    for key in node:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(allowed)}"
            c.add(line_of(node, key), f"{where}unknown key '{key}'{hint}")
    for key in required:
        if key not in node:
            c.add(node.line, f"{where}missing required key '{key}'")


def read_text(c: Collector, node: LocatedDict, key: str, where: str, allow_empty: bool = False) -> str:
    value = node.get(key)
    if isinstance(value, str) and (value.strip() or allow_empty):
        return value.strip()
    if value is None and allow_empty:
        return ""
    if key in node:
        c.add(line_of(node, key), f"{where}{key}: must be text{type_hint(value)}")
    return ""


def text_list(c: Collector, node: LocatedDict, key: str, where: str) -> list[str]:
    value = node.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        c.add(line_of(node, key), f"{where}{key}: must be a list (lines starting with '- ')")
        return []
    items: list[str] = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            items.append(item.strip())
        else:
            c.add(line_of(value, i), f"{where}{key}: item {i + 1} must be non-empty text{type_hint(item)}")
    return items


def read_topics(directory: Path, root: Path) -> tuple[list[Topic], list[Problem]]:
    path = directory / "topics.yaml"
    c = Collector(display_path(path, root))
    data, problems = load_yaml(path, c.display) if path.exists() else (None, [])
    c.problems.extend(problems)
    if not path.exists():
        c.add(1, "file is missing")
        return [], c.problems
    if not isinstance(data, LocatedList):
        if data is not None or not problems:
            c.add(1, "must be a list of topics (lines starting with '- id:')")
        return [], c.problems
    topics: list[Topic] = []
    seen: set[str] = set()
    for i, node in enumerate(data):
        if not isinstance(node, LocatedDict):
            c.add(line_of(data, i), f"topic {i + 1}: must be a mapping with id, zh, en, order")
            continue
        tid = node.get("id")
        where = f"topic '{tid}': " if isinstance(tid, str) else f"topic {i + 1}: "
        check_keys(c, node, TOPIC_KEYS, REQUIRED_TOPIC_KEYS, where)
        zh = read_text(c, node, "zh", where)
        en = read_text(c, node, "en", where)
        concern = read_text(c, node, "concern", where, allow_empty=True)
        if len(concern) > MAX_CONCERN_CHARS:
            c.add(
                line_of(node, "concern"),
                f"{where}concern: {len(concern)} characters; at most {MAX_CONCERN_CHARS}",
            )
        if MARKUP.search(concern):
            c.add(line_of(node, "concern"), f"{where}concern: plain text only (no ** or HTML)")
        order = node.get("order")
        if "order" in node and (not isinstance(order, int) or isinstance(order, bool)):
            c.add(line_of(node, "order"), f"{where}order: must be a whole number")
            order = 0
        if not isinstance(tid, str) or not ID_PATTERN.match(tid):
            c.add(line_of(node, "id"), f"{where}id: must be a lowercase slug like 'door-visit'")
            continue
        if tid in seen:
            c.add(line_of(node, "id"), f"{where}duplicate topic id '{tid}'")
            continue
        seen.add(tid)
        topics.append(Topic(tid, zh, en, order if isinstance(order, int) else 0, concern))
    topics.sort(key=lambda t: (t.order, t.id))
    return topics, c.problems


def read_firm(directory: Path, root: Path) -> tuple[Firm | None, list[Problem]]:
    path = directory / "firm.yaml"
    c = Collector(display_path(path, root))
    if not path.exists():
        c.add(1, "file is missing")
        return None, c.problems
    data, problems = load_yaml(path, c.display)
    c.problems.extend(problems)
    if not isinstance(data, LocatedDict):
        if data is not None or not problems:
            c.add(1, "must be a mapping of firm details (name:, website:, …)")
        return None, c.problems
    check_keys(c, data, FIRM_KEYS, REQUIRED_FIRM_KEYS, "")
    values = {
        key: read_text(c, data, key, "", allow_empty=key not in REQUIRED_FIRM_KEYS) for key in FIRM_KEYS
    }
    return Firm(**values), c.problems


def read_synonyms(directory: Path, root: Path) -> tuple[dict[str, str], dict[str, int], list[Problem]]:
    """variant -> canonical term, the line of each variant, and the problems found."""
    path = directory / "synonyms.yaml"
    lines: dict[str, int] = {}
    if not path.exists():
        return {}, lines, []
    c = Collector(display_path(path, root))
    data, problems = load_yaml(path, c.display)
    c.problems.extend(problems)
    if data is None:
        return {}, lines, c.problems
    if not isinstance(data, LocatedDict):
        c.add(1, "must be a mapping: canonical term -> list of variants")
        return {}, lines, c.problems
    mapping: dict[str, str] = {}
    for canonical, variants in data.items():
        line = line_of(data, canonical)
        if not isinstance(variants, list):
            c.add(line, f"'{canonical}': must be a list of variants, e.g. [xyk, 信用k]")
            continue
        for i, variant in enumerate(variants):
            if not isinstance(variant, str | int) or isinstance(variant, bool) or not str(variant).strip():
                c.add(
                    line_of(variants, i, line),
                    f"'{canonical}': variant {i + 1} must be text{type_hint(variant)}",
                )
                continue
            key = str(variant).strip().lower()
            if key in mapping and mapping[key] != canonical:
                c.add(
                    line_of(variants, i, line),
                    f"variant '{key}' is listed under both '{mapping[key]}' and '{canonical}'",
                )
                continue
            mapping[key] = str(canonical)
            lines[key] = line_of(variants, i, line)
    return mapping, lines, c.problems


def read_out_of_scope(directory: Path, root: Path) -> tuple[list[str], list[Problem]]:
    path = directory / "out_of_scope.yaml"
    if not path.exists():
        return [], []
    c = Collector(display_path(path, root))
    data, problems = load_yaml(path, c.display)
    c.problems.extend(problems)
    if data is None:
        return [], c.problems
    if not isinstance(data, LocatedDict) or "examples" not in data:
        c.add(1, "must have an 'examples:' list of questions the bot should not answer")
        return [], c.problems
    check_keys(c, data, ("examples",), ("examples",), "")
    return text_list(c, data, "examples", ""), c.problems


def display_path(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
