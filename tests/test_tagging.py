"""Sequence tagging: the conll and slash readers and writers, format detection, the tag
helpers and metrics (hand-computed), batching, and the tagger model (packing, loss, learning)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from rnntool import tagging, tagscores
from rnntool.data import encode_batch
from rnntool.errors import InputError
from rnntool.models.tagger import TaggerModel

CONLL = """\
-DOCSTART- -X- -X- O

# sent_id = 1
EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""

SLASH = """\
# a comment
The/DT cat/NN sat/VBD ./.

1/2/CD of/IN it/PRP
"""


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


# --- reading ---------------------------------------------------------------------------------

def test_conll_reader(tmp_path):
    data = tagging.read_tagged([write(tmp_path, "a.conll", CONLL)])
    assert data.fmt == "conll"
    assert data.words == [["EU", "rejects", "German", "call", "."], ["Peter", "Blackburn"]]
    assert data.tags == [["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER"]]


def test_conll_tabs_crlf_comments_inside_and_docstart_between(tmp_path):
    text = "a\tX\r\n#\t#\r\n# Y\r\n\r\n\r\n-DOCSTART-\tO\r\nb  Z\r\n-DOCSTART- O\r\nc Q\r\n"
    data = tagging.read_tagged([write(tmp_path, "a.conll", text)], "conll")
    # A "# " line inside a sentence is a token line; "#<TAB>#" is never a comment.
    assert data.words == [["a", "#", "#"], ["b"], ["c"]]
    assert data.tags == [["X", "#", "Y"], ["Z"], ["Q"]]


def test_slash_reader(tmp_path):
    data = tagging.read_tagged([write(tmp_path, "a.txt", SLASH)])
    assert data.fmt == "slash"
    assert data.words == [["The", "cat", "sat", "."], ["1/2", "of", "it"]]
    assert data.tags == [["DT", "NN", "VBD", "."], ["CD", "IN", "PRP"]]


def test_several_files_and_stdin(tmp_path, monkeypatch):
    import io
    import sys
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x/A y/B\n")))
    data = tagging.read_tagged([write(tmp_path, "a.conll", CONLL), "-"])
    assert data.fmt == "conll" and len(data.words) == 3
    assert data.words[-1] == ["x", "y"] and data.tags[-1] == ["A", "B"]


@pytest.mark.parametrize("first, expected", [
    ("a/B c/D", "slash"),
    ("Hello/UH", "slash"),
    ("1/2/CD", "slash"),
    ("1/2 CD", "conll"),
    ("a/B c", "conll"),  # two items: only the first holds a /, as a conll token may
    ("a/ B", "conll"),
    ("a/X /NN", "slash"),  # bad slash lines are still slash lines, and reported as such
    ("the cat/NN", "slash"),
    ("a/B b/C c", "slash"),
    ("-DOCSTART- O", "conll"),
    ("EU NNP B-ORG", "conll"),
])
def test_detect_tagged(first, expected):
    fmt, seen = tagging.detect_format(["", "# a/B c/D", first, "rest"], tagged=True)
    assert fmt == expected and seen == ["", "# a/B c/D", first]


@pytest.mark.parametrize("text, expected", [
    ("the cat sat\n", "text"),
    ("the cat\nsat down\n", "text"),  # equal columns, but no blank line after the block
    ("the cat\nsat down\n\nnext one\n", "conll"),
    ("the A\ncat B\n\n", "conll"),
    ("the\ncat\n\n", "text"),  # one column: explicit --format conll
    ("the A\ncat B C\n\n", "text"),
    ("\n# c\nthe/DT cat/NN\n", "slash"),
    ("24/7\n", "text"),  # prediction input is slash only when every item of 2+ is word/TAG
    ("Hello/UH\n", "text"),
    ("and/or it\n", "text"),
    ("-DOCSTART-\n\nthe\n", "conll"),
    ("", "text"),
    ("\n\n", "text"),
])
def test_detect_untagged(text, expected):
    lines = text.split("\n")[:-1] if text else []
    assert tagging.detect_format(iter(lines), tagged=False)[0] == expected


