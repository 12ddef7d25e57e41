"""``rnntool eval``: score a checkpoint on labelled data (tree models, sentence classifiers,
taggers), a series (forecasters), text (language models) or trees (parsers).

The command evaluates through the Python API (``Model.evaluate``) and draws the report
with the pieces of the checkpoint kind's use module (``rnntool.kinds``); nothing here
differs by kind."""

from __future__ import annotations

import json
import sys

import click

from rnntool import console
from rnntool.cli.common import CHECKPOINT, encoding_option, errors_option, threads_option
from rnntool.threads import tuned_forwards


@click.command("eval", epilog="""\b
Examples:
  rnntool train tree corpora/sentiment/train.txt -o tree.pt
  rnntool eval tree.pt corpora/sentiment/dev.txt
  rnntool eval tree.pt corpora/sentiment/test.txt --json | jq .roots.accuracy
  rnntool train charlm corpora/default.txt --max-time 1m -o charlm.pt
  tail -n 1000 corpora/default.txt | rnntool eval charlm.pt -
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
@threads_option
def command(checkpoint, data, as_json, input_format, encoding, decode_errors, threads):
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
    naive forecast that repeats the last value. A parser (`rnntool train parser`) reads
    bracketed trees and parses their words: unlabelled bracket precision, recall and F1
    (the whole sentence and single words not counted) and exact match, overall and by
    sentence length.

    On a terminal the report is drawn as tables; piped or redirected, it is aligned plain
    text.
    """
    from rnntool.api import load

    with tuned_forwards(threads):  # each batch's forward pass a unit (rnntool.threads)
        report = load(checkpoint).evaluate(data, input=input_format, encoding=encoding,
                                           errors=decode_errors)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    elif console.stdout_is_terminal():
        print_tables(report, console.stdout_console())
    else:
        sys.stdout.write(format_report(report))
    sys.stdout.flush()


def _use(report: dict):
    """The use module of the kind ``report`` is about."""
    from rnntool import kinds
    return kinds.get(report["kind"]).load("use")


def format_report(report: dict) -> str:
    """The report as aligned plain text (tables of numbers a person reads)."""
    lines = [f"checkpoint: {report['checkpoint']} ({report['kind']})"]
    return "\n".join(lines + _use(report).report_lines(report)) + "\n"


def print_tables(report: dict, out) -> None:
    """The report as rich tables on the console ``out``: a summary and, for a classifier,
    the per-class scores and their confusion matrix (its diagonal highlighted)."""
    title = f"checkpoint: {report['checkpoint']} ({report['kind']})"
    for table in _use(report).report_tables(report, title):
        out.print(table)
