"""Batches of binary trees flattened for level-batched recursive networks.

``build_batch`` turns a list of binary ``nltk.Tree``s into a ``TreeBatch``: flat numpy arrays
of nodes (leaf word ids, a label per node) and a level schedule, so that a model computes
every node of one height, across the whole batch, with one batched composition. It is
``flatten`` (one tree walked into a ``FlatTree``, done once per training tree) followed by
``collate`` (flattened trees concatenated and sorted by height in numpy, per minibatch).

Which nodes there are:

- A leaf node is a word. A preterminal (a node over a single word, SST's ``(2 good)``) *is*
  the leaf node of its word and carries the preterminal's label; a bare word that is the
  child of a binary node is a leaf node without a label.
- A binary node (two children) is an inner node.
- A unary chain over a phrase (``(ROOT (S ...))``, PTB's ``(NP (PRP he))``) is one node:
  the node at its bottom, labelled with the highest label of the chain that is a class id.
- A node with no child or more than two children raises ValueError (binarize first:
  ``rnntool.trees.normalize``).

A label is a class id when it is a decimal number (``0`` .. ``classes - 1``); any other label
(``NP``, ``X``) leaves its node unlabelled (-1).

Node order in a batch: by height (leaves, height 0, first; then height 1, 2, ...), and within
a height by tree, then by the tree's postorder. So the nodes of height ``h`` are the range
``level_offsets[h]:level_offsets[h + 1]`` and every child comes before its parent. Everything
is walked with explicit stacks (trees thousands of levels deep are fine) and sorted in numpy.

Not here: torch, models, reading tree files (``rnntool.trees``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from nltk.tree import Tree

UNLABELLED = -1


@dataclass
class TreeBatch:
    """Nodes of several trees, sorted by height (see the module docstring).

    ``words``: [num_leaves] int64 word ids of the leaf nodes (nodes ``0 .. num_leaves - 1``).
    ``labels``: [num_nodes] int64 class ids, -1 for unlabelled nodes.
    ``children``: [num_nodes - num_leaves, 2] int64, the (left, right) node indices of inner
    node ``num_leaves + i`` in row ``i``.
    ``level_offsets``: [max_height + 2] int64: height ``h`` is nodes
    ``level_offsets[h]:level_offsets[h + 1]``.
    ``roots``: [num_trees] int64 node index of each tree's root.
    ``tree_of``, ``position``: [num_nodes] int64, the tree of each node and its place in that
    tree's postorder (leaf nodes included, left to right).
    """

    words: np.ndarray
    labels: np.ndarray
    children: np.ndarray
    level_offsets: np.ndarray
    roots: np.ndarray
    tree_of: np.ndarray
    position: np.ndarray

    @property
    def num_nodes(self) -> int:
        return len(self.labels)

    @property
    def num_leaves(self) -> int:
        return len(self.words)

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    @property
    def max_height(self) -> int:
        return len(self.level_offsets) - 2

    def levels(self):
        """``(start, stop, children)`` for each height from 1 up: the inner nodes
        ``start:stop`` and their ``[stop - start, 2]`` children rows."""
        base = self.num_leaves
        offsets = self.level_offsets.tolist()
        for h in range(1, len(offsets) - 1):
            start, stop = offsets[h], offsets[h + 1]
            yield start, stop, self.children[start - base:stop - base]

    def tree_order(self) -> np.ndarray:
        """Node indices in tree order: tree 0's nodes in postorder, then tree 1's, ...
        (``values[batch.tree_order()]`` lists per-node values tree by tree)."""
        return np.lexsort((self.position, self.tree_of))

    def tree_sizes(self) -> np.ndarray:
        """The number of nodes of each tree."""
        return np.bincount(self.tree_of, minlength=self.num_trees)


def class_id(label, classes: int | None = None) -> int:
    """The class id a node label stands for, or -1 (``'3'`` -> 3, ``'NP'`` -> -1).

    ValueError when ``classes`` is given and the id is not below it."""
    if isinstance(label, str):
        if not (label.isascii() and label.isdigit()):
            return UNLABELLED
        value = int(label)
    elif isinstance(label, (int, np.integer)) and not isinstance(label, bool) and label >= 0:
        value = int(label)
    else:
        return UNLABELLED
    if classes is not None and value >= classes:
        raise ValueError(f"label {value} is not a class id below {classes}")
    return value


@dataclass
class FlatTree:
    """One tree flattened (see ``flatten``): its nodes in postorder, leaf nodes included.

    ``words``: [leaves] word ids, left to right. ``labels``, ``height``: [nodes]. ``left``,
    ``right``: [nodes] postorder indices of the children of inner nodes (-1 for leaves).
    """

    words: np.ndarray
    labels: np.ndarray
    height: np.ndarray
    left: np.ndarray
    right: np.ndarray


def flatten(tree: Tree, word_id: Callable[[str], int], classes: int | None = None,
            label_of: Callable | None = None) -> FlatTree:
    """``tree`` as a ``FlatTree``: the nodes ``build_batch`` sees, in postorder. Iterative.

    ``word_id`` maps a word to its id (``Vocab.id_of``); with ``classes``, a numeric label of
    ``classes`` or more is a ValueError rather than a silently unlabelled node."""
    if label_of is None:
        label_of = _label_reader(classes)
    words: list[int] = []
    labels: list[int] = []
    lefts: list[int] = []
    rights: list[int] = []
    heights: list[int] = []
    finished: list[tuple[int, int]] = []  # (node, height) of subtrees not yet combined
    stack: list = [tree]
    while stack:
        item = stack.pop()
        if type(item) is tuple:  # both children are done: the inner node
            right, right_height = finished.pop()
            left, left_height = finished.pop()
            height = 1 + (left_height if left_height > right_height else right_height)
            finished.append((len(labels), height))
            labels.append(item[0])
            lefts.append(left)
            rights.append(right)
            heights.append(height)
            continue
        if isinstance(item, Tree):
            label = label_of(item)
            node = item
            while len(node) == 1 and isinstance(node[0], Tree):
                node = node[0]
                if label < 0:
                    label = label_of(node)
            if len(node) == 2:
                stack.append((label,))
                stack.append(node[1])
                stack.append(node[0])
                continue
            if len(node) != 1:
                raise ValueError(
                    f"a node labelled {node.label()!r} has {len(node)} children; trees "
                    f"must be binary (binarize them first)")
            word = node[0]
        else:
            label, word = UNLABELLED, item
        finished.append((len(labels), 0))
        words.append(word_id(word))
        labels.append(label)
        lefts.append(-1)
        rights.append(-1)
        heights.append(0)
    return FlatTree(words=np.array(words, dtype=np.int64),
                    labels=np.array(labels, dtype=np.int64),
                    height=np.array(heights, dtype=np.int64),
                    left=np.array(lefts, dtype=np.int64),
                    right=np.array(rights, dtype=np.int64))


def _label_reader(classes: int | None) -> Callable:
    """``class_id`` of a node's label, memoized per label text."""
    cache: dict = {}

    def label_of(node) -> int:
        label = node.label()
        try:
            return cache[label]
        except KeyError:
            value = cache[label] = class_id(label, classes)
            return value
        except TypeError:  # an unhashable label
            return class_id(label, classes)
    return label_of


