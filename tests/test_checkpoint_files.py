"""Any file given as a checkpoint: one line, never a traceback, never an allocation beyond
the machine's memory.

Files that are not rnntool checkpoints (every first byte, random bytes, empty, truncated at
every length, a zip of something else, torch files of other programs, a directory) are
refused with "FILE is not an rnntool checkpoint (why)"; crafted checkpoints (NaN weights,
a vocabulary or a label list that does not fit the model, a missing tag list or series
record) with "FILE is damaged: ..."; models too big for the memory, asked for by options,
by the data or by a checkpoint's config, before anything is allocated.
"""

from __future__ import annotations

import os
import random
import zipfile

import pytest
import torch

import rnntool
from rnntool import checkpoint, memory
from rnntool.errors import CheckpointError, RnnToolError
from rnntool.models import (MODELS, ForecastModel, LanguageModel, SentimentModel, TaggerModel,
                            TreeModel)

from conftest import ROOT, assert_one_line_error, run_here

SST_DEV = ROOT / "corpora" / "sentiment" / "dev.txt"
HELPERS = ROOT / "tests" / "helpers"
TEXT = "the quick brown fox jumps over the lazy dog\n" * 40


def refused(path, why: str = "") -> str:
    """``checkpoint.load(path)`` raises CheckpointError with one line saying that the file
    is not an rnntool checkpoint (and ``why``); returns the line."""
    with pytest.raises(CheckpointError) as caught:
        checkpoint.load(str(path))
    line = str(caught.value)
    assert "\n" not in line, line
    assert line.startswith(f"{path} is not an rnntool checkpoint ("), line
    assert line.endswith(")") and why in line, line
    return line


@pytest.fixture(scope="module")
def tiny_lm(tmp_path_factory):
    """A real char-LM checkpoint as small as they come (about 17 KB)."""
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "ab.txt").write_text("ab ba\nba ab\n" * 100)
    out = folder / "tiny.pt"
    result = run_here("train", "charlm", folder / "ab.txt", "-o", out, "--hidden", "1",
                      "--embed", "1", "--layers", "1", "--steps", "1", "--batch-size", "1",
                      "--seq-len", "2", "--val-frac", "0")
    assert result.returncode == 0, result.stderr.decode()
    return out


# --- not a checkpoint -----------------------------------------------------------------------

@pytest.mark.fuzz
def test_every_first_byte_is_refused_in_one_line(tmp_path, fuzz_tally):
    rng = random.Random(14)
    for first in range(256):
        for rest in (b"the quick brown fox\n" * 3, bytes(rng.randrange(256) for _ in range(40)),
                     b"K\x03\x04" + bytes(60), b"\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19."):
            fuzz_tally.count("checkpoint first byte")
            path = tmp_path / f"{first}-{len(rest)}-{rest[:1].hex()}.pt"
            path.write_bytes(bytes([first]) + rest)
            refused(path)


@pytest.mark.fuzz
def test_random_files_are_refused_in_one_line(tmp_path, fuzz_tally):
    rng = random.Random(1)
    heads = [b"", b"PK\x03\x04", b"PK\x05\x06", b"\x80\x02", b"\x80\x04\x95", b"{", b"\x93NUMPY"]
    for number in range(300):
        fuzz_tally.count("checkpoint random file")
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 600)))
        path = tmp_path / f"r{number}.pt"
        path.write_bytes(heads[number % len(heads)] + body)
        refused(path)


@pytest.mark.fuzz
def test_a_real_checkpoint_cut_at_every_length_is_refused(tmp_path, tiny_lm, fuzz_tally):
    data = tiny_lm.read_bytes()
    cut = tmp_path / "cut.pt"
    cut.write_bytes(data)
    checkpoint.load(str(cut))  # whole, it loads
    for length in range(len(data) - 1, -1, -1):  # shortened in place: no file rewritten
        fuzz_tally.count("checkpoint truncated")
        os.truncate(cut, length)
        refused(cut, "empty" if length == 0 else "")
    refused(cut, "empty")


