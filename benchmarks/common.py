"""Shared helpers for the benchmarks: default inputs, timing statistics, markdown tables."""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project's own labelled set; the shared sets (../shared/eval/*.jsonl) are passed with --file.
OWN_SET = ROOT / "tests" / "data" / "questions.jsonl"
# A tiny labelled set written for the benchmark smoke tests; the fallback when OWN_SET is absent.
TINY_SET = ROOT / "tests" / "benchmarks" / "tiny.jsonl"


def default_questions() -> Path:
    return OWN_SET if OWN_SET.exists() else TINY_SET


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats are printed as given by the caller (pre-format them)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def ms(seconds: float) -> str:
    return f"{1000 * seconds:.2f} ms"


def machine() -> str:
    cpus = os.cpu_count() or 0
    return f"{platform.machine()}, {cpus} CPU(s), Python {platform.python_version()}, {platform.system()}"


def child_env() -> dict[str, str]:
    """Environment for subprocesses: the project importable, nothing pointing at Telegram."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def bot_env(base_url: str, base_file_url: str, token: str, workdir: Path, knowledge: Path) -> dict[str, str]:
    """Environment for a `python -m bot run` child pointed at a local fake Bot API server."""
    env = child_env()
    env.update(
        TELEGRAM_BOT_TOKEN=token,
        TELEGRAM_API_BASE_URL=base_url,
        TELEGRAM_API_BASE_FILE_URL=base_file_url,
        DATABASE_PATH=str(workdir / "bot.sqlite3"),
        KNOWLEDGE_DIR=str(knowledge),
    )
    return env


def emit(text: str, out: Path | None) -> int:
    """Print a report (UTF-8 whatever the locale) and write it to `out` if given."""
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    print(text)
    if out:
        out.write_text(text, encoding="utf-8")
    return 0


PYTHON = sys.executable


def peak_in_window(times: list[float], window: float) -> int:
    """Most events in any half-open window of `window` seconds (`times` sorted)."""
    peak, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        peak = max(peak, hi - lo + 1)
    return peak
