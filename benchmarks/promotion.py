"""How early stopping promotes and ranks, on any table: the ablation its default was chosen by.

    python benchmarks/promotion.py TABLE [TABLE ...]

For each table and search seed (replaying that seed, scored on the others, as ``defaults.py``
does), successive halving (1, 3) with one run per stand-alone network, three ways:

- textbook: promote by the last accuracy; rank by the recent mean and log parameter count;
- accuracy + size: promote and rank by the recent mean and log parameter count;
- default: ``EarlyStopping``, which also adds what the ops predict (``predicted_from_ops``).

Prints Kendall tau per seed and its mean; replayed, so a table takes seconds.
"""
from __future__ import annotations

import argparse
import math

import numpy as np

from nasedu.bench import load
from nasedu.estimates import Estimates
from nasedu.estimators import EarlyStopping
from nasedu.pruning import SuccessiveHalving
from nasedu.ranking import rank_observed
from nasedu.trainers import ReplayTrainer


def by_size(bench, seed: int, promote_by_size: bool) -> Estimates:
    """Halving over the table's networks, ranked by recent mean + log parameters; promoting
    by the same sum, or by the last accuracy (the estimator's order and twins, without the
    ops' prediction)."""
    order = list(bench.archs)
    np.random.default_rng(seed).shuffle(order)
    trainer = ReplayTrainer(bench, seed, distinct=True)
    first_of: dict = {}
    trained_as = {arch: first_of.setdefault(trainer.run_of(arch), arch) for arch in order}
    size = {arch: math.log(bench.parameters(arch)) for arch in order}
    ranking = (lambda curves: rank_observed(curves, size)) if promote_by_size else None
    observed = SuccessiveHalving(1, 3).run(list(first_of.values()), trainer, ranking)
    return Estimates(rank_observed({arch: observed[trained_as[arch]] for arch in order}, size))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="+", help="shipped table names or table files")
    args = parser.parse_args()
    variants = {
        "textbook": lambda bench, seed: by_size(bench, seed, promote_by_size=False),
        "accuracy + size": lambda bench, seed: by_size(bench, seed, promote_by_size=True),
        "default": lambda bench, seed: EarlyStopping(
            SuccessiveHalving(1, 3), ReplayTrainer(bench, seed, distinct=True)
        ).estimate(bench.archs)}
    for table in args.tables:
        bench = load(table)
        print(f"table {table}: Kendall tau per search seed {list(bench.seeds)} (mean)")
        for name, search in variants.items():
            taus = [bench.score(search(bench, seed), truth=[s for s in bench.seeds if s != seed])
                    .kendall_tau for seed in bench.seeds]
            print(f"  {name:<16} " + " / ".join(f"{tau:.3f}" for tau in taus)
                  + f"  ({np.mean(taus):.3f})")


if __name__ == "__main__":
    main()
