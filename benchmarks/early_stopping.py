"""Early stopping on the shipped five-op ground truth, replayed: predictors, then pruning rules.

    python benchmarks/early_stopping.py

Part 1: for k = 1, 2, 3, 5 observed epochs, the Kendall tau-b of each predictor, reading one
seed's partial curves and scored against the mean of the other seeds, averaged over every
choice of replayed seed (± the spread over those choices), beside the zero-cost proxies. The
curve regressor learns from complete curves of some candidates of the same seed; those
epochs count, so its total epochs per architecture are printed, and the last-value baseline
at that many epochs beside it.

Part 2: for each pruning rule (defaults fixed in advance) and Optuna's pruners driven over the
same replayed curves with the same minimum resource and reduction factor: epochs spent as a
fraction of full training, regret of the chosen architecture on the seeds not replayed, and
the share of the true top 1% that was trained to the end.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from nasedu.bench import load
from nasedu.curve_regressor import CurveRegressor
from nasedu.curves import BestSoFar, Ensemble, LastValue, Parametric, RecentMean
from nasedu.estimators import EarlyStopping
from nasedu.learning_curve import final_accuracy
from nasedu.metrics import kendall_tau, top_k_indices
from nasedu.proxies import proxy_scores
from nasedu.pruning import Hyperband, MedianStopping, PredictiveStopping, SuccessiveHalving
from nasedu.ranking import rank_observed, zscore_sum
from nasedu.space import OPS
from nasedu.trainers import ReplayTrainer

LEARNED_FROM = 32  # complete curves the regressor learns from (about 5% of the space)


def features(bench, arch) -> list[float]:
    return [math.log(bench.parameters(arch)), sum(OPS[op].has_weights for op in arch.ops)]


def predictor_taus(bench, k: int) -> dict[str, tuple[float, float]]:
    """Mean and spread over replayed seeds of each predictor's tau at k observed epochs."""
    epochs, tail = bench.protocol.train.epochs, bench.protocol.final_epochs
    simple = [LastValue(epochs, tail), BestSoFar(epochs, tail), RecentMean(3, epochs, tail)]
    if k >= 3:
        simple += [Parametric("pow3", epochs, tail), Ensemble(epochs=epochs, final_epochs=tail)]
    results: dict[str, list[float]] = {}
    for seed in bench.seeds:
        truth = bench.finals([s for s in bench.seeds if s != seed])
        curves = [bench.curve(arch, seed).val_accuracy for arch in bench.archs]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            for predictor in simple:
                scores = np.array([predictor.predict(c[:k]).mean for c in curves])
                scores = np.where(np.isfinite(scores), scores, np.nanmin(scores))
                results.setdefault(predictor.name, []).append(kendall_tau(scores, truth))
        size = np.log([bench.parameters(arch) for arch in bench.archs])
        recent = [np.mean(c[max(0, k - 3):k]) for c in curves]
        results.setdefault("recent mean (3) + log params", []).append(
            kendall_tau(zscore_sum(recent, size), truth))
        rng = np.random.default_rng(seed)
        learned = set(rng.choice(len(bench.archs), LEARNED_FROM, replace=False).tolist())
        regressor = CurveRegressor(k, epochs, tail).fit(
            [curves[i] for i in sorted(learned)],
            [features(bench, bench.archs[i]) for i in sorted(learned)])
        scores = [final_accuracy(c, tail) if i in learned
                  else regressor.predict(c[:k], features(bench, bench.archs[i])).mean
                  for i, c in enumerate(curves)]
        results.setdefault("curve regressor (+arch)", []).append(kendall_tau(scores, truth))
    return {name: (float(np.mean(v)), float(np.std(v))) for name, v in results.items()}


def part_one(bench) -> None:
    epochs = bench.protocol.train.epochs
    print("Part 1: Kendall tau-b of predictors (read one seed, scored on the others)")
    for name, score in proxy_scores(bench).items():
        print(f"  {name + ' (no training)':<34} tau {score.kendall_tau:.3f}")
    for k in (1, 2, 3, 5):
        print(f"k = {k} observed epochs")
        for name, (mean, spread) in predictor_taus(bench, k).items():
            extra = ""
            if name.startswith("curve regressor"):
                total = (LEARNED_FROM * epochs + (len(bench.archs) - LEARNED_FROM) * k) / len(
                    bench.archs)
                extra = f"  ({total:.2f} epochs per architecture in all)"
            print(f"  {name:<34} tau {mean:.3f} ± {spread:.3f}{extra}")


