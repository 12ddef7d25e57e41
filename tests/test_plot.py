"""rnntool.plot: braille terminal charts and image files (fast; no torch)."""

from __future__ import annotations

import errno
import importlib.util
import math
import os
import re
import subprocess
import sys

import pytest

from rnntool.errors import RnnToolError
from rnntool.plot import NO_DATA, save_chart, terminal_chart

ANSI = re.compile(r"\x1b\[[0-9;]*m")
RISING = [("loss", [(float(x), float(x)) for x in range(11)])]


def visible(line: str) -> str:
    return ANSI.sub("", line)


def plot_cells(chart: str, height: int, first: int = 0) -> list[str]:
    """The plot area of each of the ``height`` plot rows, without the y axis gutter."""
    rows = chart.split("\n")[first:first + height]
    return [re.split("[┤│]", visible(row), maxsplit=1)[1] for row in rows]


def dots(cell: str) -> int:
    """The braille dot bits of one cell (0 for a blank)."""
    return 0 if cell == " " else ord(cell) - 0x2800


def test_dimensions():
    chart = terminal_chart(RISING, width=40, height=8)
    lines = chart.split("\n")
    assert len(lines) == 8 + 3  # plot rows, axis line, x labels, legend
    assert all(len(line) <= 40 for line in lines)
    assert all(len(line) == 40 for line in lines[:9])
    assert lines[8].lstrip().startswith("└")
    assert "step" in lines[9] and lines[9].split()[0] == "0" and lines[9].split()[-1] == "10"
    assert lines[10].strip() == "loss"
    with_label = terminal_chart(RISING, width=40, height=8, y_label="loss")
    assert with_label.split("\n")[0] == "loss" and len(with_label.split("\n")) == 12


def test_y_axis_has_3_to_5_ticks():
    for height in (3, 5, 8, 9, 16, 30):
        chart = terminal_chart(RISING, width=50, height=height)
        ticks = [row for row in chart.split("\n")[:height] if "┤" in row]
        assert 3 <= len(ticks) <= 5, (height, chart)
    top, bottom = (row.split("┤")[0].strip() for row in (ticks[0], ticks[-1]))
    assert (top, bottom) == ("10", "0")


def test_rising_series_goes_from_bottom_left_to_top_right():
    cells = plot_cells(terminal_chart(RISING, width=40, height=8), 8)
    assert dots(cells[-1][0]) & 0x40  # bottom-left dot of the bottom-left cell
    assert dots(cells[0][-1]) & 0x08  # top-right dot of the top-right cell
    assert cells[0][0] == " " and cells[-1][-1] == " "
    # Consecutive points are joined by a line: every column holds some dot.
    for col in range(len(cells[0])):
        assert any(row[col] != " " for row in cells), col


def test_non_finite_points_are_skipped():
    points = [(0, 1.0), (1, math.nan), (2, math.inf), (3, -math.inf), (math.nan, 5), (4, 2.0)]
    chart = terminal_chart([("loss", points)], width=40, height=6)
    assert "nan" not in chart and "inf" not in chart
    assert chart.split("\n")[0].split("┤")[0].strip() == "2"
    assert terminal_chart([("loss", [(0, math.nan), (1, math.inf)])]) == NO_DATA


@pytest.mark.parametrize("series", [[], [("loss", [])], [("a", []), ("b", [])]])
def test_no_data(series):
    assert terminal_chart(series) == NO_DATA