def test_read_untagged(tmp_path):
    text = "The cat sat .\n\n  a  b\n"
    assert tagging.read_untagged([write(tmp_path, "t.txt", text)]) == (
        [["The", "cat", "sat", "."], [], ["a", "b"]], "text")
    assert tagging.read_untagged([write(tmp_path, "t.txt", "# not a comment\n")]) == (
        [["#", "not", "a", "comment"]], "text")
    words, fmt = tagging.read_untagged([write(tmp_path, "c.conll", CONLL)])
    assert fmt == "conll" and words == [["EU", "rejects", "German", "call", "."],
                                        ["Peter", "Blackburn"]]
    words, fmt = tagging.read_untagged([write(tmp_path, "c1.conll", "a\nb\n\nc\n")], "conll")
    assert (words, fmt) == ([["a", "b"], ["c"]], "conll")
    words, fmt = tagging.read_untagged([write(tmp_path, "s.txt", "a/X b/Y\n\nc/Z\n")])
    assert (words, fmt) == ([["a", "b"], [], ["c"]], "slash")
    assert tagging.read_untagged([write(tmp_path, "e.txt", "")]) == ([], "text")
    with pytest.raises(InputError, match=r"s2.txt: line 2: item 'c' has no /TAG"):
        tagging.read_untagged([write(tmp_path, "s2.txt", "a/X b/Y\nc\n")], "slash")


@pytest.mark.parametrize("name, text, fmt, message", [
    ("one.conll", "a X\nb\n", "auto", r"one.conll: line 2: only one column \('b'\)"),
    ("w.txt", "a/X /NN\n", "auto", r"w.txt: line 1: item '/NN' has an empty word"),
    ("t.txt", "x/A\na/X dog/\n", "slash", r"t.txt: line 2: item 'dog/' has an empty tag"),
    ("n.txt", "a/X dog\n", "slash", r"n.txt: line 1: item 'dog' has no /TAG"),
    ("m.txt", "# c\na/X b/Y c\n", "auto", r"m.txt: line 2: item 'c' has no /TAG"),
    ("empty.conll", "", "auto", r"empty.conll: no tagged sentences"),
    ("blank.conll", "\n# c\n-DOCSTART- O\n\n", "conll", r"blank.conll: no tagged sentences"),
])
def test_errors_name_file_and_line(tmp_path, name, text, fmt, message):
    with pytest.raises(InputError, match=message):
        tagging.read_tagged([write(tmp_path, name, text)], fmt)


def test_decoding_errors_name_the_byte(tmp_path):
    path = tmp_path / "bad.conll"
    path.write_bytes(b"a X\n\xff Y\n")
    with pytest.raises(InputError, match=r"bad.conll: byte 4: cannot decode byte 0xff"):
        tagging.read_tagged([str(path)])
    data = tagging.read_tagged([str(path)], errors="replace")
    assert data.words == [["a", "\ufffd"]]
    assert tagging.read_tagged([write(tmp_path, "l.conll", "é X\n", "latin-1")],
                               encoding="latin-1").words == [["é"]]


def test_skip_mode(tmp_path):
    text = "a X\nb\nc Y\n\nd Z\n\ne\n\nf W\n"
    warnings = []
    data = tagging.read_tagged([write(tmp_path, "s.conll", text)], on_error="skip",
                               warn=warnings.append)
    assert data.words == [["d"], ["f"]] and data.tags == [["Z"], ["W"]]
    assert warnings == ["%s: skipped 2 bad sentences (the first: line 2: only one column "
                        "('b'): a conll line is TOKEN ... TAG, the tag in the last column)"
                        % (tmp_path / "s.conll")]
    warnings.clear()
    data = tagging.read_tagged([write(tmp_path, "s.txt", "a/X\nb/\nc/Y\n")], on_error="skip",
                               warn=warnings.append)
    assert data.words == [["a"], ["c"]] and len(warnings) == 1
    assert "skipped 1 bad sentence (the first: line 2: item 'b/'" in warnings[0]
    with pytest.raises(InputError, match="every one was skipped"):
        tagging.read_tagged([write(tmp_path, "bad.txt", "b/\n")], on_error="skip")


