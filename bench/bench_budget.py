"""Quality at a time budget: what `rnntool train` reaches with its defaults alone in 30 s,
60 s, 180 s and 600 s of training, next to the strongest simple peer, in one invocation.

Not a test: it takes most of an hour per table, and its figures go to bench/README.md with
the command that produced them. Corpora come from the command line (../shared/data is never
copied here).

    python bench/bench_budget.py lm --kind charlm --text ../shared/data/tinyshakespeare.txt
    python bench/bench_budget.py lm --kind charlm --code        # Python's own library sources
    python bench/bench_budget.py lm --kind wordlm --text ../shared/data/tinyshakespeare.txt
    python bench/bench_budget.py sentiment --train ../shared/data/sst/train.txt \
        --dev ../shared/data/sst/dev.txt
    python bench/bench_budget.py tree --train ../shared/data/sst/train.txt \
        --dev ../shared/data/sst/dev.txt --cells rnn,lstm,rntn

lm: ``rnntool train KIND TEXT --max-time B`` for each budget B, with no other option, and
a bare torch loop over the same model (embedding, recurrent layers and output layer of the
kind's default sizes and dropout, the same streams of the same batch size and sequence
length, the same clipping, Adam at a constant rate) for each rate of --lrs, each run once
to the largest budget and validated when it reaches each budget. Both read the same ids
(rnntool's own tokenization) and validate the same way (``rnntool.inference.lm_loss`` on the
last 10%); the bare loop's clock stops while it validates, rnntool's does not (its
--max-time counts validations and saves). Reported: the best validation loss of each run,
and the bare loop's training throughput so figures of different days compare.

sentiment: ``rnntool train sentiment TRAIN --dev DEV --max-time B`` (and with ``--binary``)
for each budget, scored by ``rnntool eval --json`` on DEV, next to fastText (the
``fasttext-wheel`` package: install it to run this; it is no dependency of rnntool) trained
on the same training sentences, its settings chosen from a small grid by DEV accuracy.
tree: ``rnntool train tree TRAIN --dev DEV --cell C --max-time B`` for each cell and budget,
scored the same way. Every figure is on DEV, which also chose the kept checkpoint (and
fastText's settings), so each overstates held-out accuracy by a point or so alike.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys
import sysconfig
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnntool import checkpoint
from rnntool.inference import lm_loss

BUDGETS = "30,60,180,600"


def rnntool_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "rnntool", *map(str, args)]


def code_corpus(path: str, limit: int = 1_000_000) -> str:
    """Write a code corpus to ``path``: the .py files of Python's standard library, sorted
    by name, concatenated until ``limit`` bytes; returns ``path``."""
    stdlib = sysconfig.get_paths()["stdlib"]
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        for name in sorted(glob.glob(os.path.join(stdlib, "*.py"))):
            with open(name, encoding="utf-8", errors="replace") as source:
                text = source.read()
            if written + len(text) > limit:
                break
            out.write(text)
            written += len(text)
    return path


class BareLM(nn.Module):
    """Embedding, a stack of LSTM layers, a linear output layer: the char-LM's shape, in
    the fewest lines torch allows."""

    def __init__(self, vocab: int, embed: int, hidden: int, layers: int, dropout: float):
        super().__init__()
        self.emb, self.drop = nn.Embedding(vocab, embed), nn.Dropout(dropout)
        self.rnn = nn.LSTM(embed, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        out, state = self.rnn(self.drop(self.emb(x)), state)
        return self.head(self.drop(out)), state


def bare_loop(train: np.ndarray, val: np.ndarray, vocab: int, settings, lr: float,
              budgets: list[float]) -> tuple[list[float], list[int], float]:
    """Validation loss and steps at each of ``budgets`` (seconds of training) of a
    constant-rate Adam loop, and its training throughput in tokens per second."""
    torch.manual_seed(0)
    model = BareLM(vocab, settings.embed, settings.hidden, settings.layers, settings.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    B, L = settings.batch_size, settings.seq_len
    n = len(train) // B
    streams = torch.from_numpy(np.asarray(train[:n * B], dtype=np.int64).reshape(B, n).T.copy())
    per_pass = (n - 1) // L
    losses, steps, trained, tokens, step, state = [], [], 0.0, 0, 0, None
    for budget in budgets:
        while trained < budget:
            tick = time.perf_counter()
            pos = (step % per_pass) * L
            if pos == 0:
                state = None
            model.train()
            logits, state = model(streams[pos:pos + L], state)
            state = tuple(s.detach() for s in state)
            targets = streams[pos + 1:pos + L + 1]
            loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), settings.clip)
            opt.step()
            step, tokens = step + 1, tokens + B * L
            trained += time.perf_counter() - tick
        losses.append(lm_loss(model, val))
        steps.append(step)
        print(f"  bare lr {lr:g}: {budget:g} s, {step} steps, validation loss "
              f"{losses[-1]:.4f}", file=sys.stderr, flush=True)
    return losses, steps, tokens / trained


def tool_run(kind: str, text: str, budget: float, out: str) -> tuple[float, int]:
    """(best validation loss, steps) of ``rnntool train KIND TEXT --max-time BUDGET``."""
    subprocess.run(rnntool_cmd("train", kind, text, "--max-time", budget, "-o", out),
                   check=True, stderr=subprocess.DEVNULL)
    training = checkpoint.load(out)["training"]
    return training["best_val_loss"], training["step"]


def lm(args) -> None:
    from rnntool.settings import CharLMSettings, WordLMSettings
    from rnntool.training.lm import read_data, split_train_val

    budgets = [float(b) for b in args.budgets.split(",")]
    lrs = [float(r) for r in args.lrs.split(",")]
    settings = {"charlm": CharLMSettings, "wordlm": WordLMSettings}[args.kind]()
    with tempfile.TemporaryDirectory() as tmp:
        text = args.text or code_corpus(os.path.join(tmp, "code.txt"))
        data = read_data(args.kind, settings, files=[text], workdir=tmp)
        train, val = split_train_val(np.asarray(data.ids), settings.val_frac)
        val = val[:settings.validation_tokens(len(val))]
        print(f"# {args.kind} on {args.text or 'the standard library sources'}: "
              f"{os.path.getsize(text):,} bytes, {len(data.ids):,} tokens, vocabulary "
              f"{len(data.vocab)}; model {settings.layers}x{settings.hidden} {settings.cell}, "
              f"batch {settings.batch_size}x{settings.seq_len}", flush=True)
        tool, tool_steps = [], []
        for budget in budgets:
            loss, steps = tool_run(args.kind, text, budget, os.path.join(tmp, "m.pt"))
            tool.append(loss)
            tool_steps.append(steps)
            print(f"  rnntool {budget:g} s: {steps} steps, best {loss:.4f}", file=sys.stderr,
                  flush=True)
        bare, bare_steps, rates = {}, {}, {}
        for lr in lrs:
            bare[lr], bare_steps[lr], rates[lr] = bare_loop(train, val, len(data.vocab),
                                                            settings, lr, budgets)
    unit = "nats/char" if args.kind == "charlm" else "nats/word"
    print("| budget | rnntool defaults | " + " | ".join(f"bare, lr {lr:g}" for lr in lrs)
          + " | best bare | rnntool / best bare | steps: rnntool / best bare |")
    print("|---" * (len(lrs) + 5) + "|")
    for i, budget in enumerate(budgets):
        lr = min(lrs, key=lambda lr: bare[lr][i])
        print(f"| {budget:g} s | {tool[i]:.4f} | "
              + " | ".join(f"{bare[r][i]:.4f}" for r in lrs)
              + f" | {bare[lr][i]:.4f} | {tool[i] / bare[lr][i]:.3f} | "
                f"{tool_steps[i]:,} / {bare_steps[lr][i]:,} |")
    print(f"(validation loss in {unit}; bare loop throughput "
          + ", ".join(f"{rates[lr]:,.0f}" for lr in lrs) + " tokens/s)")


def dev_scores(kind: str, train: str, dev: str, budget: float, out: str, *options,
               together: bool = False) -> tuple:
    """(fine-grained, binary) dev accuracy of ``rnntool train KIND TRAIN --dev DEV --max-time
    BUDGET [OPTIONS]``, run once per view, and the epochs the fine-grained run made.
    ``together``: both views train at the same time, one core each (for kinds whose
    default already trains on one thread), instead of one after the other on both cores."""
    key = "roots" if kind == "tree" else "sentences"
    outs = [out + ".fine.pt", out + ".binary.pt"]
    commands = [rnntool_cmd("train", kind, train, "--dev", dev, "--max-time", budget,
                            "-o", path, *options, *view)
                for path, view in zip(outs, ([], ["--binary"]))]
    if together:
        running = [subprocess.Popen(command, stderr=subprocess.DEVNULL) for command in commands]
        if any(process.wait() for process in running):
            raise SystemExit(f"a training failed: {commands}")
    else:
        for command in commands:
            subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    scores = []
    for path, view in zip(outs, ("fine", "binary")):
        report = subprocess.run(rnntool_cmd("eval", path, dev, "--json"), check=True,
                                capture_output=True, text=True).stdout
        scores.append(json.loads(report)[key]["accuracy"])
        figure = "dev_root_accuracy" if kind == "tree" else "dev_accuracy"
        curve = [(row["elapsed"], row[figure]) for row in
                 checkpoint.load(path)["training"]["history"] if figure in row]
        print(f"    {view} curve (s: dev): "
              + ", ".join(f"{s:.0f}: {100 * a:.1f}" for s, a in curve), file=sys.stderr,
              flush=True)
    return scores[0], scores[1], checkpoint.load(outs[0])["training"]["epoch"]


def sst_sentences(path: str, binary: bool) -> list[tuple[str, str]]:
    """(label, lowercased sentence) of each tree of an SST file; under ``binary`` neutral
    roots are left out and 0-1 / 3-4 become 0 / 1."""
    from rnntool.trees import leaves, read_treebank
    found = []
    for tree in read_treebank(path):
        label = int(tree.label())
        if binary:
            if label == 2:
                continue
            label = int(label > 2)
        found.append((str(label), " ".join(leaves(tree)).lower()))
    return found


def fasttext_best(train: str, dev: str, binary: bool, tmp: str) -> tuple[float, dict, float]:
    """fastText's best dev accuracy over a grid of settings, those settings, and the seconds
    its training with them took."""
    import fasttext
    path = os.path.join(tmp, "ft.txt")
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(f"__label__{label} {text}\n" for label, text in sst_sentences(train, binary))
    gold = sst_sentences(dev, binary)
    best = (-1.0, {}, 0.0)
    for epoch in (5, 10, 25, 50):
        for lr in (0.1, 0.25, 0.5, 1.0):
            for ngrams in (1, 2):
                settings = dict(epoch=epoch, lr=lr, wordNgrams=ngrams, dim=100, thread=2, seed=1)
                start = time.perf_counter()
                model = fasttext.train_supervised(path, verbose=0, **settings)
                seconds = time.perf_counter() - start
                # the binding's own call: FastText.predict breaks on numpy 2 (copy=False)
                right = sum(model.f.predict(text + "\n", 1, 0.0, "strict")[0][1] ==
                            f"__label__{label}" for label, text in gold)
                if right / len(gold) > best[0]:
                    best = (right / len(gold), settings, seconds)
    return best


def sentiment(args) -> None:
    budgets = [float(b) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        peer = {view: fasttext_best(args.train, args.dev, view == "binary", tmp)
                for view in ("fine", "binary")}
        for view, (accuracy, settings, seconds) in peer.items():
            print(f"  fastText {view}: {accuracy:.4f} with {settings} ({seconds:.1f} s)",
                  file=sys.stderr, flush=True)
        rows = []
        for budget in budgets:
            fine, binary, epochs = dev_scores("sentiment", args.train, args.dev, budget,
                                              os.path.join(tmp, "s.pt"),
                                              together=args.together)
            rows.append((budget, fine, binary, epochs))
            print(f"  rnntool {budget:g} s: {fine:.4f} / {binary:.4f}", file=sys.stderr,
                  flush=True)
    print("| budget | rnntool defaults, fine | binary | epochs (fine) | fastText fine | binary |")
    print("|---|---|---|---|---|---|")
    for budget, fine, binary, epochs in rows:
        print(f"| {budget:g} s | {100 * fine:.1f} | {100 * binary:.1f} | {epochs} | "
              f"{100 * peer['fine'][0]:.1f} | {100 * peer['binary'][0]:.1f} |")
    for view, (accuracy, settings, seconds) in peer.items():
        print(f"fastText {view}: {settings}, trained in {seconds:.1f} s")


def tree(args) -> None:
    budgets = [float(b) for b in args.budgets.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for cell in args.cells.split(","):
            for budget in budgets:
                fine, binary, epochs = dev_scores("tree", args.train, args.dev, budget,
                                                  os.path.join(tmp, "t.pt"), "--cell", cell,
                                                  *shlex.split(args.options),
                                                  together=args.together)
                name = f"{cell} {args.options}".strip()
                rows.append((name, budget, fine, binary, epochs))
                print(f"  {cell} {budget:g} s: {fine:.4f} / {binary:.4f}", file=sys.stderr,
                      flush=True)
    print("| cell | budget | fine | binary | epochs (fine) |")
    print("|---|---|---|---|---|")
    for cell, budget, fine, binary, epochs in rows:
        print(f"| `{cell}` | {budget:g} s | {100 * fine:.1f} | {100 * binary:.1f} | {epochs} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("lm")
    p.add_argument("--kind", choices=["charlm", "wordlm"], default="charlm")
    p.add_argument("--text", help="the corpus (default with --code: Python's library sources)")
    p.add_argument("--code", action="store_true")
    p.add_argument("--budgets", default=BUDGETS)
    p.add_argument("--lrs", default="1e-3,3e-3,1e-2")
    for name in ("sentiment", "tree"):
        p = sub.add_parser(name)
        p.add_argument("--train", required=True)
        p.add_argument("--dev", required=True)
        p.add_argument("--budgets", default=BUDGETS)
        p.add_argument("--together", action="store_true",
                       help="train the fine-grained and binary models at the same time, "
                            "one core each")
        if name == "tree":
            p.add_argument("--cells", default="rnn,lstm,rntn")
            p.add_argument("--options", default="",
                           help="more options for every training (tuning flags, for "
                                "comparison with the defaults)")
    args = parser.parse_args()
    if args.what == "lm" and not (args.text or args.code):
        parser.error("lm needs --text or --code")
    {"lm": lm, "sentiment": sentiment, "tree": tree}[args.what](args)


if __name__ == "__main__":
    main()
