"""Writing files so that a crash never leaves a half-written one in place.

Every file rnntool writes goes to a temporary file in the same directory first and is
renamed over the target only when complete (``os.replace`` is atomic on POSIX), so a
process killed mid-write leaves the previous file intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Iterator

from rnntool.errors import RnnToolError


def check_writable(path: str) -> str:
    """Raise RnnToolError unless ``path`` can be written; return its directory.

    Commands that write at the end of a long run call this first.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise RnnToolError(f"{path}: is a directory; give a file name to write")
    if not os.path.isdir(directory):
        raise RnnToolError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise RnnToolError(f"{path}: permission denied (cannot write in {directory})")
    return directory


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was. A symbolic
    link is followed (the file it points to is replaced, the link stays), and an existing
    file keeps its permissions.
    """
    path = os.path.realpath(path)
    directory = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=directory)
    except PermissionError:
        raise RnnToolError(f"{path}: permission denied (cannot write in {directory})") from None
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _default_mode() -> int:
    """0o666 less the process umask: the mode ``open()`` would give a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomic(path: str, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
