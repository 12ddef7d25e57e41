"""Numeric series for `train forecast`: reading columns, scaling, windows, scores, the model."""

from __future__ import annotations

import io
import json
import math
import sys

import numpy as np
import pytest
import torch

from rnntool import series
from rnntool.errors import InputError, RnnToolError
from rnntool.models.forecast import ForecastModel
from rnntool.series import Normalizer, forecast_scores, make_windows, read_series, split_tail


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def error_of(*args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        read_series(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# --- reading -----------------------------------------------------------------------------

def test_csv_with_header(tmp_path):
    path = write(tmp_path, "a.csv", "temp, load,price\n1,2,3\n4,5,6.5\n")
    got = read_series([path])
    assert got.names == ["temp", "load", "price"]
    assert got.values.dtype == np.float64
    np.testing.assert_array_equal(got.values, [[1, 2, 3], [4, 5, 6.5]])
    assert got.target == 2 and got.target_name == "price"


def test_csv_without_header_names_columns_by_number(tmp_path):
    path = write(tmp_path, "a.csv", "1,2\n-3.5e1,+4\n")
    got = read_series([path])
    assert got.names == ["1", "2"] and got.target == 1
    np.testing.assert_array_equal(got.values, [[1, 2], [-35, 4]])


def test_whitespace_columns_comments_and_blank_lines(tmp_path):
    path = write(tmp_path, "a.txt", "# a comment\n\n  x\ty   z\r\n1 2\t3\r\n   \n  # more\n4  5 6\n")
    got = read_series([path])
    assert got.names == ["x", "y", "z"]
    np.testing.assert_array_equal(got.values, [[1, 2, 3], [4, 5, 6]])


def test_single_column_without_header_and_quoted_csv_header(tmp_path):
    one = read_series([write(tmp_path, "one.txt", "1\n2\n3")])
    assert one.names == ["1"] and one.values.shape == (3, 1) and one.target == 0
    quoted = read_series([write(tmp_path, "q.csv", '"a","b"\n1,2\n')])
    assert quoted.names == ["a", "b"]


def test_target_by_name_and_number(tmp_path):
    path = write(tmp_path, "a.csv", "a,b,c\n1,2,3\n")
    assert read_series([path], target="a").target == 0
    assert read_series([path], target="2").target == 1
    assert read_series([path], target=3).target == 2
    plain = write(tmp_path, "b.csv", "1,2,3\n")
    assert read_series([plain], target="1").target == 0
    assert read_series([plain], target=2).target == 1


def test_columns_selection_keeps_the_target(tmp_path):
    path = write(tmp_path, "a.csv", "a,b,c,d\n1,2,3,4\n5,6,7,8\n")
    got = read_series([path], target="b", columns=["d", 1])
    assert got.names == ["d", "a", "b"] and got.target == 2
    np.testing.assert_array_equal(got.values, [[4, 1, 2], [8, 5, 6]])
    got = read_series([path], target="c", columns=["c", "a", "a"])
    assert got.names == ["c", "a"] and got.target == 0
    np.testing.assert_array_equal(got.values, [[3, 1], [7, 5]])


def test_several_files_concatenate_in_order(tmp_path):
    first = write(tmp_path, "1.csv", "a,b\n1,2\n3,4\n")
    second = write(tmp_path, "2.txt", "# no header here\n5 6\n")
    third = write(tmp_path, "3.csv", "a,b\n7,8\n")
    got = read_series([first, second, third])
    assert got.names == ["a", "b"]
    np.testing.assert_array_equal(got.values, [[1, 2], [3, 4], [5, 6], [7, 8]])


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"v\n1\n2\n")))
    got = read_series(["-"])
    assert got.names == ["v"]
    np.testing.assert_array_equal(got.values, [[1], [2]])


def test_encodings_and_decoding_errors(tmp_path):
    path = write(tmp_path, "a.csv", "t\u00e9,b\n1,2\n".encode("latin-1"))
    message = error_of([path])
    assert "a.csv: byte 1: cannot decode byte 0xe9" in message  # offsets count from 0
    assert read_series([path], errors="replace").names == ["t\ufffd", "b"]
    assert read_series([path], encoding="latin-1").names == ["t\u00e9", "b"]
    bom = write(tmp_path, "bom.csv", "\ufeffa,b\n1,2\n".encode("utf-8"))
    assert read_series([bom]).names == ["a", "b"]


def test_cell_that_is_not_a_number(tmp_path):
    path = write(tmp_path, "a.csv", "a,b,c\n1,2,3\n# skip\n4,five,6\n")
    message = error_of([path])
    assert "a.csv: line 4, column 2 (b)" in message and "'five' is not a number" in message


