"""Binary trees as sets of spans: the brackets of a tree, the best binary tree over span
scores (CKY), and unlabelled bracket scores. The arithmetic of the trained parser
(``rnntool.models.parser``), kept apart from torch so that it can be read and tested alone.

A sentence of ``n`` tokens has fenceposts ``0..n``; the span ``(i, j)`` covers tokens ``i``
to ``j - 1``. A binary tree over ``n >= 2`` tokens has exactly ``n - 1`` spans of two or
more tokens (its inner nodes, the whole sentence among them), so the best tree under a sum
of span scores is found by exact CKY in ``O(n^3)``, and two binary trees over the same
tokens always have as many brackets: unlabelled precision and recall are equal then.

Not here: reading trees (``rnntool.trees``), scoring spans (``rnntool.models.parser``),
raw sentences (``rnntool.parsing``).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
from nltk.tree import Tree


#: Sentence lengths grouped for the report of ``bracket_scores`` (the last is open).
LENGTH_BINS = ((1, 10), (11, 20), (21, 30), (31, 40), (41, None))


def tree_spans(tree: Tree) -> tuple[list[str], set[tuple[int, int]]]:
    """``(tokens, spans)``: the leaves of ``tree`` and the spans of its nodes over two or
    more leaves (a unary chain gives its span once)."""
    tokens: list[str] = []
    spans: set[tuple[int, int]] = set()
    stack = [(tree, 0, 0)]  # (node, its next child, the token it starts at)
    while stack:
        node, child, start = stack.pop()
        if child == len(node):
            if len(tokens) - start >= 2:
                spans.add((start, len(tokens)))
            continue
        stack.append((node, child + 1, start))
        if isinstance(node[child], Tree):
            stack.append((node[child], 0, len(tokens)))
        else:
            tokens.append(node[child])
    return tokens, spans


def spans_tree(tokens: list[str], spans: Iterable[tuple[int, int]], label: str = "X") -> Tree:
    """The tree over ``tokens`` whose inner nodes are ``spans`` (a binary tree's brackets,
    the whole sentence among them), every node labelled ``label`` and the tokens its bare
    leaves: ``(X a (X b c))``. One token: ``(X a)``."""
    n = len(tokens)
    if n == 0:
        raise ValueError("no tokens")
    if n == 1:
        return Tree(label, [tokens[0]])
    starting: dict[int, list[int]] = {}
    for i, j in spans:
        starting.setdefault(i, []).append(j)
    # the left child is the longest span from ``start`` inside this one
    return split_tree(tokens, lambda start, end: max(
        (j for j in starting.get(start, ()) if j < end), default=start + 1), label)


def split_tree(tokens: list[str], split, label: str = "X") -> Tree:
    """The binary tree over ``tokens`` (two or more) whose node over tokens ``start`` to
    ``end - 1`` has its right child start at token ``split(start, end)``; every node
    labelled ``label``, the tokens its bare leaves. Built without recursion."""
    root = Tree(label, [])
    stack = [(root, 0, len(tokens))]
    while stack:
        node, start, end = stack.pop()
        middle = split(start, end)
        for lo, hi in ((start, middle), (middle, end)):
            if hi - lo == 1:
                node.append(tokens[lo])
            else:
                child = Tree(label, [])
                node.append(child)
                stack.append((child, lo, hi))
    return root


def best_trees(scores: np.ndarray, lengths: Iterable[int]) -> list[set[tuple[int, int]]]:
    """The spans of the best binary tree of each sentence of a batch: ``scores[b, i, j]``
    scores span ``(i, j)`` of sentence ``b`` (entries with ``j - i < 2`` and beyond a
    sentence's length are not read), and a tree scores the sum of its spans. Exact CKY,
    one pass per span width across the whole batch; ties go to the leftmost split."""
    scores = np.asarray(scores, dtype=np.float64)
    lengths = [int(n) for n in lengths]
    batch, size = len(lengths), max(lengths, default=0)
    if not batch:
        return []
    best = np.zeros((batch, size + 1, size + 1))
    split = np.zeros((batch, size + 1, size + 1), dtype=np.int64)
    for width in range(2, size + 1):
        starts = np.arange(size - width + 1)[:, None]          # [starts, 1]
        middles = starts + np.arange(1, width)[None, :]        # [starts, width - 1]
        inside = best[:, starts, middles] + best[:, middles, starts + width]
        choice = inside.argmax(axis=2)                         # [batch, starts]
        first, ends = starts[:, 0], starts[:, 0] + width
        best[:, first, ends] = (scores[:, first, ends]
                                + np.take_along_axis(inside, choice[..., None], 2)[..., 0])
        split[:, first, ends] = first[None, :] + 1 + choice
    found = []
    for b, n in enumerate(lengths):
        spans: set[tuple[int, int]] = set()
        stack = [(0, n)] if n >= 2 else []
        while stack:
            i, j = stack.pop()
            spans.add((i, j))
            k = int(split[b, i, j])
            stack.extend(span for span in ((i, k), (k, j)) if span[1] - span[0] >= 2)
        found.append(spans)
    return found


def brackets(spans: Iterable[tuple[int, int]], length: int) -> set[tuple[int, int]]:
    """The spans that count as brackets: not the whole sentence (every tree has it), not a
    single token (the convention of evaluations of unsupervised parsers)."""
    return {(i, j) for i, j in spans if j - i >= 2 and (i, j) != (0, length)}


def bracket_scores(gold: list[set[tuple[int, int]]], predicted: list[set[tuple[int, int]]],
                   lengths: list[int]) -> dict:
    """Unlabelled bracket precision, recall and F1 over all sentences (``brackets``: the
    whole sentence and single tokens are not counted), the share of sentences parsed
    exactly, and the same by sentence length (``LENGTH_BINS``)."""
    def scores(rows) -> dict:
        matched = sum(len(g & p) for g, p, _ in rows)
        in_gold = sum(len(g) for g, _, _ in rows)
        in_predicted = sum(len(p) for _, p, _ in rows)
        precision = matched / in_predicted if in_predicted else 1.0
        recall = matched / in_gold if in_gold else 1.0
        total = precision + recall
        return {"sentences": len(rows), "precision": precision, "recall": recall,
                "f1": 2 * precision * recall / total if total else 0.0,
                "exact_match": sum(g == p for g, p, _ in rows) / len(rows) if rows else 0.0,
                "brackets": in_gold}

    rows = [(brackets(g, n), brackets(p, n), n) for g, p, n in zip(gold, predicted, lengths)]
    by_length = {}
    for low, high in LENGTH_BINS:
        inside = [row for row in rows if row[2] >= low and (high is None or row[2] <= high)]
        if inside:
            by_length[f"{low}-{high}" if high else f"{low}+"] = scores(inside)
    return {**scores(rows), "by_length": by_length}
