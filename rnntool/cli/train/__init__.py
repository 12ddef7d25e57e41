"""``rnntool train``: the command group, with one subcommand per model kind, each from its
own module in this package (``rnntool.kinds`` names them: ``charlm``, ``wordlm``, ``tree``,
``sentiment``, ``tagger``, ``forecast``, ``parser``).

Each kind's module holds its options; ``template`` holds the run around them (resuming, the
distributed set-up, the output lock) and ``options`` makes the options of the settings
(``rnntool.settings``). Not here: reading the data and training (``rnntool.training``).
"""

from __future__ import annotations

import click

from rnntool.cli.train.options import missing_options
from rnntool.kinds import KINDS


@click.group("train", epilog="""\b
Examples:
  rnntool train charlm corpora/default.txt --max-time 1m -o charlm.pt
  torchrun --standalone --nproc-per-node=2 -m rnntool train charlm corpora/default.txt \\
      --max-time 1m -o lm.pt

\b
  # on two machines, 8 processes each; node1.example.org stands for the first one's
  # address: run the same command on both
  torchrun --nnodes=2 --nproc-per-node=8 --rdzv-backend=c10d \\
      --rdzv-endpoint=node1.example.org:29400 --rdzv-id=run42 \\
      -m rnntool train tree corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      -o tree.pt

Every kind also trains as several processes under PyTorch's launcher, torchrun, on one
machine or several, with DistributedDataParallel over gloo (rnntool trains on the CPU). The
global batch is the same whatever the number of processes, so --batch-size and --lr mean
the same thing: each process computes its share (a block of a language model's streams,
which the number of processes must divide; every N-th sentence, tree or window of a
batch). Only rank 0
reports progress and writes the checkpoint and its metrics. Each process reads the data
files itself (stdin is refused); on several machines, the files and a --resume checkpoint
must be readable at the same paths on every one. A run resumes on any number of processes.
Stop a run calmly with SIGTERM to torchrun (or Ctrl-C once): every process finishes its
step and rank 0 saves. torchrun sets OMP_NUM_THREADS=1 for each process unless it is set.
""")
def group() -> None:
    """Train a model; each model kind is a subcommand."""


def _add_kinds() -> None:
    """Register every kind's subcommand, each offering all of its kind's settings."""
    for kind in KINDS.values():
        command = kind.load("cli")
        missing = missing_options(command, kind.load("settings"))
        if missing:
            raise AssertionError(f"rnntool train {kind.name} has no option for {missing}")
        group.add_command(command)


_add_kinds()
