"""The README's promises that a test can keep: its two commands, and what CI runs."""

from __future__ import annotations

import re

from conftest import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)[:2]


def test_readme_opens_with_two_single_line_commands():
    main_job, tests = readme_commands()
    assert "\n" not in main_job and "\n" not in tests
    assert "rnntool train charlm corpora/default.txt" in main_job
    assert "rnntool sample" in main_job
    assert (ROOT / "corpora" / "default.txt").exists()


def test_ci_runs_the_readme_test_command():
    _, tests = readme_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = tests.split("&&")[-1].strip()
    assert test_command == "python3 -m pytest -q"
    assert re.search(r"^" + re.escape(test_command) + r"\s*$", ci, flags=re.M)
    assert "torch==2.13.0" in ci and "'.[test]'" in ci
