"""The maintainer report: the whole knowledge base on one static HTML page.

`analyse()` gathers what a maintainer needs to act on; `render_html()` turns it into a page
that opens in any browser (no JavaScript, one inline stylesheet). Every piece of knowledge
text is HTML-escaped, so nothing a maintainer writes can break the page.

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
import html
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.matcher import HeldOut, Matcher
from bot.core.render import markup_to_html

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
    collisions = tuple(Collision(e, qi, text, other) for e, qi, text, other in matcher.collisions(held_out))
    return Report(
        kb,
        today,
        months_before(today, STALE_AFTER_MONTHS),
        collisions,
        close_pairs(matcher, held_out=held_out),
        MIX_MARGIN,
    )


# -- HTML ------------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _anchor(entry_id: str) -> str:
    return f"e-{entry_id}"


def _entry_link(kb: KnowledgeBase, entry_id: str) -> str:
    entry = kb.entry(entry_id)
    title = f'<span class="muted">{_e(entry.title)}</span>' if entry else ""
    return f'<a href="#{_e(_anchor(entry_id))}"><code>{_e(entry_id)}</code></a> {title}'


def _summary(report: Report) -> str:
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
    items = "".join(
        f'<div class="card {cls}"><div class="num">{n}</div><div class="label">{_e(label)}</div></div>'
        for label, n, cls in cards
    )
    return f'<section class="cards">{items}</section>'


def _collisions(report: Report) -> str:
    head = '<h2 id="collisions">撞车的问法 · Phrasings that find another entry first</h2>'
    intro = (
        '<p class="hint">把这条问法当作新问题（不含它自己）去匹配，先找到的是另一个条目。'
        "请改写这条问法，或让两个条目的问法区分更明显。</p>"
    )
    if not report.collisions:
        return head + '<p class="good">没有。None.</p>'
    rows = "".join(
        f"<tr><td>{_entry_link(report.kb, c.entry)}</td><td>{c.index + 1}</td>"
        f"<td>{_e(c.text)}</td><td>{_entry_link(report.kb, c.found)}</td></tr>"
        for c in report.collisions
    )
    return (
        head + intro + "<table><thead><tr><th>条目 entry</th><th>#</th><th>问法 phrasing</th>"
        f"<th>先找到 finds first</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _pairs(report: Report) -> str:
    head = '<h2 id="close-pairs">容易混淆的条目 · Entries that are easily mixed up</h2>'
    intro = (
        f'<p class="hint">混淆率 = 两个条目的全部问法中，当作新问题时另一个条目得分不低于本条目减 '
        f"{report.margin:.2f} 的比例；列出混淆率 ≥ {CLOSE_PAIR_RATE:.0%} 的条目对。"
        "请让两条的问法各有侧重，或合并这两个条目。</p>"
    )
    if not report.close_pairs:
        return head + intro + '<p class="good">没有。None.</p>'
    rows = "".join(
        f"<tr><td>{_entry_link(report.kb, p.a)}</td><td>{_entry_link(report.kb, p.b)}</td>"
        f'<td class="num">{p.rate:.0%}<div class="muted">{p.mixed}/{p.total}</div></td>'
        f"<td><ul>{''.join(f'<li>{_e(x)}</li>' for x in p.examples)}</ul></td></tr>"
        for p in report.close_pairs
    )
    return (
        head + intro + "<table><thead><tr><th>条目 A</th><th>条目 B</th><th>混淆率 mix rate</th>"
        f"<th>混淆的问法 examples</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _stale(report: Report) -> str:
    head = '<h2 id="stale">待复核 · Not reviewed in 12 months</h2>'
    if not report.stale:
        return head + f'<p class="good">所有条目都在 {_e(report.stale_before)} 之后复核过。</p>'
    rows = "".join(
        f"<tr><td>{_entry_link(report.kb, e.id)}</td><td>{_e(e.reviewed)}</td><td><code>{_e(e.source)}</code></td></tr>"
        for e in report.stale
    )
    return (
        head
        + "<table><thead><tr><th>条目 entry</th><th>上次复核 reviewed</th><th>文件 file</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _entry(report: Report, entry: Entry, colliding: dict[tuple[str, int], str]) -> str:
    kb = report.kb
    stale = report.is_stale(entry)
    badge = (
        f'<span class="badge warn">待复核 · reviewed {_e(entry.reviewed)}</span>'
        if stale
        else f'<span class="badge">reviewed {_e(entry.reviewed)}</span>'
    )
    phrasings = []
    for i, q in enumerate(entry.questions):
        found = colliding.get((entry.id, i))
        note = f' <span class="badge warn">→ {_e(found)}</span>' if found else ""
        cls = ' class="collides"' if found else ""
        phrasings.append(f"<li{cls}>{_e(q)}{note}</li>")
    related = ", ".join(_entry_link(kb, r) for r in entry.related) or '<span class="muted">—</span>'
    basis = "".join(f"<li>{_e(b)}</li>" for b in entry.legal_basis)
    return (
        f'<article class="entry{" stale" if stale else ""}" id="{_e(_anchor(entry.id))}">'
        f"<h3>{_e(entry.title)}</h3>"
        f'<div class="meta"><code>{_e(entry.id)}</code> · <code>{_e(entry.source)}</code> {badge}</div>'
        f'<ol class="phrasings">{"".join(phrasings)}</ol>'
        f'<div class="meta">相关 related: {related}</div>'
        f"<details><summary>回答与法律依据 · answer and legal basis</summary>"
        f'<div class="answer">{markup_to_html(entry.answer)}</div><ul class="basis">{basis}</ul></details>'
        "</article>"
    )


def _topics(report: Report) -> str:
    kb = report.kb
    colliding = {(c.entry, c.index): c.found for c in report.collisions}
    sections = []
    for topic in kb.topics:
        entries = kb.entries_in(topic.id)
        body = (
            "".join(_entry(report, e, colliding) for e in entries)
            or '<p class="warn">这个主题还没有条目。</p>'
        )
        sections.append(
            f'<section class="topic" id="t-{_e(topic.id)}"><h2>{_e(topic.zh)} '
            f'<span class="muted">{_e(topic.en)} · <code>{_e(topic.id)}</code> · {len(entries)}</span></h2>'
            f"{body}</section>"
        )
    return "".join(sections)


def _nav(report: Report) -> str:
    links = "".join(
        f'<li><a href="#t-{_e(t.id)}">{_e(t.zh)}</a> <span class="muted">{len(report.kb.entries_in(t.id))}</span></li>'
        for t in report.kb.topics
    )
    return (
        '<nav><ul class="toc"><li><a href="#collisions">撞车问法</a></li><li><a href="#close-pairs">易混条目</a>'
        f'</li><li><a href="#stale">待复核</a></li></ul><ul class="toc">{links}</ul></nav>'
    )


CSS = """
:root { --fg:#1f2328; --muted:#656d76; --line:#d0d7de; --bg:#f6f8fa; --warn:#9a6700;
  --warn-bg:#fff8c5; --ok:#1a7f37; --ok-bg:#dafbe1; --accent:#0969da; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1100px; padding: 24px; color: var(--fg); line-height: 1.6;
  font-family: -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif; }
