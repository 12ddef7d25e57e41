"""The ``rnntool`` command line: option handling on top of the library.

Each command lives in its own module and only parses options, calls library functions and
formats output. Nothing here imports torch at import time, so ``rnntool --help`` is instant.
Errors the user can fix (``RnnToolError``) become one line on stderr and exit status 1;
usage errors exit 2 (click); a closed stdout pipe ends the command quietly with status 0, and
a stdout that cannot be written (a full device, closed) is one line and status 1. SIGINT and
SIGTERM end a command in one line with status 130 or 143 (``rnntool.guard``); the commands
that need torch import it before anything else, where a signal cannot leave work half done.
"""

from __future__ import annotations

import contextlib
import os
import sys

import click

from rnntool import __version__
from rnntool.cli import eval as eval_command
from rnntool.cli import completion, info, parse, predict, report, sample, train, vocab
from rnntool import console
from rnntool.console import error_line, silence_stdout
from rnntool.errors import Interrupted, RnnToolError

#: Every option can also come from RNNTOOL_<COMMAND>_<OPTION> (click's automatic prefix),
#: e.g. RNNTOOL_TRAIN_CHARLM_HIDDEN=512; the command line wins over the environment, the
#: environment over the default.
ENV_PREFIX = "RNNTOOL"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100,
                    "auto_envvar_prefix": ENV_PREFIX}


class RnnToolGroup(click.Group):
    """A click group that turns user-facing errors into one-line messages and exit codes."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            with console.data_stdout():  # where --help and --version write, as they parse
                ctx = super().make_context(info_name, list(args), parent=parent, **extra)
        except RnnToolError as exc:  # that stdout failed: a full device
            click.echo(error_line(exc), err=True)
            raise click.exceptions.Exit(1) from None
        ctx.meta["rnntool.argv"] = list(args)
        return ctx

    def invoke(self, ctx: click.Context):
        from rnntool.files import ignore_file_size_signal
        ignore_file_size_signal()  # a write beyond `ulimit -f` fails, and is reported
        try:
            with console.data_stdout():  # UTF-8; a write that fails is one line
                return super().invoke(ctx)
        except click.BadParameter as exc:
            name_environment(exc, ctx.meta.get("rnntool.argv", []))
            raise
        except Interrupted as exc:
            if not console.RANK:  # in a distributed run, rank 0 speaks for all
                click.echo(f"\nrnntool: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except RnnToolError as exc:
            click.echo(error_line(exc), err=True)
            ctx.exit(1)
        except BrokenPipeError:
            silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt as exc:  # a second signal, or one outside training
            stopped = getattr(exc, "signum", None) is not None  # rnntool.guard.Stopped
            click.echo(f"\nrnntool: {'stopped by ' + exc.args[0] if stopped else 'interrupted'}",
                       err=True)
            ctx.exit(exc.exit_code if stopped else 130)


def name_environment(exc: click.BadParameter, argv: list[str]) -> None:
    """Name the option a bad value was given to, and say so when the value came from its
    environment variable rather than from ``argv`` (the user may not know the variable is
    set); click would otherwise name the variable in either case."""
    param = exc.param
    if not isinstance(param, click.Option) or exc.param_hint is not None:
        return
    var = getattr(param, "envvar", None)
    names = param.opts + param.secondary_opts
    given = any(arg.startswith(n + "=") or arg == n or (len(n) == 2 and arg.startswith(n))
                for arg in argv for n in names)  # --opt, --opt=V, -o, -oV
    if isinstance(var, str) and var in os.environ and not given:
        exc.param_hint = f"{max(param.opts, key=len)!r} (from the environment: {var})"
    else:
        exc.param_hint = " / ".join(repr(n) for n in param.opts)


@click.group(cls=RnnToolGroup, context_settings=CONTEXT_SETTINGS, epilog="""\b
Examples:
  rnntool vocab corpora/default.txt -o chars.vocab --encode ids.npy
  cat corpora/default.txt | rnntool train charlm --max-time 1m -o charlm.pt
  rnntool sample charlm.pt --seed "The " | head
  rnntool train sentiment corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      -o sentiment.pt
  rnntool predict sentiment.pt < corpora/sentiment/test.txt > labels.txt
  rnntool report charlm.pt sentiment.pt

