"""Bad input and bad checkpoints: one line on stderr, exit 1, no traceback, nothing damaged."""

from __future__ import annotations

import os
import pickle
import zipfile

import pytest
import torch

from rnntool import checkpoint
from rnntool.errors import CheckpointError

from conftest import ROOT, SMALL_MODEL, assert_one_line_error, run_here
from forked import Command


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
    assert_one_line_error(run_here("train", "charlm", empty, "-o", precious), "empty")
    assert_one_line_error(run_here("train", "charlm", "-o", precious, input=b""), "<stdin>",
                          "empty")
    assert_untouched(precious)


def test_train_on_non_utf8_names_the_byte(tmp_path, precious):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\u00e9 au lait\n".encode("utf-8") + "na\u00efve".encode("latin-1"))
    line = assert_one_line_error(run_here("train", "charlm", bad, "-o", precious),
                                 str(bad), "byte 16", "0xef")
    assert "--encoding" in line
    assert_untouched(precious)
    ok = run_here("train", "charlm", bad, "-o", tmp_path / "ok.pt", "--encoding", "latin-1",
                  "--val-frac", "0", "--steps", "2", "--batch-size", "2", "--seq-len", "4")
    assert ok.returncode == 0, ok.stderr


def test_train_on_too_little_text(tmp_path, precious):
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("abc", encoding="utf-8")
    assert_one_line_error(run_here("train", "charlm", tiny, "-o", precious), "too few")
    assert_untouched(precious)


def test_missing_files_and_directories(tmp_path, precious):
    assert_one_line_error(run_here("train", "charlm", tmp_path / "no.txt", "-o", precious),
                          "no.txt", "no such file")
    assert_one_line_error(run_here("train", "charlm", tmp_path, "-o", precious),
                          "is a directory")
    assert_one_line_error(run_here("sample", tmp_path / "no.pt"), "no.pt", "no such file")
    assert_untouched(precious)


def test_usage_errors_exit_2(tmp_path, corpus_file):
    result = run_here("train", "charlm", corpus_file, "--cell", "transformer")
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    result = run_here("train", "charlm", "--data", tmp_path / "x.npy")
    assert result.returncode == 2 and b"--vocab" in result.stderr
    result = run_here("train", "charlm", corpus_file, "--max-time", "soon")
    assert result.returncode == 2 and b"not a duration" in result.stderr
    result = run_here("sample", "x.pt", "--seed", "a", "--seed-file", "b")
    assert result.returncode == 2


def test_not_a_checkpoint(tmp_path, corpus_file):
    text = tmp_path / "notes.pt"
    text.write_text("just some text\n")
    assert_one_line_error(run_here("sample", text), str(text), "not an rnntool checkpoint")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    assert_one_line_error(run_here("sample", empty), "empty")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    assert_one_line_error(run_here("sample", foreign), "not an rnntool checkpoint")


def test_truncated_checkpoint(tmp_path, trained_model):
    cut = tmp_path / "cut.pt"
    data = trained_model.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    assert_one_line_error(run_here("sample", cut), str(cut), "truncated or corrupted")


def test_checkpoint_of_another_version(tmp_path, trained_model, tiny_tree_model):
    data = torch.load(trained_model, weights_only=True)
    data["version"] = 99
    future = tmp_path / "future.pt"
    torch.save(data, future)
    assert_one_line_error(run_here("sample", future), "version 99", "not supported")
    # (a char-LM relabelled "tree" is a damaged checkpoint: tests/test_checkpoint_files.py)
    assert_one_line_error(run_here("sample", tiny_tree_model), "tree checkpoint", "charlm")


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
    assert_one_line_error(run_here("sample", evil), str(evil), "refused")
    with pytest.raises(CheckpointError, match="refused"):
        checkpoint.load(str(evil))
    assert not marker.exists()
    plain_pickle = tmp_path / "plain.pt"
    plain_pickle.write_bytes(pickle.dumps(_Exploit(marker)))
    assert_one_line_error(run_here("sample", plain_pickle), str(plain_pickle))
    assert not marker.exists()


