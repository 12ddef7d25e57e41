"""Numeric time series for forecasting: reading columns of numbers, scaling, windows, scores.

A series file holds one time step a line and one number a column, comma-separated (CSV) or
separated by whitespace, decided per file by its first line (a comma makes it CSV). An
optional first line of column names is recognised by holding a cell that is not a number;
without one the columns are called ``1``, ``2``, ... Blank lines and lines starting with
``#`` are skipped. Text is read through ``rnntool.text``, so encodings, decoding errors (named
by byte offset), missing files and stdin (``-``) behave as in every other command; every
problem in the data is an ``InputError`` naming the file, line and column.

The rest works on the ``[steps, columns]`` array: a per-column ``Normalizer`` fitted on the
training part, ``split_tail`` to hold out the end of the series, ``make_windows`` to cut it
into (history, next values) pairs, and ``forecast_scores`` to compare forecasts with the
naive one that repeats the last observed value.

Not here: models (``rnntool.models.forecast``), training loops, the command line. This
module needs only numpy.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np

from rnntool import text as textio
from rnntool.errors import InputError, RnnToolError

_WHITESPACE = re.compile(f"[{re.escape(textio.ASCII_WHITESPACE)}]+")


@dataclass
class Series:
    """A series as read: ``values`` [steps, columns] (float64), the columns' ``names``, and
    ``target``, the index of the column to forecast."""

    values: np.ndarray
    names: list[str]
    target: int

    @property
    def target_name(self) -> str:
        return self.names[self.target]


# --- reading -----------------------------------------------------------------------------

def _lines(path: str, encoding: str, errors: str) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of every line of ``path``, without its line end."""
    number = 0
    for chunk in textio.read_line_chunks(path, encoding=encoding, errors=errors):
        pieces = chunk.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        for piece in pieces:
            number += 1
            yield number, piece.rstrip("\r")


def _split(line: str, csv: bool) -> list[str]:
    """The cells of one line: split at commas (surrounding spaces and double quotes
    dropped) or at runs of whitespace."""
    if csv:
        cells = [cell.strip(textio.ASCII_WHITESPACE) for cell in line.split(",")]
        return [cell[1:-1] if len(cell) >= 2 and cell[0] == cell[-1] == '"' else cell
                for cell in cells]
    if line.isascii():
        return line.split()
    return [cell for cell in _WHITESPACE.split(line) if cell]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


class _File:
    """What one file contributed: its rows, the line number of each, its header if any."""

    def __init__(self, name: str):
        self.name = name
        self.header: list[str] | None = None
        self.header_line = 0
        self.rows: list[list[float]] = []
        self.first_line = 0  # the line of the first row (or of the header)


def _read_file(path: str, encoding: str, errors: str) -> _File:
    name = textio.display_name(path)
    result = _File(name)
    csv = False
    width = 0
    width_line = 0
    for number, line in _lines(path, encoding, errors):
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        stripped = line.lstrip(textio.ASCII_WHITESPACE)
        if not stripped or stripped.startswith("#"):
            continue
        if not width:  # the first line that counts: decides the separator and any header
            csv = "," in line
            cells = _split(line, csv)
            width, width_line = len(cells), number
            result.first_line = number
            if any(cell and not _is_number(cell) for cell in cells):
                result.header = [cell or str(i) for i, cell in enumerate(cells, 1)]
                result.header_line = number
                seen: set[str] = set()
                for column, cell in enumerate(result.header, 1):
                    if cell in seen:
                        raise InputError(f"{name}: line {number}, column {column}: the column "
                                         f"name {cell!r} is used twice in the header")
                    seen.add(cell)
                continue
        else:
            cells = _split(line, csv)
            if len(cells) != width:
                what = "the header" if result.header is not None else "the first row"
                raise InputError(
                    f"{name}: line {number}, column {min(len(cells), width) + 1}: "
                    f"{len(cells)} cell{'s' if len(cells) != 1 else ''} where {what} (line "
                    f"{width_line}) has {width}; every row needs a number in every column")
        try:
            row = [float(cell) for cell in cells]
        except ValueError:
            row = []
        if len(row) != width or not all(map(math.isfinite, row)):
            raise _bad_cell(name, number, cells, result.header)
        result.rows.append(row)
    if not result.rows:
        raise InputError(f"{name}: no rows of numbers" +
                         (" after the header" if result.header is not None else
                          " (the file is empty or holds only comments and blank lines)"))
    return result


