import numpy as np
import pytest
from scipy import stats

from nasedu.metrics import kendall_tau, regret, spearman, top_k_precision


def test_rank_statistics_match_scipy_on_random_data():
    rng = np.random.default_rng(0)
    true = rng.uniform(size=50)
    estimated = true + rng.normal(scale=0.3, size=50)
    assert kendall_tau(estimated, true) == pytest.approx(stats.kendalltau(estimated, true)[0])
    assert spearman(estimated, true) == pytest.approx(stats.spearmanr(estimated, true)[0])


def test_perfect_and_reversed_rankings():
    true = [0.1, 0.5, 0.9, 0.7]
    assert kendall_tau(true, true) == pytest.approx(1.0)
    assert spearman([-t for t in true], true) == pytest.approx(-1.0)


def test_kendall_tau_b_corrects_for_ties():
    # Tau-b of x=[1,1,2,3] against y=[1,2,3,4]: 5 concordant, 0 discordant, 1 tie in x:
    # (5 - 0) / sqrt((6 - 1) * 6) = 0.9129
    assert kendall_tau([1, 1, 2, 3], [1, 2, 3, 4]) == pytest.approx(5 / np.sqrt(30))


def test_constant_scores_give_nan_not_a_made_up_number():
    assert np.isnan(kendall_tau([1, 1, 1], [0.1, 0.2, 0.3]))


def test_top_k_precision_counts_the_overlap_of_the_top_sets():
    true = np.arange(20) / 20           # the true top 10% is indices 18 and 19
    estimated = np.zeros(20)
    estimated[[19, 3]] = 1.0            # the estimator's top 2 holds one of them
    assert top_k_precision(estimated, true, 0.1) == pytest.approx(0.5)
    assert top_k_precision(true, true, 0.1) == 1.0


def test_top_k_rounds_the_set_size_up():
    # 10% of 5 architectures is 0.5, rounded up to one.
    assert top_k_precision([0, 0, 0, 0, 1], [0, 0, 0, 1, 0], 0.1) == 0.0


def test_regret_is_in_accuracy_points_of_the_chosen_architecture():
    true = [0.90, 0.95, 0.80]
    assert regret([3, 2, 1], true) == pytest.approx(5.0)
    assert regret([1, 3, 2], true) == 0.0


def test_bad_inputs_name_what_is_wrong():
    with pytest.raises(ValueError, match="same length"):
        kendall_tau([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        spearman([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        kendall_tau([1], [1])
    with pytest.raises(ValueError, match="fraction=0"):
        top_k_precision([1, 2], [1, 2], 0)
