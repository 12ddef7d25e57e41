"""Labelled sentences for sequence classifiers: the line formats, labels and tokens.

One example a line, in one of these formats:

- ``tsv``: ``label<TAB>text``;
- ``fasttext``: ``__label__X text`` (the label token first, as fastText writes it);
- ``trees``: a bracketed tree (PTB / SST style): the root's label and the leaves, so the very
  treebank a tree model trains on trains a sequence model too;
- ``text``: the whole line is text, with no label (prediction only);
- ``auto``: decided per line: ``(`` starts a tree, ``__label__`` a fastText line, a TAB a
  tsv line; anything else is plain text (an error where a label is needed).

Text is tokenized with the vocabulary's tokenizer (``rnntool.text``); tree leaves are
tokens already. Every problem is an ``InputError`` naming the file and line.
Not here: vocabularies, batching, models. Tree lines are read with ``rnntool.trees`` (imported
where needed, to keep this module light); ``rnntool.parsing`` builds on this module, never
the reverse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from rnntool import text as textio
from rnntool.errors import InputError

FORMATS = ("auto", "tsv", "fasttext", "trees", "text")
FASTTEXT_PREFIX = "__label__"
ASCII_WHITESPACE = textio.ASCII_WHITESPACE
_ASCII_SPACE = re.compile(f"[{re.escape(ASCII_WHITESPACE)}]")
#: SST's binary convention for root labels: 0-1 negative ("0"), 3-4 positive ("1").
SST_BINARY = {"0": "0", "1": "0", "3": "1", "4": "1"}


@dataclass
class Line:
    """One input line taken apart: its label (None: none given), its tokens, its format."""

    label: str | None
    tokens: list[str]
    format: str
    tree: object = None  # the tree of a tree line, when asked to keep it


def line_format(line: str, fmt: str) -> str:
    """The format of ``line`` under ``fmt`` (``auto`` decided by the line's start)."""
    if fmt != "auto":
        return fmt
    stripped = line.lstrip(" ")
    if stripped.startswith("("):
        return "trees"
    if stripped.startswith(FASTTEXT_PREFIX):
        return "fasttext"
    if "\t" in line:
        return "tsv"
    return "text"


def split_label(line: str, fmt: str) -> tuple[str | None, str]:
    """``(label, text)`` of a ``tsv``, ``fasttext`` or ``text`` line (label None for text);
    ValueError says what is wrong."""
    if fmt == "text":
        return None, line
    if fmt == "tsv":
        if "\t" not in line:
            raise ValueError("no TAB: a tsv line is label<TAB>text")
        label, text = line.split("\t", 1)
        label = label.strip()
        if not label:
            raise ValueError("empty label before the TAB")
        return label, text
    if fmt == "fasttext":
        # As fastText reads it: the label token ends at any ASCII whitespace, a TAB too.
        first, text = _first_word(line.lstrip(ASCII_WHITESPACE))
        if not first.startswith(FASTTEXT_PREFIX) or first == FASTTEXT_PREFIX:
            raise ValueError(f"a fastText line starts with {FASTTEXT_PREFIX}LABEL")
        if text.lstrip(ASCII_WHITESPACE).startswith(FASTTEXT_PREFIX):
            raise ValueError("more than one label: each line holds one example of one class")
        return first[len(FASTTEXT_PREFIX):], text
    raise ValueError(f"unknown format {fmt!r}")


def _first_word(text: str) -> tuple[str, str]:
    """``text`` split at its first ASCII whitespace character (which is dropped)."""
    found = _ASCII_SPACE.search(text)
    return (text[:found.start()], text[found.end():]) if found else (text, "")


def split_line(line: str, fmt: str, tokenize: Callable[[str], list[str]],
               keep_tree: bool = False) -> Line:
    """``line`` (no line end) as a label and tokens; ValueError says what is wrong."""
    from rnntool import trees

    fmt = line_format(line, fmt)
    if fmt == "trees":
        try:
            tree = trees.read_tree(line)
        except trees.BracketError as exc:
            raise ValueError(str(exc)) from None
        label = tree.label() or None
        return Line(label, trees.leaves(tree), fmt, tree if keep_tree else None)
    label, text = split_label(line, fmt)
    tokens = [t for t in tokenize(text) if t != textio.LINE_END]
    if not tokens:
        raise ValueError("no text" + (" after the label" if label is not None else ""))
    if len(tokens) > textio.MAX_SENTENCE_WORDS:
        raise ValueError(f"a sentence of {len(tokens):,} words; a sentence may have at most "
                         f"{textio.MAX_SENTENCE_WORDS:,}")
    return Line(label, tokens, fmt)


def read_examples(paths: list[str], fmt: str, tokenize: Callable[[str], list[str]], *,
                  binary: bool = False, lowercase: bool = False, phrases: bool = False,
                  on_error: str = "error", warn: Callable[[str], None] | None = None,
                  encoding: str = "utf-8",
                  errors: str = "strict") -> tuple[list[str], list[list[str]]]:
    """The labels and token lists of every example in ``paths`` (blank lines skipped).

    Every line needs a label. ``binary``: SST's convention on 0-4 labels (neutral 2 dropped).
    ``phrases``: a tree gives, besides its sentence, every distinct labelled phrase under its
    root (each subtree's leaves; SST labels every phrase), each phrase once per file.
    A line that does not read raises ``InputError`` naming the file and line; with
    ``on_error="skip"`` it is left out, and ``warn`` told how many were at the end.
    """
    from rnntool.trees import iter_lines

    labels: list[str] = []
    tokens: list[list[str]] = []
    for path in paths:
        name = textio.display_name(path)
        seen: set[tuple[str, ...]] = set()
        skipped: list[str] = []
        for number, text in enumerate(iter_lines(path, encoding=encoding, errors=errors), 1):
            if not text.strip():
                continue
            try:
                examples = _examples(split_line(text.rstrip("\r"), fmt, tokenize, phrases),
                                     binary, seen if phrases else None)
            except ValueError as exc:
                if on_error != "skip":
                    raise InputError(f"{name}: line {number}: {exc}") from None
                skipped.append(f"line {number}: {exc}")
                continue
            for label, words in examples:
                labels.append(label)
                tokens.append([t.lower() for t in words] if lowercase else words)
        if skipped and warn is not None:
            warn(f"{name}: skipped {len(skipped)} bad line{'s' if len(skipped) > 1 else ''} "
                 f"(the first: {skipped[0]})")
    return labels, tokens


def _examples(line: Line, binary: bool, seen: set | None) -> list[tuple[str, list[str]]]:
    """The ``(label, words)`` examples of one line (with its phrases, given ``seen``);
    ValueError says what is wrong with it."""
    if line.label is None:
        raise ValueError("a tree without a root label" if line.format == "trees" else
                         "no label (expected label<TAB>text, __label__X text or a labelled "
                         "tree)")
    examples = [(line.label, line.tokens)]
    if seen is not None and line.tree is not None:
        examples += _phrases(line.tree, seen)
    if not binary:
        return examples
    kept = []
    for label, words in examples:
        if label not in SST_BINARY and label != "2":
            raise ValueError(f"label {label!r} is not an SST class (0-4) for --binary")
        if label != "2":
            kept.append((SST_BINARY[label], words))
    return kept


def _phrases(tree, seen: set) -> list[tuple[str, list[str]]]:
    """``(label, leaves)`` of every labelled proper subtree whose leaves are not in ``seen``
    (which then holds them), in postorder. Iterative, linear in the tree's size."""
    from rnntool.trees import Tree

    words: list[str] = []
    found = []
    stack: list = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):  # leaving a subtree that started at word item[1]
            node, start = item
            key = tuple(words[start:])
            if node is not tree and node.label() and key not in seen:
                seen.add(key)
                found.append((node.label(), list(key)))
        elif isinstance(item, Tree):
            stack.append((item, len(words)))
            stack.extend(reversed(item))
        else:
            words.append(item)
    return found


def sort_labels(labels) -> list[str]:
    """The distinct labels in a stable order: by number when all are integers, else by text."""
    distinct = set(labels)
    try:
        return sorted(distinct, key=int)
    except ValueError:
        return sorted(distinct)
