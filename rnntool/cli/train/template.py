"""What every ``rnntool train`` subcommand does around its own options and data: resuming a
run (its settings and inputs), refusing to overwrite an input, the distributed set-up, the
early check of the output, holding the output lock while training, and the options every
kind has that are not settings (--resume, --ignore-lock, -o, --dev, --on-error, ...).

Not here: reading a kind's data and training it (each kind's module in this package, and
``rnntool.train``), the options made from the settings (``options``).
"""

from __future__ import annotations

import contextlib
import dataclasses

import click

from rnntool.cli.common import CHECKPOINT, invocation
from rnntool.cli.train.options import setting_options, stacked

#: Options a resumed run may change; every other setting stays the checkpoint's.
RUN_LENGTH = ("epochs", "steps", "max_time", "patience", "threads", "log_every")


def run_options(cls):
    """``--resume``, ``--ignore-lock``, ``--log-every`` and ``--threads`` (settings of
    ``cls``), which every train subcommand has."""
    return stacked([
        click.option(
            "--resume", "resume_path", metavar="CKPT", type=CHECKPOINT,
            help="Go on from CKPT, written by an interrupted or finished run, exactly where it "
                 "stopped: the same data (leave out the input files to read the run's own "
                 "files again, or the same data piped into stdin for a run that read stdin) "
                 "and settings; only --epochs, --steps, --max-time, --patience, --threads "
                 "and --log-every may change. Writes CKPT unless -o is given."),
        click.option(
            "--ignore-lock", is_flag=True,
            help="Write the checkpoint even when another training run holds its lock "
                 "(CKPT.lock, held while a run writes CKPT)."),
        setting_options(cls, "log_every", "threads"),
    ])


def output_option(default: str, help: str = "Checkpoint to write."):
    """``-o/--output CKPT``, ``default`` shown."""
    return click.option("-o", "--output", default=default, show_default=True, metavar="CKPT",
                        type=CHECKPOINT, help=help)


def dev_option(help: str):
    """``--dev FILE``: development data, validated after each epoch."""
    return click.option("--dev", "dev_file", metavar="FILE", type=click.Path(dir_okay=False),
                        help=help)


embeddings_option = click.option(
    "--embeddings", "embeddings_file", metavar="FILE", type=click.Path(dir_okay=False),
    help="Initialize word embeddings from word vectors in word2vec/GloVe text format (one "
         "word and its numbers a line).")


def on_error_option(what: str):
    """``--on-error error|skip``: what to do with input that does not read (``what``)."""
    return click.option(
        "--on-error", type=click.Choice(["error", "skip"]), default="error", show_default=True,
        help=f"{what}: stop with an error naming its line, or skip it and say how many were "
             f"skipped.")


