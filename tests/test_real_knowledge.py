"""The bundled knowledge base: loads, covers every topic, and its phrasings find their entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import DEFAULT_KNOWLEDGE
from bot.core.knowledge import MAX_ANSWER_CHARS
from bot.core.render import TELEGRAM_LIMIT, render_entry

REQUIRED_TOPICS = {
    "noon-deadline",
    "full-repayment-demand",
    "door-visit",
    "workplace-visit",
    "collector-identity",
    "contacts-harassment",
    "abusive-calls",
    "privacy-exposure",
    "criminal-threats",
    "lawsuit",
    "court-enforcement",
    "negotiate-repayment",
    "cannot-pay",
    "credit-report",
    "interest-fees",
    "amount-dispute",
    "complaint",
    "family-liability",
    "scam-collectors",
    "evidence",
    "time-limit",
    "late-payment",
    "identity-fraud",
    "legal-help",
}


def test_every_knowledge_file_is_loaded(real_kb):
    files = {p.name for p in (Path(DEFAULT_KNOWLEDGE) / "entries").glob("*.yaml")}
    sources = {e.source.split(":")[0].rsplit("/", 1)[-1] for e in real_kb.entries}
    assert files == sources
    # The only warnings: the firm's phone and office hours, empty until the firm confirms them.
    others = [str(w) for w in real_kb.warnings if not w.path.endswith("firm.yaml")]
    assert not others, others
    empty = {key for key in ("phone", "office_hours") if not getattr(real_kb.firm, key)}
    assert {w.message.split()[0] for w in real_kb.warnings if w.path.endswith("firm.yaml")} == empty


def test_all_24_topics_exist_and_each_has_an_entry(real_kb):
    assert {t.id for t in real_kb.topics} >= REQUIRED_TOPICS
    empty = sorted(t for t in REQUIRED_TOPICS if not real_kb.entries_in(t))
    assert not empty, f"topics without entries: {empty}"


def test_entries_meet_the_content_rules(real_kb):
    for entry in real_kb.entries:
        assert 8 <= len(entry.questions) <= 20, entry.id
        assert 150 <= len(entry.answer) <= MAX_ANSWER_CHARS, entry.id
        assert 1 <= len(entry.related) <= 3, entry.id
        assert len(render_entry(entry, real_kb)) < TELEGRAM_LIMIT, entry.id
        # Old 治安管理处罚法 article numbers were renumbered from 2026-01-01.
        for basis in entry.legal_basis:
            assert not ("治安管理处罚法" in basis and ("第四十条" in basis or "第四十二条" in basis)), (
                entry.id
            )


@pytest.mark.parametrize("include_self", [True])
def test_every_phrasing_finds_its_own_entry(real_kb, real_matcher, include_self):
    misses = []
    for entry in real_kb.entries:
        for q in entry.questions:
            result = real_matcher.match(q)
            if result.decision == "none" or result.best is None or result.best.entry != entry.id:
                misses.append((entry.id, q, result.decision, result.best.entry if result.best else None))
    assert not misses, "\n".join(map(str, misses))
