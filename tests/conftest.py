"""Shared helpers: run the real command line in a subprocess or in this process, small real
corpora."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

import pytest

# One thread, here as in run_cli's processes: the test models are tiny, and a busy machine
# then slows them least (set before anything imports torch; a value already set is kept).
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpora" / "default.txt"


def run_cli(*args, input: bytes | str | None = None, cwd=None, env=None, timeout=300):
    """Run ``python -m rnntool ARGS`` and return the CompletedProcess (bytes stdout/stderr)."""
    # One thread: the test models are tiny, and a busy machine then slows them least.
    full_env = dict(os.environ, RNNTOOL_LOG_INTERVAL="1000", OMP_NUM_THREADS="1")
    full_env.update(env or {})
    if isinstance(input, str):
        input = input.encode("utf-8")
    return subprocess.run([sys.executable, "-m", "rnntool", *map(str, args)], input=input,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                          env=full_env, timeout=timeout,
                          stdin=None if input is not None else subprocess.DEVNULL)


def separate_streams_runner():
    """click's CliRunner with stdout and stderr apart: click 8.2 on always keeps them apart
    (and dropped the ``mix_stderr`` argument), click 8.1 mixes them unless told not to."""
    import inspect
    from click.testing import CliRunner
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:
        return CliRunner(mix_stderr=False)
    return CliRunner()


def run_here(*args, input: bytes | str | None = None, env=None):
    """Run the command line in this process (click's CliRunner), where a test needs no process
    of its own (no signals, pipes or terminals): interpreter, torch and NLTK start-up then cost
    nothing. The result has the ``returncode``, ``stdout`` and ``stderr`` (bytes) of
    ``run_cli``'s; ``env`` is set for the call (a value None unsets), over run_cli's
    RNNTOOL_LOG_INTERVAL."""
    import types
    from rnntool.cli import cli
    full_env = {"RNNTOOL_LOG_INTERVAL": "1000", **(env or {})}
    result = separate_streams_runner().invoke(cli, [str(a) for a in args], input=input,
                                              env=full_env, prog_name="rnntool")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return types.SimpleNamespace(returncode=result.exit_code, stdout=result.stdout_bytes,
                                 stderr=result.stderr_bytes)


def assert_one_line_error(result, *fragments, code: int = 1) -> str:
    """The command failed with ``code`` and one line on stderr holding every fragment."""
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == code, (result.returncode, err)
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.fixture(scope="session")
def corpus_text() -> str:
    """About 120 KB of the project's own generated corpus: enough to learn from in seconds."""
    text = DEFAULT_CORPUS.read_text(encoding="utf-8")
    return text[:120_000]


@pytest.fixture(scope="session")
def corpus_file(tmp_path_factory, corpus_text) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    path.write_text(corpus_text, encoding="utf-8")
    return path


SMALL_MODEL = ["--hidden", "64", "--embed", "16", "--layers", "1", "--batch-size", "16",
               "--seq-len", "40", "--lr", "0.01"]


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, corpus_file) -> Path:
    """A small char-LM trained briefly through the CLI, shared by the sampling tests."""
    out = tmp_path_factory.mktemp("model") / "model.pt"
    result = run_here("train", "charlm", corpus_file, "-o", out, *SMALL_MODEL, "--steps", "300",
                      "--eval-every", "100", "--random-seed", "3")
    assert result.returncode == 0, result.stderr.decode()
    return out


class FuzzTally:
    """How many generated inputs each fuzz test tried, summed up at the end of the session."""

    def __init__(self) -> None:
        self.by_test: collections.Counter[str] = collections.Counter()

    def count(self, test: str) -> None:
        """One more input tried by ``test`` (call it at the top of the test body)."""
        self.by_test[test] += 1

    def summary(self, failed: int) -> str:
        outcome = ("none raised an unexpected error" if not failed else
                   f"{failed} fuzz test{'s' if failed != 1 else ''} failed")
        return (f"fuzzing: {sum(self.by_test.values())} generated inputs tried "
                f"({len(self.by_test)} tests), {outcome}")


FUZZ_TALLY = FuzzTally()


@pytest.fixture(scope="session")
def fuzz_tally() -> FuzzTally:
    return FUZZ_TALLY


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "fuzz: a property-based fuzz test whose generated "
                                       "inputs are counted in the session summary")


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many generated inputs the fuzz tests tried (the issue asks for the number)."""
    if not FUZZ_TALLY.by_test:
        return
    reports = terminalreporter.stats.get("failed", []) + terminalreporter.stats.get("error", [])
    failed = len({report.nodeid for report in reports
                  if "fuzz" in getattr(report, "keywords", {})})
    terminalreporter.write_line(FUZZ_TALLY.summary(failed))
