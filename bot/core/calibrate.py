"""From scores to one number: the probability that the best entry's topic is the right one.

Hand-set score thresholds mean little (is 0.30 sure?). Instead, the matcher learns what its
scores are worth from the knowledge base itself: every phrasing is scored as an unseen
question by a scorer fitted without it (k-fold), and so is every out-of-scope example. A
logistic regression over a few summary features (`bot.core.scoring.CALIBRATION_FEATURES`)
then predicts whether the best entry's topic was right (out-of-scope examples never are).
"Answer", "did you mean" and "none" are read off that one probability (`MatchSettings`).

Phrasings are written by the same hands as their siblings, so they are easier than real
questions: the probability is optimistic on real wording, which is why the thresholds were
chosen on labelled questions as well, and why `bot eval` prints a reliability table (predicted
against observed) for any labelled set.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from bot.core.features import FloatArray

CALIBRATION_C = 1.0


class Calibrator:
    def __init__(self, mean: FloatArray, scale: FloatArray, coef: FloatArray, intercept: float) -> None:
        self.mean = mean
        self.scale = scale
        self.coef = coef
        self.intercept = intercept

    @classmethod
    def fit(cls, x: FloatArray, correct: npt.NDArray[np.bool_]) -> Calibrator:
        from sklearn.linear_model import LogisticRegression

        mean = x.mean(axis=0).astype(np.float32)
        scale = x.std(axis=0).astype(np.float32)
        scale[scale == 0] = 1.0
        if correct.all() or not correct.any():  # degenerate (tiny knowledge bases): a constant
            return cls(mean, scale, np.zeros(x.shape[1], dtype=np.float32), 5.0 if correct.all() else -5.0)
        model = LogisticRegression(C=CALIBRATION_C, max_iter=2000)
        model.fit((x - mean) / scale, correct)
        return cls(mean, scale, model.coef_[0].astype(np.float32), float(model.intercept_[0]))

    def probability(self, features: FloatArray) -> float:
        z = float(((features - self.mean) / self.scale) @ self.coef) + self.intercept
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

    def arrays(self) -> dict[str, npt.NDArray[np.float32]]:
        return {
            "cal_mean": self.mean,
            "cal_scale": self.scale,
            "cal_coef": self.coef,
            "cal_intercept": np.asarray([self.intercept], dtype=np.float32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]]) -> Calibrator:
        return cls(
            arrays["cal_mean"].astype(np.float32),
            arrays["cal_scale"].astype(np.float32),
            arrays["cal_coef"].astype(np.float32),
            float(arrays["cal_intercept"][0]),
        )


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    count: int
    mean_predicted: float
    observed: float  # share of these questions whose best topic was right


def reliability(
    pairs: Iterable[tuple[float, bool]], edges: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
) -> list[ReliabilityBin]:
    """Predicted probability against observed accuracy, in probability bins."""
    items = list(pairs)
    bins = []
    for low, high in pairwise(edges):
        inside = [(p, ok) for p, ok in items if low <= p < high or (high == edges[-1] and p == high)]
        if inside:
            bins.append(
                ReliabilityBin(
                    low,
                    high,
                    len(inside),
                    sum(p for p, _ in inside) / len(inside),
                    sum(ok for _, ok in inside) / len(inside),
                )
            )
        else:
            bins.append(ReliabilityBin(low, high, 0, 0.0, 0.0))
    return bins