def _bad_cell(name: str, number: int, cells: list[str], header: list[str] | None) -> InputError:
    """The error for the first cell of a row that is not a finite number."""
    for column, cell in enumerate(cells, 1):
        where = f"{name}: line {number}, column {column}"
        if header is not None:
            where += f" ({header[column - 1]})"
        if not cell:
            return InputError(f"{where}: an empty cell; the series must be complete (fill in "
                              f"or drop missing steps first)")
        try:
            value = float(cell)
        except ValueError:
            return InputError(f"{where}: {cell!r} is not a number")
        if not math.isfinite(value):
            return InputError(f"{where}: {cell!r} is not a finite number; the series must be "
                              f"complete (fill in or drop missing or infinite values first)")
    raise AssertionError("no bad cell in the row")  # pragma: no cover


def _column_index(spec: str | int, names: list[str], what: str, where: str) -> int:
    """The index of the column ``spec`` names: a name in ``names``, else a 1-based number."""
    if isinstance(spec, str) and spec in names:
        return names.index(spec)
    number = None
    if isinstance(spec, int) and not isinstance(spec, bool):
        number = spec
    elif isinstance(spec, str) and spec.strip().isdigit():
        number = int(spec.strip())
    if number is not None:
        if 1 <= number <= len(names):
            return number - 1
        raise InputError(f"{where}: no column {number} for the {what}: the series has "
                         f"{len(names)} column{'s' if len(names) != 1 else ''} (1 to "
                         f"{len(names)})")
    raise InputError(f"{where}: no column named {spec!r} for the {what} (the columns: "
                     f"{', '.join(names)})")


def read_series(paths: Sequence[str], *, target: str | int | None = None,
                columns: Sequence[str | int] | None = None, encoding: str = "utf-8",
                errors: str = "strict") -> Series:
    """Read the numeric columns of ``paths`` ('-' is stdin), concatenated in order.

    ``target``: the column to forecast, by header name or 1-based number (default: the last
    column). ``columns``: the columns kept as model inputs, in the order given (default:
    all, in file order); the target is always kept, appended when not listed. Every file
    must have the same number of columns, and those with headers the same names. Problems
    raise ``InputError`` naming the file, line and column.
    """
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise InputError("no series files given")
    files = [_read_file(path, encoding, errors) for path in paths]
    first = files[0]
    width = len(first.rows[0])
    names: list[str] | None = None
    named_by: _File | None = None
    for part in files:
        if len(part.rows[0]) != width:
            raise InputError(f"{part.name}: line {part.first_line}: {len(part.rows[0])} "
                             f"column{'s' if len(part.rows[0]) != 1 else ''} where "
                             f"{first.name} has {width}; the files must hold the same columns")
        if part.header is not None:
            if names is None:
                names, named_by = part.header, part
            elif part.header != names:
                raise InputError(f"{part.name}: line {part.header_line}: the columns "
                                 f"({', '.join(part.header)}) differ from those of "
                                 f"{named_by.name} ({', '.join(names)})")
    if names is None:
        names = [str(i) for i in range(1, width + 1)]
    where = named_by.name if named_by is not None else first.name
    values = np.array([row for part in files for row in part.rows], dtype=np.float64)
    values = values.reshape(-1, width)

    return select(Series(values, list(names), width - 1), target, columns, where)


def select(series: Series, target: str | int | None = None,
           columns: Sequence[str | int] | None = None, where: str = "the series") -> Series:
    """``series`` with ``target`` (name or 1-based number; default: the last column) as the
    column to forecast and only the ``columns`` given (default: all) as inputs, the target
    always among them (appended when not listed)."""
    names, values = series.names, series.values
    target_index = (len(names) - 1 if target is None
                    else _column_index(target, names, "target", where))
    if columns is None:
        return Series(values, list(names), target_index)
    keep: list[int] = []
    for spec in columns:
        index = _column_index(spec, names, "input columns", where)
        if index not in keep:
            keep.append(index)
    if target_index not in keep:
        keep.append(target_index)
    return Series(np.ascontiguousarray(values[:, keep]), [names[i] for i in keep],
                  keep.index(target_index))


