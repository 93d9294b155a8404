"""Learning-curve predictors: from the first k epochs of a validation-accuracy curve, predict
the final accuracy (the mean of the epochs ``final_epochs`` that define "final"), with an
uncertainty.

Three kinds, in the order the lessons meet them:

- baselines: ``LastValue`` (NASLib's "early stopping"; in published comparisons it beats most
  fancier predictors) and ``BestSoFar``;
- parametric families from Domhan et al. (IJCAI 2015), fitted by bounded least squares, and
  an ``Ensemble`` that weights them by how well they fit the observed part;
- ``CurveRegressor``, which learns from complete curves of candidates already trained in the
  same search (in the spirit of Baker et al.'s LcSVR) and reads the architecture too;
- ``zscore_sum``, which adds the recent mean of each partial curve to a free architecture
  signal (log parameter count), equal weights: the strongest cheap ranking in the benchmark;
  ``rank_observed`` applies it to the curves a pruning rule left.

>>> LastValue().predict([0.5, 0.7, 0.8]).mean
0.8
"""
from __future__ import annotations

import abc
import math
import warnings
from dataclasses import dataclass
from typing import Callable, Hashable, Mapping, Sequence

import numpy as np
from scipy import optimize


@dataclass(frozen=True)
class Prediction:
    mean: float  # predicted final accuracy (NaN when a fit failed)
    std: float   # its uncertainty, one standard deviation


def check_curve(curve: Sequence[float], minimum: int = 1) -> np.ndarray:
    """``curve`` as a float array, or ValueError: NaNs, values outside [0, 1], too short."""
    values = np.asarray(curve, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"a curve is a 1-d sequence of accuracies, but got shape {values.shape}")
    if len(values) < minimum:
        raise ValueError(f"need at least {minimum} observed epochs, but got {len(values)}")
    if not np.isfinite(values).all():
        raise ValueError(f"a curve must not contain NaN or inf, but got {values.tolist()}")
    if values.min() < 0 or values.max() > 1:
        raise ValueError(f"accuracies must lie in [0, 1], but got {values.tolist()}")
    return values


def _jitter(values: np.ndarray) -> float:
    """Epoch-to-epoch noise of a curve, one standard deviation (0 if under 3 epochs).

    Second differences cancel a smooth trend: for white noise of spread s on top of one,
    y[t+1] - 2 y[t] + y[t-1] has variance 6 s**2.
    """
    second = np.diff(values[-6:], n=2)
    return float(np.sqrt(np.mean(second ** 2) / 6)) if len(second) else 0.0


class Predictor(abc.ABC):
    """Predicts the final accuracy of a run from its first epochs."""

    name = "predictor"

    def __init__(self, epochs: int = 12, final_epochs: int = 6) -> None:
        if not 1 <= final_epochs <= epochs:
            raise ValueError(f"need 1 <= final_epochs <= epochs, but got {final_epochs=}, "
                             f"{epochs=}")
        self.epochs = epochs
        self.final_epochs = final_epochs

    @property
    def final_range(self) -> np.ndarray:
        """The epochs (1-based) whose mean is the final accuracy."""
        return np.arange(self.epochs - self.final_epochs + 1, self.epochs + 1)

    @abc.abstractmethod
    def predict(self, curve: Sequence[float]) -> Prediction:
        """Predict from the observed accuracies ``curve`` of epochs 1..k."""


class LastValue(Predictor):
    """The accuracy of the last observed epoch: the baseline to beat."""

    name = "last value"

    def predict(self, curve: Sequence[float]) -> Prediction:
        values = check_curve(curve)
        return Prediction(float(values[-1]), _jitter(values))


class BestSoFar(Predictor):
    """The best accuracy observed so far."""

    name = "best so far"

    def predict(self, curve: Sequence[float]) -> Prediction:
        values = check_curve(curve)
        return Prediction(float(values.max()), _jitter(values))


class RecentMean(Predictor):
    """The mean of the last ``window`` observed epochs: last value with its epoch-to-epoch
    noise averaged away, as "final" itself is an average of the last epochs."""

    name = "recent mean"

    def __init__(self, window: int = 3, epochs: int = 12, final_epochs: int = 6) -> None:
        super().__init__(epochs, final_epochs)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(f"window must be a positive integer, but got {window=}")
        self.window = window
        self.name = f"recent mean ({window})"

    def predict(self, curve: Sequence[float]) -> Prediction:
        values = check_curve(curve)[-self.window:]
        noise = _jitter(check_curve(curve))
        return Prediction(float(values.mean()), noise / math.sqrt(len(values)) if noise
                          else float(np.std(values)))


