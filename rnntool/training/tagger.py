"""Training sequence taggers: a tag for every word (parts of speech, named entities).

``read_data`` reads tagged sentences (CoNLL columns or word/TAG lines, or in-memory
``(words, tags)`` pairs); ``train`` builds the word (and optional character) vocabularies
and the model (embedding, optional character BiLSTM, stacked (bi)LSTM/GRU/RNN, a
classifier at every position) and runs the shared epoch loop over length-bucketed, packed
batches, keeping the checkpoint with the best development entity F1 (BIO tags) or token
accuracy. Under torchrun each rank computes every N-th sentence of a batch.

Not here: the model (``rnntool.models.tagger``), the file formats (``rnntool.tagging``),
the scores (``rnntool.tagscores``), the shared loop (``rnntool.training.engine``).
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
from rnntool.training.engine import (Checkpointer, data_digest, different_data, fit_epochs,
                                     new_record, resuming)
from rnntool.training.sentiment import word_vocab


@dataclass
class TaggerData:
    """What a tagger trains on: tagged training and (or None) development sentences
    (``rnntool.tagging.TaggedData``), and where they came from."""

    train: object
    dev: object | None
    source: dict


def read_data(train, dev=None, *, settings, on_error: str = "error",
              warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
              errors: str = "strict") -> TaggerData:
    """The training data of a tagger: ``train`` and ``dev`` as tagged files (a path or a
    list of paths, in ``settings.format``) or lists of ``(words, tags)`` pairs."""
    from rnntool import tagging

    def read(value):
        paths = inputs.paths(value)
        if paths is not None:
            return tagging.read_tagged(paths, settings.format, encoding=encoding,
                                       errors=errors, on_error=on_error, warn=warn)
        pairs = [(list(words), list(tags)) for words, tags in value]
        if any(len(w) != len(t) or not w for w, t in pairs):
            raise RnnToolError("every (words, tags) pair needs as many tags as words, and "
                               "at least one word")
        return tagging.TaggedData([w for w, _ in pairs], [t for _, t in pairs], "slash")

    train_paths = inputs.paths(train) or []
    return TaggerData(read(train), read(dev) if dev is not None else None,
                      {"train": [inputs.absolute(p) for p in train_paths],
                       "dev": inputs.recorded(dev)})


def char_vocab(words_lists):
    """The character vocabulary of the words of ``words_lists``."""
    import collections
    from rnntool.vocab import Vocab
    counts = collections.Counter(c for words in words_lists for word in words for c in word)
    return Vocab.from_counts(counts, "char")


def word_and_char_vocabs(sentences, settings):
    """``(word vocabulary, character vocabulary or None)`` of sentences (lists of words),
    with ``settings``' ``lowercase``, ``min_count`` and ``chars`` (shared with the
    parser)."""
    words = ([[w.lower() for w in s] for s in sentences] if settings.lowercase
             else sentences)
    vocab = word_vocab(words, min_count=settings.min_count, tokenizer="whitespace",
                       lowercase=settings.lowercase)
    return vocab, char_vocab(sentences) if settings.chars else None


def train(data: TaggerData, settings, output: str, *, resume: dict | None = None,
          resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a tagger on ``data``: a tag for every word. Sentences of similar length are
    batched together and run packed. Each epoch is validated on the development sentences
    (if any): token accuracy, and for BIO(ES) tags the entity F1, which then chooses the
    checkpoint (token accuracy otherwise). The word and character vocabularies and the
    tags are kept in the checkpoint. ``resume``, ``group``, ``metrics`` as for
    ``rnntool.training.lm.train``.
    """
    import torch
    from rnntool.data import LengthBatches, encode_batch, sentence_ids
    from rnntool.memory import new_model
    from rnntool.models.tagger import TaggerModel
    from rnntool.optim import RowSparseOptimizer
    from rnntool.inference import tag_sentences
    from rnntool.tagscores import is_bio, tag_vocabulary, tagging_report
    from rnntool.vocab import Vocab

    train_data, dev_data = data.train, data.dev
    settings.check()
    if not train_data.words:
        raise RnnToolError("there are no training sentences")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
        tagger = resume["training"]["tagger"]
        tags = list(tagger["tags"])
        chars = Vocab.from_dict(tagger["chars"]) if tagger["chars"] else None
        if {t for sentence in train_data.tags for t in sentence} - set(tags):
            raise different_data(resume_path)
    else:
        vocab, chars = word_and_char_vocabs(train_data.words, settings)
        tags = tag_vocabulary(train_data.tags)
    tag_of = {tag: i for i, tag in enumerate(tags)}
    dev_words = dev_gold = None
    if dev_data is not None and dev_data.words:
        unseen = sorted({t for s in dev_data.tags for t in s} - set(tags))
        if unseen:
            raise RnnToolError(f"the development data holds tag {unseen[0]!r}, which no "
                               f"training sentence has")
        dev_words, dev_gold = dev_data.words, dev_data.tags
    entity_scored = dev_gold is not None and is_bio(t for s in train_data.tags for t in s)

    sequences, char_ids = sentence_ids(train_data.words, vocab, chars)
    tag_ids = [np.array([tag_of[t] for t in s], dtype=np.int64) for s in train_data.tags]
    batches = LengthBatches(sequences, np.zeros(len(sequences), dtype=np.int64),
                            settings.batch_size, seed=settings.random_seed)
    model = new_model(settings, TaggerModel, len(vocab), len(tags), embed=settings.embed,
                      hidden=settings.hidden, layers=settings.layers, cell=settings.cell,
                      bidirectional=settings.bidirectional, dropout=settings.dropout,
                      char_vocab_size=len(chars) if chars is not None else 0,
                      char_embed=settings.char_embed, char_hidden=settings.char_hidden)
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", settings.lr,
                                   settings.weight_decay)
    net = group.wrap(model)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train tagger", enabled=is_main)
    best_key = "best_dev_entity_f1" if entity_scored else "best_dev_accuracy"
    record = new_record(settings, {**data.source, **(extra_settings or {})}, "sentences_seen",
                        best_key, data_digest(sequences, tag_ids, vocab.tokens),
                        tagger={"tags": tags, "chars": chars.to_dict() if chars else None,
                                "fmt": train_data.fmt})
    saver = Checkpointer("tagger", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)
    n, tokens = len(sequences), sum(len(s) for s in sequences)
    reporter.message(f"{resuming(position)}training a {settings.layers}x{settings.hidden} "
                     f"{'bidirectional ' if settings.bidirectional else ''}{settings.cell} "
                     f"tagger ({len(tags)} tags{', character encoder' if chars else ''}) on "
                     f"{n:,} sentences ({tokens:,} words, a vocabulary of {len(vocab):,}); "
                     + (f"validating on {len(dev_words):,} sentences each epoch" if dev_words
                        else "no validation"))

    def step_loss(indices):
        batch = encode_batch([sequences[i] for i in indices], [tag_ids[i] for i in indices],
                             [char_ids[i] for i in indices] if char_ids is not None else None)
        logits = net(batch["ids"], batch["lengths"], batch.get("chars"),
                     batch.get("char_lengths"))
        return TaggerModel.loss_sum(logits, batch["tags"])

    def validate():
        predicted = tag_sentences(model, vocab, chars, tags, dev_words)
        report = tagging_report(dev_gold, predicted)
        accuracy = report["token_accuracy"]
        fields = {"dev_accuracy": accuracy}
        text = f"dev token accuracy {accuracy:.4f}"
        if entity_scored and report["entities"] is not None:
            fields["dev_entity_f1"] = report["entities"]["f1"]
            text += f", entity F1 {report['entities']['f1']:.4f}"
        values = group.broadcast(list(fields.values()))
        fields = dict(zip(fields, values))
        score = fields.get("dev_entity_f1", fields["dev_accuracy"])
        return score, fields, text

    summary = fit_epochs(model, saver, settings, batches.epoch, batches, step_loss,
                         validate if dev_words else None, reporter, unit="sentences",
                         best_key=best_key, position=position, metrics=metrics, group=group)
    return {**summary, "tags": tags}
