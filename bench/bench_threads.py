"""Throughput on one thread, on all cores and on rnntool's default (the count measured as the
work goes, ``rnntool/threads.py``), with 0, 1 and 2 other CPU-bound processes running.

Not a test: the full run takes about ten minutes on a quiet machine, and its figures go to
bench/README.md with the command that produced them. Everything it reads ships with the
repository.

    python bench/bench_threads.py            # the full table
    python bench/bench_threads.py --quick    # a few seconds a run, to see that it works
    python bench/bench_threads.py --quick --loads 0 --workloads sample

Four workloads, each the real command line in a fresh process:

- ``train charlm corpora/default.txt --hidden 128 --val-frac 0`` (the issue's command);
- ``train sentiment corpora/sentiment/train.txt`` (default model: 1x150 LSTM, batch 32);
- ``sample`` of a default-sized char-LM (2x256 LSTM);
- ``predict`` with a sentence classifier on the sentiment trees, repeated.

Training runs for ``--seconds`` (``--max-time``); its figure is the items of the steps it
took (a char-LM step: 16 x 100 characters; a sentiment step: 32 sentences) over the run's
elapsed time in its metrics file. Sampling and predicting run on a long input and are cut
off ``--seconds`` after their first output; their figure is the characters (lines) written
after the first output over the time since. Each figure counts whatever the thread choice
costs, trials included. The modes alternate within a load, ``--repeats`` times (median);
a load is ``--loads`` busy processes (``python3 -c 'while 1: pass'``) started before its
runs and stopped after them. The last column is the default's figure over the better of one
thread and all cores; the target is at least 0.90 everywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rnntool.metrics import read_records

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpora" / "default.txt"
TREES = ROOT / "corpora" / "sentiment" / "train.txt"
WORKLOADS = ("train charlm", "train sentiment", "sample", "predict")
UNITS = {"train charlm": "chars/s", "train sentiment": "sentences/s", "sample": "chars/s",
         "predict": "lines/s"}


def all_threads() -> int:
    """torch's own thread count (all cores) in a fresh process without OMP_NUM_THREADS."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    out = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
                         env=env, check=True, capture_output=True, text=True)
    return int(out.stdout)


def environment(mode: str, cores: int) -> dict:
    """The environment of a run on ``mode``: "1", "all" or "default" (nothing fixed)."""
    env = {k: v for k, v in os.environ.items()
           if k != "OMP_NUM_THREADS" and not k.startswith("RNNTOOL_")}
    env["RNNTOOL_LOG_INTERVAL"] = "1000"
    if mode != "default":
        env["OMP_NUM_THREADS"] = "1" if mode == "1" else str(cores)
    return env


def rnntool(*args) -> list[str]:
    return [sys.executable, "-m", "rnntool", *map(str, args)]


def checked(command: list[str], env: dict) -> None:
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    if done.returncode:
        sys.exit(f"bench_threads: {' '.join(command[2:])} failed: {done.stderr.strip()[-500:]}")


def train_rate(kind: str, env: dict, seconds: float, folder: str) -> float:
    """Items a second of a training run of ``seconds``."""
    out = os.path.join(folder, f"{kind}.pt")
    if kind == "charlm":
        command = rnntool("train", "charlm", CORPUS, "--hidden", 128, "--val-frac", 0)
        per_step = 16 * 100
    else:
        command = rnntool("train", "sentiment", TREES)
        per_step = 32
    checked(command + ["--max-time", f"{seconds:g}", "--log-every", "10", "--ignore-lock",
                       "-o", out], env)
    end = [r for r in read_records(out + ".metrics.jsonl") if r["event"] == "end"][-1]
    return end["step"] * per_step / end["elapsed"]


def stream_rate(command: list[str], env: dict, seconds: float, lines: bool) -> float:
    """Characters (``lines``: lines) a second that ``command`` writes to stdout, counted
    from its first output for ``seconds`` (or to its end)."""
    proc = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    fd, count, first, last = proc.stdout.fileno(), 0, None, None
    try:
        while True:
            wait = 300.0 if first is None else first[0] + seconds - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                break
            data = os.read(fd, 1 << 16)
            if not data:
                break
            now = time.monotonic()
            count += data.count(b"\n") if lines else len(data.decode("utf-8", "replace"))
            if first is None:
                first = (now, count)
            last = (now, count)
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()
    if first is None or last[0] <= first[0]:
        sys.exit(f"bench_threads: {' '.join(command[2:4])} wrote too little to time")
    return (last[1] - first[1]) / (last[0] - first[0])


