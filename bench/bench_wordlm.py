"""Word-level language model: validation perplexity after a fixed time budget.

Not a test: it takes minutes, and its figures go to bench/README.md with the command that
produced them. Pass the corpus path; corpora from ../shared/data are never copied here.

    python bench/bench_wordlm.py --text ../shared/data/tinyshakespeare.txt --budget 300

Runs the real ``rnntool train wordlm TEXT --max-time BUDGET`` with its default settings
(2-layer LSTM, embedding and hidden 200, seq-len 35, batch 20, dropout 0.2, regexp words,
vocabulary of every word), once untied and once with ``--tie``, one after the other, and
reports the best validation perplexity (the last 10% of the text), next to the unigram
perplexity of the same split (add-one word frequencies of the training part) as the
trivial baseline.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

from rnntool import checkpoint
from rnntool.corpus import build_and_encode, load_ids
from rnntool.evaluate import unigram_loss
from rnntool.training.lm import split_train_val


def unigram_perplexity(text: str, folder: str) -> tuple[float, int]:
    ids_path = os.path.join(folder, "ids.npy")
    vocab = build_and_encode([text], ids_path, "word")
    train, val = split_train_val(load_ids(ids_path), 0.1)
    counts = np.bincount(train, minlength=len(vocab))
    return math.exp(unigram_loss(counts, val)), len(vocab)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--budget", default="300", help="seconds of training per run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline, words = unigram_perplexity(args.text, folder)
        print(f"vocabulary: {words:,} entries; unigram validation perplexity {baseline:.1f}")
        for name, extra in (("untied", []), ("tied (--tie)", ["--tie"])):
            out = os.path.join(folder, "m.pt")
            subprocess.run([sys.executable, "-m", "rnntool", "train", "wordlm", args.text,
                            "--max-time", args.budget, "-o", out, "--ignore-lock", *extra],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            training = checkpoint.load(out)["training"]
            best = training["best_val_loss"]
            print(f"{name:14} steps {training['step']:6,}  best validation loss "
                  f"{best:.4f} nats/word  perplexity {math.exp(best):7.1f}  "
                  f"({math.exp(best) / baseline:.2f} of unigram)")


if __name__ == "__main__":
    main()
