"""Every example in --help, the man pages and README.md runs as written from the repository
root, on the corpora that ship.

Collected, so that a new example is tested without editing this file:

- the examples of every command's --help, read from its click ``epilog`` as the man pages
  read them (``split_epilog`` of man/generate.py: the ``Examples:`` paragraph and the
  indented paragraphs after it), so they are also the man pages' EXAMPLES;
- every command of README.md's ```sh blocks and every ``$ `` line of its ```console blocks.

Lines ending in a backslash continue on the next one; ``#`` lines are comments.

Each block of examples (one command's --help; one ``##`` section of the README, its
blocks in order) runs in a fresh temporary directory holding a link ``corpora`` to the
repository's ``corpora/``, so that paths read as written and outputs do not litter the
repository; a model an example uses must come from an earlier example of its block. An
example passes when it exits with status 0; a failing one is shown with its command and
stderr, and no example may write into corpora/.
(`rnntool completion --help` shows install instructions, not examples.)

What is changed before running, and only this:

- Budgets. Every `rnntool train` command, also under torchrun, trains briefly: a kind that
  counts steps (an option --steps: the language models) gets ``--steps 1`` and
  ``--val-tokens 500`` (the example's --epochs and --max-time stay; they would end the run
  later), any other kind ``--epochs 1 --max-time 0.3s``; each replaces the example's value
  or is added. `rnntool sample` draws ``--length 20``.
- `pip install ...` steps of a ``&&`` chain are left out: rnntool is installed already.
- ``| jq FILTER`` at the end of a pipeline: jq need not be installed, so the command before
  the pipe runs and the key path the filter reads (``.a.b``, ``.[0].c``) must be in the
  JSON it prints.

How: a line made of plain words, quotes, globs, ``|``, ``&&``, ``<``, ``>`` and ``<<<``
(every example that runs today) runs its `rnntool` stages in this process (click's runner, with the
previous stage's output as stdin), so that torch is imported once, and every other stage
(echo, head, tail, python3, torchrun, ...) as a process of its own; pipeline stages run one
after another, so ``| head`` never cuts a writer short. A line with any other shell syntax
runs in bash, with pipefail. A training command that already ran, identically and on
identical files, in another block is not trained again: the files it wrote are copied
(torchrun's start-up alone would cost seconds).

EXEMPT lists the examples that do not run, each with its reason; a test checks that each
entry still matches an example.
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import traceback
from pathlib import Path

import click
import pytest

from conftest import ROOT, run_here

README = ROOT / "README.md"


@dataclasses.dataclass(frozen=True)
class Exemption:
    block: str    # the block's name starts with this
    text: str     # the example holds this ("" for every example of the block)
    reason: str


EXEMPT = [
    Exemption("README.md ## Walkthrough", "",
              "tests/test_walkthrough.py runs the walkthrough and checks what it prints"),
    Exemption("README.md (introduction)", "python3 -m pytest",
              "the test suite itself; tests/test_readme.py checks that CI runs this command"),
    Exemption("", "node1.example.org",
              "needs two machines, the first one reachable as node1.example.org"),
    Exemption("README.md ## Shell completion", ">> ~/.bashrc",
              "installs completion into the user's start-up file; "
              "test_completion_scripts_print runs `rnntool completion bash`"),
    Exemption("README.md ## Shell completion", ">> ~/.zshrc",
              "installs completion into the user's start-up file; "
              "test_completion_scripts_print runs `rnntool completion zsh`"),
    Exemption("README.md ## Shell completion", "~/.config/fish/completions",
              "installs completion into the user's fish configuration; "
              "test_completion_scripts_print runs `rnntool completion fish`"),
]

# --- collecting ---------------------------------------------------------------------------


def commands_of(lines: list[str]) -> list[str]:
    """Command lines of a block's lines: continuations joined, blanks and comments left out."""
    commands, pending = [], ""
    for line in lines:
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].strip() + " "
            continue
        commands.append(pending + line.strip())
        pending = ""
    assert not pending, f"a continued line ends its block: {pending!r}"
    return commands


