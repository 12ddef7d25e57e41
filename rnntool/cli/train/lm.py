"""What ``rnntool train charlm`` and ``train wordlm`` share: their options, reading the text
(or an encoded corpus) with the vocabulary given, and the run around it. Each of the two
modules gives its kind and settings class.

Not here: reading the data and training (``rnntool.training.lm``), each command's own
options.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options, stacked
from rnntool.errors import RnnToolError
from rnntool.cli.train.template import (check_output, distributed_group, launch, output_option,
                                        resumed_run, run_options, saved_inputs)


def options(cls, level: str, noun: str):
    """The options of a language model of ``level`` (char or word) with the settings of
    ``cls``; ``noun`` names what its vocabulary holds (character or word)."""
    return stacked([
        click.argument("files", nargs=-1, type=click.Path(allow_dash=True)),
        output_option(f"{level}lm.pt", "Checkpoint to write (the best one by validation loss)."),
        click.option("--data", "data_path", metavar="IDS.npy", type=click.Path(dir_okay=False),
                     help="Train on an encoded corpus from `rnntool vocab --encode` "
                          "(memory-mapped) instead of text; needs --vocab, which must be the "
                          "vocabulary it was encoded with (only ids beyond its size can be "
                          "detected)."),
        click.option("--vocab", "vocab_path", metavar="FILE", type=click.Path(dir_okay=False),
                     help=f"{noun.capitalize()} vocabulary to use (default: built from the "
                          f"training text)."),
        setting_options(cls, "cell", "layers", "hidden", "embed", "dropout", "seq_len",
                        "batch_size", "lr", "warmup", "decay", "final_lr", "clip", "epochs",
                        "steps", "max_time", "patience", "val_frac", "val_tokens",
                        "eval_every", "random_seed"),
        run_options(cls), encoding_option, errors_option,
    ])


def vocabulary(kind: str, level: str, vocab_path, data_path, loaded, resume_path):
    """The vocabulary to encode with: ``vocab_path``'s, the resumed checkpoint's (unless
    an encoded corpus is given), or None (built from the text)."""
    from rnntool import checkpoint
    from rnntool import vocab as vocablib

    vocab = vocablib.Vocab.load(vocab_path) if vocab_path else None
    if loaded is not None and not data_path:
        vocab = checkpoint.restore_vocab(loaded, resume_path)
    if vocab is not None and vocab.level != level:
        raise RnnToolError(f"{vocab_path}: a {vocab.level}-level vocabulary; "
                           f"{kind} needs a {level}-level one")
    return vocab


def run(ctx, kind: str, cls, files, output, data_path, vocab_path, resume_path, ignore_lock,
        encoding, decode_errors, given: dict) -> None:
    """What `train charlm` and `train wordlm` do once their options are read: train a
    ``kind`` model with settings ``cls`` (``given``)."""
    from rnntool.training import lm

    if data_path and files:
        raise click.UsageError("give either text FILES or --data, not both")
    if data_path and not vocab_path:
        raise click.UsageError("--data needs --vocab (the vocabulary it was encoded with)")
    loaded, settings, output = resumed_run(ctx, kind, resume_path, cls, given, output)
    if loaded is not None and not files and not data_path:
        source = loaded["training"]["settings"].get("source", {})
        if "data" in source:
            data_path, vocab_path = source["data"], source["vocab"]
        else:
            files = tuple(saved_inputs(source.get("files")))
    refuse_clobbering({"--output": output}, [*files, data_path, vocab_path])
    settings.check()  # training checks again; here it fails before reading any data
    group = distributed_group(reads_stdin=not data_path and (not files or "-" in files))
    check_output(group, output)
    with contextlib.ExitStack() as stack:
        stack.enter_context(launch(group, output, ignore_lock))
        vocab = vocabulary(kind, lm.LEVELS[kind][0], vocab_path, data_path, loaded,
                           resume_path)
        workdir = None
        if not data_path:
            files = input_paths(files)
            workdir = tempfile.mkdtemp(prefix="rnntool-train-")
            stack.callback(shutil.rmtree, workdir, True)
        try:
            data = lm.read_data(kind, settings, files=files, data_path=data_path, vocab=vocab,
                                vocab_path=vocab_path, workdir=workdir, encoding=encoding,
                                errors=decode_errors)
        except RnnToolError as exc:  # say what the temporary file is
            if workdir is None or not str(exc).startswith(workdir + os.sep):
                raise
            raise RnnToolError(f"encoding the training text in {workdir} (a temporary folder, "
                               f"in TMPDIR): {str(exc)[len(workdir) + 1:]}") from None
        lm.train(data, settings, output, resume=loaded, resume_path=resume_path, group=group,
                 extra_settings={"command": invocation(ctx)})