def test_flat_series_draws_in_the_middle():
    height = 9
    cells = plot_cells(terminal_chart([("acc", [(0, 0.5), (1, 0.5), (2, 0.5)])],
                                      width=40, height=height), height)
    used = [r for r, row in enumerate(cells) if row.strip()]
    assert used == [height // 2]
    assert all(cell != " " for cell in cells[height // 2])


def test_single_point_draws():
    chart = terminal_chart([("loss", [(5, 2.0)])], width=30, height=5)
    cells = plot_cells(chart, 5)
    assert sum(cell != " " for row in cells for cell in row) == 1
    assert cells[2].strip()


def test_two_series_have_keys_in_grid_and_legend():
    series = [("train", [(0, 1.0), (10, 2.0)]), ("valid", [(0, 2.0), (10, 1.0)])]
    chart = terminal_chart(series, width=40, height=6)
    lines = chart.split("\n")
    assert "1 train" in lines[-1] and "2 valid" in lines[-1]
    cells = plot_cells(chart, 6)
    assert cells[0][-1] == "1" and cells[-1][-1] == "2"


def test_legend_wraps_within_width():
    series = [(f"series-{i}", [(0, i), (1, i + 1)]) for i in range(8)]
    lines = terminal_chart(series, width=40, height=4).split("\n")
    assert all(len(line) <= 40 for line in lines)
    legend = " ".join(lines[6:])
    assert all(f"{i + 1} series-{i}" in legend for i in range(8))


def test_colour():
    series = [("train", [(0, 1.0), (10, 2.0)]), ("valid", [(0, 2.0), (10, 1.0)])]
    assert "\x1b" not in terminal_chart(series, colour=False)
    chart = terminal_chart(series, width=40, height=6, colour=True)
    assert "\x1b[31m" in chart and "\x1b[32m" in chart and "\x1b[0m" in chart
    assert all(len(visible(line)) <= 40 for line in chart.split("\n"))
    assert visible(chart) == terminal_chart(series, width=40, height=6)


def test_log_y_ticks_in_original_units():
    points = [(0, 1000.0), (1, 10.0), (2, 0.0), (3, -5.0), (4, 0.001)]
    chart = terminal_chart([("loss", points)], width=40, height=5, log_y=True)
    ticks = [row.split("┤")[0].strip() for row in chart.split("\n")[:5] if "┤" in row]
    assert ticks == ["1000", "1", "0.001"]


def test_narrow_or_short_chart_is_refused():
    with pytest.raises(ValueError):
        terminal_chart(RISING, width=10)
    with pytest.raises(ValueError):
        terminal_chart(RISING, height=2)


# save_chart

needs_matplotlib = pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None,
                                      reason="matplotlib is not installed")
SERIES = [("train", [(0, 2.0), (1, 1.5), (2, math.nan), (3, 1.0)]), ("valid", [(0, 2.2), (3, 1.4)])]


@needs_matplotlib
@pytest.mark.parametrize("name, magic", [("c.png", b"\x89PNG"), ("c.PNG", b"\x89PNG"),
                                         ("c.svg", b"<svg"), ("c.pdf", b"%PDF")])
def test_save_chart_formats(tmp_path, name, magic):
    path = tmp_path / name
    save_chart(SERIES, path, y_label="loss", title="run 1", log_y=True)
    data = path.read_bytes()
    assert (data.startswith(magic) if magic != b"<svg" else magic in data)
    assert os.listdir(tmp_path) == [name]


@needs_matplotlib
def test_save_chart_without_data(tmp_path):
    path = tmp_path / "empty.svg"
    save_chart([("loss", [(0, math.nan)])], path)
    assert b"no data" in path.read_bytes()


def test_save_chart_bad_extension(tmp_path):
    path = tmp_path / "chart.jpg"
    with pytest.raises(RnnToolError, match=r"chart\.jpg.*\.png, \.svg or \.pdf"):
        save_chart(SERIES, path)
    assert not path.exists()


def test_save_chart_without_matplotlib(tmp_path, monkeypatch):
    if importlib.util.find_spec("matplotlib") is not None:
        # Submodules cached by earlier imports must not hide the missing package.
        import matplotlib.backends.backend_agg  # noqa: F401
        import matplotlib.figure  # noqa: F401
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RnnToolError, match=re.escape("pip install 'rnntool[plot]'")):
        save_chart(SERIES, tmp_path / "chart.png")
    assert os.listdir(tmp_path) == []


@needs_matplotlib
def test_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "chart.png"
    path.write_bytes(b"old")

    def fail(self, fname, **kwargs):
        with open(fname, "wb") as handle:
            handle.write(b"\x89PNG half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", fail)
    with pytest.raises(RnnToolError, match="(?i)chart.png.*no space left"):
        save_chart(SERIES, path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["chart.png"]


@needs_matplotlib
def test_unwritable_target(tmp_path):
    with pytest.raises(RnnToolError, match="does not exist"):
        save_chart(SERIES, tmp_path / "missing" / "chart.png")


def test_import_is_light():
    code = ("import sys, rnntool.plot; "
            "print(sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
