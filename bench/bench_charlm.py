"""Char-LM benchmarks: training and sampling throughput, and validation loss per CPU time.

Not a test: it takes minutes, and its figures go to bench/README.md with the command that
produced them. Pass the corpus path; corpora from ../shared/data are never copied here.

    python bench/bench_charlm.py throughput --text ../shared/data/tinyshakespeare.txt
    python bench/bench_charlm.py quality --text ../shared/data/tinyshakespeare.txt --budget 180

throughput: a 2-layer LSTM (hidden 512, seq-len 100, batch 64) trained by the real
``rnntool train charlm`` command, by a bare torch loop over the same model, and by a naive
loop stepping an explicit LSTM cell in Python, measured in the same run, alternating.
Sampling: ``rnntool sample`` against a bare loop stepping nn.LSTM one character at a time,
with oneDNN off as rnntool steps and with torch's defaults.
quality: ``rnntool train charlm TEXT --max-time BUDGET`` with default settings; reports the
best validation loss (last 10% of the text) in nats and bits per character.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnntool import checkpoint
from rnntool import corpus

SHAPE = dict(hidden=512, layers=2, embed=64, seq_len=100, batch_size=64)


def rnntool_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "rnntool", *map(str, args)]


def bare_loop(ids: np.ndarray, vocab_size: int, steps: int, warmup: int = 0) -> float:
    """Characters per second of a minimal torch training loop over the same model, timed
    from its first step as rnntool's loop is."""
    torch.manual_seed(0)
    h, L, B = SHAPE["hidden"], SHAPE["seq_len"], SHAPE["batch_size"]
    emb, rnn = nn.Embedding(vocab_size, SHAPE["embed"]), nn.LSTM(SHAPE["embed"], h, SHAPE["layers"])
    head = nn.Linear(h, vocab_size)
    params = [*emb.parameters(), *rnn.parameters(), *head.parameters()]
    opt = torch.optim.Adam(params, lr=2e-3)
    n = len(ids) // B
    streams = torch.from_numpy(np.asarray(ids[:n * B], dtype=np.int64).reshape(B, n).T.copy())
    state = None
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        pos = (step * L) % (n - L - 1)
        x, y = streams[pos:pos + L], streams[pos + 1:pos + L + 1]
        out, state = rnn(emb(x), state)
        state = tuple(s.detach() for s in state)
        loss = F.cross_entropy(head(out).reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        loss.item()
    return steps * L * B / (time.perf_counter() - start)


class ExplicitLSTM(nn.Module):
    """An LSTM written out gate by gate and stepped in Python: the textbook way."""

    def __init__(self, vocab_size: int):
        super().__init__()
        h, e = SHAPE["hidden"], SHAPE["embed"]
        self.emb = nn.Embedding(vocab_size, e)
        self.w = nn.ParameterList()
        for layer in range(SHAPE["layers"]):
            fan_in = e if layer == 0 else h
            self.w.append(nn.Parameter(torch.randn(fan_in + h, 4 * h) / math.sqrt(fan_in + h)))
            self.w.append(nn.Parameter(torch.zeros(4 * h)))
        self.head = nn.Linear(h, vocab_size)

    def forward(self, x):
        h_size = SHAPE["hidden"]
        inputs = list(self.emb(x).unbind(0))
        for layer in range(SHAPE["layers"]):
            w, b = self.w[2 * layer], self.w[2 * layer + 1]
            h = c = torch.zeros(x.shape[1], h_size)
            outputs = []
            for t in range(len(inputs)):
                gates = torch.cat([inputs[t], h], 1) @ w + b
                i, f, g, o = gates.chunk(4, 1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
                outputs.append(h)
            inputs = outputs
        return self.head(torch.stack(inputs))


def naive_loop(ids: np.ndarray, vocab_size: int, steps: int) -> float:
    torch.manual_seed(0)
    model = ExplicitLSTM(vocab_size)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    L, B = SHAPE["seq_len"], SHAPE["batch_size"]
    n = len(ids) // B
    streams = torch.from_numpy(np.asarray(ids[:n * B], dtype=np.int64).reshape(B, n).T.copy())
    start = None
    for step in range(steps + 1):
        if step == 1:
            start = time.perf_counter()
        x, y = streams[step * L:(step + 1) * L], streams[step * L + 1:(step + 1) * L + 1]
        loss = F.cross_entropy(model(x).reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    return steps * L * B / (time.perf_counter() - start)


def tool_loop(ids_path: str, vocab_path: str, out: str, steps: int) -> tuple[float, float]:
    """(chars/s inside rnntool's training loop, chars/s over the whole process)."""
    args = ["train", "charlm", "--data", ids_path, "--vocab", vocab_path, "-o", out,
            "--val-frac", "0", "--steps", steps, "--dropout", 0]
    for key, value in SHAPE.items():
        args += [f"--{key.replace('_', '-')}", value]
    start = time.perf_counter()
    subprocess.run(rnntool_cmd(*args), check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    training = checkpoint.load(out)["training"]
    return training["tokens_seen"] / training["elapsed"], training["tokens_seen"] / wall


def bare_sampling(model, length: int) -> float:
    """Characters per second of a bare loop stepping the model one character at a time."""
    x, state = torch.zeros(1, 1, dtype=torch.long), None
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        start = time.perf_counter()
        for _ in range(length):
            logits, state = model(x, state)
            x[0, 0] = int(torch.multinomial(torch.softmax(logits[0, 0], -1), 1, generator=gen))
        return length / (time.perf_counter() - start)


def sample_rates(ckpt: str, length: int) -> tuple[float, float, float]:
    """chars/s of `rnntool sample` (net of start-up), of a bare stepping loop with torch's
    defaults, and of the same loop with oneDNN off as rnntool steps."""
    from rnntool.sampling import single_step_mode
    def timed(n):
        start = time.perf_counter()
        subprocess.run(rnntool_cmd("sample", ckpt, "-n", n, "--random-seed", 0),
                       check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - start
    tool = length / (timed(length) - timed(1))
    model = checkpoint.restore_model(checkpoint.load(ckpt))
    default = bare_sampling(model, length)
    with single_step_mode():
        native = bare_sampling(model, length)
    return tool, default, native


def throughput(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ids_path, vocab_path = os.path.join(tmp, "ids.npy"), os.path.join(tmp, "v.txt")
        vocab = corpus.build_and_encode([args.text], ids_path, "char")
        vocab.save(vocab_path)
        ids = corpus.load_ids(ids_path)
        tool, tool_wall, bare = [], [], []
        for _ in range(args.repeats):
            bare.append(bare_loop(ids, len(vocab), args.steps))
            inner, wall = tool_loop(ids_path, vocab_path, os.path.join(tmp, "m.pt"), args.steps)
            tool.append(inner)
            tool_wall.append(wall)
        naive = naive_loop(ids, len(vocab), args.naive_steps)
        tool_s, default_s, bare_s = sample_rates(os.path.join(tmp, "m.pt"), args.sample_length)
    med = statistics.median
    print(f"training, 2x{SHAPE['hidden']} LSTM, seq-len {SHAPE['seq_len']}, batch "
          f"{SHAPE['batch_size']}, {args.steps} steps, median of {args.repeats} alternating runs")
    print(f"  bare torch loop           {med(bare):9.0f} chars/s   1.00")
    print(f"  rnntool train (its loop)  {med(tool):9.0f} chars/s   {med(tool) / med(bare):.3f}")
    print(f"  rnntool train (process)   {med(tool_wall):9.0f} chars/s   "
          f"{med(tool_wall) / med(bare):.3f}  (start-up and saving included)")
    print(f"  naive per-step cell loop  {naive:9.0f} chars/s   {naive / med(bare):.3f}")
    print(f"sampling, {args.sample_length} characters")
    print(f"  bare loop, oneDNN off     {bare_s:9.0f} chars/s   1.00")
    print(f"  rnntool sample            {tool_s:9.0f} chars/s   {tool_s / bare_s:.3f}")
    print(f"  bare loop, torch defaults {default_s:9.0f} chars/s   {default_s / bare_s:.3f}")


def quality(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "q.pt")
        cmd = ["train", "charlm", args.text, "--max-time", args.budget, "-o", out, *args.extra]
        print("command: rnntool " + " ".join(map(str, cmd)), flush=True)
        subprocess.run(rnntool_cmd(*cmd), check=True)
        training = checkpoint.load(out)["training"]
    best = training["best_val_loss"]
    print(f"budget {args.budget}s: best validation loss {best:.4f} nats/char "
          f"({best / math.log(2):.4f} bits/char) after {training['step']} steps, "
          f"{training['tokens_seen']:,} characters")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--text", required=True)
    t.add_argument("--steps", type=int, default=60)
    t.add_argument("--repeats", type=int, default=3)
    t.add_argument("--naive-steps", type=int, default=3)
    t.add_argument("--sample-length", type=int, default=3000)
    q = sub.add_parser("quality")
    q.add_argument("--text", required=True)
    q.add_argument("--budget", type=float, default=180)
    q.add_argument("extra", nargs="*", help="further `train charlm` options, after --")
    args = parser.parse_args()
    {"throughput": throughput, "quality": quality}[args.what](args)


if __name__ == "__main__":
    main()
