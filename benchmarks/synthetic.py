"""Synthetic knowledge bases N times the size of the real one, for the speed benchmark.

Copy 0 is the real knowledge base unchanged; copies 1..N-1 repeat every entry under a new id
(`<id>-s<k>`) with every title and phrasing perturbed the way borrowers type: a filler word
in front or behind, two neighbouring characters swapped, a character dropped or doubled, a
canonical term replaced by one of its colloquial variants from synonyms.yaml. Answers and
legal bases are kept, so the files are as heavy to load as real ones would be.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from bot.core.knowledge import KnowledgeBase, load_knowledge

PREFIXES = ["请问", "我想问一下", "那个", "急！", "律师你好，", "问下", "求助：", "麻烦问问"]
SUFFIXES = ["呢", "啊", "？", "怎么办", "，谢谢", "。。。", "吗", "急急急"]


def perturb(text: str, rng: random.Random, variants: dict[str, list[str]]) -> str:
    ops = rng.sample(["prefix", "suffix", "swap", "drop", "double", "synonym"], k=rng.randint(1, 3))
    for op in ops:
        if op == "prefix":
            text = rng.choice(PREFIXES) + text
        elif op == "suffix":
            text = text + rng.choice(SUFFIXES)
        elif op == "synonym":
            present = [c for c in variants if c in text]
            if present:
                canonical = rng.choice(present)
                text = text.replace(canonical, rng.choice(variants[canonical]), 1)
        elif len(text) > 3:
            i = rng.randrange(len(text) - 1)
            if op == "swap":
                text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            elif op == "drop":
                text = text[:i] + text[i + 1 :]
            else:
                text = text[:i] + text[i] + text[i:]
    return text


def _entry_dict(
    kb: KnowledgeBase, copy: int, rng: random.Random, variants: dict[str, list[str]]
) -> list[dict[str, object]]:
    suffix = f"-s{copy}" if copy else ""
    rows = []
    for e in kb.entries:
        title = e.title if not copy else perturb(e.title, rng, variants)[:60]
        questions = list(e.questions) if not copy else [perturb(q, rng, variants) for q in e.questions]
        rows.append(
            {
                "id": e.id + suffix,
                "topic": e.topic,
                "title": title,
                "button": e.button,
                "questions": list(dict.fromkeys(questions)),
                "answer": e.answer,
                "legal_basis": list(e.legal_basis),
                "related": [r + suffix for r in e.related],
                "reviewed": e.reviewed,
            }
        )
    return rows


def write_synthetic(source: Path, dest: Path, factor: int, seed: int = 6) -> Path:
    """Write a knowledge directory `factor` times the size of `source` into `dest`."""
    kb = load_knowledge(source)
    variants: dict[str, list[str]] = {}
    for variant, canonical in kb.synonyms.items():
        if len(canonical) > 1 and variant != canonical:
            variants.setdefault(canonical, []).append(variant)
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "entries").mkdir(parents=True)
    for name in ("topics.yaml", "firm.yaml", "messages.yaml", "synonyms.yaml", "out_of_scope.yaml"):
        shutil.copyfile(source / name, dest / name)
    rng = random.Random(seed)
    for copy in range(factor):
        rows = _entry_dict(kb, copy, rng, variants)
        text = yaml.safe_dump(rows, allow_unicode=True, sort_keys=False, width=10_000)
        (dest / "entries" / f"copy-{copy:03d}.yaml").write_text(text, encoding="utf-8")
    return dest
