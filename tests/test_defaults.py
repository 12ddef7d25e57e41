"""The defaults each kind trains with when given no tuning option: the sentence classifier
on treebank input trains on every labelled phrase, the tree models take the settings of
their cell, and every default can still be overridden."""

from __future__ import annotations

import re

import torch

from rnntool.settings import TREE_DEFAULTS, TreeSettings

from conftest import DEFAULT_CORPUS, run_here

TREEBANK = DEFAULT_CORPUS.parent / "sentiment"


def examples_trained_on(result) -> int:
    found = re.search(rb"classifier \(\d+ classes\) on ([\d,]+) sentences", result.stderr)
    assert found, result.stderr.decode()
    return int(found.group(1).replace(b",", b""))


def test_treebank_input_trains_on_every_labelled_phrase_unless_told_otherwise(tmp_path):
    small = ["--hidden", "8", "--embed", "8", "--epochs", "1"]
    trees = TREEBANK / "test.txt"
    sentences = sum(1 for line in trees.read_text().splitlines() if line.strip())
    default = run_here("train", "sentiment", trees, *small, "-o", tmp_path / "a.pt")
    assert default.returncode == 0, default.stderr.decode()
    assert examples_trained_on(default) > 3 * sentences
    alone = run_here("train", "sentiment", trees, *small, "--no-phrases", "-o", tmp_path / "b.pt")
    assert examples_trained_on(alone) == sentences
    saved = torch.load(tmp_path / "a.pt", weights_only=True)
    assert saved["training"]["settings"]["phrases"] is True
    assert saved["training"]["settings"]["lowercase"] is True


def test_tree_defaults_follow_the_cell_and_yield_to_options(tmp_path):
    for cell in ("rnn", "lstm", "rntn"):
        settings = TreeSettings(cell=cell)
        assert {name: getattr(settings, name) for name in TREE_DEFAULTS[cell]} == \
            TREE_DEFAULTS[cell]
    assert TreeSettings(cell="lstm").learning_rate() == 0.002  # Adam's
    assert TreeSettings(cell="lstm", hidden=20, optimizer="adagrad").learning_rate() == 0.05
    out = tmp_path / "t.pt"
    result = run_here("train", "tree", TREEBANK / "test.txt", "--cell", "lstm", "--dropout",
                      "0.1", "--epochs", "1", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    settings = torch.load(out, weights_only=True)["training"]["settings"]
    assert (settings["hidden"], settings["optimizer"], settings["dropout"]) == (150, "adam", 0.1)
