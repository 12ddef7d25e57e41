"""The forecaster in use: ``rnntool predict`` and ``Model.predict`` (the next values of its
target), its evaluation report against the naive last-value forecast, and how the report
looks.

A forecaster reads a series of numbers in the columns it was trained on, in the series'
units; it has no class labels. Not here: reading series files and the scores
(``rnntool.series``), training (``rnntool.training.forecast``), the model
(``rnntool.models.forecast``), forward passes (``rnntool.inference``).
"""

from __future__ import annotations

from rnntool import predicting
from rnntool.errors import InputError, OptionError


def labels(training: dict) -> None:
    """A forecaster has no class labels."""
    return None


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded forecaster checkpoint (None: nothing): its series
    settings (columns, target, window, horizon, scaling, the training file's layout) must
    be there and fit its model."""
    import math

    record, config = checkpoint["training"].get("series"), checkpoint["model"]["config"]
    if not isinstance(record, dict) or not all(key in record for key in (
            "names", "target", "window", "horizon", "normalizer", "layout")):
        return "its series settings are missing"
    names, normalizer, layout = record["names"], record["normalizer"], record["layout"]
    whole = all(isinstance(value, int) and not isinstance(value, bool)
                for value in (record["target"], record["window"], record["horizon"]))
    if not isinstance(names, list) or len(names) != config["inputs"] or not whole:
        return f"its series settings do not fit its model of {config['inputs']} columns"
    if (record["target"], record["horizon"]) != (config["target"], config["horizon"]) \
            or record["window"] < 1:
        return (f"its series settings (target {record['target']}, window "
                f"{record['window']}, horizon {record['horizon']}) do not fit its model")
    scales = [normalizer.get(key) if isinstance(normalizer, dict) else None
              for key in ("mean", "std")]
    if not all(isinstance(values, list) and len(values) == len(names)
               and all(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
               for values in scales) or not all(v > 0 for v in scales[1]):
        return "its series scaling (mean and std of each column) is missing or not finite"
    if not isinstance(layout, dict) or not all(key in layout for key in (
            "columns", "numbers", "width", "target")):
        return "its record of the training file's columns is missing"
    return None


def check_columns(values, series_record: dict, where: str) -> None:
    """InputError unless ``values`` has the columns the forecaster was trained on."""
    names = list(series_record["names"])
    if values.ndim != 2 or values.shape[1] != len(names):
        raise InputError(f"{where}: {values.shape[1] if values.ndim == 2 else 1} columns, "
                         f"but the model reads {len(names)} ({', '.join(names)})")


def forecast_values(model, series_record: dict, values, where: str = "the series"):
    """The forecaster's next ``horizon`` values of the target column after the last
    ``window`` steps of ``values`` ([steps, inputs] in the series' units, the columns the
    model was trained on), in the series' units."""
    import numpy as np

    from rnntool.inference import forecasts
    from rnntool.series import Normalizer

    window, target = int(series_record["window"]), int(series_record["target"])
    if len(values) < window:
        raise InputError(f"{where}: {len(values)} steps; the model forecasts from the last "
                         f"{window}")
    scaler = Normalizer.from_dict(series_record["normalizer"])
    check_columns(values, series_record, where)
    history = scaler.apply(np.asarray(values[-window:], dtype=np.float64))
    return scaler.invert_target(forecasts(model, history[None])[0], target)


# --- rnntool predict ------------------------------------------------------------------------

def predict_command(data: dict, path: str, request: predicting.Request) -> None:
    """Forecast the steps after the end of the input series: one value a line (``label``)
    or one JSON object (``json``)."""
    import json

    from rnntool import checkpoint as ckpt
    from rnntool import series
    from rnntool.text import display_name

    model = ckpt.restore_model(data, path)
    if request.output not in ("label", "json"):
        raise OptionError(f"--output {request.output} is not for a forecaster; use "
                          f"label (one value a line) or json")
    paths = request.paths("a series")
    record = data["training"]["series"]
    values = series.read_like(paths, record["layout"], **request.reading).values
    forecast = forecast_values(model, record, values, display_name(paths[-1]))
    if request.output == "json":
        request.out.write(json.dumps({"target": record["names"][record["target"]],
                                      "horizon": len(forecast),
                                      "forecast": [float(v) for v in forecast]}) + "\n")
    else:
        request.out.write("".join(f"{v:.6g}\n" for v in forecast))
    request.out.flush()


# --- the Python API -------------------------------------------------------------------------

def predict(model, items, **_options) -> list[float]:
    """``Model.predict``: the next ``horizon`` values of the target after the recent steps
    ``items`` (numbers [steps, inputs])."""
    from rnntool.training.inputs import numbers

    return [float(v) for v in forecast_values(model.module, model.training["series"],
                                              numbers(items))]


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text=None, input: str = "auto", encoding: str = "utf-8",
             errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on a series: a file read as the
    training data was, or numbers [steps, inputs] in the trained columns."""
    import os

    from rnntool import series
    from rnntool.text import display_name
    from rnntool.training.inputs import is_path, numbers

    record = model.training["series"]
    if is_path(data):
        name = display_name(os.fspath(data))
        values = series.read_like([os.fspath(data)], record["layout"], encoding=encoding,
                                  errors=errors).values
    else:
        name, values = "the data", numbers(data)
    return report(model.module, record, values, name)


def report(module, series_record: dict, values, name: str) -> dict:
    """A forecaster scored on every window of ``values`` ([steps, inputs], the trained
    columns, in the series' units): mean absolute and root-mean-square error of its
    forecasts and of the naive forecast that repeats the last value (``rnntool eval``)."""
    import numpy as np

    from rnntool.inference import forecasts
    from rnntool.series import Normalizer, forecast_scores, make_windows

    window, horizon = int(series_record["window"]), int(series_record["horizon"])
    target = int(series_record["target"])
    scaler = Normalizer.from_dict(series_record["normalizer"])
    check_columns(np.asarray(values), series_record, name)
    x, y = make_windows(scaler.apply(np.asarray(values, dtype=np.float64)), target, window,
                        horizon)
    if not len(x):
        raise InputError(f"{name}: {len(values)} steps, too few for one window of {window} "
                         f"and {horizon} to forecast")
    scores = forecast_scores(scaler.invert_target(forecasts(module, x), target),
                             scaler.invert_target(y.astype(np.float64), target),
                             scaler.invert_target(x[:, -1, target].astype(np.float64), target))
    return {"kind": "forecast", "target": series_record["names"][target], "steps": len(values),
            **scores}


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    skill = report["mae_skill"]
    return [f"target: {report['target']}, {report['windows']} windows of "
            f"{report['steps']} steps, horizon {report['horizon']}",
            f"MAE: {report['mae']:.6g} (naive last value {report['naive_mae']:.6g}"
            + (f", skill {skill:.4f})" if skill is not None else ")"),
            f"RMSE: {report['rmse']:.6g} (naive last value {report['naive_rmse']:.6g})",
            "MAE by step ahead: " + " ".join(f"{v:.4g}" for v in report["mae_by_step"])]


def report_tables(report: dict, title: str) -> list:
    """The report as one rich summary table."""
    from rnntool.kinds.tables import summary_table

    return [summary_table(title, {
        "target": report["target"], "windows": str(report["windows"]),
        "horizon": str(report["horizon"]),
        **{name: f"{report[key]:.6g}" for name, key in (
            ("MAE", "mae"), ("naive MAE", "naive_mae"), ("RMSE", "rmse"),
            ("naive RMSE", "naive_rmse"))}})]
