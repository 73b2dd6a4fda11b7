"""Reading `lenders.yaml`, `who_where.yaml` and `smalltalk.yaml`: what the matcher recognises
in a question besides its topic.

Same rules as the other readers (`bot.core.knowledge_files`): every problem is collected with
its file and line, nothing stops at the first mistake. Both files are optional: without them
the bot still matches, it just keeps lender names and relatives as plain characters.
"""

from __future__ import annotations

from pathlib import Path

from bot.core.knowledge_files import (
    HTML_TAG,
    ID_PATTERN,
    Collector,
    check_keys,
    display_path,
    read_text,
    text_list,
    type_hint,
)
from bot.core.model import Lender, LenderType
from bot.core.yamlsource import LocatedDict, LocatedList, Problem, line_of, load_yaml

LENDER_TYPE_KEYS = ("id", "zh", "en", "note")
LENDER_KEYS = ("name", "type", "variants", "short", "word", "generic", "not_before")
MAX_NOTE_CHARS = 120
DEFAULT_WORD = {"bank": "银行"}  # every other type: 网贷
WHO_WHERE_KEYS = ("who", "where")


def _load(path: Path, root: Path, what: str) -> tuple[Collector, object]:
    c = Collector(display_path(path, root))
    data, problems = load_yaml(path, c.display)
    c.problems.extend(problems)
    if data is not None and not isinstance(data, LocatedDict):
        c.add(1, f"must be a mapping with {what}")
        return c, None
    return c, data


def read_lenders(directory: Path, root: Path) -> tuple[list[LenderType], list[Lender], list[Problem]]:
    path = directory / "lenders.yaml"
    if not path.exists():
        return [], [], []
    c, data = _load(path, root, "'types:' and 'lenders:' lists")
    if not isinstance(data, LocatedDict):
        return [], [], c.problems
    check_keys(c, data, ("types", "lenders"), ("types", "lenders"), "")
    types = _read_types(c, data.get("types"), line_of(data, "types"))
    type_ids = {t.id for t in types}
    raw = data.get("lenders")
    if not isinstance(raw, LocatedList):
        if "lenders" in data:
            c.add(line_of(data, "lenders"), "lenders: must be a list (lines starting with '- name:')")
        return types, [], c.problems
    lenders: list[Lender] = []
    owner: dict[str, str] = {}  # every spelling -> the lender that claims it
    for i, node in enumerate(raw):
        if not isinstance(node, LocatedDict):
            c.add(line_of(raw, i), f"lender {i + 1}: must be a mapping starting with 'name:'")
            continue
        lender = _read_lender(c, node, i, type_ids)
        if lender is None:
            continue
        for spelling in (lender.name, *lender.variants, *lender.short):
            key = spelling.lower()
            if key in owner and owner[key] != lender.name:
                c.add(node.line, f"'{spelling}' is listed under both '{owner[key]}' and '{lender.name}'")
            owner.setdefault(key, lender.name)
        lenders.append(lender)
    return types, lenders, c.problems


def _read_types(c: Collector, raw: object, line: int) -> list[LenderType]:
    if not isinstance(raw, LocatedList):
        if raw is not None:
            c.add(line, "types: must be a list (lines starting with '- id:')")
        return []
    types: list[LenderType] = []
    for i, node in enumerate(raw):
        if not isinstance(node, LocatedDict):
            c.add(line_of(raw, i), f"type {i + 1}: must be a mapping with id, zh, en, note")
            continue
        tid = node.get("id")
        where = f"type '{tid}': " if isinstance(tid, str) else f"type {i + 1}: "
        check_keys(c, node, LENDER_TYPE_KEYS, LENDER_TYPE_KEYS, where)
        zh, en, note = (read_text(c, node, key, where) for key in ("zh", "en", "note"))
        if len(note) > MAX_NOTE_CHARS:
            c.add(line_of(node, "note"), f"{where}note: {len(note)} characters; at most {MAX_NOTE_CHARS}")
        if HTML_TAG.search(note):
            c.add(line_of(node, "note"), f"{where}note: contains an HTML tag; write plain text")
        if not isinstance(tid, str) or not ID_PATTERN.match(tid):
            c.add(line_of(node, "id"), f"{where}id: must be a lowercase slug like 'consumer-finance'")
            continue
        if any(t.id == tid for t in types):
            c.add(line_of(node, "id"), f"{where}duplicate type id '{tid}'")
            continue
        types.append(LenderType(tid, zh, en, note))
    return types


