"""Training recursive networks (rnn, rntn, Tree-LSTM) on labelled binary trees.

``read_data`` reads treebanks (files, one bracketed tree a line, or NLTK trees in memory),
normalized as ``rnntool parse`` makes them; ``train`` builds the vocabulary of the leaves
and the model, and runs the shared epoch loop, every minibatch evaluated level by level
(``rnntool.treebatch``), keeping the checkpoint with the best development root accuracy.
Under torchrun each rank computes every N-th tree of a batch.

Not here: the model and its hand-written backward pass (``rnntool.models.tree``), tree
reading and writing (``rnntool.trees``), the shared loop (``rnntool.training.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from rnntool import checkpoint
from rnntool.console import ProgressReporter
from rnntool.console import warn as console_warn
from rnntool.distributed import SINGLE, Group
from rnntool.errors import InputError, RnnToolError
from rnntool.training import inputs
from rnntool.training.engine import (Checkpointer, data_digest, fit_epochs, init_embeddings,
                                     new_record, resuming, shuffled_batches)


@dataclass
class TreeData:
    """What a tree model trains on: normalized binary trees, development trees (or None),
    word vectors to start from (a function of the vocabulary, or None) and where they came
    from (the training record's ``train`` and ``dev``)."""

    train: list
    dev: list | None
    embeddings: Callable | None
    source: dict


def word_vectors(path, encoding: str = "utf-8", errors: str = "strict") -> Callable | None:
    """``embeddings(vocab, dim)`` -> ``(rows, vectors)`` from a word2vec/GloVe text file,
    read once the vocabulary is known (None without a file)."""
    import functools
    import os

    if path is None:
        return None
    from rnntool import wordvectors
    return functools.partial(wordvectors.load_vectors, os.fspath(path), encoding=encoding,
                             errors=errors)


def read_trees(source, what: str, *, binary: bool, on_error: str = "error",
               warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
               errors: str = "strict") -> list:
    """The normalized trees of ``source``: treebank files (a path or list of paths) or NLTK
    trees in memory (copied first; ``what`` names them in errors). With ``binary``, every
    label must be one of SST's classes 0-4."""
    from rnntool import trees
    from rnntool.treebatch import sst_labels

    check = sst_labels if binary else None
    paths = inputs.paths(source)
    if paths is not None:
        return [trees.normalize(tree) for path in paths for tree in trees.read_treebank(
            path, check=check, on_error=on_error, warn=warn, encoding=encoding,
            errors=errors)]
    found = []
    for number, tree in enumerate(source, 1):
        if not isinstance(tree, trees.Tree):
            raise TypeError(f"{what} tree {number}: expected an nltk Tree, not "
                            f"{type(tree).__name__}")
        if check is not None:
            try:
                check(tree)
            except ValueError as exc:
                raise InputError(f"{what} tree {number}: {exc}") from None
        found.append(trees.normalize(inputs.copy_tree(tree)))
    return found


def read_data(train, dev=None, *, settings, embeddings=None, on_error: str = "error",
              warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
              errors: str = "strict") -> TreeData:
    """The training data of a tree model: ``train`` and ``dev`` (None: no validation) as
    treebank files or NLTK trees (``read_trees``), and the ``embeddings`` file."""
    options = dict(binary=settings.binary, on_error=on_error, warn=warn, encoding=encoding,
                   errors=errors)
    return TreeData(read_trees(train, "training", **options),
                    read_trees(dev, "development", **options) if dev is not None else None,
                    word_vectors(embeddings, encoding, errors),
                    {"train": inputs.recorded(train), "dev": inputs.recorded(dev)})


def tree_vocab(trees, min_count: int = 1):
    """The word vocabulary of the leaves of ``trees`` (leaves are tokens already)."""
    import collections
    from rnntool.trees import leaves
    from rnntool.vocab import Vocab

    counts = collections.Counter(word for tree in trees for word in leaves(tree))
    return Vocab.from_counts(counts, "word", min_count=min_count, tokenizer="whitespace")


def count_classes(trees) -> int:
    """One more than the largest class id among the node labels (at least 2)."""
    from rnntool.treebatch import class_id
    from rnntool.trees import preorder

    top = max((class_id(node.label()) for tree in trees for node in preorder(tree)
               if hasattr(node, "label")), default=-1)
    if top < 0:
        raise RnnToolError("no node of the training trees has a class label (0, 1, 2, ...)")
    return max(2, top + 1)


def train(data: TreeData, settings, output: str, *, resume: dict | None = None,
          resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a recursive network on ``data``; write the checkpoint with the best development
    root accuracy (or the last one, without development trees) to ``output``.

    Word vectors (``data.embeddings``) are loaded once the vocabulary is known.
    ``resume``: a loaded checkpoint of a run on the same trees to go on from (its
    vocabulary and classes are kept); ``metrics`` and ``group`` as for
    ``rnntool.training.lm.train`` (each rank computes every N-th tree of a batch). Returns
    a summary dict.
    """
    import torch
    from rnntool.evaluate import tree_accuracy
    from rnntool.memory import new_model
    from rnntool.models.tree import TreeModel
    from rnntool.optim import RowSparseOptimizer
    from rnntool.treebatch import collate, flatten_all, sst_binary

    train_trees, dev_trees = data.train, data.dev
    settings.check()
    if not train_trees:
        raise RnnToolError("there are no training trees")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
        classes = int(resume["training"]["classes"])
    else:
        vocab = tree_vocab(train_trees, settings.min_count)
        classes = 2 if settings.binary else count_classes(train_trees)
    model = new_model(settings, TreeModel, len(vocab), classes,
                      embed=settings.embed or settings.hidden, hidden=settings.hidden,
                      cell=settings.cell, dropout=settings.dropout)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train tree", enabled=is_main)
    if data.embeddings is not None and resume is None:
        init_embeddings(model.embedding, data.embeddings, vocab, reporter)
    optimizer = RowSparseOptimizer(model, model.embedding, settings.optimizer,
                                   settings.learning_rate(), settings.weight_decay)
    net = group.wrap(model)
    flat = flatten_all(train_trees, vocab.id_of, None if settings.binary else classes)
    order_rng = torch.Generator().manual_seed(settings.random_seed)
    record = new_record(settings, {**data.source, **(extra_settings or {})}, "trees_seen",
                        "best_dev_root_accuracy",
                        data_digest(*((f.words, f.labels, f.left, f.right) for f in flat)),
                        classes=classes)
    saver = Checkpointer("tree", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)

    n = len(train_trees)
    reporter.message(f"{resuming(position)}training a {settings.cell} tree model (hidden "
                     f"{settings.hidden}, {classes} classes) on {n:,} trees, {len(vocab):,} "
                     f"words; " + (f"validating on {len(dev_trees):,} trees each epoch"
                                   if dev_trees else "no validation"))

    def step_loss(indices):
        batch = collate([flat[i] for i in indices])
        labels = sst_binary(batch.labels) if settings.binary else batch.labels
        return TreeModel.loss_sum(net(batch), labels, settings.node_loss, batch.roots)

    def validate():
        scores = tree_accuracy(model, dev_trees, vocab, binary=settings.binary, classes=classes)
        root, every = group.broadcast([scores["root_accuracy"], scores["all_accuracy"]])
        return (root, {"dev_root_accuracy": root, "dev_all_accuracy": every},
                f"dev root accuracy {root:.4f}, all nodes {every:.4f}")

    summary = fit_epochs(model, saver, settings,
                         lambda: shuffled_batches(n, settings.batch_size, order_rng),
                         order_rng, step_loss, validate if dev_trees else None, reporter,
                         unit="trees", best_key="best_dev_root_accuracy", position=position,
                         metrics=metrics, group=group)
    return {**summary, "classes": classes}