def test_round_trip(tmp_path):
    for name, text in (("a.conll", CONLL), ("a.txt", SLASH)):
        data = tagging.read_tagged([write(tmp_path, name, text)])
        for fmt in ("conll", "slash"):
            written = "".join(tagging.format_sentence(w, t, fmt)
                              for w, t in zip(data.words, data.tags))
            again = tagging.read_tagged([write(tmp_path, "again", written)])
            assert again.fmt == fmt
            assert (again.words, again.tags) == (data.words, data.tags)


def test_format_sentence():
    assert tagging.format_sentence(["a", "1/2"], ["X", "CD"], "slash") == "a/X 1/2/CD\n"
    assert tagging.format_sentence(["a", "b"], ["X", "Y"], "text") == "a/X b/Y\n"
    assert tagging.format_sentence(["a", "b"], ["X", "Y"], "conll") == "a\tX\nb\tY\n\n"
    assert tagging.format_sentence([], [], "slash") == "\n"
    assert tagging.format_sentence([], [], "conll") == ""
    with pytest.raises(ValueError):
        tagging.format_sentence(["a"], ["X", "Y"], "conll")
    with pytest.raises(ValueError):
        tagging.format_sentence(["a"], ["X/Y"], "slash")
    with pytest.raises(ValueError):
        tagging.format_sentence(["a b"], ["X"], "conll")


# --- tags, entities, metrics ----------------------------------------------------------------

def test_tag_vocabulary_and_is_bio():
    assert tagscores.tag_vocabulary([["O", "B-PER"], ["I-PER", "B-LOC", "O"]]) == [
        "B-LOC", "B-PER", "I-PER", "O"]
    assert tagscores.is_bio(["O", "B-PER", "I-PER"])
    assert tagscores.is_bio(["O", "S-PER", "E-LOC"])
    assert not tagscores.is_bio(["O", "O"])
    assert not tagscores.is_bio(["NN", "B-PER"])
    assert not tagscores.is_bio(["-LRB-", "O"])
    assert not tagscores.is_bio(["B-"])


