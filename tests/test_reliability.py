"""Never losing work: exact resume, calm stops on signals, locks, and writes a SIGKILL cannot
tear, for every model kind, through real processes."""

from __future__ import annotations

import os
import random
import signal
import time

import pytest
import torch

from rnntool import checkpoint
from rnntool.vocab import Vocab

from conftest import DEFAULT_CORPUS, ROOT, SMALL_MODEL, assert_one_line_error, run_here
from forked import Command

TREEBANK = ROOT / "corpora" / "sentiment"

# Each kind: its training arguments (without -o), long enough that a signal sent at the
# first checkpoint arrives well before the end.
RUNS = {
    "charlm": ["charlm", DEFAULT_CORPUS, *SMALL_MODEL, "--hidden", "32", "--steps", "240",
               "--eval-every", "20", "--dropout", "0.2"],
    "tree": ["tree", TREEBANK / "train.txt", "--dev", TREEBANK / "dev.txt", "--hidden", "16",
             "--epochs", "5", "--dropout", "0.2"],
    "sentiment": ["sentiment", TREEBANK / "train.txt", "--dev", TREEBANK / "dev.txt",
                  "--binary", "--no-phrases", "--hidden", "16", "--embed", "12",
                  "--epochs", "4", "--dropout", "0.2"],
}


def wait_for(path, process, timeout=120.0) -> None:
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        assert process.poll() is None, process.communicate()[1].decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)


def weights(path, resume: bool = False) -> dict:
    data = torch.load(path, weights_only=True)
    return data["training"]["resume"]["model"] if resume else data["model"]["state_dict"]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), name


@pytest.mark.parametrize("kind, signum", [("charlm", signal.SIGINT), ("tree", signal.SIGTERM),
                                          ("sentiment", signal.SIGINT)])
def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, kind, signum):
    whole, part = tmp_path / "whole.pt", tmp_path / "part.pt"
    process = Command("train", *RUNS[kind], "-o", part)
    wait_for(part, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signum, err.decode()
    message = err.decode().strip().splitlines()[-1]
    assert f"stopped by {signal.Signals(signum).name}" in message and "--resume" in message
    stopped = torch.load(part, weights_only=True)["training"]
    assert not (tmp_path / "part.pt.lock").exists()
    # the uninterrupted run in a process of its own, while this one resumes (two cores)
    uninterrupted = Command("train", *RUNS[kind], "-o", whole)
    resumed = run_here("train", kind, "--resume", part)  # its data and settings from the file
    assert resumed.returncode == 0, resumed.stderr.decode()
    _, err = uninterrupted.communicate()
    assert uninterrupted.returncode == 0, err.decode()
    assert 0 < stopped["step"] < torch.load(whole, weights_only=True)["training"]["step"]
    assert b"resuming at step" in resumed.stderr
    assert_same_weights(weights(whole), weights(part))
    assert_same_weights(weights(whole, resume=True), weights(part, resume=True))
    history = [torch.load(p, weights_only=True)["training"]["history"] for p in (whole, part)]
    strip = lambda h: [{k: v for k, v in e.items() if k != "elapsed"} for e in h]  # noqa: E731
    assert strip(history[0]) == strip(history[1])


def test_a_finished_run_goes_on_with_more_epochs(tmp_path):
    out = tmp_path / "t.pt"
    base = ["train", "tree", TREEBANK / "dev.txt", "--hidden", "12", "--epochs", "1", "-o", out]
    assert run_here(*base).returncode == 0
    more = run_here("train", "tree", "--resume", out, "--epochs", "2")
    assert more.returncode == 0, more.stderr
    training = torch.load(out, weights_only=True)["training"]
    assert [e["epoch"] for e in training["history"]] == [1, 2]


def test_resume_refuses_other_data_and_settings(tmp_path):
    out = tmp_path / "t.pt"
    assert run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "12", "--epochs", "1",
                   "-o", out).returncode == 0
    assert_one_line_error(run_here("train", "tree", TREEBANK / "test.txt", "--resume", out),
                          "training data differs")
    changed = run_here("train", "tree", "--resume", out, "--hidden", "20")
    assert changed.returncode == 2 and b"--hidden 20 differs" in changed.stderr
    assert_one_line_error(run_here("train", "sentiment", "--resume", out),
                          "tree checkpoint", "sentiment")
    stdin_run = tmp_path / "s.pt"
    assert run_here("train", "tree", "--hidden", "8", "--epochs", "1", "-o", stdin_run,
                   input=(TREEBANK / "dev.txt").read_bytes()).returncode == 0
    again = run_here("train", "tree", "--resume", stdin_run)
    assert again.returncode == 2 and b"stdin" in again.stderr


