"""The maintainer report: the whole knowledge base on one static HTML page.

`analyse()` gathers what a maintainer needs to act on; `render_html()` fills the Jinja
template `templates/report.html.j2` to make a page that opens in any browser (no JavaScript,
one inline stylesheet). The template is autoescaped, so nothing a maintainer writes can break
the page, and there is no escaping by hand.

Two kinds of confusion are reported:

- **Collisions** (`Matcher.collisions()`, the same list `python -m bot check` prints): a
  phrasing that, asked as a new question with itself left out of the index, finds another
  entry first.
- **Close pairs**: two entries the matcher cannot tell apart reliably. For every phrasing of
  either entry, scored as a new question with itself left out (`Matcher.held_out_scores()`),
  we count it as *mixed* when the other entry scores at least as high as the phrasing's own
  entry minus `MIX_MARGIN`: for such a question the matcher picks the wrong entry or the
  two are a near tie. (Not the answer margin: that one is measured against other *topics*,
  and sibling entries of one topic always sit closer than it.) The pair's *mix rate*
  is mixed phrasings / all phrasings of both entries; pairs at or above
  `CLOSE_PAIR_RATE` (one phrasing in five) are listed, worst first. The fix is usually to
  sharpen the phrasings (or titles) of both entries, or to merge them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import jinja2
import markupsafe

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.markup import markup_to_html
from bot.core.matcher import HeldOut, Matcher

CLOSE_PAIR_RATE = 0.20
# A held-out phrasing whose own entry leads another by less than this is "mixed" with it.
MIX_MARGIN = 0.05
STALE_AFTER_MONTHS = 12
MAX_PAIR_EXAMPLES = 3


@dataclass(frozen=True)
class Collision:
    entry: str
    index: int  # 0-based phrasing index
    text: str
    found: str  # the entry found first instead
    where: str = ""  # file:line of the phrasing


@dataclass(frozen=True)
class ClosePair:
    a: str
    b: str
    mixed: int
    total: int
    examples: tuple[str, ...]  # mixed phrasings, a few

    @property
    def rate(self) -> float:
        return self.mixed / self.total if self.total else 0.0


@dataclass(frozen=True)
class Report:
    kb: KnowledgeBase
    today: dt.date
    stale_before: dt.date
    collisions: tuple[Collision, ...]
    close_pairs: tuple[ClosePair, ...]
    margin: float  # the answer margin the close-pair measure used

    def is_stale(self, entry: Entry) -> bool:
        return entry.reviewed < self.stale_before

    @property
    def stale(self) -> tuple[Entry, ...]:
        return tuple(sorted((e for e in self.kb.entries if self.is_stale(e)), key=lambda e: e.reviewed))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier (the 31st becomes the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for dd in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def phrasing_source(kb: KnowledgeBase, entry_id: str, index: int) -> str:
    """`file:line` of an entry's phrasing (of the entry, if the line is not known)."""
    entry = kb.entry(entry_id)
    if entry is None:
        return entry_id
    if index < len(entry.question_lines):
        return f"{entry.source.rpartition(':')[0]}:{entry.question_lines[index]}"
    return entry.source


def close_pairs(
    matcher: Matcher, min_rate: float = CLOSE_PAIR_RATE, held_out: Iterable[HeldOut] | None = None
) -> tuple[ClosePair, ...]:
    """Pairs of entries whose phrasings the matcher mixes up (see the module docstring)."""
    entries = matcher.kb.entries
    margin = MIX_MARGIN
    mixed: Counter[tuple[int, int]] = Counter()
    examples: defaultdict[tuple[int, int], list[str]] = defaultdict(list)
    for ei, qi, scores in matcher.held_out_scores() if held_out is None else held_out:
        own = float(scores[ei])
        for other in (int(j) for j in (scores >= own - margin).nonzero()[0]):
            if other == ei:
                continue
            key = (min(ei, other), max(ei, other))
            mixed[key] += 1
            examples[key].append(entries[ei].questions[qi])
    pairs = []
    for (i, j), count in mixed.items():
        total = len(entries[i].questions) + len(entries[j].questions)
        pair = ClosePair(
            entries[i].id, entries[j].id, count, total, tuple(examples[(i, j)][:MAX_PAIR_EXAMPLES])
        )
        if pair.rate >= min_rate:
            pairs.append(pair)
    return tuple(sorted(pairs, key=lambda p: (-p.rate, p.a, p.b)))


def analyse(kb: KnowledgeBase, matcher: Matcher, today: dt.date) -> Report:
    """Everything the report shows; `today` is passed in so tests can fix it."""
    # Scoring every phrasing held out is the expensive part; do it once for both lists.
    held_out = list(matcher.held_out_scores())
    collisions = tuple(
        Collision(e, qi, text, other, phrasing_source(kb, e, qi))
        for e, qi, text, other in matcher.collisions(held_out)
    )
    return Report(
        kb,
        today,
        months_before(today, STALE_AFTER_MONTHS),
        collisions,
        close_pairs(matcher, held_out=held_out),
        MIX_MARGIN,
    )


# -- HTML ------------------------------------------------------------------------------------

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("bot.core", "templates"),
    autoescape=True,  # every value is escaped unless marked safe; only `markup` below is
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)
_TEMPLATES.filters["markup"] = lambda text: markupsafe.Markup(markup_to_html(text))


def render_html(report: Report) -> str:
    """The whole page as one string of HTML5 (template: bot/core/templates/report.html.j2)."""
    kb = report.kb
    phrasings = sum(len(e.questions) for e in kb.entries)
    cards = [
        ("主题 topics", len(kb.topics), ""),
        ("条目 entries", len(kb.entries), ""),
        ("问法 phrasings", phrasings, ""),
        ("待复核 stale", len(report.stale), "warn" if report.stale else "ok"),
        ("撞车问法 collisions", len(report.collisions), "warn" if report.collisions else "ok"),
        ("易混条目 close pairs", len(report.close_pairs), "warn" if report.close_pairs else "ok"),
    ]
    page = _TEMPLATES.get_template("report.html.j2").render(
        report=report,
        kb=kb,
        cards=cards,
        colliding={(c.entry, c.index): c.found for c in report.collisions},
        close_pair_rate=CLOSE_PAIR_RATE,
    )
    return page.strip() + "\n"
