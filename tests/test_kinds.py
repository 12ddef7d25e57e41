"""The kind table is the one registry: every kind has all of its parts, each command and the
API find kinds there, and no other module tests a kind's name."""

import dataclasses
import pathlib
import re

import pytest

from rnntool import kinds

ROOT = pathlib.Path(__file__).resolve().parent.parent / "rnntool"
#: Where a kind's own code lives: the table and the modules named after the kinds.
OWN = ("kinds", "training", "models", "cli/train")


@pytest.mark.parametrize("name", list(kinds.KINDS))
def test_every_kind_has_all_its_parts(name):
    kind = kinds.get(name)
    settings = kind.load("settings")
    assert dataclasses.is_dataclass(settings)
    settings().check()  # the defaults are valid
    assert callable(kind.load("model"))
    training = kind.load("training")
    assert callable(training.read_data) and callable(training.train)
    assert kind.load("cli").name == name
    use = kind.load("use")
    for function in ("labels", "evaluate", "report_lines", "report_tables"):
        assert callable(getattr(use, function)), function
    if kind.predicts:
        assert callable(use.predict_command) and callable(use.predict)
    if kind.samples:
        assert callable(use.stream)
    assert kind.primary and set(kind.primary) <= {figure for figure, _ in kind.figures}
    assert kind.seen.endswith("_seen")


def test_the_train_command_offers_exactly_the_kinds():
    from rnntool.cli.train import group
    assert sorted(group.commands) == sorted(kinds.KINDS)


def test_an_unknown_kind_is_a_checkpoint_error():
    with pytest.raises(kinds.CheckpointError, match="m.pt: unknown model kind 'gan'"):
        kinds.get("gan", "m.pt")


def test_no_module_outside_a_kinds_own_tests_a_kind_name():
    chain = re.compile(r"kind (==|!=|in) ['\"(\[]")
    found = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(OWN):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if chain.search(line):
                found.append(f"{relative}:{number}: {line.strip()}")
    assert not found
