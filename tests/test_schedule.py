"""The learning-rate schedule: warmup, constant phase and decay as shares of the run, on
steps, epochs and the clock alike, its options checked, and old checkpoints resumed."""

from __future__ import annotations

import json

import pytest
import torch

from rnntool import checkpoint
from rnntool.training.schedule import rate_factor

from conftest import DEFAULT_CORPUS, SMALL_MODEL, assert_one_line_error, run_here

TREEBANK = DEFAULT_CORPUS.parent / "sentiment"


def step_rates(checkpoint_path) -> dict[int, float]:
    """The learning rate of each logged step of a run (``--log-every 1``)."""
    with open(f"{checkpoint_path}.metrics.jsonl", encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines]
    return {r["step"]: r["lr"] for r in records if r["event"] == "train"}


def test_the_factor_rises_holds_and_falls_to_the_final_share():
    assert rate_factor(0.0, 0.1, 0.2, 0.0) == 0.0
    assert rate_factor(0.0, 0.1, 0.2, 0.0, ahead=0.01) == pytest.approx(0.1)
    assert rate_factor(0.05, 0.1, 0.2, 0.0) == pytest.approx(0.5)
    assert rate_factor(0.1, 0.1, 0.2, 0.0) == rate_factor(0.5, 0.1, 0.2, 0.0) == 1.0
    assert rate_factor(0.8, 0.1, 0.2, 0.0) == pytest.approx(1.0)
    assert rate_factor(0.9, 0.1, 0.2, 0.1) == pytest.approx(0.55)
    assert rate_factor(1.0, 0.1, 0.2, 0.1) == pytest.approx(0.1)
    assert rate_factor(1.7, 0.1, 0.2, 0.1) == pytest.approx(0.1)  # past the end: the final rate
    assert rate_factor(0.3, 0.0, 0.0, 0.0) == 1.0                  # constant
    # a run that is all warmup and decay peaks where they meet
    assert rate_factor(0.5, 0.5, 0.5, 0.0, ahead=0.0) == pytest.approx(1.0)


def test_a_step_limited_run_warms_up_holds_and_decays(tmp_path, corpus_file):
    out = tmp_path / "m.pt"
    result = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "20",
                      "--warmup", "0.25", "--decay", "0.25", "--final-lr", "0.1",
                      "--log-every", "1", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    rates = step_rates(out)
    peak = 0.01
    # step n (from 1) is taken at progress (n - 1) / 20, one step ahead of it in the warmup
    assert [rates[n] for n in range(1, 6)] == pytest.approx([peak * n / 5 for n in range(1, 6)])
    assert all(rates[n] == pytest.approx(peak) for n in range(5, 16))
    assert rates[20] == pytest.approx(peak * (0.1 + 0.9 * (1 / 20) / 0.25))
    assert rates[16] > rates[17] > rates[18] > rates[19] > rates[20]


def test_a_time_limited_run_decays_on_the_clock(tmp_path, corpus_file):
    out = tmp_path / "m.pt"
    result = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--max-time", "2",
                      "--decay", "0.5", "--log-every", "1", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    rates = step_rates(out)
    last = max(rates)
    assert rates[1] == pytest.approx(0.01)          # no warmup by default: the peak at once
    assert rates[last] < 0.5 * 0.01                 # and near the end, far down the decay
    assert sorted(rates.values(), reverse=True) == [rates[n] for n in sorted(rates)]


def test_an_epoch_run_decays_over_its_last_epochs(tmp_path):
    out = tmp_path / "t.pt"
    result = run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "8", "--epochs", "4",
                      "--batch-size", "50", "--decay", "0.5", "--final-lr", "0.2",
                      "--log-every", "1", "-o", out)
    assert result.returncode == 0, result.stderr.decode()
    rates = step_rates(out)
    steps = max(rates)
    peak = 0.05  # Adagrad's default
    assert all(rates[n] == pytest.approx(peak) for n in range(1, steps // 2 + 1))
    assert rates[steps] == pytest.approx(peak * (0.2 + 0.8 / (steps / 2)))


def test_schedule_options_are_checked(tmp_path, corpus_file):
    for options in (["--warmup", "1.5"], ["--decay", "-0.1"], ["--final-lr", "2"]):
        result = run_here("train", "charlm", corpus_file, *options, "-o", tmp_path / "x.pt")
        assert result.returncode == 2 and options[0].encode() in result.stderr
        assert b"0<=x<=1" in result.stderr
    both = run_here("train", "tree", TREEBANK / "dev.txt", "--warmup", "0.6", "--decay", "0.6",
                    "-o", tmp_path / "x.pt")
    assert_one_line_error(both, "--warmup and --decay are shares of the run: together at most 1")
    assert not (tmp_path / "x.pt").exists()


def test_a_checkpoint_from_before_the_shares_resumes(tmp_path, corpus_file):
    out = tmp_path / "old.pt"
    assert run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "10",
                    "-o", out).returncode == 0
    old = checkpoint.load(str(out), kind="charlm")
    settings = old["training"]["settings"]
    for name in ("decay", "final_lr"):
        del settings[name]
    settings.update(warmup=50, min_lr_frac=0.05)  # as an earlier rnntool wrote them
    checkpoint.save(str(out), old)
    again = run_here("train", "charlm", "--resume", out, "--steps", "14")
    assert again.returncode == 0, again.stderr.decode()
    settings = torch.load(out, weights_only=True)["training"]["settings"]
    assert (settings["warmup"], settings["decay"]) == (0.0, 0.4)
