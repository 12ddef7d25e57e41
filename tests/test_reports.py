"""Reports and drawings for a person on a terminal: `eval` as rich tables, `predict --output
pretty` in colour; piped, both stay the plain text scripts read."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from rnntool import console
from rnntool.cli import cli
from rnntool.cli.eval import format_report
from rnntool.kinds.tree import CLASS_COLOURS

from conftest import run_here, separate_streams_runner
from forked import run_forked
from test_train_tree import treebank

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SENTENCES = ["(S (NP (D the) (N film)) (VP (V is) (A (R not) (A good))))",
             "(S (NP (D the) (N cast)) (VP (V is) (A (R very) (A awful))))",
             "(S (NP (D the) (N plot)) (VP (V is) (A fine)))"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    path = tmp_path_factory.mktemp("trees") / "trees.txt"
    path.write_text("\n".join(treebank()) + "\n")
    return path


def train(data, path, *options):
    result = run_here("train", "tree", data, "-o", path, "--hidden", "24", "--optimizer",
                      "adam", "--lr", "0.01", "--batch-size", "8", "--random-seed", "1", *options)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def sst_model(data, tmp_path_factory):
    return train(data, tmp_path_factory.mktemp("model") / "sst.pt", "--epochs", "40")


@pytest.fixture(scope="module")
def binary_model(data, tmp_path_factory):
    return train(data, tmp_path_factory.mktemp("model") / "binary.pt", "--epochs", "3",
                 "--binary")


def invoke(*args, input=None, no_color=False) -> str:
    """stdout of the command run in-process (click's runner: stdout is no terminal)."""
    env = {"COLUMNS": "120", "TERM": "xterm-256color", "NO_COLOR": "1" if no_color else None,
           "OMP_NUM_THREADS": "1"}
    result = separate_streams_runner().invoke(cli, [str(a) for a in args], input=input,
                                              env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def on_terminal(monkeypatch, *args, **options) -> str:
    """stdout of the command run in-process with stdout taken for a terminal."""
    monkeypatch.setattr(console, "stdout_is_terminal", lambda: True)
    return invoke(*args, **options)


def test_plain_report_format_is_unchanged():
    per_class = [{"class": 0, "precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2},
                 {"class": 1, "precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1}]
    roots = {"accuracy": 2 / 3, "macro_f1": 0.5, "count": 3, "per_class": per_class,
             "confusion": [[1, 1], [0, 1]]}
    report = {"checkpoint": "m.pt", "kind": "tree", "trees": 3, "classes": 2, "view": "binary",
              "roots": roots, "all_nodes": {"accuracy": 0.75, "macro_f1": 0.7, "count": 8}}
    assert format_report(report) == """\
checkpoint: m.pt (tree)
trees: 3, classes: 2 (binary)
root accuracy: 0.6667 of 3 (macro-F1 0.5000)
all-node accuracy: 0.7500 of 8 (macro-F1 0.7000)

roots by class:
class  precision  recall      f1  support
    0     1.0000  0.5000  0.6667        2
    1     0.5000  1.0000  0.6667        1

root confusion (rows: gold, columns: predicted):
            0      1
     0      1      1
     1      0      1
"""


@pytest.mark.parametrize("which", ["sst_model", "binary_model"])
def test_eval_piped_is_plain_text_and_on_a_terminal_tables(which, data, monkeypatch, request):
    model = request.getfixturevalue(which)
    as_json = invoke("eval", model, data, "--json")
    report = json.loads(as_json)
    piped = run_forked("eval", model, data)  # a process of its own, its stdout a real pipe
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.decode() == format_report(report)

    shown = on_terminal(monkeypatch, "eval", model, data)
    assert "\x1b[" in shown and "┏" in shown and "root accuracy" not in shown
    text = ANSI.sub("", shown)
    roots, nodes = report["roots"], report["all_nodes"]
    for row, scores in (("roots", roots), ("all nodes", nodes)):
        assert re.search(rf"│ {row} +│ +{scores['accuracy']:.4f} │ +{scores['macro_f1']:.4f} "
                         rf"│ +{scores['count']} │", text), text
    if "binary_view" in report:
        assert "binary-view accuracy" in text
        assert f"{report['binary_view']['all_accuracy']:.4f} │" in text
    for row in roots["per_class"]:
        cells = [str(row["class"]), *(f"{row[k]:.4f}" for k in ("precision", "recall", "f1")),
                 str(row["support"])]
        assert re.search(r"│ +" + r" │ +".join(cells) + " │", text), (cells, text)
    confusion = text[text.index("root confusion"):]
    matrix = [[int(cell) for cell in line.strip("│ ").split("│")]
              for line in confusion.splitlines() if line.startswith("│")]
    assert [row[0] for row in matrix] == list(range(report["classes"]))
    assert [row[1:] for row in matrix] == roots["confusion"]
    for gold, row in enumerate(roots["confusion"]):  # the diagonal in bold green
        assert f"\x1b[1;32m{row[gold]}\x1b[0m" in shown

    no_color = on_terminal(monkeypatch, "eval", model, data, no_color=True)
    assert ANSI.sub("", no_color) == text and "32m" not in no_color and "31m" not in no_color
    assert on_terminal(monkeypatch, "eval", model, data, "--json") == as_json


def test_eval_charlm_on_a_terminal(trained_model, corpus_file, monkeypatch):
    report = json.loads(invoke("eval", trained_model, corpus_file, "--json"))
    text = ANSI.sub("", on_terminal(monkeypatch, "eval", trained_model, corpus_file))
    assert "(charlm)" in text and "bits/char" in text
    assert re.search(rf"│ +{report['characters']} │ +{report['unknown_characters']} │ +"
                     rf"{report['loss']:.4f} │ +{report['bits_per_character']:.4f} │", text)


@pytest.mark.parametrize("which, classes", [("sst_model", 5), ("binary_model", 2)])
def test_pretty_drawings_are_coloured_by_class_on_a_terminal(which, classes, monkeypatch,
                                                              request):
    model = request.getfixturevalue(which)
    lines = "\n".join(SENTENCES) + "\n"
    piped = run_forked("predict", model, "--output", "pretty", input=lines.encode())  # a pipe
    assert piped.returncode == 0, piped.stderr
    plain = piped.stdout.decode()
    assert "\x1b" not in plain and "(" in plain

    shown = on_terminal(monkeypatch, "predict", model, "--output", "pretty", input=lines)
    assert ANSI.sub("", shown) == plain
    labels = re.findall(r"\x1b\[([0-9;]+)m(\d+) \(\d\.\d\d\)\x1b\[0m", shown)
    assert len(labels) == len(re.findall(r"\d \(\d\.\d\d\)", plain)) > len(SENTENCES)
    assert all(code == CLASS_COLOURS[classes][int(label)] for code, label in labels)
    assert on_terminal(monkeypatch, "predict", model, "--output", "pretty", input=lines,
                       no_color=True) == plain
    as_label = on_terminal(monkeypatch, "predict", model, input=lines)
    assert as_label == invoke("predict", model, input=lines)


def test_the_command_line_imports_no_heavy_modules():
    code = ("import sys, rnntool.cli; "
            "print(sorted({'torch', 'numpy', 'nltk', 'rich'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result
