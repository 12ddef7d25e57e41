"""Sequence classifiers (`train sentiment`, `predict`, `eval`) through the real command line,
and the packed batches they run on."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from rnntool import checkpoint, labelled
from rnntool.data import LengthBatches, pad
from rnntool.inference import sequence_probabilities
from rnntool.models.sentiment import SentimentModel
from rnntool.text import make_tokenizer

from conftest import ROOT, assert_one_line_error, run_here

# Written by hand: three classes, words that mostly decide the class, a few that mislead.
HAND = """\
pos\tA warm , funny and moving film .
pos\tThe cast is superb and the story delights .
pos\tI loved every minute of it .
pos\tBrilliant writing and a great score .
neg\tA dull , lifeless mess .
neg\tThe plot is thin and the acting is wooden .
neg\tI wanted my two hours back .
neg\tTedious , predictable and far too long .
meh\tIt is a film , and it has a running time .
meh\tSome scenes work , some do not .
meh\tThe film opens in Paris and ends in Rome .
meh\tIt is neither good nor bad .
"""

SMALL = ["--hidden", "32", "--embed", "24", "--batch-size", "4", "--lr", "0.01",
         "--random-seed", "1"]


@pytest.fixture(scope="module")
def hand_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("hand") / "hand.tsv"
    path.write_text(HAND)
    return path


@pytest.fixture(scope="module")
def hand_model(tmp_path_factory, hand_file):
    out = tmp_path_factory.mktemp("model") / "hand.pt"
    result = run_here("train", "sentiment", hand_file, "--dev", hand_file, "-o", out,
                      "--epochs", "40", "--dropout", "0", *SMALL)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == b""
    return out


def test_learns_a_hand_written_set_perfectly(hand_model, hand_file):
    report = json.loads(run_here("eval", hand_model, hand_file, "--json").stdout)
    assert report["kind"] == "sentiment" and report["labels"] == ["meh", "neg", "pos"]
    assert report["sentences"]["accuracy"] == 1.0
    assert report["sentences"]["confusion"] == [[4, 0, 0], [0, 4, 0], [0, 0, 4]]
    plain = run_here("eval", hand_model, hand_file).stdout.decode()
    assert "accuracy: 1.0000" in plain and "   neg" in plain
    data = checkpoint.load(str(hand_model), kind="sentiment")
    assert data["training"]["labels"] == ["meh", "neg", "pos"]
    assert data["model"]["config"]["bidirectional"] is False


def test_predict_follows_the_input_lines(hand_model):
    lines = ["A warm, funny and moving film.", "", "__label__pos The plot is thin and the "
             "acting is wooden .", "pos\tTedious , predictable and far too long .",
             "(4 (2 I) (2 loved) (2 every) (2 minute) (2 of) (2 it) (2 .))"]
    result = run_here("predict", hand_model, input="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().split("\n")
    assert len(out) == len(lines) + 1 and out[1] == "" and out[-1] == ""
    # labels in the input are ignored; text is tokenized as in training
    assert [line.split("\t")[0] for line in out[:5]] == ["pos", "", "neg", "neg", "pos"]
    for line in (out[0], out[2], out[3], out[4]):
        label, p = line.split("\t")
        assert label in ("meh", "neg", "pos") and 0.33 < float(p) <= 1
    probs = run_here("predict", hand_model, "--output", "probs", input=lines[0] + "\n")
    label, *rest = probs.stdout.decode().strip().split("\t")
    values = dict(item.split("=") for item in rest)
    assert list(values) == ["meh", "neg", "pos"] and label == "pos"
    assert abs(sum(map(float, values.values())) - 1) < 1e-3
    record = json.loads(run_here("predict", hand_model, "--output", "json",
                                 input=lines[0] + "\n").stdout)
    assert record["label"] == "pos" and set(record["probabilities"]) == {"meh", "neg", "pos"}
    usage = run_here("predict", hand_model, "--output", "trees", input="x\n")
    assert usage.returncode == 2 and b"needs a tree model" in usage.stderr


def test_packing_makes_batches_invisible():
    """A sentence's probabilities are the same alone and among much longer and shorter ones."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    sentences = [rng.integers(1, 50, size=n) for n in (7, 1, 60, 3, 7, 25, 2)]
    for cell in ("lstm", "gru", "rnn"):
        for pool in ("last", "mean", "max"):
            model = SentimentModel(50, 3, embed=8, hidden=12, layers=2, cell=cell,
                                   bidirectional=True, pool=pool).eval()
            together = sequence_probabilities(model, sentences, batch_size=64)
            for i, sentence in enumerate(sentences):
                alone = sequence_probabilities(model, [sentence])
                assert np.abs(alone[0] - together[i]).max() < 1e-6, (cell, pool, i)
            ids, lengths = pad(sentences)  # padding with another id changes nothing either
            with torch.no_grad():
                other = torch.where(ids == 0, torch.full_like(ids, 9), ids)
                assert torch.allclose(model(ids, lengths), model(other, lengths), atol=1e-6)


