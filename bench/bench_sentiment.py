"""Sentence-classifier benchmarks: training throughput, and SST development accuracy.

Not a test: it takes minutes, and its figures go to bench/README.md with the command that
produced them. Pass the treebank paths; corpora from ../shared/data are never copied here.

    python bench/bench_sentiment.py throughput --train ../shared/data/sst/train.txt
    python bench/bench_sentiment.py accuracy --train ../shared/data/sst/train.txt \\
        --dev ../shared/data/sst/dev.txt --seeds 3 -- --bidirectional --phrases

throughput: sentences per second of a full training step of the same model (a bidirectional
LSTM, SST's training sentences, Adam) with rnntool's batches (sorted into length buckets and
run packed: ``rnntool.training.sentiment.train``) and with plain batches (random sentences
padded to the longest one, the whole padded tensor run through the LSTM), in the same run.
accuracy: ``rnntool train sentiment`` on SST for each seed, fine-grained and ``--binary``,
then ``rnntool eval --json`` of the kept checkpoint on the development sentences.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

from rnntool import labelled
from rnntool.data import pad
from rnntool.models.sentiment import SentimentModel
from rnntool.optim import RowSparseOptimizer
from rnntool.settings import SentimentSettings
from rnntool.text import make_tokenizer
from rnntool.training import sentiment
from rnntool.training.engine import apply_gradients
from rnntool.training.sentiment import word_vocab
from seeds import dev_accuracy  # bench/seeds.py


def plain_loop(model, sequences, targets, batch_size: int, steps: int) -> float:
    """Sentences per second with random batches padded to their longest sentence and run
    through the recurrent layers unpacked: the forward state at each sentence's last word
    and the backward state at its first are read out (the backward direction has read the
    padding first, as it does in plain padded batches)."""
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", 0.002)
    params = list(model.parameters())
    rng = np.random.default_rng(0)
    order = rng.permutation(len(sequences))
    start = time.perf_counter()
    for step in range(steps):
        rows = order[step * batch_size:(step + 1) * batch_size]
        ids, lengths = pad([sequences[i] for i in rows])
        output, _ = model.rnn(model.dropout(model.embedding(ids)))
        H = model.rnn.hidden_size
        last = output[torch.arange(len(rows)), lengths - 1, :H]  # forward direction
        first = output[:, 0, H:]                                  # backward direction
        logits = model.classifier(model.dropout(torch.cat([last, first], dim=1)))
        loss = F.cross_entropy(logits, torch.from_numpy(np.asarray(targets)[rows]))
        apply_gradients(loss, optimizer, params, 5.0)
    return steps * batch_size / (time.perf_counter() - start)


def throughput(args) -> None:
    labels, tokens = labelled.read_examples([args.train], "trees", make_tokenizer("whitespace"))
    vocab = word_vocab(tokens)
    classes = sorted(set(labels))
    targets = [classes.index(label) for label in labels]
    sequences = [vocab.ids_of(t) for t in tokens]
    settings = SentimentSettings(bidirectional=True, epochs=1, batch_size=args.batch_size)
    print(f"{len(labels):,} sentences, mean length {np.mean([len(t) for t in tokens]):.1f}, "
          f"longest {max(len(t) for t in tokens)}; bidirectional {settings.cell}, hidden "
          f"{settings.hidden}, batch {settings.batch_size}, {torch.get_num_threads()} threads")
    rows = []
    for repeat in range(args.repeats):
        with tempfile.TemporaryDirectory() as tmp:
            data = sentiment.SentimentData((labels, tokens), None, vocab, None, {})
            summary = sentiment.train(data, settings, os.path.join(tmp, "m.pt"))
        tool = summary["train_sentences_per_second"]
        torch.manual_seed(0)
        model = SentimentModel(len(vocab), len(classes), embed=settings.embed,
                               hidden=settings.hidden, bidirectional=True,
                               dropout=settings.dropout)
        plain = plain_loop(model, sequences, targets, settings.batch_size,
                           len(labels) // settings.batch_size)
        rows.append((tool, plain))
        print(f"run {repeat + 1}: bucketed + packed {tool:,.0f} sentences/s, plain padded "
              f"{plain:,.0f}", flush=True)
    tool = statistics.median(r[0] for r in rows)
    plain = statistics.median(r[1] for r in rows)
    print(f"\n| batches | sentences/s | ratio |\n|---|---|---|\n"
          f"| plain: random, padded | {plain:,.0f} | 1.00 |\n"
          f"| rnntool: length buckets, packed | {tool:,.0f} | {tool / plain:.2f} |")


def accuracy(args) -> None:
    dev_accuracy(["sentiment", args.train], args.dev, args.seeds, args.extra, "sentences",
                 "sentence classifier")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--train", required=True)
    t.add_argument("--batch-size", type=int, default=SentimentSettings.batch_size)
    t.add_argument("--repeats", type=int, default=3)
    a = sub.add_parser("accuracy")
    a.add_argument("--train", required=True)
    a.add_argument("--dev", required=True)
    a.add_argument("--seeds", type=int, default=3)
    a.add_argument("extra", nargs="*", help="further `train sentiment` options, after --")
    args = parser.parse_args()
    {"throughput": throughput, "accuracy": accuracy}[args.what](args)


if __name__ == "__main__":
    main()
