"""Seconds per training epoch on digits for a few architectures, with 1 and 2 CPU threads.

    python benchmarks/train_speed.py [--epochs 3]

Prints one row per architecture: seconds per epoch at each thread count and the speed-up of
two threads over one. An epoch here is what ``nasedu.train`` does per epoch: one training
pass, BN recalibration, and the validation and test evaluations.
"""
from __future__ import annotations

import argparse

from nasedu.data import load_dataset
from nasedu.train import TrainConfig, train

ARCHITECTURES = ["skip-skip-skip-skip", "conv -> pool -> conv", "conv3x3-avgpool3x3-conv3x3-skip",
                 "conv5x5-conv5x5-conv5x5-conv5x5"]


def seconds_per_epoch(arch: str, threads: int, epochs: int) -> float:
    data = load_dataset("digits", seed=0, device="cpu")
    train(arch, data, TrainConfig(epochs=1), seed=0, threads=threads)  # warm-up
    result = train(arch, data, TrainConfig(epochs=epochs), seed=0, threads=threads)
    return result.cost.seconds / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'architecture':<36} {'1 thread s/epoch':>16} {'2 threads s/epoch':>17} "
          f"{'speed-up':>8}")
    for arch in ARCHITECTURES:
        one, two = (seconds_per_epoch(arch, threads, args.epochs) for threads in (1, 2))
        print(f"{arch:<36} {one:>16.3f} {two:>17.3f} {one / two:>8.2f}")


if __name__ == "__main__":
    main()
