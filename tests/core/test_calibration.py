"""One calibrated number decides: answer, "did you mean", none."""

from __future__ import annotations

import numpy as np

from bot.core.calibrate import Calibrator, reliability
from bot.core.matcher import MatchSettings


def test_decision_follows_the_stated_thresholds(real_matcher):
    s = real_matcher.settings
    assert (s.answer_at, s.clarify_at) == (MatchSettings().answer_at, MatchSettings().clarify_at)
    for q in ["催收要上门怎么办", "征信多久恢复", "离婚孩子归谁", "还不上了", "他们打我电话", "律师", "花呗"]:
        r = real_matcher.match(q)
        expected = "answer" if r.confidence >= s.answer_at else "clarify" if r.confidence >= s.clarify_at else "none"
        if r.decision == "clarify" and expected == "answer":  # a bare keyword is offered, not answered
            continue
        assert r.decision == expected, q


def test_confidence_is_monotone_and_calibrated_on_held_out_documents(real_matcher):
    """Phrasings and out-of-scope examples scored with themselves left out: the more
    confident, the more often right, about as often as predicted."""
    pairs = real_matcher.held_out_calibration()
    assert len(pairs) > 1500
    bins = [b for b in reliability(pairs, edges=(0.0, 0.4, 0.7, 0.9, 1.0)) if b.count >= 20]
    observed = [b.observed for b in bins]
    assert observed == sorted(observed), bins
    # Well calibrated: each bin's accuracy within 0.15 of what it predicted.
    assert all(abs(b.observed - b.mean_predicted) < 0.15 for b in bins), bins


def test_calibrator_is_monotone_in_its_main_features():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)).astype(np.float32)
    correct = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=400)) > 0
    cal = Calibrator.fit(x, correct)
    low, high = np.zeros(3, dtype=np.float32), np.zeros(3, dtype=np.float32)
    high[0] = 2.0
    assert cal.probability(high) > cal.probability(low)
    restored = Calibrator.from_arrays(cal.arrays())
    assert restored.probability(high) == cal.probability(high)


def test_reliability_bins_count_everything():
    pairs = [(0.1, False), (0.15, True), (0.85, True), (0.95, True), (1.0, True)]
    bins = reliability(pairs)
    assert sum(b.count for b in bins) == len(pairs)
    top = bins[-1]
    assert top.count == 2 and top.observed == 1.0
