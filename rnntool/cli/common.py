"""Option types and helpers shared by the commands (no torch, no numpy here)."""

from __future__ import annotations

import codecs
import os
import re
import sys

import click

EXIT_STATUS = """\
0 on success (also when a reader closes the output pipe early, as `head` does); 1 on a
runtime error, reported as one line on stderr (bad or missing input, a directory where a file
belongs, a damaged checkpoint, a write that fails: a full disk, the file-size limit, stdout
full or closed);
2 on a usage error (an unknown option, a bad option value); 130 when interrupted by Ctrl-C
(SIGINT) and 143 when stopped by SIGTERM: training first writes a checkpoint holding the best
model and the state to go on from with --resume, and a second signal exits at once."""


class Duration(click.ParamType):
    """Seconds, as a number or with units: 90, 90s, 3m, 1h30m, 1.5h; more than zero."""

    name = "DURATION"
    _part = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([smh]?)")

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total, text, negative = float(value), "", value < 0
        else:
            text = str(value).strip().lower()
            negative = text.startswith("-")
            total, pos = 0.0, int(text[:1] in "+-" and len(text) > 1)
            start = pos
            for match in self._part.finditer(text, start):
                if match.start() != pos:
                    break
                total += float(match.group(1)) * {"": 1, "s": 1, "m": 60,
                                                  "h": 3600}[match.group(2)]
                pos = match.end()
            if pos == start or pos != len(text):
                self.fail(f"{value!r} is not a duration (examples: 90, 90s, 3m, 1h30m)",
                          param, ctx)
        if negative or not total > 0:
            self.fail(f"{value!r}: the duration must be more than zero", param, ctx)
        return total


DURATION = Duration()


class RandomSeed(click.ParamType):
    """A seed for torch's and numpy's generators: an integer from 0 to 2**64 - 1."""

    name = "integer"
    LIMIT = 2 ** 64

    def convert(self, value, param, ctx):
        number = click.INT.convert(value, param, ctx)
        if not 0 <= number < self.LIMIT:
            self.fail(f"{number} is not a random seed (0 to {self.LIMIT - 1})", param, ctx)
        return number


RANDOM_SEED = RandomSeed()

#: File name endings that shell completion offers for a checkpoint argument.
CHECKPOINT_SUFFIXES = (".pt", ".pth", ".ckpt")


class FilePath(click.Path):
    """A file to read or write. One rule for every command: a directory where a file
    belongs is a runtime error, as a missing file is, one line and exit status 1
    ("PATH: is a directory, not a file"), never a usage error. The command line gives this
    type to every ``click.Path(dir_okay=False)`` (``rnntool.cli.files_not_directories``)."""

    def __init__(self, **options) -> None:
        super().__init__(**{"dir_okay": False, **options})

    @classmethod
    def of(cls, path_type: click.Path) -> "FilePath":
        """A FilePath with the settings of ``path_type`` (whatever click's version keeps)."""
        made = cls.__new__(cls)
        made.__dict__.update(path_type.__dict__)
        return made

    def convert(self, value, param, ctx):
        if isinstance(value, (str, os.PathLike)) and os.fspath(value) != "-" \
                and os.path.isdir(value):
            from rnntool.errors import InputError
            raise InputError(f"{os.fspath(value)}: is a directory, not a file")
        return super().convert(value, param, ctx)


class CheckpointPath(FilePath):
    """A checkpoint file. Shell completion offers the checkpoint files (``*.pt``, ``*.pth``,
    ``*.ckpt``) that start with what is typed; when none does, or a directory does, it
    leaves completion to the shell's own file completion."""

    def __init__(self) -> None:
        super().__init__()

    def shell_complete(self, ctx, param, incomplete: str):
        from click.shell_completion import CompletionItem
        folder, prefix = os.path.split(incomplete)
        try:
            names = os.listdir(os.path.expanduser(folder) or ".")
        except OSError:
            names = []
        found = []
        for name in sorted(names):
            if not name.startswith(prefix) or (name.startswith(".") and not prefix):
                continue
            if os.path.isdir(os.path.join(os.path.expanduser(folder), name)):
                return [CompletionItem(incomplete, type="file")]
            if name.endswith(CHECKPOINT_SUFFIXES):
                found.append(CompletionItem(os.path.join(folder, name)))
        return found or [CompletionItem(incomplete, type="file")]


