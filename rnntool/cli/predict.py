"""``rnntool predict``: label every input line with a tree model or a sentence classifier."""

from __future__ import annotations

import re
import sys

import click

from rnntool import console
from rnntool.cli.common import encoding_option, errors_option, input_paths
from rnntool.cli.parse import build_tree_maker, tree_input_options
from rnntool.console import warn

BATCH_LINES = 256  # lines predicted together; output still follows input line by line
# SGR colour codes of the predicted classes in drawings on a terminal, by number of classes:
# SST's five from bold red (0) through dim neutral (2) to bold green (4); binary red, green.
CLASS_COLOURS = {5: ["1;31", "31", "2", "32", "1;32"], 2: ["31", "32"]}
HIDDEN = 0xF0000  # labels are drawn spelt in private-use characters from here, then coloured


@click.command("predict", epilog="""\b
Examples:
  echo 'the film is not very good .' | rnntool predict tree.pt
  rnntool predict tree.pt --output trees corpora/sentiment/test.txt | head -n 3
  rnntool predict tree.pt --output pretty --input text --shape balanced reviews.txt
  rnntool predict sentiment.pt < reviews.txt > labels.txt
  rnntool predict sentiment.pt --output json --input tsv labelled.tsv
""")
@click.argument("checkpoint", metavar="CKPT", type=click.Path(dir_okay=False))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--output", "output_format",
              type=click.Choice(["label", "probs", "json", "trees", "pretty"]), default="label",
              show_default=True,
              help="Per input line: the predicted label and its probability, tab-separated "
                   "(label); for a sentence classifier the label and then every class's "
                   "probability as LABEL=P (probs); one JSON object with label, probability "
                   "and probabilities (json). Tree models only: the binary tree with the "
                   "predicted class at every node (trees); probs then gives the tree with every "
                   "node's class probabilities, comma-separated, as its label; NLTK's drawing "
                   "of the predicted tree, 'class (probability)' at every node (pretty, each "
                   "drawing followed by an empty line). On a terminal (and without NO_COLOR) "
                   "pretty colours each node's label by its class: for 5 classes 0-1 red, 2 "
                   "dim, 3-4 green (0 and 4 bold); for 2 classes 0 red, 1 green; other models "
                   "are not coloured.")
@tree_input_options
@encoding_option
@errors_option
def command(checkpoint, files, output_format, input_kind, factor, collapse_unary, grammar,
            treebank, shape, strict, encoding, decode_errors):
    """Predict the class of every input line with a tree model or a sentence classifier.

    CKPT is a checkpoint written by `rnntool train tree` or `rnntool train sentiment`.
    FILES ('-' or none: stdin) hold one item a line. A tree model reads bracketed trees
    (their labels are ignored) or raw sentences, made into binary trees exactly as `rnntool
    parse` does with the same options. A sentence classifier reads raw sentences, tsv or
    fastText lines (their labels are ignored) or bracketed trees (their leaves), tokenized
    as its training data was. Output follows the input line for line: a blank line gives an
    empty line; so does a malformed line, with a warning on stderr (an error with --strict).
    """
    from rnntool import checkpoint as ckpt
    from rnntool import trees
    from rnntool.errors import CheckpointError

    data = ckpt.load(checkpoint)
    kind = data["kind"]
    if kind not in ("tree", "sentiment"):
        raise CheckpointError(f"{checkpoint}: this is a {kind} checkpoint; predict needs a tree "
                              f"or sentiment checkpoint" +
                              (" (a char-LM generates text: rnntool sample)" if kind == "charlm"
                               else ""))
    if kind == "sentiment" and output_format in ("trees", "pretty"):
        raise click.UsageError(f"--output {output_format} needs a tree model; {checkpoint} is "
                               f"a sentence classifier")
    model = ckpt.restore_model(data, checkpoint)
    vocab = ckpt.restore_vocab(data, checkpoint)
    paths = input_paths(files, "trees or sentences")
    options = dict(encoding=encoding, errors=decode_errors)
    out = sys.stdout
    if kind == "sentiment":
        labels = list(data["training"]["labels"])
        for chunk in _chunks(_sentences(paths, input_kind, vocab, strict, options)):
            out.write(sentence_lines(model, vocab, labels, chunk, output_format))
        out.flush()
        return
    maker = build_tree_maker(input_kind, factor, collapse_unary, grammar, treebank, shape,
                             **options)
    colours = None
    if output_format == "pretty" and console.stdout_colour():
        colours = CLASS_COLOURS.get(int(data["training"]["classes"]))
    for chunk in _chunks(trees.make_trees(paths, maker, strict=strict, warn=warn, **options)):
        out.write(predict_lines(model, vocab, chunk, output_format, colours))
    out.flush()


