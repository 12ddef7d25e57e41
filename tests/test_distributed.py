"""Training under torchrun: two real processes on this machine (gloo over loopback) learn
what one process learns with the same global batch, write one checkpoint, and stop together
when one of them fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from conftest import DEFAULT_CORPUS, ROOT, assert_one_line_error, run_here
from rnntool.distributed import Group
from rnntool.errors import RnnToolError
from forked import Command

TREEBANK = ROOT / "corpora" / "sentiment"
HELPERS = ROOT / "tests" / "helpers"

# --decay 0: the learning rate at a step does not depend on where the run ends, so a run of
# 16 steps resumed to 24 takes the steps a run of 24 takes
CHARLM = [DEFAULT_CORPUS, "--hidden", "32", "--embed", "16", "--dropout", "0", "--seq-len",
          "40", "--eval-every", "8", "--log-every", "4", "--decay", "0"]
KINDS = {
    # 16 steps: the two-process run also serves test_a_run_resumes_on_another_number_of_processes
    "charlm": [*CHARLM, "--steps", "16"],
    "tree": [TREEBANK / "dev.txt", "--dev", TREEBANK / "test.txt", "--hidden", "16",
             "--dropout", "0", "--epochs", "2", "--batch-size", "25", "--log-every", "5"],
    "sentiment": [TREEBANK / "dev.txt", "--dev", TREEBANK / "test.txt", "--no-phrases",
                  "--hidden", "16", "--embed", "16", "--dropout", "0", "--epochs", "2",
                  "--batch-size", "25", "--log-every", "5"],
    "wordlm": [DEFAULT_CORPUS, "--hidden", "32", "--embed", "32", "--dropout", "0",
               "--steps", "12", "--eval-every", "6", "--max-size", "500"],
    "tagger": [HELPERS / "tagged.txt", "--dev", HELPERS / "tagged.txt", "--hidden", "16",
               "--embed", "16", "--dropout", "0", "--epochs", "2", "--batch-size", "7",
               "--chars"],
    "forecast": [HELPERS / "series.csv", "--hidden", "16", "--window", "12", "--horizon", "2",
                 "--epochs", "2", "--batch-size", "25"],
    "parser": [TREEBANK / "test.txt", "--dev", TREEBANK / "test.txt", "--hidden", "16",
               "--embed", "16", "--char-embed", "8", "--char-hidden", "8", "--span-hidden",
               "16", "--dropout", "0", "--epochs", "2", "--batch-size", "50"],
}


def torchrun(*args, processes: int = 2, script=None, timeout=240):
    """``torchrun --standalone --nproc-per-node=N -m rnntool ARGS`` (or a script)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNTOOL_LOG_INTERVAL="1000")
    target = [str(script)] if script else ["-m", "rnntool"]
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           f"--nproc-per-node={processes}", *target, *map(str, args)],
                          env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def history(path) -> list[dict]:
    return torch.load(path, weights_only=True)["training"]["history"]


@pytest.fixture(scope="module")
def trained_on_two(tmp_path_factory):
    """Every kind of KINDS trained by two processes under torchrun, one launch for them all
    (a folder each): {kind: checkpoint path}, and the launch's result. The char-LM's run is
    also the one that one process goes on with."""
    base = tmp_path_factory.mktemp("two")
    outs = {kind: base / kind / "m.pt" for kind in KINDS}
    for out in outs.values():
        out.parent.mkdir()
    runs = [json.dumps(["train", kind, *map(str, KINDS[kind]), "-o", str(outs[kind])])
            for kind in KINDS]
    pair = torchrun(*runs, script=HELPERS / "train_kinds.py")
    assert pair.returncode == 0, pair.stderr.decode()
    return outs, pair


@pytest.fixture(scope="module")
def charlm_on_two(trained_on_two):
    outs, pair = trained_on_two
    return outs["charlm"], pair


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_two_processes_learn_what_one_learns(kind, tmp_path, trained_on_two):
    one = tmp_path / "one" / "m.pt"
    one.parent.mkdir()
    single = run_here("train", kind, *KINDS[kind], "-o", one)  # one process: this one
    assert single.returncode == 0, single.stderr.decode()
    outs, pair = trained_on_two
    two = outs[kind]
    expected, got = history(one), history(two)
    assert len(expected) == len(got) >= 2
    for a, b in zip(expected, got):
        assert a["step"] == b["step"]
        for key in a:
            if key.endswith(("loss", "accuracy", "mae", "f1")):
                assert b[key] == pytest.approx(a[key], rel=1e-4, abs=1e-5), (key, a, b)
    # only rank 0 writes: one checkpoint and its metrics, nothing else
    assert sorted(p.name for p in two.parent.iterdir()) == ["m.pt", "m.pt.metrics.jsonl"]
    records = [json.loads(line) for line in open(f"{two}.metrics.jsonl", encoding="utf-8")]
    assert [r["event"] for r in records].count("start") == 1
    assert records[-1]["status"] == "finished"
    # rank 0 alone reports: each message once (every kind's run ends with one "done")
    err = pair.stderr.decode()
    assert err.count(f"model in {two}") == 1 and "rank 1" not in err
    assert err.count("rnntool: done:") == len(KINDS)


