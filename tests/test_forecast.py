"""`rnntool train forecast`, `predict` and `eval` with a forecaster, through the real
command line."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch

from conftest import assert_one_line_error, run_here

SMALL = ["--hidden", "32", "--layers", "1", "--window", "30", "--horizon", "3",
         "--batch-size", "32", "--lr", "0.01"]


def write_series(path, steps: int, seed: int, start: int = 0, header: bool = True) -> None:
    """Two columns: a slow 'temp' wave and a 'load' that follows its own 24-step cycle and
    the temperature, with noise."""
    rng = random.Random(seed)
    rows = ["hour,temp,load"] if header else []
    for t in range(start, start + steps):
        temp = 10 + 5 * math.sin(2 * math.pi * t / 96) + rng.gauss(0, 0.2)
        load = 50 + 10 * math.sin(2 * math.pi * t / 24) + 0.5 * temp + rng.gauss(0, 0.5)
        rows.append(f"{t},{temp:.3f},{load:.3f}")
    path.write_text("\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    write_series(folder / "train.csv", 1500, 1)
    write_series(folder / "later.csv", 400, 2, start=1500)
    out = folder / "load.pt"
    result = run_here("train", "forecast", folder / "train.csv", "--columns", "temp,load",
                      "--target", "load", *SMALL, "--epochs", "6", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    assert b"naive last value" in result.stderr
    return out


def test_it_beats_the_last_value_forecast_on_later_data(model):
    report = json.loads(run_here("eval", "--json", model, model.parent / "later.csv").stdout)
    assert report["kind"] == "forecast" and report["target"] == "load"
    assert report["horizon"] == 3 and report["windows"] == 400 - 30 - 3 + 1
    assert report["mae"] < 0.6 * report["naive_mae"], report
    assert len(report["mae_by_step"]) == 3
    text = run_here("eval", model, model.parent / "later.csv").stdout.decode()
    assert "MAE:" in text and "naive last value" in text


def test_predict_continues_a_series_from_stdin(model):
    later = (model.parent / "later.csv").read_text().splitlines()
    tail = "\n".join([later[0]] + later[-40:]) + "\n"
    result = run_here("predict", model, input=tail)
    values = [float(v) for v in result.stdout.decode().split()]
    assert len(values) == 3
    t = 1900
    truth = [50 + 10 * math.sin(2 * math.pi * (t + i) / 24)
             + 0.5 * (10 + 5 * math.sin(2 * math.pi * (t + i) / 96)) for i in range(3)]
    assert all(abs(v - w) < 3.0 for v, w in zip(values, truth)), (values, truth)
    record = json.loads(run_here("predict", model, "--output", "json", input=tail).stdout)
    assert record == {"target": "load", "horizon": 3,
                      "forecast": pytest.approx(values, rel=1e-5)}
    # without a header the columns are taken by position, as in the training file
    bare = "\n".join(later[-40:]) + "\n"
    assert run_here("predict", model, input=bare).stdout == result.stdout
    assert_one_line_error(run_here("predict", model, input="1,2\n" * 40),
                          "2 columns without a header, but the model was trained on 3")
    assert_one_line_error(run_here("predict", model, input="\n".join(later[-10:]) + "\n"),
                          "10 steps; the model forecasts from the last 30")
    assert run_here("predict", model, "--output", "pretty", input=tail).returncode == 2


def test_bad_series_are_named_and_short_ones_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,x\n")
    assert_one_line_error(run_here("train", "forecast", bad, "-o", tmp_path / "m.pt"),
                          f"{bad}: line 3, column 2 (b): 'x' is not a number")
    short = tmp_path / "short.csv"
    write_series(short, 40, 3)
    assert_one_line_error(run_here("train", "forecast", short, "--window", "35",
                                   "-o", tmp_path / "m.pt"), "too short")
    assert_one_line_error(run_here("train", "forecast", short, "--target", "price",
                                   "-o", tmp_path / "m.pt"), "no column named 'price'")


def test_a_forecast_run_resumes_exactly(tmp_path):
    data = tmp_path / "s.csv"
    write_series(data, 300, 4)
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    # --decay 0: a step's learning rate does not depend on where the run ends
    args = ["train", "forecast", data, *SMALL, "--decay", "0"]
    assert run_here(*args, "--epochs", "4", "-o", straight).returncode == 0
    assert run_here(*args, "--epochs", "2", "-o", split).returncode == 0
    assert run_here("train", "forecast", "--resume", split, "--epochs", "4").returncode == 0
    a = torch.load(straight, weights_only=True)["training"]
    b = torch.load(split, weights_only=True)["training"]
    assert all(torch.equal(a["resume"]["model"][k], b["resume"]["model"][k])
               for k in a["resume"]["model"])
    assert [e["val_mae"] for e in a["history"]] == [e["val_mae"] for e in b["history"]]


def test_the_python_api_trains_and_forecasts(tmp_path):
    import numpy as np
    import rnntool
    steps = np.arange(600)
    wave = np.sin(2 * np.pi * steps / 20) + 0.05 * np.random.default_rng(0).normal(size=600)
    summary = rnntool.train_forecast(wave, tmp_path / "w.pt", quiet=True, window=25,
                                     horizon=2, hidden=24, layers=1, epochs=8, lr=0.01)
    assert summary["best_val_mae"] is not None
    model = rnntool.load(tmp_path / "w.pt")
    forecast = model.predict(wave[:590])
    truth = np.sin(2 * np.pi * np.arange(590, 592) / 20)
    assert len(forecast) == 2 and np.abs(np.array(forecast) - truth).max() < 0.3
    report = model.evaluate(wave[400:].reshape(-1, 1))
    assert report["mae"] < 0.5 * report["naive_mae"]
