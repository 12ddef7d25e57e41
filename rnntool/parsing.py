"""Turning input lines into normalized binary trees: the work of ``rnntool parse``.

A line is a bracketed tree, a raw sentence, or a labelled line (tsv, fastText) whose label
is dropped. A sentence is tokenized (NLTK's TreebankWordTokenizer, or split on whitespace)
and gets its structure from the grammars given (``rnntool.grammar``), else from a trained
parser (any function from token lists to trees: ``rnntool.kinds.parser.SpanParser``), else
from a fixed shape (right- or left-branching, balanced). ``TreeMaker`` does lines,
``make_trees`` and ``parse_files`` whole files, with the warnings and errors the command
line shows.

Not here: tree structure, bracket I/O and binarizing (``rnntool.trees``), grammars and
their parsers (``rnntool.grammar``), the label formats (``rnntool.labelled``), option
parsing (``rnntool.cli.parse``), anything about models or torch. The layers go
trees <- labelled, grammar <- parsing: none of those imports this module.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from rnntool import text as textio
from rnntool.errors import InputError
from rnntool.grammar import GrammarParser
from rnntool.labelled import split_label
from rnntool.spans import split_tree
from rnntool.trees import (ASCII_WHITESPACE, BracketError, LineError, Tree, iter_lines,
                           normalize, pretty, read_tree, to_brackets)

SHAPES = ("right", "left", "balanced")
INPUT_KINDS = ("auto", "trees", "text", "tsv", "fasttext")
OUTPUT_FORMATS = ("brackets", "pretty")
#: The label of the inner nodes of trees built by a shape.
SHAPE_LABEL = "X"


# --- raw sentences ------------------------------------------------------------------------

_tokenizer = None


def tokenize(line: str) -> list[str]:
    """Penn Treebank tokens of a raw sentence (NLTK's TreebankWordTokenizer), with brackets
    escaped as -LRB-, -RRB-, -LSB-, ... Whitespace other than ASCII (such as U+00A0) is
    part of a token, not a separator."""
    global _tokenizer
    if _tokenizer is None:
        from nltk.tokenize import TreebankWordTokenizer
        _tokenizer = TreebankWordTokenizer()
    specials = sorted({c for c in line if c.isspace() and c not in ASCII_WHITESPACE})
    restore: dict[str, str] = {}
    if specials:
        free = (chr(code) for code in range(0xE000, 0xF900) if chr(code) not in line)
        protect = {}
        for char in specials:
            placeholder = next(free)
            protect[ord(char)] = placeholder
            restore[placeholder] = char
        line = line.translate(protect)
    tokens = textio.treebank_line(  # a long line in pieces, NLTK's time limit
        line, lambda piece: _tokenizer.tokenize(piece, convert_parentheses=True))
    if restore:
        table = {ord(k): v for k, v in restore.items()}
        tokens = [token.translate(table) for token in tokens]
    return [token.replace("(", "-LRB-").replace(")", "-RRB-") for token in tokens]


#: How raw sentences become tokens: NLTK's Penn Treebank tokenizer (``tokenize``), or
#: splitting on ASCII whitespace (text tokenized already).
TOKENIZERS = ("treebank", "whitespace")
_ASCII_SPACES = re.compile(f"[{re.escape(ASCII_WHITESPACE)}]+")


def tokens_of(sentence: str, tokenizer: str = "treebank") -> list[str]:
    """The tokens of a raw sentence by ``tokenizer`` (``TOKENIZERS``); round brackets
    become -LRB- and -RRB- either way, as in the Penn Treebank."""
    if tokenizer == "treebank":
        return tokenize(sentence)
    if tokenizer == "whitespace":
        return [token.replace("(", "-LRB-").replace(")", "-RRB-")
                for token in _ASCII_SPACES.split(sentence) if token]
    raise ValueError(f"tokenizer must be one of {TOKENIZERS}")


def shape_tree(tokens: list[str], shape: str = "right", label: str = SHAPE_LABEL) -> Tree:
    """A binary tree over ``tokens`` with a fixed shape; inner nodes are labelled ``label``.

    right: ``(X a (X b (X c d)))``; left: ``(X (X (X a b) c) d)``; balanced: each node
    splits its span in the middle (the left half gets the extra token). One token: ``(X a)``.
    """
    if not tokens:
        raise ValueError("no tokens")
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    if len(tokens) == 1:
        return Tree(label, [tokens[0]])
    if shape == "right":
        tree: Tree | str = Tree(label, tokens[-2:])
        for token in reversed(tokens[:-2]):
            tree = Tree(label, [token, tree])
        return tree  # type: ignore[return-value]
    if shape == "left":
        tree = Tree(label, tokens[:2])
        for token in tokens[2:]:
            tree = Tree(label, [tree, token])
        return tree  # type: ignore[return-value]
    return split_tree(tokens, lambda start, end: (start + end + 1) // 2, label)


# --- lines to trees -----------------------------------------------------------------------

class TreeMaker:
    """Turns input lines into normalized binary trees (``make`` one line, ``make_all`` a
    batch of them).

    ``input_kind``: ``trees`` (a bracketed tree), ``text`` (a raw sentence), ``auto`` (a
    tree when the line starts with '('), or ``tsv`` / ``fasttext`` (a labelled line,
    ``label<TAB>...`` or ``__label__X ...``: the label is dropped and the rest read as
    ``auto``). A sentence is split into tokens by ``tokenizer`` (``TOKENIZERS``) and goes
    to the grammars in order, then to ``parser`` (a trained parser: a function from lists
    of tokens to trees, None for a sentence it refuses, with its reason in its attribute
    ``refusal``: ``rnntool.kinds.parser.SpanParser``), else to the shape;
    ``on_fallback(reason)`` is told when the grammars or the parser could not parse a
    sentence and the shape was used.
    """

    def __init__(self, *, input_kind: str = "auto", grammars: list[GrammarParser] = (),
                 shape: str = "right", factor: str = "right", collapse: bool = True,
                 parser: Callable[[list[list[str]]], list[Tree]] | None = None,
                 tokenizer: str = "treebank",
                 on_fallback: Callable[[str], None] | None = None):
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"input_kind must be one of {INPUT_KINDS}")
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {TOKENIZERS}")
        self.input_kind = input_kind
        self.grammars = list(grammars)
        self.shape = shape
        self.factor = factor
        self.collapse = collapse
        self.parser = parser
        self.tokenizer = tokenizer
        self.on_fallback = on_fallback

    def make(self, line: str) -> Tree:
        """The tree of one line; ``LineError`` when it gives none."""
        (made, reason), = self.make_all([line])
        if reason is not None and self.on_fallback is not None:
            self.on_fallback(reason)
        if isinstance(made, LineError):
            raise made
        return made

    def make_all(self, lines: list[str]) -> list[tuple[Tree | LineError, str | None]]:
        """For each line, ``(tree, fallback)``: its normalized binary tree, or the
        ``LineError`` that says why it gives none, and why the shape was used for it (None
        when it was not). The sentences among the lines go to the parser together."""
        read: list = []
        for line in lines:
            try:
                read.append(self.read(line))
            except LineError as exc:
                read.append(exc)
        sentences = [i for i, item in enumerate(read)  # (a Tree is a list too)
                     if not isinstance(item, (Tree, LineError))]
        reasons: dict[int, str] = {}
        for i, (tree, reason) in zip(sentences, self.structure([read[i] for i in sentences])):
            read[i] = tree
            if reason is not None:
                reasons[i] = reason
        return [(item if isinstance(item, LineError)
                 else normalize(item, self.factor, self.collapse), reasons.get(i))
                for i, item in enumerate(read)]

    def read(self, line: str) -> Tree | list[str]:
        """A bracketed line's tree (not normalized yet) or a sentence's tokens; ``LineError``
        for a line that is neither."""
        stripped = line.strip(ASCII_WHITESPACE)
        if not stripped:
            raise LineError("blank line")
        given = self.input_kind
        if given in ("tsv", "fasttext"):
            try:
                line = split_label(line.strip("\r\n"), given)[1]
            except ValueError as exc:
                raise LineError(str(exc)) from None
            stripped, given = line.strip(ASCII_WHITESPACE), "auto"
            if not stripped:
                raise LineError("no text after the label")
        if given == "trees" or (given == "auto" and stripped.startswith("(")):
            try:
                return read_tree(line)
            except BracketError as exc:
                raise LineError(str(exc)) from None
        tokens = tokens_of(stripped, self.tokenizer)
        if not tokens:
            raise LineError("no tokens")
        return tokens

    def structure(self, sentences: list[list[str]]) -> list[tuple[Tree, str | None]]:
        """``(tree, fallback)`` of each sentence (a list of tokens): the first grammar's
        that parses it, else the parser's, else the shape's with the reasons of those that
        did not."""
        found: list = [None] * len(sentences)
        reasons: list[list[str]] = [[] for _ in sentences]
        for i, tokens in enumerate(sentences):
            for grammar in self.grammars:
                tree = grammar.parse(tokens)
                if tree is not None:
                    found[i], reasons[i] = tree, []
                    break
                reasons[i].append(grammar.reason)
        rest = [i for i, tree in enumerate(found) if tree is None]
        if self.parser is not None and rest:
            for i, tree in zip(rest, self.parser([sentences[i] for i in rest])):
                if tree is None:  # a sentence the parser refused
                    reasons[i].append(f"{len(sentences[i])} tokens, "
                                      f"{getattr(self.parser, 'refusal', 'not parsed')}")
                else:
                    found[i], reasons[i] = tree, []
        made = []
        for tree, tokens, why in zip(found, sentences, reasons):
            if tree is None:
                tree = shape_tree(tokens, self.shape)
            made.append((tree, "; ".join(why) + f"; used the {self.shape} shape"
                         if why else None))
        return made


def parse_files(paths: list[str], maker: TreeMaker, *, output: str = "brackets",
                **options) -> Iterator[str]:
    """One output record per input line, in order: a tree in brackets (one line) or drawn
    (``pretty``, followed by an empty line); an empty line where a line gave no tree (see
    ``make_trees`` for the options)."""
    if output not in OUTPUT_FORMATS:
        raise ValueError(f"output must be one of {OUTPUT_FORMATS}")
    render = to_brackets if output == "brackets" else pretty
    for text in make_trees(paths, maker, render=render, **options):
        yield "\n" if text is None else text + "\n"


#: Lines given to a trained parser together (without one, each line is made as it comes).
PARSER_BATCH = 256


def make_trees(paths: list[str], maker: TreeMaker, *, render: Callable | None = None,
               strict: bool = False, warn: Callable[[str], None] = lambda message: None,
               max_warnings: int = 20, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator:
    """One normalized binary tree per input line, in order (or ``render(tree)``, which may
    raise ``LineError`` too), or None for a line that gives none, with
    ``warn("FILE: line N: why")``; with ``strict`` such a line raises ``InputError``
    instead. Grammar fallbacks are warned about the same way, and ``maker.on_fallback`` is
    told of them. After ``max_warnings`` warnings the rest are counted and summed up in one
    last warning. With a trained parser (``maker.parser``) lines are made ``PARSER_BATCH``
    at a time; without one, each as it is read.
    """
    counts = {"warnings": 0, "bad": 0, "fallbacks": 0}

    def say(message: str) -> None:
        counts["warnings"] += 1
        if counts["warnings"] <= max_warnings:
            warn(message)

    def numbered():
        for path in paths:
            name = textio.display_name(path)
            for number, line in enumerate(iter_lines(path, encoding=encoding, errors=errors),
                                          1):
                yield name, number, line

    from rnntool.predicting import chunks
    for batch in chunks(numbered(), PARSER_BATCH if maker.parser is not None else 1):
        made = maker.make_all([line for _, _, line in batch])
        for (name, number, _), (tree, fallback) in zip(batch, made):
            if fallback is not None:
                counts["fallbacks"] += 1
                say(f"{name}: line {number}: {fallback}")
                if maker.on_fallback is not None:
                    maker.on_fallback(fallback)
            try:
                if isinstance(tree, LineError):
                    raise tree
                if render is not None:
                    tree = render(tree)
            except LineError as exc:
                message = f"{name}: line {number}: {exc}"
                if strict:
                    raise InputError(message) from None
                counts["bad"] += 1
                say(message)
                tree = None
            yield tree
    hidden = counts["warnings"] - max_warnings
    if hidden > 0:
        warn(f"{hidden} more warnings not shown ({counts['bad']} lines gave no tree, "
             f"{counts['fallbacks']} sentences fell back to the {maker.shape} shape)")
