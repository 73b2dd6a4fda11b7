"""Scoring the matcher on a labelled question set (the format of `dev.jsonl`).

A line is `{"q": ..., "topics": [...]}`; an empty `topics` list means the bot must not
answer from the knowledge base. An answer is correct when the chosen entry's topic is one
of the acceptable topics; a "did you mean" is a hit when one offered entry's topic is.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.calibrate import reliability
from bot.core.matcher import Candidate, Decision


@dataclass(frozen=True)
class Labelled:
    q: str
    topics: tuple[str, ...]
    kind: str = ""


@dataclass(frozen=True)
class Outcome:
    item: Labelled
    decision: Decision
    topic: str | None  # the answered entry's topic (answer only)
    offered: tuple[str, ...]  # topics offered (clarify) or the top candidates' topics
    entry: str | None = None
    score: float = 0.0  # the best candidate's score (0.0 when there is none)


@dataclass
class Report:
    in_scope: int = 0
    out_of_scope: int = 0
    correct: int = 0
    clarify_hit: int = 0
    clarify_miss: int = 0
    no_answer: int = 0
    wrong: int = 0
    oos_answered: int = 0
    oos_clarified: int = 0
    top1: int = 0
    per_topic: dict[str, Counter[str]] = field(default_factory=dict)
    per_kind: dict[str, Counter[str]] = field(default_factory=dict)  # out-of-scope lines by `kind`
    mistakes: list[Outcome] = field(default_factory=list)
    # (calibrated confidence, was the best entry's topic right) for every question matched
    # (out-of-scope questions are never right); small talk has no confidence and is left out.
    calibration: list[tuple[float, bool]] = field(default_factory=list)

    def rate(self, n: int, of_oos: bool = False) -> float:
        d = self.out_of_scope if of_oos else self.in_scope
        return n / d if d else 0.0

    def summary(self) -> dict[str, float]:
        return {
            "in_scope": self.in_scope,
            "out_of_scope": self.out_of_scope,
            "answer_correct": self.rate(self.correct),
            "clarify_hit": self.rate(self.clarify_hit),
            "correct_or_offered": self.rate(self.correct + self.clarify_hit),
            "clarify_miss": self.rate(self.clarify_miss),
            "no_answer": self.rate(self.no_answer),
            "wrong_answer": self.rate(self.wrong),
            "top1_topic": self.rate(self.top1),
            "oos_answered": self.rate(self.oos_answered, of_oos=True),
            "oos_clarified": self.rate(self.oos_clarified, of_oos=True),
        }


def read_labelled(path: str | Path) -> list[Labelled]:
    items = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            items.append(Labelled(row["q"], tuple(row.get("topics") or ()), row.get("kind", "")))
    return items


Decide = Callable[
    [str],
    tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...]]
    | tuple[Decision, tuple[Candidate, ...], tuple[Candidate, ...], float],
]


def score(items: Iterable[Labelled], decide: Decide) -> Report:
    """Run `decide(q) -> (decision, top candidates, offered candidates[, confidence])` over a
    labelled set."""
    report = Report()
    for item in items:
        decision, top, offered, *rest = decide(item.q)
        best = top[0] if top else None
        if rest and best is not None:
            report.calibration.append((float(rest[0]), bool(item.topics) and best.topic in item.topics))
        outcome = Outcome(
            item,
            decision,
            best.topic if decision == "answer" and best else None,
            tuple(c.topic for c in (offered if decision == "clarify" else top)),
            best.entry if best else None,
            best.score if best else 0.0,
        )
        if not item.topics:
            report.out_of_scope += 1
            kind = report.per_kind.setdefault(item.kind or "other", Counter())
            kind["n"] += 1
            if decision == "answer":
                report.oos_answered += 1
                kind["answered"] += 1
                report.mistakes.append(outcome)
            elif decision == "clarify":
                report.oos_clarified += 1
                kind["clarified"] += 1
            continue
        report.in_scope += 1
        main = item.topics[0]
        stats = report.per_topic.setdefault(main, Counter())
        stats["n"] += 1
        if best is not None and best.topic in item.topics:
            report.top1 += 1
            stats["top1"] += 1
        if decision == "answer":
            if outcome.topic in item.topics:
                report.correct += 1
                stats["correct"] += 1
            else:
                report.wrong += 1
                stats["wrong"] += 1
                report.mistakes.append(outcome)
        elif decision == "clarify":
            if set(outcome.offered) & set(item.topics):
                report.clarify_hit += 1
                stats["clarify_hit"] += 1
            else:
                report.clarify_miss += 1
                stats["clarify_miss"] += 1
                report.mistakes.append(outcome)
        else:
            report.no_answer += 1
            stats["none"] += 1
            report.mistakes.append(outcome)
    return report


def reliability_text(report: Report) -> str:
    """The calibration of the matcher's confidence on this set, as a small table."""
    lines = ["confidence   questions  mean predicted  top topic right"]
    for b in reliability(report.calibration):
        if b.count:
            lines.append(
                f"{b.low:.1f}–{b.high:.1f}    {b.count:9d}  {b.mean_predicted:14.2f}  {b.observed:15.2f}"
            )
        else:
            lines.append(f"{b.low:.1f}–{b.high:.1f}    {0:9d}               -                -")
    return "\n".join(lines)