def optuna_pruned(bench, seed: int, pruner) -> dict:
    """Optuna's pruner over replayed curves, trials in the estimator's shuffled order."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    order = list(bench.archs)
    np.random.default_rng(seed).shuffle(order)
    observed = {}
    for arch in order:
        trial = study.ask()
        curve = bench.curve(arch, seed).val_accuracy
        for epoch, value in enumerate(curve, start=1):
            trial.report(value, epoch)
            observed[arch] = curve[:epoch]
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break
        else:
            study.tell(trial, final_accuracy(curve, bench.protocol.final_epochs))
    return observed


def outcome(bench, seed: int, observed: dict) -> tuple[float, float, float]:
    """(fraction of epochs spent, regret on unread seeds, share of the true top 1% kept)."""
    epochs = bench.protocol.train.epochs
    unread = [s for s in bench.seeds if s != seed]
    truth = bench.finals(unread)
    scores = rank_observed(observed, {arch: math.log(bench.parameters(arch)) for arch in observed})
    chosen = bench.archs.index(max(scores, key=scores.get))
    top = [bench.archs[i] for i in top_k_indices(truth, 0.01)]
    survived = np.mean([len(observed.get(arch, [])) == epochs for arch in top])
    spent = sum(len(c) for c in observed.values()) / (epochs * len(bench.archs))
    return spent, 100 * (truth.max() - truth[chosen]), float(survived)


def part_two(bench) -> None:
    import optuna.pruners as pruners
    epochs = bench.protocol.train.epochs
    rules = {
        "median stopping": lambda: MedianStopping(),
        "successive halving (1, 3)": lambda: SuccessiveHalving(min_epochs=1, reduction=3),
        "hyperband (1, 3)": lambda: Hyperband(min_epochs=1, reduction=3),
        "predictive (ensemble, 0.05)": lambda: PredictiveStopping(
            Ensemble(epochs=epochs, final_epochs=bench.protocol.final_epochs)),
        "predictive (recent mean, 0.05)": lambda: PredictiveStopping(
            RecentMean(3, epochs, bench.protocol.final_epochs)),
    }
    optuna_rules = {
        "optuna MedianPruner": lambda: pruners.MedianPruner(n_startup_trials=5,
                                                            n_warmup_steps=1),
        "optuna SuccessiveHalving (1, 3)": lambda: pruners.SuccessiveHalvingPruner(
            min_resource=1, reduction_factor=3),
        "optuna Hyperband (1, 3)": lambda: pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs, reduction_factor=3),
    }
    print("\nPart 2: pruning rules over replayed curves (mean ± spread over replayed seeds)")
    print(f"  {'rule':<34} {'epochs spent':>14} {'regret (points)':>16} {'top 1% kept':>12}")
    full = [outcome(bench, s, {a: bench.curve(a, s).val_accuracy for a in bench.archs})
            for s in bench.seeds]
    rows = {"full training, one seed": full}
    for name, make in rules.items():
        rows[name] = []
        for seed in bench.seeds:
            estimator = EarlyStopping(make(), ReplayTrainer(bench, seed))
            estimator.estimate(bench.archs)
            rows[name].append(outcome(bench, seed, estimator.observed_))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's experimental-feature warnings
        for name, make in optuna_rules.items():
            rows[name] = [outcome(bench, s, optuna_pruned(bench, s, make()))
                          for s in bench.seeds]
    for name, values in rows.items():
        mean, spread = np.mean(values, axis=0), np.std(values, axis=0)
        print(f"  {name:<34} {100 * mean[0]:>7.1f}% ± {100 * spread[0]:<4.1f} "
              f"{mean[1]:>8.2f} ± {spread[1]:<5.2f} {mean[2]:>7.2f} ± {spread[2]:.2f}")


def main() -> None:
    bench = load("five-op")
    part_one(bench)
    part_two(bench)


if __name__ == "__main__":
    main()
