"""The Python API (`import rnntool`): every function on small real data, real training for a
few steps, the errors a caller meets, the cheap import, and the README's example."""

from __future__ import annotations

import inspect
import json
import math
import os
import re
import subprocess
import sys

import pytest

import rnntool
from rnntool import trees as treelib
from rnntool.errors import CheckpointError, InputError, RnnToolError

from conftest import ROOT, run_here

SENTIMENT = ROOT / "corpora" / "sentiment"
HAND = [("pos", "A warm , funny and moving film ."), ("pos", "I loved every minute of it ."),
        ("pos", "Brilliant writing and a great score ."),
        ("neg", "A dull , lifeless mess ."), ("neg", "I wanted my two hours back ."),
        ("neg", "Tedious , predictable and far too long .")]
TINY_LM = dict(hidden=32, embed=16, layers=1, batch_size=8, seq_len=40, lr=0.01, steps=30,
               eval_every=15, random_seed=2)


def sst_lines(name: str, count: int) -> list[str]:
    return (SENTIMENT / name).read_text(encoding="utf-8").splitlines()[:count]


@pytest.fixture(scope="module")
def lm_text(corpus_text) -> str:
    return corpus_text[:40_000]


@pytest.fixture(scope="module")
def charlm(tmp_path_factory, lm_text):
    out = tmp_path_factory.mktemp("api") / "lm.pt"
    summary = rnntool.train_charlm(text=lm_text, output=out, quiet=True, **TINY_LM)
    return out, summary


