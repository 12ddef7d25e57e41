"""``rnntool train forecast``: a recurrent forecaster of a numeric time series; its options,
on the shared template.

Not here: the run around it (``template``), reading the series and training
(``rnntool.training.forecast``).
"""

from __future__ import annotations

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options
from rnntool.cli.train.template import (check_output, distributed_group, inputs, launch,
                                        output_option, resumed_run, run_options)
from rnntool.settings import ForecastSettings


def columns(ctx, param, value: str | None) -> list[str] | None:
    """--columns: comma-separated column names or numbers."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise click.BadParameter(f"{value!r} is not a comma-separated list of columns", ctx,
                                 param)
    return names


@click.command("forecast", epilog="""\b
Examples:
  rnntool train forecast corpora/load/train.csv --target demand --window 168 --horizon 24 \\
      -o load.pt
  rnntool train forecast corpora/load/train.csv --columns 3,4 --target 4 --max-time 1m \\
      -o hourly.pt
  tail -n 500 corpora/load/test.csv | rnntool predict load.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@output_option("forecast.pt", "Checkpoint to write (the best one by held-out MAE).")
@setting_options(ForecastSettings, "target", "columns", "window", "horizon", "val_frac", "cell",
                 "layers", "hidden", "dropout", "lr", "warmup", "decay", "final_lr",
                 "weight_decay", "clip", "batch_size", "epochs", "max_time", "patience",
                 "random_seed",
                 callbacks={"columns": columns})
@run_options(ForecastSettings)
@encoding_option
@errors_option
@click.pass_context
def command(ctx, files, output, resume_path, ignore_lock, encoding, decode_errors, **settings):
    """Train a recurrent forecaster on a numeric time series.

    FILES ('-' or none: stdin) hold one time step a line: numbers in columns, separated by
    commas (CSV) or whitespace, with an optional header line naming the columns; several
    files are joined in order. Each training example is a window of --window steps of the
    input columns; the model (stacked LSTM/GRU layers, then a linear layer from the last
    step's state) forecasts the next --horizon values of the target column, as a change
    from its last value, so an untrained model starts as the naive forecast that repeats
    the last value. Columns are standardized with the training part's mean and deviation,
    kept in the checkpoint. The last --val-frac of the steps is held out: after each epoch
    the forecasts of its windows are scored by mean absolute error in the series' units,
    next to the naive forecast's, and the checkpoint keeps the best.
    """
    from rnntool.training import forecast

    loaded, settings, output = resumed_run(ctx, "forecast", resume_path, ForecastSettings,
                                           settings, output)
    files, _ = inputs(loaded, files)
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "series")
    refuse_clobbering({"--output": output}, paths)
    settings.check()
    check_output(group, output)
    data = forecast.read_data(paths, settings=settings, encoding=encoding, errors=decode_errors)
    with launch(group, output, ignore_lock):
        forecast.train(data, settings, output, resume=loaded, resume_path=resume_path,
                       group=group, extra_settings={"command": invocation(ctx)})
