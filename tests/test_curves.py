import warnings

import numpy as np
import pytest

from nasedu.curve_regressor import CurveRegressor
from nasedu.curves import (FAMILIES, BestSoFar, Ensemble, LastValue, Parametric, RecentMean,
                           fit_family)

EPOCHS = np.arange(1, 13, dtype=float)
PROTOCOL = dict(epochs=12, final_epochs=6)  # a table's protocol: 12 epochs, final = last 6
TRUE_PARAMETERS = {
    "pow3": (0.95, 0.6, 0.8),
    "log_power": (0.93, 0.5, 1.5),
    "exp3": (0.4, -0.2, 0.92),
    "vapor_pressure": (-0.05, -1.2, -0.01),
    "mmf": (0.95, 0.1, 0.4, 1.8),
    "janoschek": (0.94, 0.1, 0.3, 1.2),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_each_family_recovers_a_curve_it_generated(name):
    family = FAMILIES[name]
    curve = family.function(EPOCHS, *TRUE_PARAMETERS[name])
    fit = fit_family(family, curve)
    assert fit.ok and fit.rmse < 1e-4
    # Parameters of these families trade off against each other, so compare the curve they
    # describe, beyond the observed epochs too.
    later = np.arange(13, 40, dtype=float)
    assert np.allclose(fit(later), family.function(later, *TRUE_PARAMETERS[name]), atol=2e-3)


def test_pow3_recovers_its_parameters():
    fit = fit_family(FAMILIES["pow3"], FAMILIES["pow3"].function(EPOCHS, 0.95, 0.6, 0.8))
    assert np.allclose(fit.parameters, (0.95, 0.6, 0.8), atol=1e-3)


def test_parametric_predictor_extrapolates_to_the_final_epochs():
    truth = FAMILIES["pow3"].function(EPOCHS, 0.95, 0.6, 0.8)
    prediction = Parametric("pow3", **PROTOCOL).predict(truth[:5])
    assert prediction.mean == pytest.approx(truth[6:].mean(), abs=2e-3)


def test_ensemble_prefers_the_family_that_fits():
    truth = FAMILIES["exp3"].function(EPOCHS, 0.4, -0.2, 0.92)
    prediction = Ensemble(**PROTOCOL).predict(truth[:6])
    assert prediction.mean == pytest.approx(truth[6:].mean(), abs=5e-3)
    assert prediction.std >= 0


def test_baselines_read_the_observed_curve():
    curve = [0.3, 0.8, 0.7]
    assert LastValue(**PROTOCOL).predict(curve).mean == 0.7
    assert BestSoFar(**PROTOCOL).predict(curve).mean == 0.8


@pytest.mark.parametrize("curve, message", [
    ([0.5, float("nan"), 0.7], "NaN"),
    ([0.5, 1.2], r"\[0, 1\]"),
    ([], "at least 1"),
])
def test_bad_curves_are_named(curve, message):
    with pytest.raises(ValueError, match=message):
        LastValue(**PROTOCOL).predict(curve)


def test_a_curve_shorter_than_a_family_needs_is_an_error():
    with pytest.raises(ValueError, match="at least 4 observed epochs"):
        Parametric("mmf", **PROTOCOL).predict([0.1, 0.2, 0.3])


def test_a_constant_curve_gives_its_value_not_a_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        prediction = Ensemble(**PROTOCOL).predict([0.5] * 5)
    assert prediction.mean == pytest.approx(0.5, abs=0.02)


def test_failed_fits_report_nan_with_a_warning(monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("residuals are not finite")
    monkeypatch.setattr("nasedu.curves.optimize.least_squares", failing)
    with pytest.warns(RuntimeWarning, match="fitting pow3 .* failed"):
        assert np.isnan(Parametric("pow3", **PROTOCOL).predict([0.2, 0.4, 0.5]).mean)
    with pytest.warns(RuntimeWarning, match="no curve family could be fitted"):
        assert np.isnan(Ensemble(**PROTOCOL).predict([0.2, 0.4, 0.5]).mean)


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="unknown curve family 'cubic'"):
        Parametric("cubic", **PROTOCOL)


def synthetic_curves(count, seed=0):
    rng = np.random.default_rng(seed)
    plateaus = rng.uniform(0.6, 0.95, size=count)
    rates = rng.uniform(0.2, 1.0, size=count)
    curves = [p - (p - 0.1) * np.exp(-r * EPOCHS) + rng.normal(0, 0.005, size=12)
              for p, r in zip(plateaus, rates)]
    return [np.clip(c, 0, 1) for c in curves], plateaus


def test_curve_regressor_learns_from_complete_curves():
    curves, plateaus = synthetic_curves(80)
    regressor = CurveRegressor(3, **PROTOCOL).fit(curves[:60])
    predictions = [regressor.predict(c[:3]).mean for c in curves[60:]]
    finals = [c[6:].mean() for c in curves[60:]]
    assert np.corrcoef(predictions, finals)[0, 1] > 0.9
    assert regressor.predict(curves[60][:3]).std > 0


def test_curve_regressor_errors():
    with pytest.raises(ValueError, match="not fitted"):
        CurveRegressor(3, **PROTOCOL).predict([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="at least 10 complete curves"):
        CurveRegressor(3, **PROTOCOL).fit(synthetic_curves(5)[0])
    with pytest.raises(ValueError, match=r"observed_epochs must be an integer in \[1, 12\]"):
        CurveRegressor(13, **PROTOCOL)


def test_recent_mean_averages_the_last_epochs():
    assert RecentMean(2, **PROTOCOL).predict([0.1, 0.6, 0.8]).mean == pytest.approx(0.7)
    assert RecentMean(5, **PROTOCOL).predict([0.4, 0.6]).mean == pytest.approx(0.5)
    with pytest.raises(ValueError, match="window=0"):
        RecentMean(0, **PROTOCOL)


def test_extrapolation_reads_final_from_the_protocol_it_was_given():
    truth = FAMILIES["pow3"].function(EPOCHS, 0.95, 0.6, 0.8)
    last_six = Parametric("pow3", epochs=12, final_epochs=6).predict(truth[:5]).mean
    last_two = Parametric("pow3", epochs=12, final_epochs=2).predict(truth[:5]).mean
    shorter = Parametric("pow3", epochs=8, final_epochs=2).predict(truth[:5]).mean
    assert last_six == pytest.approx(truth[6:].mean(), abs=2e-3)
    assert last_two == pytest.approx(truth[10:].mean(), abs=2e-3)
    assert shorter == pytest.approx(truth[6:8].mean(), abs=2e-3)
    assert shorter < last_six < last_two  # a rising curve: a later "final" is higher


@pytest.mark.parametrize("epochs, final_epochs, message", [
    (6, 12, r"final_epochs must be an integer in \[1, 6\]"),
    (0, 1, "epochs must be an integer >= 1"),
    (12.0, 6, "epochs=12.0"),
])
def test_a_protocol_that_is_not_one_is_named(epochs, final_epochs, message):
    with pytest.raises(ValueError, match=message):
        LastValue(epochs, final_epochs)
