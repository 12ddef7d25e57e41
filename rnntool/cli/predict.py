"""``rnntool predict``: label every input line with a tree model or a sentence classifier,
tag sentences, or forecast a series.

The command checks that the checkpoint's kind predicts (``rnntool.kinds``) and hands the
input over to the kind's use module (its ``predict_command``), which says which options fit
it and writes the records; nothing here differs by kind."""

from __future__ import annotations

import sys

import click

from rnntool.cli.common import (CHECKPOINT, encoding_option, errors_option, input_paths,
                                threads_option)
from rnntool.cli.parse import build_tree_maker, parser_option, tree_input_options
from rnntool.threads import tuned_forwards


@click.command("predict", epilog="""\b
Examples:
  rnntool train tree corpora/sentiment/train.txt -o tree.pt
  echo 'the film is not very good .' | rnntool predict tree.pt
  rnntool predict tree.pt --output trees corpora/sentiment/test.txt | head -n 3
  echo 'the actors are wonderful but the plot is dull .' | \\
      rnntool predict tree.pt --output pretty --input text --shape balanced

\b
  rnntool train sentiment corpora/sentiment/train.txt -o sentiment.pt
  rnntool predict sentiment.pt < corpora/sentiment/test.txt > labels.txt
  printf '4\\tit was a complete delight .\\n1\\tthe plot seems routine .\\n' | \\
      rnntool predict sentiment.pt --output json --input tsv

\b
  rnntool train tagger corpora/tagged/train.conll -o ner.pt
  echo 'Anna Lindholm flew to Port Ekvik .' | rnntool predict ner.pt

\b
  rnntool train forecast corpora/load/train.csv --horizon 24 -o load.pt
  tail -n 100 corpora/load/test.csv | rnntool predict load.pt --output json
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
                   "are not coloured. A tagger writes each sentence back in the input's "
                   "format with its tags (label; raw text as word/TAG), or one JSON object "
                   "with words and tags (json). A forecaster writes its forecast, one value a line "
                   "(label), or as one JSON object (json). A parser writes each line's tree in "
                   "brackets (label, trees) or drawn (pretty).")
@tree_input_options
@parser_option("--parser", "Tree models: give raw sentences the trees of this parser (a "
                           "checkpoint of `rnntool train parser`), as `rnntool parse --model` "
                           "does.")
@encoding_option
@errors_option
@threads_option
def command(checkpoint, files, output_format, input_kind, factor, collapse_unary, grammar,
            treebank, tokenizer, shape, strict, parser, encoding, decode_errors, threads):
    """Predict with a tree model, classifier, tagger, forecaster or parser.

    CKPT is a checkpoint written by `rnntool train tree`, `train sentiment`, `train tagger`,
    `train forecast` or `train parser` (which parses every line as `rnntool parse --model`
    does).
    FILES ('-' or none: stdin) hold one item a line. A tree model reads bracketed trees
    (their labels are ignored) or raw sentences, made into binary trees exactly as `rnntool
    parse` does with the same options. A sentence classifier reads raw sentences, tsv or
    fastText lines (their labels are ignored) or bracketed trees (their leaves), tokenized
    as its training data was. Output follows the input line for line: a blank line gives an
    empty line; so does a malformed line, with a warning on stderr (an error with --strict).

    A tagger reads sentences as raw text (one a line, words separated by spaces), CoNLL
    columns or word/TAG lines (tags ignored), and writes them back in the same format
    (raw text as word/TAG) with its tags, or as JSON (one object a sentence: words, tags).

    A forecaster reads a series as `rnntool train forecast` does (the same columns: by
    header name, or by position in a file without a header) and forecasts the --horizon
    steps after its end from its last --window steps.
    """
    from rnntool import checkpoint as ckpt
    from rnntool import predicting
    from rnntool.errors import OptionError

    data = ckpt.load(checkpoint)
    kind = predicting.check_kind(data["kind"], checkpoint)
    request = predicting.Request(
        output=output_format, input=input_kind, strict=strict, encoding=encoding,
        errors=decode_errors, paths=lambda what: input_paths(files, what),
        tree_maker=lambda: build_tree_maker(input_kind, factor, collapse_unary, grammar,
                                            treebank, tokenizer, shape, parser,
                                            encoding=encoding, errors=decode_errors),
        out=sys.stdout)
    try:
        with tuned_forwards(threads):  # each batch's forward pass a unit (rnntool.threads)
            kind.load("use").predict_command(data, checkpoint, request)
    except OptionError as exc:
        raise click.UsageError(str(exc)) from None
