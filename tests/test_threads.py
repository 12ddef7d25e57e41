"""The thread count: chosen by measurement (rnntool.threads.Tuner, on a simulated machine
whose speed per count and load the test sets), fixed by --threads or OMP_NUM_THREADS, and
offered by every train kind and by sample, predict and eval."""

from __future__ import annotations

import random

import pytest

from conftest import ROOT, SMALL_MODEL, run_here
from rnntool import threads


class Machine:
    """A simulated machine: a clock, torch's thread count, and how many seconds a unit of
    work takes on each count (``speeds(t)``: {count: seconds per unit}) while other
    processes use ``others(t)`` cores."""

    def __init__(self, speeds, others, noise=0.0):
        self.t, self.count = 0.0, 2
        self.speeds, self.others_at = speeds, others
        self.rng = random.Random(0)
        self.noise = noise
        self.since = -1.0  # the load probe's reading began before the run

    def clock(self):
        return self.t

    def get(self):
        return self.count

    def set(self, count):
        self.count = count

    def others(self):
        return self.others_at(self.t)

    def unit(self) -> float:
        seconds = self.speeds(self.t)[self.count] * (1 + self.rng.uniform(-self.noise,
                                                                           self.noise))
        self.t += seconds
        return seconds


def simulate(speeds, others, units, noise=0.0):
    """Run ``units`` units under a Tuner; (seconds taken, seconds on the best fixed count,
    the counts used, the tuner)."""
    machine = Machine(speeds, others, noise)
    tuner = threads.Tuner(None, clock=machine.clock, probe=machine, torch_threads=machine)
    used = []
    with tuner:
        for _ in range(units):
            used.append(machine.count)
            tuner.record(machine.unit(), 1.0)
    best = min(speeds(0)[count] for count in (1, 2)) * units
    return machine.t, best, used, tuner


@pytest.fixture(autouse=True)
def automatic(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


@pytest.mark.parametrize("name, speeds, others, units, best", [
    # the run: 60 steps of 0.09 s; all threads 10-80 times slower on a busy machine
    ("busy, all threads stall", {1: 0.09, 2: 2.7}, 1.0, 60, 1),
    ("busy, long run", {1: 0.09, 2: 7.2}, 1.0, 20_000, 1),
    ("busy, sampling", {1: 0.0036, 2: 0.036}, 2.0, 2000, 1),
    ("idle, a large model", {1: 0.09, 2: 0.06}, 0.0, 60, 2),
    ("idle, a small model", {1: 0.09, 2: 0.12}, 0.0, 60, 1),
    ("idle, sampling a small model", {1: 0.001, 2: 0.0012}, 0.0, 2000, 1),
    ("idle, large steps", {1: 2.0, 2: 1.2}, 0.0, 20, 2),
])
@pytest.mark.parametrize("noise", [0.0, 0.15])
def test_the_measured_count_is_within_ten_percent_of_the_best(name, speeds, others, units,
                                                             best, noise):
    taken, fastest, used, tuner = simulate(lambda t: speeds, lambda t: others, units, noise)
    assert taken <= 1.1 * fastest * (1 + noise), (name, taken / fastest, tuner.describe())
    assert used[-1] == best


def test_the_count_follows_the_load_as_it_changes():
    # idle for 30 s, two other busy processes for a minute, idle again
    def busy(t):
        return 30 <= t < 90

    def speeds(t):
        return {1: 0.13, 2: 3.0} if busy(t) else {1: 0.1, 2: 0.07}

    machine = Machine(speeds, lambda t: 2.0 if busy(t) else 0.0)
    tuner = threads.Tuner(None, clock=machine.clock, probe=machine, torch_threads=machine)
    spans = {False: [], True: []}
    with tuner:
        while machine.t < 150:
            spans[busy(machine.t)].append(machine.count)
            tuner.record(machine.unit(), 1.0)
    assert spans[False].count(2) >= 0.95 * len(spans[False])
    assert spans[True].count(1) >= 0.95 * len(spans[True])
    assert machine.count == 2  # back to all threads once the machine is idle again


def test_without_a_load_reading_it_still_measures():
    # no /proc/stat: the trials of all threads are kept within the budget
    for speeds, best in (({1: 0.09, 2: 0.9}, 1), ({1: 0.09, 2: 0.05}, 2)):
        machine = Machine(lambda t: speeds, lambda t: None)
        with threads.Tuner(None, clock=machine.clock, probe=machine,
                           torch_threads=machine) as tuner:
            for _ in range(2000):
                tuner.record(machine.unit(), 1.0)
        assert machine.t <= 1.1 * 2000 * min(speeds.values())
        assert tuner.count == best


def test_units_of_another_size_are_left_out():
    machine = Machine(lambda t: {1: 0.01, 2: 0.01}, lambda t: 0.0)
    with threads.Tuner(None, clock=machine.clock, probe=machine,
                       torch_threads=machine) as tuner:
        tuner.record(0.5, 100.0)  # a sample's prime
        tuner.record(0.001, 1.0)  # then single tokens
        assert not tuner.window
        tuner.record(0.001, 1.0)
        assert len(tuner.window) == 1


def test_a_given_count_is_fixed(monkeypatch):
    assert threads.fixed_count(None) is None
    assert threads.fixed_count(0) is None
    assert threads.fixed_count(3) == 3
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads.fixed_count(None) == 2
    assert threads.fixed_count(1) == 1  # --threads wins over the environment
    monkeypatch.setenv("OMP_NUM_THREADS", "many")
    assert threads.fixed_count(None) == 0  # set but not a count: torch's count stays
    machine = Machine(lambda t: {1: 0.1, 2: 0.01}, lambda t: 0.0)
    tuner = threads.Tuner(1, clock=machine.clock, probe=machine, torch_threads=machine)
    with tuner:
        assert machine.count == 1
        for _ in range(100):
            tuner.record(machine.unit(), 1.0)
        assert machine.count == 1  # never changed, though 2 would be faster
    assert machine.count == 2  # the count found is put back


def test_the_load_probe_reads_this_machine():
    probe = threads.LoadProbe()
    others = probe.others()
    assert others is None or others >= 0.0


def test_the_count_does_not_change_the_random_streams():
    import torch
    found = torch.get_num_threads()
    masks = []
    try:
        for count in (1, 2):
            torch.set_num_threads(count)
            torch.manual_seed(7)
            masks.append(torch.nn.functional.dropout(torch.ones(1 << 18), 0.3))
    finally:
        torch.set_num_threads(found)
    assert torch.equal(*masks)


def test_forward_calls_are_the_units_of_a_command():
    import torch
    found = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Tanh())
        with threads.tuned_forwards() as tuner:
            assert tuner.active
            for _ in range(3):
                model(torch.ones(5, 4))
            assert tuner.last_work == 20.0  # one unit per outer call, of 20 numbers
        assert torch.get_num_threads() == 2
        with threads.tuned_forwards(1) as tuner:
            assert not tuner.active and torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(found)


