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


# (set, floors: at least for the first three rates, at most for the rest). The shared sets are
# read in place and skipped where ../shared/eval is absent; dev.jsonl's floors are the
# understanding issue's targets for it.
FLOORS = [
    (
        OWN_SET,
        {"answer_correct": 0.88, "correct_or_offered": 0.96},
        {"wrong_answer": 0.03, "oos_answered": 0.03},
    ),
    (
        SHARED_EVAL / "dev.jsonl",
        {"answer_correct": 0.88, "correct_or_offered": 0.97},
        {"wrong_answer": 0.02, "oos_answered": 0.03},
    ),
    (
        SHARED_EVAL / "real_dev.jsonl",  # real questions from public corpora
        {"answer_correct": 0.64, "correct_or_offered": 0.91},
        {"wrong_answer": 0.03, "oos_answered": 0.03, "oos_clarified": 0.12},
    ),
]


@pytest.mark.parametrize(("path", "at_least", "at_most"), FLOORS, ids=lambda v: getattr(v, "name", ""))
def test_labelled_set_stays_above_its_floors(real_matcher, path, at_least, at_most):
    if not path.exists():
        pytest.skip(f"{path} is not available here")
    report = run(real_matcher, path)
    s = report.summary()
    print(path.name, s)
    assert report.in_scope >= 60 and report.out_of_scope >= 20
    for key, floor in at_least.items():
        assert s[key] >= floor, (key, s[key])
    for key, ceiling in at_most.items():
        assert s[key] <= ceiling, (key, s[key])