The examples run from the root of rnntool's repository, whose corpora/ holds the data they
read (corpora/README.md describes it).
""")
@click.version_option(__version__, "-V", "--version", prog_name="rnntool")
def cli() -> None:
    """Train and run recurrent and recursive neural networks on text.

    Each stage reads files or stdin and writes files or stdout, so stages compose in
    pipelines: build a vocabulary, train a character- or word-level language model, stream
    samples, turn sentences into binary trees (with a parser trained on a treebank), train
    recursive networks on them, recurrent classifiers on labelled lines, taggers on tagged
    sentences or forecasters on numeric series, predict and evaluate, look back at runs
    with info and report. `rnntool COMMAND --help` and the man pages (rnntool-COMMAND(1))
    describe each command.
    """


cli.add_command(vocab.command)
cli.add_command(train.group)
cli.add_command(sample.command)
cli.add_command(parse.command)
cli.add_command(predict.command)
cli.add_command(eval_command.command)
cli.add_command(info.command)
cli.add_command(report.command)
cli.add_command(completion.command)


def environment_variables(command: click.Command, prefix: str = ENV_PREFIX) -> None:
    """Name every option's environment variable after its long option name,
    RNNTOOL_<COMMAND>_<OPTION> (``--val-frac`` of ``train charlm``:
    RNNTOOL_TRAIN_CHARLM_VAL_FRAC), and show it in --help and the man pages. --version and
    --help come only from the command line."""
    for param in command.params:
        if not isinstance(param, click.Option):
            continue
        if param.name == "version":
            param.allow_from_autoenv = False
            continue
        option = max(param.opts, key=len).lstrip("-")
        param.envvar = f"{prefix}_{option.upper().replace('-', '_')}"
        param.show_envvar = True
    for name, sub in getattr(command, "commands", {}).items():
        environment_variables(sub, f"{prefix}_{name.upper().replace('-', '_')}")


environment_variables(cli)


def files_not_directories(command: click.Command) -> None:
    """Give every file argument and option (``click.Path(dir_okay=False)``) of ``command``
    and its subcommands the one rule of ``FilePath``: a directory there is a one-line
    runtime error (exit status 1), as it is where a command reads or writes it itself."""
    from rnntool.cli.common import FilePath
    for param in command.params:
        kind = param.type
        if isinstance(kind, click.Path) and not isinstance(kind, FilePath) \
                and not kind.dir_okay:
            param.type = FilePath.of(kind)
    for sub in getattr(command, "commands", {}).values():
        files_not_directories(sub)


files_not_directories(cli)

#: The commands that need torch: they import it first thing (``rnntool.guard.import_torch``).
TORCH_COMMANDS = ("train", "sample", "predict", "eval", "info")


def torch_first(command: click.Command) -> None:
    """Make ``command`` (and a group's subcommands) import torch before anything else, once
    its options are read (so --help still does not)."""
    import functools
    from rnntool.guard import import_torch
    for sub in getattr(command, "commands", {}).values():
        torch_first(sub)
    callback = command.callback
    if callback is None or isinstance(command, click.Group):
        return

    @functools.wraps(callback)
    def with_torch(*args, **kwargs):
        import_torch()
        return callback(*args, **kwargs)
    command.callback = with_torch


for _name in TORCH_COMMANDS:
    torch_first(cli.commands[_name])


def main(argv: list[str] | None = None) -> None:
    """The console-script entry point. From here on SIGINT and SIGTERM stop the command at
    once with one line (``rnntool.guard``; training loops stop calmly, saving first)."""
    import signal
    from rnntool.guard import exit_now, ignore_stops, stop_at_once
    stop_at_once()
    # click answers shell completion itself, before any command: its stdout too must fail
    # in one line
    completing = f"_{ENV_PREFIX}_COMPLETE" in os.environ
    try:
        with console.data_stdout() if completing else contextlib.nullcontext():
            cli.main(args=argv, prog_name="rnntool")
    except RnnToolError as exc:
        click.echo(error_line(exc), err=True)
        sys.exit(1)
    except SystemExit as exc:
        if exc.code in (128 + signal.SIGINT, 128 + signal.SIGTERM):  # stopped: leave now
            exit_now(exc.code)
        ignore_stops()
        raise
