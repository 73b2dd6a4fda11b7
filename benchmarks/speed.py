"""Speed benchmark: matching time against the raw rapidfuzz floor, load time, memory, start-up.

Usage:
    python -m benchmarks.speed [--sizes 1,10,50] [--file QUESTIONS.jsonl] [--budget 8] [--out F]

For each size (1 = the real knowledge base; N = a synthetic one N times larger, see
benchmarks/synthetic.py) the questions of the labelled set are matched one at a time in
this process; each is also run through one raw `rapidfuzz.process.extractOne(q, phrasings,
scorer=fuzz.WRatio)` over the same titles and phrasings, interleaved, as the floor for a
fuzzy-matching FAQ bot. Load time and memory come from a fresh process per size
(benchmarks/probe.py); start-up from fresh processes of the real bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from benchmarks.baselines import documents
from benchmarks.common import (
    PYTHON,
    ROOT,
    bot_env,
    child_env,
    default_questions,
    emit,
    median,
    ms,
    percentile,
    table,
)
from benchmarks.synthetic import write_synthetic
from bot.config import DEFAULT_KNOWLEDGE, Settings
from bot.core.evaluate import read_labelled
from bot.core.knowledge import load_knowledge
from bot.core.matcher import Matcher, build_matcher

TARGET_RATIO = 3.0
# The understanding issue: the lexical path under 2 ms per question; with the semantic model a
# median of at most 25 ms, and start-up within 3 s once the model cache is warm.
TARGET_LEXICAL_MS = 2.0
TARGET_SEMANTIC_MS = 25.0
TARGET_STARTUP_S = 3.0
TARGET_MEMORY_MB = 250.0
MIN_QUERIES = 20


@dataclass
class SizeResult:
    factor: int
    mode: str  # "semantic" (as the bot runs) or "lexical" (without the semantic model)
    entries: int
    phrasings: int
    n: int
    ours: list[float]
    floor: list[float]
    probe: dict[str, float]
    cpu: list[float]  # the process's CPU seconds per question: what other load on the machine barely moves

    @property
    def ratio(self) -> float:
        return median(self.ours) / median(self.floor)

    @property
    def qps(self) -> float:
        return len(self.ours) / sum(self.ours)


def time_matching(
    matcher: Matcher, texts: list[str], questions: list[str], budget: float
) -> tuple[list[float], list[float], list[float]]:
    """Per-question seconds for ours (wall and CPU) and for the raw extractOne floor, interleaved."""
    for q in questions[:3]:  # warm caches and lazy imports
        matcher.match(q)
        process.extractOne(q, texts, scorer=fuzz.WRatio, processor=utils.default_process)
    ours: list[float] = []
    cpu: list[float] = []
    floor: list[float] = []
    deadline = time.perf_counter() + budget
    i = 0
    while i < len(questions) and (i < MIN_QUERIES or time.perf_counter() < deadline):
        q = questions[i]
        t, c = time.perf_counter(), time.process_time()
        matcher.match(q)
        ours.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        t = time.perf_counter()
        process.extractOne(q, texts, scorer=fuzz.WRatio, processor=utils.default_process)
        floor.append(time.perf_counter() - t)
        i += 1
    return ours, cpu, floor


def probe(
    what: str, directory: Path, mode: str = "semantic", cache: Path | None = None
) -> tuple[dict[str, float], float]:
    """Run benchmarks.probe in a fresh process; its JSON and the wall time of the whole process.
    `cache` replaces the model cache directory (an empty one measures a first start)."""
    env = child_env()
    if cache is not None:
        env["MODEL_CACHE_DIR"] = str(cache)
    t = time.perf_counter()
    out = subprocess.run(
        [PYTHON, "-m", "benchmarks.probe", what, str(directory), mode],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - t
    return json.loads(out.stdout.strip().splitlines()[-1]), wall


def measure_size(factor: int, directory: Path, questions: list[str], budget: float, mode: str) -> SizeResult:
    probe("kb", directory, mode)  # fits (or finds) the cached model, so the next probe is a warm start
    info, wall = probe("kb", directory, mode)
    info["wall_s"] = wall
    kb = load_knowledge(directory)
    matcher = build_matcher(kb, Settings.from_env().model_cache_dir, semantic=mode == "semantic")
    texts, _ = documents(kb)
    ours, cpu, floor = time_matching(matcher, texts, questions, budget)
    return SizeResult(factor, mode, len(kb.entries), len(texts), len(ours), ours, floor, info, cpu)


def measure_first_start(knowledge: Path) -> dict[str, float]:
    """Seconds to build the matcher with an empty model cache (first start, or after an edit of
    every phrasing), with and without the semantic model."""
    out: dict[str, float] = {}
    for mode in ("lexical", "semantic"):
        with tempfile.TemporaryDirectory(prefix="bench-cache-") as empty:
            info, _ = probe("kb", knowledge, mode, cache=Path(empty))
            out[mode] = info["index_s"]
    return out


async def _first_get_updates(knowledge: Path, timeout: float = 30.0) -> float:
    """Seconds from spawning `python -m bot run` (pointed at the fake server) to its first getUpdates."""
    from tests.fakebotapi import FakeBotApi

    api = FakeBotApi()
    await api.start()
    with tempfile.TemporaryDirectory() as tmp:
        env = bot_env(api.base_url, api.base_file_url, api.token, Path(tmp), knowledge)
        t0 = time.monotonic()
        child = subprocess.Popen(
            [PYTHON, "-m", "bot", "run"],
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while "getUpdates" not in api.first_seen:
                if child.poll() is not None or time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"the bot did not start polling (exit code {child.returncode})")
                await asyncio.sleep(0.005)
            return api.first_seen["getUpdates"] - t0
        finally:
            child.send_signal(signal.SIGTERM)
            await asyncio.to_thread(child.wait, 15)
            await api.stop()


def measure_startup(knowledge: Path, runs: int = 3) -> dict[str, float]:
    built = []
    for _ in range(runs):
        info, wall = probe("startup", knowledge)
        built.append((wall, info))
    polling = [asyncio.run(_first_get_updates(knowledge)) for _ in range(runs)]
    wall, info = sorted(built, key=lambda x: x[0])[len(built) // 2]
    return {
        "built_s": wall,
        "built_in_process_s": info["in_process_s"],
        "rss_mb": info["rss_mb"],
        "polling_s": median(polling),
        "runs": runs,
    }


def report(
    results: list[SizeResult],
    startup: dict[str, float] | None,
    questions_from: str,
    first_start: dict[str, float] | None = None,
) -> str:
    rows = []
    for r in results:
        rows.append(
            [
                f"{r.factor}×",
                r.mode,
                r.entries,
                r.phrasings,
                r.n,
                ms(median(r.ours)),
                ms(percentile(r.ours, 99)),
                ms(median(r.cpu)),
                f"{r.qps:,.0f}",
                ms(median(r.floor)),
                f"{r.ratio:.2f}×",
            ]
        )
    parts = [
        "## Speed",
        "",
        f"Questions: {questions_from}, matched one at a time in one process (p99 of few samples is "
        "close to the maximum). `semantic` is the matcher as the bot runs it; `lexical` the same "
        "without the semantic model (what runs where the model is not installed). The synthetic "
        "knowledge bases are measured on the lexical path only (embedding tens of thousands of "
        "phrasings is a one-off, cached cost). Floor: one raw `process.extractOne(q, phrasings, "
        "scorer=fuzz.WRatio)` (default processor) over the same titles and phrasings, interleaved. "
        "`median CPU` is the process's CPU time per question, which other work on the machine barely "
        f"changes (one-minute load average as this report was written: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores).",
        "",
        table(
            [
                "size",
                "path",
                "entries",
                "phrasings",
                "questions",
                "median",
                "p99",
                "median CPU",
                "q/s",
                "floor median",
                "÷ floor",
            ],
            rows,
        ),
    ]
    rows = []
    for r in results:
        p = r.probe
        rows.append(
            [
                f"{r.factor}×",
                r.mode,
                f"{p['load_s']:.2f} s",
                f"{p['index_s']:.2f} s",
                f"{p['wall_s']:.2f} s",
                f"{p['rss_mb']:.0f} MB",
                f"{p['peak_mb']:.0f} MB",
                f"{p['rss_imported_mb']:.0f} MB",
            ]
        )
    parts += [
        "",
        "Load and memory, each in a fresh process with the model cache warm (benchmarks/probe.py): YAML "
        "load and validation, matcher build, whole process wall time; resident memory after building "
        "(VmRSS), peak (VmHWM), and after imports only.",
        "",
        table(
            ["size", "path", "load", "build", "process wall", "RSS", "peak RSS", "RSS after imports"], rows
        ),
    ]
    if first_start is not None:
        parts += [
            "",
            "First start with an empty model cache (the real knowledge base; fitting the classifier and "
            f"its {'5'}-fold calibration, and embedding every phrasing): lexical {first_start['lexical']:.1f} s, "
            f"with the semantic model {first_start['semantic']:.1f} s. An edit re-embeds only the "
            "phrasings that changed.",
        ]
    checks = []
    for r in results:
        if r.mode == "lexical":
            med = median(r.ours) * 1000
            checks.append(
                f"- {r.factor}× lexical: matching {r.ratio:.2f}× the floor (target ≤ {TARGET_RATIO:.0f}×): "
                + ("met" if r.ratio <= TARGET_RATIO else "**missed**")
            )
            if r.factor == 1:
                checks.append(
                    f"- lexical path median {med:.2f} ms (target < {TARGET_LEXICAL_MS:.0f} ms): "
                    + ("met" if med < TARGET_LEXICAL_MS else "**missed**")
                )
        else:
            med = median(r.ours) * 1000
            checks.append(
                f"- {r.factor}× semantic path median {med:.1f} ms (target ≤ {TARGET_SEMANTIC_MS:.0f} ms): "
                + ("met" if med <= TARGET_SEMANTIC_MS else "**missed**")
                + f" (median CPU time {median(r.cpu) * 1000:.1f} ms)"
            )
    lexical = [r for r in results if r.mode == "lexical"]
    for r in lexical[1:]:
        base = lexical[0]
        growth = median(r.ours) / median(base.ours)
        size = r.phrasings / base.phrasings
        exponent = math.log(growth) / math.log(size) if growth > 0 and size > 1 else float("nan")
        checks.append(
            f"- {base.factor}× → {r.factor}×: {size:.0f}× the phrasings, {growth:.1f}× the median matching "
            f"time (exponent {exponent:.2f}; ≤ 1 is no faster than linear): "
            + ("met" if exponent <= 1.05 else "**missed**")
        )
    real = next((r for r in results if r.factor == 1 and r.mode == "semantic"), None)
    if real is not None:
        mem = real.probe["rss_mb"]
        checks.append(
            f"- real knowledge base resident memory {mem:.0f} MB with the semantic model "
            f"(target < {TARGET_MEMORY_MB:.0f} MB): " + ("met" if mem < TARGET_MEMORY_MB else "**missed**")
        )
    if startup is not None:
        parts += [
            "",
            f"Start-up of the real bot (median of {startup['runs']:.0f} fresh processes, real knowledge base, "
            f"model cache warm): process start → Application built with the knowledge base loaded: "
            f"{startup['built_s']:.2f} s ({startup['built_in_process_s']:.2f} s of it after the interpreter "
            f"started; RSS then {startup['rss_mb']:.0f} MB); `python -m bot run` spawned → first getUpdates "
            f"at the local fake Bot API server: {startup['polling_s']:.2f} s.",
        ]
        checks.append(
            f"- start-up {startup['built_s']:.2f} s to built, {startup['polling_s']:.2f} s to polling "
            f"(target ≤ {TARGET_STARTUP_S:.0f} s with a warm cache): "
            + ("met" if startup["polling_s"] <= TARGET_STARTUP_S else "**missed**")
        )
    parts += ["", "Targets:", "", *checks]
    return "\n".join(parts) + "\n"


def run(
    sizes: list[int],
    questions_file: Path,
    budget: float = 8.0,
    knowledge: Path = DEFAULT_KNOWLEDGE,
    startup: bool = True,
    startup_runs: int = 3,
    first_start: bool = True,
) -> str:
    questions = [item.q for item in read_labelled(questions_file)]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as tmp:
        for factor in sizes:
            directory = (
                knowledge if factor == 1 else write_synthetic(knowledge, Path(tmp) / f"x{factor}", factor)
            )
            for mode in ("semantic", "lexical") if factor == 1 else ("lexical",):
                results.append(measure_size(factor, directory, questions, budget, mode))
            print(f"speed: {factor}× done", file=sys.stderr, flush=True)
    started = measure_startup(knowledge, startup_runs) if startup else None
    cold = measure_first_start(knowledge) if first_start else None
    try:
        shown = str(questions_file.resolve().relative_to(ROOT))
    except ValueError:
        shown = str(questions_file)
    return report(results, started, f"{len(questions)} from {shown}", cold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10", help="knowledge-base multiples (default: %(default)s)")
    parser.add_argument("--file", type=Path, default=None, help="labelled .jsonl whose questions are timed")
    parser.add_argument(
        "--budget", type=float, default=8.0, help="seconds of timing per size (at least 20 questions)"
    )
    parser.add_argument("--knowledge", type=Path, default=DEFAULT_KNOWLEDGE)
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurements")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    text = run(
        sizes,
        args.file or default_questions(),
        args.budget,
        args.knowledge,
        not args.no_startup,
        first_start=not args.no_startup,
    )
    return emit(text, args.out)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    raise SystemExit(main())
