"""What keeps a long training run from losing work: a lock on its output, and calm stops.

``output_lock``: an advisory ``fcntl.flock`` on ``OUTPUT.lock`` beside the checkpoint, held
for the whole run, so a second run told to write the same checkpoint stops at once with a
clear message instead of overwriting the first one's work. The kernel drops the lock when
the process ends, however it ends, so a killed run never leaves a stale lock behind.

Stops on SIGINT (Ctrl-C) and SIGTERM, honoured at once at any moment of a command:

- ``stop_at_once`` (the command line installs it first thing): outside a training loop, the
  first signal raises ``Stopped`` (a ``KeyboardInterrupt``) wherever the command is, so
  reading, encoding or writing stops and its ``with``/``finally`` blocks clean up; the
  command line says so in one line and exits with 128 + the signal (130, 143). Python runs
  signal handlers only between its own instructions, so a thread watches the signals as
  they arrive and ends the process itself, with the same line, when the main thread is
  held in one long call into C for more than ``GRACE`` seconds.
- ``import_torch``: the first import of torch takes a second or more, mostly in C, and an
  exception raised half-way leaves torch and numpy half-initialized (a later import then
  fails, or torch swallows it). Commands import it before doing anything else, and a
  signal meanwhile ends the process there and then, with its one line.
- ``StopSignals``: while a run trains, the first signal only raises a flag; the training
  loop finishes its step, writes a resumable checkpoint and raises ``Interrupted``. Work
  that can be thrown away (a validation) runs in ``abortable()``, where the first signal
  ends it at once (``Abandoned``) so that the loop can save and stop. A second signal
  raises ``Stopped`` at once, wherever the run is: a checkpoint being written then is
  abandoned (its temporary file removed), and the last complete one stays as it was.

Not here: what is saved (``rnntool.training``), how files are written (``rnntool.files``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
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
            raise RnnToolError(f"{output}: cannot write it: its lock file {path} cannot be "
                               f"created ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                raise RnnToolError(f"{output}: cannot write it: its lock file {path} cannot "
                                   f"be locked ({exc.strerror})") from None
            raise RnnToolError(f"{output}: another training run (process {holder}) is writing "
                               f"this checkpoint; choose another --output, or wait for it "
                               f"(--ignore-lock to write it anyway)") from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


#: The signals that stop a command.
SIGNALS = (signal.SIGINT, signal.SIGTERM)


def signal_name(signum: int) -> str:
    return signal.Signals(signum).name


class Stopped(KeyboardInterrupt):
    """A stop signal that ends the command where it is (see the module's docstring); the
    exit status is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum
        self.exit_code = 128 + signum


class Abandoned(BaseException):
    """The first stop signal arrived in ``StopSignals.abortable()``: the work in it is
    thrown away, and the loop saves what it has and stops."""


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


#: Seconds a stop signal waits for the main thread to take it before the process ends
#: anyway (``_watch``).
GRACE = 1.5
_taken = 0  # stop signals that a handler of this module took
_calm: "StopSignals | None" = None  # the StopSignals in force, if any


def _took() -> None:
    global _taken
    _taken += 1


def _raise_stopped(signum, frame) -> None:
    _took()
    raise Stopped(signum)


def stop_at_once() -> None:
    """From now on (in the main thread), SIGINT and SIGTERM raise ``Stopped``; and each is
    honoured within ``GRACE`` seconds even when the main thread is inside one long call into
    C, where Python runs no handler until the call returns (a rendezvous with other
    processes, loading a large checkpoint): ``_watch``."""
    if not _in_main_thread():
        return
    for sig in SIGNALS:
        signal.signal(sig, _raise_stopped)
    read, write = os.pipe()
    os.set_blocking(write, False)
    signal.set_wakeup_fd(write, warn_on_full_buffer=False)  # each signal's number, at once
    threading.Thread(target=_watch, args=(read,), daemon=True, name="rnntool-stops").start()


def _watch(wakeups: int) -> None:
    """Read the number of every signal as it arrives; should a handler of this module not
    take a stop signal within ``GRACE`` seconds of the latest one, end the process with the
    one line. Not for the first signal of a calm stop, which the training loop takes after
    its step, nor for any in a distributed run's (whose processes stop together)."""
    import select
    import time
    received, latest, signum = 0, 0.0, 0
    while True:
        pending = _taken < received
        ready, _, _ = select.select([wakeups], [], [], 0.02 if pending else None)
        if ready:
            try:
                stops = [number for number in os.read(wakeups, 64) if number in SIGNALS]
            except OSError:
                return
            if stops:
                received, latest, signum = received + len(stops), time.monotonic(), stops[-1]
            continue
        calm = _calm
        if pending and time.monotonic() - latest >= GRACE and (calm is None or (
                calm.grace == 0 and (calm.signum is not None or received - _taken > 1))):
            _leave(signum, None)


def ignore_stops() -> None:
    """The command is done: a signal now would only disturb the interpreter's teardown."""
    if _in_main_thread():
        for sig in SIGNALS:
            signal.signal(sig, signal.SIG_IGN)


def exit_now(status: int) -> None:
    """End a stopped command at once: flush the standard streams, run the ``atexit``
    functions and leave, skipping the interpreter's own teardown (close to a second once
    torch is loaded). Its own clean-up (``with``, ``finally``) has run already."""
    import atexit
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    os._exit(status)


def _leave(signum, frame) -> None:
    """End the process now, with the command line's one line: nothing is left to clean up."""
    _took()
    with contextlib.suppress(OSError):
        os.write(2, f"\nrnntool: stopped by {signal_name(signum)}\n".encode())
    os._exit(128 + signum)


def import_torch() -> None:
    """Import torch, a signal meanwhile ending the process at once (``_leave``); call it
    before the command has made anything that would need cleaning up."""
    import importlib
    if "torch" in sys.modules:
        return
    previous = {sig: signal.signal(sig, _leave) for sig in SIGNALS} if _in_main_thread() else {}
    try:
        importlib.import_module("torch")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class StopSignals:
    """Within ``with``: the first SIGINT/SIGTERM sets ``signum`` (and in ``abortable()``
    raises ``Abandoned``); a second one raises ``Stopped``. Outside the main thread nothing
    is installed.

    ``grace``: seconds after the first signal during which another one counts as the same
    stop. A distributed run needs it: one Ctrl-C reaches each process from the terminal and
    again from torchrun, which passes it on."""

    SIGNALS = SIGNALS

    def __init__(self, grace: float = 0.0) -> None:
        self.signum: int | None = None
        self.grace = grace
        self._first = 0.0
        self._previous: dict = {}
        self._abortable = False

    def _handle(self, signum, frame) -> None:
        import time
        _took()
        if self.signum is not None:
            if time.monotonic() - self._first < self.grace:
                return
            raise Stopped(signum)
        self.signum, self._first = signum, time.monotonic()
        if self._abortable:
            self._abortable = False
            raise Abandoned

    @contextlib.contextmanager
    def abortable(self, enabled: bool = True) -> Iterator[None]:
        """Within: work that may be thrown away; the first signal (or one that came before)
        raises ``Abandoned``. ``enabled=False``: the signal only sets the flag (a
        distributed run, whose processes must validate together, stops at its next step)."""
        if not enabled:
            yield
            return
        if self.signum is not None:
            raise Abandoned
        self._abortable = True
        try:
            yield
        finally:
            self._abortable = False

    def __enter__(self) -> "StopSignals":
        global _calm
        if _in_main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
            self._outer, _calm = _calm, self
        return self

    def __exit__(self, *exc) -> None:
        global _calm
        if self._previous:
            _calm = self._outer
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""
