"""Learning-curve charts for ``rnntool report``: braille text for a terminal, or an image file.

This module only draws series of (x, y) points. It knows nothing about training, models or
metrics files: callers read those and pass in plain lists of numbers. It does not import
torch or numpy, and imports matplotlib only when an image file is written.
"""

from __future__ import annotations

import itertools
import math
import os
from typing import Iterator, Sequence

from rnntool.errors import RnnToolError
from rnntool.files import atomic_path

Points = Sequence[tuple[float, float]]
Series = Sequence[tuple[str, Points]]

NO_DATA = "(no data to plot)"
IMAGE_FORMATS = ("png", "svg", "pdf")
_COLOURS = (31, 32, 34, 35, 36, 33)     # ANSI SGR foreground: red, green, blue, magenta, ...
_KEYS = "123456789abcdefghijklmnopqrstuvwxyz"  # marks the last point of each series
# Bit of the braille dot at (column 0-1, row 0-3) inside one character cell (U+2800 block).
_DOT_BITS = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))


def _finite_points(points: Points, log_y: bool) -> list[tuple[float, float]]:
    """The points whose x and y are finite; with ``log_y``, only y > 0, as log10(y)."""
    kept = []
    for x, y in points:
        x, y = float(x), float(y)
        if log_y:
            if not y > 0:
                continue
            y = math.log10(y)
        if math.isfinite(x) and math.isfinite(y):
            kept.append((x, y))
    return kept


def _span(values: list[float]) -> tuple[float, float]:
    """(min, max) of ``values``, widened around a single value so that it can be scaled."""
    lo, hi = min(values), max(values)
    if hi > lo:
        return lo, hi
    pad = abs(lo) * 0.1 or 1.0
    return lo - pad, hi + pad


def _fmt(value: float, digits: int = 3) -> str:
    """A compact label: whole numbers as integers, others with ``digits`` significant digits."""
    if value == round(value) and abs(value) < 1e6:
        return str(int(round(value)))
    return f"{value:.{digits}g}"


