"""Shared fixtures: the bundled knowledge base and small fixture knowledge bases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import Matcher

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge(DEFAULT_KNOWLEDGE)


@pytest.fixture(scope="session")
def real_matcher(real_kb: KnowledgeBase) -> Matcher:
    return Matcher(real_kb)


@pytest.fixture(scope="session")
def min_kb() -> KnowledgeBase:
    return load_knowledge(FIXTURES / "kb_min")


@pytest.fixture(scope="session")
def min_matcher(min_kb: KnowledgeBase) -> Matcher:
    return Matcher(min_kb)
