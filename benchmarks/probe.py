"""Measurements that need a fresh process, so the harness does not pollute them.

    python -m benchmarks.probe kb DIR [semantic|lexical]   load DIR and build the matcher; print JSON
    python -m benchmarks.probe startup DIR  build the production Application; print JSON

Times are from process start (the parent measures wall time around the whole process too).
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across execve, so a child forked from a
    # big harness would report the harness's peak.
    peak = _status_mb("VmHWM")
    return peak if peak == peak else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe_kb(directory: str, mode: str = "semantic") -> dict[str, float]:
    t0 = time.perf_counter()
    from bot.config import Settings
    from bot.core.knowledge import load_knowledge
    from bot.core.matcher import build_matcher

    t1 = time.perf_counter()
    rss_imported = _rss_mb()
    kb = load_knowledge(directory)
    t2 = time.perf_counter()
    matcher = build_matcher(kb, Settings.from_env().model_cache_dir, semantic=mode == "semantic")
    t3 = time.perf_counter()
    matcher.match("催收说要上门")
    return {
        "entries": len(kb.entries),
        "phrasings": sum(len(e.questions) + 1 for e in kb.entries),
        "import_s": t1 - t0,
        "load_s": t2 - t1,
        "index_s": t3 - t2,
        "rss_imported_mb": rss_imported,
        "rss_mb": _rss_mb(),
        "peak_mb": _peak_mb(),
    }


def probe_startup(directory: str) -> dict[str, float]:
    t0 = time.perf_counter()
    from bot.config import Settings
    from bot.core.knowledge import load_knowledge
    from bot.tg.app import build_application

    settings = Settings(token="123456:STARTUP-PROBE", base_url="http://127.0.0.1:9/bot")
    kb = load_knowledge(directory)
    build_application(settings, kb)
    return {"in_process_s": time.perf_counter() - t0, "rss_mb": _rss_mb(), "peak_mb": _peak_mb()}


def main() -> int:
    what, directory = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "semantic"
    result = probe_kb(directory, mode) if what == "kb" else probe_startup(directory)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