def _labels(values: list[float]) -> list[str]:
    """Labels for ``values``, with more digits where 3 would make two of them equal."""
    for digits in range(3, 8):
        labels = [_fmt(v, digits) for v in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def _line(x0: int, y0: int, x1: int, y1: int) -> Iterator[tuple[int, int]]:
    """The dots of a straight line from (x0, y0) to (x1, y1), ends included (Bresenham)."""
    dx, dy = abs(x1 - x0), -abs(y1 - y0)
    sx, sy = (1 if x1 > x0 else -1), (1 if y1 > y0 else -1)
    err = dx + dy
    while True:
        yield x0, y0
        if x0 == x1 and y0 == y1:
            return
        double = 2 * err
        if double >= dy:
            err, x0 = err + dy, x0 + sx
        if double <= dx:
            err, y0 = err + dx, y0 + sy


def terminal_chart(series: Series, *, width: int = 72, height: int = 16, x_label: str = "step",
                   y_label: str = "", log_y: bool = False, colour: bool = False) -> str:
    """A text chart of ``series`` (a list of ``(name, [(x, y), ...])``) drawn in braille.

    Lines are at most ``width`` characters wide (ANSI codes not counted); there are ``height``
    plot rows, then the x axis, its labels and a legend (plus a first line with ``y_label``
    when given). Points that are not finite (or not > 0 with ``log_y``) are skipped. With
    several series, each one's last point is marked with its key (1, 2, ...) that the legend
    names; ``colour`` adds one ANSI colour per series (cells that series share stay plain).
    """
    if height < 3:
        raise ValueError(f"height must be at least 3 rows, not {height}")
    data = [(str(name), _finite_points(points, log_y)) for name, points in series]
    found = [point for _, points in data for point in points]
    if not found:
        return NO_DATA
    x_lo, x_hi = _span([x for x, _ in found])
    y_lo, y_hi = _span([y for _, y in found])

    dot_rows = height * 4
    ticks = 5 if height >= 9 else 3
    tick_rows = sorted({round(i * (height - 1) / (ticks - 1)) for i in range(ticks)})
    # Label each tick row with the value of one of its dot rows: the extreme ones at the ends.
    dots = [0 if r == 0 else dot_rows - 1 if r == height - 1 else r * 4 + 1.5 for r in tick_rows]
    values = [y_hi - d / (dot_rows - 1) * (y_hi - y_lo) for d in dots]
    tick_labels = dict(zip(tick_rows, _labels([10 ** v if log_y else v for v in values])))
    gutter = max(map(len, tick_labels.values()))
    plot_w = width - gutter - 1
    if plot_w < 8:
        raise ValueError(f"width {width} leaves no room to plot (y labels take {gutter + 1})")

    dot_cols = plot_w * 2
    bits = [[0] * plot_w for _ in range(height)]
    owner: list[list[int | None]] = [[None] * plot_w for _ in range(height)]  # -1: shared
    marks: dict[tuple[int, int], int] = {}
    for index, (_, points) in enumerate(data):
        pixels = [(round((x - x_lo) / (x_hi - x_lo) * (dot_cols - 1)),
                   round((y_hi - y) / (y_hi - y_lo) * (dot_rows - 1))) for x, y in points]
        path = pixels[:1]
        for start, end in zip(pixels, pixels[1:]):
            path.extend(_line(*start, *end))
        for px, py in path:
            row, col = py // 4, px // 2
            bits[row][col] |= _DOT_BITS[px % 2][py % 4]
            owner[row][col] = index if owner[row][col] in (None, index) else -1
        if pixels and len(data) > 1:
            marks[pixels[-1][1] // 4, pixels[-1][0] // 2] = index

    def paint(text: str, index: int | None) -> str:
        if not colour or index is None or index < 0:
            return text
        return f"\x1b[{_COLOURS[index % len(_COLOURS)]}m{text}\x1b[0m"

    lines = [y_label[:width]] if y_label else []
    for row in range(height):
        cells = []
        for col in range(plot_w):
            if (row, col) in marks:
                key = marks[row, col]
                cells.append((_KEYS[key % len(_KEYS)], key))
            else:
                cell = bits[row][col]
                cells.append((chr(0x2800 + cell) if cell else " ", owner[row][col]))
        runs = (paint("".join(t for t, _ in run), index)
                for index, run in itertools.groupby(cells, key=lambda cell: cell[1]))
        axis = f"{tick_labels[row]:>{gutter}}┤" if row in tick_labels else " " * gutter + "│"
        lines.append(axis + "".join(runs))
    lines.append(" " * gutter + "└" + "─" * plot_w)

    lo, hi = _fmt(x_lo), _fmt(x_hi)
    room = plot_w - len(lo) - len(hi)
    if room >= 1:
        middle = x_label if len(x_label) + 2 <= room else ""
        lines.append(" " * (gutter + 1) + lo + middle.center(room) + hi)
    else:
        lines.append(" " * (gutter + 1) + lo[:plot_w])

    entries = []
    for index, (name, points) in enumerate(data):
        text = f"{_KEYS[index % len(_KEYS)]} {name}" if len(data) > 1 else name
        text += "" if points else " (no data)"
        if len(text) > plot_w:
            text = text[:plot_w - 1] + "…"
        entries.append((text, index))
    legend: list[list[tuple[str, int]]] = [[]]
    for text, index in entries:
        used = sum(len(t) + 2 for t, _ in legend[-1])
        if legend[-1] and used + len(text) > plot_w:
            legend.append([])
        legend[-1].append((text, index))
    for group in legend:
        lines.append(" " * (gutter + 1) + "  ".join(paint(t, i) for t, i in group))
    return "\n".join(lines)


def save_chart(series: Series, path: str | os.PathLike, *, x_label: str = "step",
               y_label: str = "", title: str = "", log_y: bool = False) -> None:
    """Write ``series`` as a line chart to ``path``: PNG, SVG or PDF by its extension.

    The file is replaced atomically. Raises RnnToolError when the extension is not one of
    those, matplotlib is missing, or the file cannot be written.
    """
    save_charts([(y_label, series)], path, x_label=x_label, title=title, log_y=log_y)


def save_charts(panels: Sequence[tuple[str, Series]], path: str | os.PathLike, *,
                x_label: str = "step", title: str = "", log_y: bool = False) -> None:
    """Write one chart per ``(y_label, series)`` panel, stacked and sharing the x axis, to
    ``path`` (see ``save_chart``)."""
    path = os.fspath(path)
    fmt = os.path.splitext(path)[1].lower().lstrip(".")
    if fmt not in IMAGE_FORMATS:
        raise RnnToolError(f"{path}: cannot tell the image format from the name; "
                           f"use a .png, .svg or .pdf file")
    try:
        # Import the package itself first: a cached submodule would hide a missing package.
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise RnnToolError("--plot needs matplotlib: pip install 'rnntool[plot]'") from None

    fig = Figure(figsize=(8, 1.5 + 3 * max(len(panels), 1)), layout="constrained")
    FigureCanvasAgg(fig)  # no pyplot: no GUI backend, no global figure registry
    axes = fig.subplots(max(len(panels), 1), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (y_label, series) in zip(axes, panels):
        drawn = False
        for name, points in series:
            kept = [(x, y) for x, y in _finite_points(points, False) if y > 0 or not log_y]
            ax.plot([x for x, _ in kept], [y for _, y in kept], label=str(name),
                    linewidth=1.5)
            drawn = drawn or bool(kept)
        if not drawn:
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center",
                    color="grey")
        elif log_y:
            ax.set_yscale("log")
        ax.set_ylabel(y_label)
        ax.grid(True, alpha=0.3)
        if series:
            ax.legend()
    axes[-1].set_xlabel(x_label)
    if title:
        fig.suptitle(title)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt)
    except OSError as exc:
        raise RnnToolError(f"{path}: cannot write the chart: {exc.strerror or exc}") from None
