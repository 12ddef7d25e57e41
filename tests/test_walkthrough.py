"""The README's walkthrough runs as written and prints what the README shows.

Each ```console block of the "Walkthrough" section holds `$ command` lines, each followed by
the output it prints (stdout and stderr together, as a terminal shows them). The commands
run one after another in a fresh directory that sees the repository's `corpora/`: a plain
`rnntool ARGS` line in this process (click's runner), any other line through bash. Expected
and actual lines must agree: `...` in an expected line stands for any text, a line that is
only `...` for any number of lines, numbers with a decimal point may differ by 5%
(floating point can differ in its last bits between CPUs) and two or more spaces (table
columns) stand for any run of spaces; everything else is exact.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import ROOT

NUMBER = re.compile(r"\d+\.\d+|\d+")


def walkthrough() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) of every `$ ` line of the walkthrough."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Walkthrough\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert section, "README.md has no Walkthrough section"
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section.group(1), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            else:
                assert steps, f"output before the first command: {line!r}"
                steps[-1][1].append(line)
    return steps


def line_matches(expected: str, actual: str) -> bool:
    expected, actual = expected.rstrip(), actual.rstrip()
    parts = re.split(r"(\.\.\.|\d+\.\d+|\d+)", expected)
    pattern = "".join(".*?" if p == "..." else r"(\d+\.\d+)" if re.fullmatch(r"\d+\.\d+", p)
                      else " +".join(map(re.escape, re.split(r" {2,}", p))) for p in parts)
    match = re.fullmatch(pattern, actual)
    if not match:
        return False
    wanted = [float(p) for p in parts if re.fullmatch(r"\d+\.\d+", p)]
    return all(math.isclose(w, float(g), rel_tol=0.05, abs_tol=1e-3)
               for w, g in zip(wanted, match.groups()))


def lines_match(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` fits ``expected``, where a `...` line takes any number of lines."""
    if not expected:
        return not actual
    if expected[0].strip() == "...":
        return any(lines_match(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and line_matches(expected[0], actual[0]) and \
        lines_match(expected[1:], actual[1:])


def run(command: str, cwd) -> list[str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNTOOL_LOG_INTERVAL="1000",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("COLUMNS", None)
    result = subprocess.run(["bash", "-c", "set -o pipefail; " + command], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    output = result.stdout.decode("utf-8", "replace")
    assert result.returncode == 0, f"$ {command}\n{output}"
    return output.rstrip("\n").split("\n") if output.strip() else []


#: What makes a command line more than ``rnntool ARGS``: pipes, redirections, variables...
SHELL_SYNTAX = re.compile(r"[|&;<>()$`*?~{}\\]")


def run_in_process(command: str, cwd, monkeypatch) -> list[str]:
    """``run`` for a command that is ``rnntool ARGS`` alone, in this process (click's runner,
    stdout and stderr mixed as a terminal shows them; the same environment as ``run``):
    interpreter and torch start-up cost nothing. Any other command line goes to ``run``."""
    words = shlex.split(command)
    if SHELL_SYNTAX.search(command) or words[0] != "rnntool":
        return run(command, cwd)
    from click.testing import CliRunner
    from rnntool.cli import cli
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(cli, words[1:], prog_name="rnntool",
                                env={"OMP_NUM_THREADS": "1", "RNNTOOL_LOG_INTERVAL": "1000",
                                     "COLUMNS": None})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    output = result.output
    assert result.exit_code == 0, f"$ {command}\n{output}"
    return output.rstrip("\n").split("\n") if output.strip() else []


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("walkthrough")
    (folder / "corpora").symlink_to(ROOT / "corpora")
    return folder


def test_the_walkthrough_runs_as_the_readme_shows(workdir, monkeypatch):
    steps = walkthrough()
    assert len(steps) >= 10
    for command, expected in steps:
        actual = run_in_process(command, workdir, monkeypatch)
        assert lines_match(expected, actual), (
            f"$ {command}\n--- README shows:\n" + "\n".join(expected) +
            "\n--- it prints:\n" + "\n".join(actual))


def test_the_matcher_is_strict_where_it_should_be():
    assert line_matches("loss 2.0406 at step 219", "loss 2.0411 at step 219")
    assert not line_matches("loss 2.0406 at step 219", "loss 2.0406 at step 220")
    assert not line_matches("loss 2.0406 at step 219", "loss 2.5406 at step 219")
    assert line_matches("done: 300 steps in ...", "done: 300 steps in 7s, 71.0k chars/s")
    assert not line_matches("the cat", "the dog")
    assert lines_match(["a", "...", "d"], ["a", "b", "c", "d"])
    assert lines_match(["a", "...", "d"], ["a", "d"])
    assert not lines_match(["a", "d"], ["a", "b", "d"])
    assert line_matches("run  kind    steps", "run     kind  steps")
    assert not line_matches("run  kind", "runkind")


if __name__ == "__main__":  # print what the walkthrough's commands print, to update README
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        os.symlink(ROOT / "corpora", os.path.join(folder, "corpora"))
        for command, _ in walkthrough():
            print("$ " + command)
            print("\n".join(run(command, folder)))
