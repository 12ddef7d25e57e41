"""Writing files so that a crash never leaves a half-written one in place.

Every file rnntool writes goes to a temporary file in the same directory first and is
renamed over the target only when complete (``os.replace`` is atomic on POSIX), so a
process killed mid-write leaves the previous file intact. A write that fails for want of
room (a full device, a quota, the file-size limit of ``ulimit -f``) is a one-line error
naming the file and the limit, and leaves the previous file as it was too.

Not here: stdout, which is no file rnntool opens (``rnntool.console``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
import threading
from typing import Iterator

from rnntool.errors import RnnToolError

#: What a write that ran out of room fails with: a full device, a disk quota, the file-size
#: limit (RLIMIT_FSIZE, once SIGXFSZ no longer kills the process).
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def ignore_file_size_signal() -> None:
    """Let a write beyond the file-size limit (``ulimit -f``) fail with EFBIG, which the
    writers report in one line, instead of SIGXFSZ killing the process mid-write."""
    if hasattr(signal, "SIGXFSZ") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def write_problem(exc: OSError) -> str:
    """What went wrong with a write, in a few words: the limit it hit, where there is one."""
    if exc.errno == errno.EFBIG:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if limit != resource.RLIM_INFINITY:
            return (f"file too large: the file-size limit (ulimit -f) is {limit:,} bytes")
        return "file too large for the file system"
    if exc.errno == errno.ENOSPC:
        return "no space left on device"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    text = exc.strerror or str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def write_error(path: str, exc: OSError) -> RnnToolError:
    """The one-line error for a failed atomic write of ``path``."""
    kept = ("the file already there is as it was" if os.path.exists(path)
            else "nothing was written")
    return RnnToolError(f"{path}: cannot write it: {write_problem(exc)}; {kept}")


def check_writable(path: str) -> str:
    """Raise RnnToolError unless ``path`` can be written; return its directory.

    Commands that write at the end of a long run call this first.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise RnnToolError(f"{path}: is a directory, not a file")
    if not os.path.isdir(directory):
        raise RnnToolError(f"{path}: directory {directory} does not exist")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise RnnToolError(f"{path}: permission denied (cannot write in {directory})")
    # the kernel has the last word (root passes os.access; /proc, read-only mounts)
    os.unlink(temporary_beside(path, path, directory, ".probe"))
    return directory


def temporary_beside(path: str, given: str, directory: str, suffix: str) -> str:
    """A new empty temporary file in ``directory`` named after ``path``; an RnnToolError
    naming ``given`` when none can be made there."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix,
                                   dir=directory)
    except OSError as exc:
        raise RnnToolError(f"{given}: cannot write in {directory} "
                           f"({write_problem(exc)})") from None
    os.close(fd)
    return tmp


@contextlib.contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed to ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was; a write
    that ran out of room (``NO_ROOM``), in the body or in the final sync and rename, is a
    one-line ``RnnToolError`` naming ``path`` and the limit. A symbolic link is followed (the
    file it points to is replaced, the link stays), and an existing file keeps its
    permissions.
    """
    given, path = path, os.path.realpath(path)
    tmp = temporary_beside(path, given, check_writable(path), ".tmp")
    try:
        yield tmp
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError) and exc.errno in NO_ROOM:
            raise write_error(given, exc) from None
        raise
    try:
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = _default_mode()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError):
            raise write_error(given, exc) from None
        raise


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def _default_mode() -> int:
    """0o666 less the process umask: the mode ``open()`` would give a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_text_atomic(path: str, text: str) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
