"""What users asked that the knowledge base does not cover yet: grouping and export.

Input: the question log (texts already masked), as `LoggedQuestion`s. Output: a `GapsReport`
with two parts a maintainer can act on:

* gaps: questions that got no answer (`none`) or only a "did you mean" nobody picked
  (`clarify`), grouped by similarity, biggest groups first, each with the closest existing
  entry and its score under the *current* knowledge base;
* suggestions: questions whose "did you mean" choice picked an entry, i.e. new phrasings for
  that entry.

Grouping method (deterministic, no training): every question goes through the matcher's own
normaliser and feature extraction (Traditional → Simplified, synonyms, character n-grams, of
which the 1- and 2-grams are kept: 3-grams of short questions are nearly all unique and only
dilute the vectors); identical normalised questions are merged with a count; features are
weighted by TF-IDF computed over the logged questions themselves, so words every question
shares ("催收", "网贷") count little, and n-grams made only of function characters (我、的、
吗、怎么办…) are dropped: on short questions they would otherwise dominate. Unlike the
matcher, unigrams keep full weight (one shared noun such as 狗 or 股 is what makes two short
questions alike). Then greedy leader clustering: in order of frequency,
each question joins the group whose centroid it is most similar to (cosine) if that similarity
is at least `threshold`, else it starts a new group. Pure: plain strings in, plain data out.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import yaml

from bot.core.features import FUNCTION_CHARS, FeatureSpace, extract_features
from bot.core.matcher import Matcher
from bot.core.model import LoggedQuestion

# Measured on hand-made pairs: paraphrases score 0.3-0.6, unrelated questions below 0.2.
DEFAULT_THRESHOLD = 0.3
CSV_COLUMNS = ("kind", "group", "group_size", "users", "entry", "title", "score", "question", "count")


@dataclass(frozen=True)
class Phrasing:
    text: str  # the first wording seen of this normalised question
    count: int
    users: int


@dataclass(frozen=True)
class Gap:
    phrasings: tuple[Phrasing, ...]  # most frequent first
    size: int  # logged questions in the group
    users: int  # distinct askers (0 when the log has no hashes)
    decisions: tuple[tuple[str, int], ...]  # ("none", n), ("clarify", n)
    closest_entry: str | None
    closest_title: str
    closest_score: float


@dataclass(frozen=True)
class Suggestion:
    entry: str
    title: str
    phrasings: tuple[Phrasing, ...]


@dataclass(frozen=True)
class GapsReport:
    gaps: tuple[Gap, ...]
    suggestions: tuple[Suggestion, ...]
    total: int  # logged questions considered


@dataclass
class _Item:
    normalized: str
    text: str
    count: int = 0
    users: set[str] = field(default_factory=set)
    decisions: Counter[str] = field(default_factory=Counter)

    def phrasing(self) -> Phrasing:
        return Phrasing(self.text, self.count, len(self.users))


def _merge(rows: Iterable[LoggedQuestion], matcher: Matcher) -> list[_Item]:
    """Identical questions after normalisation become one item with a count."""
    items: dict[str, _Item] = {}
    for row in rows:
        normalized = matcher.normalize(row.text)
        if not normalized:
            continue
        item = items.setdefault(normalized, _Item(normalized, row.text.strip()))
        item.count += 1
        if row.user:
            item.users.add(row.user)
        item.decisions[row.decision] += 1
    return sorted(items.values(), key=lambda i: (-i.count, -len(i.users), i.normalized))


def features(normalized: str) -> Counter[str]:
    """The matcher's features without 3-grams and without n-grams of function characters only."""
    return Counter(
        {
            f: k
            for f, k in extract_features(normalized).items()
            if (len(f) <= 2 or f.isascii()) and not FUNCTION_CHARS.issuperset(f)
        }
    )


def cluster(items: Sequence[_Item], threshold: float) -> list[list[_Item]]:
    """Greedy leader clustering by cosine to each group's (count-weighted) centroid.

    Vectors are unit TF-IDF rows with the IDF computed over the logged questions themselves.
    """
    counts = [features(i.normalized) for i in items]
    vectors = FeatureSpace(counts).matrix(counts).toarray()
    groups: list[list[_Item]] = []
    sums = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    centroids = np.zeros((0, vectors.shape[1]), dtype=np.float32)
    for item, vec in zip(items, vectors, strict=True):
        best = -1
        if len(groups):
            sims = centroids @ vec
            # The last group with the highest similarity at or above the threshold, as before.
            top = float(sims.max())
            if top >= threshold:
                best = int(np.flatnonzero(sims == top)[-1])
        if best < 0:
            groups.append([item])
            sums = np.vstack([sums, vec * item.count])
            centroids = np.vstack([centroids, vec])
            continue
        groups[best].append(item)
        sums[best] += vec * item.count
        norm = float(np.linalg.norm(sums[best]))
        centroids[best] = sums[best] / norm if norm else sums[best]
    return groups