def test_a_second_run_on_the_same_output_is_refused(tmp_path):
    out = tmp_path / "m.pt"
    first = Command("train", *RUNS["charlm"][:-4], "--steps", "100000", "-o", out)
    try:
        wait_for(tmp_path / "m.pt.lock", first)
        second = run_here("train", *RUNS["tree"], "-o", out)
        assert_one_line_error(second, str(out), "another training run", str(first.pid),
                              "--ignore-lock")
        other = run_here("train", "tree", TREEBANK / "dev.txt", "--epochs", "1", "--hidden", "8",
                         "-o", out, "--ignore-lock")
        assert other.returncode == 0, other.stderr
    finally:
        first.kill()
        first.communicate()
    # a killed holder leaves no stale lock behind: the kernel dropped it
    again = run_here("train", "tree", TREEBANK / "dev.txt", "--epochs", "1", "--hidden", "8",
                     "-o", out)
    assert again.returncode == 0, again.stderr
    assert not (tmp_path / "m.pt.lock").exists()


def test_a_second_interrupt_exits_at_once_and_keeps_the_last_checkpoint(tmp_path):
    out = tmp_path / "m.pt"
    process = Command("train", *RUNS["charlm"][:-4], "--steps", "100000", "--eval-every", "5",
                      "-o", out)
    wait_for(out, process)
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err.decode()
    assert b"Traceback" not in err
    checkpoint.load(str(out), kind="charlm")  # whatever moment it hit, a whole checkpoint
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def kill_at_random(args, target, checks: int, seconds: float, verify) -> int:
    """Start ``args`` ``checks`` times, SIGKILL each at a random moment within ``seconds``
    and call ``verify()`` on the target after each; returns how many were killed mid-run."""
    rng = random.Random(0)
    killed = 0
    for _ in range(checks):
        process = Command(*args)
        time.sleep(rng.uniform(0, seconds))
        if process.poll() is None:
            process.kill()
            killed += 1
        process.communicate()
        verify()
    return killed


def test_sigkill_never_tears_a_vocabulary(tmp_path):
    text = tmp_path / "big.txt"
    # 55,000 words, a vocabulary file of 770 KB: a forked run takes under a second
    text.write_text("".join(f"line {i} with word{i % 5000} and more\n" for i in range(50_000)))
    out = tmp_path / "v.vocab"
    out.write_text(run_here("vocab", DEFAULT_CORPUS, "--level", "word").stdout.decode())
    before = out.read_bytes()
    # started as the runs killed below are, which take this long
    full = Command("vocab", text, "--level", "word", "-o", tmp_path / "full.vocab")
    started = time.monotonic()
    _, err = full.communicate()
    duration = time.monotonic() - started
    assert full.returncode == 0, err.decode()
    after = (tmp_path / "full.vocab").read_bytes()

    def verify():
        assert out.read_bytes() in (before, after)
        Vocab.load(str(out))
    killed = kill_at_random(["vocab", text, "--level", "word", "-o", out], out, 6, duration,
                            verify)
    assert killed >= 3


