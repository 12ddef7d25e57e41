"""The trained span parser: CKY and bracket scores, the model, `train parser`, `parse
--model`, `predict --parser`, `eval` of a parser, resuming, the Python API."""

from __future__ import annotations

import json

import numpy as np
import pytest
from nltk.tree import Tree

from conftest import ROOT, assert_one_line_error, run_here
from rnntool import parsing
from rnntool.spans import best_trees, bracket_scores, spans_tree, tree_spans
from rnntool.trees import normalize, read_tree, to_brackets, tree_equal

TREEBANK = ROOT / "corpora" / "sentiment"
# a small parser that still learns the generated treebank's structures in one epoch
SMALL = ["--hidden", "48", "--embed", "32", "--char-embed", "16", "--char-hidden", "16",
         "--span-hidden", "48", "--batch-size", "16", "--threads", "1"]


def all_binary_trees(i: int, j: int):
    """Every binary tree over tokens i..j-1, as the set of its spans of two or more."""
    if j - i == 1:
        yield frozenset()
        return
    for k in range(i + 1, j):
        for left in all_binary_trees(i, k):
            for right in all_binary_trees(k, j):
                yield left | right | {(i, j)}


def test_cky_finds_the_best_tree_of_every_sentence_of_a_batch():
    rng = np.random.default_rng(0)
    for _ in range(60):
        lengths = [int(n) for n in rng.integers(1, 8, size=3)]
        scores = rng.normal(size=(3, max(lengths) + 1, max(lengths) + 1))
        found = best_trees(scores, lengths)
        for b, n in enumerate(lengths):
            if n == 1:
                assert found[b] == set()
                continue
            best = max(all_binary_trees(0, n),
                       key=lambda tree: sum(scores[b, i, j] for i, j in tree))
            assert found[b] == set(best)


def test_spans_and_trees_convert_both_ways():
    tree = read_tree("(3 (2 (2 The) (2 Rock)) (4 (3 (2 is) (4 great)) (2 .)))")
    tokens, spans = tree_spans(tree)
    assert tokens == ["The", "Rock", "is", "great", "."]
    assert spans == {(0, 5), (0, 2), (2, 5), (2, 4)}
    rebuilt = spans_tree(tokens, spans)
    assert str(rebuilt) == "(X (X The Rock) (X (X is great) .))"
    assert tree_spans(rebuilt) == (tokens, spans)
    assert str(spans_tree(["alone"], set())) == "(X alone)"
    # a unary chain gives its span once; a leaf under a unary node is one token
    assert tree_spans(read_tree("(S (S (A a) (B b)))")) == (["a", "b"], {(0, 2)})


def test_bracket_scores_follow_evalb():
    gold = [{(0, 5), (0, 2), (2, 5), (2, 4)}, {(0, 2)}]
    predicted = [{(0, 5), (0, 2), (2, 5), (3, 5)}, {(0, 2)}]
    report = bracket_scores(gold, predicted, [5, 2])
    # the whole sentence and single tokens are not brackets: 3 gold, 2 of them found
    assert report["brackets"] == 3
    assert report["precision"] == report["recall"] == report["f1"] == pytest.approx(2 / 3)
    assert report["exact_match"] == 0.5
    assert report["by_length"]["1-10"]["sentences"] == 2


def test_the_model_scores_a_sentence_alike_alone_and_in_a_batch():
    import torch

    from rnntool.data import encode_batch
    from rnntool.models.parser import ParserModel

    torch.manual_seed(0)
    model = ParserModel(40, embed=8, hidden=6, char_vocab_size=9, char_embed=4,
                        char_hidden=3, span_hidden=5).eval()
    assert ParserModel.parameter_count(**model.config) == sum(
        p.numel() for p in model.parameters())
    rng = np.random.default_rng(1)
    words = [rng.integers(1, 40, size=n) for n in (6, 2, 1, 4)]
    chars = [[rng.integers(1, 9, size=rng.integers(1, 5)) for _ in s] for s in words]
    batch = encode_batch(words, None, chars)
    together = model(batch["ids"], batch["lengths"], batch["chars"], batch["char_lengths"])
    for k, sentence in enumerate(words):
        one = encode_batch([sentence], None, [chars[k]])
        alone = model(one["ids"], one["lengths"], one["chars"], one["char_lengths"])[0]
        n = len(sentence)
        assert torch.allclose(alone, together[k, :n + 1, :n + 1], atol=1e-6)
    gold = [{(0, 6), (0, 2), (2, 6), (2, 4), (4, 6)}, {(0, 2)}, set(), {(0, 4), (1, 4), (2, 4)}]
    loss, count = ParserModel.margin_loss(together, batch["lengths"], gold)
    assert count == 4 and loss.item() >= 0


def shape_f1(path, shape: str) -> float:
    sentences = [tree_spans(normalize(read_tree(line)))
                 for line in open(path, encoding="utf-8")]
    shaped = [tree_spans(parsing.shape_tree(tokens, shape))[1] for tokens, _ in sentences]
    return bracket_scores([spans for _, spans in sentences], shaped,
                          [len(tokens) for tokens, _ in sentences])["f1"]


