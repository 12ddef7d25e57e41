"""What keeps a long training run from losing work: a lock on its output, and calm stops.

``output_lock``: an advisory ``fcntl.flock`` on ``OUTPUT.lock`` beside the checkpoint, held
for the whole run, so a second run told to write the same checkpoint stops at once with a
clear message instead of overwriting the first one's work. The kernel drops the lock when
the process ends, however it ends, so a killed run never leaves a stale lock behind.

``StopSignals``: while a run trains, the first SIGINT (Ctrl-C) or SIGTERM only raises a
flag; the training loop finishes its step, writes a resumable checkpoint and raises
``Interrupted`` (exit status 130 or 143). A second signal raises ``KeyboardInterrupt`` at
once, wherever the run is: a checkpoint being written then is abandoned (its temporary file
removed), and the last complete one stays as it was.

Not here: what is saved (``rnntool.training``), how files are written (``rnntool.files``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import threading
from typing import Iterator

from rnntool.errors import RnnToolError


@contextlib.contextmanager
def output_lock(output: str, enabled: bool = True) -> Iterator[None]:
    """Hold ``OUTPUT.lock`` for the duration; RnnToolError if another process holds it."""
    if not enabled:
        yield
        return
    path = os.path.realpath(output) + ".lock"
    fd = _lock(path, output)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
    finally:
        os.close(fd)


def _lock(path: str, output: str) -> int:
    """An open descriptor of ``path``, exclusively flocked. The file is created if need be;
    one that its holder unlinked while we waited for it is not the lock any more: retry."""
    import fcntl
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RnnToolError(f"{path}: cannot create the lock file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise RnnToolError(f"{path}: cannot lock ({exc.strerror})") from None
            raise RnnToolError(f"{output}: another training run (process {holder}) is writing "
                               f"this checkpoint; choose another --output, or wait for it "
                               f"(--ignore-lock to write it anyway)") from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


class StopSignals:
    """Within ``with``: the first SIGINT/SIGTERM sets ``signum``; a second one raises
    KeyboardInterrupt. Outside the main thread nothing is installed.

    ``grace``: seconds after the first signal during which another one counts as the same
    stop. A distributed run needs it: one Ctrl-C reaches each process from the terminal and
    again from torchrun, which passes it on."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, grace: float = 0.0) -> None:
        self.signum: int | None = None
        self.grace = grace
        self._first = 0.0
        self._previous: dict = {}

    def _handle(self, signum, frame) -> None:
        import time
        if self.signum is not None:
            if time.monotonic() - self._first < self.grace:
                return
            raise KeyboardInterrupt
        self.signum, self._first = signum, time.monotonic()

    def __enter__(self) -> "StopSignals":
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""
