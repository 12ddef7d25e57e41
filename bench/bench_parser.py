"""The trained parser on a treebank: bracket F1 against the fixed shapes and an induced PCFG,
parsing speed, and what its trees are worth to a tree model, all in one run.

Not a test: it takes most of half an hour, and its figures go to bench/README.md with the
command that produced them. Pass the treebank paths; corpora from ../shared/data are never
copied here.

    python bench/bench_parser.py --train ../shared/data/sst/train.txt \\
        --dev ../shared/data/sst/dev.txt

1. ``rnntool train parser TRAIN --dev DEV --max-time B`` (its defaults otherwise), timed.
2. Unlabelled bracket F1 (the whole sentence and single words not counted) on DEV's sentences of the trained parser, of the
   right-branching, left-branching and balanced shapes, and of the PCFG that ``rnntool parse
   --treebank TRAIN`` induces (on the first --pcfg-sentences sentences only: it parses about
   one a second; the parser's F1 on the same sentences is given beside it).
3. Speed: sentences per second of ``rnntool parse --model`` on DEV's sentences (the whole
   command, and net of its start-up, measured as the same command on one sentence), and of
   ``rnntool parse --treebank`` on its subset.
4. End to end: a tree model (``rnntool train tree TRAIN --dev DEV --cell C --max-time T``)
   predicts the root class of DEV's sentences given as their gold trees, as text parsed by
   the trained parser, and as text in the default right-branching shape; root accuracy of
   each. Sentences are given as their treebank tokens separated by spaces (``--tokenizer
   whitespace``), so only the structure differs between the three.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

from rnntool import parsing
from rnntool import trees as treelib
from rnntool.spans import bracket_scores, tree_spans


def rnntool_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "rnntool", *map(str, args)]


def run(*args, input_path: str | None = None) -> tuple[str, float]:
    """stdout of ``rnntool ARGS`` (stdin from ``input_path``) and its wall-clock seconds."""
    start = time.perf_counter()
    with open(input_path or os.devnull, "rb") as stdin:
        done = subprocess.run(rnntool_cmd(*args), stdin=stdin, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"rnntool {' '.join(map(str, args))} failed:\n{done.stderr}")
    return done.stdout, seconds


def f1_of(lines: list[str], gold: list[tuple[list[str], set]]) -> float:
    """Bracket F1 of trees (``rnntool parse`` output lines) against ``gold``."""
    predicted = [tree_spans(treelib.read_tree(line))[1] for line in lines]
    return bracket_scores([spans for _, spans in gold], predicted,
                          [len(tokens) for tokens, _ in gold])["f1"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--train", required=True)
    p.add_argument("--dev", required=True)
    p.add_argument("--budget", type=float, default=600, help="parser training seconds")
    p.add_argument("--tree-budget", type=float, default=600, help="tree model seconds")
    p.add_argument("--cell", default="lstm", help="the tree model's cell")
    p.add_argument("--pcfg-sentences", type=int, default=200)
    args = p.parse_args()

    dev_trees = [treelib.normalize(t) for t in treelib.read_treebank(args.dev)]
    gold = [tree_spans(tree) for tree in dev_trees]
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "dev.txt")
        with open(text, "w", encoding="utf-8") as out:
            out.writelines(" ".join(tokens) + "\n" for tokens, _ in gold)
        subset = os.path.join(tmp, "subset.txt")
        with open(subset, "w", encoding="utf-8") as out:
            out.writelines(" ".join(tokens) + "\n" for tokens, _ in gold[:args.pcfg_sentences])
        one = os.path.join(tmp, "one.txt")
        with open(one, "w", encoding="utf-8") as out:
            out.write(" ".join(gold[0][0]) + "\n")

        parser = os.path.join(tmp, "parser.pt")
        _, seconds = run("train", "parser", args.train, "--dev", args.dev, "--max-time",
                         args.budget, "-o", parser)
        print(f"parser trained in {seconds:.0f} s (rnntool train parser --max-time "
              f"{args.budget:g})", file=sys.stderr, flush=True)

        print("| structure | dev bracket F1 |")
        print("|---|---|")
        parsed, parse_seconds = run("parse", "--model", parser, "--tokenizer", "whitespace",
                                    text)
        parsed_lines = parsed.splitlines()
        print(f"| trained parser | {100 * f1_of(parsed_lines, gold):.1f} |")
        for shape in parsing.SHAPES:
            shaped = [treelib.to_brackets(parsing.shape_tree(tokens, shape))
                      for tokens, _ in gold]
            print(f"| `--shape {shape}` | {100 * f1_of(shaped, gold):.1f} |")
        pcfg, pcfg_seconds = run("parse", "--treebank", args.train, "--tokenizer",
                                 "whitespace", subset)
        n = args.pcfg_sentences
        print(f"| `--treebank TRAIN` (PCFG), first {n} sentences | "
              f"{100 * f1_of(pcfg.splitlines(), gold[:n]):.1f} (trained parser on them: "
              f"{100 * f1_of(parsed_lines[:n], gold[:n]):.1f}) |")

        _, start_seconds = run("parse", "--model", parser, "--tokenizer", "whitespace", one)
        _, pcfg_start = run("parse", "--treebank", args.train, "--tokenizer", "whitespace",
                            one)
        print()
        print("| parsing | sentences | seconds | sentences/s | net of start-up |")
        print("|---|---|---|---|---|")
        for name, count, total, start in (
                ("`parse --model`", len(gold), parse_seconds, start_seconds),
                ("`parse --treebank`", n, pcfg_seconds, pcfg_start)):
            net = max(total - start, 1e-9)
            print(f"| {name} | {count:,} | {total:.1f} | {count / total:,.0f} | "
                  f"{count / net:,.0f} |")

        tree_model = os.path.join(tmp, "tree.pt")
        run("train", "tree", args.train, "--dev", args.dev, "--cell", args.cell,
            "--max-time", args.tree_budget, "-o", tree_model)
        labels = [int(tree.label()) for tree in dev_trees]
        gold_path = os.path.join(tmp, "gold.txt")
        with open(gold_path, "w", encoding="utf-8") as out:
            out.writelines(treelib.to_brackets(tree) + "\n" for tree in dev_trees)
        print()
        print(f"| {args.cell} tree model's dev input | root accuracy |")
        print("|---|---|")
        for name, extra, source in (
                ("gold trees", [], gold_path),
                ("text through the trained parser", ["--parser", parser], text),
                ("text, right-branching (the default shape)", [], text)):
            out, _ = run("predict", tree_model, "--output", "json", "--input",
                         "trees" if source == gold_path else "text", "--tokenizer",
                         "whitespace", *extra, source)
            predicted = [int(json.loads(line)["label"]) for line in out.splitlines()]
            right = sum(p == g for p, g in zip(predicted, labels))
            print(f"| {name} | {100 * right / len(labels):.1f} |")


if __name__ == "__main__":
    main()
