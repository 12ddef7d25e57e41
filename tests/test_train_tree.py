"""Training recursive tree models through the real command line."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnntool import checkpoint
from rnntool.vocab import Vocab
from rnntool.wordvectors import load_vectors

from conftest import ROOT, assert_one_line_error, run_here

# A tiny compositional treebank: "not" flips, "very" strengthens (labels 0-4 on every node).
WORDS = {"good": 3, "fine": 3, "great": 4, "bad": 1, "dull": 1, "awful": 0}
FLIP = {0: 3, 1: 3, 3: 1, 4: 1, 2: 2}
SUBJECTS = ["the film", "the plot", "the cast"]


def phrase(word: str, negated: bool, very: bool) -> tuple[str, int]:
    label = WORDS[word]
    text = f"(2 {word})" if label == 2 else f"({label} {word})"
    if very:
        label = {3: 4, 1: 0}.get(label, label)
        text = f"({label} (2 very) {text})"
    if negated:
        label = FLIP[label]
        text = f"({label} (2 not) {text})"
    return text, label


def sentence(subject: str, word: str, negated: bool, very: bool) -> str:
    det, noun = subject.split()
    pred, label = phrase(word, negated, very)
    return f"({label} (2 (2 {det}) (2 {noun})) ({label} (2 is) {pred}))"


def treebank() -> list[str]:
    return [sentence(s, w, n, v) for s in SUBJECTS for w in WORDS
            for n in (False, True) for v in (False, True)]


@pytest.fixture(scope="module")
def tree_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trees")
    lines = treebank()
    (directory / "train.txt").write_text("\n".join(lines) + "\n")
    (directory / "dev.txt").write_text("\n".join(lines[::5]) + "\n")
    return directory


@pytest.fixture(scope="module")
def tree_model(tree_files, tmp_path_factory):
    """A model of the tiny treebank (dev.txt held out), shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("model") / "tree.pt"
    result = run_here("train", "tree", tree_files / "train.txt", "-o", out, "--epochs", "40",
                      "--hidden", "24", "--optimizer", "adam", "--lr", "0.01", "--batch-size",
                      "8", "--random-seed", "1")
    assert result.returncode == 0, result.stderr
    return out


