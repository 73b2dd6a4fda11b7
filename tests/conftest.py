"""Shared fixtures: the bundled knowledge base and small fixture knowledge bases."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import KnowledgeBase, load_knowledge
from bot.core.matcher import Matcher, build_matcher

FIXTURES = Path(__file__).parent / "fixtures"
if TYPE_CHECKING:
    from tests.pg import Schemas

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
# Fitted models (and the semantic model's embeddings of the knowledge base) are cached here,
# for this process and for every bot the tests start as a subprocess.
MODEL_CACHE = Path(os.environ.setdefault("MODEL_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".cache" / "models")))


@pytest.fixture(scope="session")
def real_kb() -> KnowledgeBase:
    return load_knowledge(DEFAULT_KNOWLEDGE)


@pytest.fixture(scope="session")
def real_matcher(real_kb: KnowledgeBase) -> Matcher:
    """The production configuration: the semantic model when installed, fitted parts cached."""
    return build_matcher(real_kb, MODEL_CACHE)


@pytest.fixture(scope="session")
def min_kb() -> KnowledgeBase:
    return load_knowledge(FIXTURES / "kb_min")


@pytest.fixture(scope="session")
def min_matcher(min_kb: KnowledgeBase) -> Matcher:
    return Matcher(min_kb)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    from tests.pg import server_or_skip

    return server_or_skip()


@pytest.fixture
def pg_schemas(postgres_server: str) -> Iterator[Schemas]:
    """`pg_schemas.new()` → the URL of a fresh schema; every one is dropped after the test."""
    from tests.pg import Schemas

    schemas = Schemas(postgres_server)
    yield schemas
    schemas.drop_all()


@pytest.fixture
def pg_url(pg_schemas: Schemas) -> str:
    return pg_schemas.new()