@pytest.fixture()
def two_threads():
    """torch on two threads for the test (the suite runs on one), then as it was."""
    import torch
    found = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(found)


def test_every_kind_and_command_takes_threads(tmp_path, corpus_file, two_threads):
    import torch
    model = tmp_path / "m.pt"
    # charlm had no --threads before; 0 is automatic
    for count in ("0", "1"):
        result = run_here("train", "charlm", corpus_file, *SMALL_MODEL, "--steps", "3",
                          "--val-frac", "0", "--threads", count, "-o", model,
                          env={"OMP_NUM_THREADS": None})
        assert result.returncode == 0, result.stderr
        assert torch.get_num_threads() == 2  # the caller's count is back
    samples = [run_here("sample", model, "--length", "60", "--random-seed", "3",
                        "--threads", count, env={"OMP_NUM_THREADS": None}).stdout
               for count in ("0", "1", "2")]
    assert samples[0] == samples[1] == samples[2] and samples[0]
    result = run_here("eval", model, corpus_file, "--threads", "1", "--json")
    assert result.returncode == 0, result.stderr
    trees, tree_model = ROOT / "corpora" / "sentiment" / "dev.txt", tmp_path / "t.pt"
    assert run_here("train", "tree", trees, "--hidden", "8", "--epochs", "1", "-o", tree_model,
                    env={"OMP_NUM_THREADS": None}).returncode == 0
    labels = [run_here("predict", tree_model, trees, "--threads", count,
                       env={"OMP_NUM_THREADS": None}) for count in ("0", "1")]
    assert labels[0].returncode == 0 and labels[0].stdout == labels[1].stdout
    assert torch.get_num_threads() == 2
    for bad in (run_here("sample", model, "--threads", "-1"),
                run_here("train", "charlm", corpus_file, "--threads", "-2")):
        assert bad.returncode == 2 and b"--threads" in bad.stderr, bad.stderr
    from rnntool import kinds
    for kind in kinds.KINDS.values():
        result = run_here("train", kind.name, "--help")
        assert b"--threads N" in result.stdout, kind.name
    for command in ("predict", "eval", "sample"):
        assert b"--threads N" in run_here(command, "--help").stdout
