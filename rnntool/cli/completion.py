"""``rnntool completion``: print the shell script that completes rnntool's commands.

The script is click's own completion protocol for bash, zsh and fish; this command only
prints it, so it can be installed with one line (see its --help). Not here: what completes
to what (option types in ``rnntool.cli.common`` and click's choices decide that).
"""

from __future__ import annotations

import click

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_RNNTOOL_COMPLETE"


@click.command("completion", epilog="""\b
Install (once; open a new shell afterwards):
  bash  echo 'eval "$(rnntool completion bash)"' >> ~/.bashrc
  zsh   echo 'eval "$(rnntool completion zsh)"' >> ~/.zshrc
  fish  rnntool completion fish > ~/.config/fish/completions/rnntool.fish

The same script comes from click's variable: _RNNTOOL_COMPLETE=bash_source rnntool
""")
@click.argument("shell", type=click.Choice(SHELLS))
def command(shell: str) -> None:
    """Print the completion script for SHELL (bash, zsh or fish) to stdout.

    With it installed, TAB completes commands, options, choices (cells, output modes,
    formats), checkpoint files (*.pt, *.pth, *.ckpt) for checkpoint arguments and file
    names for data arguments.
    """
    from click.shell_completion import get_completion_class

    root = click.get_current_context().find_root().command  # the rnntool group
    source = get_completion_class(shell)(root, {}, "rnntool", COMPLETE_VAR).source()
    click.echo(source, nl=not source.endswith("\n"))