@pytest.fixture(scope="module")
def parser_model(tmp_path_factory):
    """A parser trained for one epoch on the generated treebank."""
    out = tmp_path_factory.mktemp("parser") / "parser.pt"
    result = run_here("train", "parser", TREEBANK / "train.txt", "--dev", TREEBANK / "dev.txt",
                      *SMALL, "--epochs", "1", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    return out


def test_a_trained_parser_recovers_the_generators_trees(parser_model):
    result = run_here("eval", parser_model, TREEBANK / "test.txt", "--json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["kind"] == "parser"
    assert set(report) >= {"sentences", "brackets", "precision", "recall", "f1",
                           "exact_match", "by_length"}
    shapes = {shape: shape_f1(TREEBANK / "test.txt", shape) for shape in parsing.SHAPES}
    # held-out sentences, after one epoch: far better than any fixed shape (at most 0.36)
    assert report["f1"] > 0.85 > max(shapes.values()) + 0.4, (report["f1"], shapes)
    text = run_here("eval", parser_model, TREEBANK / "test.txt")
    assert b"bracket precision" in text.stdout and b"by sentence length" in text.stdout


def test_parse_with_a_model_keeps_lines_aligned(parser_model, tmp_path):
    lines = "the film was not very good .\n\n(3 (2 a) (3 (2 b) (2 c)))\nit is a delight\n"
    result = run_here("parse", "--model", parser_model, input=lines)
    out = result.stdout.decode().splitlines()
    assert len(out) == 4 and out[1] == "" and out[2] == "(3 (2 a) (3 (2 b) (2 c)))"
    assert b"line 2: blank line" in result.stderr
    tree = Tree.fromstring(out[0])
    assert tree.leaves() == "the film was not very good .".split()
    assert all(len(node) <= 2 for node in tree.subtrees()) and tree.label() == "X"
    # pre-tokenized text: split at spaces only
    spaced = run_here("parse", "--model", parser_model, "--tokenizer", "whitespace",
                      input="can't stop (now)\n")
    assert Tree.fromstring(spaced.stdout.decode()).leaves() == ["can't", "stop",
                                                                 "-LRB-now-RRB-"]
    # the parser checkpoint predicts trees itself, as parse --model does
    same = run_here("predict", parser_model, input=lines)
    assert same.stdout == result.stdout


@pytest.fixture(scope="module")
def tree_model(tmp_path_factory):
    """A small tree model, trained for one epoch (a checkpoint of another kind than parser)."""
    out = tmp_path_factory.mktemp("tree") / "tree.pt"
    assert run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "16", "--epochs", "1",
                    "-o", out).returncode == 0
    return out


def test_predict_with_a_parser_equals_parse_piped_into_predict(parser_model, tree_model):
    sentences = "the film was good .\nnot bad at all\n"
    parsed = run_here("parse", "--model", parser_model, input=sentences).stdout
    piped = run_here("predict", tree_model, "--output", "trees", input=parsed)
    direct = run_here("predict", tree_model, "--parser", parser_model, "--output", "trees",
                      input=sentences)
    assert direct.returncode == 0 and direct.stdout == piped.stdout
    assert_one_line_error(run_here("predict", tree_model, "--parser", tree_model,
                                   input=sentences), "tree checkpoint", "parser")


def test_a_parser_run_resumes_exactly(tmp_path):
    import torch

    data = tmp_path / "train.txt"
    data.write_text("".join(open(TREEBANK / "dev.txt", encoding="utf-8").readlines()[:120]),
                    encoding="utf-8")
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    # --decay 0: a step's learning rate does not depend on where the run ends
    args = ["train", "parser", data, "--dev", data, *SMALL, "--decay", "0"]
    assert run_here(*args, "--epochs", "2", "-o", straight).returncode == 0
    assert run_here(*args, "--epochs", "1", "-o", split).returncode == 0
    assert run_here("train", "parser", "--resume", split, "--epochs", "2").returncode == 0
    a = torch.load(straight, weights_only=True)["training"]
    b = torch.load(split, weights_only=True)["training"]
    assert all(torch.equal(a["resume"]["model"][k], b["resume"]["model"][k])
               for k in a["resume"]["model"])
    assert [e["dev_f1"] for e in a["history"]] == [e["dev_f1"] for e in b["history"]]
    info = run_here("info", straight, "--json")
    assert json.loads(info.stdout)["kind"] == "parser"


def test_bad_treebank_lines_are_named(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("(X (X a) (X b))\n(X (X a) (X b)\n", encoding="utf-8")
    assert_one_line_error(run_here("train", "parser", bad, "--epochs", "1",
                                   "-o", tmp_path / "p.pt"), "bad.txt", "line 2")
    assert not (tmp_path / "p.pt").exists()


def test_the_python_api_parses_sentences(parser_model):
    import rnntool

    model = rnntool.load(parser_model)
    assert model.kind == "parser" and model.labels is None
    tree = model.predict("the plot is dull .")
    assert isinstance(tree, Tree) and tree.leaves() == ["the", "plot", "is", "dull", "."]
    trees = model.predict([["a", "good", "film"], "it was fun"])
    assert [t.leaves() for t in trees] == [["a", "good", "film"], ["it", "was", "fun"]]
    assert model.evaluate(TREEBANK / "test.txt")["f1"] > 0.85


def test_the_margin_loss_is_the_best_tree_with_its_cost_against_the_gold_tree():
    import torch

    from rnntool.models.parser import ParserModel

    rng = np.random.default_rng(2)
    for _ in range(20):
        n = int(rng.integers(2, 7))
        scores = torch.from_numpy(rng.normal(size=(1, n + 1, n + 1)))
        gold = set(next(iter(all_binary_trees(0, n))))
        loss, count = ParserModel.margin_loss(scores, [n], [gold])

        def score(tree):
            return sum(float(scores[0, i, j]) for i, j in tree)
        best = max(score(t) + len(set(t) - gold) for t in all_binary_trees(0, n))
        assert count == 1 and loss.item() == pytest.approx(best - score(gold))
    # a gold tree that wins by more than its margin costs nothing
    scores = torch.full((1, 4, 4), -5.0)
    scores[0, 0, 2] = scores[0, 0, 3] = 5.0
    assert ParserModel.margin_loss(scores, [3], [{(0, 2), (0, 3)}])[0].item() == 0


def test_sentences_over_the_length_limit_get_the_shape(parser_model, tmp_path):
    import rnntool
    from rnntool.models.parser import MAX_TOKENS

    words = " ".join(["good"] * (MAX_TOKENS + 1))
    result = run_here("parse", "--model", parser_model, input=f"a good film\n{words}\n")
    out = result.stdout.decode().splitlines()
    assert result.returncode == 0 and len(out) == 2
    assert out[1] == to_brackets(parsing.shape_tree(words.split(), "right"))
    assert f"line 2: {MAX_TOKENS + 1} tokens, longer than the trained parser's limit of " \
           f"{MAX_TOKENS}; used the right shape" in result.stderr.decode()
    assert tree_equal(rnntool.load(parser_model).predict(words, shape="left"),
                      parsing.shape_tree(words.split(), "left"))
    # training and eval leave such trees out, saying so
    long_tree = "(X " + " ".join(f"(X w{i})" for i in range(MAX_TOKENS + 1)) + ")\n"
    data = tmp_path / "long.txt"
    data.write_text("(X (X a) (X b))\n(X (X c) (X (X a) (X b)))\n" + long_tree,
                    encoding="utf-8")
    trained = run_here("train", "parser", data, *SMALL, "--epochs", "1", "-o", tmp_path / "p.pt")
    assert trained.returncode == 0
    assert b"left out 1 training tree of more than 300 words" in trained.stderr
    scored = run_here("eval", parser_model, data, "--json")
    assert json.loads(scored.stdout)["sentences"] == 2
    assert b"left out 1 evaluation tree" in scored.stderr


def test_lines_keep_their_numbers_across_batches_and_files(parser_model, tmp_path,
                                                           monkeypatch):
    monkeypatch.setattr(parsing, "PARSER_BATCH", 2)
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("one two\nthree four five\n(X (bad\n", encoding="utf-8")
    second.write_text("six seven\n\n", encoding="utf-8")
    result = run_here("parse", "--model", parser_model, first, second)
    assert [len(line) > 0 for line in result.stdout.decode().splitlines()] == \
        [True, True, False, True, False]
    err = result.stderr.decode()
    assert f"{first}: line 3: " in err and f"{second}: line 2: blank line" in err
    strict = run_here("parse", "--model", parser_model, "--strict", first)
    assert_one_line_error(strict, f"{first}: line 3")


def test_a_grammar_goes_first_and_the_parser_takes_what_it_does_not_cover(parser_model,
                                                                          tmp_path):
    grammar = tmp_path / "g.cfg"
    grammar.write_text("S -> 'a' 'b'\n", encoding="utf-8")
    result = run_here("parse", "--grammar", grammar, "--model", parser_model,
                      input="a b\nit is a delight\n")
    out = result.stdout.decode().splitlines()
    assert out[0] == "(S a b)" and Tree.fromstring(out[1]).label() == "X"
    assert result.stderr == b""  # the parser covered what the grammar did not


def test_parser_mistakes_are_one_line_errors(parser_model, tree_model, tmp_path):
    assert_one_line_error(run_here("parse", "--model", tree_model, input="a b\n"),
                          "tree checkpoint", "parser")
    assert_one_line_error(run_here("parse", "--model", tmp_path / "none.pt", input="a b\n"),
                          "none.pt")
    for args, message in ((["--output", "json"], b"--output json is not for a parser"),
                          (["--parser", parser_model], b"--parser is for tree models")):
        usage = run_here("predict", parser_model, *args, input="a b\n")
        assert usage.returncode == 2 and message in usage.stderr, usage.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    assert_one_line_error(run_here("eval", parser_model, empty), "no trees to evaluate on")
