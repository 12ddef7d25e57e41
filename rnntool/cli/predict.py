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
                   "are not coloured. A tagger writes each sentence back in the input's "
                   "format with its tags (label; raw text as word/TAG), or one JSON object "
                   "with words and tags (json). A forecaster writes its forecast, one value a line "
                   "(label), or as one JSON object (json).")
@tree_input_options
@encoding_option
@errors_option
def command(checkpoint, files, output_format, input_kind, factor, collapse_unary, grammar,
            treebank, shape, strict, encoding, decode_errors):
    """Predict with a tree model, a sentence classifier or a forecaster.

    CKPT is a checkpoint written by `rnntool train tree`, `train sentiment`, `train tagger`
    or `train forecast`.
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
    from rnntool import predicting, trees

    data = ckpt.load(checkpoint)
    kind = data["kind"]
    predicting.check_kind(kind, checkpoint)
    if kind == "sentiment" and output_format in ("trees", "pretty"):
        raise click.UsageError(f"--output {output_format} needs a tree model; {checkpoint} is "
                               f"a sentence classifier")
    model = ckpt.restore_model(data, checkpoint)
    options = dict(encoding=encoding, errors=decode_errors)
    out = sys.stdout
    if kind == "forecast":
        if output_format not in ("label", "json"):
            raise click.UsageError(f"--output {output_format} is not for a forecaster; use "
                                   f"label (one value a line) or json")
        write_forecast(model, data["training"]["series"], input_paths(files, "a series"),
                       output_format, options)
        return
    if kind == "tagger":
        if output_format not in ("label", "json"):
            raise click.UsageError(f"--output {output_format} is not for a tagger; use label "
                                   f"(the input's format with the tags) or json")
        if input_kind not in ("auto", "text"):
            raise click.UsageError(f"--input {input_kind} is not for a tagger; use auto "
                                   f"(text, CoNLL or word/TAG, told apart) or text")
        write_tags(model, data, input_paths(files, "sentences"), output_format, input_kind,
                   options)
        return
    vocab = ckpt.restore_vocab(data, checkpoint)
    paths = input_paths(files, "trees or sentences")
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


def write_forecast(model, record: dict, paths: list[str], output_format: str,
                   options: dict) -> None:
    import json

    from rnntool import predicting, series
    from rnntool.text import display_name

    values = series.read_like(paths, record["layout"], **options).values
    forecast = predicting.forecast_values(model, record, values, display_name(paths[-1]))
    if output_format == "json":
        sys.stdout.write(json.dumps({"target": record["names"][record["target"]],
                                     "horizon": len(forecast),
                                     "forecast": [float(v) for v in forecast]}) + "\n")
    else:
        sys.stdout.write("".join(f"{v:.6g}\n" for v in forecast))
    sys.stdout.flush()


def write_tags(model, data: dict, paths: list[str], output_format: str, input_kind: str,
               options: dict) -> None:
    import json

    from rnntool import checkpoint as ckpt
    from rnntool import predicting, tagging
    from rnntool.vocab import Vocab

    record = data["training"]["tagger"]
    vocab = ckpt.restore_vocab(data)
    chars = Vocab.from_dict(record["chars"]) if record["chars"] else None
    sentences, fmt = tagging.read_untagged(paths, "text" if input_kind == "text" else "auto",
                                           **options)
    awkward = [tag for tag in record["tags"] if "/" in tag or not tag.strip()
               or any(c.isspace() for c in tag)]
    if output_format != "json" and fmt != "conll" and awkward:
        from rnntool.errors import CheckpointError
        raise CheckpointError(f"the model's tag {awkward[0]!r} cannot be written as word/TAG; "
                              f"give CoNLL input, or use --output json")
    out = sys.stdout
    for chunk in predicting.chunks(range(len(sentences))):
        words = [sentences[i] for i in chunk]
        tagged = predicting.tag_sentences(model, vocab, chars, list(record["tags"]), words)
        for sentence, tags in zip(words, tagged):
            if output_format == "json":
                out.write(json.dumps({"words": sentence, "tags": tags}) + "\n")
            elif sentence or fmt != "conll":
                out.write(tagging.format_sentence(sentence, tags, fmt))
    out.flush()
