"""Development accuracy over several seeds, shared by the tree and sentence-classifier
benchmarks: train with the real command line, score the kept checkpoint with `rnntool eval
--json`, and print each run and the mean (± standard deviation) per view in percent."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def dev_accuracy(train_args: list[str], dev: str, seeds: int, extra: list[str], scores: str,
                 name: str) -> None:
    """``rnntool train *train_args --dev DEV --random-seed S -o CKPT [--binary] *extra`` for
    each seed, fine-grained and ``--binary``; ``scores`` is the report's key holding
    ``accuracy`` and ``count`` (``roots`` for trees, ``sentences`` for classifiers)."""
    rnntool = [sys.executable, "-m", "rnntool"]
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for view in ("fine", "binary"):
            for seed in range(seeds):
                out = os.path.join(tmp, f"{view}-{seed}.pt")
                start = time.time()
                subprocess.run([*rnntool, "train", *train_args, "--dev", dev, "--random-seed",
                                str(seed), "-o", out, *(["--binary"] if view == "binary" else []),
                                *extra], check=True, stderr=subprocess.DEVNULL)
                report = json.loads(subprocess.run([*rnntool, "eval", out, dev, "--json"],
                                                   check=True, capture_output=True,
                                                   text=True).stdout)[scores]
                results.setdefault(view, []).append(report["accuracy"])
                print(f"{name} {view} seed {seed}: dev accuracy {report['accuracy']:.4f} "
                      f"({report['count']} {scores}, {time.time() - start:.0f} s)", flush=True)
    cells = [f"{100 * statistics.mean(results[v]):.1f} (± {100 * statistics.pstdev(results[v]):.1f})"
             for v in ("fine", "binary")]
    print("settings: " + " ".join(extra))
    print(f"| {name} | " + " | ".join(cells) + " |")
