"""Bounded runs at any corpus size: validation capped by --val-tokens, --max-time covering
the whole training, streaming data fingerprints, and stop signals honoured at once in every
phase of a command (torch's import, reading data, validation), through real processes."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import types

import numpy as np
import pytest
import torch

from rnntool import checkpoint
from rnntool.settings import TreeSettings
from rnntool.training.budget import Budget

from conftest import DEFAULT_CORPUS, SMALL_MODEL, assert_one_line_error, run_here

TREEBANK = DEFAULT_CORPUS.parent / "sentiment"


def training_record(path) -> dict:
    return torch.load(path, weights_only=True)["training"]


# --val-tokens


def test_validation_reads_at_most_val_tokens_and_the_interval_follows(tmp_path, corpus_file):
    out = tmp_path / "m.pt"
    result = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "2",
                      "--val-tokens", "3000", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    # 7 x 3,000 validation characters over 16 x 40 a step: 33 steps, at least 50
    assert b"validating on the first 3,000 of the last 12,000 (--val-tokens) every 50 steps" \
        in result.stderr
    assert training_record(out)["settings"]["val_tokens"] == 3000
    whole = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "2",
                     "--val-tokens", "0", "-o", tmp_path / "w.pt")
    assert b"validating on the last 12,000 every 132 steps" in whole.stderr
    assert_one_line_error(run_here("train", "charlm", corpus_file, "--val-tokens", "1",
                                   "-o", tmp_path / "x.pt"), "--val-tokens", code=1)


def test_a_checkpoint_from_before_val_tokens_resumes(tmp_path, corpus_file):
    out = tmp_path / "old.pt"
    first = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "20",
                     "--eval-every", "10", "--val-tokens", "0", "-o", out)
    assert first.returncode == 0, first.stderr.decode()
    old = checkpoint.load(str(out), kind="charlm")
    del old["training"]["settings"]["val_tokens"]  # as a checkpoint of an earlier rnntool
    checkpoint.save(str(out), old)
    whole_tail_best = old["training"]["best_val_loss"]

    again = run_here("train", "charlm", "--resume", out, "--steps", "30", "--val-tokens",
                     "3000")
    assert again.returncode == 0, again.stderr.decode()
    assert b"the best model measured again" in again.stderr
    record = training_record(out)
    assert record["step"] == 30 and record["settings"]["val_tokens"] == 3000
    assert record["best_val_loss"] != whole_tail_best  # compared on the text it now reads

    checkpoint.save(str(out), old)  # without the option: the default, and no error
    default = run_here("train", "charlm", "--resume", out, "--steps", "25")
    assert default.returncode == 0, default.stderr.decode()
    assert training_record(out)["settings"]["val_tokens"] == 200_000


# --max-time


def test_the_budget_keeps_room_for_the_last_step_validation_and_saves():
    budget = Budget(10.0, guess=lambda step: 5 * step)
    assert budget.clock() < 0.1
    budget.stepped(1.0)
    assert budget.reserve() == 5.0  # guessed from the step until a validation is measured
    budget.validated(2.0)
    budget.saved(0.5)
    assert budget.reserve() == 3.0
    assert 0.0 <= budget.clock() < 0.1  # 10 s less 2 steps and the reserve: 5 s to train
    budget.start -= 4.0
    assert 0.7 < budget.clock() < 1.0
    budget.start -= 1.0
    assert budget.clock() == 1.0
    assert Budget(None).clock() == 0.0
    assert Budget(1.0, guess=lambda step: 5.0).clock() == 1.0


@pytest.mark.parametrize("kind", ["charlm", "tree"])
def test_max_time_covers_the_whole_training(tmp_path, kind):
    out = tmp_path / "m.pt"
    args = {"charlm": ["charlm", DEFAULT_CORPUS, *SMALL_MODEL],
            "tree": ["tree", TREEBANK / "train.txt", "--dev", TREEBANK / "dev.txt",
                     "--hidden", "16", "--epochs", "1000"]}[kind]
    result = run_here("train", *args, "--max-time", "3", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    assert b"(within --max-time 3s)" in result.stderr
    record = training_record(out)
    assert record["step"] > 0
    assert record["elapsed"] < 3.0 + 3.0  # validations and saves included; a busy machine


# the budget rule: --max-time alone, --epochs alone, both, neither; --patience


def test_max_time_alone_trains_past_the_default_epochs(tmp_path):
    # 40 trees an epoch: the default 20 epochs take a fraction of a second
    small = tmp_path / "small.txt"
    small.write_text("".join((TREEBANK / "dev.txt").open(encoding="utf-8").readlines()[:40]),
                     encoding="utf-8")
    out = tmp_path / "t.pt"
    result = run_here("train", "tree", small, "--hidden", "8", "--max-time", "2", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    assert b"(within --max-time 2s)" in result.stderr
    assert training_record(out)["epoch"] > TreeSettings.DEFAULT_EPOCHS
    default = run_here("train", "tree", small, "--hidden", "8", "-o", tmp_path / "d.pt")
    assert b"(after 20 epochs)" in default.stderr  # no budget at all: the kind's default
    both = run_here("train", "tree", small, "--hidden", "8", "--epochs", "2", "--max-time",
                    "60", "-o", tmp_path / "b.pt")
    assert b"(after 2 epochs)" in both.stderr  # whichever comes first
    assert training_record(tmp_path / "b.pt")["epoch"] == 2


def test_patience_stops_when_validation_stops_improving(tmp_path, corpus_file):
    # A learning rate far too high: validation gets worse after the first ones
    out = tmp_path / "t.pt"
    result = run_here("train", "tree", TREEBANK / "dev.txt", "--dev", TREEBANK / "dev.txt",
                      "--hidden", "8", "--lr", "5", "--epochs", "50", "--patience", "2",
                      "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    assert b"(--patience 2: 2 validations without a better figure)" in result.stderr
    record = training_record(out)
    assert record["epoch"] < 50
    after_best = [e for e in record["history"] if e["step"] > record["best_step"]]
    assert len(after_best) == 2
    lm = tmp_path / "lm.pt"
    result = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--lr", "0.5",
                      "--eval-every", "2", "--patience", "1", "--steps", "200", "-o", lm)
    assert result.returncode == 0, result.stderr.decode()
    assert b"(--patience 1: 1 validation without a better figure)" in result.stderr
    assert training_record(lm)["step"] < 200


def test_patience_may_change_on_resuming(tmp_path):
    out = tmp_path / "t.pt"
    assert run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "8", "--epochs", "1",
                    "-o", out).returncode == 0
    more = run_here("train", "tree", "--resume", out, "--epochs", "2", "--patience", "3")
    assert more.returncode == 0, more.stderr.decode()
    assert training_record(out)["settings"]["patience"] == 3


# streaming fingerprints and passes


def test_the_data_digest_streams_and_keeps_its_value(tmp_path, monkeypatch):
    from rnntool import data
    from rnntool.training.engine import data_digest
    ids = np.random.default_rng(0).integers(0, 200, 10_001).astype(np.uint16)
    np.save(tmp_path / "ids.npy", ids)
    mapped = np.load(tmp_path / "ids.npy", mmap_mode="r")
    whole = hashlib.sha256(ids.tobytes() + "a".encode() + b"\0" + b"\1").hexdigest()[:16]
    monkeypatch.setattr(data.chunks, "__defaults__", (333,))  # many small chunks
    assert data_digest(mapped, ["a"]) == data_digest(ids, ["a"]) == whole
    assert max(int(piece.max()) for piece in data.chunks(mapped)) == int(ids.max())


def test_hashing_a_memory_mapped_corpus_costs_no_memory_of_its_size(tmp_path):
    path = tmp_path / "ids.npy"
    np.save(path, np.zeros(120_000_000, dtype=np.uint8))
    code = ("import numpy as np, resource, sys\n"
            "from rnntool.training.engine import data_digest\n"
            "from rnntool.data import chunks\n"
            "ids = np.load(sys.argv[1], mmap_mode='r')\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "data_digest(ids); max(int(p.max()) for p in chunks(ids))\n"
            "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n")
    grown = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                           check=True, timeout=120).stdout
    assert int(grown) < 40, grown  # MB; copying or keeping the 120 MB would show


# stop signals in every phase


def start(*args, env=None, stdin=subprocess.DEVNULL) -> subprocess.Popen:
    full = dict(os.environ, OMP_NUM_THREADS="1", **(env or {}))
    return subprocess.Popen([sys.executable, "-m", "rnntool", *map(str, args)], stdin=stdin,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full)


def stop(process: subprocess.Popen, signum: int, bound: float = 6.0) -> str:
    """Send ``signum``; the process must exit with 128 + it within ``bound`` seconds (2 on an
    idle machine; the bound is for a busy one) saying so in one line; that line."""
    sent = time.monotonic()
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    took = time.monotonic() - sent
    text = err.decode()
    assert process.returncode == 128 + signum, text
    assert took < bound, (took, text)
    assert "Traceback" not in text and "Error" not in text, text
    last = text.strip().splitlines()[-1]
    assert last.startswith(f"rnntool: stopped by {signal.Signals(signum).name}"), text
    return last


@pytest.mark.parametrize("delay, signum", [(0.3, signal.SIGINT), (0.9, signal.SIGTERM),
                                           (1.5, signal.SIGINT)])
def test_a_signal_while_torch_imports_ends_the_command_in_one_line(trained_model, delay,
                                                                   signum):
    process = start("info", trained_model)
    time.sleep(delay)
    sent = time.monotonic()
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert time.monotonic() - sent < 6.0  # 2 s on an idle machine; this one may be busy
    if process.returncode == 0:  # on a fast machine it was done already
        assert b"charlm" in out and err == b""
    else:
        assert_one_line_error(types.SimpleNamespace(returncode=process.returncode,
                                                    stderr=err),
                              f"rnntool: stopped by {signal.Signals(signum).name}",
                              code=128 + signum)


def test_a_signal_while_reading_the_data_stops_at_once_and_leaves_nothing(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "m.pt"
    process = start("train", "charlm", "-o", out, env={"TMPDIR": str(scratch)},
                    stdin=subprocess.PIPE)
    process.stdin.write(b"some text that goes on " * 1000)
    process.stdin.flush()
    time.sleep(4.0)  # torch imported, blocked reading stdin, which stays open
    stop(process, signal.SIGTERM)
    assert not out.exists() and not (tmp_path / "m.pt.lock").exists()
    assert list(scratch.iterdir()) == []  # the encoded ids' directory is gone


def test_a_signal_during_validation_stops_it_and_saves(tmp_path):
    out = tmp_path / "m.pt"
    # A long validation (nine tenths of the corpus) after 5 short steps.
    process = start("train", "charlm", DEFAULT_CORPUS, "--val-frac", "0.9", "--val-tokens",
                    "0", "--steps", "5", "--batch-size", "4", "-o", out)
    lines = []

    def read():
        for line in process.stderr:
            lines.append(line)
    started = time.monotonic()
    while not any(b"training a" in line for line in lines):
        line = process.stderr.readline()
        assert line, "the run ended before training"
        lines.append(line)
        assert time.monotonic() - started < 120
    time.sleep(5.0)  # steps 1 to 5 take about a second, the validation far longer
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    reader = threading.Thread(target=read)
    reader.start()
    process.wait(timeout=120)
    reader.join()
    text = b"".join(lines).decode()
    assert process.returncode == 130, text
    assert time.monotonic() - sent < 6.0, text
    assert "rnntool: stopped by SIGINT after step" in text.strip().splitlines()[-1]
    record = training_record(out)
    assert record["resume"]["step"] == record["step"] > 0


@pytest.mark.parametrize("kind", ["charlm", "tree"])
def test_a_validation_stopped_by_a_signal_is_done_again_on_resuming(tmp_path, monkeypatch,
                                                                     kind):
    import contextlib
    from rnntool.guard import StopSignals
    args = {"charlm": ["charlm", DEFAULT_CORPUS, *SMALL_MODEL, "--hidden", "32", "--steps",
                       "60", "--eval-every", "20", "--dropout", "0.2"],
            "tree": ["tree", TREEBANK / "train.txt", "--dev", TREEBANK / "dev.txt",
                     "--hidden", "16", "--epochs", "3", "--dropout", "0.2"]}[kind]
    whole, part = tmp_path / "whole.pt", tmp_path / "part.pt"
    assert run_here("train", *args, "-o", whole).returncode == 0
    abortable, entered = StopSignals.abortable, []

    @contextlib.contextmanager
    def signalled(self, enabled=True):
        with abortable(self, enabled):
            entered.append(1)
            if len(entered) == 2:  # the second validation: Ctrl-C in the middle of it
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.5)
            yield
    monkeypatch.setattr(StopSignals, "abortable", signalled)
    stopped = run_here("train", *args, "-o", part)
    monkeypatch.undo()
    assert stopped.returncode == 130, stopped.stderr.decode()
    assert b"stopped by SIGINT" in stopped.stderr
    record = training_record(part)
    assert len(record["history"]) == 1  # the second validation did not happen
    resumed = run_here("train", kind, "--resume", part)
    assert resumed.returncode == 0, resumed.stderr.decode()
    assert len(training_record(part)["history"]) == len(training_record(whole)["history"])
    a, b = (torch.load(p, weights_only=True)["model"]["state_dict"] for p in (whole, part))
    assert all(torch.equal(a[name], b[name]) for name in a)


def test_a_signal_is_honoured_while_the_main_thread_is_held_in_a_long_call(tmp_path):
    # Python runs no handler until a call into C returns (a rendezvous with other processes,
    # loading a large checkpoint); here, one long key derivation.
    script = tmp_path / "held.py"
    script.write_text(
        "import hashlib, sys\n"
        "from rnntool.guard import Stopped, stop_at_once\n"
        "stop_at_once()\n"
        "try:\n"
        "    print('ready', flush=True)  # the signal may come as soon as this is read\n"
        "    hashlib.pbkdf2_hmac('sha256', b'x', b'y', 10 ** 8)\n"
        "except Stopped as exc:  # taken between calls, or the call ended in time\n"
        "    sys.stderr.write(f'rnntool: stopped by {exc.args[0]}\\n')\n"
        "    sys.exit(exc.exit_code)\n")
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout.readline() == b"ready\n"
    stop(process, signal.SIGTERM)
