"""Training recurrent sentence classifiers (sentiment) on labelled sentences.

``read_data`` reads labelled lines (tsv, fastText or labelled trees, or in-memory pairs and
trees), tokenized and case-folded as the settings or a given vocabulary say, and the word
vectors to start from; ``train`` builds the vocabulary and the model (embedding, stacked
(bi)LSTM/GRU/RNN, pooling, linear) and runs the shared epoch loop over length-bucketed,
packed batches, keeping the checkpoint with the best development accuracy. Under torchrun
each rank computes every N-th sentence of a batch.

Not here: the model (``rnntool.models.sentiment``), the line formats
(``rnntool.labelled``), the shared loop (``rnntool.training.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from rnntool import checkpoint
from rnntool.console import ProgressReporter
from rnntool.console import warn as console_warn
from rnntool.distributed import SINGLE, Group
from rnntool.errors import RnnToolError
from rnntool.training import inputs
from rnntool.training.engine import (Checkpointer, data_digest, fit_epochs, init_embeddings,
                                     new_record, resuming)
from rnntool.training.tree import word_vectors


@dataclass
class SentimentData:
    """What a sentence classifier trains on: ``(labels, token lists)`` of the training and
    (or None) development sentences, the word vocabulary to use (None: built from the
    training words), word vectors to start from, and where the data came from."""

    train: tuple[list[str], list[list[str]]]
    dev: tuple[list[str], list[list[str]]] | None
    vocab: object
    embeddings: Callable | None
    source: dict


def read_data(train, dev=None, *, settings, vocab=None, embeddings=None,
              phrases: bool = True, on_error: str = "error",
              warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
              errors: str = "strict") -> SentimentData:
    """The training data of a sentence classifier: ``train`` and ``dev`` as labelled files
    (lines as ``settings.format`` says) or in-memory examples (``(label, text)`` pairs or
    labelled trees); with ``phrases``, training trees also give every labelled phrase.
    ``vocab``: a word Vocab whose tokenizer and case folding then apply (they go into
    ``settings``). ``embeddings``: a word2vec/GloVe text file."""
    from rnntool import labelled
    from rnntool import text as textio

    if vocab is not None:
        settings.tokenizer, settings.lowercase = vocab.tokenizer or "regexp", vocab.lowercase
    tokenize = textio.make_tokenizer(settings.tokenizer)

    def read(source, with_phrases: bool):
        paths = inputs.paths(source)
        if paths is not None:
            return labelled.read_examples(paths, settings.format, tokenize,
                                          binary=settings.binary, lowercase=settings.lowercase,
                                          phrases=with_phrases, on_error=on_error, warn=warn,
                                          encoding=encoding, errors=errors)
        return inputs.in_memory_examples(source, tokenize, binary=settings.binary,
                                         lowercase=settings.lowercase, phrases=with_phrases)

    train_paths = inputs.paths(train)
    return SentimentData(read(train, phrases), read(dev, False) if dev is not None else None,
                         vocab, word_vectors(embeddings, encoding, errors),
                         {"phrases": phrases,
                          "train": [inputs.absolute(p) for p in train_paths]
                          if train_paths else None, "dev": inputs.recorded(dev)})


def word_vocab(token_lists, *, min_count: int = 1, tokenizer: str = "treebank",
               lowercase: bool = False):
    """The word vocabulary of tokenized sentences (already lowercased if ``lowercase``)."""
    import collections
    from rnntool.vocab import Vocab

    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    return Vocab.from_counts(counts, "word", min_count=min_count, tokenizer=tokenizer,
                             lowercase=lowercase)


def train(data: SentimentData, settings, output: str, *, resume: dict | None = None,
          resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a sentence classifier on ``data``; write the checkpoint with the best
    development accuracy (or the last one, without development data) to ``output``.

    ``resume``: a loaded checkpoint of a run on the same data to go on from (its
    vocabulary is kept); ``metrics`` and ``group`` as for ``rnntool.training.lm.train``
    (each rank computes every N-th sentence of a batch). Returns a summary dict.
    """
    import torch
    import torch.nn.functional as F
    from rnntool.data import LengthBatches
    from rnntool.inference import sequence_probabilities
    from rnntool.labelled import sort_labels
    from rnntool.memory import new_model
    from rnntool.models.sentiment import SentimentModel
    from rnntool.optim import RowSparseOptimizer

    settings.check()
    labels, tokens = data.train
    dev_data, vocab = data.dev, data.vocab
    if not labels:
        raise RnnToolError("there are no training examples")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
    elif vocab is None:
        vocab = word_vocab(tokens, min_count=settings.min_count, tokenizer=settings.tokenizer,
                           lowercase=settings.lowercase)
    classes = sort_labels(labels)
    if len(classes) < 2:
        raise RnnToolError(f"the training data holds only one label ({classes[0]!r}); a "
                           f"classifier needs at least two")
    class_of = {label: i for i, label in enumerate(classes)}

    def encode(token_lists):
        return [vocab.ids_of(tokens) for tokens in token_lists]

    dev_ids = dev_targets = None
    if dev_data is not None and dev_data[0]:
        unseen = sorted(set(dev_data[0]) - set(classes))
        if unseen:
            raise RnnToolError(f"the development data holds label {unseen[0]!r}, which no "
                               f"training example has")
        dev_ids = encode(dev_data[1])
        dev_targets = np.array([class_of[label] for label in dev_data[0]], dtype=np.int64)
    sequences = encode(tokens)
    targets = [class_of[label] for label in labels]
    batches = LengthBatches(sequences, targets, settings.batch_size, seed=settings.random_seed)
    model = new_model(settings, SentimentModel, len(vocab), len(classes), embed=settings.embed,
                      hidden=settings.hidden, layers=settings.layers, cell=settings.cell,
                      bidirectional=settings.bidirectional, pool=settings.pool,
                      dropout=settings.dropout)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train sentiment", enabled=is_main)
    if data.embeddings is not None and resume is None:
        init_embeddings(model.embedding, data.embeddings, vocab, reporter)
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", settings.lr,
                                   settings.weight_decay)
    net = group.wrap(model)
    record = new_record(settings, {**data.source, **(extra_settings or {})}, "sentences_seen",
                        "best_dev_accuracy", data_digest(sequences, labels, vocab.tokens),
                        labels=classes)
    saver = Checkpointer("sentiment", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)

    n = len(labels)
    shape = (f"{settings.layers}x{settings.hidden} "
             f"{'bidirectional ' if settings.bidirectional else ''}{settings.cell}")
    reporter.message(f"{resuming(position)}training a {shape} classifier ({len(classes)} classes) on {n:,} "
                     f"sentences, {len(vocab):,} words; "
                     + (f"validating on {len(dev_ids):,} sentences each epoch" if dev_ids
                        else "no validation"))

    def step_loss(indices):
        ids, lengths, targets, _ = batches.batch(indices)
        return F.cross_entropy(net(ids, lengths), targets, reduction="sum"), len(targets)

    def validate():
        predicted = sequence_probabilities(model, dev_ids).argmax(1)
        accuracy = group.broadcast([float((predicted == dev_targets).mean())])[0]
        return accuracy, {"dev_accuracy": accuracy}, f"dev accuracy {accuracy:.4f}"

    summary = fit_epochs(model, saver, settings, batches.epoch, batches, step_loss,
                         validate if dev_ids else None, reporter, unit="sentences",
                         best_key="best_dev_accuracy", position=position,
                         metrics=metrics, group=group)
    return {**summary, "classes": classes}