def test_train_tree_learns_negation(tree_files, tmp_path):
    out = tmp_path / "tree.pt"
    result = run_here("train", "tree", tree_files / "train.txt", "--dev", tree_files / "dev.txt",
                      "-o", out, "--epochs", "60", "--hidden", "24", "--optimizer", "adam",
                      "--lr", "0.01", "--batch-size", "8", "--random-seed", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert b"dev root accuracy" in result.stderr
    data = checkpoint.load(str(out), kind="tree")
    training = data["training"]
    assert training["classes"] == 5
    assert training["best_dev_root_accuracy"] == 1.0, training["history"][-3:]
    assert Vocab.from_dict(data["vocab"]).level == "word"
    model = checkpoint.restore_model(data)
    assert model.config["cell"] == "rnn" and model.config["hidden"] == 24


@pytest.mark.parametrize("cell", ["rntn", "lstm"])
def test_other_cells_and_binary_convention(tree_files, tmp_path, cell):
    out = tmp_path / "tree.pt"
    result = run_here("train", "tree", tree_files / "train.txt", "--dev", tree_files / "dev.txt",
                      "-o", out, "--epochs", "2", "--hidden", "8", "--cell", cell, "--binary")
    assert result.returncode == 0, result.stderr
    data = checkpoint.load(str(out), kind="tree")
    assert data["training"]["classes"] == 2 and data["model"]["config"]["cell"] == cell


def test_train_tree_from_stdin_without_dev(tree_files, tmp_path):
    out = tmp_path / "tree.pt"
    result = run_here("train", "tree", "-o", out, "--epochs", "1", "--hidden", "8",
                      input=(tree_files / "train.txt").read_bytes())
    assert result.returncode == 0, result.stderr
    assert [h["epoch"] for h in checkpoint.load(str(out))["training"]["history"]] == [1]


def test_word_vectors_initialize_embeddings(tree_files, tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("2 4\ngood 1 2 3 4\nunseen 0 0 0 0\nnot 0.5 0.5 0.5 0.5\n")
    vocab = Vocab.from_counts({"good": 2, "not": 1, "bad": 1}, "word", tokenizer="whitespace")
    rows, values = load_vectors(str(vectors), vocab, 4)
    assert sorted(vocab.tokens[r] for r in rows) == ["good", "not"]
    assert values[list(rows).index(vocab.id_of("good"))].tolist() == [1, 2, 3, 4]
    result = run_here("train", "tree", tree_files / "train.txt", "-o", tmp_path / "t.pt",
                      "--hidden", "4", "--embeddings", vectors, "--epochs", "1", "--lr", "1e-9",
                      "--optimizer", "adam", "--weight-decay", "0")
    assert result.returncode == 0, result.stderr
    assert b"2 of 17 words start from given vectors" in result.stderr, result.stderr
    data = checkpoint.load(str(tmp_path / "t.pt"))
    vocab = Vocab.from_dict(data["vocab"])
    weights = data["model"]["state_dict"]["embedding.weight"]
    assert torch.allclose(weights[vocab.id_of("good")], torch.tensor([1., 2, 3, 4]), atol=1e-4)
    bad = tmp_path / "bad.txt"
    bad.write_text("good 1 2 3\n")
    assert_one_line_error(run_here("train", "tree", tree_files / "train.txt", "-o",
                                   tmp_path / "u.pt", "--hidden", "4", "--embeddings", bad),
                          "line 1", "3 numbers")


def test_bad_tree_files(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("(3 (2 fine) (3 good))\n(2 (2 oops)\n")
    assert_one_line_error(run_here("train", "tree", bad, "-o", tmp_path / "t.pt"),
                          str(bad), "line 2")
    unlabelled = tmp_path / "plain.txt"
    unlabelled.write_text("(S (NP the cat) (VP sat))\n")
    assert_one_line_error(run_here("train", "tree", unlabelled, "-o", tmp_path / "t.pt"),
                          "class label")
    assert not (tmp_path / "t.pt").exists()


GENERATED = ROOT / "corpora" / "sentiment"


@pytest.mark.skipif(not (GENERATED / "train.txt").exists(), reason="no generated treebank")
def test_generated_treebank_negation_beats_bag_of_words(tmp_path):
    """On the project's generated treebank, the tree model gets negated sentences right,
    where averaging word embeddings (order- and structure-blind) cannot."""
    out = tmp_path / "tree.pt"
    result = run_here("train", "tree", GENERATED / "train.txt", "--dev", GENERATED / "dev.txt",
                      "-o", out, "--epochs", "6", "--hidden", "50", "--optimizer", "adam",
                      "--lr", "0.005", "--random-seed", "2", "--binary")
    assert result.returncode == 0, result.stderr
    from rnntool import trees
    from rnntool.evaluate import tree_accuracy
    data = checkpoint.load(str(out))
    model, vocab = checkpoint.restore_model(data), checkpoint.restore_vocab(data)
    test = [trees.normalize(t) for t in trees.read_treebank(str(GENERATED / "test.txt"))]
    negated = [t for t in test if {"not", "never"} & set(trees.leaves(t))]
    assert len(negated) > 50
    scores = tree_accuracy(model, negated, vocab, binary=True)
    assert scores["root_accuracy"] >= 0.95, scores
    assert bag_of_words_accuracy(GENERATED, negated) < scores["root_accuracy"] - 0.15


def bag_of_words_accuracy(directory, negated) -> float:
    """Root accuracy of a logistic regression on mean word embeddings (binary labels)."""
    from rnntool import trees
    from rnntool.treebatch import class_id, sst_binary
    torch.manual_seed(0)
    train = list(trees.read_treebank(str(directory / "train.txt")))

    def examples(items):
        xs, ys = [], []
        for tree in items:
            label = int(sst_binary(np.array([class_id(tree.label())]))[0])
            if label >= 0:
                xs.append(trees.leaves(tree))
                ys.append(label)
        return xs, ys
    words = {w for tree in train for w in trees.leaves(tree)}
    index = {w: i for i, w in enumerate(sorted(words))}
    embed = torch.nn.EmbeddingBag(len(index) + 1, 16, mode="mean")
    head = torch.nn.Linear(16, 2)
    opt = torch.optim.Adam([*embed.parameters(), *head.parameters()], lr=0.02)

    def logits(sentences):
        flat = [index.get(w, len(index)) for s in sentences for w in s]
        offsets = np.cumsum([0] + [len(s) for s in sentences[:-1]])
        return head(embed(torch.tensor(flat), torch.tensor(offsets)))
    xs, ys = examples(train)
    for _ in range(200):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(logits(xs), torch.tensor(ys)).backward()
        opt.step()
    xs, ys = examples(negated)
    with torch.no_grad():
        return float((logits(xs).argmax(-1) == torch.tensor(ys)).float().mean())


def test_eval_reports_on_a_tree_model(tree_files, tree_model, tmp_path):
    import json
    out = tree_model  # trained on train.txt alone: dev.txt is held out from it
    result = run_here("eval", out, tree_files / "dev.txt", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kind"] == "tree" and report["classes"] == 5
    assert report["roots"]["count"] == len((tree_files / "dev.txt").read_text().splitlines())
    assert report["roots"]["accuracy"] == 1.0 and report["roots"]["macro_f1"] > 0
    confusion = np.array(report["roots"]["confusion"])
    assert confusion.sum() == report["roots"]["count"] and (confusion == np.diag(
        np.diag(confusion))).all()
    assert report["binary_view"]["root_accuracy"] == 1.0
    text = run_here("eval", out, tree_files / "dev.txt").stdout.decode()
    assert "root accuracy: 1.0000" in text and "confusion" in text
    bad = tmp_path / "bad.txt"
    bad.write_text("(3 (2 good)\n")
    assert_one_line_error(run_here("eval", out, bad), "line 1")


def test_predict_labels_follow_the_input_lines(tree_model, tmp_path):
    from rnntool import trees
    lines = ["(S (NP (D the) (N film)) (VP (V is) (A (R not) (A good))))", "",
             "(4 (2 (2 the) (2 cast)) (3 (2 is) (3 good)))", "((( broken",
             "(S (NP (D the) (N plot)) (VP (V is) (A (R very) (A awful))))"]
    result = run_here("predict", tree_model, input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().split("\n")
    assert len(out) == len(lines) + 1 and out[-1] == ""
    assert out[1] == "" and out[3] == ""
    assert [line.split("\t")[0] for line in (out[0], out[2], out[4])] == ["1", "3", "0"]
    assert all(0.0 < float(out[i].split("\t")[1]) <= 1.0 for i in (0, 2, 4))
    assert b"line 2" in result.stderr and b"line 4" in result.stderr
    strict = run_here("predict", tree_model, "--strict", input="\n".join(lines) + "\n")
    assert_one_line_error(strict, "line 2")
    alone = run_here("predict", tree_model, input=lines[4] + "\n").stdout.decode()
    assert alone == out[4] + "\n"  # batching with other lines changes nothing

    sentence = run_here("predict", tree_model, "--input", "text", input="the film is bad\n")
    assert sentence.returncode == 0 and sentence.stdout.count(b"\t") == 1
    as_trees = run_here("predict", tree_model, "--output", "trees", input=lines[0] + "\n")
    tree = trees.read_tree(as_trees.stdout.decode().strip())
    assert trees.leaves(tree) == "the film is not good".split()
    assert tree.label() == "1" and all(t.label() in "01234" for t in trees.preorder(tree))
    probs = run_here("predict", tree_model, "--output", "probs", input=lines[0] + "\n")
    tree = trees.read_tree(probs.stdout.decode().strip())
    for node in trees.preorder(tree):
        values = [float(x) for x in node.label().split(",")]
        assert len(values) == 5 and abs(sum(values) - 1) < 1e-3
    drawn = run_here("predict", tree_model, "--output", "pretty", input=lines[0] + "\n")
    assert drawn.returncode == 0 and b"not" in drawn.stdout and b"(" in drawn.stdout


def test_predict_needs_a_tree_model(tree_model, trained_model):
    assert_one_line_error(run_here("predict", trained_model, input="x\n"),
                          "charlm checkpoint", "tree")