def _read_lender(c: Collector, node: LocatedDict, index: int, type_ids: set[str]) -> Lender | None:
    name = node.get("name")
    where = f"lender '{name}': " if isinstance(name, str) else f"lender {index + 1}: "
    check_keys(c, node, LENDER_KEYS, ("name", "type"), where)
    name_text = read_text(c, node, "name", where)
    type_id = read_text(c, node, "type", where)
    if type_id and type_ids and type_id not in type_ids:
        c.add(
            line_of(node, "type"),
            f"{where}type: unknown type '{type_id}'; use one of {', '.join(sorted(type_ids))}",
        )
    generic = node.get("generic", False)
    if not isinstance(generic, bool):
        c.add(line_of(node, "generic"), f"{where}generic: must be true or false")
        generic = False
    word = read_text(c, node, "word", where, allow_empty=True) or DEFAULT_WORD.get(type_id, "网贷")
    if not name_text or not type_id:
        return None
    return Lender(
        name=name_text,
        type=type_id,
        word=word,
        variants=tuple(text_list(c, node, "variants", where)),
        short=tuple(text_list(c, node, "short", where)),
        generic=generic,
        not_before=tuple(text_list(c, node, "not_before", where)),
    )


def read_who_where(directory: Path, root: Path) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """(people, places) as variant -> canonical word."""
    path = directory / "who_where.yaml"
    if not path.exists():
        return {}, {}, []
    c, data = _load(path, root, "'who:' and 'where:'")
    if not isinstance(data, LocatedDict):
        return {}, {}, c.problems
    check_keys(c, data, WHO_WHERE_KEYS, (), "")
    tables: dict[str, dict[str, str]] = {"who": {}, "where": {}}
    seen: dict[str, str] = {}
    for section in WHO_WHERE_KEYS:
        groups = data.get(section)
        if groups is None:
            continue
        if not isinstance(groups, LocatedDict):
            c.add(line_of(data, section), f"{section}: must be a mapping: canonical word -> list of variants")
            continue
        for canonical, variants in groups.items():
            line = line_of(groups, canonical)
            if not isinstance(variants, list):
                c.add(line, f"{section}: '{canonical}': must be a list of variants, e.g. [爸妈, 我爸]")
                continue
            for i, variant in enumerate([canonical, *variants]):
                if not isinstance(variant, str) or not variant.strip():
                    c.add(
                        line_of(variants, i - 1, line),
                        f"{section}: '{canonical}': variant {i} must be text{type_hint(variant)}",
                    )
                    continue
                key = variant.strip().lower()
                if key in seen and seen[key] != canonical:
                    c.add(
                        line_of(variants, i - 1, line),
                        f"'{variant}' is listed under both '{seen[key]}' and '{canonical}'",
                    )
                    continue
                seen[key] = str(canonical)
                tables[section][key] = str(canonical)
    return tables["who"], tables["where"], c.problems


SMALLTALK_KINDS = ("greeting", "thanks", "ack", "laughter", "bye", "about")


def read_smalltalk(directory: Path, root: Path) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """kind -> phrases."""
    path = directory / "smalltalk.yaml"
    if not path.exists():
        return {}, []
    c, data = _load(path, root, "kinds of small talk (greeting:, thanks:, …)")
    if not isinstance(data, LocatedDict):
        return {}, c.problems
    check_keys(c, data, SMALLTALK_KINDS, (), "")
    phrases = {kind: tuple(text_list(c, data, kind, "")) for kind in SMALLTALK_KINDS if kind in data}
    return phrases, c.problems
