"""``rnntool eval``: score a checkpoint on labelled data (tree models) or text (char-LMs)."""

from __future__ import annotations

import json
import sys

import click

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
