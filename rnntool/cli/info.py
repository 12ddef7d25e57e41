"""``rnntool info``: what a checkpoint holds and how it was trained."""

from __future__ import annotations

import json
import shlex

import click

from rnntool import console
from rnntool.cli.common import CHECKPOINT


@click.command("info", epilog="""\b
Examples:
  rnntool train tree corpora/sentiment/train.txt --epochs 3 -o tree.pt
  rnntool info tree.pt
  rnntool info --json tree.pt | python3 -m json.tool
""")
@click.argument("checkpoint", metavar="CKPT", type=CHECKPOINT)
@click.option("--json", "as_json", is_flag=True,
              help="Write one JSON object (keys documented in the README) instead of text.")
def command(checkpoint: str, as_json: bool) -> None:
    """Describe checkpoint CKPT: model kind and architecture, parameter count, vocabulary,
    training steps and time, the best validation figure, the settings it was trained with
    and the command that trained it.

    On a terminal the description is drawn as tables; piped, it is plain `key: value`
    lines. Loading is safe: the file is read with torch.load(weights_only=True).
    """
    from rnntool import checkpoint as ckpt
    data = ckpt.load(checkpoint)
    facts = run_facts(ckpt.describe(data, checkpoint), data)
    if as_json:
        click.echo(json.dumps(facts, indent=2))
    elif console.stdout_is_terminal():
        draw(facts)
    else:
        click.echo("\n".join(lines(facts)))


def run_facts(facts: dict, data: dict) -> dict:
    """``facts`` with what the training record adds: the command that started the run
    (``command``) and those that resumed it (``resumed_with``), and the learning rate a
    setting left to its default (None) stood for."""
    training = data["training"]
    if "resumed_with" in training:
        facts["command"] = training.get("original_command")
    facts["resumed_with"] = list(training.get("resumed_with") or [])
    settings = facts["settings"]
    if "lr" in settings and settings["lr"] is None:
        settings["lr"] = default_rate(facts["kind"], settings)
    return facts


def default_rate(kind: str, saved: dict) -> float | None:
    """The learning rate a run of ``kind`` with the ``saved`` settings and no --lr used."""
    import dataclasses

    from rnntool import kinds
    known = kinds.find(kind)
    if known is None:
        return None
    cls = known.load("settings")
    fields = {f.name for f in dataclasses.fields(cls)}
    try:
        settings = cls(**{k: v for k, v in saved.items() if k in fields})
        return settings.learning_rate() if hasattr(settings, "learning_rate") else None
    except (TypeError, ValueError):
        return None


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items())
    return "-" if value is None else str(value)


def sections(facts: dict) -> list[tuple[str, list[tuple[str, str]]]]:
    """The description as titled lists of (name, value), for text and tables alike."""
    training = facts["training"]
    best = training["best"]
    vocabulary = (f"{facts['vocabulary']['size']:,} {facts['vocabulary']['level']} tokens"
                  if facts["vocabulary"]["level"] else "- (reads numbers)")
    summary = [("kind", facts["kind"]), ("parameters", f"{facts['model']['parameters']:,}"),
               ("vocabulary", vocabulary),
               ("file", f"{facts['size_bytes']:,} bytes, written by rnntool "
                        f"{facts['rnntool']}" if facts["size_bytes"] is not None else "-")]
    if facts.get("labels"):
        summary.append(("labels", " ".join(map(str, facts["labels"]))))
    elif facts.get("classes"):
        summary.append(("classes", str(facts["classes"])))
    run = [("steps", _value(training["steps"])), ("epoch", _value(training["epoch"])),
           ("training time", console.format_duration(training["elapsed_seconds"] or 0.0))]
    if training["seen"] is not None:
        run.append((f"{training['seen_unit']} seen", f"{training['seen']:,}"))
    run.append(("best", f"{best['metric']} {best['value']:.4f} at step {best['step']}"
                if best else "- (no validation)"))
    run.append(("resumable", "yes" if training["resumable"] else "no"))
    if facts.get("metrics_file"):
        run.append(("metrics", facts["metrics_file"]))
    if facts.get("command"):
        run.append(("command", shlex.join(facts["command"])))
    for command in facts.get("resumed_with") or []:
        run.append(("resumed with", shlex.join(command)))
    model = [(k, _value(v)) for k, v in facts["model"]["config"].items()]
    settings = [(k, _value(v)) for k, v in facts["settings"].items()]
    return [(facts["checkpoint"], summary), ("training", run), ("model", model),
            ("settings", settings)]


def lines(facts: dict) -> list[str]:
    out = []
    for title, rows in sections(facts):
        out.append(f"{title}:" if not out else f"\n{title}:")
        width = max((len(name) for name, _ in rows), default=0)
        out += [f"  {name + ':':<{width + 1}} {value}" for name, value in rows]
    return out


def draw(facts: dict) -> None:
    from rich.table import Table
    out = console.stdout_console()
    for title, rows in sections(facts):
        table = Table(title=title, title_justify="left", show_header=False, box=None,
                      padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for name, value in rows:
            table.add_row(name, value)
        out.print(table)
