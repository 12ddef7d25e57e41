"""Benchmark building a vocabulary and encoding a corpus (rnntool.corpus) on a ~100 MB text.

Usage (from the repository root; the source text stays where it is):

    python bench/bench_vocab.py ../shared/data/tinyshakespeare.txt [--size-mb 100]

The source is repeated into a temporary file of about --size-mb megabytes. Each measurement
runs in a fresh Python process, so its peak RSS (from os.wait4) is its own -- as long as
this process stays small: a child's ru_maxrss starts at its parent's RSS when it forks.

- ``build_and_encode``: the library call, timed inside the process after the imports
  (numpy, and nltk for words, which pulls in scipy when it is installed); "RSS before" is
  the peak RSS when the call starts, so the difference is what the call itself needs.
- ``rnntool vocab --encode``: the real command, wall time from start to exit (interpreter,
  imports and fsync included), if ``rnntool vocab --help`` works.
- baselines: a one-shot numpy pass (the whole text in memory: code points, bincount, table
  lookup, np.save) and a streaming ``collections.Counter`` pass (counting only, as the
  former count pass did).

``rnntool --help`` is timed as well (the best of three). MB means 10**6 bytes.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LIBRARY = """
import json, resource, sys, time
from rnntool import corpus, text
if sys.argv[2] == "word":
    text.make_tokenizer()  # import nltk before the clock starts
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
corpus.build_and_encode([sys.argv[1]], sys.argv[3], sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - start, "before_kb": before}))
"""

NUMPY_ONE_SHOT = """
import json, resource, sys, time
import numpy as np
from rnntool import vocab
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
with open(sys.argv[1], "rb") as handle:
    points = np.frombuffer(handle.read().decode("utf-8").encode("utf-32-le"), np.uint32)
histogram = np.bincount(points)
counts = {chr(c): int(histogram[c]) for c in np.flatnonzero(histogram)}
table = vocab.Vocab.from_counts(counts, "char")._char_table()
np.save(sys.argv[3], table[points])
print(json.dumps({"seconds": time.perf_counter() - start, "before_kb": before}))
"""

COUNTER = """
import collections, json, resource, sys, time
from rnntool import text
level = sys.argv[2]
tokenize = text.make_tokenizer() if level == "word" else None
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
counter = collections.Counter()
if level == "char":
    for chunk in text.read_chunks(sys.argv[1]):
        counter.update(chunk)
else:
    for chunk in text.read_line_chunks(sys.argv[1], chunk_bytes=1 << 20):
        counter.update(tokenize(chunk))
print(json.dumps({"seconds": time.perf_counter() - start, "before_kb": before}))
"""


def run_measured(argv: list[str]) -> tuple[float, float, str]:
    """Run ``argv``; return its wall seconds, its peak RSS in MB and its stdout."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"failed: {shlex.join(argv)}\n{err.read().decode(errors='replace')}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def run_snippet(code: str, *args: str) -> dict:
    """Run a measuring snippet; return its own timing plus peak RSS figures in MB."""
    _, peak_mb, out = run_measured([sys.executable, "-c", code, *args])
    result = json.loads(out.strip().splitlines()[-1])
    return {"seconds": result["seconds"], "peak_mb": peak_mb,
            "before_mb": result["before_kb"] / 1024}


def cli_command() -> list[str] | None:
    """How to run the real command line, or None when ``rnntool vocab --help`` fails."""
    command = [shutil.which("rnntool")] if shutil.which("rnntool") else [sys.executable, "-m",
                                                                         "rnntool"]
    try:
        run_measured([*command, "vocab", "--help"])
    except SystemExit:
        return None
    return command


def make_corpus(source: str, size_mb: float, directory: str) -> tuple[str, int]:
    """Repeat ``source`` into a file of at least ``size_mb`` MB; return its path and size."""
    with open(source, "rb") as handle:
        data = handle.read()
    if not data:
        raise SystemExit(f"{source}: empty")
    path = os.path.join(directory, "corpus.txt")
    copies = -(-int(size_mb * 1e6) // len(data))
    with open(path, "wb") as out:
        for _ in range(copies):
            out.write(data)
    return path, copies * len(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="a text file to repeat (it is not copied into the repo)")
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--levels", nargs="+", choices=["char", "word"], default=["char", "word"])
    parser.add_argument("--no-baselines", action="store_true", help="skip the comparisons")
    args = parser.parse_args()

    print("command:", shlex.join([os.path.basename(sys.executable), *sys.argv]))
    cli = cli_command()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-vocab-") as tmp:
        corpus, size = make_corpus(args.source, args.size_mb, tmp)
        print(f"corpus: {args.source} repeated to {size / 1e6:.1f} MB in {tmp}")
        for level in args.levels:
            lib_ids = os.path.join(tmp, f"lib-{level}.npy")
            r = run_snippet(LIBRARY, corpus, level, lib_ids)
            rows.append(("build_and_encode", level, r["seconds"], r["peak_mb"], r["before_mb"]))
            if cli:
                cli_ids = os.path.join(tmp, f"cli-{level}.npy")
                argv = [*cli, "vocab", corpus, "--level", level, "-o",
                        os.path.join(tmp, f"{level}.vocab"), "--encode", cli_ids]
                print("cli:", shlex.join(argv))
                seconds, peak, _ = run_measured(argv)
                rows.append(("rnntool vocab --encode", level, seconds, peak, None))
                same = filecmp.cmp(lib_ids, cli_ids, shallow=False)
                print(f"  {level}: the CLI's ids equal the library's: {same}")
            if not args.no_baselines:
                if level == "char":
                    r = run_snippet(NUMPY_ONE_SHOT, corpus, level,
                                    os.path.join(tmp, "numpy.npy"))
                    rows.append(("numpy one-shot (count+encode)", level, r["seconds"],
                                 r["peak_mb"], r["before_mb"]))
                r = run_snippet(COUNTER, corpus, level)
                rows.append(("Counter pass (count only)", level, r["seconds"], r["peak_mb"],
                             r["before_mb"]))
    if not cli:
        print("cli: skipped (`rnntool vocab --help` failed)")

    print(f"\n{'what':32} {'level':5} {'seconds':>8} {'MB/s':>8} {'peak RSS MB':>12} "
          f"{'RSS before MB':>14}")
    for what, level, seconds, peak, before in rows:
        shown = f"{before:14.0f}" if before is not None else f"{'-':>14}"
        print(f"{what:32} {level:5} {seconds:8.2f} {size / 1e6 / seconds:8.1f} {peak:12.0f} "
              f"{shown}")

    if cli:
        times = [run_measured([*cli, "--help"])[0] for _ in range(3)]
        print(f"\n{shlex.join([*cli, '--help'])}: best {min(times):.2f} s, "
              f"median {statistics.median(times):.2f} s")
    else:
        print("\nrnntool --help: skipped (not installed)")
    print(textwrap.dedent(f"""
        machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}"""))


if __name__ == "__main__":
    main()