@pytest.mark.fuzz
def test_a_real_checkpoint_with_corrupted_bytes_loads_or_is_refused(tmp_path, tiny_lm,
                                                                    fuzz_tally):
    """Flipped bytes reach torch's own reader and unpickler: whatever it makes of them is a
    loaded checkpoint (the flip hit a weight: it may have become NaN) or one line."""
    data = tiny_lm.read_bytes()
    rng = random.Random(5)
    for number in range(150):
        fuzz_tally.count("checkpoint corrupted")
        damaged = bytearray(data)
        for _ in range(rng.choice((1, 1, 3))):
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        path = tmp_path / f"c{number}.pt"
        path.write_bytes(bytes(damaged))
        try:
            rnntool.load(path)
        except CheckpointError as exc:
            assert "\n" not in str(exc) and str(exc).startswith(str(path)), exc


def test_other_files_say_what_they_are(tmp_path):
    refused(tmp_path, "a directory")
    (tmp_path / "empty.pt").write_bytes(b"")
    refused(tmp_path / "empty.pt", "(empty)")
    (tmp_path / "text.pt").write_text(TEXT)
    refused(tmp_path / "text.pt", "(not a torch file)")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("notes.txt", TEXT)
    refused(tmp_path / "other.zip", "(a zip archive, not a torch file)")
    with zipfile.ZipFile(tmp_path / "garbage.pt", "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02garbage" + bytes(range(256)))
        archive.writestr("archive/version", "3\n")
    refused(tmp_path / "garbage.pt", "truncated or corrupted")
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    refused(tmp_path / "tensor.pt", "a torch file holding a Tensor, not a dict")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    refused(tmp_path / "foreign.pt", "(a torch file of another program)")
    torch.save({"a": 1}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    refused(tmp_path / "old.pt", "before torch 1.6")


def test_every_command_says_it_in_one_line(tmp_path, corpus_file):
    text = tmp_path / "notes.txt"
    text.write_text(TEXT)
    noise = tmp_path / "noise.pt"
    noise.write_bytes(b"M" + bytes(random.Random(2).randrange(256) for _ in range(500)))
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    for args, path in ((["sample", text], text), (["info", noise], noise),
                       (["eval", empty, corpus_file], empty),
                       (["predict", noise, corpus_file], noise),
                       (["train", "charlm", corpus_file, "--resume", text, "-o",
                         tmp_path / "m.pt"], text)):
        assert_one_line_error(run_here(*args), f"{path} is not an rnntool checkpoint (")
    assert not (tmp_path / "m.pt").exists()
    with pytest.raises(CheckpointError, match=r"is not an rnntool checkpoint \(a directory\)"):
        rnntool.load(tmp_path)


# --- damaged checkpoints --------------------------------------------------------------------

@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_lm):
    """A small checkpoint of every kind, by kind."""
    folder = tmp_path_factory.mktemp("kinds")
    small = ["--hidden", "4", "--epochs", "1"]
    runs = {"tree": ["tree", SST_DEV, *small],
            "sentiment": ["sentiment", SST_DEV, "--embed", "4", *small],
            "tagger": ["tagger", HELPERS / "tagged.txt", "--embed", "4", *small],
            "forecast": ["forecast", HELPERS / "series.csv", "--window", "8", *small]}
    found = {"charlm": tiny_lm}
    for kind, args in runs.items():
        result = run_here("train", *args, "-o", folder / f"{kind}.pt")
        assert result.returncode == 0, result.stderr.decode()
        found[kind] = folder / f"{kind}.pt"
    return found


def crafted(tmp_path, source, change) -> str:
    """A copy of checkpoint ``source`` after ``change(data)``; returns its path."""
    data = torch.load(source, weights_only=True)
    change(data)
    path = tmp_path / f"crafted-{source.stem}.pt"
    torch.save(data, path)
    return str(path)


def test_nan_or_infinite_weights_are_refused(tmp_path, models):
    for bad in (float("nan"), float("inf")):
        def poison(data):
            data["model"]["state_dict"]["head.bias"][0] = bad
        path = crafted(tmp_path, models["charlm"], poison)
        assert_one_line_error(run_here("sample", path, "--length", "5"),
                              f"{path} is damaged: its weights hold NaN or infinite values "
                              f"(head.bias)")
        with pytest.raises(CheckpointError, match="is damaged"):
            rnntool.load(path)


