"""A learned learning-curve predictor: fit on the complete curves of candidates already
trained in the same search, query the partial curves of the others (the predictor contract of
NASLib: fit on some architectures, query others).

>>> curves = [[0.1 * i + 0.01 * e for e in range(1, 7)] for i in range(1, 9)] * 2
>>> regressor = CurveRegressor(2, epochs=6, final_epochs=3).fit(curves)
>>> round(regressor.predict([0.45, 0.46]).mean, 1)
0.5
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .checks import check_integer
from .curves import Prediction, Predictor, check_curve
from .learning_curve import final_accuracy


class CurveRegressor(Predictor):
    """Learns the final accuracy from the first ``observed_epochs`` of complete curves of
    candidates already trained in the same search (in the spirit of Baker et al.'s LcSVR:
    support-vector regression on curve features), optionally with architecture features
    (e.g. log parameter count) beside them. It never sees the ground truth of the curves it
    scores: only the complete curves given to ``fit``.

    Uncertainty is the five-fold cross-validated residual spread on the fitted curves.
    """

    name = "curve regressor"

    def __init__(self, observed_epochs: int, epochs: int, final_epochs: int,
                 regularisation: float = 1.0) -> None:
        super().__init__(epochs, final_epochs)
        self.observed_epochs = check_integer("observed_epochs", observed_epochs, 1, epochs)
        self.regularisation = regularisation

    def _inputs(self, curve: np.ndarray, features: np.ndarray | None) -> np.ndarray:
        values = curve[:self.observed_epochs]
        extra = np.zeros(0) if features is None else np.asarray(features, dtype=float).ravel()
        return np.concatenate([values, [values[-1] - values[0], values.max()], extra])

    def fit(self, curves: Sequence[Sequence[float]],
            features: Sequence[Sequence[float]] | None = None) -> "CurveRegressor":
        """Fit on complete curves (``epochs`` long), with one feature row per curve if given."""
        from sklearn.model_selection import cross_val_predict
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVR
        curves = [check_curve(c, minimum=self.epochs) for c in curves]
        if len(curves) < 10:
            raise ValueError(f"need at least 10 complete curves to learn from, got {len(curves)}")
        if features is not None and len(features) != len(curves):
            raise ValueError(f"got {len(features)} feature rows for {len(curves)} curves")
        rows = [None] * len(curves) if features is None else features
        inputs = np.array([self._inputs(c, f) for c, f in zip(curves, rows)])
        targets = np.array([final_accuracy(c[:self.epochs], self.final_epochs) for c in curves])
        self.model_ = make_pipeline(StandardScaler(), SVR(C=self.regularisation, epsilon=0.005))
        held_out = cross_val_predict(self.model_, inputs, targets, cv=min(5, len(curves)))
        self.residual_std_ = float(np.std(held_out - targets))
        self.model_.fit(inputs, targets)
        self.uses_features_ = features is not None
        return self

    def predict(self, curve: Sequence[float], features: Sequence[float] | None = None
                ) -> Prediction:
        if not hasattr(self, "model_"):
            raise ValueError("this CurveRegressor is not fitted yet; call fit(curves) first")
        if (features is not None) != self.uses_features_:
            raise ValueError("give architecture features to predict exactly when fit had them")
        values = check_curve(curve, minimum=self.observed_epochs)
        mean = float(self.model_.predict(self._inputs(values, features)[None])[0])
        return Prediction(mean, self.residual_std_)
