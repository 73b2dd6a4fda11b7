"""`make bench`: every benchmark, one markdown report.

Usage:
    python -m benchmarks.all [--file Q.jsonl ...] [--out bench-report.md] [--quick]

Quality runs on the project's own labelled set (tests/data/questions.jsonl) plus, when the
shared evaluation directory sits next to the project, ../shared/eval/dev.jsonl and
real_dev.jsonl (read in place, never copied). Speed and load use the largest set's questions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import ablation, cluster, load, quality, speed
from benchmarks.common import ROOT, default_questions, machine

SHARED_EVAL = ROOT.parent / "shared" / "eval"


def default_files() -> list[Path]:
    files = [default_questions()]
    files += [p for p in (SHARED_EVAL / "dev.jsonl", SHARED_EVAL / "real_dev.jsonl") if p.exists()]
    return files


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return out.stdout.strip()


def build_report(files: list[Path], quick: bool = False) -> str:
    started = time.perf_counter()
    sections = [quality.run(files)]
    print("quality done", file=sys.stderr, flush=True)
    if not quick:
        sections.append(ablation.run(files))
    # Speed and load draw their questions from the largest set given.
    largest = max(files, key=lambda f: len(f.read_text(encoding="utf-8").splitlines()))
    sizes = [1] if quick else [1, 10]
    sections.append(speed.run(sizes, largest, budget=3.0 if quick else 8.0))
    plans: tuple[load.Plan, ...] = load.DEFAULT_PLANS
    if quick:
        plans = (load.Plan("closed-loop", 20, 5, ("production",)), load.Plan("burst", 3, 5, ("production",)))
    sections.append(load.run(largest, plans))
    sections.append(cluster.run(largest, *((6, 3) if quick else (40, 10))))
    took = time.perf_counter() - started
    header = (
        "# 催收问答 benchmark report\n\n"
        f"{dt.date.today().isoformat()}, commit {_commit()}, {machine()}; "
        f"`{' '.join(['python -m benchmarks.all', *sys.argv[1:]])}` took {took:.0f} s.\n"
    )
    return "\n".join([header, *sections])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.all", description=__doc__.splitlines()[0])
    parser.add_argument("--file", action="append", type=Path, help="labelled .jsonl set (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-report.md")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and load, for a fast look")
    args = parser.parse_args(argv)
    text = build_report(args.file or default_files(), args.quick)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.reconfigure(encoding="utf-8")  # type: ignore[union-attr]
    print(text)
    print(f"report written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