def layout(read: Series, chosen: Series) -> dict:
    """What a model trained on ``chosen`` (selected from ``read``) needs to find its columns
    in other files: their names and numbers, the file's width and the target's place."""
    return {"columns": list(chosen.names),
            "numbers": [read.names.index(name) + 1 for name in chosen.names],
            "width": len(read.names), "target": chosen.target,
            "named": read.names != [str(i) for i in range(1, len(read.names) + 1)]}


def read_like(paths: Sequence[str], trained: dict, *, encoding: str = "utf-8",
              errors: str = "strict") -> Series:
    """Read series files and pick the columns a model was trained on (``trained``, a
    ``layout``): by name when the file has a header, else by number (the file must then
    have as many columns as the training file had)."""
    read = read_series(paths, encoding=encoding, errors=errors)
    where = textio.display_name(paths[0] if not isinstance(paths, str) else paths)
    named = read.names != [str(i) for i in range(1, len(read.names) + 1)]
    if named:
        specs = trained["columns"]
    else:
        if len(read.names) != trained["width"]:
            raise InputError(f"{where}: {len(read.names)} columns without a header, but the "
                             f"model was trained on {trained['width']}; give the same "
                             f"columns, or a header naming them")
        specs = trained["numbers"]
    target = specs[trained["target"]]
    return select(read, target, specs, where)


# --- scaling -----------------------------------------------------------------------------