def test_vocab_of_the_wrong_level_or_ids_of_another_vocab(tmp_path, corpus_file):
    run_here("vocab", corpus_file, "--level", "word", "-o", tmp_path / "w.txt")
    assert_one_line_error(run_here("train", "charlm", corpus_file, "--vocab", tmp_path / "w.txt",
                                   "-o", tmp_path / "m.pt"), "word-level", "char-level")
    (tmp_path / "small.txt").write_text("ab\n")
    run_here("vocab", tmp_path / "small.txt", "-o", tmp_path / "small.vocab")
    run_here("vocab", corpus_file, "-o", tmp_path / "big.vocab", "--encode", tmp_path / "ids.npy")
    assert_one_line_error(run_here("train", "charlm", "--data", tmp_path / "ids.npy", "--vocab",
                                   tmp_path / "small.vocab", "-o", tmp_path / "m.pt",
                                   *SMALL_MODEL), "another vocabulary")
    not_npy = tmp_path / "x.npy"
    not_npy.write_text("hello")
    assert_one_line_error(run_here("train", "charlm", "--data", not_npy, "--vocab",
                                   tmp_path / "big.vocab"), "not a readable .npy")


def test_unwritable_output_is_refused_before_training(tmp_path, corpus_file):
    result = run_here("train", "charlm", corpus_file, "-o", tmp_path / "no" / "m.pt")
    assert_one_line_error(result, "does not exist")
    assert b"training a" not in result.stderr
    as_dir = run_here("train", "charlm", corpus_file, "-o", tmp_path)
    assert_one_line_error(as_dir, str(tmp_path), "is a directory")



def test_outputs_never_overwrite_inputs(tmp_path, corpus_file):
    text = tmp_path / "p.txt"
    text.write_text("some text to keep\n" * 50)
    for args in (["train", "charlm", text, "-o", text],
                 ["vocab", text, "-o", tmp_path / "v", "--encode", tmp_path / "v"],
                 ["vocab", text, "--encode", text]):
        result = run_here(*args)
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
    assert run_here("vocab", text, "-o", link).returncode == 0
    assert link.is_symlink() and target.read_text().startswith("#rnntool-vocab 1")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


# --- a reader that goes away: every command that writes to stdout ends quietly, status 0 ----

SST_DEV = ROOT / "corpora" / "sentiment" / "dev.txt"


@pytest.fixture(scope="module")
def tiny_tree_model(tmp_path_factory):
    """A tree model trained for one epoch: its predictions do not matter here."""
    out = tmp_path_factory.mktemp("tree") / "tree.pt"
    result = run_here("train", "tree", SST_DEV, "-o", out, "--epochs", "1", "--hidden", "8",
                      "--random-seed", "1")
    assert result.returncode == 0, result.stderr.decode()
    return out


@pytest.fixture(scope="module")
def tiny_sentence_model(tmp_path_factory):
    """A sentence classifier trained for one epoch on SST trees (their roots and words)."""
    out = tmp_path_factory.mktemp("sentence") / "sentence.pt"
    result = run_here("train", "sentiment", SST_DEV, "-o", out, "--epochs", "1", "--hidden",
                      "8", "--embed", "8", "--random-seed", "1")
    assert result.returncode == 0, result.stderr.decode()
    return out


@pytest.fixture(scope="module")
def plenty(tmp_path_factory):
    """Inputs whose outputs are far bigger than a pipe holds (64 KiB)."""
    directory = tmp_path_factory.mktemp("plenty")
    (directory / "trees.txt").write_text(SST_DEV.read_text(encoding="utf-8") * 3,
                                         encoding="utf-8")
    # 12,000 distinct characters: a vocabulary file of about 130 KB
    (directory / "chars.txt").write_text("".join(map(chr, range(0x4E00, 0x4E00 + 12_000))),
                                         encoding="utf-8")
    return directory


def closed_pipe_run(args, *, read_first_line: bool):
    """Run ``rnntool ARGS`` in a process of its own (test_reliability's ``Command``) with
    stdout a pipe whose reader is gone before the process starts, or leaves after reading
    one line; return (status, first line, stderr)."""
    if read_first_line:
        process = Command(*args)
        first = process.stdout.readline()
        process.stdout.close()
    else:
        read, write = os.pipe()
        os.close(read)
        with open(write, "wb") as stdout:
            process = Command(*args, stdout=stdout)
        first = b""
    _, stderr = process.communicate()
    return process.returncode, first, stderr


