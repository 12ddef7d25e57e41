"""Argument helpers of the Python API's training functions: settings from keyword
arguments, the output path, a vocabulary argument, progress. Not the API itself
(``rnntool.api``), nor data arguments (``rnntool.training.inputs``)."""

from __future__ import annotations

import os

from rnntool.errors import RnnToolError
from rnntool.training.inputs import is_path as _is_path


def _settings(cls, given: dict, function: str):
    """``cls(**given)``, checked; TypeError naming the valid settings for a wrong name."""
    import dataclasses

    names = [field.name for field in dataclasses.fields(cls)]
    unknown = [name for name in given if name not in names]
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument "
                        f"{unknown[0]!r}; its settings are: {', '.join(names)}")
    settings = cls(**given)
    settings.check()
    return settings


def _reporter(description: str, quiet: bool):
    from rnntool.console import ProgressReporter
    return ProgressReporter(description, enabled=not quiet)


def _output(output) -> str:
    from rnntool.files import check_writable
    if not _is_path(output):
        raise TypeError(f"output must be a path, not {type(output).__name__}")
    output = os.fspath(output)
    check_writable(output)  # fail now, not after training
    return output


def _vocab_argument(vocab, level: str):
    """A ``Vocab`` from a ``Vocab`` or a vocabulary file (None stays None), of ``level``."""
    from rnntool.vocab import Vocab

    if vocab is None:
        return None
    found = vocab if isinstance(vocab, Vocab) else Vocab.load(os.fspath(vocab))
    if found.level != level:
        raise RnnToolError(f"a {found.level}-level vocabulary was given; a {level}-level one "
                           f"is needed here")
    return found