@pytest.fixture(scope="module")
def treebank(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sst")
    for name, count in (("train.txt", 400), ("dev.txt", 80), ("test.txt", 60)):
        (folder / name).write_text("\n".join(sst_lines(name, count)) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def tree_model(treebank):
    out = treebank / "tree.pt"
    summary = rnntool.train_tree(rnntool.read_trees(treebank / "train.txt"), out,
                                 dev=treebank / "dev.txt", hidden=16, epochs=2, quiet=True)
    return out, summary


@pytest.fixture(scope="module")
def sentiment_model(treebank):
    out = treebank / "sentiment.pt"
    summary = rnntool.train_sentiment(treebank / "train.txt", out, dev=treebank / "dev.txt",
                                      phrases=False, hidden=16, embed=16, epochs=2, quiet=True)
    return out, summary


# --- the package ------------------------------------------------------------------------------

def test_import_rnntool_loads_neither_torch_nor_numpy():
    code = "import rnntool, sys; print('torch' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_public_names_resolve_and_have_docstrings():
    assert set(rnntool.__all__) <= set(dir(rnntool))
    for name in rnntool.__all__:
        value = getattr(rnntool, name)
        assert value is getattr(rnntool, name)
        if name not in ("Tree",):  # NLTK's own class
            assert inspect.getdoc(value), name
    for name, method in vars(rnntool.Model).items():
        if callable(method) and not name.startswith("_"):
            assert inspect.getdoc(method), name
    assert rnntool.api.__doc__ and "not" in rnntool.api.__doc__
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        rnntool.no_such_thing  # noqa: B018
    from rnntool import checkpoint, corpus, trees  # the library modules are still there
    assert callable(corpus.build_vocab) and callable(trees.read_tree) and checkpoint.load


# --- vocabularies -----------------------------------------------------------------------------

@pytest.mark.parametrize("options", [dict(level="char"),
                                     dict(level="word", tokenizer="treebank", lowercase=True),
                                     dict(level="word", min_count=2, max_size=60)])
def test_build_vocab_from_strings_is_that_of_the_files(tmp_path, options):
    texts = ["The Cat sat.\nA dog ran; the cat sat again!", "Zebra, the cat.\n\nthe end"]
    paths = []
    for i, text in enumerate(texts):
        paths.append(tmp_path / f"{i}.txt")
        paths[-1].write_text(text, encoding="utf-8")
    from_files = rnntool.build_vocab(paths, **options)
    from_texts = rnntool.build_vocab(texts=texts, **options)
    assert isinstance(from_texts, rnntool.Vocab)
    assert (from_texts.tokens, from_texts.counts) == (from_files.tokens, from_files.counts)
    from_texts.save(tmp_path / "v.vocab")
    assert rnntool.load_vocab(tmp_path / "v.vocab").tokens == from_files.tokens


def test_build_vocab_errors(tmp_path):
    with pytest.raises(TypeError, match="files or texts"):
        rnntool.build_vocab()
    with pytest.raises(TypeError, match="files or texts"):
        rnntool.build_vocab("a.txt", texts="abc")
    with pytest.raises(InputError, match="empty"):
        rnntool.build_vocab(texts=["", "\n"], level="word")
    with pytest.raises(RnnToolError, match="level"):
        rnntool.build_vocab(texts="abc", level="byte")
    with pytest.raises(InputError, match="no such file"):
        rnntool.build_vocab(tmp_path / "missing.txt")


# --- trees ------------------------------------------------------------------------------------

def test_read_trees_parse_tree_and_binarize(tmp_path):
    path = tmp_path / "trees.txt"
    path.write_text("(3 (2 a) (3 good) (2 film))\n\n(S (NP (DT the) (NN cat)) (VP sat))\n")
    binary = rnntool.read_trees(path)
    assert len(binary) == 2 and all(treelib.is_binary(t) for t in binary)
    assert rnntool.to_brackets(binary[0]) == "(3 (2 a) (3|<3-2> (3 good) (2 film)))"
    as_read = rnntool.read_trees(path, binarize=False)
    assert len(as_read[0]) == 3
    assert rnntool.to_brackets(rnntool.binarize(as_read[0])) == rnntool.to_brackets(binary[0])
    assert rnntool.normalize(as_read[1]) is as_read[1]  # in place, as rnntool.trees does

    sentence = rnntool.parse_tree("The film isn't good.", shape="balanced")
    assert isinstance(sentence, rnntool.Tree)
    assert treelib.leaves(sentence) == ["The", "film", "is", "n't", "good", "."]
    assert treelib.is_binary(sentence)
    assert rnntool.to_brackets(rnntool.parse_tree("pos\t(1 (1 bad) (2 film))", input="tsv")) \
        == "(1 (1 bad) (2 film))"
    with pytest.raises(InputError, match="never closed"):
        rnntool.parse_tree("(3 (2 a) (3 good)")
    with pytest.raises(InputError, match="blank"):
        rnntool.parse_tree("  ")

    path.write_text("(3 (2 a) (3 good))\n(3 (2 a\n")
    with pytest.raises(InputError, match="trees.txt: line 2"):
        rnntool.read_trees(path)
    assert len(rnntool.read_trees(path, on_error="skip")) == 1


# --- char-LMs ---------------------------------------------------------------------------------

def test_train_charlm_load_and_sample(charlm):
    path, summary = charlm
    assert summary["steps"] == 30 and summary["output"] == str(path)
    assert math.isfinite(summary["best_val_loss"]) and summary["saved_step"] == 30
    model = rnntool.load(path)
    assert model.kind == "charlm" and model.labels is None and model.path == str(path)
    assert model.config["hidden"] == 32 and model.vocab.level == "char"
    assert model.training["settings"]["steps"] == 30 and "resume" not in model.training
    assert not model.module.training  # eval mode
    assert "charlm" in repr(model)

    text = model.sample("SCENE", length=80, temperature=0.8, random_seed=4)
    assert len(text) == 80 and isinstance(text, str)
    assert model.sample("SCENE", length=80, temperature=0.8, random_seed=4) == text
    pieces = list(model.stream("SCENE", length=80, temperature=0.8, random_seed=4))
    assert len(pieces) == 80 and "".join(pieces) == text
    assert len(model.sample(length=20)) == 20  # no seed: starts as at a line start
    assert model.sample("The", length=30, greedy=True) == model.sample("The", length=30,
                                                                       greedy=True)
    # The very text `rnntool sample` prints after its seed
    cli = run_here("sample", path, "--seed", "SCENE", "--length", "80", "--temperature",
                   "0.8", "--random-seed", "4")
    assert cli.returncode == 0
    assert cli.stdout.decode("utf-8") == "SCENE" + text + ("" if text.endswith("\n") else "\n")


def test_charlm_errors_and_evaluate(charlm, lm_text, tmp_path):
    path, _ = charlm
    model = rnntool.load(path)
    with pytest.raises(RnnToolError, match="lacks"):
        model.sample("\u2603 snowman", length=5)
    with pytest.raises(RnnToolError, match="temperature"):
        model.sample("The", temperature=0)
    with pytest.raises(CheckpointError, match="charlm checkpoint; predict needs a tree, "
                                              "sentiment, tagger, forecast or parser checkpoint"):
        model.predict(["the film"])
    report = model.evaluate(text=lm_text[-5000:])
    assert report["kind"] == "charlm" and report["characters"] == 5000
    assert report["bits_per_character"] == pytest.approx(report["loss"] / math.log(2))
    held_out = tmp_path / "held.txt"
    held_out.write_text(lm_text[-5000:], encoding="utf-8")
    assert model.evaluate(held_out)["loss"] == pytest.approx(report["loss"])
    with pytest.raises(TypeError):
        model.evaluate()


def test_train_charlm_from_files_is_the_same_run_and_reports_progress(charlm, lm_text,
                                                                      tmp_path, capfd):
    _, summary = charlm
    corpus = tmp_path / "lm.txt"
    corpus.write_text(lm_text, encoding="utf-8")
    again = rnntool.train_charlm([corpus], tmp_path / "again.pt", **TINY_LM)
    assert again["best_val_loss"] == pytest.approx(summary["best_val_loss"], rel=1e-5)
    out, err = capfd.readouterr()
    assert out == ""
    assert "rnntool: training a 1x32 lstm" in err and "model in" in err
    record = rnntool.load(tmp_path / "again.pt").training["settings"]
    assert record["source"] == {"files": [str(corpus)]}


def test_training_argument_errors(tmp_path, lm_text):
    with pytest.raises(TypeError, match=r"'hiden'; its settings are: cell, layers, hidden"):
        rnntool.train_charlm(text=lm_text, output=tmp_path / "x.pt", hiden=8)
    with pytest.raises(TypeError, match="'cells'; its settings are: cell, hidden"):
        rnntool.train_tree([], tmp_path / "x.pt", cells="rnn")
    with pytest.raises(RnnToolError, match="--hidden must be at least 1"):
        rnntool.train_sentiment(HAND, tmp_path / "x.pt", hidden=0)
    with pytest.raises(TypeError, match="files or text"):
        rnntool.train_charlm(output=tmp_path / "x.pt")
    with pytest.raises(RnnToolError, match="does not exist"):
        rnntool.train_charlm(text=lm_text, output=tmp_path / "no" / "x.pt", steps=1)
    with pytest.raises(RnnToolError, match="too few"):
        rnntool.train_charlm(text="abc", output=tmp_path / "x.pt", steps=1, quiet=True)
    with pytest.raises(RnnToolError, match="word-level vocabulary"):
        rnntool.train_charlm(text=lm_text, output=tmp_path / "x.pt",
                             vocab=rnntool.build_vocab(texts=lm_text, level="word"))
    assert not (tmp_path / "x.pt").exists()


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        rnntool.load(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not an rnntool checkpoint"):
        rnntool.load(tmp_path / "junk.pt")


# --- tree models ------------------------------------------------------------------------------

def test_tree_model_predicts_as_the_command_does(tree_model, treebank):
    path, summary = tree_model
    assert summary["classes"] == 5 and summary["steps"] == 2 * 16
    model = rnntool.load(path)
    assert model.kind == "tree" and model.labels == ["0", "1", "2", "3", "4"]
    lines = sst_lines("test.txt", 30) + ["the film is not very good .", "i loved it"]
    labels = model.predict(lines)
    cli = run_here("predict", path, input="\n".join(lines) + "\n")
    assert labels == [line.split("\t")[0] for line in cli.stdout.decode().splitlines()]
    assert model.predict(lines[0]) == labels[0]
    assert model.predict([]) == []

    probs = model.probabilities(lines)
    assert all(sum(p.values()) == pytest.approx(1, abs=1e-5) for p in probs)
    assert [max(p, key=p.get) for p in probs] == labels
    # alone or in a batch: the same up to float rounding (level sizes differ with the batch)
    assert model.probabilities(lines[-1]) == pytest.approx(probs[-1], abs=1e-6)

    nodes = model.predict_trees(lines[:3])
    cli = run_here("predict", path, "--output", "trees", input="\n".join(lines[:3]) + "\n")
    assert [rnntool.to_brackets(t) for t in nodes] == cli.stdout.decode().splitlines()

    mine = rnntool.parse_tree(lines[0])
    before = rnntool.to_brackets(mine)
    assert model.predict([mine, lines[0]]) == [labels[0]] * 2
    assert rnntool.to_brackets(mine) == before  # the caller's tree is left as it was


def test_tree_model_evaluate_and_errors(tree_model, treebank):
    path, _ = tree_model
    model = rnntool.load(path)
    report = model.evaluate(treebank / "test.txt")
    cli = json.loads(run_here("eval", path, treebank / "test.txt", "--json").stdout)
    assert report["roots"]["accuracy"] == cli["roots"]["accuracy"]
    assert report["all_nodes"]["confusion"] == cli["all_nodes"]["confusion"]
    assert report["trees"] == 60 and report["checkpoint"] == str(path)
    in_memory = model.evaluate(rnntool.read_trees(treebank / "test.txt", binarize=False))
    assert in_memory["roots"] == report["roots"]

    with pytest.raises(InputError, match="item 2: column 4: unbalanced"):
        model.predict(["the film", "(3 (2 a"])
    with pytest.raises(TypeError, match="item 1"):
        model.predict([3])
    with pytest.raises(CheckpointError, match="sampling needs a language model, charlm or wordlm"):
        model.sample("x")
    with pytest.raises(InputError, match="label '7' is not a class"):
        model.evaluate([rnntool.parse_tree("(7 (2 a) (3 b))")])


def test_train_tree_in_memory_binary(tmp_path, treebank):
    train = [rnntool.parse_tree(line) for line in sst_lines("train.txt", 150)]
    kept = rnntool.to_brackets(train[0])
    summary = rnntool.train_tree(train, tmp_path / "b.pt", binary=True, cell="lstm",
                                 hidden=8, epochs=1, quiet=True)
    assert summary["classes"] == 2 and rnntool.to_brackets(train[0]) == kept
    assert rnntool.load(tmp_path / "b.pt").labels == ["0", "1"]
    with pytest.raises(InputError, match="training tree 1: label 9 is not an SST class"):
        rnntool.train_tree([rnntool.parse_tree("(9 (2 a) (3 b))")], tmp_path / "c.pt",
                           binary=True, quiet=True)


# --- sentence classifiers ---------------------------------------------------------------------

def test_sentiment_model_predicts_as_the_command_does(sentiment_model, treebank):
    path, summary = sentiment_model
    assert summary["classes"] == ["0", "1", "2", "3", "4"]
    model = rnntool.load(path)
    assert model.kind == "sentiment" and model.labels == summary["classes"]
    lines = sst_lines("test.txt", 20) + ["the film is wonderful .", "3\tthe plot is dull"]
    labels = model.predict(lines)
    cli = run_here("predict", path, input="\n".join(lines) + "\n")
    assert labels == [line.split("\t")[0] for line in cli.stdout.decode().splitlines()]
    probs = model.probabilities(lines[-1])
    assert list(probs) == model.labels and max(probs, key=probs.get) == labels[-1]

    report = model.evaluate(treebank / "test.txt")
    cli = json.loads(run_here("eval", path, treebank / "test.txt", "--json").stdout)
    assert report["sentences"]["accuracy"] == cli["sentences"]["accuracy"]
    with pytest.raises(InputError, match="item 1: blank"):
        model.predict([""])
    with pytest.raises(CheckpointError, match="predict_trees needs a tree checkpoint"):
        model.predict_trees(["a film"])


def test_train_sentiment_in_memory(tmp_path):
    out = tmp_path / "hand.pt"
    summary = rnntool.train_sentiment(HAND, out, dev=HAND, hidden=16, embed=16, epochs=30,
                                      dropout=0.0, lr=0.02, batch_size=3, quiet=True)
    assert summary["classes"] == ["neg", "pos"] and summary["best_dev_accuracy"] == 1.0
    model = rnntool.load(out)
    assert model.predict([text for _, text in HAND]) == [label for label, _ in HAND]
    report = model.evaluate(HAND)
    assert report["sentences"]["accuracy"] == 1.0 and report["labels"] == ["neg", "pos"]
    trees = [rnntool.parse_tree("(4 (3 great) (2 film))"), rnntool.parse_tree("(0 (0 awful))")]
    assert rnntool.train_sentiment(trees, tmp_path / "t.pt", epochs=1,  # phrases: the default
                                   quiet=True)["classes"] == ["0", "2", "3", "4"]
    assert rnntool.train_sentiment(trees, tmp_path / "t.pt", epochs=1, quiet=True,
                                   phrases=False)["classes"] == ["0", "4"]

    with pytest.raises(RnnToolError, match="only one label"):
        rnntool.train_sentiment([("pos", "good")], tmp_path / "x.pt", quiet=True)
    with pytest.raises(InputError, match="example 2: empty label"):
        rnntool.train_sentiment([("pos", "good"), (" ", "bad")], tmp_path / "x.pt")
    with pytest.raises(InputError, match="example 1: no text"):
        rnntool.train_sentiment([("pos", "  ")], tmp_path / "x.pt")
    with pytest.raises(TypeError, match="example 1: expected a"):
        rnntool.train_sentiment([42], tmp_path / "x.pt")


# --- the README -------------------------------------------------------------------------------

def readme_python_example(text: str) -> str | None:
    """The first ```python block after the first heading that names the Python API."""
    lines = text.splitlines()
    heading = next((i for i, line in enumerate(lines)
                    if line.lstrip().startswith("#") and "python api" in line.lower()), None)
    if heading is None:
        return None
    found = re.search(r"^[ \t]*```python[ \t]*\n(.*?)^[ \t]*```[ \t]*$",
                      "\n".join(lines[heading + 1:]) + "\n", flags=re.S | re.M)
    return found.group(1) if found else None


def test_readme_example_extraction():
    text = "# x\n```python\nno()\n```\n## The Python API\nSay.\n\n```sh\nls\n```\n" \
           "```python\nimport rnntool\nprint(1)\n```\n```python\nlater()\n```\n"
    assert readme_python_example(text) == "import rnntool\nprint(1)\n"
    assert readme_python_example("# Python API\nno code\n") is None
    assert readme_python_example("```python\nx\n```\n") is None


def test_readme_python_api_example_runs(tmp_path):
    code = readme_python_example((ROOT / "README.md").read_text(encoding="utf-8"))
    if code is None:
        pytest.skip("README.md has no ```python block under a 'Python API' heading yet")
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNTOOL_LOG_INTERVAL="1000")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), "the example prints nothing"
