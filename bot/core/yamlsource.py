"""YAML loading that remembers where every value came from.

Maintainers are lawyers editing YAML by hand, so every error must point at a file and a
line. PyYAML's safe loader forgets positions and silently keeps the last of two duplicate
keys; this loader keeps the line of every mapping key and reports duplicates instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a knowledge file, located by file and line (1-based)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class LocatedDict(dict[str, Any]):
    """A mapping that also knows the line of itself and of each of its keys."""

    line: int
    key_lines: dict[str, int]


class LocatedList(list[Any]):
    """A sequence that knows the line of each item."""

    line: int
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """Safe loader that records lines and collects duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str]] = []


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_text = str(key)
        line = key_node.start_mark.line + 1
        if key_text in result:
            loader.duplicates.append((line, key_text))
        result[key_text] = loader.construct_object(value_node, deep=True)
        result.key_lines[key_text] = line
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, display: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML file; return its data (None on failure) and the problems found."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(display, 1, f"not UTF-8 text ({exc.reason}); save the file as UTF-8")]
    except OSError as exc:
        return None, [Problem(display, 1, f"cannot read file: {exc.strerror}")]
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # An unclosed quote or bracket is only noticed at the end of the file; the place
        # where it was opened (the context) is what the maintainer needs to see.
        mark = exc.problem_mark
        if exc.context_mark is not None and (mark is None or "end of stream" in (exc.problem or "")):
            mark = exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = "; ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        return None, [Problem(display, line, f"YAML syntax error: {what} (check indentation and quotes)")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 1, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    problems = [
        Problem(display, line, f"duplicate key '{key}' (only one is allowed; YAML would keep the last)")
        for line, key in loader.duplicates
    ]
    return data, problems


def line_of(container: Any, key: str | int, default: int = 1) -> int:
    """Best-known line of `container[key]`, falling back to the container's own line."""
    if isinstance(container, LocatedDict):
        return container.key_lines.get(str(key), container.line)
    if isinstance(container, LocatedList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return default
