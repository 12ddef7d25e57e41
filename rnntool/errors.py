"""Exceptions that mean "the user's input or environment is wrong", not "rnntool has a bug".

The command line prints these as one line on stderr and exits with status 1 (an
``OptionError`` as a usage error, status 2); anything else that escapes is a bug and keeps
its traceback. Not here: click, which the library does not import.
"""

import contextlib


class RnnToolError(Exception):
    """A runtime error with a message fit to show a user as it is (one line)."""


class InputError(RnnToolError):
    """Bad input data: the message names the file and the line or byte where it went wrong."""


class CheckpointError(RnnToolError):
    """A file that is not a readable rnntool checkpoint of the expected kind and version."""


class OptionError(RnnToolError):
    """Options that do not fit together or do not fit the model (``--output trees`` for a
    sentence classifier): the command line reports it as a usage error (exit status 2)
    with this message, as click reports its own."""


class Interrupted(RnnToolError):
    """A run stopped by a signal after saving what it had: exit status 128 + the signal."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.exit_code = 128 + signum


@contextlib.contextmanager
def reading(path: str):
    """Inside, an operating-system error while reading ``path`` becomes one line naming it
    (an InputError)."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror or exc})") from None
