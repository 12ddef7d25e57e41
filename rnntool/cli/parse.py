"""``rnntool parse``: one binary tree per input line, from bracketed trees or raw sentences."""

from __future__ import annotations

import contextlib
import sys

import click

from rnntool.cli.common import encoding_option, errors_option, input_paths, threads_option
from rnntool.console import warn


def tree_input_options(command):
    """The options that say how input lines become binary trees (shared with `predict`)."""
    for option in reversed([
        click.option("--input", "input_kind",
                     type=click.Choice(["auto", "trees", "text", "tsv", "fasttext"]),
                     default="auto", show_default=True,
                     help="What a line holds: a bracketed tree, a raw sentence, or either (auto: a "
                          "line starting with '(' is a tree); tsv and fasttext: a labelled line "
                          "(label<TAB>..., __label__X ...) whose label is dropped, the rest read "
                          "as auto. With a sentence classifier, predict reads tsv and fasttext "
                          "lines the same way and every line as words."),
        click.option("--factor", type=click.Choice(["right", "left"]), default="right",
                     show_default=True,
                     help="How nodes with more than two children are binarized (NLTK's "
                          "chomsky_normal_form): new nodes to the right or to the left."),
        click.option("--collapse-unary/--keep-unary", default=True, show_default=True,
                     help="Merge a phrase node whose only child is a phrase into one node "
                          "labelled A+B (NLTK's collapse_unary; part-of-speech nodes and the "
                          "root are kept)."),
        click.option("--grammar", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Parse sentences with this CFG or PCFG in NLTK's notation "
                          "(S -> NP VP [1.0]); a CFG's rules count as equally likely."),
        click.option("--treebank", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Parse sentences with a PCFG induced from these bracketed trees (one a "
                          "line), exact Viterbi; words it never saw still parse, as rare words do. "
                          "With --grammar too, it is tried second."),
        click.option("--tokenizer", type=click.Choice(["treebank", "whitespace"]),
                     default="treebank", show_default=True,
                     help="How raw sentences are made tokens for trees (parse; predict with a "
                          "tree model or a parser): NLTK's Penn Treebank tokenizer (the tokens "
                          "of SST and the Penn Treebank), or split at whitespace (text "
                          "tokenized already)."),
        click.option("--shape", type=click.Choice(["right", "left", "balanced"]), default="right",
                     show_default=True,
                     help="Structure for sentences without a grammar or a trained parser, or "
                          "that no grammar covers and no parser takes (then with a warning): "
                          "right- or left-branching, or balanced."),
        click.option("--strict", is_flag=True,
                     help="Stop with an error at a blank or malformed line, instead of writing an "
                          "empty line and a warning."),
    ]):
        command = option(command)
    return command


def build_tree_maker(input_kind, factor, collapse_unary, grammar, treebank, tokenizer,
                     shape, parser=None, **options):
    """The ``parsing.TreeMaker`` that the options of ``tree_input_options`` describe, with
    the trained parser of checkpoint ``parser`` (a path) when one is given."""
    from rnntool import grammar as grammars, parsing

    parsers = []
    if grammar:
        parsers.append(grammars.load_grammar(grammar, **options))
    if treebank:
        parsers.append(grammars.load_treebank_grammar(treebank, factor=factor,
                                                      collapse=collapse_unary, **options))
    trained = None
    if parser:
        from rnntool.kinds.parser import SpanParser
        trained = SpanParser.load(parser)
    return parsing.TreeMaker(input_kind=input_kind, grammars=parsers, shape=shape,
                             factor=factor, collapse=collapse_unary, parser=trained,
                             tokenizer=tokenizer)


def parser_option(name: str, help: str):
    """The option naming a trained parser's checkpoint (``--model`` of parse, ``--parser``
    of predict)."""
    return click.option(name, "parser", metavar="CKPT", type=click.Path(dir_okay=False),
                        help=help)


@click.command("parse", epilog="""\b
Examples:
  rnntool parse corpora/sentiment/train.txt > train.trees
  rnntool parse --output pretty <<< '(S (NP the old man) (VP sat))'
  echo 'The cat sat on the mat .' | rnntool parse --treebank corpora/sentiment/train.txt
  printf 'the plot is not very good .\\nit was a complete delight .\\n' | \\
      rnntool parse --input text --grammar corpora/grammar.cfg --shape balanced
  echo '(S (NP (PRP they)) (VP (VBP want) (S (VP (TO to) (VP (VB go))))) (. .))' | \\
      rnntool parse --strict --factor left --keep-unary
  rnntool train parser corpora/sentiment/train.txt -o parser.pt
  echo 'the plot is not very good .' | rnntool parse --model parser.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--output", "output_format", type=click.Choice(["brackets", "pretty"]),
              default="brackets", show_default=True,
              help="One tree a line in bracket notation, or NLTK's drawing of each tree "
                   "followed by an empty line.")
@tree_input_options
@parser_option("--model", "Give sentences the trees of this parser (a checkpoint of `rnntool "
                          "train parser`); --grammar and --treebank, if given, are tried "
                          "first.")
@encoding_option
@errors_option
@threads_option
def command(files, input_kind, output_format, factor, collapse_unary, grammar, treebank,
            tokenizer, shape, strict, parser, encoding, decode_errors, threads):
    """Write one binary tree per input line, from bracketed trees or raw sentences.

    Reads FILES ('-' or none: stdin), one item a line: a bracketed tree in Penn Treebank or
    Stanford Sentiment Treebank style (labels optional, leaves split on ASCII whitespace
    only, PTB escapes kept as they are), or a raw sentence. Trees are binarized with NLTK;
    sentences are tokenized (--tokenizer) and given structure by --grammar, then
    --treebank, then a trained parser (--model), then --shape, whichever comes first and
    parses them. With --model, lines are parsed 256 at a time.

    Output lines match input lines one to one: a blank or malformed line gives an empty
    line and a warning on stderr naming the file and line (or, with --strict, an error).
    """
    from rnntool import parsing

    paths = input_paths(files, "trees or sentences")
    options = dict(encoding=encoding, errors=decode_errors)
    maker = build_tree_maker(input_kind, factor, collapse_unary, grammar, treebank, tokenizer,
                             shape, parser, **options)
    out = sys.stdout
    with contextlib.ExitStack() as stack:
        if parser:  # the trained parser's forward passes (torch is not needed otherwise)
            from rnntool.threads import tuned_forwards
            stack.enter_context(tuned_forwards(threads))
        for record in parsing.parse_files(paths, maker, output=output_format, strict=strict,
                                          warn=warn, **options):
            out.write(record)
    out.flush()
