import warnings

import numpy as np
import pytest

from nasedu.curves import (FAMILIES, BestSoFar, CurveRegressor, Ensemble, LastValue, RecentMean,
                           Parametric, fit_family)

EPOCHS = np.arange(1, 13, dtype=float)
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
    prediction = Parametric("pow3").predict(truth[:5])
    assert prediction.mean == pytest.approx(truth[6:].mean(), abs=2e-3)


def test_ensemble_prefers_the_family_that_fits():
    truth = FAMILIES["exp3"].function(EPOCHS, 0.4, -0.2, 0.92)
    prediction = Ensemble().predict(truth[:6])
    assert prediction.mean == pytest.approx(truth[6:].mean(), abs=5e-3)
    assert prediction.std >= 0


def test_baselines_read_the_observed_curve():
    curve = [0.3, 0.8, 0.7]
    assert LastValue().predict(curve).mean == 0.7
    assert BestSoFar().predict(curve).mean == 0.8


@pytest.mark.parametrize("curve, message", [
    ([0.5, float("nan"), 0.7], "NaN"),
    ([0.5, 1.2], r"\[0, 1\]"),
    ([], "at least 1"),
])
def test_bad_curves_are_named(curve, message):
    with pytest.raises(ValueError, match=message):
        LastValue().predict(curve)


def test_a_curve_shorter_than_a_family_needs_is_an_error():
    with pytest.raises(ValueError, match="at least 4 observed epochs"):
        Parametric("mmf").predict([0.1, 0.2, 0.3])


def test_a_constant_curve_gives_its_value_not_a_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        prediction = Ensemble().predict([0.5] * 5)
    assert prediction.mean == pytest.approx(0.5, abs=0.02)


def test_failed_fits_report_nan_with_a_warning(monkeypatch):
    def failing(*args, **kwargs):
        raise ValueError("residuals are not finite")
    monkeypatch.setattr("nasedu.curves.optimize.least_squares", failing)
    with pytest.warns(RuntimeWarning, match="fitting pow3 .* failed"):
        assert np.isnan(Parametric("pow3").predict([0.2, 0.4, 0.5]).mean)
    with pytest.warns(RuntimeWarning, match="no curve family could be fitted"):
        assert np.isnan(Ensemble().predict([0.2, 0.4, 0.5]).mean)


def test_unknown_family_is_named():
    with pytest.raises(ValueError, match="unknown curve family 'cubic'"):
        Parametric("cubic")


def synthetic_curves(count, seed=0):
    rng = np.random.default_rng(seed)
    plateaus = rng.uniform(0.6, 0.95, size=count)
    rates = rng.uniform(0.2, 1.0, size=count)
    curves = [p - (p - 0.1) * np.exp(-r * EPOCHS) + rng.normal(0, 0.005, size=12)
              for p, r in zip(plateaus, rates)]
    return [np.clip(c, 0, 1) for c in curves], plateaus


def test_curve_regressor_learns_from_complete_curves():
    curves, plateaus = synthetic_curves(80)
    regressor = CurveRegressor(observed_epochs=3).fit(curves[:60])
    predictions = [regressor.predict(c[:3]).mean for c in curves[60:]]
    finals = [c[6:].mean() for c in curves[60:]]
    assert np.corrcoef(predictions, finals)[0, 1] > 0.9
    assert regressor.predict(curves[60][:3]).std > 0


def test_curve_regressor_errors():
    with pytest.raises(ValueError, match="not fitted"):
        CurveRegressor(observed_epochs=3).predict([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="at least 10 complete curves"):
        CurveRegressor(observed_epochs=3).fit(synthetic_curves(5)[0])
    with pytest.raises(ValueError, match="observed_epochs must be in"):
        CurveRegressor(observed_epochs=13)


def test_recent_mean_averages_the_last_epochs():
    assert RecentMean(2).predict([0.1, 0.6, 0.8]).mean == pytest.approx(0.7)
    assert RecentMean(5).predict([0.4, 0.6]).mean == pytest.approx(0.5)
    with pytest.raises(ValueError, match="window=0"):
        RecentMean(0)


def test_zscore_sum_weights_signals_equally_whatever_their_scale():
    from nasedu.curves import zscore_sum
    accuracy, size = np.array([0.5, 0.6, 0.9]), np.array([1e3, 1e5, 1e4])
    # Larger is better in both; scaling a signal changes nothing.
    assert np.allclose(zscore_sum(accuracy, size), zscore_sum(accuracy, size * 1000))
    assert np.argmax(zscore_sum(accuracy, size)) == 1  # the second leads on size by more


def test_zscore_sum_rejects_constant_or_mismatched_signals():
    from nasedu.curves import zscore_sum
    with pytest.raises(ValueError, match="not constant"):
        zscore_sum([0.5, 0.5], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"lengths \[2, 3\]"):
        zscore_sum([0.5, 0.6], [1.0, 2.0, 3.0])


def test_rank_observed_puts_longer_runs_first_and_reads_the_signals_within_a_rung():
    from nasedu.curves import rank_observed
    curves = {"long": [0.1, 0.2], "small": [0.60], "large": [0.58], "worst": [0.30]}
    size = {"long": 1.0, "small": 1.0, "large": 3.0, "worst": 2.0}
    scores = rank_observed(curves, size)
    assert max(scores, key=scores.get) == "long"  # trained furthest, whatever its accuracy
    assert scores["large"] > scores["small"] > scores["worst"]  # size outweighs 2 points
    plain = rank_observed(curves)
    assert plain["small"] > plain["large"]  # without the signal, accuracy alone decides
    assert all(int(scores[key]) == len(curve) for key, curve in curves.items())


def test_rank_observed_leaves_out_a_signal_that_orders_nothing():
    from nasedu.curves import rank_observed
    curves = {"a": [0.5, 0.9], "b": [0.5, 0.7], "c": [0.4]}
    same = rank_observed(curves, {"a": 2.0, "b": 2.0, "c": 5.0})  # constant within rung 2
    assert same["a"] > same["b"] and same == pytest.approx(rank_observed(curves))
    late = {"a": [0.9, 0.5], "b": [0.6, 0.6]}
    assert rank_observed(late, window=1)["b"] > rank_observed(late, window=1)["a"]
    assert rank_observed(late, window=2)["a"] > rank_observed(late, window=2)["b"]


def test_rank_observed_names_bad_input():
    from nasedu.curves import rank_observed
    with pytest.raises(ValueError, match="signal 0 has no value for 'b'"):
        rank_observed({"a": [0.5], "b": [0.6]}, {"a": 1.0})
    with pytest.raises(ValueError, match="window=0"):
        rank_observed({"a": [0.5]}, window=0)