def find_gaps(
    rows: Iterable[LoggedQuestion], matcher: Matcher, threshold: float = DEFAULT_THRESHOLD
) -> GapsReport:
    """Group unanswered questions and collect "did you mean" choices as suggested phrasings."""
    rows = list(rows)
    kb = matcher.kb
    unanswered = [r for r in rows if r.chosen is None]
    gaps = []
    for group in cluster(_merge(unanswered, matcher), threshold):
        users: set[str] = set().union(*(i.users for i in group))
        decisions: Counter[str] = Counter()
        for i in group:
            decisions.update(i.decisions)
        best = matcher.closest(group[0].text)  # the most frequent wording represents the group
        entry = kb.entry(best.entry) if best else None
        gaps.append(
            Gap(
                phrasings=tuple(i.phrasing() for i in group),
                size=sum(i.count for i in group),
                users=len(users),
                decisions=tuple(sorted(decisions.items())),
                closest_entry=best.entry if best else None,
                closest_title=entry.title if entry else "",
                closest_score=best.score if best else 0.0,
            )
        )
    gaps.sort(key=lambda g: (-g.size, -g.users, g.phrasings[0].text))

    by_entry: dict[str, list[LoggedQuestion]] = {}
    for r in rows:
        if r.chosen is not None:
            by_entry.setdefault(r.chosen, []).append(r)
    suggestions = []
    for entry_id, chosen in by_entry.items():
        entry = kb.entry(entry_id)
        known = {matcher.normalize(q) for q in entry.questions} if entry else set()
        phrasings = tuple(i.phrasing() for i in _merge(chosen, matcher) if i.normalized not in known)
        if phrasings:
            suggestions.append(Suggestion(entry_id, entry.title if entry else "", phrasings))
    suggestions.sort(key=lambda s: (-sum(p.count for p in s.phrasings), s.entry))
    return GapsReport(tuple(gaps), tuple(suggestions), len(rows))


# -- export ---------------------------------------------------------------------------------


def to_csv(report: GapsReport) -> str:
    """One row per distinct question: gaps first (group 1 is the biggest), then suggestions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for n, gap in enumerate(report.gaps, 1):
        for p in gap.phrasings:
            writer.writerow(
                [
                    "gap",
                    n,
                    gap.size,
                    gap.users,
                    gap.closest_entry or "",
                    gap.closest_title,
                    f"{gap.closest_score:.3f}",
                    p.text,
                    p.count,
                ]
            )
    for s in report.suggestions:
        size = sum(p.count for p in s.phrasings)
        users = sum(p.users for p in s.phrasings)
        for p in s.phrasings:
            writer.writerow(["suggestion", s.entry, size, users, s.entry, s.title, "", p.text, p.count])
    return out.getvalue()


def _comment(text: str) -> str:
    return " ".join(text.split())


class _EntryStyleDumper(yaml.SafeDumper):
    """List items indented under their key, as maintainers write them in the entries."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _questions_block(texts: Iterable[str]) -> list[str]:
    """A `questions:` block indented as in knowledge/entries/*.yaml. The YAML library quotes
    what needs quoting, so `yes`, `123` or a date stay text when pasted back."""
    dumped = yaml.dump(
        {"questions": [" ".join(t.split()) for t in texts]},
        Dumper=_EntryStyleDumper,
        allow_unicode=True,
        width=10_000,
        sort_keys=False,
    )
    return ["  " + line for line in dumped.rstrip("\n").split("\n")]


def to_yaml(report: GapsReport) -> str:
    """Candidate `questions:` blocks, ready to paste into an entry (comments say where)."""
    lines = [
        "# Candidate phrasings from the question log (numbers masked). Review each one, then paste",
        "# the `questions:` items into the entry named in the comment, or into a new entry.",
    ]
    for s in report.suggestions:
        lines += [
            "",
            f"# Suggested for entry '{s.entry}' ({_comment(s.title)}): chosen from \"did you mean\"",
            *_questions_block(p.text for p in s.phrasings),
        ]
    for n, gap in enumerate(report.gaps, 1):
        closest = (
            f"closest entry '{gap.closest_entry}' ({_comment(gap.closest_title)}) "
            f"score {gap.closest_score:.2f}"
            if gap.closest_entry
            else "no close entry"
        )
        lines += [
            "",
            f"# Gap {n}: asked {gap.size} times by {gap.users} users; {closest}",
            *_questions_block(p.text for p in gap.phrasings),
        ]
    return "\n".join(lines) + "\n"


def summary_lines(report: GapsReport, limit: int = 10) -> list[str]:
    """Plain-text lines for a terminal (the bot escapes them for HTML itself)."""
    lines = [
        f"{report.total} logged questions: {len(report.gaps)} unanswered groups, "
        f"{len(report.suggestions)} entries with suggested phrasings"
    ]
    for n, gap in enumerate(report.gaps[:limit], 1):
        closest = f"{gap.closest_entry} ({gap.closest_score:.2f})" if gap.closest_entry else "-"
        lines.append(f"{n}. ×{gap.size} ({gap.users} users) {gap.phrasings[0].text}  → {closest}")
    for s in report.suggestions[:limit]:
        lines.append(f"+ {s.entry}: " + " | ".join(p.text for p in s.phrasings[:3]))
    return lines