def test_sigkill_never_tears_a_checkpoint(tmp_path):
    out = tmp_path / "m.pt"
    # a checkpoint of 30 MB (hidden 384), written after nearly every step of tiny batches
    # (and 20 validation characters): about half the run is spent writing it, so a tear
    # would show after one or two kills
    args = ["train", "charlm", DEFAULT_CORPUS, "--hidden", "384", "--embed", "64",
            "--batch-size", "2", "--seq-len", "4", "--val-tokens", "20", "--steps", "100000",
            "--eval-every", "1", "-o", out]
    process = Command(*args)
    wait_for(out, process)
    process.kill()
    process.communicate()

    def verify():
        checkpoint.load(str(out), kind="charlm")
        for left in tmp_path.glob(".m.pt.*"):  # what a killed save was writing: 30 MB
            left.unlink()
    # (a forked run saves its first checkpoint within 0.2 s)
    assert kill_at_random([*args, "--ignore-lock"], out, 6, 1.5, verify) >= 3


def test_a_loss_that_explodes_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    out = tmp_path / "t.pt"
    dev = TREEBANK / "dev.txt"
    assert run_here("train", "tree", dev, "--hidden", "8", "--epochs", "1", "-o", out
                    ).returncode == 0
    before = out.read_bytes()
    exploded = run_here("train", "tree", dev, "--hidden", "8", "--epochs", "3", "--lr", "1e30",
                        "--clip", "0", "-o", out)
    assert exploded.returncode == 1
    last = exploded.stderr.decode().strip().splitlines()[-1]
    assert "loss became nan" in last and "nothing was saved" in last and "--lr" in last
    assert out.read_bytes() == before


def test_bad_tree_lines_stop_or_are_skipped(tmp_path):
    deep = "(1 " * 10_000 + "(2 x)" + " (2 y))" * 10_000
    wide = "(3 " + " ".join(f"(2 w{i % 50})" for i in range(100_000)) + ")"
    lines = ["(3 (2 a) (3 b))", "(7 (2 a) (3 b))", "(3 (2 a) (3 b)", "", "()", deep, wide]
    path = tmp_path / "t.txt"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "t.pt"
    assert_one_line_error(run_here("train", "tree", path, "--binary", "-o", out),
                          f"{path}: line 2", "label 7 is not an SST class")
    with open(tmp_path / "parsed.txt", "w+b") as parsed:
        parsing = Command("parse", path, stdout=parsed)  # on the other core, meanwhile
        skipped = run_here("train", "tree", path, "--binary", "--on-error", "skip", "--hidden",
                           "4", "--epochs", "1", "-o", out)
        assert skipped.returncode == 0, skipped.stderr
        assert b"skipped 3 bad lines (the first: line 2:" in skipped.stderr
        assert torch.load(out, weights_only=True)["training"]["trees_seen"] == 3
        _, err = parsing.communicate()
        assert parsing.returncode == 0, err.decode()
        parsed.seek(0)
        assert parsed.read().decode().split("\n")[5].count("(") == 2 * 10_001 - 1


def test_a_run_that_read_stdin_resumes_from_the_same_data_piped_in_again(tmp_path):
    text = DEFAULT_CORPUS.read_bytes()[:40_000]
    out = tmp_path / "s.pt"
    small = [*SMALL_MODEL, "--hidden", "16"]
    assert run_here("train", "charlm", *small, "--steps", "4", "-o", out,
                    input=text).returncode == 0
    again = run_here("train", "charlm", "--resume", out, "--steps", "6", input=text)
    assert again.returncode == 0, again.stderr
    assert torch.load(out, weights_only=True)["training"]["step"] == 6
    other = run_here("train", "charlm", "--resume", out, "--steps", "8", input=text[:30_000])
    assert_one_line_error(other, "training data differs")
    empty = run_here("train", "charlm", "--resume", out, "--steps", "8", input=b"")
    assert empty.returncode == 2 and b"read its data from stdin" in empty.stderr