# (command line, what its first output line starts with); paths filled in by the test
STDOUT_COMMANDS = {
    "vocab": (["vocab", "{plenty}/chars.txt"], b"#rnntool-vocab 1"),
    "parse": (["parse", "{plenty}/trees.txt"], b"(1 (1 (2 (2 these)"),
    "predict tree model": (["predict", "{tree}", "{plenty}/trees.txt", "--output", "probs"],
                           b"(0."),
    "predict sentence classifier": (["predict", "{sentence}", "{plenty}/trees.txt", "--output",
                                     "json"], b'{"label": '),
    "eval": (["eval", "{tree}", "{plenty}/trees.txt"], b"checkpoint: "),
    "sample": (["sample", "{charlm}", "-n", "100000", "--seed", "SCENE"], b"SCENE"),
}


@pytest.mark.parametrize("name, read_first_line", [
    *((name, False) for name in STDOUT_COMMANDS),
    # the commands that write as they go, with a reader that leaves mid-stream
    ("parse", True), ("predict tree model", True), ("predict sentence classifier", True)])
def test_a_closed_stdout_ends_every_command_quietly(request, plenty, name, read_first_line):
    args, first_line = STDOUT_COMMANDS[name]
    paths = {"plenty": plenty}
    for key, fixture in (("tree", "tiny_tree_model"), ("sentence", "tiny_sentence_model"),
                         ("charlm", "trained_model")):
        if any("{" + key + "}" in arg for arg in args):
            paths[key] = request.getfixturevalue(fixture)
    status, first, stderr = closed_pipe_run([arg.format(**paths) for arg in args],
                                            read_first_line=read_first_line)
    assert status == 0, stderr.decode()
    assert b"Traceback" not in stderr and b"Exception ignored" not in stderr, stderr.decode()
    assert b"error" not in stderr, stderr.decode()
    if read_first_line:
        assert first.startswith(first_line), first
    else:
        assert stderr == b"", stderr.decode()  # the first write failed: nothing said


def test_eval_names_a_label_the_model_does_not_have(tmp_path, tiny_tree_model):
    data = tmp_path / "gold.txt"
    data.write_text("(3 (2 good) (3 film))\n\n(7 (2 bad) (2 film))\n")
    assert_one_line_error(run_here("eval", tiny_tree_model, data), str(data), "line 3",
                          "label '7'", "0-4")


def test_bad_durations_say_what_is_wrong(corpus_file):
    for value in ("0", "-5", "0s", "-1m"):
        result = run_here("train", "charlm", corpus_file, "--max-time", value)
        assert result.returncode == 2, result.stderr
        assert b"must be more than zero" in result.stderr, result.stderr
        assert b"is not a duration" not in result.stderr


def test_a_directory_where_a_file_belongs_is_one_line_for_every_command(tmp_path,
                                                                         tiny_tree_model):
    """One rule: a directory given for a file to read or write is a runtime error naming
    it, like a missing file (exit 1, one line), never click's usage error."""
    folder = tmp_path / "adir"
    folder.mkdir()
    for args in (["sample", folder], ["info", folder], ["report", folder],
                 ["eval", tiny_tree_model, folder], ["eval", folder, folder],
                 ["predict", tiny_tree_model, folder], ["train", "charlm", folder],
                 ["train", "tree", folder], ["train", "sentiment", folder],
                 ["train", "tagger", folder], ["train", "forecast", folder],
                 ["train", "tree", ROOT / "corpora/sentiment/dev.txt", "--dev", folder],
                 ["train", "charlm", ROOT / "corpora/default.txt", "-o", folder],
                 ["vocab", ROOT / "corpora/default.txt", "-o", folder],
                 ["parse", "--grammar", folder], ["report", tiny_tree_model, "--plot", folder]):
        assert_one_line_error(run_here(*args), f"{folder}: is a directory")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_an_output_nowhere_writable_names_the_checkpoint(corpus_file):
    line = assert_one_line_error(run_here("train", "charlm", corpus_file, "-o",
                                          "/proc/nope.pt"), "/proc/nope.pt: cannot write")
    assert ".lock" not in line
