"""The maintainer report: content for the real knowledge base, escaping, stale dates, close pairs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import pytest

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.report import CLOSE_PAIR_RATE, Report, analyse, close_pairs, months_before, render_html

TODAY = dt.date(2026, 11, 29)
VOID = {"meta", "br", "hr", "img", "input", "link"}


class TagBalance(HTMLParser):
    """Fails on any unclosed or mismatched tag; collects text and element ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.text: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name == "href" and value:
                self.hrefs.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> TagBalance:
    parser = TagBalance()
    parser.feed(page)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert parser.stack == [], parser.stack
    return parser


@pytest.fixture(scope="module")
def real_report(real_kb: KnowledgeBase, real_matcher: Matcher) -> Report:
    return analyse(real_kb, real_matcher, TODAY)


@pytest.fixture(scope="module")
def real_page(real_report: Report) -> tuple[str, TagBalance]:
    page = render_html(real_report)
    return page, parse(page)


def test_real_report_lists_every_topic_entry_and_phrasing(real_kb, real_page):
    page, parsed = real_page
    text = "".join(parsed.text)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert "<script" not in page
    for topic in real_kb.topics:
        assert topic.zh in text and f"t-{topic.id}" in parsed.ids
    for entry in real_kb.entries:
        assert f"e-{entry.id}" in parsed.ids
        assert entry.title in text
        assert entry.source in text
        for phrasing in entry.questions:
            assert phrasing in text, phrasing
    # Every internal link points at something on the page.
    assert {h[1:] for h in parsed.hrefs if h.startswith("#")} <= parsed.ids


def test_real_report_lists_the_confusions(real_matcher, real_report, real_page):
    page, parsed = real_page
    text = "".join(parsed.text)
    collisions = real_matcher.collisions()
    assert f'<div class="num">{len(collisions)}</div>' in page
    for entry_id, qi, phrasing, other in collisions:
        assert phrasing in text
        assert f'<span class="badge warn">→ {other}</span>' in page
        assert entry_id in text
        # Where to fix it: the phrasing's own file and line.
        entry = real_matcher.kb.entry(entry_id)
        where = f"{entry.source.rpartition(':')[0]}:{entry.question_lines[qi]}"
        assert f"<code>{where}</code>" in page
        path, _, line = where.rpartition(":")
        assert phrasing in (Path(real_matcher.kb.directory).parent / path).read_text(encoding="utf-8").splitlines()[int(line) - 1]
    pairs = real_report.close_pairs
    assert pairs, "the bundled knowledge base has entries the matcher mixes up"
    for pair in pairs:
        assert f"{pair.rate:.0%}" in text and f"{pair.mixed}/{pair.total}" in text


def test_close_pairs_are_sorted_symmetric_and_above_the_threshold(real_report):
    pairs = real_report.close_pairs
    rates = [p.rate for p in pairs]
    assert rates == sorted(rates, reverse=True)
    assert all(r >= CLOSE_PAIR_RATE for r in rates)
    assert len({(p.a, p.b) for p in pairs}) == len(pairs)
    assert all(p.a != p.b for p in pairs)
    assert not {(p.b, p.a) for p in pairs} & {(p.a, p.b) for p in pairs}


def test_a_near_duplicate_entry_is_a_close_pair(min_kb):
    first = min_kb.entries[0]
    twin = dataclasses.replace(
        first, id=f"{first.id}-twin", questions=tuple(f"{q}呢" for q in first.questions), related=()
    )
    kb = dataclasses.replace(min_kb, entries=(*min_kb.entries, twin), _by_id={}, _topic_by_id={})
    pairs = close_pairs(Matcher(kb))
    assert pairs[0].a == first.id and pairs[0].b == twin.id
    assert pairs[0].rate > 0.5
    assert pairs[0].examples


def test_stale_entries_are_flagged_relative_to_today(real_kb, real_matcher, real_report, min_kb, min_matcher):
    assert real_report.stale == () and real_report.stale_before == dt.date(2025, 11, 29)
    later = analyse(real_kb, real_matcher, dt.date(2028, 1, 1))
    assert len(later.stale) == len(real_kb.entries)
    page = render_html(later)
    assert page.count('class="entry stale"') == len(real_kb.entries)
    assert "待复核 · reviewed 2026-11-29" in page
    # Exactly twelve months after the review is still fine; one day more is stale.
    newest = max(e.reviewed for e in min_kb.entries)
    anniversary = dt.date(newest.year + 1, newest.month, newest.day)
    assert analyse(min_kb, min_matcher, anniversary).stale == tuple(
        e for e in sorted(min_kb.entries, key=lambda e: e.reviewed) if e.reviewed < newest
    )
    later_day = anniversary + dt.timedelta(days=1)
    assert len(analyse(min_kb, min_matcher, later_day).stale) == len(min_kb.entries)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 11, 29), 12, dt.date(2025, 11, 29)),
        (dt.date(2024, 2, 29), 12, dt.date(2023, 2, 28)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 15), 1, dt.date(2025, 12, 15)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


def test_everything_from_the_knowledge_base_is_escaped(min_kb):
    evil = '<script>alert("x")</script> & <b>'
    first = min_kb.entries[0]
    entry = dataclasses.replace(
        first,
        title=evil,
        questions=(*first.questions, evil),
        legal_basis=(evil,),
        answer=first.answer + "\n" + evil,
    )
    topic = dataclasses.replace(min_kb.topics[0], zh=evil)
    kb = dataclasses.replace(
        min_kb,
        topics=(topic, *min_kb.topics[1:]),
        entries=(entry, *min_kb.entries[1:]),
        directory='"><script>',
        _by_id={},
        _topic_by_id={},
    )
    page = render_html(analyse(kb, Matcher(kb), TODAY))
    assert "<script" not in page
    parsed = parse(page)
    assert "script" not in parsed.tags
    assert evil in "".join(parsed.text)
    assert markupsafe.escape(evil) in page


def _chromium() -> str | None:
    for name in ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def test_report_renders_in_headless_chromium(real_page, tmp_path: Path):
    browser = _chromium()
    if browser is None:
        pytest.skip("no headless Chromium installed")
    page, _ = real_page
    source = tmp_path / "report.html"
    source.write_text(page, encoding="utf-8")
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1280,1600",
            source.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    # A blank page compresses to a few kilobytes; the rendered report is far larger.
    assert len(data) > 50_000
