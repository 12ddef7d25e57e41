"""Benchmark the language-model pipeline on a ~500 MB corpus: wall time and peak RSS of each
stage, and how soon a stop signal is honoured in the middle of a long validation.

Usage (from the repository root):

    python bench/bench_scale.py [--size-mb 500] [--max-time 60]

The corpus is made in a temporary directory (removed at the end, never committed) from
``corpora/default.txt``, repeated with each copy's lines rotated by a different offset so
that the text is not one period over and over. Each stage runs the real command line in a
fresh process; its peak RSS is the child's own (``os.wait4``):

- ``rnntool vocab CORPUS -o v.vocab --encode ids.npy``;
- ``rnntool train charlm --data ids.npy --vocab v.vocab --max-time T -o m.pt``: the ids
  are memory-mapped, so the pages read count in the RSS; the target is a peak of at most
  the array's size plus 400 MB. Also shown: the training clock the checkpoint records
  against ``--max-time``, the steps, and the validations with their share of the time;
- ``rnntool sample m.pt --length 2000``;
- stop: the same training with ``--val-tokens 0 --eval-every 5`` (a validation over the
  whole held-out tenth, far longer than the run), SIGINT sent during that first
  validation: seconds from the signal to the process's exit, its status and its last
  line (which names the step the run stopped after: 5).

MB means 10**6 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "corpora", "default.txt")


def command() -> list[str]:
    return [sys.executable, "-m", "rnntool"]


def environment() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))


def run_measured(args: list[str], cwd: str) -> dict:
    """Run ``rnntool ARGS``; its wall seconds, peak RSS (MB) and stderr."""
    argv = [*command(), *args]
    print("$", shlex.join(["rnntool", *args]), flush=True)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=environment(), cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"failed ({code}): {shlex.join(argv)}\n{stderr}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss * 1024 / 1e6, "stderr": stderr}


def make_corpus(size_mb: float, directory: str) -> tuple[str, int]:
    """``corpora/default.txt`` repeated to at least ``size_mb`` MB, each copy's lines rotated
    by another offset; its path and size in bytes."""
    with open(SOURCE, "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    path = os.path.join(directory, "corpus.txt")
    size, copy = 0, 0
    with open(path, "wb") as out:
        while size < size_mb * 1e6:
            cut = (copy * 7919) % len(lines)
            data = b"".join(lines[cut:] + lines[:cut])
            out.write(data)
            size += len(data)
            copy += 1
    return path, size


def validations(metrics_path: str) -> list[dict]:
    """The validation records of a run's metrics file."""
    with open(metrics_path, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    return [r for r in records if r.get("event") == "validation"]


def stop_during_validation(tmp: str) -> dict:
    """Start a run whose validation at step 5 reads the whole held-out tenth; SIGINT 10 s
    after it says it is training (steps 1 to 5 take a few seconds, the validation far
    longer); seconds to exit, status, last line."""
    args = ["train", "charlm", "--data", "ids.npy", "--vocab", "v.vocab", "--val-tokens", "0",
            "--eval-every", "5", "-o", "stop.pt"]
    print("$", shlex.join(["rnntool", *args]), "  (SIGINT during the validation at step 5)",
          flush=True)
    proc = subprocess.Popen([*command(), *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env=environment(), cwd=tmp)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for raw in proc.stderr:
            lines.append(raw.decode(errors="replace").rstrip())
            if lines[-1].startswith("rnntool: training"):
                started.set()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    if not started.wait(600):
        raise SystemExit("the stop run did not start training:\n" + "\n".join(lines))
    time.sleep(10.0)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=600)
    seconds = time.monotonic() - sent
    reader.join(10)
    shown = [line for line in lines if line.strip()]
    return {"seconds": seconds, "status": proc.returncode, "last": shown[-1] if shown else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=500.0)
    parser.add_argument("--max-time", type=float, default=60.0)
    parser.add_argument("--no-stop", action="store_true", help="skip the stop measurement")
    args = parser.parse_args()
    print("command:", shlex.join([os.path.basename(sys.executable), *sys.argv]))
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        start = time.perf_counter()
        corpus, size = make_corpus(args.size_mb, tmp)
        print(f"corpus: {size / 1e6:.1f} MB made in {time.perf_counter() - start:.1f} s")
        rows = []
        vocab = run_measured(["vocab", corpus, "-o", "v.vocab", "--encode", "ids.npy"], tmp)
        ids_mb = os.path.getsize(os.path.join(tmp, "ids.npy")) / 1e6
        rows.append(("vocab --encode", vocab))
        train = run_measured(["train", "charlm", "--data", "ids.npy", "--vocab", "v.vocab",
                              "--max-time", f"{args.max_time:g}", "-o", "m.pt"], tmp)
        rows.append((f"train charlm --max-time {args.max_time:g}", train))
        sample = run_measured(["sample", "m.pt", "--length", "2000", "--random-seed", "1"],
                              tmp)
        rows.append(("sample --length 2000", sample))
        info = json.loads(subprocess.run(
            [*command(), "info", "m.pt", "--json"], capture_output=True, check=True,
            env=environment(), cwd=tmp).stdout)
        checks = validations(os.path.join(tmp, "m.pt.metrics.jsonl"))
        stop = None if args.no_stop else stop_during_validation(tmp)

    print(f"\nencoded ids: {ids_mb:.1f} MB\n")
    print("| stage | wall (s) | peak RSS (MB) |\n|---|---|---|")
    for what, row in rows:
        print(f"| `{what}` | {row['seconds']:.1f} | {row['peak_mb']:.0f} |")
    limit = ids_mb + 400
    print(f"\ntraining peak RSS {train['peak_mb']:.0f} MB; target at most the array plus "
          f"400 MB = {limit:.0f} MB: {'met' if train['peak_mb'] <= limit else 'MISSED'}")
    training = info["training"]
    print(f"training clock: {training['elapsed_seconds']} s of --max-time {args.max_time:g}; "
          f"steps: {training['steps']}; validations: {len(checks)}")
    for line in train["stderr"].splitlines():
        if line.startswith("rnntool: training") or line.startswith("rnntool: done"):
            print("  " + line)
    if stop is not None:
        print(f"\nstop during a whole-tail validation: exit {stop['status']} "
              f"{stop['seconds']:.2f} s after SIGINT; last line: {stop['last']}")
    print(f"\nmachine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