def test_finite_weights_whose_scores_overflow_stop_sampling_in_one_line(tmp_path, models):
    def huge(data):
        weights = data["model"]["state_dict"]
        weights["rnn.bias_ih_l0"].fill_(100.0)  # every gate open: the states are positive
        weights["head.weight"].fill_(3e38)
        weights["head.bias"].fill_(3e38)
    path = crafted(tmp_path, models["charlm"], huge)
    assert_one_line_error(run_here("sample", path, "--length", "5", "--random-seed", "1"),
                          "the model's scores overflow")


def test_a_vocabulary_that_does_not_fit_the_output_layer_is_refused(tmp_path, models):
    def shorter(data):
        data["vocab"]["tokens"].pop()
        data["vocab"]["counts"].pop()

    def longer(data):
        data["vocab"]["tokens"].append("\u263a")
        data["vocab"]["counts"].append(1)

    for change in (shorter, longer):
        path = crafted(tmp_path, models["charlm"], change)
        assert_one_line_error(run_here("sample", path), f"{path} is damaged: its vocabulary "
                              f"has", "(vocab_size)")


@pytest.mark.parametrize("kind, change, message", [
    ("sentiment", lambda d: d["training"]["labels"].pop(), "4 labels for the 5 classes"),
    ("tagger", lambda d: d["training"]["tagger"].pop("tags"), "its list of tags is missing"),
    ("tagger", lambda d: d["training"]["tagger"]["tags"].pop(), "4 tags for the 5 outputs"),
    ("forecast", lambda d: d["training"].pop("series"), "its series settings are missing"),
    ("forecast", lambda d: d["training"]["series"]["normalizer"]["std"].pop(),
     "series scaling"),
    ("tree", lambda d: d["training"].update(classes=3), "3 classes, but its model 5"),
])
def test_a_record_that_does_not_fit_the_model_is_refused(tmp_path, models, kind, change,
                                                         message):
    path = crafted(tmp_path, models[kind], change)
    data = {"forecast": HELPERS / "series.csv", "tagger": HELPERS / "tagged.txt"}.get(kind,
                                                                                    SST_DEV)
    assert_one_line_error(run_here("predict", path, data), f"{path} is damaged: ", message)
    assert_one_line_error(run_here("info", path), f"{path} is damaged: ", message)
    with pytest.raises(CheckpointError, match=message):
        rnntool.load(path)


def test_a_config_that_is_no_model_is_refused(tmp_path, models):
    for change, message in ((lambda d: d["model"]["config"].update(hidden="4"),
                             "its model config's hidden is '4', not a size"),
                            (lambda d: d["model"]["config"].update(colour=3),
                             "unknown setting 'colour'"),
                            (lambda d: d["model"]["config"].pop("vocab_size"),
                             "its model config is incomplete"),
                            (lambda d: d.update(kind="tree"), "unknown setting 'layers'")):
        path = crafted(tmp_path, models["charlm"], change)
        assert_one_line_error(run_here("sample", path), f"{path} is damaged: ", message)


# --- models beyond memory -------------------------------------------------------------------

@pytest.fixture()
def eight_gigabytes(monkeypatch):
    """The machine has 8 GB available, whatever this one has."""
    monkeypatch.setattr(memory, "available", lambda: 8 * 10 ** 9)


@pytest.mark.parametrize("option, value", [("--hidden", "100000000"),
                                           ("--embed", "1000000000")])
def test_an_option_beyond_memory_is_refused_before_allocating(tmp_path, corpus_file,
                                                              eight_gigabytes, option, value):
    line = assert_one_line_error(run_here("train", "charlm", corpus_file, option, value,
                                          "-o", tmp_path / "m.pt"),
                                 f"the model is too big for this machine with {option} "
                                 f"{value}:", "training it needs at least",
                                 "and 8.0 GB is available")
    assert "TB" in line or "e+" in line
    assert not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("label", ["1000000000", "100000000000000000000000"])