class Normalizer:
    """Per-column standardisation, ``(x - mean) / std``, with statistics from training values.

    A constant column (std 0) gets std 1, so it maps to zeros rather than to infinities.
    """

    def __init__(self, mean=None, std=None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    def fit(self, values: np.ndarray) -> "Normalizer":
        """Learn each column's mean and std from ``values`` [steps, columns]; returns self."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 2 or not len(values):
            raise ValueError("fit needs a non-empty [steps, columns] array")
        self.mean = values.mean(axis=0)
        std = values.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def _check(self, columns: int) -> None:
        if self.mean is None:
            raise ValueError("the normalizer is not fitted")
        if columns != len(self.mean):
            raise ValueError(f"{columns} columns, but the normalizer was fitted on "
                             f"{len(self.mean)}")

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``values`` [steps, columns] standardised (a new float64 array)."""
        values = np.asarray(values, dtype=np.float64)
        self._check(values.shape[-1])
        return (values - self.mean) / self.std

    def invert_target(self, normalized: np.ndarray, target_index: int) -> np.ndarray:
        """Standardised values of column ``target_index`` (any shape) back in its units."""
        if self.mean is None:
            raise ValueError("the normalizer is not fitted")
        normalized = np.asarray(normalized, dtype=np.float64)
        return normalized * self.std[target_index] + self.mean[target_index]

    def to_dict(self) -> dict:
        """The statistics as plain lists of floats (safe in a weights-only checkpoint)."""
        if self.mean is None:
            raise ValueError("the normalizer is not fitted")
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    @classmethod
    def from_dict(cls, data: dict) -> "Normalizer":
        """The normalizer ``to_dict`` described."""
        if len(data["mean"]) != len(data["std"]):
            raise ValueError("mean and std have different lengths")
        return cls(data["mean"], data["std"])


# --- windows -----------------------------------------------------------------------------

def split_tail(values: np.ndarray, fraction: float, window: int,
               horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Split ``values`` [steps, ...] into a training head and a held-out tail.

    The tail is the last ``round(fraction * steps)`` steps: the held-out forecasts are those
    whose targets all lie in it. As each needs ``window`` steps of history, the held-out part
    is returned WITH the ``window`` steps before the tail prepended (the end of the training
    part, used as inputs only), so ``make_windows`` on it gives exactly the held-out windows.
    Raises ``RnnToolError`` when either part is too short for one window plus ``horizon``.
    """
    steps = len(values)
    if not 0.0 < fraction < 1.0:
        raise RnnToolError(f"the held-out fraction must be between 0 and 1, not {fraction:g}")
    if window < 1 or horizon < 1:
        raise RnnToolError(f"the window ({window}) and the horizon ({horizon}) must be at "
                           f"least 1")
    tail = int(round(fraction * steps))
    head = steps - tail
    if tail < horizon:
        raise RnnToolError(
            f"the series is too short to hold out {fraction:g} of it: the last {tail} of its "
            f"{steps} steps are fewer than the horizon of {horizon}; use a longer series, a "
            f"larger held-out fraction or a shorter horizon")
    if head < window + horizon:
        raise RnnToolError(
            f"the series is too short: of its {steps} steps, {tail} are held out, leaving "
            f"{head} to train on, but one window needs {window} steps of history plus "
            f"{horizon} to forecast ({window + horizon}); use a longer series, a shorter "
            f"window or horizon, or a smaller held-out fraction")
    return values[:head], values[head - window:]


def window_count(steps: int, window: int, horizon: int, stride: int = 1) -> int:
    """How many windows ``make_windows`` cuts from ``steps`` steps."""
    span = steps - window - horizon + 1
    return max(0, (span + stride - 1) // stride)


def make_windows(values: np.ndarray, target: int, window: int, horizon: int,
                 stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every ``window`` consecutive steps of ``values`` [steps, columns] (starting every
    ``stride`` steps) and the ``horizon`` values of column ``target`` that follow them:
    ``X`` float32 [N, window, columns], ``Y`` float32 [N, horizon] (N may be 0)."""
    if window < 1 or horizon < 1 or stride < 1:
        raise ValueError("window, horizon and stride must be at least 1")
    values = np.asarray(values)
    if values.ndim != 2:
        raise ValueError("values must be a [steps, columns] array")
    count = window_count(len(values), window, horizon, stride)
    columns = values.shape[1]
    if count == 0:
        return (np.zeros((0, window, columns), dtype=np.float32),
                np.zeros((0, horizon), dtype=np.float32))
    from numpy.lib.stride_tricks import sliding_window_view

    last = (count - 1) * stride + 1
    history = sliding_window_view(values, window, axis=0)[:last:stride]  # [N, C, window]
    x = np.ascontiguousarray(history.transpose(0, 2, 1), dtype=np.float32)
    ahead = sliding_window_view(values[window:, target], horizon)[:last:stride]
    y = np.ascontiguousarray(ahead, dtype=np.float32)
    return x, y


# --- scores ------------------------------------------------------------------------------

def forecast_scores(predicted: np.ndarray, truth: np.ndarray, last_values: np.ndarray) -> dict:
    """Errors of forecasts ``predicted`` [N, H] against ``truth`` [N, H], and of the naive
    forecast that repeats each window's ``last_values`` [N] (its last observed target value)
    for all H steps, all in the units given (invert any normalisation first).

    ``mae``, ``rmse``, ``naive_mae``, ``naive_rmse``, ``mae_skill`` (1 - mae / naive_mae; None
    when the naive forecast is perfect), ``windows`` (N), ``horizon`` (H) and ``mae_by_step``
    (the MAE at each of the H steps ahead): plain numbers, ready for JSON.
    """
    predicted = np.asarray(predicted, dtype=np.float64)
    truth = np.asarray(truth, dtype=np.float64)
    last_values = np.asarray(last_values, dtype=np.float64).reshape(-1)
    if predicted.ndim != 2 or predicted.shape != truth.shape:
        raise ValueError(f"predicted {predicted.shape} and truth {truth.shape} must both be "
                         f"[windows, horizon]")
    if last_values.shape != (len(truth),):
        raise ValueError(f"last_values needs one value per window ({len(truth)}), not "
                         f"{last_values.shape}")
    if not len(truth):
        raise ValueError("no windows to score")
    error = predicted - truth
    naive_error = last_values[:, None] - truth
    mae = float(np.abs(error).mean())
    naive_mae = float(np.abs(naive_error).mean())
    return {"mae": mae, "rmse": float(np.sqrt((error ** 2).mean())),
            "naive_mae": naive_mae, "naive_rmse": float(np.sqrt((naive_error ** 2).mean())),
            "mae_skill": 1.0 - mae / naive_mae if naive_mae > 0 else None,
            "windows": int(truth.shape[0]), "horizon": int(truth.shape[1]),
            "mae_by_step": [float(v) for v in np.abs(error).mean(axis=0)]}