def prepare(folder: str, quick: bool, predict_copies: int) -> dict:
    """The models sample and predict use, and predict's input (trained on one thread)."""
    env = environment("1", 1)
    lm, classifier = os.path.join(folder, "lm.pt"), os.path.join(folder, "sent.pt")
    checked(rnntool("train", "charlm", CORPUS, "--steps", 2 if quick else 20, "--val-frac", 0,
                    "-o", lm), env)
    checked(rnntool("train", "sentiment", TREES, "--max-time", 2 if quick else 10,
                    "-o", classifier), env)
    lines = os.path.join(folder, "lines.txt")
    text = TREES.read_text(encoding="utf-8")
    with open(lines, "w", encoding="utf-8") as out:
        for _ in range(predict_copies):
            out.write(text)
    return {"lm": lm, "classifier": classifier, "lines": lines}


def measure(workload: str, mode: str, cores: int, seconds: float, files: dict,
            folder: str) -> float:
    env = environment(mode, cores)
    if workload == "train charlm":
        return train_rate("charlm", env, seconds, folder)
    if workload == "train sentiment":
        return train_rate("sentiment", env, seconds, folder)
    if workload == "sample":
        return stream_rate(rnntool("sample", files["lm"], "--length", 1_000_000,
                                   "--random-seed", 1), env, seconds, lines=False)
    return stream_rate(rnntool("predict", files["classifier"], files["lines"]), env, seconds,
                       lines=True)


@contextlib.contextmanager
def busy(processes: int):
    """``processes`` CPU-bound processes, for the block."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while 1: pass"])
                for _ in range(processes)]
    try:
        time.sleep(1.0 if processes else 0.0)  # let the load show
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="2-second runs and small models: to see that it works")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each timed run (default: 15; 2 with --quick)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--loads", default="0,1,2",
                        help="numbers of busy processes, comma-separated")
    parser.add_argument("--workloads", default=",".join(w.replace(" ", "-") for w in WORKLOADS),
                        help="comma-separated: " + ", ".join(w.replace(" ", "-")
                                                            for w in WORKLOADS))
    args = parser.parse_args()
    seconds = args.seconds or (2.0 if args.quick else 15.0)
    loads = [int(n) for n in args.loads.split(",")]
    workloads = [w.replace("-", " ") for w in args.workloads.split(",")]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload {sorted(unknown)[0]!r}")
    cores = all_threads()
    modes = ["1", "all", "default"]
    print(f"{cores} threads for all cores; runs of {seconds:g} s, {args.repeats} a mode",
          flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = prepare(folder, args.quick, 2 if args.quick else 30)
        for load in loads:
            with busy(load):
                for workload in workloads:
                    found: dict[str, list[float]] = {mode: [] for mode in modes}
                    for repeat in range(args.repeats):
                        order = modes[repeat % 3:] + modes[:repeat % 3]
                        for mode in order:
                            found[mode].append(measure(workload, mode, cores, seconds, files,
                                                       folder))
                    rates = {mode: statistics.median(found[mode]) for mode in modes}
                    ratio = rates["default"] / max(rates["1"], rates["all"])
                    rows.append((load, workload, rates, ratio))
                    print(f"{load} busy, {workload}: " + ", ".join(
                        f"{mode} {rates[mode]:,.0f}" for mode in modes)
                          + f" {UNITS[workload]}; default/best {ratio:.2f}", flush=True)
    print(f"\n| other busy processes | workload | 1 thread | {cores} threads | default "
          f"| default / best |")
    print("|---|---|---|---|---|---|")
    for load, workload, rates, ratio in rows:
        print(f"| {load} | {workload} ({UNITS[workload]}) | {rates['1']:,.0f} | "
              f"{rates['all']:,.0f} | {rates['default']:,.0f} | {ratio:.2f} |")
    worst = min(row[3] for row in rows)
    print(f"\nworst default / best: {worst:.2f} (target: at least 0.90)")


if __name__ == "__main__":
    main()
