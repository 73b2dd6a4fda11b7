"""A discriminative topic classifier: multinomial logistic regression over TF-IDF features.

Beside naive Bayes (which generalises well from few phrasings), logistic regression weighs
features against each other and ranks topics better on real questions (measured: README,
"Matching"). scikit-learn fits it; prediction is a sparse product kept here, so a model can be
stored as plain arrays (no pickle) and loaded without refitting.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

from bot.core.features import FloatArray, SparseVector

# Inverse regularisation strength, and the solver's tolerance: SAGA at 1e-3 fits in a fifth of
# the time of L-BFGS at 1e-4 with the same topic accuracy (measured; README, "Matching"),
# which matters because the calibration fits one model per fold.
LR_C = 20.0
LR_TOL = 1e-3


class TopicModel:
    def __init__(self, coef: FloatArray, intercept: FloatArray) -> None:
        self.coef = coef  # (n_classes, n_features)
        self.intercept = intercept  # (n_classes,)
        self._by_feature = np.ascontiguousarray(coef.T)  # a question's features select rows

    @classmethod
    def fit(cls, x: sparse.csr_matrix, labels: npt.NDArray[np.int64], n_classes: int) -> TopicModel:
        from sklearn.linear_model import LogisticRegression  # imported only when a model is fitted

        # SAGA visits samples in a random order: a fixed seed makes every fit (and so every
        # cached model and measured figure) reproducible.
        model = LogisticRegression(C=LR_C, tol=LR_TOL, solver="saga", max_iter=3000, random_state=0)
        model.fit(x, labels)
        coef = np.zeros((n_classes, x.shape[1]), dtype=np.float32)
        # Classes missing from the training data can never be predicted.
        intercept = np.full(n_classes, -1e4, dtype=np.float32)
        present = model.classes_.astype(np.int64)
        if len(present) == 2:  # scikit-learn stores one row for two classes
            coef[present[1]] = model.coef_[0]
            intercept[present[1]] = model.intercept_[0]
            intercept[present[0]] = 0.0
        else:
            coef[present] = model.coef_
            intercept[present] = model.intercept_
        return cls(coef, intercept)

    def probs(self, x: SparseVector) -> FloatArray:
        """Class probabilities for one question's vector."""
        z = (x.values.astype(np.float64) @ self._by_feature[x.indices]) + self.intercept
        z -= z.max()
        p = np.exp(z)
        out: FloatArray = (p / p.sum()).astype(np.float32)
        return out
