"""Training recurrent forecasters of numeric time series.

``read_data`` reads a series (CSV or whitespace columns, or an array in memory) and picks
its target and input columns; ``train`` standardizes the columns with the training part's
statistics, cuts windows, builds the model (stacked LSTM/GRU/RNN, a linear layer giving the
change from the last value) and runs the shared epoch loop, validating on the held-out
tail by mean absolute error next to the naive last-value forecast.

Not here: the model (``rnntool.models.forecast``), reading series and scoring forecasts
(``rnntool.series``), the shared loop (``rnntool.training.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnntool.console import ProgressReporter
from rnntool.distributed import SINGLE, Group
from rnntool.errors import RnnToolError
from rnntool.training import inputs
from rnntool.training.engine import (Checkpointer, data_digest, different_data, fit_epochs,
                                     new_record, resuming, shuffled_batches)


@dataclass
class ForecastData:
    """What a forecaster trains on: the chosen columns (``rnntool.series.Series``), the
    column layout predict and eval read new files by (``rnntool.series.layout``), and
    where the series came from."""

    series: object
    layout: dict
    source: dict


def read_data(series, *, settings, encoding: str = "utf-8",
              errors: str = "strict") -> ForecastData:
    """The training data of a forecaster: ``series`` as files (a path or a list of paths,
    joined in order) or numbers [steps, columns] in memory (columns named 1, 2, ...), with
    ``settings.target`` and ``settings.columns`` chosen."""
    from rnntool import series as serieslib
    from rnntool.text import display_name

    paths = inputs.paths(series)
    if paths is not None:
        read = serieslib.read_series(paths, encoding=encoding, errors=errors)
        chosen = serieslib.select(read, settings.target, settings.columns,
                                  display_name(paths[0]))
    else:
        values = inputs.numbers(series)
        if not np.isfinite(values).all():
            raise RnnToolError("the series must hold finite numbers only")
        read = serieslib.Series(values, [str(i + 1) for i in range(values.shape[1])],
                                values.shape[1] - 1)
        chosen = serieslib.select(read, settings.target, settings.columns)
    return ForecastData(chosen, serieslib.layout(read, chosen),
                        {"train": [inputs.absolute(p) for p in paths or []]})


def train(data: ForecastData, settings, output: str, *, resume: dict | None = None,
          resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a forecaster on ``data``: windows of ``settings.window`` steps of every input
    column predict the next ``settings.horizon`` values of the target column. The last
    ``settings.val_frac`` of the steps is held out; each epoch is validated on it (mean
    absolute error in the series' units, next to the naive forecast that repeats the last
    value), keeping the checkpoint with the lowest error. Columns are standardized with
    statistics of the training part, stored in the checkpoint with the layout so that
    predict and eval read new files the same way. ``resume``, ``group``, ``metrics`` as for
    ``rnntool.training.lm.train``.
    """
    import torch
    from rnntool.memory import new_model
    from rnntool.models.forecast import ForecastModel
    from rnntool.series import Normalizer, forecast_scores, make_windows, split_tail

    series = data.series
    settings.check()
    if resume is not None and list(resume["training"]["series"]["names"]) != list(series.names):
        raise different_data(resume_path)
    torch.manual_seed(settings.random_seed)
    train_part, heldout = split_tail(series.values, settings.val_frac, settings.window,
                                     settings.horizon)
    scaler = (Normalizer.from_dict(resume["training"]["series"]["normalizer"])
              if resume is not None else Normalizer().fit(train_part))
    target = series.target
    x, y = make_windows(scaler.apply(train_part), target, settings.window, settings.horizon)
    val_x, val_y = make_windows(scaler.apply(heldout), target, settings.window,
                                settings.horizon)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = new_model(settings, ForecastModel, len(series.names), settings.horizon, target,
                      hidden=settings.hidden, layers=settings.layers, cell=settings.cell,
                      dropout=settings.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr,
                                 weight_decay=settings.weight_decay)
    net = group.wrap(model)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train forecast", enabled=is_main)
    record = new_record(settings, {**data.source, **(extra_settings or {})}, "windows_seen",
                        "best_val_mae",
                        data_digest(np.ascontiguousarray(series.values), series.names),
                        series={"names": list(series.names), "target": target,
                                "window": settings.window, "horizon": settings.horizon,
                                "normalizer": scaler.to_dict(), "layout": data.layout})
    saver = Checkpointer("forecast", model, None, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)
    order_rng = torch.Generator().manual_seed(settings.random_seed)
    n = len(x)
    reporter.message(f"{resuming(position)}training a {settings.layers}x{settings.hidden} "
                     f"{settings.cell} forecaster of {series.names[target]!r} ({settings.horizon} step"
                     f"{'s' if settings.horizon != 1 else ''} ahead, from {settings.window} "
                     f"steps of {len(series.names)} column{'s' if len(series.names) != 1 else ''})"
                     f" on {n:,} windows; validating on the last {len(heldout) - settings.window:,}"
                     f" steps ({len(val_x):,} windows) each epoch")

    def step_loss(indices):
        return ForecastModel.loss_sum(net(x[indices]), y[indices])

    def validate():
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(val_x)).numpy()
        model.train()
        truth = scaler.invert_target(val_y, target)
        last = scaler.invert_target(val_x[:, -1, target], target)
        scores = forecast_scores(scaler.invert_target(predicted, target), truth, last)
        mae, rmse = group.broadcast([scores["mae"], scores["rmse"]])
        return (mae, {"val_mae": mae, "val_rmse": rmse, "naive_mae": scores["naive_mae"]},
                f"held-out MAE {mae:.4g} (naive last value {scores['naive_mae']:.4g}), "
                f"RMSE {rmse:.4g}")

    return fit_epochs(model, saver, settings,
                      lambda: shuffled_batches(n, settings.batch_size, order_rng), order_rng,
                      step_loss, validate, reporter, unit="windows", best_key="best_val_mae", position=position,
                      metrics=metrics, group=group, higher_is_better=False)
