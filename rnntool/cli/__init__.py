"""The ``rnntool`` command line: option handling on top of the library.

Each command lives in its own module and only parses options, calls library functions and
formats output. Nothing here imports torch at import time, so ``rnntool --help`` is instant.
Errors the user can fix (``RnnToolError``) become one line on stderr and exit status 1;
usage errors exit 2 (click); a closed stdout pipe ends the command quietly with status 0.
"""

from __future__ import annotations

import os
import sys

import click

from rnntool import __version__
from rnntool.cli import eval as eval_command
from rnntool.cli import sample, train, vocab
from rnntool.cli import parse, predict
from rnntool.console import error_line
from rnntool.errors import Interrupted, RnnToolError

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def silence_stdout() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


class RnnToolGroup(click.Group):
    """A click group that turns user-facing errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Interrupted as exc:
            click.echo(f"\nrnntool: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except RnnToolError as exc:
            click.echo(error_line(exc), err=True)
            ctx.exit(1)
        except BrokenPipeError:
            silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("\nrnntool: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=RnnToolGroup, context_settings=CONTEXT_SETTINGS, epilog="""\b
Examples:
  rnntool vocab corpus.txt -o chars.vocab --encode ids.npy
  cat corpus.txt | rnntool train charlm -o model.pt
  rnntool sample model.pt --seed "The " | head
  rnntool train sentiment reviews.tsv --dev dev.tsv -o sentiment.pt
  rnntool predict sentiment.pt < reviews.txt > labels.txt
""")
@click.version_option(__version__, "-V", "--version", prog_name="rnntool")
def cli() -> None:
    """Train and run recurrent and recursive neural networks on text.

    Each stage reads files or stdin and writes files or stdout, so stages compose in
    pipelines: build a vocabulary, train a character-level language model, stream samples,
    turn sentences into binary trees, train recursive networks on them or recurrent
    classifiers on labelled lines, predict and evaluate. `rnntool COMMAND --help` and the
    man pages (rnntool-COMMAND(1)) describe each command.
    """


cli.add_command(vocab.command)
cli.add_command(train.group)
cli.add_command(sample.command)
cli.add_command(parse.command)
cli.add_command(predict.command)
cli.add_command(eval_command.command)


def main(argv: list[str] | None = None) -> None:
    """The console-script entry point."""
    cli.main(args=argv, prog_name="rnntool")