CHECKPOINT = CheckpointPath()


def check_encoding_option(ctx, param, value: str) -> str:
    """A click callback: the name of a text encoding Python knows (not a bytes-to-bytes or
    text-to-text codec such as base64 or rot13)."""
    try:
        info = codecs.lookup(value)
    except LookupError:
        raise click.BadParameter(f"unknown text encoding {value!r}", ctx, param) from None
    if not getattr(info, "_is_text_encoding", True):
        raise click.BadParameter(f"{value!r} is not a text encoding", ctx, param)
    return value


encoding_option = click.option(
    "--encoding", default="utf-8", show_default=True, metavar="NAME",
    callback=check_encoding_option, help="Text encoding of the input files.")
errors_option = click.option(
    "--errors", "decode_errors", type=click.Choice(["strict", "replace"]), default="strict",
    show_default=True,
    help="On bytes that do not decode: stop with an error naming the byte offset (strict), "
         "or substitute U+FFFD (replace).")

#: ``--threads N`` of the commands that run a model (training has it as a setting).
threads_option = click.option(
    "--threads", type=click.IntRange(min=0), metavar="N", default=None,
    help="CPU threads torch computes with; 0 or none: 1 or all cores, chosen by timing both "
         "as the work goes (OMP_NUM_THREADS, if set, fixes the count instead).")


def invocation(ctx: click.Context) -> list[str]:
    """The command line that gives the options and arguments of ``ctx`` the values they
    have, whether they came from the command line or the environment (defaults left out):
    ``["rnntool", "train", "charlm", "--hidden", "512", "corpus.txt"]``."""
    from click.core import ParameterSource
    words, arguments = ctx.command_path.split(), []
    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name)
        if source not in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
            continue
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            arguments += [str(v) for v in value] if param.nargs != 1 else [str(value)]
        elif param.is_flag and not param.secondary_opts:
            words += [max(param.opts, key=len)] if value else []
        elif param.is_flag:
            words.append(max(param.opts if value else param.secondary_opts, key=len))
        else:
            for item in (value if param.multiple else [value]):
                words += [max(param.opts, key=len), f"{item:g}" if isinstance(item, float)
                          else str(item)]
    return words + (["--"] if any(a.startswith("-") and a != "-" for a in arguments) else []) \
        + arguments


def input_paths(files: tuple[str, ...], what: str = "text") -> list[str]:
    """The inputs to read: the files given, or stdin ('-') when none are given.

    Refuses to wait on a terminal: with no files and stdin a TTY, that is a usage error.
    """
    paths = list(files) or ["-"]
    if paths.count("-") > 1:
        raise click.UsageError("stdin ('-') can be given only once")
    if "-" in paths and sys.stdin is not None and sys.stdin.isatty():
        raise click.UsageError(f"no input: give {what} files, or pipe {what} into stdin")
    if "-" in paths and sys.stdin is None:
        raise click.UsageError(f"no input: give {what} files")
    return paths


def refuse_clobbering(outputs: dict[str, str | None], inputs: list[str | None]) -> None:
    """A usage error when an output file would overwrite an input or another output.

    ``outputs`` maps option names (for the message) to paths; '-' and None are skipped.
    """
    def key(path: str) -> str:
        return os.path.realpath(path)

    seen: dict[str, str] = {}
    for path in inputs:
        if path and path != "-":
            seen.setdefault(key(path), f"the input {path}")
    for option, path in outputs.items():
        if not path or path == "-":
            continue
        if key(path) in seen:
            raise click.UsageError(f"{option} {path} would overwrite {seen[key(path)]}")
        seen[key(path)] = f"{option} {path}"