def zscore_sum(*signals: Sequence[float]) -> np.ndarray:
    """Scores that read several signals at once: the sum of each signal's z-scores over the
    candidates, with equal weights (none tuned on the ground truth).

    The natural use pairs what a partial curve says (``RecentMean`` of each candidate) with
    what the architecture says for free (log parameter count): each corrects the other's
    noise. Every signal needs one value per candidate and some spread.

    >>> zscore_sum([0.5, 0.7, 0.9], [3.0, 1.0, 2.0]).round(2).tolist()
    [-0.0, -1.22, 1.22]
    """
    columns = [np.asarray(signal, dtype=float) for signal in signals]
    if not columns or len({len(column) for column in columns}) != 1:
        raise ValueError(f"need signals of one length, but got lengths "
                         f"{[len(column) for column in columns]}")
    total = np.zeros(len(columns[0]))
    for index, column in enumerate(columns):
        if not np.all(np.isfinite(column)) or column.std() == 0:
            raise ValueError(f"signal {index} must be finite and not constant, but got "
                             f"{column[:5].tolist()}...")
        total += (column - column.mean()) / column.std()
    return total


def rank_observed(curves: Mapping[Hashable, Sequence[float]],
                  *signals: Mapping[Hashable, float], window: int = 3) -> dict:
    """Scores from the curves a pruning rule left, higher is better: runs trained longer rank
    above runs stopped earlier (each survived a comparison the others lost, so the pick is a
    run trained furthest); among runs trained equally long, ``zscore_sum`` of the mean of their
    last ``window`` accuracies and of each of ``signals`` (a value per run, e.g. log parameter
    count, or a supernet's score). A signal constant among them is left out: it orders nothing.

    A score is the epochs reached plus a number in (0, 1) that orders the runs of that rung.

    >>> curves = {"a": [0.58], "b": [0.60], "d": [0.30], "c": [0.40, 0.70]}
    >>> scores = rank_observed(curves, {"a": 3.0, "b": 1.0, "d": 2.0, "c": 1.0})
    >>> sorted(scores, key=scores.get, reverse=True)  # a's size outweighs b's 2 points
    ['c', 'a', 'b', 'd']
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise ValueError(f"window must be a positive integer, but got {window=}")
    for index, signal in enumerate(signals):
        missing = [key for key in curves if key not in signal]
        if missing:
            raise ValueError(f"signal {index} has no value for {missing[0]!r}")
    rungs: dict[int, list[Hashable]] = {}
    for key, curve in curves.items():
        rungs.setdefault(len(check_curve(curve)), []).append(key)
    scores = {}
    for epochs, keys in rungs.items():
        columns = [[float(np.mean(curves[key][-window:])) for key in keys]]
        columns += [[float(signal[key]) for key in keys] for signal in signals]
        varying = [column for column in columns if np.std(column) > 0]
        total = zscore_sum(*varying) if varying else np.zeros(len(keys))
        scores.update({key: epochs + 1 / (1 + math.exp(-value))
                       for key, value in zip(keys, total)})
    return {key: scores[key] for key in curves}


@dataclass(frozen=True)
class Family:
    """A parametric curve y(t) with bounds and a starting point for its parameters."""

    name: str
    function: Callable[..., np.ndarray]
    initial: tuple[float, ...]
    lower: tuple[float, ...]
    upper: tuple[float, ...]

    @property
    def num_parameters(self) -> int:
        return len(self.initial)


# Domhan, Springenberg & Hutter (IJCAI 2015), Table 1, with t the epoch (1-based).
FAMILIES: dict[str, Family] = {family.name: family for family in (
    Family("pow3", lambda t, c, a, alpha: c - a * t ** -alpha,
           (0.9, 0.5, 0.5), (0.0, 0.0, 0.0), (1.0, 10.0, 5.0)),
    Family("log_power", lambda t, a, b, c: a / (1 + (t / np.exp(b)) ** -c),
           (0.9, 0.0, 1.0), (0.0, -5.0, 0.0), (1.0, 5.0, 10.0)),
    Family("exp3", lambda t, a, b, c: c - np.exp(-a * t + b),
           (0.5, 0.0, 0.9), (0.0, -10.0, 0.0), (5.0, 5.0, 1.0)),
    Family("vapor_pressure", lambda t, a, b, c: np.exp(a + b / t + c * np.log(t)),
           (0.0, -1.0, 0.0), (-5.0, -10.0, -1.0), (0.5, 5.0, 1.0)),
    Family("mmf", lambda t, alpha, beta, kappa, delta:
           alpha - (alpha - beta) / (1 + (kappa * t) ** delta),
           (0.9, 0.1, 0.5, 1.0), (0.0, 0.0, 1e-3, 0.1), (1.0, 1.0, 10.0, 10.0)),
    Family("janoschek", lambda t, alpha, beta, kappa, delta:
           alpha - (alpha - beta) * np.exp(-kappa * t ** delta),
           (0.9, 0.1, 0.5, 1.0), (0.0, 0.0, 1e-3, 0.1), (1.0, 1.0, 10.0, 10.0)),
)}


@dataclass(frozen=True)
class Fit:
    family: Family
    parameters: np.ndarray  # NaN when the fit failed
    rmse: float             # root mean squared residual on the observed epochs

    @property
    def ok(self) -> bool:
        return bool(np.isfinite(self.parameters).all())

    def __call__(self, epochs: np.ndarray) -> np.ndarray:
        return self.family.function(np.asarray(epochs, dtype=float), *self.parameters)


def fit_family(family: Family, curve: Sequence[float]) -> Fit:
    """Bounded least-squares fit of ``family`` to ``curve`` (epochs 1..k). A failed fit
    comes back with NaN parameters and a warning, never a made-up curve."""
    values = check_curve(curve)
    epochs = np.arange(1, len(values) + 1, dtype=float)

    def residuals(parameters: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return family.function(epochs, *parameters) - values

    try:
        result = optimize.least_squares(residuals, family.initial,
                                        bounds=(family.lower, family.upper))
        if not (result.success and np.isfinite(result.fun).all()):
            raise RuntimeError(result.message)
    except (RuntimeError, ValueError, FloatingPointError) as error:
        warnings.warn(f"fitting {family.name} to {values.round(3).tolist()} failed: {error}",
                      RuntimeWarning, stacklevel=2)
        return Fit(family, np.full(family.num_parameters, np.nan), float("nan"))
    return Fit(family, result.x, float(np.sqrt(np.mean(result.fun ** 2))))


class Parametric(Predictor):
    """One family, fitted to the observed epochs and averaged over the final epochs."""

    def __init__(self, family: str, epochs: int = 12, final_epochs: int = 6) -> None:
        super().__init__(epochs, final_epochs)
        if family not in FAMILIES:
            raise ValueError(f"unknown curve family {family!r}; choose from {sorted(FAMILIES)}")
        self.family = FAMILIES[family]
        self.name = family

    def predict(self, curve: Sequence[float]) -> Prediction:
        values = check_curve(curve, minimum=self.family.num_parameters)
        fit = fit_family(self.family, values)
        if not fit.ok:
            return Prediction(float("nan"), float("nan"))
        return Prediction(float(np.mean(fit(self.final_range))), max(fit.rmse, _jitter(values)))


RESOLUTION = 1e-3  # accuracy differences below this are measurement resolution, not signal


class Ensemble(Predictor):
    """Every family that can be fitted to the observed epochs (no more parameters than
    points), weighted by Akaike weights, exp(-AIC / 2), so better fits with fewer parameters
    count more. The spread of the families' predictions joins the curve's own noise in the
    uncertainty. Failed fits are left out; if all fail the prediction is NaN."""

    name = "ensemble"

    def __init__(self, families: Sequence[str] = tuple(FAMILIES), epochs: int = 12,
                 final_epochs: int = 6) -> None:
        super().__init__(epochs, final_epochs)
        unknown = [f for f in families if f not in FAMILIES]
        if unknown or not families:
            raise ValueError(f"unknown curve families {unknown}; choose from {sorted(FAMILIES)}")
        self.families = [FAMILIES[f] for f in families]

    def predict(self, curve: Sequence[float]) -> Prediction:
        smallest = min(f.num_parameters for f in self.families)
        values = check_curve(curve, minimum=smallest)
        usable = [f for f in self.families if f.num_parameters <= len(values)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failures are counted below
            fits = [fit for fit in (fit_family(f, values) for f in usable) if fit.ok]
        if not fits:
            warnings.warn(f"no curve family could be fitted to {values.round(3).tolist()}",
                          RuntimeWarning, stacklevel=2)
            return Prediction(float("nan"), float("nan"))
        # Akaike weights: fit quality, with a penalty of one per parameter (in units of
        # log-likelihood). Mean squared residuals are floored at RESOLUTION**2: a family that
        # passes exactly through a few points is not infinitely more credible.
        n = len(values)
        aic = np.array([n * np.log(max(fit.rmse ** 2, RESOLUTION ** 2)) +
                        2 * fit.family.num_parameters for fit in fits])
        weights = np.exp(-(aic - aic.min()) / 2)
        weights /= weights.sum()
        noise = _jitter(values)
        finals = np.array([np.mean(fit(self.final_range)) for fit in fits])
        mean = float(np.clip(weights @ finals, 0.0, 1.0))
        spread = float(np.sqrt(weights @ (finals - mean) ** 2))
        return Prediction(mean, math.hypot(spread, noise))


class CurveRegressor(Predictor):
    """Learns the final accuracy from the first ``observed_epochs`` of complete curves of
    candidates already trained in the same search (in the spirit of Baker et al.'s LcSVR:
    support-vector regression on curve features), optionally with architecture features
    (e.g. log parameter count) beside them. It never sees the ground truth of the curves it
    scores: only the complete curves given to ``fit``.

    Uncertainty is the five-fold cross-validated residual spread on the fitted curves.
    """

    name = "curve regressor"

    def __init__(self, observed_epochs: int, epochs: int = 12, final_epochs: int = 6,
                 regularisation: float = 1.0) -> None:
        super().__init__(epochs, final_epochs)
        if not 1 <= observed_epochs <= epochs:
            raise ValueError(f"observed_epochs must be in [1, {epochs}], but got "
                             f"{observed_epochs=}")
        self.observed_epochs = observed_epochs
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
        targets = np.array([c[self.final_range - 1].mean() for c in curves])
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
