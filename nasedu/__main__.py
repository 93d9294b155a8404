"""The command line: ``python -m nasedu COMMAND``; ``python -m nasedu --help`` lists them."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .data import DATASETS, load_dataset
from .space import SPACES, get_space
from .train import TrainConfig, train


def command_space(args: argparse.Namespace) -> None:
    names = [args.name] if args.name else sorted(SPACES)
    for name in names:
        space = get_space(name)
        print(f"{name}: {len(space.ops)} ops x {space.num_layers} layers = "
              f"{space.size} architectures")
        print(f"  ops: {', '.join(space.ops)}")
        if args.name:
            for arch in space.enumerate():
                print(f"  {arch.arrow()}")


def command_train(args: argparse.Namespace) -> None:
    config = TrainConfig(epochs=args.epochs)
    data = load_dataset(args.dataset, seed=args.seed, device=args.device)
    result = train(args.arch, data, config, seed=args.seed, progress=args.progress)
    curve = result.curve
    print(f"architecture {result.model.arch.arrow()} on {args.dataset} "
          f"(seed {args.seed}, device {data.device})")
    print(f"{'epoch':>5}  {'train loss':>10}  {'val acc':>7}  {'test acc':>8}")
    for epoch in range(curve.epochs):
        print(f"{epoch + 1:>5}  {curve.train_loss[epoch]:>10.4f}  "
              f"{curve.val_accuracy[epoch]:>7.3f}  {curve.test_accuracy[epoch]:>8.3f}")
    print(f"cost: {result.cost.epochs:.2f} epoch-equivalents, {result.cost.seconds:.2f} s")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, but got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nasedu",
        description="nasedu: estimating candidate networks in neural architecture search.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    space = commands.add_parser("space", help="list and count a search space",
                                description="List the named search spaces, or every "
                                            "architecture of one of them.")
    space.add_argument("name", nargs="?", choices=sorted(SPACES), help="a space to list in full")
    space.set_defaults(run=command_space)

    train_cmd = commands.add_parser(
        "train", help="train one architecture and print its learning curve",
        description="Train one architecture from scratch and print its learning curve and cost.")
    train_cmd.add_argument("arch", help="e.g. 'conv -> pool -> conv' or 'conv3x3-maxpool3x3'")
    train_cmd.add_argument("--epochs", type=positive_int, default=TrainConfig.epochs)
    train_cmd.add_argument("--seed", type=int, default=0)
    train_cmd.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    train_cmd.add_argument("--dataset", default="digits", choices=DATASETS)
    train_cmd.add_argument("--progress", action="store_true", help="show a progress bar")
    train_cmd.set_defaults(run=command_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except ValueError as error:
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
