"""`rnntool train wordlm`: a word-level language model through the real command line."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from conftest import assert_one_line_error, run_here

SMALL = ["--hidden", "48", "--embed", "48", "--layers", "1", "--seq-len", "20",
         "--batch-size", "16", "--lr", "0.01", "--dropout", "0", "--eval-every", "100"]


def sentences(count: int, seed: int) -> str:
    """Lines from a small grammar: which words may follow which is nearly fixed, so a
    recurrent model can do far better than word frequencies."""
    rng = random.Random(seed)
    animals, verbs, things = ["cat", "dog", "fox", "owl"], ["sees", "likes", "finds"], \
        ["ball", "tree", "river", "stone"]
    lines = []
    for _ in range(count):
        a, v, t = rng.choice(animals), rng.choice(verbs), rng.choice(things)
        if rng.random() < 0.5:
            lines.append(f"the {a} {v} the {t} .")
        else:
            lines.append(f"a small {a} {v} a big {t} near the {rng.choice(things)} .")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wordlm")
    (folder / "train.txt").write_text(sentences(3000, 1))
    (folder / "heldout.txt").write_text(sentences(400, 2))
    out = folder / "words.pt"
    result = run_here("train", "wordlm", folder / "train.txt", *SMALL, "--steps", "300",
                      "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    assert b"nats/word (perplexity" in result.stderr
    return out


def test_it_learns_far_better_than_word_frequencies(model):
    from rnntool import checkpoint
    from rnntool.evaluate import unigram_loss
    folder = model.parent
    report = json.loads(run_here("eval", "--json", model, folder / "heldout.txt").stdout)
    assert set(report) == {"checkpoint", "kind", "words", "unknown_words", "loss",
                           "perplexity"}
    assert report["kind"] == "wordlm" and report["unknown_words"] == 0
    vocab = checkpoint.restore_vocab(checkpoint.load(str(model)))
    unigram = unigram_loss(np.array(vocab.counts), vocab.encode(
        (folder / "heldout.txt").read_text()))
    assert report["perplexity"] < 0.5 * np.exp(unigram), (report, np.exp(unigram))
    text = run_here("eval", model, folder / "heldout.txt").stdout.decode()
    assert "nats/word (perplexity" in text


def test_sample_streams_words_after_a_word_prime(model):
    result = run_here("sample", model, "--seed", "the cat", "--length", "40",
                      "--random-seed", "3", "--temperature", "0.5")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode()
    assert text.startswith("the cat ")
    known = {"the", "a", "small", "big", "near", "cat", "dog", "fox", "owl", "sees", "likes",
             "finds", "ball", "tree", "river", "stone", "."}
    assert set(text.split()) <= known
    assert text.count("\n") >= 3  # it draws line ends and starts new lines
    again = run_here("sample", model, "--seed", "the cat", "--length", "40",
                     "--random-seed", "3", "--temperature", "0.5")
    assert again.stdout == result.stdout
    greedy = run_here("sample", model, "--length", "12", "--greedy").stdout.decode()
    assert greedy.split()[0] in ("the", "a")  # starts as a line of its text starts
    top = run_here("sample", model, "--seed", "a small", "--length", "30", "--top-k", "1")
    assert top.stdout == run_here("sample", model, "--seed", "a small", "--length", "30",
                                  "--greedy").stdout


def test_unknown_prime_words_are_named(model):
    assert_one_line_error(run_here("sample", model, "--seed", "the zebra likes tea"),
                          "the seed holds words the model's vocabulary lacks",
                          "'zebra'", "'tea'")


def test_tied_embeddings(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(sentences(300, 5))
    assert_one_line_error(run_here("train", "wordlm", corpus, "--tie", "--embed", "32",
                                   "--hidden", "48", "-o", tmp_path / "x.pt"),
                          "--tie needs --embed equal to --hidden (they are 32 and 48)")
    out = tmp_path / "tied.pt"
    assert run_here("train", "wordlm", corpus, *SMALL, "--tie", "--steps", "20",
                    "-o", out).returncode == 0
    saved = torch.load(out, weights_only=True)["model"]
    assert saved["config"]["tie"] is True
    weights = saved["state_dict"]
    assert torch.equal(weights["head.weight"], weights["embedding.weight"])
    from rnntool import api
    loaded = api.load(out).module
    assert loaded.head.weight.data_ptr() == loaded.embedding.weight.data_ptr()


def test_an_encoded_corpus_and_its_vocabulary(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(sentences(500, 7))
    vocab, ids = tmp_path / "w.vocab", tmp_path / "ids.npy"
    assert run_here("vocab", "--level", "word", "--lowercase", corpus, "-o", vocab,
                    "--encode", ids).returncode == 0
    out = tmp_path / "m.pt"
    result = run_here("train", "wordlm", "--data", ids, "--vocab", vocab, *SMALL, "--steps",
                      "10", "-o", out)
    assert result.returncode == 0, result.stderr
    settings = torch.load(out, weights_only=True)["training"]["settings"]
    assert settings["lowercase"] is True  # the vocabulary's own case folding
    chars = tmp_path / "c.vocab"
    assert run_here("vocab", corpus, "-o", chars).returncode == 0
    assert_one_line_error(run_here("train", "wordlm", corpus, "--vocab", chars, "-o", out),
                          "a char-level vocabulary; wordlm needs a word-level one")


def test_min_count_makes_rare_words_unknown(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(sentences(200, 9) + "a zebra sees the ball .\n")
    out = tmp_path / "m.pt"
    assert run_here("train", "wordlm", corpus, *SMALL, "--steps", "5", "--min-count", "2",
                    "-o", out).returncode == 0
    tokens = torch.load(out, weights_only=True)["vocab"]["tokens"]
    assert "zebra" not in tokens and "ball" in tokens and tokens[:4] == [
        "<pad>", "<unk>", "<s>", "</s>"]


def test_a_wordlm_run_resumes_exactly(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text(sentences(600, 11))
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    # --decay 0: a step's learning rate does not depend on where the run ends
    args = ["train", "wordlm", corpus, *SMALL, "--eval-every", "10", "--decay", "0"]
    assert run_here(*args, "--steps", "30", "-o", straight).returncode == 0
    assert run_here(*args, "--steps", "15", "-o", split).returncode == 0
    assert run_here("train", "wordlm", "--resume", split, "--steps", "30").returncode == 0
    a = torch.load(straight, weights_only=True)["training"]["resume"]["model"]
    b = torch.load(split, weights_only=True)["training"]["resume"]["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_the_python_api_trains_and_samples_words(tmp_path):
    import rnntool
    summary = rnntool.train_wordlm(text=sentences(800, 13), output=tmp_path / "w.pt",
                                   quiet=True, hidden=32, embed=32, tie=True, layers=1,
                                   seq_len=20, batch_size=8, steps=60, dropout=0.0, lr=0.01)
    assert summary["steps"] == 60 and "train_words_per_second" in summary
    model = rnntool.load(tmp_path / "w.pt")
    text = model.sample("the dog", length=20, random_seed=1)
    assert text.startswith(" ") and len(text.split()) <= 20
    assert model.evaluate(text=sentences(50, 14))["perplexity"] > 1
