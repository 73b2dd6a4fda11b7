"""Each benchmark runs end to end on a tiny input, so none of them can rot.

No timing is asserted: only that every benchmark produces its report and that its
invariants hold (every question scored, every simulated user answered, no 429s).
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import cluster, load, quality, speed
from benchmarks.baselines import Bm25Baseline, WRatioBaseline, run_all
from benchmarks.common import TINY_SET, percentile
from benchmarks.synthetic import perturb, write_synthetic
from bot.config import DEFAULT_KNOWLEDGE
from bot.core.evaluate import read_labelled
from bot.core.knowledge import load_knowledge
from tests.fakebotapi import TelegramLimits


def test_quality_report_has_all_three_side_by_side(real_kb):
    text = quality.run([TINY_SET])
    for name in (
        "ours (bot.core.matcher)",
        "ours, lexical signals only",
        "BM25 (jieba + bm25s)",
        "rapidfuzz extractOne (WRatio)",
    ):
        assert name in text
    assert "top-1 accuracy (in scope)" in text and "out of scope: false answer" in text
    assert "Worst mistakes" in text


def test_baselines_always_answer_and_score_every_question(real_kb):
    items = read_labelled(TINY_SET)
    reports = run_all(real_kb, items)
    for report in reports.values():
        assert report.in_scope + report.out_of_scope == len(items)
    for baseline in (Bm25Baseline(real_kb), WRatioBaseline(real_kb)):
        decision, top, _ = baseline.decide("上门催收合法吗")
        assert decision == "answer" and top[0].topic == "door-visit"
        assert baseline.decide("！！！")[0] == "none"


def test_synthetic_knowledge_base_is_valid_and_bigger(tmp_path: Path):
    kb = load_knowledge(write_synthetic(DEFAULT_KNOWLEDGE, tmp_path / "x2", 2))
    real = load_knowledge(DEFAULT_KNOWLEDGE)
    assert len(kb.entries) == 2 * len(real.entries)
    copy = kb.entry(real.entries[0].id + "-s1")
    assert copy is not None and copy.questions != real.entries[0].questions


def test_perturb_changes_text():
    import random

    rng = random.Random(1)
    assert any(perturb("催收可以上门吗", rng, {"上门": ["家访"]}) != "催收可以上门吗" for _ in range(5))


def test_speed_report_on_small_sizes():
    text = speed.run([1, 2], TINY_SET, budget=0.0, startup_runs=1, first_start=False)
    assert "| 1× | semantic |" in text and "| 1× | lexical |" in text and "| 2× | lexical |" in text
    assert "floor" in text and "first getUpdates" in text


async def test_load_small_closed_loop_and_burst_are_429_free():
    questions = [item.q for item in read_labelled(TINY_SET)]
    for scenario in ("closed-loop", "burst"):
        result = await load.run_load(3, 4, questions, TelegramLimits(), "production", scenario)
        assert len(result.latencies) == 12 and result.timeouts == 0
        assert result.rejected == 0, result.rejected_by
    assert "## End-to-end load" in load.report([result])


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 99) == 99 and percentile(values, 100) == 100


def test_ablation_report_on_the_small_knowledge_base():
    from benchmarks import ablation
    from tests.conftest import FIXTURES

    text = ablation.run([TINY_SET], FIXTURES / "kb_min")
    for name, _, _ in ablation.VARIANTS:
        assert name in text
    assert "character n-grams + jieba words" in text and "jieba words only" in text


def test_cluster_report_has_sqlite_and_postgresql_rows(postgres_server):
    text = cluster.run(TINY_SET, users=2, per_user=2)
    rows = [line for line in text.splitlines() if line.startswith(("| SQLite", "| PostgreSQL"))]
    assert len(rows) == 3, text
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[3] == "4/4" and cells[10] == "0", row  # every user answered, no 429
