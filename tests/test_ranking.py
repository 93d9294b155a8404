"""Ranking by several signals, and by how far a search let each run train."""
import numpy as np
import pytest

from nasedu.ranking import rank_observed, scores_from_keys, zscore_sum


def test_zscore_sum_weights_signals_equally_whatever_their_scale():
    accuracy, size = np.array([0.5, 0.6, 0.9]), np.array([1e3, 1e5, 1e4])
    # Larger is better in both; scaling a signal changes nothing.
    assert np.allclose(zscore_sum(accuracy, size), zscore_sum(accuracy, size * 1000))
    assert np.argmax(zscore_sum(accuracy, size)) == 1  # the second leads on size by more


def test_zscore_sum_rejects_constant_or_mismatched_signals():
    with pytest.raises(ValueError, match="not constant"):
        zscore_sum([0.5, 0.5], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"lengths \[2, 3\]"):
        zscore_sum([0.5, 0.6], [1.0, 2.0, 3.0])


def test_rank_observed_puts_longer_runs_first_and_reads_the_signals_within_a_rung():
    curves = {"long": [0.1, 0.2], "small": [0.60], "large": [0.58], "worst": [0.30]}
    size = {"long": 1.0, "small": 1.0, "large": 3.0, "worst": 2.0}
    scores = rank_observed(curves, size)
    assert max(scores, key=scores.get) == "long"  # trained furthest, whatever its accuracy
    assert scores["large"] > scores["small"] > scores["worst"]  # size outweighs 2 points
    plain = rank_observed(curves)
    assert plain["small"] > plain["large"]  # without the signal, accuracy alone decides
    assert all(int(scores[key]) == len(curve) for key, curve in curves.items())


def test_rank_observed_leaves_out_a_signal_that_orders_nothing():
    curves = {"a": [0.5, 0.9], "b": [0.5, 0.7], "c": [0.4]}
    same = rank_observed(curves, {"a": 2.0, "b": 2.0, "c": 5.0})  # constant within rung 2
    assert same["a"] > same["b"] and same == pytest.approx(rank_observed(curves))
    late = {"a": [0.9, 0.5], "b": [0.6, 0.6]}
    assert rank_observed(late, window=1)["b"] > rank_observed(late, window=1)["a"]
    assert rank_observed(late, window=2)["a"] > rank_observed(late, window=2)["b"]


def test_rank_observed_names_bad_input():
    with pytest.raises(ValueError, match="signal 0 has no value for 'b'"):
        rank_observed({"a": [0.5], "b": [0.6]}, {"a": 1.0})
    with pytest.raises(ValueError, match="window=0"):
        rank_observed({"a": [0.5]}, window=0)


def test_scores_from_keys_order_like_the_keys_and_keep_ties():
    keys = {"shortlisted, trained long": (True, 12, -0.5), "shortlisted, stopped": (True, 1, 2.0),
            "filtered out, high": (False, 0.9), "filtered out, low": (False, 0.1),
            "tied": (False, 0.1)}
    scores = scores_from_keys(keys)
    assert sorted(scores, key=scores.get, reverse=True)[:4] == [
        "shortlisted, trained long", "shortlisted, stopped", "filtered out, high",
        "filtered out, low"]
    assert scores["tied"] == scores["filtered out, low"]
    assert scores_from_keys({}) == {}