def test_entities_bio():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "I-ORG", "I-ORG",
            "I-PER", "B-MISC"]
    assert tagscores.entities(tags) == {
        ("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6),
        ("ORG", 7, 9),  # stray I- starts an entity, and the next I-ORG continues it
        ("PER", 9, 10),  # a type change starts a new one
        ("MISC", 10, 11)}
    assert tagscores.entities(["I-X", "B-Y", "I-X"]) == {("X", 0, 1), ("Y", 1, 2), ("X", 2, 3)}
    assert tagscores.entities(["O", "O"]) == set()
    assert tagscores.entities([]) == set()


def test_entities_bioes():
    tags = ["S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC", "B-ORG", "E-ORG", "O",
            "E-PER", "I-PER", "B-X", "E-Y"]
    assert tagscores.entities(tags) == {
        ("PER", 0, 1), ("LOC", 1, 4), ("LOC", 4, 5), ("ORG", 5, 7),
        ("PER", 8, 9),  # a stray E- is an entity of its own
        ("PER", 9, 10),  # an I- after an E- starts a new one
        ("X", 10, 11), ("Y", 11, 12)}


def test_tagging_report_hand_computed():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG", "I-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "O"], ["B-LOC", "B-ORG", "O"]]
    report = tagscores.tagging_report(gold, predicted)
    assert report["tokens"] == 7 and report["sentences"] == 2
    assert report["token_accuracy"] == pytest.approx(4 / 7)
    per_tag = report["per_tag"]
    assert list(per_tag) == ["B-LOC", "B-ORG", "B-PER", "I-ORG", "I-PER", "O"]
    assert per_tag["O"] == pytest.approx(
        {"precision": 1 / 3, "recall": 1 / 2, "f1": 0.4, "support": 2})
    assert per_tag["B-LOC"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per_tag["I-ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert per_tag["B-PER"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    # Gold: PER(0-2), LOC(3), ORG(1-3); predicted: PER(0-2), LOC(0), ORG(1): one right.
    entities = report["entities"]
    assert (entities["gold"], entities["predicted"], entities["correct"]) == (3, 3, 1)
    assert entities["precision"] == pytest.approx(1 / 3)
    assert entities["recall"] == pytest.approx(1 / 3)
    assert entities["f1"] == pytest.approx(1 / 3)
    assert entities["per_type"] == {
        "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "ORG": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "PER": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}}
    import json
    assert json.loads(json.dumps(report)) == report


def test_tagging_report_pos_and_errors():
    report = tagscores.tagging_report([["DT", "NN"], ["VB"]], [["DT", "VB"], ["VB"]])
    assert report["entities"] is None and report["token_accuracy"] == pytest.approx(2 / 3)
    assert report["per_tag"]["VB"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})
    assert report["per_tag"]["NN"]["support"] == 1
    with pytest.raises(ValueError):
        tagscores.tagging_report([["DT"]], [["DT", "NN"]])
    with pytest.raises(ValueError):
        tagscores.tagging_report([["DT"]], [])


def test_most_frequent_tag_baseline():
    train_words = [["the", "run", "run"], ["a", "run", "the"]]
    train_tags = [["DT", "VB", "NN"], ["DT", "NN", "DT"]]
    assert tagscores.most_frequent_tag_baseline(train_words, train_tags,
                                                [["the", "run", "zebra"], []]) == [
        ["DT", "NN", "DT"], []]
    # Ties go to the smallest tag.
    assert tagscores.most_frequent_tag_baseline([["x", "x"]], [["B", "A"]], [["x"]]) == [["A"]]


# --- batches ---------------------------------------------------------------------------------

def test_encode_batch():
    words = [np.array([5, 6, 7]), np.array([8])]
    tags = [np.array([1, 0, 2]), np.array([3])]
    chars = [[np.array([2, 3]), np.array([4]), np.array([5, 6, 7])], [np.array([9])]]
    batch = encode_batch(words, tags, chars)
    assert batch["ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["lengths"].tolist() == [3, 1]
    assert batch["tags"].tolist() == [[1, 0, 2], [3, -1, -1]]
    assert batch["chars"].shape == (2, 3, 3)
    assert batch["chars"].tolist() == [[[2, 3, 0], [4, 0, 0], [5, 6, 7]],
                                       [[9, 0, 0], [0, 0, 0], [0, 0, 0]]]
    assert batch["char_lengths"].tolist() == [[2, 1, 3], [1, 1, 1]]
    for value in batch.values():
        assert value.dtype == torch.int64 and value.device.type == "cpu"
    assert set(encode_batch(words)) == {"ids", "lengths"}
    with pytest.raises(ValueError):
        encode_batch([np.array([], dtype=np.int64)])
    with pytest.raises(ValueError):
        encode_batch(words, [np.array([1]), np.array([3])])


def test_tagging_module_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, rnntool.tagging; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# --- the model -------------------------------------------------------------------------------

def random_sentences(count, vocab=30, chars=12, seed=0):
    rng = np.random.default_rng(seed)
    words, char_ids = [], []
    for _ in range(count):
        length = int(rng.integers(1, 8))
        words.append(rng.integers(1, vocab, size=length))
        char_ids.append([rng.integers(1, chars, size=int(rng.integers(1, 6)))
                         for _ in range(length)])
    return words, char_ids


def test_output_shape_and_config():
    torch.manual_seed(0)
    model = TaggerModel(30, 5, embed=8, hidden=6, layers=2, char_vocab_size=12, char_embed=4,
                        char_hidden=3, dropout=0.2)
    rebuilt = TaggerModel(**model.config)
    assert rebuilt.config == model.config
    assert sum(p.numel() for p in rebuilt.parameters()) == sum(
        p.numel() for p in model.parameters())
    words, chars = random_sentences(4)
    batch = encode_batch(words, None, chars)
    logits = model(batch["ids"], batch["lengths"], batch["chars"], batch["char_lengths"])
    assert logits.shape == (4, batch["ids"].shape[1], 5)
    with pytest.raises(ValueError):
        model(batch["ids"], batch["lengths"])
    with pytest.raises(ValueError):
        TaggerModel(30, 5, cell="tree")


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("with_chars", [False, True])
def test_padding_never_changes_the_logits(cell, with_chars):
    torch.manual_seed(1)
    model = TaggerModel(30, 4, embed=8, hidden=6, layers=2, cell=cell,
                        char_vocab_size=12 if with_chars else 0, char_embed=4,
                        char_hidden=3).double().eval()
    words, chars = random_sentences(6, seed=2)
    words.append(np.arange(1, 12))  # the longest: the others are padded
    chars.append([np.arange(1, 1 + i % 7 + 1) for i in range(11)])

    def run(indices):
        batch = encode_batch([words[i] for i in indices], None,
                             [chars[i] for i in indices] if with_chars else None)
        with torch.no_grad():
            return model(batch["ids"], batch["lengths"], batch.get("chars"),
                         batch.get("char_lengths"))

    together = run(list(range(len(words))))
    for i in range(len(words)):
        alone = run([i])[0]
        assert torch.allclose(together[i, :len(words[i])], alone, atol=1e-6, rtol=0)


def test_loss_sum_ignores_padding():
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 4, requires_grad=True)
    tags = torch.tensor([[1, 0, 3], [2, -1, -1]])
    total, count = TaggerModel.loss_sum(logits, tags)
    assert count == 4
    expected = sum(-torch.log_softmax(logits[b, t], 0)[tags[b, t]]
                   for b, t in [(0, 0), (0, 1), (0, 2), (1, 0)])
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    total.backward()
    assert logits.grad[1, 1:].abs().sum() == 0
    assert TaggerModel.loss(logits, tags).item() == pytest.approx(expected.item() / 4, rel=1e-6)
    zero, none = TaggerModel.loss_sum(logits, torch.full((2, 3), -1))
    assert none == 0 and zero.item() == 0.0 and zero.requires_grad


def test_learns_a_toy_tagging_task():
    """Tag a word IN when it is one of a fixed set, else OUT, and a word right after an IN
    word AFTER (context the recurrent layer has to carry)."""
    torch.manual_seed(0)
    rng = random.Random(0)
    vocab = [f"w{i}" for i in range(40)]
    special = set(vocab[:10])

    def sentence():
        words = [rng.choice(vocab) for _ in range(rng.randint(1, 10))]
        tags = ["IN" if w in special else "AFTER" if i and words[i - 1] in special else "OUT"
                for i, w in enumerate(words)]
        return words, tags

    tag_names = ["AFTER", "IN", "OUT"]
    word_id = {w: i + 1 for i, w in enumerate(vocab)}

    def batch_of(pairs):
        return encode_batch(
            [np.array([word_id[w] for w in words]) for words, _ in pairs],
            [np.array([tag_names.index(t) for t in tags]) for _, tags in pairs])

    model = TaggerModel(len(vocab) + 1, len(tag_names), embed=16, hidden=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(200):
        batch = batch_of([sentence() for _ in range(16)])
        loss = TaggerModel.loss(model(batch["ids"], batch["lengths"]), batch["tags"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test = [sentence() for _ in range(100)]
    model.eval()
    with torch.no_grad():
        batch = batch_of(test)
        best = model(batch["ids"], batch["lengths"]).argmax(-1)
    predicted = [[tag_names[i] for i in best[row, :len(words)].tolist()]
                 for row, (words, _) in enumerate(test)]
    report = tagscores.tagging_report([tags for _, tags in test], predicted)
    assert report["token_accuracy"] > 0.95
    baseline = tagscores.tagging_report(
        [tags for _, tags in test],
        tagscores.most_frequent_tag_baseline(*zip(*[sentence() for _ in range(200)]),
                                             [words for words, _ in test]))
    assert baseline["token_accuracy"] < report["token_accuracy"]