def test_length_batches_group_similar_lengths():
    sequences = [np.arange(n % 13 + 1) for n in range(100)]
    batches = LengthBatches(sequences, [n % 2 for n in range(100)], batch_size=10, seed=3)
    seen = []
    for ids, lengths, targets, indices in batches:
        assert ids.shape == (len(indices), int(lengths.max()))
        assert int(lengths.max()) - int(lengths.min()) <= 2
        assert targets.tolist() == [i % 2 for i in indices]
        seen.extend(indices.tolist())
    assert sorted(seen) == list(range(100))
    again = [indices.tolist() for *_, indices in batches]
    assert sorted(map(sorted, again)) != [sorted(b) for b in again]  # a new order each pass
    first = [i.tolist() for *_, i in LengthBatches(sequences, [0] * 100, 10, seed=5)]
    second = [i.tolist() for *_, i in LengthBatches(sequences, [0] * 100, 10, seed=5)]
    assert first == second  # the seed decides the order


# --- word order: a task no bag of words can solve -------------------------------------------

POSITIVE = ["good", "great", "fine", "lovely", "superb", "clever", "charming", "sharp"]
NEGATIVE = ["bad", "awful", "poor", "dull", "weak", "clumsy", "tedious", "stale"]
NOUNS = ["film", "plot", "cast", "score", "script", "ending", "pace", "dialogue"]