def flatten_all(trees: Sequence[Tree], word_id: Callable[[str], int],
                classes: int | None = None) -> list[FlatTree]:
    """``flatten`` of every tree (flatten a training set once, then ``collate`` batches)."""
    label_of = _label_reader(classes)
    return [flatten(tree, word_id, classes, label_of) for tree in trees]


def collate(flats: Sequence[FlatTree]) -> TreeBatch:
    """Several flattened trees as one ``TreeBatch`` (numpy only, no walk over the trees)."""
    if not len(flats):
        raise ValueError("no trees")
    sizes = np.array([len(f.labels) for f in flats], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    count = int(sizes.sum())
    height = np.concatenate([f.height for f in flats])
    shift = np.repeat(starts, sizes)
    lefts = np.concatenate([f.left for f in flats]) + shift
    rights = np.concatenate([f.right for f in flats]) + shift
    order = np.argsort(height, kind="stable")
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count, dtype=np.int64)
    words = np.concatenate([f.words for f in flats])
    inner = order[len(words):]
    children = np.empty((len(inner), 2), dtype=np.int64)
    children[:, 0] = rank[lefts[inner]]
    children[:, 1] = rank[rights[inner]]
    tree_of = np.repeat(np.arange(len(flats), dtype=np.int64), sizes)
    position = np.arange(count, dtype=np.int64) - shift
    return TreeBatch(
        words=words,
        labels=np.concatenate([f.labels for f in flats])[order],
        children=children,
        level_offsets=np.searchsorted(height[order], np.arange(height[order[-1]] + 2)),
        roots=rank[starts + sizes - 1],
        tree_of=tree_of[order],
        position=position[order],
    )


def build_batch(trees: Sequence[Tree], word_id: Callable[[str], int],
                classes: int | None = None) -> TreeBatch:
    """Flatten ``trees`` into one ``TreeBatch``; ``word_id`` maps a word to its id
    (``Vocab.id_of``). With ``classes``, a numeric label of ``classes`` or more is a
    ValueError rather than a silently unlabelled node."""
    if not len(trees):
        raise ValueError("no trees")
    return collate(flatten_all(trees, word_id, classes))


#: SST's binary convention: 0-1 negative (0), 3-4 positive (1), neutral 2 unlabelled.
_SST_BINARY = np.array([0, 0, UNLABELLED, 1, 1], dtype=np.int64)


def sst_binary(labels: np.ndarray) -> np.ndarray:
    """Fine-grained SST labels (0-4, -1 unlabelled) mapped to the binary convention."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.size and labels.max() > 4:
        raise ValueError(f"label {labels.max()} is not an SST class (0-4) for --binary")
    return np.where(labels >= 0, _SST_BINARY[np.clip(labels, 0, 4)], UNLABELLED)


def sst_labels(tree: Tree) -> None:
    """ValueError unless every class label of ``tree`` is an SST class (0-4), as
    ``sst_binary`` needs. Iterative."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            if class_id(node.label()) > 4:
                raise ValueError(f"label {node.label()} is not an SST class (0-4) for --binary")
            stack.extend(node)


def relabel(tree: Tree, labels: Sequence[str]) -> Tree:
    """A copy of ``tree`` as ``build_batch`` sees it -- unary chains merged into one node,
    preterminals as the leaf nodes, bare words wrapped in one -- with ``labels[i]`` on its
    ``i``-th node in the batch's postorder (``TreeBatch.tree_order``). Iterative."""
    labels = iter(labels)
    finished: list[Tree] = []
    stack: list = [tree]
    while stack:
        item = stack.pop()
        if item is None:  # both children are done
            right, left = finished.pop(), finished.pop()
            finished.append(Tree(next(labels), [left, right]))
            continue
        if isinstance(item, Tree):
            node = item
            while len(node) == 1 and isinstance(node[0], Tree):
                node = node[0]
            if len(node) == 2:
                stack.extend((None, node[1], node[0]))
                continue
            word = node[0]
        else:
            word = item
        finished.append(Tree(next(labels), [word]))
    return finished.pop()