def test_wrong_number_of_cells(tmp_path):
    path = write(tmp_path, "a.txt", "1 2 3\n4 5\n")
    message = error_of([path])
    assert "a.txt: line 2, column 3" in message and "2 cells" in message
    assert "has 3" in message
    longer = write(tmp_path, "b.csv", "a,b\n1,2\n3,4,5\n")
    assert "b.csv: line 3, column 3" in error_of([longer])


@pytest.mark.parametrize("cell", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_non_finite_values_are_refused(tmp_path, cell):
    path = write(tmp_path, "a.csv", f"a,b\n1,2\n3,{cell}\n")
    message = error_of([path])
    assert "a.csv: line 3, column 2 (b)" in message
    assert repr(cell) in message and "must be complete" in message


def test_empty_cell_is_a_missing_value(tmp_path):
    path = write(tmp_path, "a.csv", "1,2\n3,\n")
    message = error_of([path])
    assert "a.csv: line 2, column 2" in message and "must be complete" in message


def test_unknown_target_and_columns(tmp_path):
    path = write(tmp_path, "a.csv", "a,b\n1,2\n")
    message = error_of([path], target="price")
    assert "a.csv" in message and "'price'" in message and "a, b" in message
    assert "no column 3" in error_of([path], target=3)
    assert "'z'" in error_of([path], columns=["a", "z"])
    assert "no column 0" in error_of([path], target="0")


def test_no_rows(tmp_path):
    assert "empty.csv: no rows" in error_of([write(tmp_path, "empty.csv", "")])
    assert "only.csv: no rows" in error_of([write(tmp_path, "only.csv", "# hi\n\n")])
    assert "head.csv: no rows of numbers after the header" in \
        error_of([write(tmp_path, "head.csv", "a,b\n")])


def test_files_that_disagree(tmp_path):
    first = write(tmp_path, "1.csv", "a,b\n1,2\n")
    other_names = write(tmp_path, "2.csv", "a,c\n1,2\n")
    message = error_of([first, other_names])
    assert "2.csv: line 1" in message and "1.csv" in message
    other_width = write(tmp_path, "3.csv", "\n1,2,3\n")
    message = error_of([first, other_width])
    assert "3.csv: line 2" in message and "3 columns" in message


def test_duplicate_header_names(tmp_path):
    message = error_of([write(tmp_path, "a.csv", "a,b,a\n1,2,3\n")])
    assert "a.csv: line 1, column 3" in message and "'a'" in message


def test_missing_file():
    assert "no such file" in error_of(["/nonexistent/series.csv"])


# --- scaling, splitting, windows ---------------------------------------------------------

def test_normalizer_round_trip():
    values = np.array([[1.0, 5.0, 10.0], [3.0, 5.0, 20.0], [5.0, 5.0, 60.0]])
    norm = Normalizer().fit(values)
    scaled = norm.apply(values)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled[:, [0, 2]].std(axis=0), 1)
    np.testing.assert_array_equal(scaled[:, 1], 0)  # a constant column: std taken as 1
    for column in range(3):
        np.testing.assert_allclose(norm.invert_target(scaled[:, column], column),
                                   values[:, column])
    data = norm.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert all(type(v) is float for v in data["mean"] + data["std"])
    again = Normalizer.from_dict(data)
    np.testing.assert_allclose(again.apply(values), scaled)
    with pytest.raises(ValueError):
        Normalizer().apply(values)
    with pytest.raises(ValueError):
        norm.apply(values[:, :2])


def ramp(steps: int) -> np.ndarray:
    """Two columns: 0, 1, 2, ... and ten times that."""
    t = np.arange(steps, dtype=np.float64)
    return np.stack([t, 10 * t], axis=1)


def test_make_windows_on_a_ramp():
    x, y = make_windows(ramp(10), target=1, window=3, horizon=2)
    assert x.dtype == np.float32 and y.dtype == np.float32
    assert x.shape == (6, 3, 2) and y.shape == (6, 2)
    np.testing.assert_array_equal(x[0], [[0, 0], [1, 10], [2, 20]])
    np.testing.assert_array_equal(y[0], [30, 40])
    np.testing.assert_array_equal(x[-1, :, 0], [5, 6, 7])
    np.testing.assert_array_equal(y[-1], [80, 90])
    x, y = make_windows(ramp(10), target=0, window=3, horizon=2, stride=2)
    np.testing.assert_array_equal(x[:, 0, 0], [0, 2, 4])
    np.testing.assert_array_equal(y, [[3, 4], [5, 6], [7, 8]])
    assert series.window_count(10, 3, 2, 2) == 3
    x, y = make_windows(ramp(4), target=0, window=3, horizon=2)
    assert x.shape == (0, 3, 2) and y.shape == (0, 2)


