"""Training a char-LM and sampling from it, end to end through the real command line."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from rnntool import checkpoint
from rnntool.evaluate import unigram_loss
from rnntool.inference import lm_loss
from rnntool.vocab import Vocab

from conftest import SMALL_MODEL, assert_one_line_error, run_here


def history(path):
    return torch.load(path, weights_only=True)["training"]["history"]


def test_trained_model_beats_the_unigram_baseline(trained_model, corpus_text):
    data = checkpoint.load(str(trained_model), kind="charlm")
    model = checkpoint.restore_model(data)
    vocab = checkpoint.restore_vocab(data)
    ids = vocab.encode(corpus_text)
    cut = len(ids) - len(ids) // 10  # the validation tail, as --val-frac 0.1 holds out
    train_counts = np.bincount(ids[:cut], minlength=len(vocab))
    baseline = unigram_loss(train_counts, ids[cut:])
    held_out = lm_loss(model, ids[cut:])
    assert held_out < baseline - 0.5, (held_out, baseline)
    best = data["training"]["best_val_loss"]
    assert best == pytest.approx(held_out, abs=0.02)


def test_checkpoint_is_self_contained_plain_data(trained_model):
    data = torch.load(trained_model, weights_only=True)
    assert data["format"] == "rnntool-checkpoint" and data["kind"] == "charlm"
    assert data["model"]["config"]["hidden"] == 64
    assert Vocab.from_dict(data["vocab"]).level == "char"
    training = data["training"]
    assert training["settings"]["batch_size"] == 16
    assert {"resume", "step", "best_val_loss", "best_step", "history"} <= set(training)
    assert {"model", "optimizer", "rng", "step", "state"} <= set(training["resume"])
    assert [h["step"] for h in training["history"]] == [100, 200, 300]


def test_sample_streams_the_seed_and_a_continuation(trained_model):
    result = run_here("sample", trained_model, "--seed", "WREN:", "--length", "200",
                      "--random-seed", "1")
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")
    assert text.startswith("WREN:")
    assert len(text) in (205, 206) and text.endswith("\n")
    assert result.stderr == b""


def test_sampling_options(trained_model):
    greedy = [run_here("sample", trained_model, "--greedy", "-n", "50").stdout for _ in range(2)]
    assert greedy[0] == greedy[1]
    two = run_here("sample", trained_model, "--num-samples", "2", "-n", "30", "--top-k", "3",
                   "--temperature", "0.5", "--random-seed", "4").stdout.decode()
    first, second = two.split("\n\n", 1) if "\n\n" in two else (two, "")
    assert two.count("\n") >= 2
    seed_file_out = run_here("sample", trained_model, "--seed-file", "-", "-n", "5",
                             input="AMBROSE:").stdout.decode()
    assert seed_file_out.startswith("AMBROSE:")


def test_same_random_seed_same_losses_and_sample(tmp_path, corpus_file):
    outs = []
    for name in ("a.pt", "b.pt"):
        result = run_here("train", "charlm", corpus_file, "-o", tmp_path / name, *SMALL_MODEL,
                          "--steps", "60", "--eval-every", "20", "--random-seed", "11",
                          "--dropout", "0.1")
        assert result.returncode == 0, result.stderr
        outs.append(tmp_path / name)
    assert [h["train_loss"] for h in history(outs[0])] == [h["train_loss"] for h in history(outs[1])]
    samples = [run_here("sample", p, "-n", "80", "--random-seed", "5").stdout for p in outs]
    assert samples[0] == samples[1]
    other = run_here("sample", outs[0], "-n", "80", "--random-seed", "6").stdout
    assert other != samples[0]


def test_encoded_memmap_training_equals_text_training(tmp_path, corpus_file):
    common = [*SMALL_MODEL, "--steps", "40", "--eval-every", "20", "--random-seed", "2"]
    assert run_here("vocab", corpus_file, "-o", tmp_path / "v.txt",
                    "--encode", tmp_path / "ids.npy").returncode == 0
    from_text = run_here("train", "charlm", corpus_file, "-o", tmp_path / "text.pt", *common)
    from_ids = run_here("train", "charlm", "--data", tmp_path / "ids.npy", "--vocab",
                        tmp_path / "v.txt", "-o", tmp_path / "ids.pt", *common)
    assert from_text.returncode == 0 and from_ids.returncode == 0, from_ids.stderr
    assert history(tmp_path / "text.pt") == [
        {**h, "elapsed": h2["elapsed"]} for h, h2 in
        zip(history(tmp_path / "ids.pt"), history(tmp_path / "text.pt"))]


def test_training_from_stdin_and_progress_lines(tmp_path, corpus_text):
    out = tmp_path / "m.pt"
    result = run_here("train", "charlm", "-o", out, *SMALL_MODEL, "--steps", "30",
                      "--eval-every", "10", input=corpus_text[:30_000],
                      env={"RNNTOOL_LOG_INTERVAL": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    err = result.stderr.decode()
    assert "validation loss" in err and "bits/char" in err and "chars/s" in err
    assert "\x1b[" not in err  # no terminal control codes when stderr is not a terminal
    assert checkpoint.load(str(out), kind="charlm")["training"]["step"] == 30


def test_closed_pipe_is_not_an_error(trained_model):
    cmd = f"{sys.executable} -m rnntool sample {trained_model} -n 100000 | head -c 20"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout) == 20
    assert result.stderr == b""


def test_seed_with_unknown_characters_is_named(trained_model):
    line = assert_one_line_error(run_here("sample", trained_model, "--seed", "Zoë ∑"), "∑")
    assert "U+2211" in line


def test_max_time_stops_training(tmp_path, corpus_file):
    result = run_here("train", "charlm", corpus_file, "-o", tmp_path / "m.pt", *SMALL_MODEL,
                      "--max-time", "3s", "--epochs", "1000")
    assert result.returncode == 0, result.stderr
    data = checkpoint.load(str(tmp_path / "m.pt"))
    assert 2.5 < data["training"]["elapsed"] < 20


def test_progress_bar_on_a_terminal(tmp_path, corpus_file):
    """With stderr on a terminal, progress is a rich bar; stdout stays clean."""
    import os
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rnntool", "train", "charlm", str(corpus_file), "-o",
             str(tmp_path / "m.pt"), *SMALL_MODEL, "--steps", "20", "--eval-every", "10"],
            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL,
            env=dict(os.environ, COLUMNS="100", TERM="xterm"))
        os.close(slave)
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closes when the process ends
                break
            if not data:
                break
            chunks.append(data)
        stdout, _ = proc.communicate(timeout=120)
    finally:
        os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen
    assert stdout == b""
    assert "━" in screen and "train charlm" in screen  # the bar and its label
    assert "validation loss" in screen


def test_a_rejected_prime_writes_nothing(trained_model):
    result = run_here("sample", trained_model, "--seed", "héllo ✓")
    assert result.returncode == 1 and result.stdout == b""
    tiny = run_here("sample", trained_model, "--temperature", "1e-45", "-n", "20",
                    "--random-seed", "1")
    assert tiny.returncode == 0, tiny.stderr
    greedy = run_here("sample", trained_model, "--greedy", "-n", "20")
    assert tiny.stdout == greedy.stdout  # a vanishing temperature is greedy decoding
    assert run_here("sample", trained_model, "-n", "0").stdout == b""


def test_eval_reports_loss_of_a_charlm(trained_model, corpus_text, tmp_path):
    import json
    held_out = tmp_path / "held.txt"
    held_out.write_text(corpus_text[-12_000:])
    result = run_here("eval", trained_model, held_out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["kind"] == "charlm" and report["characters"] == 12_000
    data = checkpoint.load(str(trained_model))
    assert report["loss"] == pytest.approx(data["training"]["best_val_loss"], abs=0.05)
    assert report["bits_per_character"] == pytest.approx(report["loss"] / np.log(2))
