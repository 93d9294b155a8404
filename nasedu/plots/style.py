"""What every figure of the course shares: one colour and marker per strategy, direct labels
that do not overlap, and the check that a figure's text reads cleanly.

- ``strategy_style(name)``: the same (colour, marker) for a strategy in every figure and run.
  A name that extends a known one (``"noise ceiling (full training, one seed)"``,
  ``"parameter count (no training)"``) takes that one's style; any other name gets a colour
  from a fixed hash of its text, so it too is the same every time.
- ``direct_labels(axes, points, texts, colors)``: a label beside each point, moved around the
  point (right, left, above, below, then further up or down) until it overlaps no other label
  and no marker, no line crosses it, and it stays inside the axes; measured with the
  renderer's text extents.
- ``label_problems(figure)``: every pair of texts that overlap and every text a line crosses,
  as sentences; a figure that reads cleanly gives ``[]``. The tests run it on every figure,
  with ``visible_texts`` (the words a reader sees) and ``drawn_shares`` (the colours).

>>> strategy_style("weight sharing") == strategy_style("weight sharing")
True
>>> strategy_style("noise ceiling (full training, one seed)").color
'0.15'
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox


@dataclass(frozen=True)
class StrategyStyle:
    color: str         # a matplotlib colour, for the marker, its line and its label
    marker: str        # a matplotlib marker
    filled: bool = True  # hollow markers mark a rerun of a strategy at another budget


STRATEGY_STYLES = {
    "random search": StrategyStyle("0.45", "X"),
    "parameter count": StrategyStyle("tab:brown", "s"),       # zero-cost proxies: square-ish
    "multiply-accumulates": StrategyStyle("tab:pink", "P"),
    "number of conv ops": StrategyStyle("tab:olive", "p"),
    "full training": StrategyStyle("tab:purple", "D"),
    "weight sharing": StrategyStyle("tab:blue", "o"),
    "weight sharing (combined's budget)": StrategyStyle("tab:blue", "o", filled=False),
    "early stopping": StrategyStyle("tab:green", "^"),
    "early stopping (combined's budget)": StrategyStyle("tab:green", "^", filled=False),
    "median stopping": StrategyStyle("tab:cyan", "v"),
    "successive halving": StrategyStyle("darkgreen", "<"),
    "combined": StrategyStyle("tab:red", "*"),
    "noise ceiling": StrategyStyle("0.15", "s"),
}
# For names the course does not know (a student's estimator): colours none of the above use.
OTHER_COLORS = ("#393b79", "#8c6d31", "#843c39", "#7b4173", "#637939", "#3182bd", "#e6550d",
                "#31a354")
FONT_SIZE = 8
GAP = 6.0           # points between a marker's centre and its label
MARKER_RADIUS = 5.0  # points around a marker that a label keeps clear of


def strategy_style(name: str) -> StrategyStyle:
    """The style of strategy ``name``: its own, that of the longest known name it starts
    with (followed by a space, comma or bracket), or one picked by a CRC-32 of the name.

    >>> strategy_style("parameter count (no training)").color
    'tab:brown'
    >>> strategy_style("my estimator") == strategy_style("my estimator")
    True
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a strategy name must be a non-empty string, but got {name!r}")
    key = name.strip().lower()
    if key in STRATEGY_STYLES:
        return STRATEGY_STYLES[key]
    prefixes = [known for known in STRATEGY_STYLES
                if key.startswith(known) and key[len(known)] in " ,(:"]
    if prefixes:
        return STRATEGY_STYLES[max(prefixes, key=len)]
    return StrategyStyle(OTHER_COLORS[zlib.crc32(key.encode()) % len(OTHER_COLORS)], "o")


def renderer(figure: Figure) -> RendererBase:
    """Lay ``figure`` out as it will be drawn and return the renderer that measures text."""
    _agg(figure).draw_without_rendering()
    return figure.canvas.get_renderer()


def _agg(figure: Figure) -> Figure:
    """``figure`` on a canvas that can measure and paint (pyplot-free figures have none)."""
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    return figure


def _segments(line: Line2D) -> np.ndarray:
    """A drawn line as display-coordinate segments, shape (N, 2, 2); none without a style."""
    if not line.get_visible() or line.get_linestyle() in ("None", "", " "):
        return np.empty((0, 2, 2))
    points = line.get_transform().transform(line.get_xydata())
    points = points[np.isfinite(points).all(axis=1)]
    return np.stack([points[:-1], points[1:]], axis=1)


