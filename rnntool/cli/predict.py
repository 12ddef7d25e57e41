"""``rnntool predict``: label every input line with a tree model or a sentence classifier."""

from __future__ import annotations

import sys

import click

from rnntool import console
from rnntool.cli.common import CHECKPOINT, encoding_option, errors_option, input_paths
from rnntool.cli.parse import build_tree_maker, tree_input_options
from rnntool.console import warn

# SGR colour codes of the predicted classes in drawings on a terminal, by number of classes:
# SST's five from bold red (0) through dim neutral (2) to bold green (4); binary red, green.
CLASS_COLOURS = {5: ["1;31", "31", "2", "32", "1;32"], 2: ["31", "32"]}


@click.command("predict", epilog="""\b
Examples:
  echo 'the film is not very good .' | rnntool predict tree.pt
  rnntool predict tree.pt --output trees corpora/sentiment/test.txt | head -n 3
  rnntool predict tree.pt --output pretty --input text --shape balanced reviews.txt
  rnntool predict sentiment.pt < reviews.txt > labels.txt
  rnntool predict sentiment.pt --output json --input tsv labelled.tsv
""")
@click.argument("checkpoint", metavar="CKPT", type=CHECKPOINT)
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
    from rnntool import predicting, trees

    data = ckpt.load(checkpoint)
    kind = data["kind"]
    predicting.check_kind(kind, checkpoint)
    if kind == "sentiment" and output_format in ("trees", "pretty"):
        raise click.UsageError(f"--output {output_format} needs a tree model; {checkpoint} is "
                               f"a sentence classifier")
    model = ckpt.restore_model(data, checkpoint)
    vocab = ckpt.restore_vocab(data, checkpoint)
    paths = input_paths(files, "trees or sentences")
    options = dict(encoding=encoding, errors=decode_errors)
    out = sys.stdout
    if kind == "sentiment":
        labels = predicting.class_labels(kind, data["training"])
        for chunk in predicting.chunks(predicting.file_words(paths, input_kind, vocab,
                                                             strict=strict, warn=warn,
                                                             **options)):
            out.write(predicting.sentence_records(model, vocab, labels, chunk, output_format))
        out.flush()
        return
    maker = build_tree_maker(input_kind, factor, collapse_unary, grammar, treebank, shape,
                             **options)
    colours = None
    if output_format == "pretty" and console.stdout_colour():
        colours = CLASS_COLOURS.get(int(data["training"]["classes"]))
    for chunk in predicting.chunks(trees.make_trees(paths, maker, strict=strict, warn=warn,
                                                    **options)):
        out.write(predicting.tree_records(model, vocab, chunk, output_format, colours,
                                          warn=warn))
    out.flush()
