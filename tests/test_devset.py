"""Quality floors on the labelled questions.

`tests/data/questions.jsonl` is the project's own labelled set (written for this project,
never copied from elsewhere); the shared development set is used too when it is present.
The floors sit a little under the measured figures in the README (where they are below the
understanding issue's targets, the README says so), so a real regression fails while ordinary
noise does not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.evaluate import read_labelled, score
from tests.conftest import SHARED_EVAL

OWN_SET = Path(__file__).parent / "data" / "questions.jsonl"


def run(matcher, path):
    def decide(q):
        r = matcher.match(q)
        return r.decision, r.candidates, matcher.clarify_options(r)

    return score(read_labelled(path), decide)


def test_own_labelled_questions(real_matcher):
    report = run(real_matcher, OWN_SET)
    s = report.summary()
    print("own set:", s)
    assert report.in_scope >= 60 and report.out_of_scope >= 20
    assert s["answer_correct"] >= 0.88
    assert s["correct_or_offered"] >= 0.96
    assert s["wrong_answer"] <= 0.02
    assert s["oos_answered"] <= 0.03


@pytest.mark.skipif(not (SHARED_EVAL / "dev.jsonl").exists(), reason="../shared/eval is not available here")
def test_shared_dev_set(real_matcher):
    report = run(real_matcher, SHARED_EVAL / "dev.jsonl")
    s = report.summary()
    print("shared dev set:", s)
    # The understanding issue's targets for this set.
    assert s["answer_correct"] >= 0.88
    assert s["correct_or_offered"] >= 0.97
    assert s["wrong_answer"] <= 0.02
    assert s["oos_answered"] <= 0.03


@pytest.mark.skipif(
    not (SHARED_EVAL / "real_dev.jsonl").exists(), reason="../shared/eval is not available here"
)
def test_shared_real_questions(real_matcher):
    """Real questions from public corpora (read in place, never copied into the project)."""
    report = run(real_matcher, SHARED_EVAL / "real_dev.jsonl")
    s = report.summary()
    print("shared real questions:", s)
    assert s["answer_correct"] >= 0.64
    assert s["correct_or_offered"] >= 0.91
    assert s["wrong_answer"] <= 0.03
    assert s["oos_answered"] <= 0.03
    assert s["oos_clarified"] <= 0.12
