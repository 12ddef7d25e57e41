"""Turning input lines into normalized binary trees: the work of ``rnntool parse``.

A line is a bracketed tree, a raw sentence, or a labelled line (tsv, fastText) whose label
is dropped. A sentence is tokenized (NLTK's TreebankWordTokenizer) and gets its structure
from the grammars given (``rnntool.grammar``), else from a fixed shape (right- or
left-branching, balanced). ``TreeMaker`` does one line, ``make_trees`` and ``parse_files``
whole files, with the warnings and errors the command line shows.

Not here: tree structure, bracket I/O and binarizing (``rnntool.trees``), grammars and
their parsers (``rnntool.grammar``), the label formats (``rnntool.labelled``), option
parsing (``rnntool.cli.parse``), anything about models or torch. The layers go
trees <- labelled, grammar <- parsing: none of those imports this module.
"""

from __future__ import annotations

from typing import Callable, Iterator

from rnntool import text as textio
from rnntool.errors import InputError
from rnntool.grammar import GrammarParser
from rnntool.labelled import split_label
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
    root = Tree(label, [])
    stack = [(root, 0, len(tokens))]
    while stack:
        node, start, end = stack.pop()
        middle = (start + end + 1) // 2
        for lo, hi in ((start, middle), (middle, end)):
            if hi - lo == 1:
                node.append(tokens[lo])
            else:
                child = Tree(label, [])
                node.append(child)
                stack.append((child, lo, hi))
    return root


# --- lines to trees -----------------------------------------------------------------------

class TreeMaker:
    """Turns one input line into one normalized binary tree, or raises ``LineError``.

    ``input_kind``: ``trees`` (a bracketed tree), ``text`` (a raw sentence), ``auto`` (a
    tree when the line starts with '('), or ``tsv`` / ``fasttext`` (a labelled line,
    ``label<TAB>...`` or ``__label__X ...``: the label is dropped and the rest read as
    ``auto``). Sentences go to the grammars in order, then to the
    shape; ``on_fallback(reason)`` is told when a grammar could not parse a sentence.
    """

    def __init__(self, *, input_kind: str = "auto", grammars: list[GrammarParser] = (),
                 shape: str = "right", factor: str = "right", collapse: bool = True,
                 on_fallback: Callable[[str], None] | None = None):
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"input_kind must be one of {INPUT_KINDS}")
        self.input_kind = input_kind
        self.grammars = list(grammars)
        self.shape = shape
        self.factor = factor
        self.collapse = collapse
        self.on_fallback = on_fallback

    def make(self, line: str) -> Tree:
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
        as_tree = given == "trees" or (given == "auto" and stripped.startswith("("))
        if as_tree:
            try:
                tree = read_tree(line)
            except BracketError as exc:
                raise LineError(str(exc)) from None
        else:
            tree = self.parse_sentence(stripped)
        return normalize(tree, self.factor, self.collapse)

    def parse_sentence(self, sentence: str) -> Tree:
        tokens = tokenize(sentence)
        reasons = []
        for grammar in self.grammars:
            tree = grammar.parse(tokens)
            if tree is not None:
                return tree
            reasons.append(grammar.reason)
        if reasons and self.on_fallback is not None:
            self.on_fallback("; ".join(reasons) + f"; used the {self.shape} shape")
        return shape_tree(tokens, self.shape)


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


def make_trees(paths: list[str], maker: TreeMaker, *, render: Callable | None = None,
               strict: bool = False, warn: Callable[[str], None] = lambda message: None,
               max_warnings: int = 20, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator:
    """One normalized binary tree per input line, in order (or ``render(tree)``, which may
    raise ``LineError`` too), or None for a line that gives none, with
    ``warn("FILE: line N: why")``; with ``strict`` such a line raises ``InputError``
    instead. Grammar fallbacks are warned about the same way. After ``max_warnings``
    warnings the rest are counted and summed up in one last warning.
    """
    where = {"name": "", "line": 0}
    counts = {"warnings": 0, "bad": 0, "fallbacks": 0}
    outer_fallback = maker.on_fallback

    def say(message: str) -> None:
        counts["warnings"] += 1
        if counts["warnings"] <= max_warnings:
            warn(message)

    def fallback(reason: str) -> None:
        counts["fallbacks"] += 1
        say(f"{where['name']}: line {where['line']}: {reason}")
        if outer_fallback is not None:
            outer_fallback(reason)

    maker.on_fallback = fallback
    try:
        for path in paths:
            where["name"], where["line"] = textio.display_name(path), 0
            for line in iter_lines(path, encoding=encoding, errors=errors):
                where["line"] += 1
                try:
                    tree = maker.make(line)
                    if render is not None:
                        tree = render(tree)
                except LineError as exc:
                    message = f"{where['name']}: line {where['line']}: {exc}"
                    if strict:
                        raise InputError(message) from None
                    counts["bad"] += 1
                    say(message)
                    tree = None
                yield tree
    finally:
        maker.on_fallback = outer_fallback
    hidden = counts["warnings"] - max_warnings
    if hidden > 0:
        warn(f"{hidden} more warnings not shown ({counts['bad']} lines gave no tree, "
             f"{counts['fallbacks']} sentences fell back to the {maker.shape} shape)")
