"""``rnntool eval``: score a checkpoint on labelled data (tree models) or text (char-LMs)."""

from __future__ import annotations

import json
import sys

import click

from rnntool import console
from rnntool.cli.common import encoding_option, errors_option


@click.command("eval", epilog="""\b
Examples:
  rnntool eval tree.pt sst/dev.txt
  rnntool eval tree.pt corpora/sentiment/test.txt --json | jq .roots.accuracy
  rnntool eval model.pt held-out.txt
""")
@click.argument("checkpoint", metavar="CKPT", type=click.Path(dir_okay=False))
@click.argument("data", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True,
              help="Write the report as one JSON object (the keys are described in the "
                   "README).")
@encoding_option
@errors_option
def command(checkpoint, data, as_json, encoding, decode_errors):
    """Evaluate a checkpoint on FILE and write the report to stdout.

    CKPT decides what FILE holds and what is measured. A tree model (`rnntool train tree`)
    reads labelled bracketed trees, one a line: root (sentence) and all-node accuracy,
    macro-F1, per-class precision, recall and F1, and the confusion matrix of the roots; a
    fine-grained 5-class model is also scored in SST's binary view. A char-LM (`rnntool
    train charlm`) reads text: loss in nats and bits per character.

    On a terminal the report is drawn as tables; piped or redirected, it is aligned plain
    text.
    """
    from rnntool import checkpoint as ckpt

    options = dict(encoding=encoding, errors=decode_errors)
    loaded = ckpt.load(checkpoint)
    model = ckpt.restore_model(loaded, checkpoint)
    vocab = ckpt.restore_vocab(loaded, checkpoint)
    if loaded["kind"] == "tree":
        report = _tree_report(model, vocab, loaded, data, options)
    else:
        report = _charlm_report(model, vocab, data, options)
    report["checkpoint"] = checkpoint
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    elif console.stdout_is_terminal():
        print_tables(report, console.stdout_console())
    else:
        sys.stdout.write(format_report(report))
    sys.stdout.flush()


def _tree_report(model, vocab, loaded, data, options) -> dict:
    from rnntool import trees
    from rnntool.errors import InputError
    from rnntool.evaluate import tree_report

    items = [trees.normalize(t) for t in trees.read_treebank(data, **options)]
    if not items:
        raise InputError(f"{data}: no trees to evaluate on")
    training = loaded["training"]
    binary = bool(training.get("settings", {}).get("binary", False))
    return tree_report(model, items, vocab, binary=binary, classes=int(training["classes"]))


def _charlm_report(model, vocab, data, options) -> dict:
    import numpy as np
    from rnntool import text as textio
    from rnntool.errors import InputError
    from rnntool.evaluate import bits, lm_loss

    ids = vocab.encode(textio.read_text(data, **options))
    if len(ids) < 2:
        raise InputError(f"{textio.display_name(data)}: too little text to evaluate on")
    loss = lm_loss(model, ids)
    unknown = int(np.count_nonzero(ids == 1))
    return {"kind": "charlm", "characters": int(len(ids)), "unknown_characters": unknown,
            "loss": loss, "bits_per_character": bits(loss)}


def format_report(report: dict) -> str:
    """The report as aligned plain text (tables of numbers a person reads)."""
    lines = [f"checkpoint: {report['checkpoint']} ({report['kind']})"]
    if report["kind"] == "charlm":
        lines += [f"characters: {report['characters']} ({report['unknown_characters']} unknown)",
                  f"loss: {report['loss']:.4f} nats/char ({report['bits_per_character']:.4f} "
                  f"bits/char)"]
        return "\n".join(lines) + "\n"
    roots, nodes = report["roots"], report["all_nodes"]
    lines += [f"trees: {report['trees']}, classes: {report['classes']} ({report['view']})",
              f"root accuracy: {roots['accuracy']:.4f} of {roots['count']} "
              f"(macro-F1 {roots['macro_f1']:.4f})",
              f"all-node accuracy: {nodes['accuracy']:.4f} of {nodes['count']} "
              f"(macro-F1 {nodes['macro_f1']:.4f})"]
    if "binary_view" in report:
        view = report["binary_view"]
        lines.append(f"binary view: root accuracy {view['root_accuracy']:.4f}, all-node "
                     f"accuracy {view['all_accuracy']:.4f}")
    lines += ["", "roots by class:", "class  precision  recall      f1  support"]
    lines += [f"{row['class']:>5}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
              f"{row['f1']:6.4f}  {row['support']:7d}" for row in roots["per_class"]]
    lines += ["", "root confusion (rows: gold, columns: predicted):",
              "       " + " ".join(f"{c:>6}" for c in range(report["classes"]))]
    lines += [f"{gold:>6} " + " ".join(f"{n:>6}" for n in row)
              for gold, row in enumerate(roots["confusion"])]
    return "\n".join(lines) + "\n"


def print_tables(report: dict, out) -> None:
    """The report as rich tables on the console ``out``: a summary and, for a tree model, the
    roots' per-class scores and their confusion matrix (its diagonal highlighted)."""
    from rich.table import Table

    title = f"checkpoint: {report['checkpoint']} ({report['kind']})"
    if report["kind"] == "charlm":
        table = Table(title=title)
        for name in ("characters", "unknown", "loss (nats/char)", "bits/char"):
            table.add_column(name, justify="right")
        table.add_row(str(report["characters"]), str(report["unknown_characters"]),
                      f"{report['loss']:.4f}", f"{report['bits_per_character']:.4f}")
        out.print(table)
        return
    classes, view = report["classes"], report.get("binary_view")
    summary = Table(title=f"{title}\n{report['trees']} trees, {classes} classes "
                          f"({report['view']})")
    summary.add_column("")
    for name in ["accuracy", "macro-F1", "count"] + (["binary-view accuracy"] if view else []):
        summary.add_column(name, justify="right")
    for name, scores, key in (("roots", report["roots"], "root_accuracy"),
                              ("all nodes", report["all_nodes"], "all_accuracy")):
        summary.add_row(name, f"{scores['accuracy']:.4f}", f"{scores['macro_f1']:.4f}",
                        str(scores["count"]), *([f"{view[key]:.4f}"] if view else []))
    per_class = Table(title="roots by class")
    for name in ("class", "precision", "recall", "F1", "support"):
        per_class.add_column(name, justify="right")
    for row in report["roots"]["per_class"]:
        per_class.add_row(str(row["class"]), f"{row['precision']:.4f}",
                          f"{row['recall']:.4f}", f"{row['f1']:.4f}", str(row["support"]))
    confusion = Table(title="root confusion")
    confusion.add_column("gold \\ predicted", justify="right", style="bold")
    for c in range(classes):
        confusion.add_column(str(c), justify="right")
    for gold, row in enumerate(report["roots"]["confusion"]):
        confusion.add_row(str(gold), *(f"[bold green]{n}[/]" if gold == predicted
                                       else f"[red]{n}[/]" if n else str(n)
                                       for predicted, n in enumerate(row)))
    for table in (summary, per_class, confusion):
        out.print(table)