def order_examples(seed: int, count: int) -> list[tuple[str, str]]:
    """'the plot is good , not bad' (pos) against 'the plot is bad , not good' (neg): the
    very same words, in an order that decides the label."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        p, n, noun = rng.choice(POSITIVE), rng.choice(NEGATIVE), rng.choice(NOUNS)
        first, second, label = (p, n, "pos") if rng.random() < 0.5 else (n, p, "neg")
        examples.append((label, f"the {noun} is {first} , not {second}"))
    return examples


def bag_of_words_accuracy(train, test) -> float:
    """Accuracy of a logistic regression on mean word embeddings (order-blind)."""
    torch.manual_seed(0)
    index = {w: i for i, w in enumerate(sorted({w for _, s in train for w in s.split()}))}
    embed = torch.nn.EmbeddingBag(len(index), 16, mode="mean")
    head = torch.nn.Linear(16, 2)
    opt = torch.optim.Adam([*embed.parameters(), *head.parameters()], lr=0.02)

    def logits(items):
        flat = [index[w] for _, s in items for w in s.split()]
        offsets = np.cumsum([0] + [len(s.split()) for _, s in items[:-1]])
        return head(embed(torch.tensor(flat), torch.tensor(offsets)))

    def targets(items):
        return torch.tensor([int(label == "pos") for label, _ in items])
    for _ in range(300):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(logits(train), targets(train)).backward()
        opt.step()
    with torch.no_grad():
        return float((logits(test).argmax(-1) == targets(test)).float().mean())


def test_word_order_matters(tmp_path):
    train, test = order_examples(1, 600), order_examples(2, 200)
    (tmp_path / "train.tsv").write_text("".join(f"{l}\t{s}\n" for l, s in train))
    (tmp_path / "test.tsv").write_text("".join(f"{l}\t{s}\n" for l, s in test))
    out = tmp_path / "order.pt"
    result = run_here("train", "sentiment", tmp_path / "train.tsv", "-o", out, "--epochs", "12",
                      "--hidden", "32", "--embed", "16", "--lr", "0.01", "--batch-size", "16",
                      "--dropout", "0", "--random-seed", "0")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(run_here("eval", out, tmp_path / "test.tsv", "--json").stdout)
    recurrent = report["sentences"]["accuracy"]
    bag = bag_of_words_accuracy(train, test)
    assert recurrent >= 0.95, report
    assert bag <= 0.7 and recurrent - bag >= 0.25, (recurrent, bag)


GENERATED = ROOT / "corpora" / "sentiment"


def test_generalizes_on_the_generated_treebank(tmp_path):
    """Trained on the generated treebank (tree format, binary convention: its sentences and
    every labelled phrase), it labels held-out sentences well."""
    out = tmp_path / "gen.pt"
    result = run_here("train", "sentiment", GENERATED / "train.txt", "--dev",
                      GENERATED / "dev.txt", "--binary", "--bidirectional", "-o", out,
                      "--epochs", "2", "--hidden", "48", "--embed", "32", "--lr", "0.005",
                      "--random-seed", "0")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(run_here("eval", out, GENERATED / "test.txt", "--json").stdout)
    assert report["view"] == "binary" and report["labels"] == ["0", "1"]
    assert report["sentences"]["accuracy"] >= 0.85, report["sentences"]


# --- formats and errors ------------------------------------------------------------------

def test_every_format_round_trips(tmp_path, hand_file):
    rows = [line.split("\t") for line in HAND.splitlines()]
    (tmp_path / "a.ft").write_text("".join(f"__label__{l} {t}\n" for l, t in rows))
    labels = {"pos": "4", "neg": "0", "meh": "2"}
    (tmp_path / "a.trees").write_text("".join(
        f"({labels[l]} " + " ".join(f"(2 {w})" for w in t.split()) + ")\n" for l, t in rows))
    for name, fmt in (("a.ft", "fasttext"), ("a.trees", "trees"), ("a.ft", "auto")):
        out = tmp_path / f"{fmt}.pt"
        result = run_here("train", "sentiment", tmp_path / name, "--format", fmt, "-o", out,
                          "--epochs", "40", "--dropout", "0", *SMALL)
        assert result.returncode == 0, result.stderr.decode()
        report = json.loads(run_here("eval", out, tmp_path / name, "--json").stdout)
        assert report["sentences"]["accuracy"] == 1.0, (fmt, report)
        predicted = run_here("predict", out, tmp_path / name).stdout.decode().splitlines()
        want = [labels[l] if fmt == "trees" else l for l, _ in rows]
        assert [line.split("\t")[0] for line in predicted] == want
    stdin = run_here("train", "sentiment", "-o", tmp_path / "stdin.pt", "--epochs", "1", *SMALL,
                     input=HAND)
    assert stdin.returncode == 0, stdin.stderr


def test_read_examples_phrases_and_binary(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("(3 (2 not) (1 bad))\n\n(1 (2 not) (3 (2 very) (4 good)))\n(2 (2 so) (2 so))\n")
    tokenize = make_tokenizer("whitespace")
    labels, tokens = labelled.read_examples([str(path)], "trees", tokenize)
    assert labels == ["3", "1", "2"] and tokens[1] == ["not", "very", "good"]
    labels, tokens = labelled.read_examples([str(path)], "trees", tokenize, binary=True,
                                            phrases=True)
    assert list(zip(labels, map(" ".join, tokens))) == [
        ("1", "not bad"), ("0", "bad"), ("0", "not very good"), ("1", "good"),
        ("1", "very good")]  # neutral ones left out, "not" once


@pytest.mark.parametrize("content, args, fragments", [
    ("pos\tgood\nneg bad\n", ["--format", "tsv"], ["line 2", "no TAB"]),
    ("pos\tgood\nneg\t   \n", [], ["line 2", "no text after the label"]),
    ("pos\tgood\njust text\n", [], ["line 2", "no label"]),
    ("(3 (2 a) (3 b))\n(7 (2 a) (3 b))\n", ["--binary"], ["line 2", "'7'", "SST class"]),
    ("(3 (2 a) (3 b)\n", [], ["line 1", "unbalanced"]),
    ("__label__a __label__b good\n", [], ["line 1", "more than one label"]),
    ("pos\tgood\npos\tfine\n", [], ["only one label"]),
    ("\n\n", [], ["no training examples"]),
])
def test_bad_input_is_one_line(tmp_path, content, args, fragments):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    result = run_here("train", "sentiment", path, "-o", tmp_path / "m.pt", *args)
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "m.pt").exists()


def test_usage_errors(tmp_path, hand_file):
    result = run_here("train", "sentiment", hand_file, "--format", "xml", "-o", tmp_path / "m.pt")
    assert result.returncode == 2 and b"xml" in result.stderr
    dev = tmp_path / "dev.tsv"
    dev.write_text("pos\tgood\nodd\tthing\n")
    assert_one_line_error(run_here("train", "sentiment", hand_file, "--dev", dev, "-o",
                                   tmp_path / "m.pt", "--epochs", "1"), "'odd'", "no training")
