"""The knowledge base: what maintainers write under `knowledge/`, loaded and validated.

Layout of a knowledge directory:
  topics.yaml          the topic ids with Chinese and English titles and an order
  firm.yaml            the law firm's details, the disclaimer and the legal-aid pointer
  synonyms.yaml        colloquial variants -> canonical terms, used by the normaliser
  out_of_scope.yaml    example questions the bot must NOT answer (teaches the matcher)
  lenders.yaml         lenders and loan products the bot recognises, with a note per kind
  who_where.yaml       people and places the bot recognises (父母, 配偶, 单位 …)
  smalltalk.yaml       greetings, thanks, acknowledgements …: messages that hold no question
  messages.yaml        the bot's own texts (welcome, privacy notice, intake …), zh and en
  entries/*.yaml       lists of question-and-answer entries

Loading never stops at the first mistake: every problem is collected with its file and line
and raised together in one `KnowledgeError`, so a maintainer can fix them all in one pass.
The per-file readers are in `bot.core.knowledge_files`; the values in `bot.core.model`.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from bot.core.answer_layout import MAX_VISIBLE_CHARS, visible_chars
from bot.core.knowledge_entries import MAX_ANSWER_CHARS, MAX_LEGAL_BASIS_ITEMS, read_entries
from bot.core.knowledge_files import (
    display_path,
    read_firm,
    read_out_of_scope,
    read_synonyms,
    read_topics,
)
from bot.core.knowledge_messages import read_messages
from bot.core.knowledge_recognisers import read_lenders, read_smalltalk, read_who_where
from bot.core.model import Entry, Firm, KnowledgeBase, KnowledgeError, Lender, Topic
from bot.core.yamlsource import LocatedList, Problem, line_of

__all__ = [
    "MAX_ANSWER_CHARS",
    "MAX_LEGAL_BASIS_ITEMS",
    "Entry",
    "Firm",
    "KnowledgeBase",
    "KnowledgeError",
    "Topic",
    "load_knowledge",
]


def load_knowledge(directory: str | Path) -> KnowledgeBase:
    """Load and validate a knowledge directory; raise KnowledgeError listing every problem."""
    directory = Path(directory)
    root = directory.resolve().parent
    if not directory.is_dir():
        raise KnowledgeError([Problem(str(directory), 1, "knowledge directory not found")])
    problems: list[Problem] = []
    warnings: list[Problem] = []
    topics, p = read_topics(directory, root)
    problems += p
    firm, p = read_firm(directory, root)
    problems += p
    synonyms, synonym_lines, p = read_synonyms(directory, root)
    problems += p
    out_of_scope, p = read_out_of_scope(directory, root)
    problems += p
    found, p = read_entries(directory, root)
    problems += p
    lender_types, lenders, p = read_lenders(directory, root)
    problems += p
    people, places, p = read_who_where(directory, root)
    problems += p
    smalltalk, p = read_smalltalk(directory, root)
    problems += p
    messages, p = read_messages(directory, root)
    problems += p
    problems += _recognised_twice(directory, root, synonym_lines, lenders, people, places)

    topic_ids = {t.id for t in topics}
    ids: dict[str, str] = {}
    for entry, node, display in found:
        if entry.id in ids:
            problems.append(
                Problem(
                    display,
                    line_of(node, "id"),
                    f"entry '{entry.id}': duplicate id (first defined at {ids[entry.id]})",
                )
            )
        else:
            ids[entry.id] = entry.source
    for entry, node, display in found:
        where = f"entry '{entry.id}': "
        if topics and entry.topic and entry.topic not in topic_ids:
            close = difflib.get_close_matches(entry.topic, sorted(topic_ids), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(
                Problem(display, line_of(node, "topic"), f"{where}topic: unknown topic '{entry.topic}'{hint}")
            )
        raw_related = node.get("related")
        for i, rid in enumerate(entry.related):
            line = (
                line_of(raw_related, i) if isinstance(raw_related, LocatedList) else line_of(node, "related")
            )
            if rid == entry.id:
                problems.append(
                    Problem(display, line, f"{where}related: an entry cannot be related to itself")
                )
            elif rid not in ids:
                close = difflib.get_close_matches(rid, sorted(ids), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
                problems.append(Problem(display, line, f"{where}related: unknown entry id '{rid}'{hint}"))
    entries = tuple(e for e, _, _ in found)
    covered = {e.topic for e in entries}
    for t in topics:
        if t.id not in covered:
            warnings.append(
                Problem(display_path(directory / "topics.yaml", root), 1, f"topic '{t.id}' has no entries")
            )
    warnings += _layout_warnings(entries)
    if firm is not None:
        warnings += _firm_warnings(firm, directory / "firm.yaml", root)
    if problems or firm is None:
        raise KnowledgeError(sorted(problems, key=lambda p: (p.path, p.line)))
    return KnowledgeBase(
        topics=tuple(topics),
        entries=entries,
        firm=firm,
        synonyms=synonyms,
        out_of_scope=tuple(out_of_scope),
        directory=str(directory),
        warnings=tuple(warnings),
        lender_types=tuple(lender_types),
        lenders=tuple(lenders),
        people=people,
        places=places,
        smalltalk=smalltalk,
        messages=messages,
    )


def _layout_warnings(entries: tuple[Entry, ...]) -> list[Problem]:
    """Answers whose first screen (title, direct answer, steps) is longer than a phone shows."""
    found = []
    for entry in entries:
        size = visible_chars(entry.title, entry.answer)
        if size > MAX_VISIBLE_CHARS:
            path, _, line = entry.source.rpartition(":")
            found.append(
                Problem(
                    path,
                    int(line),
                    f"entry '{entry.id}': the first screen (title, direct answer, steps) has {size} "
                    f"characters; about {MAX_VISIBLE_CHARS} fit: move explanation out of the first "
                    "line or the steps into a paragraph of its own (it is then folded)",
                )
            )
    return found


def _firm_warnings(firm: Firm, path: Path, root: Path) -> list[Problem]:
    """Receipts and /lawyer show only what firm.yaml has; borrowers in a hurry need these two."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for key, why in (("phone", "how to reach the firm directly"), ("office_hours", "when the firm answers")):
        if not getattr(firm, key):
            line = next((i for i, text in enumerate(lines, 1) if text.startswith(f"{key}:")), 1)
            found.append(
                Problem(
                    display_path(path, root),
                    line,
                    f"{key} is empty: borrowers are not told {why} (fill it in once the firm confirms it)",
                )
            )
    return found


def _recognised_twice(
    directory: Path,
    root: Path,
    synonym_lines: dict[str, int],
    lenders: list[Lender],
    people: dict[str, str],
    places: dict[str, str],
) -> list[Problem]:
    """A word the recogniser replaces never reaches the synonyms: listing it in both files
    would silently make one of the two entries dead, so it is an error."""
    where = display_path(directory / "synonyms.yaml", root)
    recognised = {
        spelling.lower(): "lenders.yaml"
        for lender in lenders
        for spelling in (lender.name, *lender.variants, *lender.short)
    }
    recognised.update((w, "who_where.yaml") for w in (*people, *places) if w not in recognised)
    return [
        Problem(where, line, f"variant '{variant}' is also in {recognised[variant]}: keep it in one file")
        for variant, line in synonym_lines.items()
        if variant in recognised
    ]