def load_man_generator():
    spec = importlib.util.spec_from_file_location("rnntool_man_generate",
                                                  ROOT / "man" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def help_blocks() -> dict[str, list[str]]:
    """{'rnntool train charlm --help': [command, ...]} for every command with examples."""
    from rnntool.cli import cli
    split_epilog = load_man_generator().split_epilog
    blocks = {}

    def walk(command, path):
        examples, _ = split_epilog(command.epilog)
        if examples:
            blocks[" ".join(path) + " --help"] = commands_of(examples)
        if isinstance(command, click.Group):
            for name in sorted(command.commands):
                walk(command.commands[name], path + [name])

    walk(cli, ["rnntool"])
    return blocks


def readme_blocks(text: str | None = None) -> dict[str, list[str]]:
    """{'README.md ## Section': [command, ...]}: the ```sh and ```console blocks of each
    ``##`` section, in order (``(introduction)`` before the first)."""
    text = README.read_text(encoding="utf-8") if text is None else text
    blocks: dict[str, list[str]] = {}
    parts = re.split(r"^## (.*)$", text, flags=re.M)
    sections = [("(introduction)", parts[0])] + list(zip(parts[1::2], parts[2::2]))
    for title, body in sections:
        commands = []
        for kind, code in re.findall(r"^```(sh|console)\n(.*?)^```", body, flags=re.S | re.M):
            lines = code.splitlines()
            if kind == "console":
                lines = [line[2:] for line in lines if line.startswith("$ ")]
            commands += commands_of(lines)
        if commands:
            blocks[f"README.md ## {title}" if title != "(introduction)"
                   else "README.md (introduction)"] = commands
    return blocks


def all_blocks() -> dict[str, list[str]]:
    return {**help_blocks(), **readme_blocks()}


def exemption(block: str, command: str) -> Exemption | None:
    return next((e for e in EXEMPT if block.startswith(e.block) and e.text in command), None)


# --- rewriting ----------------------------------------------------------------------------

def set_options(args: list[str], values: dict[str, str], aliases=()) -> list[str]:
    """``args`` with each option of ``values`` given that value: in place (``--opt V``,
    ``--opt=V`` or an alias such as ``-n V``), or added at the end."""
    args = list(args)
    for option, value in values.items():
        names = {option, *(alias for alias, target in aliases if target == option)}
        found = False
        for i, arg in enumerate(args):
            if arg in names and i + 1 < len(args):
                args[i + 1], found = value, True
            elif arg.split("=", 1)[0] in names and "=" in arg:
                args[i], found = f"{option}={value}", True
        if not found:
            args += [option, value]
    return args


def with_budget(args: list[str]) -> list[str]:
    """The arguments of one `rnntool` call with the test's budgets (see the docstring)."""
    from rnntool.cli import cli
    if args[:1] == ["sample"]:
        return set_options(args, {"--length": "20"}, aliases=[("-n", "--length")])
    if args[:1] == ["train"] and len(args) > 1 and args[1] in cli.commands["train"].commands:
        command = cli.commands["train"].commands[args[1]]
        options = {name for param in command.params for name in getattr(param, "opts", [])}
        if "--steps" in options:
            return set_options(args, {"--steps": "1", "--val-tokens": "500"})
        return set_options(args, {"--epochs": "1", "--max-time": "0.3s"})
    return args


def rewrite_stage(words: list[str]) -> list[str]:
    """One pipeline stage with the budgets applied to the rnntool call it makes, if any."""
    if words[:1] == ["rnntool"]:
        return words[:1] + with_budget(words[1:])
    if words[:1] == ["torchrun"] and "rnntool" in words:
        at = words.index("rnntool")
        if words[at - 1] == "-m":
            return words[:at + 1] + with_budget(words[at + 1:])
    return words


def jq_path(filter_text: str) -> list[str | int]:
    """The key path a simple jq filter reads: ``.roots.accuracy`` -> ['roots', 'accuracy']."""
    steps = re.findall(r"\.([A-Za-z_]\w*)|\.?\[(\d+)\]", filter_text)
    rebuilt = "".join(f".{key}" if key else f"[{index}]" for key, index in steps)
    assert steps and rebuilt.replace(".[", "[") == filter_text.replace(".[", "["), (
        f"jq filter {filter_text!r} is not a plain key path; keep jq examples simple")
    return [key if key else int(index) for key, index in steps]


# --- a small shell ------------------------------------------------------------------------

class NeedsBash(Exception):
    """The line uses shell syntax the small shell does not run itself."""


OPERATORS = ("&&", "<<<", "|", "<", ">")


def tokenize(line: str) -> list[tuple[str, str]]:
    """(kind, text) tokens: 'word', 'glob' (a word with unquoted * ? [) or 'op'."""
    tokens: list[tuple[str, str]] = []
    word, kind, started, i = "", "word", False, 0
    while i < len(line):
        c = line[i]
        if c in " \t":
            if started:
                tokens.append((kind, word))
            word, kind, started = "", "word", False
            i += 1
            continue
        op = next((o for o in OPERATORS if line.startswith(o, i)), None)
        if op:
            if started and (word.isdigit() or op == ">" and line.startswith(">>", i)):
                raise NeedsBash(line)  # 2>, >>
            if started:
                tokens.append((kind, word))
            tokens.append(("op", op))
            word, kind, started = "", "word", False
            i += len(op)
            continue
        if c == "'":
            end = line.index("'", i + 1)
            word, started, i = word + line[i + 1:end], True, end + 1
        elif c == '"':
            i += 1
            while line[i] != '"':
                if line[i] in "$`":
                    raise NeedsBash(line)
                if line[i] == "\\" and line[i + 1] in '"\\$`':
                    i += 1
                word += line[i]
                i += 1
            started, i = True, i + 1
        elif c == "\\":
            word, started, i = word + line[i + 1], True, i + 2
        elif c in "$`;&(){}~!#" and not (c in "~#" and started):
            raise NeedsBash(line)
        else:
            if c in "*?[":
                kind = "glob"
            word, started, i = word + c, True, i + 1
    if started:
        tokens.append((kind, word))
    return tokens


@dataclasses.dataclass
class Stage:
    tokens: list[tuple[str, str]]  # ('word' or 'glob', text)
    stdin: str | None = None       # < FILE
    here: str | None = None        # <<< WORD
    stdout: str | None = None      # > FILE

    @property
    def words(self) -> list[str]:
        return [text for _, text in self.tokens]

    def expand(self, cwd: Path) -> list[str]:
        """The words, globs expanded in ``cwd`` as bash does when the stage starts."""
        words = []
        for kind, text in self.tokens:
            matches = sorted(glob.glob(text, root_dir=cwd)) if kind == "glob" else []
            words += matches or [text]
        return words


def parse(line: str) -> list[list[Stage]]:
    """The ``&&`` chain of pipelines of ``line``."""
    chain: list[list[Stage]] = [[Stage([])]]
    tokens = tokenize(line)
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        stage = chain[-1][-1]
        if kind == "op" and text in ("<", ">", "<<<"):
            if i + 1 >= len(tokens) or tokens[i + 1][0] == "op":
                raise NeedsBash(line)
            target = tokens[i + 1][1]
            setattr(stage, {"<": "stdin", ">": "stdout", "<<<": "here"}[text], target)
            i += 2
            continue
        if kind == "op":
            if not stage.tokens:
                raise NeedsBash(line)
            chain[-1].append(Stage([])) if text == "|" else chain.append([Stage([])])
        else:
            stage.tokens.append((kind, text))
        i += 1
    if not chain[-1][-1].tokens:
        raise NeedsBash(line)
    return chain


def environment() -> dict[str, str]:
    env = dict(os.environ, OMP_NUM_THREADS="1", RNNTOOL_LOG_INTERVAL="1000",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    env.pop("COLUMNS", None)
    return env


class ExampleFailed(AssertionError):
    pass


def fail(example: str, ran: str, status, stderr: bytes) -> None:
    raise ExampleFailed(f"$ {example}\n  (ran as: {ran})\n  exit status {status}; stderr:\n"
                        + stderr.decode("utf-8", "replace"))


#: Training outputs by (command, stdin, the files it names), shared by the blocks.
TRAINED: dict[tuple, tuple[dict[str, bytes], bytes]] = {}


def snapshot(cwd: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in cwd.iterdir()
            if p.is_file() and not p.is_symlink()}


def inputs_digest(words: list[str], cwd: Path) -> str:
    """A digest of the files a command names (but its output, -o), for ``TRAINED``."""
    h = hashlib.sha256()
    for before, word in zip([""] + words, words):
        if before not in ("-o", "--output") and (cwd / word).is_file():
            h.update(word.encode() + b"\0" + (cwd / word).read_bytes())
    return h.hexdigest()


def run_stage(words: list[str], data: bytes | None, cwd: Path) -> tuple[int, bytes, bytes]:
    """Run one stage: `rnntool` in this process, anything else as a process."""
    if words[0] == "rnntool":
        try:
            result = run_here(*words[1:], input=data, env={"OMP_NUM_THREADS": "1",
                                                          "COLUMNS": None})
        except Exception:  # shown with the example, as a process would show its traceback
            return 1, b"", traceback.format_exc().encode()
        return result.returncode, result.stdout, result.stderr
    result = subprocess.run(words, input=data if data is not None else b"", cwd=cwd,
                            env=environment(), capture_output=True, timeout=300)
    return result.returncode, result.stdout, result.stderr


def run_stage_reusing(words, data, cwd) -> tuple[int, bytes, bytes]:
    """``run_stage``, where a training command identical to one that ran before, on identical
    files, gets that run's outputs instead of training again."""
    trains = words[:2] == ["rnntool", "train"] or words[:1] == ["torchrun"]
    if not trains:
        return run_stage(words, data, cwd)
    key = (tuple(words), hashlib.sha256(data or b"").hexdigest(), inputs_digest(words, cwd))
    if key in TRAINED:
        files, stderr = TRAINED[key]
        for name, content in files.items():
            (cwd / name).write_bytes(content)
        return 0, b"", stderr
    before = snapshot(cwd)
    status, stdout, stderr = run_stage(words, data, cwd)
    if status == 0:
        after = snapshot(cwd)
        TRAINED[key] = ({name: (cwd / name).read_bytes() for name in after
                         if before.get(name) != after[name]}, stderr)
    return status, stdout, stderr


def run_example(example: str, cwd: Path, monkeypatch) -> None:
    """Run one example line in ``cwd`` as the docstring says; fail with its stderr."""
    monkeypatch.chdir(cwd)
    try:
        chain = parse(example)
    except NeedsBash:
        assert "rnntool train" not in example, (
            f"a training example needs bash, where the test cannot set its budget: {example}")
        result = subprocess.run(["bash", "-c", "set -o pipefail; " + example], cwd=cwd,
                                env=environment(), capture_output=True, timeout=300)
        if result.returncode != 0:
            fail(example, "bash -c", result.returncode, result.stderr)
        return
    chain = [pipeline for pipeline in chain if pipeline[0].words[:2] != ["pip", "install"]]
    for pipeline in chain:
        data: bytes | None = None
        ran = " | ".join(shlex.join(rewrite_stage(s.words)) for s in pipeline)
        for position, stage in enumerate(pipeline):
            words = rewrite_stage(stage.expand(cwd))
            if stage.stdin is not None:
                data = (cwd / stage.stdin).read_bytes()
            if stage.here is not None:
                data = (stage.here + "\n").encode()
            if words[0] == "jq" and position == len(pipeline) - 1:
                filter_text = next(w for w in words[1:] if not w.startswith("-"))
                value = json.loads(data)
                for key in jq_path(filter_text):
                    assert isinstance(value, (dict, list)) and (
                        key in value if isinstance(value, dict) else key < len(value)), (
                        f"$ {example}\n  the JSON it prints has no {filter_text}")
                    value = value[key]
                break
            status, data, stderr = run_stage_reusing(words, data, cwd)
            if status != 0:
                fail(example, ran, status, stderr)
            if stage.stdout is not None:
                (cwd / stage.stdout).write_bytes(data)
                data = b""


# --- the tests ----------------------------------------------------------------------------

BLOCKS = all_blocks()


def corpora_files() -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in (ROOT / "corpora").rglob("*") if p.is_file()}


@pytest.mark.parametrize("block", list(BLOCKS))
def test_examples_run_as_written(block, tmp_path, monkeypatch):
    (tmp_path / "corpora").symlink_to(ROOT / "corpora")
    shipped = corpora_files()
    for example in BLOCKS[block]:
        if exemption(block, example) is None:
            run_example(example, tmp_path, monkeypatch)
    assert corpora_files() == shipped, f"{block}: an example wrote into corpora/"


def test_examples_are_collected():
    help_names = set(help_blocks())
    from rnntool.cli import cli
    assert {"rnntool --help", "rnntool train charlm --help", "rnntool predict --help"} \
        <= help_names
    for name, command in cli.commands.items():  # every command but completion shows examples
        if name != "completion":
            assert f"rnntool {name} --help" in help_names, name
    readme = README.read_text(encoding="utf-8")
    code_blocks = re.findall(r"^```(sh|console)\n(.*?)^```", readme, flags=re.S | re.M)
    assert len(code_blocks) >= 10
    collected = sum(readme_blocks().values(), [])
    for kind, code in code_blocks:  # every block yields commands (none is mistaken for text)
        lines = code.splitlines()
        commands = commands_of([line[2:] for line in lines if line.startswith("$ ")]
                               if kind == "console" else lines)
        assert commands and all(command in collected for command in commands), code


def test_every_exemption_matches_an_example():
    for entry in EXEMPT:
        assert entry.reason
        assert any(block.startswith(entry.block) and entry.text in example
                   for block, examples in BLOCKS.items() for example in examples), (
            f"exemption {entry} matches no example any more: remove it")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_print(shell):
    result = run_here("completion", shell)
    assert result.returncode == 0, result.stderr
    assert b"rnntool" in result.stdout and len(result.stdout) > 200


def test_the_small_shell_agrees_with_bash(tmp_path, monkeypatch):
    (tmp_path / "b.txt").write_text("x\n")
    (tmp_path / "a.txt").write_text("y\n")
    line = ("printf 'b \\n\"a\"\\n' | sort | head -n 1 > out.txt && cat *.txt > all.txt "
            "&& tr a-z A-Z <<< \"it's\" > up.txt && cat < up.txt > copy.txt")
    run_example(line, tmp_path, monkeypatch)
    mine = {name: (tmp_path / name).read_text() for name in ("out.txt", "all.txt", "copy.txt")}
    for name in [*mine, "up.txt"]:
        (tmp_path / name).unlink()
    subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True, capture_output=True)
    assert mine == {name: (tmp_path / name).read_text() for name in mine}
    assert mine["copy.txt"] == "IT'S\n"
    with pytest.raises(NeedsBash):
        parse('echo "$(rnntool completion bash)" >> ~/.bashrc')
    with pytest.raises(ExampleFailed, match="false"):
        run_example("true && false | cat", tmp_path, monkeypatch)


def test_budgets_and_jq_paths():
    assert with_budget(["train", "charlm", "x.txt", "--max-time", "1m"]) == \
        ["train", "charlm", "x.txt", "--max-time", "1m", "--steps", "1", "--val-tokens", "500"]
    assert with_budget(["train", "tree", "--epochs=5", "t.txt"]) == \
        ["train", "tree", "--epochs=1", "t.txt", "--max-time", "0.3s"]
    assert with_budget(["sample", "m.pt", "-n", "400"]) == ["sample", "m.pt", "-n", "20"]
    assert rewrite_stage(["torchrun", "-m", "rnntool", "train", "wordlm", "--steps", "90"]) \
        == ["torchrun", "-m", "rnntool", "train", "wordlm", "--steps", "1",
            "--val-tokens", "500"]
    assert jq_path(".roots.accuracy") == ["roots", "accuracy"]
    assert jq_path(".[0].best") == [0, "best"]
    with pytest.raises(AssertionError):
        jq_path(".[] | select(.x)")