def test_a_failing_rank_stops_the_job_with_a_clear_error(tmp_path):
    out = tmp_path / "m.pt"
    result = torchrun("train", "charlm", *KINDS["charlm"], "-o", out,
                      script=HELPERS / "failing_rank.py", timeout=120)
    err = result.stderr.decode()
    assert result.returncode != 0
    assert "rnntool: error: rank 1: failed on purpose at step 3" in err
    assert ("rnntool: error: another process of this distributed run stopped, so this one "
            "stops too (Connection closed by peer") in err
    assert 'rnntool/' not in "".join(line for line in err.splitlines()
                                     if line.strip().startswith("File "))
    assert not out.exists() and not (tmp_path / "m.pt.lock").exists()


def test_a_run_resumes_on_another_number_of_processes(tmp_path, charlm_on_two):
    straight = tmp_path / "straight.pt"
    assert run_here("train", "charlm", *CHARLM, "--steps", "24", "-o", straight
                    ).returncode == 0
    split = tmp_path / "split.pt"  # its first 16 steps by two processes, a copy to go on with
    two, _ = charlm_on_two
    shutil.copyfile(two, split)
    shutil.copyfile(f"{two}.metrics.jsonl", f"{split}.metrics.jsonl")
    state = torch.load(split, weights_only=True)["training"]["resume"]["state"]
    assert all(s.shape[1] == 16 for s in state)  # every stream's state, gathered on rank 0
    resumed = run_here("train", "charlm", "--resume", split, "--steps", "24")
    assert resumed.returncode == 0, resumed.stderr.decode()
    a, b = history(straight), history(split)
    assert [e["step"] for e in a] == [e["step"] for e in b] == [8, 16, 24]
    for x, y in zip(a, b):
        assert y["val_loss"] == pytest.approx(x["val_loss"], rel=1e-4)


def test_stdin_and_uneven_stream_counts_are_refused(tmp_path):
    # Refused from the launcher's environment before any process group is joined: shown in
    # one process with torchrun's variables, as rank 0 of two (a process of its own, to
    # end it should it wait for rank 1 instead)
    with open(os.devnull, "wb") as devnull:
        piped = Command("train", "charlm", "-o", tmp_path / "m.pt", input=b"some text\n" * 100,
                        stdout=devnull, env={"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0",
                                             "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    try:
        piped.wait(timeout=60)
    finally:
        piped.kill()
    err = piped.communicate()[1].decode()
    assert piped.returncode != 0
    assert "under torchrun every process reads the training data itself" in err
    assert "give the data as files" in err
    uneven = torchrun("train", "charlm", DEFAULT_CORPUS, "--batch-size", "15", "-o",
                      tmp_path / "m.pt", timeout=120)
    assert uneven.returncode != 0
    assert "--batch-size 15 streams do not share equally among 2 processes" in \
        uneven.stderr.decode()


def test_the_launcher_environment_is_read_and_checked():
    assert Group.from_env({}) == Group()
    group = Group.from_env({"RANK": "1", "WORLD_SIZE": "3", "LOCAL_RANK": "1",
                            "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500"})
    assert (group.rank, group.world_size, group.is_main, group.distributed) == (1, 3, False, True)
    assert group.shard(list(range(7))) == ([1, 4], 1.0)
    assert Group(2, 3).shard([5]) == ([5], 0.0)  # more ranks than items: weight 0
    with pytest.raises(RnnToolError, match="missing: MASTER_ADDR, MASTER_PORT"):
        Group.from_env({"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "0"})
    with pytest.raises(RnnToolError, match="RANK=4 is not a rank of WORLD_SIZE=2"):
        Group.from_env({"RANK": "4", "WORLD_SIZE": "2", "LOCAL_RANK": "0",
                        "MASTER_ADDR": "x", "MASTER_PORT": "1"})


def test_a_single_process_run_is_untouched_by_the_distributed_code(tmp_path):
    result = run_here("train", "charlm", DEFAULT_CORPUS, "--batch-size", "15", "--hidden", "8",
                      "--steps", "2", "--val-frac", "0", "-o", tmp_path / "m.pt")
    assert result.returncode == 0, result.stderr.decode()
    assert_one_line_error(run_here("train", "charlm", DEFAULT_CORPUS, "-o", tmp_path / "m.pt",
                                   env={"RANK": "0", "WORLD_SIZE": "2"}),
                          "missing: LOCAL_RANK, MASTER_ADDR, MASTER_PORT")


def test_sigterm_to_torchrun_stops_every_process_and_rank_0_saves(tmp_path):
    import signal
    import time
    out = tmp_path / "m.pt"
    metrics = tmp_path / "m.pt.metrics.jsonl"
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNTOOL_LOG_INTERVAL="1000")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
         "-m", "rnntool", "train", "charlm", str(DEFAULT_CORPUS), "--hidden", "32",
         "--steps", "100000", "--eval-every", "20", "--log-every", "5", "-o", str(out)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not out.exists() and time.monotonic() < deadline:  # the first save: training runs
        time.sleep(0.2)
    launcher.send_signal(signal.SIGTERM)
    _, err = launcher.communicate(timeout=120)
    err = err.decode()
    assert "rnntool: stopped by SIGTERM after step" in err and f"--resume {out}" in err
    assert err.count("rnntool: stopped by SIGTERM") == 1  # rank 0 speaks for both
    saved = torch.load(out, weights_only=True)["training"]
    records = [json.loads(line) for line in open(metrics, encoding="utf-8")]
    assert records[-1]["event"] == "end" and records[-1]["status"] == "interrupted"
    assert records[-1]["step"] == saved["step"] == saved["resume"]["step"] > 20
    assert not (tmp_path / "m.pt.lock").exists()
