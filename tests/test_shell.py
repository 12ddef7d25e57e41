"""Living in a shell: completion through click's protocol, and options from the environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import pytest

from conftest import DEFAULT_CORPUS, assert_one_line_error, run_here


# Runs rnntool's entry point as the shell's completion function does, and also records what
# click's completion offers (type and value of each item) before it is put in the shell's
# wire format: that format differs between shells and between click versions.
RECORDING_MAIN = """
import json, os
from click.shell_completion import ShellComplete
from rnntool.cli import main

offered, get_completions = [], ShellComplete.get_completions

def recording(self, args, incomplete):
    items = get_completions(self, args, incomplete)
    offered.extend((item.type, item.value) for item in items)
    return items

ShellComplete.get_completions = recording
try:
    main()
finally:
    with open(os.environ["OFFERED_FILE"], "w", encoding="utf-8") as handle:
        json.dump(offered, handle)
"""


def complete(words: str, tmp_path, shell: str = "bash") -> list[str]:
    """What completion offers for the command line ``words`` (the last word is being
    typed), as ``type,value`` strings, whatever the shell's wire format."""
    parts = words.split(" ")
    env = dict(os.environ, _RNNTOOL_COMPLETE=f"{shell}_complete", COMP_WORDS=words,
               COMP_CWORD=str(len(parts) - 1))
    if shell == "fish":
        env.update(COMP_CWORD=parts[-1])
    with tempfile.TemporaryDirectory() as scratch:  # not in tmp_path: files there complete
        env["OFFERED_FILE"] = os.path.join(scratch, "offered.json")
        result = subprocess.run([sys.executable, "-c", RECORDING_MAIN], cwd=tmp_path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert result.returncode == 0, result.stderr.decode()
        with open(env["OFFERED_FILE"], encoding="utf-8") as handle:
            offered = json.load(handle)
    sent = result.stdout.decode()
    for _, value in offered:  # what was offered reached the shell, in whatever framing
        assert value in sent, (value, sent)
    return [f"{kind},{value}" for kind, value in offered]


def test_completion_offers_commands_and_subcommands(tmp_path):
    offered = complete("rnntool ", tmp_path)
    for name in ("vocab", "train", "sample", "parse", "predict", "eval", "info", "report",
                 "completion"):
        assert f"plain,{name}" in offered
    assert complete("rnntool train s", tmp_path) == ["plain,sentiment"]


def test_completion_offers_choices_for_cells_and_output_modes(tmp_path):
    assert complete("rnntool train charlm --cell ", tmp_path) == [
        "plain,lstm", "plain,gru", "plain,rnn"]
    assert complete("rnntool train tree --cell r", tmp_path) == ["plain,rnn", "plain,rntn"]
    offered = complete("rnntool predict m.pt --output ", tmp_path)
    assert {"plain,label", "plain,probs", "plain,json"} <= set(offered)
    assert complete("rnntool train charlm --hid", tmp_path) == ["plain,--hidden"]


def test_completion_offers_checkpoint_files_for_checkpoints(tmp_path):
    for name in ("model.pt", "mini.ckpt", "notes.txt", "m.pt.metrics.jsonl"):
        (tmp_path / name).write_bytes(b"")
    assert complete("rnntool sample m", tmp_path) == ["plain,mini.ckpt", "plain,model.pt"]
    assert complete("rnntool info mo", tmp_path) == ["plain,model.pt"]
    assert complete("rnntool train charlm --resume m", tmp_path) == [
        "plain,mini.ckpt", "plain,model.pt"]
    # nothing that looks like a checkpoint, or a directory that matches: the shell's own
    # file completion takes over
    assert complete("rnntool eval no", tmp_path) == ["file,no"]
    (tmp_path / "models").mkdir()
    assert complete("rnntool sample mo", tmp_path) == ["file,mo"]


def test_completion_leaves_data_paths_to_the_shell(tmp_path):
    assert complete("rnntool train charlm cor", tmp_path) == ["file,cor"]
    assert complete("rnntool train tree --dev d", tmp_path) == ["file,d"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_works_for_zsh_and_fish(tmp_path, shell):
    assert complete("rnntool train charlm --cell ", tmp_path, shell) == [
        "plain,lstm", "plain,gru", "plain,rnn"]
    assert complete("rnntool train tree --cell r", tmp_path, shell) == [
        "plain,rnn", "plain,rntn"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_install_script(shell):
    result = run_here("completion", shell)
    assert result.returncode == 0
    script = result.stdout.decode()
    assert "_RNNTOOL_COMPLETE" in script and f"{shell}_complete" in script


def test_options_come_from_the_environment_and_the_command_line_wins(tmp_path):
    out = tmp_path / "m.pt"
    env = {"RNNTOOL_TRAIN_CHARLM_HIDDEN": "24", "RNNTOOL_TRAIN_CHARLM_LAYERS": "1",
           "RNNTOOL_TRAIN_CHARLM_STEPS": "5", "RNNTOOL_TRAIN_CHARLM_VAL_FRAC": "0",
           "RNNTOOL_TRAIN_CHARLM_CELL": "gru"}
    result = run_here("train", "charlm", DEFAULT_CORPUS, "-o", out, "--cell", "rnn", env=env)
    assert result.returncode == 0, result.stderr.decode()
    info = json.loads(run_here("info", "--json", out).stdout)
    config = info["model"]["config"]
    assert (config["hidden"], config["layers"], config["cell"]) == (24, 1, "rnn")
    assert info["training"]["steps"] == 5
    # the command that was really run, options from the environment included
    command = info["command"]
    assert command[:3] == ["rnntool", "train", "charlm"]
    assert command[command.index("--hidden") + 1] == "24"
    assert command[command.index("--cell") + 1] == "rnn"
    # flags read 1/0 from the environment
    sampled = run_here("sample", out, "--length", "20", "--random-seed", "1",
                       env={"RNNTOOL_SAMPLE_GREEDY": "1"})
    greedy = run_here("sample", out, "--length", "20", "--greedy")
    assert sampled.returncode == 0 and sampled.stdout == greedy.stdout


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path):
    result = run_here("train", "charlm", DEFAULT_CORPUS, "-o", tmp_path / "m.pt",
                      env={"RNNTOOL_TRAIN_CHARLM_HIDDEN": "many"})
    err = result.stderr.decode()
    assert result.returncode == 2 and "Traceback" not in err
    assert "RNNTOOL_TRAIN_CHARLM_HIDDEN" in err and "'many'" in err


def test_help_names_every_option_environment_variable():
    text = run_here("train", "tree", "--help").stdout.decode()
    for var in ("RNNTOOL_TRAIN_TREE_HIDDEN", "RNNTOOL_TRAIN_TREE_DEV", "RNNTOOL_TRAIN_TREE_OUTPUT",
                "RNNTOOL_TRAIN_TREE_ON_ERROR"):
        assert var in text.replace("\n", "").replace(" ", ""), var
    from rnntool.cli import cli

    def options(command, path):
        for param in command.params:
            if param.name not in ("version", "help") and hasattr(param, "show_envvar"):
                yield path, param
        for name, sub in getattr(command, "commands", {}).items():
            yield from options(sub, f"{path}_{name.upper()}")
    for path, param in options(cli, "RNNTOOL"):
        name = max(param.opts, key=len).lstrip("-").upper().replace("-", "_")
        assert param.envvar == f"{path}_{name}" and param.show_envvar, (path, param.name)


def test_unset_and_empty_variables_change_nothing(tmp_path):
    result = run_here("vocab", DEFAULT_CORPUS, "-o", tmp_path / "v.vocab",
                      env={"RNNTOOL_VOCAB_LEVEL": "", "RNNTOOL_VOCAB_MIN_COUNT": ""})
    assert result.returncode == 0, result.stderr.decode()
    assert "# level: char" in (tmp_path / "v.vocab").read_text(encoding="utf-8")
    bad = run_here("vocab", DEFAULT_CORPUS, "-o", tmp_path / "w.vocab",
                   env={"RNNTOOL_VOCAB_LEVEL": "sentence"})
    assert bad.returncode == 2 and "RNNTOOL_VOCAB_LEVEL" in bad.stderr.decode()
    assert not (tmp_path / "w.vocab").exists()
    assert_one_line_error(run_here("info", tmp_path / "v.vocab"), "v.vocab")


def test_a_bad_value_on_the_command_line_names_the_option_only(tmp_path):
    result = run_here("train", "charlm", DEFAULT_CORPUS, "--hidden", "abc",
                      env={"RNNTOOL_TRAIN_CHARLM_HIDDEN": "64"})
    err = result.stderr.decode()
    assert result.returncode == 2 and "Invalid value for '--hidden': 'abc'" in err
    assert "RNNTOOL_" not in err
    short = run_here("sample", tmp_path / "m.pt", "-t", "-1")
    assert "Invalid value for '-t' / '--temperature'" in short.stderr.decode()


@pytest.mark.parametrize("args, env", [
    (["--help"], {}), (["--version"], {}), (["train", "charlm", "--help"], {}),
    ([], {"_RNNTOOL_COMPLETE": "bash_source"}),  # click writes the completion script itself
], ids=["help", "version", "subcommand help", "completion script"])
def test_what_click_writes_itself_fails_in_one_line_on_a_full_device(args, env):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "rnntool", *args], stdout=full,
                                stderr=subprocess.PIPE, env=dict(os.environ, **env),
                                timeout=60)
    assert result.returncode == 1
    assert result.stderr.decode() == "rnntool: error: stdout: no space left on device\n"