h1 { margin: 0 0 4px; font-size: 1.7rem; }
h2 { margin-top: 40px; padding-bottom: 6px; border-bottom: 1px solid var(--line); font-size: 1.3rem; }
h3 { margin: 0 0 4px; font-size: 1.05rem; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em;
  background: var(--bg); padding: 1px 4px; border-radius: 4px; }
.muted { color: var(--muted); font-weight: normal; font-size: .9em; }
.hint { color: var(--muted); }
.good { color: var(--ok); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 20px 0; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; background: #fff; }
.card .num { font-size: 1.8rem; font-weight: 600; }
.card .label { color: var(--muted); font-size: .85rem; }
.card.warn { background: var(--warn-bg); border-color: #d4a72c; }
.card.ok { background: var(--ok-bg); border-color: #4ac26b; }
nav .toc { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 16px; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { border: 1px solid var(--line); padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
td.num { white-space: nowrap; font-weight: 600; }
td ul { margin: 0; padding-left: 18px; }
.entry { border: 1px solid var(--line); border-radius: 8px; padding: 14px 18px; margin: 14px 0; background: #fff; }
.entry.stale { border-left: 4px solid #d4a72c; }
.entry .meta { color: var(--muted); font-size: .85rem; margin: 4px 0; }
.phrasings { margin: 8px 0; padding-left: 28px; }
.phrasings li.collides { background: var(--warn-bg); }
.badge { display: inline-block; font-size: .75rem; padding: 0 8px; border-radius: 10px;
  border: 1px solid var(--line); color: var(--muted); margin-left: 6px; }
.badge.warn { background: var(--warn-bg); border-color: #d4a72c; color: var(--warn); }
.warn { color: var(--warn); }
details summary { cursor: pointer; color: var(--accent); font-size: .9rem; }
.answer { white-space: pre-wrap; background: var(--bg); padding: 10px 12px; border-radius: 6px; margin: 8px 0; }
.basis { font-size: .9rem; }
footer { margin-top: 40px; color: var(--muted); font-size: .85rem; }
"""


def render_html(report: Report) -> str:
    """The whole page as one string of HTML5."""
    kb = report.kb
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-Hans"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>催收问答 · 知识库报告 {_e(report.today)}</title><style>{CSS}</style></head><body>",
        f'<header><h1>催收问答 · 知识库报告</h1><div class="muted">Knowledge base report · '
        f"<code>{_e(kb.directory)}</code> · {_e(report.today)} · {_e(kb.firm.name)}</div></header>",
        _summary(report),
        _nav(report),
        _collisions(report),
        _pairs(report),
        _stale(report),
        _topics(report),
        "<footer>由 <code>python -m bot report --html</code> 生成；修改 <code>knowledge/</code> 后运行 "
        "<code>python -m bot check</code> 校验，并在机器人里发送 /reload 生效。</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
