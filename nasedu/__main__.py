"""The command line: ``python -m nasedu COMMAND``; ``python -m nasedu --help`` lists them.

Each command's options are added when that command is used (``LazyParser``), and each command
imports what it needs when it runs: the instructors' ``grade`` and ``release`` never import
torch or the training code.
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

import numpy as np

from .arguments import MAX_EPOCHS, MAX_SEEDS, check_writable, integer, number, positive_int
from .grading_cli import add_grading_commands
from .seeds import MAX_SEED


class LazyParser(argparse.ArgumentParser):
    """A command's parser that adds its options (``add_options(parser)``) only when the command
    is parsed or its help is shown, so that building the whole command line imports nothing
    the other commands need."""

    def __init__(self, *args, add_options: Callable[[argparse.ArgumentParser], None] | None
                 = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_options = add_options

    def parse_known_args(self, args=None, namespace=None):
        if self.add_options is not None:
            add_options, self.add_options = self.add_options, None
            add_options(self)
        return super().parse_known_args(args, namespace)


def command_space(args: argparse.Namespace) -> None:
    from .space import SPACES, get_space
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
    from .data import load_dataset
    from .train import TrainConfig, train
    config = TrainConfig(epochs=args.epochs)
    data = load_dataset(args.dataset, seed=args.split_seed, device=args.device)
    result = train(args.arch, data, config, seed=args.seed, progress=args.progress,
                   threads=args.threads)
    curve = result.curve
    print(f"architecture {result.model.arch.arrow()} on {args.dataset} "
          f"(seed {args.seed}, split seed {args.split_seed}, {args.threads} thread(s), "
          f"device {data.device})")
    print(f"{'epoch':>5}  {'train loss':>10}  {'val acc':>7}  {'test acc':>8}")
    for epoch in range(curve.epochs):
        print(f"{epoch + 1:>5}  {curve.train_loss[epoch]:>10.4f}  "
              f"{curve.val_accuracy[epoch]:>7.3f}  {curve.test_accuracy[epoch]:>8.3f}")
    print(f"cost: {result.cost.epochs:.2f} epoch-equivalents, {result.cost.seconds:.2f} s")


def bench_space(args: argparse.Namespace):
    """The space ``bench build`` trains: a named one (--space) or one given by --ops/--layers."""
    from .space import SPACES, SearchSpace, get_space
    if args.space is not None:
        if args.ops is not None or args.layers is not None:
            raise ValueError("give either --space or --ops with --layers, not both")
        return get_space(args.space)
    if args.ops is None or args.layers is None:
        raise ValueError(f"give --space (one of {sorted(SPACES)}) or both --ops and --layers")
    ops = tuple(op.strip() for op in args.ops.split(","))
    name = args.name or f"{'-'.join(ops)}-x{args.layers}"
    return SearchSpace(ops, args.layers, name=name)


def command_bench_build(args: argparse.Namespace) -> None:
    from .build import build, check_build
    from .protocol import Protocol
    from .train import TrainConfig
    space = bench_space(args)
    protocol = Protocol(dataset=args.dataset, train=TrainConfig(epochs=args.epochs))
    seeds = range(args.seeds)
    check_writable("--out", args.out, folder=False)
    check_build(space, seeds, args.workers, args.backend)
    try:
        out = build(space, args.out, seeds=seeds, protocol=protocol,
                    workers=args.workers, device=args.device, backend=args.backend,
                    address=args.address, progress=not args.quiet)
    except RuntimeError as error:  # runs that failed (named; the finished ones are saved)
        raise ValueError(str(error)) from error
    print(f"wrote {out}")


def command_bench_info(args: argparse.Namespace) -> None:
    from .bench import load
    print(describe_bench(load(args.table)))


def describe_bench(bench) -> str:
    """The summary ``bench info`` prints: size, protocol, spread, noise ceiling, proxies."""
    from .proxies import proxy_scores
    finals = bench.finals()
    built = bench.table["built"]
    run_seconds = sum(r["seconds"] for r in bench.table["runs"])
    ceiling = bench.noise_ceiling()
    lines = [
        f"table: {bench.space.name} ({bench.space.size} architectures x {len(bench.seeds)} "
        f"seeds) on {bench.protocol.dataset}, {bench.protocol.train.epochs} epochs",
        f"built: {built['date']} with nasedu {built['nasedu']}, torch {built['torch']}, "
        f"{built['workers']} worker(s) of one thread; wall {built['wall_seconds'] / 60:.1f} min, "
        f"training {run_seconds / 60:.1f} CPU-min",
        f"final accuracy (mean of the last {bench.protocol.final_epochs} epochs, mean of seeds): "
        f"worst {100 * finals.min():.1f}%, median {100 * np.median(finals):.1f}%, "
        f"best {100 * finals.max():.1f}%; "
        f"{int((finals >= finals.max() - 0.01).sum())} within one point of the best",
        "",
        f"{'ranking by':<36} {'tau':>6} {'rho':>6} {'top-10% tau':>11} {'top-10% prec':>12}",
        f"{'noise ceiling (one seed vs the rest)':<36} {_cell(ceiling.kendall_tau, 6)} "
        f"{_cell(ceiling.spearman, 6)} {_cell(ceiling.top_kendall_tau, 11)} "
        f"{_cell(ceiling.top_precision, 12)}",
    ]
    for name, score in proxy_scores(bench).items():
        lines.append(f"{name + ' (no training)':<36} {_cell(score.kendall_tau, 6)} "
                     f"{_cell(score.spearman, 6)} {_cell(score.top_kendall_tau, 11)} "
                     f"{_cell(score.top_precision, 12)}")
    if np.isnan(ceiling.top_kendall_tau):
        lines.append("(-: top-10% tau needs at least two architectures in the top 10%)")
    return "\n".join(lines)


def _cell(value: float, width: int) -> str:
    """A right-aligned score, or '-' where it is undefined (NaN)."""
    return f"{'-':>{width}}" if np.isnan(value) else f"{value:>{width}.3f}"

def command_compare(args: argparse.Namespace) -> None:
    from .compare import DEFAULT_STRATEGIES, CompareConfig, compare
    from .report import format_table, write_outputs
    config = CompareConfig(table=args.table, supernet_budget=args.supernet_budget,
                           sample=args.sample, seed=args.seed, device=args.device)
    out = check_writable("--out", args.out, folder=True)
    rows = compare(config, args.strategies or DEFAULT_STRATEGIES,
                   log=(lambda message: print(message, file=sys.stderr)) if not args.quiet
                   else (lambda message: None))
    print(format_table(rows))
    for path in write_outputs(rows, out):
        print(f"wrote {path}")


def space_options(parser: argparse.ArgumentParser) -> None:
    from .space import SPACES
    parser.add_argument("name", nargs="?", choices=sorted(SPACES),
                        help="a space to list in full")
    parser.set_defaults(run=command_space)


def train_options(parser: argparse.ArgumentParser) -> None:
    from .data import DATASETS
    from .train import TrainConfig
    parser.add_argument("arch", help="e.g. 'conv -> pool -> conv' or 'conv3x3-maxpool3x3'")
    parser.add_argument("--epochs", type=integer(1, MAX_EPOCHS), default=TrainConfig.epochs,
                        help=f"epochs to train, 1 to {MAX_EPOCHS} (default %(default)s, the "
                             f"tables' protocol)")
    parser.add_argument("--seed", type=integer(0, MAX_SEED), default=0,
                        help="seeds the weights and the batch order, as a table's seed does "
                             "(default %(default)s)")
    parser.add_argument("--split-seed", type=integer(0, MAX_SEED), default=0,
                        help="seeds the train/validation/test split (default %(default)s, "
                             "the split of every shipped table)")
    parser.add_argument("--threads", type=integer(1, 256), default=1,
                        help="CPU threads; results depend on it (default %(default)s, the "
                             "tables' protocol)")
    parser.add_argument("--device", default="auto",
                        help="auto, cpu, cuda, cuda:N or mps (default %(default)s)")
    parser.add_argument("--dataset", default="digits", choices=DATASETS,
                        help="default %(default)s (embedded, no download)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.set_defaults(run=command_train)


def bench_options(parser: argparse.ArgumentParser) -> None:
    from .data import DATASETS
    from .space import MAX_LAYERS, OPS, SPACES
    from .train import TrainConfig
    actions = parser.add_subparsers(dest="bench_command", required=True, metavar="ACTION")
    build = actions.add_parser(
        "build", help="train every architecture of a space and write the table",
        description="Train every architecture of a space for each seed and write the table. "
                    "Interrupted builds resume where they stopped when run again.")
    build.add_argument("--space", choices=sorted(SPACES), default=None,
                       help="a named space (or give --ops and --layers)")
    build.add_argument("--ops", default=None,
                       help=f"comma-separated ops of a space of your own, from {', '.join(OPS)}")
    build.add_argument("--layers", type=integer(1, MAX_LAYERS), default=None,
                       help=f"layers of a space of your own, 1 to {MAX_LAYERS}")
    build.add_argument("--name", default=None,
                       help="name of a space of your own (default: from its ops)")
    build.add_argument("--dataset", default="digits", choices=DATASETS)
    build.add_argument("--seeds", type=integer(1, MAX_SEEDS), default=3,
                       help=f"number of seeds (0, 1, ...), 1 to {MAX_SEEDS} (default %(default)s)")
    build.add_argument("--epochs", type=integer(1, MAX_EPOCHS), default=TrainConfig.epochs,
                       help=f"epochs per run, 1 to {MAX_EPOCHS} (default %(default)s)")
    build.add_argument("--workers", type=positive_int, default=1,
                       help="parallel processes, one CPU thread each, at most the CPUs here "
                            "(default %(default)s)")
    build.add_argument("--device", default="cpu")
    build.add_argument("--backend", default="local", choices=["local", "ray"],
                       help='local: worker processes here; ray: one Ray task per run (pip '
                            'install "nasedu[cluster]")')
    build.add_argument("--address", default=None,
                       help="Ray cluster to use: auto, HOST:PORT or ray://HOST:10001 (default: "
                            "start a local Ray instance of --workers CPUs)")
    build.add_argument("--out", required=True, help="table file to write (.json.gz)")
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.set_defaults(run=command_bench_build)
    info = actions.add_parser(
        "info", help="summarise a table: spread, noise ceiling, zero-cost proxies",
        description="Summarise a table: accuracy spread, noise ceiling and zero-cost proxies.")
    info.add_argument("table", help="a shipped table's space name or a table file")
    info.set_defaults(run=command_bench_info)


def compare_options(parser: argparse.ArgumentParser) -> None:
    from .compare import DEFAULT_SAMPLE, STRATEGIES, CompareConfig
    from .space import SPACES
    parser.add_argument("--table", "--space", dest="table", default=CompareConfig.table,
                        help=f"a shipped table ({', '.join(sorted(SPACES))}) or a table file "
                             f"written by bench build (default %(default)s)")
    parser.add_argument("--strategies", nargs="+", choices=STRATEGIES, metavar="NAME",
                        help=f"any of: {', '.join(STRATEGIES)} (default: the first six; the "
                             "others rerun both parts at the combined search's budget or are "
                             "lesson 5's estimators, and take longer)")
    parser.add_argument("--supernet-budget", type=number(0, 1),
                        default=CompareConfig.supernet_budget,
                        help="weight sharing's supernet training as a share of training every "
                             "architecture once (default: 0.004, but at least 10 epochs per op "
                             "of a layer, and at most 0.028 with evaluation)")
    parser.add_argument("--sample", type=positive_int, default=None,
                        help=f"architectures full training trains, at most the space's size "
                             f"(default {DEFAULT_SAMPLE}, or the space if smaller)")
    parser.add_argument("--seed", type=integer(0, MAX_SEED), default=CompareConfig.seed,
                        help="search seed: one of the table's seeds, which replayed strategies "
                             "read (default %(default)s)")
    parser.add_argument("--device", default="auto",
                        help="auto, cpu, cuda, cuda:N or mps (default %(default)s)")
    parser.add_argument("--out", default="runs/compare", help="output folder (default "
                                                              "%(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress messages")
    parser.set_defaults(run=command_compare)


COMMANDS = (  # name, one-line help, description, the function that adds its options
    ("space", "list and count a search space",
     "List the named search spaces, or every architecture of one of them.", space_options),
    ("train", "train one architecture and print its learning curve",
     "Train one architecture from scratch and print its learning curve and cost.",
     train_options),
    ("bench", "build or inspect a ground-truth table",
     "Ground truth: every architecture of a space trained from scratch with several seeds.",
     bench_options),
    ("compare", "run every strategy and score it against the ground truth",
     "Run every strategy (random search, parameter count, full training of a sample, weight "
     "sharing, early stopping, combined) on the embedded data and score each against the "
     "shipped ground truth: cost, rank correlation, top-10% precision, regret. Writes "
     "table.csv, table.json and a cost-versus-quality plot.", compare_options),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nasedu",
        description="nasedu: estimating candidate networks in neural architecture search.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                     parser_class=LazyParser)
    for name, summary, description, add_options in COMMANDS:
        commands.add_parser(name, help=summary, description=description,
                            add_options=add_options)
    add_grading_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, OSError) as error:  # bad input, or a file that cannot be written
        parser.exit(2, f"{parser.prog} {args.command}: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
