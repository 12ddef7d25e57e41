"""``rnntool eval``: score a checkpoint on labelled data (tree models, sentence classifiers)
or text (char-LMs)."""

from __future__ import annotations

import json
import sys

import click

from rnntool import console
from rnntool.cli.common import CHECKPOINT, encoding_option, errors_option


@click.command("eval", epilog="""\b
Examples:
  rnntool eval tree.pt sst/dev.txt
  rnntool eval tree.pt corpora/sentiment/test.txt --json | jq .roots.accuracy
  rnntool eval model.pt held-out.txt
""")
@click.argument("checkpoint", metavar="CKPT", type=CHECKPOINT)
@click.argument("data", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--json", "as_json", is_flag=True,
              help="Write the report as one JSON object (the keys are described in the "
                   "README).")
@click.option("--input", "input_format",
              type=click.Choice(["auto", "tsv", "fasttext", "trees"]), default="auto",
              show_default=True,
              help="Sentence classifiers: what a line of FILE holds, as for `train sentiment "
                   "--format` (auto: told apart line by line).")
@encoding_option
@errors_option
def command(checkpoint, data, as_json, input_format, encoding, decode_errors):
    """Evaluate a checkpoint on FILE and write the report to stdout.

    CKPT decides what FILE holds and what is measured. A tree model (`rnntool train tree`)
    reads labelled bracketed trees, one a line: root (sentence) and all-node accuracy,
    macro-F1, per-class precision, recall and F1, and the confusion matrix of the roots; a
    fine-grained 5-class model is also scored in SST's binary view. A sentence classifier
    (`rnntool train sentiment`) reads labelled lines (label<TAB>text, __label__X text or
    labelled trees): accuracy, macro-F1, per-class precision, recall and F1, and the
    confusion matrix. A char-LM (`rnntool train charlm`) reads text: loss in nats and bits
    per character; a word-level LM (`rnntool train wordlm`): loss in nats per word and
    perplexity. A tagger (`rnntool train tagger`) reads tagged sentences (CoNLL or
    word/TAG): token accuracy, per-tag scores and, for BIO(ES) tags, entity precision,
    recall and F1. A forecaster (`rnntool train forecast`) reads a series and forecasts
    every window of it: mean absolute and root-mean-square error, next to those of the
    naive forecast that repeats the last value.

    On a terminal the report is drawn as tables; piped or redirected, it is aligned plain
    text.
    """
    from rnntool.api import load

    report = load(checkpoint).evaluate(data, input=input_format, encoding=encoding,
                                       errors=decode_errors)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    elif console.stdout_is_terminal():
        print_tables(report, console.stdout_console())
    else:
        sys.stdout.write(format_report(report))
    sys.stdout.flush()


def format_report(report: dict) -> str:
    """The report as aligned plain text (tables of numbers a person reads)."""
    lines = [f"checkpoint: {report['checkpoint']} ({report['kind']})"]
    if report["kind"] == "charlm":
        lines += [f"characters: {report['characters']} ({report['unknown_characters']} unknown)",
                  f"loss: {report['loss']:.4f} nats/char ({report['bits_per_character']:.4f} "
                  f"bits/char)"]
        return "\n".join(lines) + "\n"
    if report["kind"] == "tagger":
        lines += [f"sentences: {report['sentences']}, tokens: {report['tokens']}",
                  f"token accuracy: {report['token_accuracy']:.4f}"]
        entities = report["entities"]
        if entities is not None:
            lines.append(f"entities: precision {entities['precision']:.4f}, recall "
                         f"{entities['recall']:.4f}, F1 {entities['f1']:.4f} ({entities['gold']} "
                         f"gold, {entities['predicted']} predicted, {entities['correct']} "
                         f"correct)")
        lines += tag_lines(report["per_tag"], "tags")
        if entities is not None:
            lines += tag_lines(entities["per_type"], "entity types")
        return "\n".join(lines) + "\n"
    if report["kind"] == "forecast":
        skill = report["mae_skill"]
        lines += [f"target: {report['target']}, {report['windows']} windows of "
                  f"{report['steps']} steps, horizon {report['horizon']}",
                  f"MAE: {report['mae']:.6g} (naive last value {report['naive_mae']:.6g}"
                  + (f", skill {skill:.4f})" if skill is not None else ")"),
                  f"RMSE: {report['rmse']:.6g} (naive last value {report['naive_rmse']:.6g})",
                  "MAE by step ahead: " + " ".join(f"{v:.4g}" for v in report["mae_by_step"])]
        return "\n".join(lines) + "\n"
    if report["kind"] == "wordlm":
        lines += [f"words: {report['words']} ({report['unknown_words']} <unk>), line ends "
                  f"included", f"loss: {report['loss']:.4f} nats/word (perplexity "
                  f"{report['perplexity']:.2f})"]
        return "\n".join(lines) + "\n"
    if report["kind"] == "sentiment":
        scores = report["sentences"]
        lines += [f"sentences: {scores['count']}, classes: {len(report['labels'])}"
                  + (" (SST binary)" if report["view"] == "binary" else ""),
                  f"accuracy: {scores['accuracy']:.4f} (macro-F1 {scores['macro_f1']:.4f})"]
        lines += class_lines(scores, report["labels"], "sentences", "")
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
    lines += class_lines(roots, [str(c) for c in range(report["classes"])], "roots", "root ")
    return "\n".join(lines) + "\n"