def _chunks(items):
    """``items`` in lists of ``BATCH_LINES``."""
    pending: list = []
    for item in items:
        pending.append(item)
        if len(pending) == BATCH_LINES:
            yield pending
            pending = []
    if pending:
        yield pending


def _sentences(paths, input_kind, vocab, strict, options):
    """The words of every input line for a sentence classifier (None: blank or malformed)."""
    from rnntool import labelled, trees
    from rnntool import text as textio
    from rnntool.errors import InputError

    tokenize = vocab.tokenizer_function()
    for path in paths:
        name = textio.display_name(path)
        for number, line in enumerate(trees.iter_lines(path, **options), 1):
            if not line.strip():
                yield None
                continue
            try:
                words = labelled.split_line(line.rstrip("\r"), input_kind, tokenize).tokens
            except ValueError as exc:
                if strict:
                    raise InputError(f"{name}: line {number}: {exc}") from None
                warn(f"{name}: line {number}: {exc}")
                yield None
                continue
            yield [w.lower() for w in words] if vocab.lowercase else words


def sentence_lines(model, vocab, labels: list[str], items: list, output_format: str) -> str:
    """The output records of a sentence classifier for ``items`` (word lists, or None)."""
    from rnntool.evaluate import sequence_probabilities

    present = [vocab.ids_of(words) for words in items if words is not None]
    probs = iter(sequence_probabilities(model, present) if present else ())
    records = []
    for words in items:
        if words is None:
            records.append("")
            continue
        p = next(probs)
        best = int(p.argmax())
        if output_format == "label":
            records.append(f"{labels[best]}\t{p[best]:.4f}")
        elif output_format == "probs":
            records.append("\t".join([labels[best]] + [f"{label}={x:.4f}"
                                                       for label, x in zip(labels, p)]))
        else:
            records.append(_json_record(labels, p))
    return "".join(record + "\n" for record in records)


def _json_record(labels: list[str], p) -> str:
    import json
    best = int(p.argmax())
    return json.dumps({"label": labels[best], "probability": round(float(p[best]), 6),
                       "probabilities": {label: round(float(x), 6)
                                         for label, x in zip(labels, p)}})


def predict_lines(model, vocab, items: list, output_format: str,
                  colours: list[str] | None = None) -> str:
    """The output records for ``items`` (trees, or None for lines that gave none); pretty
    drawings with each label in its class's colour (``colours``: SGR codes) if given."""
    import torch
    from rnntool import trees
    from rnntool.treebatch import build_batch, relabel

    present = [t for t in items if t is not None]
    records: list[str] = []
    if present:
        batch = build_batch(present, vocab.id_of)
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(batch), dim=-1).numpy()
        order = batch.tree_order()
        ends = batch.tree_sizes().cumsum()
        starts = ends - batch.tree_sizes()
        for i, tree in enumerate(present):
            nodes = order[starts[i]:ends[i]]  # this tree's nodes in postorder
            node_probs = probs[nodes]
            root = probs[batch.roots[i]]
            if output_format == "label":
                records.append(f"{int(root.argmax())}\t{root.max():.4f}")
            elif output_format == "json":
                records.append(_json_record([str(c) for c in range(len(root))], root))
            elif output_format == "trees":
                labels = [str(int(p.argmax())) for p in node_probs]
                records.append(trees.to_brackets(relabel(tree, labels)))
            elif output_format == "probs":
                labels = [",".join(f"{x:.4f}" for x in p) for p in node_probs]
                records.append(trees.to_brackets(relabel(tree, labels)))
            else:
                labels = [f"{int(p.argmax())} ({p.max():.2f})" for p in node_probs]
                try:
                    records.append(draw(tree, labels, colours) + "\n")
                except trees.LineError as exc:  # too deep to draw
                    warn(str(exc))
                    records.append("")
    found = iter(records)
    return "".join((next(found) if t is not None else "") + "\n" for t in items)


def draw(tree, labels: list[str], colours: list[str] | None = None) -> str:
    """NLTK's drawing of ``tree`` with ``labels`` (``relabel``'s order); with ``colours``,
    each label in the colour of its class (the number it starts with).

    Colour codes would upset the drawing's layout, so the tree is drawn with every label
    spelt in private-use characters of the same width, and each such run is then replaced
    by its label in colour."""
    from rnntool import trees
    from rnntool.treebatch import relabel

    if not colours:
        return trees.pretty(relabel(tree, labels))
    hidden = ["".join(chr(HIDDEN + ord(c)) for c in label) for label in labels]

    def paint(run: re.Match) -> str:
        label = "".join(chr(ord(c) - HIDDEN) for c in run.group())
        return f"\x1b[{colours[int(label.split()[0])]}m{label}\x1b[0m"
    return re.sub(f"[{chr(HIDDEN)}-{chr(HIDDEN + 127)}]+", paint,
                  trees.pretty(relabel(tree, hidden)))
