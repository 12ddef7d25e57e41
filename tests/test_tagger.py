"""`rnntool train tagger`, `predict` and `eval` with a tagger, through the real command line."""

from __future__ import annotations

import json
import random

import pytest

from conftest import assert_one_line_error, run_here
from rnntool.tagging import read_tagged
from rnntool.tagscores import most_frequent_tag_baseline, tagging_report

SMALL = ["--hidden", "32", "--embed", "24", "--dropout", "0", "--batch-size", "16",
         "--lr", "0.01"]


def ambiguous_sentences(count: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """Sentences whose words 'run', 'walk', 'play' are nouns after a determiner and verbs
    after a pronoun: a word's most frequent tag gets them only half right."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        word = rng.choice(["run", "walk", "play", "swim"])
        if rng.random() < 0.5:
            out.append(([rng.choice(["the", "a"]), word, "was", rng.choice(["long", "fun"]),
                         "."], ["DT", "NN", "VB", "JJ", "."]))
        else:
            out.append(([rng.choice(["they", "we"]), word, rng.choice(["daily", "often"]),
                         "."], ["PRP", "VB", "RB", "."]))
    return out


def write_conll(path, sentences) -> None:
    path.write_text("".join("".join(f"{w}\t{t}\n" for w, t in zip(*s)) + "\n"
                            for s in sentences))


@pytest.fixture(scope="module")
def pos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tagger")
    write_conll(folder / "train.conll", ambiguous_sentences(600, 1))
    write_conll(folder / "test.conll", ambiguous_sentences(200, 2))
    out = folder / "pos.pt"
    result = run_here("train", "tagger", folder / "train.conll", "--dev", folder / "test.conll",
                      *SMALL, "--epochs", "4", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    return out


def test_the_tagger_beats_the_most_frequent_tag(pos):
    folder = pos.parent
    report = json.loads(run_here("eval", "--json", pos, folder / "test.conll").stdout)
    assert report["kind"] == "tagger" and report["entities"] is None
    train, test = read_tagged([str(folder / "train.conll")]), read_tagged(
        [str(folder / "test.conll")])
    baseline = tagging_report(test.tags, most_frequent_tag_baseline(
        train.words, train.tags, test.words))["token_accuracy"]
    assert baseline < 0.92 and report["token_accuracy"] > 0.99, (baseline, report)
    text = run_here("eval", pos, folder / "test.conll").stdout.decode()
    assert "token accuracy:" in text and "by tags:" in text


def test_predict_writes_the_input_format_back_with_tags(pos):
    conll = ("they\t_\nrun\t_\noften\t_\n.\t_\n\n"
             "the\t_\nplay\t_\nwas\t_\nfun\t_\n.\t_\n\n")  # CoNLL: its tags ignored
    result = run_here("predict", pos, input=conll)
    assert result.stdout.decode() == ("they\tPRP\nrun\tVB\noften\tRB\n.\t.\n\n"
                                      "the\tDT\nplay\tNN\nwas\tVB\nfun\tJJ\n.\t.\n\n")
    text = run_here("predict", pos, input="we swim daily .\n\na walk was long .\n")
    assert text.stdout.decode() == ("we/PRP swim/VB daily/RB ./.\n\n"
                                    "a/DT walk/NN was/VB long/JJ ./.\n")
    slash = run_here("predict", pos, input="we/X swim/X daily/X ./X\n")
    assert slash.stdout.decode() == "we/PRP swim/VB daily/RB ./.\n"
    records = run_here("predict", pos, "--output", "json", input="the run was fun .\n")
    assert json.loads(records.stdout) == {"words": ["the", "run", "was", "fun", "."],
                                          "tags": ["DT", "NN", "VB", "JJ", "."]}
    assert run_here("predict", pos, "--output", "trees", input="x\n").returncode == 2


def test_bio_tags_are_scored_by_entity(tmp_path):
    rng = random.Random(3)
    lines = []
    for _ in range(300):
        name = rng.choice([("Alice", "Smith"), ("Bob",), ("Carol", "de", "Vries")])
        place = rng.choice([("Paris",), ("New", "York"), ("Rome",)])
        words = ["yesterday", *name, "went", "to", *place, "."]
        tags = ["O", "B-PER", *["I-PER"] * (len(name) - 1), "O", "O", "B-LOC",
                *["I-LOC"] * (len(place) - 1), "O"]
        lines.append(" ".join(f"{w}/{t}" for w, t in zip(words, tags)))
    (tmp_path / "train.txt").write_text("\n".join(lines[:240]) + "\n")
    (tmp_path / "dev.txt").write_text("\n".join(lines[240:]) + "\n")
    out = tmp_path / "ner.pt"
    result = run_here("train", "tagger", tmp_path / "train.txt", "--dev", tmp_path / "dev.txt",
                      *SMALL, "--epochs", "4", "--chars", "-o", out)
    assert result.returncode == 0, result.stderr
    assert b"entity F1" in result.stderr
    report = json.loads(run_here("eval", "--json", out, tmp_path / "dev.txt").stdout)
    assert report["entities"]["f1"] > 0.95 and set(report["entities"]["per_type"]) == {
        "PER", "LOC"}
    facts = json.loads(run_here("info", "--json", out).stdout)
    assert facts["training"]["best"]["metric"] == "dev_entity_f1"
    assert "B-PER" in facts["labels"]


def test_bad_tagged_input_is_named(tmp_path):
    bad = tmp_path / "bad.conll"
    bad.write_text("the\tDT\ncat\n\n")
    assert_one_line_error(run_here("train", "tagger", bad, "-o", tmp_path / "m.pt"),
                          f"{bad}", "line 2")
    good, dev = tmp_path / "good.txt", tmp_path / "dev.txt"
    good.write_text("the/DT cat/NN ./.\n" * 20)
    dev.write_text("the/DT cat/XX ./.\n")
    assert_one_line_error(run_here("train", "tagger", good, "--dev", dev, "-o",
                                   tmp_path / "m.pt"),
                          "the development data holds tag 'XX'")
    skipped = run_here("train", "tagger", good, bad, "--on-error", "skip", *SMALL,
                       "--epochs", "1", "-o", tmp_path / "m.pt")
    assert skipped.returncode == 0, skipped.stderr
    assert b"skipped" in skipped.stderr


def test_the_python_api_trains_and_tags(tmp_path):
    import rnntool
    pairs = ambiguous_sentences(300, 4)
    summary = rnntool.train_tagger(pairs, tmp_path / "t.pt", dev=pairs[:50], quiet=True,
                                   hidden=32, embed=24, dropout=0.0, epochs=3, lr=0.01)
    assert summary["best_dev_accuracy"] > 0.95
    model = rnntool.load(tmp_path / "t.pt")
    assert model.labels == sorted({t for _, tags in pairs for t in tags})
    assert model.predict("the swim was fun .") == ["DT", "NN", "VB", "JJ", "."]
    assert model.predict([["we", "play", "daily", "."]]) == [["PRP", "VB", "RB", "."]]
    assert model.evaluate(pairs[:50])["token_accuracy"] > 0.95


def test_a_tagger_run_resumes_exactly(tmp_path):
    data = tmp_path / "t.conll"
    write_conll(data, ambiguous_sentences(200, 5))
    straight, split = tmp_path / "a.pt", tmp_path / "b.pt"
    # --decay 0: a step's learning rate does not depend on where the run ends
    args = ["train", "tagger", data, "--dev", data, *SMALL, "--chars", "--decay", "0"]
    assert run_here(*args, "--epochs", "3", "-o", straight).returncode == 0
    assert run_here(*args, "--epochs", "1", "-o", split).returncode == 0
    assert run_here("train", "tagger", "--resume", split, "--epochs", "3").returncode == 0
    import torch
    a = torch.load(straight, weights_only=True)["training"]
    b = torch.load(split, weights_only=True)["training"]
    assert all(torch.equal(a["resume"]["model"][k], b["resume"]["model"][k])
               for k in a["resume"]["model"])
    assert [e["dev_accuracy"] for e in a["history"]] == [e["dev_accuracy"]
                                                          for e in b["history"]]


def test_resuming_on_other_data_and_untagged_text_are_refused(tmp_path):
    data, other = tmp_path / "a.txt", tmp_path / "b.txt"
    data.write_text("the/DT cat/NN ./.\n" * 10)
    other.write_text("the/DT cat/XX ./.\n" * 10)
    out = tmp_path / "m.pt"
    assert run_here("train", "tagger", data, *SMALL, "--epochs", "1", "-o", out).returncode == 0
    assert_one_line_error(run_here("train", "tagger", other, "--resume", out),
                          "the training data differs from the data this checkpoint was "
                          "trained on")
    prose = tmp_path / "prose.txt"
    prose.write_text("\ufeffthe quick brown fox jumps\nover the lazy dog\n")
    assert_one_line_error(run_here("train", "tagger", prose, "-o", out),
                          "line 2: 4 columns where the file's first token line has 5")
    bom = tmp_path / "bom.txt"
    bom.write_text("\ufeff" + "the/DT cat/NN ./.\n" * 10)
    assert run_here("train", "tagger", bom, *SMALL, "--epochs", "1", "-o", out).returncode == 0
    assert "\ufeffthe" not in torch_tokens(out)


def torch_tokens(path) -> list[str]:
    import torch
    return torch.load(path, weights_only=True)["vocab"]["tokens"]