def test_split_tail_keeps_the_context_of_the_held_out_windows():
    values = ramp(20)
    train, held = split_tail(values, 0.25, window=4, horizon=2)
    assert len(train) == 15 and len(held) == 5 + 4
    np.testing.assert_array_equal(held[:, 0], np.arange(11, 20))
    _, train_y = make_windows(train, 0, 4, 2)
    held_x, held_y = make_windows(held, 0, 4, 2)
    assert train_y.max() == 14  # no training target reaches into the tail
    assert len(held_y) == 5 - 2 + 1 and held_y.min() == 15  # every target lies in the tail
    np.testing.assert_array_equal(held_x[0, :, 0], [11, 12, 13, 14])


def test_split_tail_too_short():
    with pytest.raises(RnnToolError, match=r"20 steps.*5 are held out.*15 to train on.*"
                                           r"14 steps of history plus 2 to forecast \(16\)"):
        split_tail(ramp(20), 0.25, window=14, horizon=2)
    with pytest.raises(RnnToolError, match="fewer than the horizon of 6"):
        split_tail(ramp(20), 0.25, window=4, horizon=6)
    with pytest.raises(RnnToolError, match="between 0 and 1"):
        split_tail(ramp(20), 1.0, window=4, horizon=2)


def test_forecast_scores_by_hand():
    truth = np.array([[1.0, 2.0], [3.0, 5.0]])
    predicted = np.array([[1.5, 2.0], [2.0, 5.0]])
    last = np.array([0.0, 3.0])
    scores = forecast_scores(predicted, truth, last)
    # errors 0.5, 0, 1, 0; naive errors 1, 2, 0, 2
    assert scores["mae"] == pytest.approx(0.375)
    assert scores["rmse"] == pytest.approx(math.sqrt(1.25 / 4))
    assert scores["naive_mae"] == pytest.approx(1.25)
    assert scores["naive_rmse"] == pytest.approx(math.sqrt(9 / 4))
    assert scores["mae_skill"] == pytest.approx(1 - 0.375 / 1.25)
    assert scores["mae_by_step"] == pytest.approx([0.75, 0.0])
    assert scores["windows"] == 2 and scores["horizon"] == 2
    assert json.loads(json.dumps(scores)) == scores
    flat = forecast_scores(np.ones((1, 3)), np.full((1, 3), 2.0), np.array([2.0]))
    assert flat["naive_mae"] == 0 and flat["mae_skill"] is None


# --- the model ---------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_model_shape_config_and_naive_start(cell):
    torch.manual_seed(0)
    model = ForecastModel(inputs=3, horizon=5, target=1, hidden=8, layers=2, cell=cell,
                          dropout=0.1)
    x = torch.randn(4, 7, 3)
    model.eval()
    out = model(x)
    assert out.shape == (4, 5)
    # untrained, it forecasts the last observed target value
    torch.testing.assert_close(out, x[:, -1, 1:2].expand(4, 5))
    rebuilt = ForecastModel(**model.config)
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.config == model.config
    assert all(type(v) in (int, float, str) for v in model.config.values())
    total, count = ForecastModel.loss_sum(out, torch.zeros(4, 5))
    assert count == 20 and total.item() == pytest.approx((out ** 2).sum().item())
    with pytest.raises(ValueError):
        ForecastModel(inputs=2, horizon=1, target=2)
    with pytest.raises(ValueError):
        ForecastModel(inputs=2, horizon=1, target=0, cell="transformer")


def test_learns_a_noisy_sine_better_than_the_naive_forecast():
    window, horizon = 24, 4
    rng = np.random.default_rng(0)
    steps = np.arange(600)
    values = (5 + 3 * np.sin(2 * np.pi * steps / 20) + 0.3 * rng.standard_normal(600))[:, None]
    train, held = split_tail(values, 0.2, window, horizon)
    norm = Normalizer().fit(train)
    train_x, train_y = map(torch.from_numpy, make_windows(norm.apply(train), 0, window,
                                                          horizon))
    held_x, held_y = make_windows(norm.apply(held), 0, window, horizon)

    torch.manual_seed(0)
    model = ForecastModel(inputs=1, horizon=horizon, target=0, hidden=32, layers=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    draw = torch.Generator().manual_seed(0)
    for _ in range(300):
        rows = torch.randint(0, len(train_x), (32,), generator=draw)
        total, count = model.loss_sum(model(train_x[rows]), train_y[rows])
        optimizer.zero_grad()
        (total / count).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        predicted = model(torch.from_numpy(held_x)).numpy()
    scores = forecast_scores(norm.invert_target(predicted, 0), norm.invert_target(held_y, 0),
                             norm.invert_target(held_x[:, -1, 0], 0))
    assert scores["windows"] == 120 - horizon + 1
    assert scores["mae"] < 0.7 * scores["naive_mae"], scores