def test_a_tree_label_beyond_memory_is_refused_before_allocating(tmp_path, eight_gigabytes,
                                                                 label):
    trees = tmp_path / "trees.txt"
    trees.write_text(f"({label} (2 a) (3 b))\n(0 (1 c) (2 d))\n")
    assert_one_line_error(run_here("train", "tree", trees, "-o", tmp_path / "m.pt"),
                          f"with {int(label) + 1:,} classes:", "8.0 GB is available")


def test_a_checkpoint_declaring_a_huge_model_is_refused_before_allocating(tmp_path, models,
                                                                          eight_gigabytes):
    big_vocab = crafted(tmp_path, models["charlm"],
                        lambda d: d["model"]["config"].update(vocab_size=100_000_000))
    assert os.path.getsize(big_vocab) < 100_000
    assert_one_line_error(run_here("sample", big_vocab), f"{big_vocab} is damaged: its "
                          f"vocabulary has", "100,000,000 (vocab_size)")
    big_hidden = crafted(tmp_path, models["forecast"],
                         lambda d: d["model"]["config"].update(hidden=100_000_000))
    assert_one_line_error(run_here("predict", big_hidden, HELPERS / "series.csv"),
                          f"{big_hidden}: the model is too big for this machine with its "
                          f"model config's hidden 100000000:", "loading it needs at least",
                          "8.0 GB is available")


def test_a_config_that_fits_memory_but_not_the_weights_is_damaged(tmp_path, models):
    path = crafted(tmp_path, models["forecast"], lambda d: d["model"]["config"].update(hidden=9))
    assert_one_line_error(run_here("predict", path, HELPERS / "series.csv"),
                          f"{path} is damaged: its weights do not fit the model its config "
                          f"describes: rnn.weight_ih_l0 is [16 x 2] in the file, and the "
                          f"model has [36 x 2]")


@pytest.mark.parametrize("model_class, config", [
    (LanguageModel, dict(vocab_size=11, embed=5, hidden=7, layers=3, cell="gru")),
    (LanguageModel, dict(vocab_size=11, embed=7, hidden=7, layers=2, tie=True)),
    (TreeModel, dict(vocab_size=11, classes=3, embed=5, hidden=7, cell="rntn")),
    (TreeModel, dict(vocab_size=11, classes=3, embed=7, hidden=7, cell="rnn")),
    (TreeModel, dict(vocab_size=11, classes=3, embed=5, hidden=7, cell="lstm")),
    (SentimentModel, dict(vocab_size=11, classes=3, embed=5, hidden=7, layers=2, cell="rnn")),
    (TaggerModel, dict(vocab_size=11, tags=3, embed=5, hidden=7, layers=2, cell="gru",
                       char_vocab_size=9, char_embed=4, char_hidden=6)),
    (ForecastModel, dict(inputs=3, horizon=4, target=1, hidden=7, layers=2, cell="lstm")),
])
def test_parameter_counts_are_exact(model_class, config):
    model = model_class(**config)
    distinct = {p.data_ptr(): p.numel() for p in model.parameters()}  # tied weights once
    assert model_class.parameter_count(**model.config) == sum(distinct.values())


def test_every_kind_counts_its_parameters_and_the_machine_says_its_memory(monkeypatch):
    assert all(callable(getattr(cls, "parameter_count", None)) for cls in MODELS.values())
    have = memory.available()
    assert have is None or have > 0
    monkeypatch.setattr(memory, "available", lambda: 10 ** 9)
    config = dict(vocab_size=10 ** 12, embed=3, hidden=3)
    with pytest.raises(RnnToolError, match=r"^the model is too big for this machine with "
                                           r"vocab_size 1000000000000: 7,000,000,000,192 "
                                           r"parameters, so using it needs at least 28\.0 TB "
                                           r"of memory, and 1\.0 GB is available$"):
        memory.check(LanguageModel.parameter_count, config,
                     lambda field, value: f"{field} {value}", copies=1, purpose="using it")
    memory.check(LanguageModel.parameter_count, dict(config, vocab_size=10), str, copies=4,
                 purpose="it")  # a small one passes