def _crosses(segment: np.ndarray, box: Bbox) -> bool:
    """Whether a segment ((x0, y0), (x1, y1)) passes through ``box`` (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = segment
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for step, distance in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0),
                           (dy, box.y1 - y0)):
        if step == 0:
            if distance < 0:
                return False
            continue
        ratio = distance / step
        if step < 0:
            low = max(low, ratio)
        else:
            high = min(high, ratio)
        if low > high:
            return False
    return True


def line_through(box: Bbox, axes: Axes) -> Line2D | None:
    """A line of ``axes`` that crosses ``box`` (display coordinates, e.g. a text's window
    extent) inside the axes, or None."""
    inside = Bbox.intersection(box, axes.get_window_extent())
    if inside is None:
        return None
    for line in axes.lines:
        if any(_crosses(segment, inside) for segment in _segments(line)):
            return line
    return None


def _overlap(one: Bbox, other: Bbox, tolerance: float = 0.5) -> bool:
    return (min(one.x1, other.x1) - max(one.x0, other.x0) > tolerance
            and min(one.y1, other.y1) - max(one.y0, other.y0) > tolerance)


def _candidates() -> Iterator[tuple[float, float, str, str]]:
    """Offsets (points) and alignments to try for a label, nearest to its point first: the
    eight places around it, then further up and down (reached by a leader line)."""
    for side, align in ((1, "left"), (-1, "right")):  # the right side first: read on
        yield side * GAP, 0, align, "center"
        yield side * GAP, GAP, align, "bottom"
        yield side * GAP, -GAP, align, "top"
    yield 0, GAP, "center", "bottom"
    yield 0, -GAP, "center", "top"
    for step in range(2, 14):
        for sign in (1, -1):
            yield 2 * GAP, sign * step * 0.9 * FONT_SIZE, "left", "center"
            yield -2 * GAP, sign * step * 0.9 * FONT_SIZE, "right", "center"


def _fits(box: Bbox, axes: Axes, frame: Bbox, obstacles: Sequence[Bbox]) -> bool:
    return (frame.containsx(box.x0) and frame.containsx(box.x1) and frame.containsy(box.y0)
            and frame.containsy(box.y1) and not any(_overlap(box, other) for other in obstacles)
            and line_through(box, axes) is None)


def direct_labels(axes: Axes, points: Sequence[tuple[float, float]], texts: Sequence[str],
                  colors: Sequence[str], *, avoid: Sequence[tuple[float, float]] = ()
                  ) -> list[Annotation]:
    """Label each point of ``points`` (data coordinates) with its text, in its colour.

    Labels are placed in the given order; each takes the first position near its point where
    it overlaps no text already in ``axes``, no marker at ``points`` or ``avoid``, crosses no
    line of ``axes`` and lies inside the axes; a label moved further than the eight places
    around its point gets a thin leader line to it. Set the axes' limits and everything else
    of the figure first: positions are measured on the figure as laid out now. Where no
    position is free, the label goes to the right of its point (and ``label_problems``
    reports it). Raises ValueError when points, texts and colors differ in length.
    """
    if not len(points) == len(texts) == len(colors):
        raise ValueError(f"points, texts and colors must have the same length, but got "
                         f"{len(points)}, {len(texts)} and {len(colors)}")
    measure = renderer(axes.figure)
    frame = axes.get_window_extent(measure)
    radius = MARKER_RADIUS * axes.figure.dpi / 72  # points to display pixels
    markers = [Bbox.from_extents(x - radius, y - radius, x + radius, y + radius) for x, y in
               axes.transData.transform(np.asarray([*points, *avoid], dtype=float)
                                        .reshape(-1, 2))]
    taken = [Text.get_window_extent(text, measure) for text in axes.texts if text.get_text()]
    # (the last draw placed every annotation already in axes, so their text extents are current)
    labels = []
    for point, text, color in zip(points, texts, colors):
        probe = axes.text(0, 0, text, fontsize=FONT_SIZE, transform=None)
        place = (GAP, 0, "left", "center")
        for dx, dy, horizontal, vertical in _candidates():
            x, y = axes.transData.transform(point) + np.array([dx, dy]) * radius / MARKER_RADIUS
            probe.set(x=x, y=y, horizontalalignment=horizontal, verticalalignment=vertical)
            if _fits(probe.get_window_extent(measure), axes, frame, [*taken, *markers]):
                place = (dx, dy, horizontal, vertical)
                break
        probe.remove()
        dx, dy, horizontal, vertical = place
        leader = None if abs(dy) <= GAP else {
            "arrowstyle": "-", "color": color, "linewidth": 0.6, "shrinkB": MARKER_RADIUS,
            "relpos": (0.0 if horizontal == "left" else 1.0, 0.5)}
        label = axes.annotate(text, point, xytext=(dx, dy), textcoords="offset points",
                              ha=horizontal, va=vertical, color=color, fontsize=FONT_SIZE,
                              annotation_clip=False, arrowprops=leader)
        label.set_in_layout(False)
        label.update_positions(measure)  # places the text; drawing would do the same
        taken.append(Text.get_window_extent(label, measure))
        labels.append(label)
    return labels


def _all_axes(figure: Figure) -> list[Axes]:
    """Every axes of ``figure``, secondary axes (``child_axes``) included."""
    found, waiting = [], list(figure.axes)
    while waiting:
        axes = waiting.pop(0)
        found.append(axes)
        waiting.extend(axes.child_axes)
    return found


def _hidden_ticks(figure: Figure) -> set[int]:
    """ids of the tick labels matplotlib keeps but does not draw (outside the view)."""
    hidden = set()
    for axes in _all_axes(figure):
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            for ticks, locs in ((axis.majorTicks, axis.get_majorticklocs()),
                                (axis.minorTicks, axis.get_minorticklocs())):
                for index, tick in enumerate(ticks):
                    drawn = index < len(locs) and (low <= locs[index] <= high or np.isclose(
                        locs[index], [low, high], rtol=1e-9, atol=0).any())
                    if not drawn:
                        hidden.update({id(tick.label1), id(tick.label2)})
    return hidden


def visible_texts(figure: Figure) -> list[Text]:
    """Every text a reader of ``figure`` sees: titles, axis and tick labels, annotations,
    legend entries; empty, hidden and undrawn (off-view tick) texts left out."""
    renderer(figure)
    hidden = _hidden_ticks(figure)
    return [text for text in figure.findobj(Text) if text.get_visible()
            and text.get_text().strip() and id(text) not in hidden]


def label_problems(figure: Figure) -> list[str]:
    """What makes ``figure``'s text hard to read, one sentence per problem: two texts that
    overlap (a legend counts as one box), a text cut off at the figure's edge, a text that a
    line of an axes crosses. ``[]`` when the figure reads cleanly."""
    measure = renderer(figure)
    legends = [legend for legend in figure.findobj(Legend) if legend.get_visible()]
    inside_legends = {id(text) for legend in legends for text in
                      [*legend.get_texts(), legend.get_title()]}
    boxes = [(repr(text.get_text()), Text.get_window_extent(text, measure))  # no leader line
             for text in visible_texts(figure) if id(text) not in inside_legends]
    boxes += [("the legend", legend.get_window_extent(measure)) for legend in legends]
    problems = [f"{first} overlaps {second}"
                for index, (first, box) in enumerate(boxes)
                for second, other in boxes[index + 1:] if _overlap(box, other)]
    page = figure.bbox.padded(0.5)
    problems += [f"{name} is cut off at the edge of the figure" for name, box in boxes
                 if not (page.containsx(box.x0) and page.containsx(box.x1)
                         and page.containsy(box.y0) and page.containsy(box.y1))]
    for name, box in boxes[:len(boxes) - len(legends)]:  # a legend's frame hides lines
        for axes in _all_axes(figure):
            line = line_through(box, axes)
            if line is not None:
                named = "" if line.get_label().startswith("_") else f" ({line.get_label()})"
                problems.append(f"{name} is struck through by a line{named}")
    return problems


def drawn_shares(figure: Figure, boxes: Sequence[Bbox], color: str,
                 tolerance: float = 0.08) -> list[float]:
    """For each box of ``boxes`` (display coordinates, e.g. texts' window extents), the share
    of its pixels that ``figure``, drawn once, paints in ``color`` (each RGB channel within
    ``tolerance``): what a reader sees there, for tests."""
    _agg(figure).canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3] / 255  # (H, W, 3), top row first
    height, shares = image.shape[0], []
    for box in boxes:
        rows = slice(max(0, int(height - box.y1)), max(0, int(np.ceil(height - box.y0))))
        columns = slice(max(0, int(box.x0)), max(0, int(np.ceil(box.x1))))
        patch = image[rows, columns].reshape(-1, 3)
        if len(patch) == 0:
            raise ValueError(f"box {box.bounds} lies outside the drawn figure")
        shares.append(float((np.abs(patch - to_rgb(color)) <= tolerance).all(axis=1).mean()))
    return shares
