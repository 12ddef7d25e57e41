"""``rnntool report``: summarize training runs side by side and plot their learning curves."""

from __future__ import annotations

import json
import os

import click

from rnntool import console
from rnntool.kinds import VALIDATION_FIGURES
from rnntool.metrics import TRAIN_FIGURES


@click.command("report", epilog="""\b
Examples:
  rnntool train charlm corpora/default.txt --cell lstm --max-time 2m -o lstm.pt
  rnntool train charlm corpora/default.txt --cell gru --max-time 2m -o gru.pt
  rnntool train charlm corpora/default.txt --cell rnn --max-time 2m -o rnn.pt
  rnntool report lstm.pt
  rnntool report lstm.pt gru.pt rnn.pt --metric val_bpc --x elapsed
  rnntool report *.pt --plot curves.png
  rnntool report --json lstm.pt | python3 -m json.tool
""")
@click.argument("runs", metavar="RUN...", nargs=-1, required=True,
                type=click.Path(dir_okay=False))
@click.option("--metric", "metrics", multiple=True, metavar="NAME",
              type=click.Choice([*TRAIN_FIGURES, *VALIDATION_FIGURES]),
              help="Figure to plot, one chart each; may be repeated. Training: `loss`, `lr`, "
                   "`throughput`; validation: `val_loss` (language models), `val_bpc` "
                   "(charlm), `val_ppl` (wordlm), `dev_root_accuracy`, `dev_all_accuracy` "
                   "(tree), `dev_accuracy` (sentiment, tagger), `dev_entity_f1` (tagger), "
                   "`val_mae`, `val_rmse`, `naive_mae` (forecast), `dev_f1`, "
                   "`dev_exact_match` (parser). Default: the training "
                   "loss and each run kind's validation figure.")
@click.option("--x", "x_axis", type=click.Choice(["step", "epoch", "elapsed"]),
              default="step", show_default=True, help="What the charts' x axis counts.")
@click.option("--plot", "plot_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the charts to FILE, a .png, .svg or .pdf image (needs "
                   "matplotlib: pip install 'rnntool[plot]').")
@click.option("--log-y", is_flag=True, help="Logarithmic y axes.")
@click.option("--chart/--no-chart", default=True, show_default=True,
              help="Draw the charts in the text report.")
@click.option("--width", type=click.IntRange(min=30), metavar="N", default=None,
              help="Width of the text charts (default: the terminal's, else 80).")
@click.option("--json", "as_json", is_flag=True,
              help="Write the runs' summaries as a JSON list (keys documented in the "
                   "README) instead of text.")
def command(runs, metrics, x_axis, plot_file, log_y, chart, width, as_json):
    """Summarize training runs and plot their learning curves.

    Each RUN is a checkpoint written by `rnntool train` (its metrics are read from
    CKPT.metrics.jsonl beside it) or a metrics file itself. The report has a table with a
    row per run (kind, how it ended, steps, training time, last training loss, best and
    last validation, throughput, settings in which the runs differ) and, below it, one
    chart per figure with a line per run, drawn in the terminal in braille characters.
    """
    from rnntool import metrics as metricslib
    from rnntool import plot

    names = list(runs)
    loaded = [metricslib.read_records(metricslib.run_metrics_path(run)) for run in names]
    summaries = [metricslib.summarize(records, name) for records, name in zip(loaded, names)]
    chosen = list(metrics) or default_metrics(summaries)
    panels = [(metric, [(name, metricslib.series(records, metric, x_axis))
                        for name, records in zip(names, loaded)]) for metric in chosen]
    if plot_file:
        plot.save_charts(panels, plot_file, x_label=x_axis, log_y=log_y,
                         title="rnntool report")
        console.info(f"wrote {plot_file}")
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
        return
    if console.stdout_is_terminal():
        draw_table(summaries)
    else:
        click.echo("\n".join(table_lines(summaries)))
    if chart:
        columns = width or (os.get_terminal_size().columns
                            if console.stdout_is_terminal() else 80)
        colour = console.stdout_colour()
        for metric, series in panels:
            click.echo(f"\n{metric}:")
            click.echo(plot.terminal_chart(series, width=min(columns, 200), height=12,
                                           x_label=x_axis, log_y=log_y, colour=colour))


def default_metrics(summaries: list[dict]) -> list[str]:
    """The training loss, then each kind's validation figure (once)."""
    chosen = ["loss"]
    for summary in summaries:
        figure = summary["best"]["metric"] if summary["best"] else None
        if figure and figure not in chosen:
            chosen.append(figure)
    return chosen


def _number(value, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


#: Settings that name input files rather than choose how to train.
INPUTS = {"command", "argv", "source", "train", "dev"}


def _setting(value) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def differing_settings(summaries: list[dict]) -> list[str]:
    """Names of the settings every run has and whose values differ between the runs (the
    input files left out)."""
    if len(summaries) < 2:
        return []
    keys = set.intersection(*(set(s["settings"]) for s in summaries)) - INPUTS
    return [k for k in sorted(keys)
            if len({json.dumps(s["settings"][k], sort_keys=True) for s in summaries}) > 1]


def rows(summaries: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The table's header and one row of text per run."""
    differ = differing_settings(summaries)
    header = ["run", "kind", "status", "steps", "time", "loss", "best", "last", "throughput"]
    header += differ
    table = []
    for s in summaries:
        best, last = s["best"], s["last_validation"]
        metric = best["metric"] if best else None
        table.append([
            s["run"], s["kind"] or "-", s["status"], _number(s["steps"]),
            console.format_duration(s["elapsed_seconds"] or 0.0), _number(s["final_loss"]),
            f"{metric} {best['value']:.4f} @{best['step']}" if best else "-",
            _number(last.get(metric)) if last and metric else "-",
            (f"{console.format_rate(s['throughput'])} {s['throughput_unit']}"
             if s["throughput"] is not None else "-"),
        ] + [_setting(s["settings"][k]) for k in differ])
    return header, table


def table_lines(summaries: list[dict]) -> list[str]:
    header, table = rows(summaries)
    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
            for row in [header] + table]


def draw_table(summaries: list[dict]) -> None:
    from rich.table import Table
    header, table = rows(summaries)
    out = Table(box=None, padding=(0, 2), header_style="bold")
    for name in header:
        out.add_column(name, justify="left" if name in ("run", "kind", "status") else "right")
    for row in table:
        out.add_row(*row)
    console.stdout_console().print(out)
