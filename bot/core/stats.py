"""/stats for admins: questions per day, how they ended, top entries, 👍/👎 by entry.

Input is the content-free counters (day, decision, entry, count) and the feedback totals per
entry, so the numbers stay right after a user's /forget (which removes their log rows, not the
counters, which cannot be linked to anyone). Output is Telegram HTML.
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from collections.abc import Callable, Sequence

DECISIONS = (("answer", "回答"), ("clarify", "请选择"), ("none", "无回答"))


def _pct(n: int, total: int) -> str:
    return f"{n * 100 / total:.0f}%" if total else "–"


def render_stats(
    counts: Sequence[tuple[str, str, str, int]],
    feedback: Sequence[tuple[str, int, int]],
    title: Callable[[str], str],
    today: dt.date,
    days: int = 14,
    top: int = 10,
) -> str:
    """`counts`: (YYYY-MM-DD, decision, entry, n); decisions answer/clarify/none/choice."""
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
    total = sum(by_decision[d] for d, _ in DECISIONS)

    def esc(text: str) -> str:
        return html.escape(text, quote=False)

    lines = [f"<b>统计：最近 {days} 天</b>（UTC 日期，{first} 起）", ""]
    if not total:
        lines.append("这段时间没有收到提问。")
    else:
        rates = " · ".join(
            f"{label} {by_decision[d]}（{_pct(by_decision[d], total)}）" for d, label in DECISIONS
        )
        lines.append(f"提问 {total}：{rates}")
        lines.append(f"“您是想问”被点选：{by_decision['choice']} 次")
        lines += ["", "<b>每天</b>（提问：回答/请选择/无回答）"]
        for i in range(days):
            day = (today - dt.timedelta(days=i)).isoformat()
            c = per_day.get(day, Counter())
            n = sum(c[d] for d, _ in DECISIONS)
            if n:
                lines.append(f"{day}  {n}：{c['answer']}/{c['clarify']}/{c['none']}")
    if answered:
        lines += ["", "<b>回答最多的条目</b>"]
        for entry, n in sorted(answered.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
            lines.append(f"{n} × {esc(title(entry))}（{entry}）")
    lines += ["", "<b>👍/👎</b>"]
    if not feedback:
        lines.append("还没有反馈。")
    for entry, up, down in feedback[:top]:
        lines.append(f"👍 {up} 👎 {down}  {esc(title(entry))}（{entry}）")
    return "\n".join(lines)
