"""The outputs of ``python -m nasedu compare``: the table as text, and the files it writes
(table.csv, table.json and the cost-versus-quality figure), each written atomically.

>>> from nasedu.compare import Row
>>> rows = [Row("cheap", 1.0, 1.0, 0.01, 0.01, 0.5, 0.6, 0.3, 1.0, 625, truth_seeds="1 2"),
...         Row("noise ceiling", 100.0, 100.0, 1.0, 1.0, 0.8, 0.9, 0.5, 0.7, 625)]
>>> print(format_table(rows).splitlines()[-1])
every row scored against the mean of table seed(s) 1 2, which no row read; seconds measured here
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .files import write_atomically

if TYPE_CHECKING:
    from .compare import Row


def format_table(rows: Sequence["Row"]) -> str:
    """The rows as the text table ``compare`` prints; ``*`` marks rescaled seconds."""
    header = (f"{'strategy':<40} {'epochs':>8} {'seconds':>9} {'% epochs':>8} {'% secs':>8} "
              f"{'tau':>6} {'rho':>6} {'top10%':>6} {'regret':>6}")
    lines = [header]
    for r in rows:
        if r.note:
            lines.append(f"{r.strategy:<40} skipped: {r.note}")
            continue
        mark = "*" if r.scaled_seconds else " "
        lines.append(f"{r.strategy:<40} {r.epochs:>8.1f} {r.seconds:>8.1f}{mark} "
                     f"{100 * r.fraction_epochs:>7.2f}% {100 * r.fraction_seconds:>6.2f}%{mark} "
                     f"{r.kendall_tau:>6.3f} {r.spearman:>6.3f} {r.top_precision:>6.3f} "
                     f"{r.regret:>6.2f}")
    truth = next((r.truth_seeds for r in rows if r.truth_seeds), "")
    lines.append(f"every row scored against the mean of table seed(s) {truth or '-'}, which no "
                 f"row read; seconds measured here")
    if any(r.scaled_seconds for r in rows):
        lines.append("*: includes seconds replayed from the table, rescaled to this machine by "
                     "timed stand-alone runs")
    return "\n".join(lines)


def write_outputs(rows: Sequence["Row"], out: str | Path) -> list[Path]:
    """table.csv, table.json and cost_vs_quality.png in ``out``, each written atomically."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot write results to {str(out)!r}: {error}") from None
    records = [asdict(row) for row in rows]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    paths = [out / "table.csv", out / "table.json", out / "cost_vs_quality.png"]
    write_atomically(paths[0], text.getvalue().encode())
    write_atomically(paths[1], json.dumps(records, indent=1).encode())
    write_atomically(paths[2], plot_png(rows))
    return paths


def plot_png(rows: Sequence["Row"]) -> bytes:
    """The course's cost-versus-quality figure (``plots.compare.comparison_figure``) as PNG:
    cost as a share of exhaustive training (log scale) against Kendall tau, one point per
    strategy, the noise ceiling named."""
    import matplotlib
    matplotlib.use("Agg")
    from .plots.compare import comparison_figure
    buffer = io.BytesIO()
    comparison_figure(rows).savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
