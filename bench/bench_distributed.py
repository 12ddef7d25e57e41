"""Char-LM training throughput with one process and with two under torchrun.

Not a test: it takes minutes, and its figures go to bench/README.md with the command that
produced them. Pass the corpus path; corpora from ../shared/data are never copied here.

    python bench/bench_distributed.py --text ../shared/data/tinyshakespeare.txt

Runs the real ``rnntool train charlm`` (default model: 2x256 LSTM, batch 16 x 100) for a
fixed number of steps in three ways, alternating, ``--repeats`` times each: one process with
one thread, one process with two threads, and ``torchrun --nproc-per-node=2`` with one
thread a process (the same global batch, each rank computing 8 of the 16 streams). The
figure is training characters per second from the run's metrics file (every ``train``
record's throughput: the whole batch's characters over rank 0's step time, which includes
the gradient all-reduce), median over records and then over repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from rnntool.metrics import read_records

WAYS = {
    "1 process x 1 thread": (["-m", "rnntool"], "1"),
    "1 process x 2 threads": (["-m", "rnntool"], "2"),
    "2 processes x 1 thread (torchrun)": (["-m", "torch.distributed.run", "--standalone",
                                          "--nproc-per-node=2", "-m", "rnntool"], "1"),
}


def run(way: str, text: str, steps: int, folder: str) -> float:
    launcher, threads = WAYS[way]
    out = os.path.join(folder, "m.pt")
    env = dict(os.environ, OMP_NUM_THREADS=threads)
    subprocess.run([sys.executable, *launcher, "train", "charlm", text, "--steps", str(steps),
                    "--val-frac", "0.02", "--eval-every", str(steps), "--log-every", "10",
                    "--ignore-lock", "-o", out], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rates = [r["throughput"] for r in read_records(out + ".metrics.jsonl")
             if r["event"] == "train"][1:]  # the first interval holds the warm-up
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--text", required=True)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    found: dict[str, list[float]] = {way: [] for way in WAYS}
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(args.repeats):
            for way in WAYS:
                found[way].append(run(way, args.text, args.steps, folder))
    base = statistics.median(found["1 process x 1 thread"])
    print(f"{'way':36} {'chars/s':>10} {'ratio':>6}")
    for way, rates in found.items():
        rate = statistics.median(rates)
        print(f"{way:36} {rate:10,.0f} {rate / base:6.2f}")


if __name__ == "__main__":
    main()