def tag_lines(scores: dict, title: str) -> list[str]:
    """Per-tag (or per-entity-type) precision, recall, F1 and support as aligned lines."""
    width = max([5] + [len(name) for name in scores])
    return ["", f"by {title}:", f"{'tag':>{width}}  precision  recall      f1  support"] + [
        f"{name:>{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:6.4f}  "
        f"{row['support']:7d}" for name, row in scores.items()]


def class_lines(scores: dict, names: list[str], by: str, of: str) -> list[str]:
    """Per-class scores and the confusion matrix as aligned text lines."""
    longest = max(len(name) for name in names)
    width = max(6, longest)
    lines = ["", f"{by} by class:",
             f"{'class':>{max(5, longest)}}  precision  recall      f1  support"]
    lines += [f"{name:>{max(5, longest)}}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
              f"{row['f1']:6.4f}  {row['support']:7d}"
              for name, row in zip(names, scores["per_class"])]
    lines += ["", f"{of}confusion (rows: gold, columns: predicted):",
              " " * width + " " + " ".join(f"{name:>{width}}" for name in names)]
    lines += [f"{name:>{width}} " + " ".join(f"{n:>{width}}" for n in row)
              for name, row in zip(names, scores["confusion"])]
    return lines


def summary_table(title: str, cells: dict[str, str]):
    """A one-row rich table: a column per name, right-aligned."""
    from rich.table import Table
    table = Table(title=title)
    for name in cells:
        table.add_column(name, justify="right")
    table.add_row(*cells.values())
    return table


def print_tables(report: dict, out) -> None:
    """The report as rich tables on the console ``out``: a summary and, for a tree model, the
    roots' per-class scores and their confusion matrix (its diagonal highlighted)."""
    from rich.table import Table

    title = f"checkpoint: {report['checkpoint']} ({report['kind']})"
    kind = report["kind"]
    if kind == "charlm":
        out.print(summary_table(title, {
            "characters": str(report["characters"]),
            "unknown": str(report["unknown_characters"]),
            "loss (nats/char)": f"{report['loss']:.4f}",
            "bits/char": f"{report['bits_per_character']:.4f}"}))
    elif kind == "wordlm":
        out.print(summary_table(title, {
            "words": str(report["words"]), "<unk>": str(report["unknown_words"]),
            "loss (nats/word)": f"{report['loss']:.4f}",
            "perplexity": f"{report['perplexity']:.2f}"}))
    elif kind == "forecast":
        out.print(summary_table(title, {
            "target": report["target"], "windows": str(report["windows"]),
            "horizon": str(report["horizon"]),
            **{name: f"{report[key]:.6g}" for name, key in (
                ("MAE", "mae"), ("naive MAE", "naive_mae"), ("RMSE", "rmse"),
                ("naive RMSE", "naive_rmse"))}}))
    elif kind == "tagger":
        entities = report["entities"]
        cells = {"sentences": str(report["sentences"]), "tokens": str(report["tokens"]),
                 "token accuracy": f"{report['token_accuracy']:.4f}"}
        if entities is not None:
            cells.update({f"entity {name}": f"{entities[key]:.4f}" for name, key in (
                ("precision", "precision"), ("recall", "recall"), ("F1", "f1"))})
        out.print(summary_table(title, cells))
        for scores, what in ((report["per_tag"], "tag"),
                             ((entities or {}).get("per_type"), "entity type")):
            if not scores:
                continue
            table = Table(title=f"by {what}")
            for name in (what, "precision", "recall", "f1", "support"):
                table.add_column(name, justify="right")
            for name, row in scores.items():
                table.add_row(name, f"{row['precision']:.4f}", f"{row['recall']:.4f}",
                              f"{row['f1']:.4f}", str(row["support"]))
            out.print(table)
    elif kind == "sentiment":
        scores = report["sentences"]
        out.print(summary_table(title, {
            "sentences": str(scores["count"]), "classes": str(len(report["labels"])),
            "accuracy": f"{scores['accuracy']:.4f}", "macro-F1": f"{scores['macro_f1']:.4f}"}))
        for table in class_tables(scores, report["labels"], "sentences", ""):
            out.print(table)
    if kind != "tree":
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
    names = [str(c) for c in range(classes)]
    for table in (summary, *class_tables(report["roots"], names, "roots", "root ")):
        out.print(table)


def class_tables(scores: dict, names: list[str], by: str, of: str) -> tuple:
    """Rich tables of the per-class scores and the confusion matrix (diagonal highlighted)."""
    from rich.markup import escape
    from rich.table import Table

    per_class = Table(title=f"{by} by class")
    for name in ("class", "precision", "recall", "F1", "support"):
        per_class.add_column(name, justify="right")
    for name, row in zip(names, scores["per_class"]):
        per_class.add_row(escape(name), f"{row['precision']:.4f}",
                          f"{row['recall']:.4f}", f"{row['f1']:.4f}", str(row["support"]))
    confusion = Table(title=f"{of}confusion")
    confusion.add_column("gold \\ predicted", justify="right", style="bold")
    for name in names:
        confusion.add_column(escape(name), justify="right")
    for gold, row in enumerate(scores["confusion"]):
        confusion.add_row(escape(names[gold]), *(f"[bold green]{n}[/]" if gold == predicted
                                                 else f"[red]{n}[/]" if n else str(n)
                                                 for predicted, n in enumerate(row)))
    return per_class, confusion
