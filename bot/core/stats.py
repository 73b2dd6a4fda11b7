"""/stats for admins: questions per day, how they ended, top entries, 👍/👎 by entry.

Input is the content-free counters (day, decision, entry, count) and the feedback totals per
entry, so the numbers stay right after a user's /forget (which removes their log rows, not the
counters, which cannot be linked to anyone). Output is Telegram HTML; the words are in
knowledge/messages.yaml (stats.*).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Sequence

from bot.core.messages import Texts

DECISIONS = ("answer", "clarify", "none")


def _pct(n: int, total: int) -> str:
    return f"{n * 100 / total:.0f}%" if total else "–"


def render_stats(
    counts: Sequence[tuple[str, str, str, int]],
    feedback: Sequence[tuple[str, int, int]],
    title: Callable[[str], str],
    today: dt.date,
    texts: Texts,
    days: int = 14,
    top: int = 10,
) -> str:
    """`counts`: (YYYY-MM-DD, decision, entry, n); decisions answer/clarify/none/choice."""
    t = texts
    first = (today - dt.timedelta(days=days - 1)).isoformat()
    counts = [c for c in counts if c[0] >= first]
    by_decision: Counter[str] = Counter()
    per_day: dict[str, Counter[str]] = {}
    answered: Counter[str] = Counter()
    for day, decision, entry, n in counts:
        by_decision[decision] += n
        per_day.setdefault(day, Counter())[decision] += n
        if decision == "answer" and entry:
            answered[entry] += n
    total = sum(by_decision[d] for d in DECISIONS)
    lines = [t("stats.title", days=days, first=first), ""]
    if not total:
        lines.append(t("stats.empty"))
    else:
        rates = " · ".join(
            t("stats.rate", label=t.plain(f"stats.{d}"), n=by_decision[d], pct=_pct(by_decision[d], total))
            for d in DECISIONS
        )
        lines.append(t("stats.total", total=total, rates=rates))
        lines.append(t("stats.choices", n=by_decision["choice"]))
        lines += ["", t("stats.per_day")]
        for i in range(days):
            day = (today - dt.timedelta(days=i)).isoformat()
            c = per_day.get(day, Counter())
            n = sum(c[d] for d in DECISIONS)
            if n:
                lines.append(
                    t("stats.day", day=day, n=n, answer=c["answer"], clarify=c["clarify"], none=c["none"])
                )
    if answered:
        lines += ["", t("stats.top")]
        for entry, n in sorted(answered.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
            lines.append(t("stats.top_item", n=n, title=title(entry), entry=entry))
    lines += ["", t("stats.votes")]
    if not feedback:
        lines.append(t("stats.no_votes"))
    for entry, up, down in feedback[:top]:
        lines.append(t("stats.vote", up=up, down=down, title=title(entry), entry=entry))
    return "\n".join(lines)
