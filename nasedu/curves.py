"""Learning-curve predictors: from the first k epochs of a validation-accuracy curve, predict
the final accuracy (the mean of the last ``final_epochs`` of ``epochs``, as a table's protocol
defines "final"), with an uncertainty. Every predictor is set up for one protocol: its
``epochs`` and ``final_epochs`` come from the table (``bench.protocol``), never a default.

Three kinds, in the order the lessons meet them:

- baselines: ``LastValue`` (NASLib's "early stopping"; in published comparisons it beats most
  fancier predictors) and ``BestSoFar``;
- parametric families from Domhan et al. (IJCAI 2015), fitted by bounded least squares, and
  an ``Ensemble`` that weights them by how well they fit the observed part;
- ``nasedu.curve_regressor.CurveRegressor``, which learns from complete curves of candidates
  already trained in the same search (in the spirit of Baker et al.'s LcSVR).

Ranking by a partial curve together with other signals is ``nasedu.ranking``'s job.

>>> LastValue(epochs=12, final_epochs=6).predict([0.5, 0.7, 0.8]).mean
0.8
"""
from __future__ import annotations

import abc
import math
import warnings
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy import optimize

from .checks import check_integer


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
    """Predicts the final accuracy of a run from its first epochs, for runs of ``epochs``
    epochs whose final accuracy is the mean of the last ``final_epochs`` (a table's
    ``protocol.train.epochs`` and ``protocol.final_epochs``)."""

    name = "predictor"

    def __init__(self, epochs: int, final_epochs: int) -> None:
        self.epochs = check_integer("epochs", epochs, 1)
        self.final_epochs = check_integer("final_epochs", final_epochs, 1, epochs)

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

    def __init__(self, window: int, epochs: int, final_epochs: int) -> None:
        super().__init__(epochs, final_epochs)
        self.window = check_integer("window", window, 1)
        self.name = f"recent mean ({window})"

    def predict(self, curve: Sequence[float]) -> Prediction:
        values = check_curve(curve)[-self.window:]
        noise = _jitter(check_curve(curve))
        return Prediction(float(values.mean()), noise / math.sqrt(len(values)) if noise
                          else float(np.std(values)))


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

    def __init__(self, family: str, epochs: int, final_epochs: int) -> None:
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

    def __init__(self, epochs: int, final_epochs: int,
                 families: Sequence[str] = tuple(FAMILIES)) -> None:
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
