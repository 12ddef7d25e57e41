"""Bad input and bad checkpoints: one line on stderr, exit 1, no traceback, nothing damaged."""

from __future__ import annotations

import os
import pickle
import zipfile

import pytest
import torch

from rnntool import checkpoint
from rnntool.errors import CheckpointError

from conftest import SMALL_MODEL, assert_one_line_error, run_cli


@pytest.fixture()
def precious(tmp_path):
    """An existing output file that a failed command must leave untouched."""
    path = tmp_path / "model.pt"
    path.write_bytes(b"previous checkpoint bytes")
    return path


def assert_untouched(path):
    assert path.read_bytes() == b"previous checkpoint bytes"
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_train_on_empty_input(tmp_path, precious):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(run_cli("train", "charlm", empty, "-o", precious), "empty")
    assert_one_line_error(run_cli("train", "charlm", "-o", precious, input=b""), "<stdin>",
                          "empty")
    assert_untouched(precious)


def test_train_on_non_utf8_names_the_byte(tmp_path, precious):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\u00e9 au lait\n".encode("utf-8") + "na\u00efve".encode("latin-1"))
    line = assert_one_line_error(run_cli("train", "charlm", bad, "-o", precious),
                                 str(bad), "byte 16", "0xef")
    assert "--encoding" in line
    assert_untouched(precious)
    ok = run_cli("train", "charlm", bad, "-o", tmp_path / "ok.pt", "--encoding", "latin-1",
                 "--val-frac", "0", "--steps", "2", "--batch-size", "2", "--seq-len", "4")
    assert ok.returncode == 0, ok.stderr


def test_train_on_too_little_text(tmp_path, precious):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("abc", encoding="utf-8")
    assert_one_line_error(run_cli("train", "charlm", tiny, "-o", precious), "too few")
    assert_untouched(precious)


def test_missing_files_and_directories(tmp_path, precious):
    assert_one_line_error(run_cli("train", "charlm", tmp_path / "no.txt", "-o", precious),
                          "no.txt", "no such file")
    assert_one_line_error(run_cli("train", "charlm", tmp_path, "-o", precious),
                          "is a directory")
    assert_one_line_error(run_cli("sample", tmp_path / "no.pt"), "no.pt", "no such file")
    assert_untouched(precious)


def test_usage_errors_exit_2(tmp_path, corpus_file):
    result = run_cli("train", "charlm", corpus_file, "--cell", "transformer")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    result = run_cli("train", "charlm", "--data", tmp_path / "x.npy")
    assert result.returncode == 2 and b"--vocab" in result.stderr
    result = run_cli("train", "charlm", corpus_file, "--max-time", "soon")
    assert result.returncode == 2 and b"not a duration" in result.stderr
    result = run_cli("sample", "x.pt", "--seed", "a", "--seed-file", "b")
    assert result.returncode == 2


def test_not_a_checkpoint(tmp_path, corpus_file):
    text = tmp_path / "notes.pt"
    text.write_text("just some text\n")
    assert_one_line_error(run_cli("sample", text), str(text), "not an rnntool checkpoint")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    assert_one_line_error(run_cli("sample", empty), "empty")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    assert_one_line_error(run_cli("sample", foreign), "not an rnntool checkpoint")


def test_truncated_checkpoint(tmp_path, trained_model):
    cut = tmp_path / "cut.pt"
    data = trained_model.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    assert_one_line_error(run_cli("sample", cut), str(cut), "truncated or corrupted")


def test_checkpoint_of_another_version(tmp_path, trained_model):
    data = torch.load(trained_model, weights_only=True)
    data["version"] = 99
    future = tmp_path / "future.pt"
    torch.save(data, future)
    assert_one_line_error(run_cli("sample", future), "version 99", "not supported")
    data["version"] = checkpoint.FORMAT_VERSION
    data["kind"] = "tree"
    other = tmp_path / "tree.pt"
    torch.save(data, other)
    assert_one_line_error(run_cli("sample", other), "tree checkpoint", "charlm")


class _Exploit:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"format": "rnntool-checkpoint", "version": 1, "kind": "charlm",
                "payload": _Exploit(marker)}, evil)
    with zipfile.ZipFile(evil) as archive:  # the exploit really is in the pickle
        assert any(b"system" in archive.read(n) for n in archive.namelist() if n.endswith(".pkl"))
    assert_one_line_error(run_cli("sample", evil), str(evil), "refused")
    with pytest.raises(CheckpointError, match="refused"):
        checkpoint.load(str(evil))
    assert not marker.exists()
    plain_pickle = tmp_path / "plain.pt"
    plain_pickle.write_bytes(pickle.dumps(_Exploit(marker)))
    assert_one_line_error(run_cli("sample", plain_pickle), str(plain_pickle))
    assert not marker.exists()


def test_vocab_of_the_wrong_level_or_ids_of_another_vocab(tmp_path, corpus_file):
    run_cli("vocab", corpus_file, "--level", "word", "-o", tmp_path / "w.txt")
    assert_one_line_error(run_cli("train", "charlm", corpus_file, "--vocab", tmp_path / "w.txt",
                                  "-o", tmp_path / "m.pt"), "word-level", "char-level")
    (tmp_path / "small.txt").write_text("ab\n")
    run_cli("vocab", tmp_path / "small.txt", "-o", tmp_path / "small.vocab")
    run_cli("vocab", corpus_file, "-o", tmp_path / "big.vocab", "--encode", tmp_path / "ids.npy")
    assert_one_line_error(run_cli("train", "charlm", "--data", tmp_path / "ids.npy", "--vocab",
                                  tmp_path / "small.vocab", "-o", tmp_path / "m.pt",
                                  *SMALL_MODEL), "another vocabulary")
    not_npy = tmp_path / "x.npy"
    not_npy.write_text("hello")
    assert_one_line_error(run_cli("train", "charlm", "--data", not_npy, "--vocab",
                                  tmp_path / "big.vocab"), "not a readable .npy")


def test_unwritable_output_is_refused_before_training(tmp_path, corpus_file):
    result = run_cli("train", "charlm", corpus_file, "-o", tmp_path / "no" / "m.pt")
    assert_one_line_error(result, "does not exist")
    assert b"training a" not in result.stderr
    as_dir = run_cli("train", "charlm", corpus_file, "-o", tmp_path)
    assert as_dir.returncode == 2 and b"is a directory" in as_dir.stderr



def test_outputs_never_overwrite_inputs(tmp_path, corpus_file):
    text = tmp_path / "p.txt"
    text.write_text("some text to keep\n" * 50)
    for args in (["train", "charlm", text, "-o", text],
                 ["vocab", text, "-o", tmp_path / "v", "--encode", tmp_path / "v"],
                 ["vocab", text, "--encode", text]):
        result = run_cli(*args)
        assert result.returncode == 2 and b"would overwrite" in result.stderr, result.stderr
    assert text.read_text() == "some text to keep\n" * 50
    assert not (tmp_path / "v").exists()


def test_rewriting_keeps_permissions_and_symlinks(tmp_path):
    import stat
    text = tmp_path / "p.txt"
    text.write_text("abc abd\n")
    target = tmp_path / "real.vocab"
    target.write_text("old")
    target.chmod(0o600)
    link = tmp_path / "link.vocab"
    link.symlink_to(target)
    assert run_cli("vocab", text, "-o", link).returncode == 0
    assert link.is_symlink() and target.read_text().startswith("#rnntool-vocab 1")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