def explicit(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line or in the environment."""
    from click.core import ParameterSource
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,
                                              ParameterSource.ENVIRONMENT)


def resumed(ctx: click.Context, kind: str, path: str | None, cls, given: dict):
    """``(checkpoint, settings)`` of the run to resume (``(None, cls(**given))`` without
    one): the checkpoint's settings, with the run-length options given here; another
    option given with a different value is a usage error."""
    if path is None:
        return None, cls(**given)
    from rnntool import checkpoint
    loaded = checkpoint.load(path, kind=kind)
    saved = dict(loaded["training"].get("settings", {}))
    if "min_lr_frac" in saved:  # a language model's run from before the schedule's shares
        del saved["warmup"]     # (it counted warmup steps): it goes on with their defaults
    values = {}
    for field in dataclasses.fields(cls):
        name = field.name
        if name not in saved or (name in RUN_LENGTH and explicit(ctx, name)):
            values[name] = given[name]
            continue
        values[name] = saved[name]
        if explicit(ctx, name) and given[name] != saved[name]:
            raise click.UsageError(
                f"--{name.replace('_', '-')} {given[name]} differs from the resumed run's "
                f"{'default' if saved[name] is None else saved[name]}; a resumed run keeps "
                f"its settings (only --epochs, --steps, --max-time, --patience, --threads and "
                f"--log-every may change)")
    record_commands(ctx, loaded)
    return loaded, cls(**values)


def record_commands(ctx: click.Context, loaded: dict) -> None:
    """Keep the command that started the run and add this one to those that resumed it, in
    the training record that the resumed run carries on (``rnntool info`` shows them):
    ``original_command`` (None for a run started through the Python API) and
    ``resumed_with``, a list of commands. The record's ``settings["command"]`` stays the
    command that wrote the checkpoint."""
    training = loaded["training"]
    if "resumed_with" not in training:
        training["original_command"] = training.get("settings", {}).get("command")
    training["resumed_with"] = [*training.get("resumed_with", []), invocation(ctx)]


def resumed_run(ctx: click.Context, kind: str, resume_path: str | None, cls, given: dict,
                output: str):
    """``(checkpoint, settings, output)``: ``resumed``'s, and the checkpoint to write: a
    resumed run writes the one it resumes unless -o is given."""
    loaded, settings = resumed(ctx, kind, resume_path, cls, given)
    if loaded is not None and not explicit(ctx, "output"):
        output = resume_path
    return loaded, settings, output


def saved_inputs(paths) -> list[str]:
    """The inputs a resumed run read (as its record holds them), to read them again. A run
    that read stdin ('-') reads it again: the same data piped in anew (its fingerprint is
    checked as any resumed run's is). A usage error when that stdin is a terminal, closed or
    empty, or when the run was given its data in memory (the Python API)."""
    paths = [paths] if isinstance(paths, str) else list(paths or [])
    if not paths:
        raise click.UsageError("the resumed run was given its data in memory, not in files: "
                               "give the same data again")
    if "-" in paths and not _stdin_has_data():
        raise click.UsageError("the resumed run read its data from stdin: give the same data "
                               "again (pipe it into stdin, or name its files)")
    return paths


def _stdin_has_data() -> bool:
    """Whether stdin can give data: not a terminal, not closed, not at its end (where that
    can be seen without consuming anything: a buffered stream's peek, a seekable one)."""
    import sys

    from rnntool.console import is_terminal
    if sys.stdin is None or is_terminal(sys.stdin):
        return False
    stream = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        if hasattr(stream, "peek"):
            return bool(stream.peek(1))
        if stream.seekable():
            here = stream.tell()
            end = stream.seek(0, 2)
            stream.seek(here)
            return end > here
    except (OSError, ValueError):
        return False
    return True


def inputs(loaded, files: tuple[str, ...], dev_file: str | None = None):
    """``(files, dev_file)`` to read: those given, else those the resumed run (``loaded``,
    None without) read."""
    if loaded is None:
        return files, dev_file
    saved = loaded["training"]["settings"]
    return files or tuple(saved_inputs(saved.get("train"))), dev_file or saved.get("dev")


def distributed_group(reads_stdin: bool):
    """This process's place in a ``torchrun`` launch (one process of one without it); a
    usage error when a distributed run would read its data from stdin."""
    from rnntool import console
    from rnntool.distributed import Group
    group = Group.from_env()
    if group.distributed and reads_stdin:
        raise click.UsageError("under torchrun every process reads the training data itself "
                               "and stdin cannot be shared: give the data as files")
    console.set_rank(group.rank)
    return group


def check_output(group, output: str) -> None:
    """Fail now, not after hours of training, when rank 0 cannot write ``output``."""
    from rnntool.files import check_writable
    if group.is_main:
        check_writable(output)


@contextlib.contextmanager
def launch(group, output: str, ignore_lock: bool):
    """Join a distributed run's process group (if any) and hold the output lock (rank 0)
    for the duration of the training."""
    from rnntool.distributed import process_group
    from rnntool.guard import output_lock
    with process_group(group), output_lock(output, not ignore_lock and group.is_main):
        yield

