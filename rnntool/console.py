"""Everything rnntool says to a person goes through here, and all of it goes to stderr.

stdout is reserved for data (samples, trees, predictions, reports). This module decides how
to talk: a rich progress bar when stderr is a terminal, plain periodic lines when it is not
(cron, pipes, log files). It also decides whether data on stdout is drawn for a person (rich
tables, colours) or written plain for programs, and how data reaches stdout at all
(``data_stdout``: UTF-8 whatever the locale, a write that fails as one line). It knows
nothing about models or training, nor about files (``rnntool.files``).
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
import time

PROGRAM = "rnntool"
#: This process's rank in a distributed run: ranks other than 0 keep quiet, but for errors,
#: which name the rank.
RANK = 0


def set_rank(rank: int) -> None:
    global RANK
    RANK = rank


def is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stderr_is_terminal() -> bool:
    return is_terminal(sys.stderr)


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal, so that data written there may be drawn for a person."""
    return is_terminal(sys.stdout)


def stdout_colour() -> bool:
    """Whether to colour data on stdout: a terminal, NO_COLOR not set, TERM not dumb."""
    return (stdout_is_terminal() and not os.environ.get("NO_COLOR")
            and os.environ.get("TERM", "").lower() not in ("dumb", "unknown"))


def stdout_console():
    """A rich Console writing to stdout, once the caller has found stdout a terminal (rich
    itself leaves out colours under NO_COLOR)."""
    from rich.console import Console
    return Console(force_terminal=True, highlight=False)


# --- stdout: data, UTF-8, and one line when it cannot be written -------------------------

class _Stdout(io.RawIOBase):
    """The bytes of the data written to stdout, passed on to ``target`` (the binary stream
    stdout was), each write flushed through. EPIPE stays a BrokenPipeError (the reader went
    away: not an error); any other failure (a full device, the file-size limit, stdout
    closed) is one RnnToolError naming stdout, and everything written after it is dropped,
    so the interpreter's last flush cannot fail again."""

    def __init__(self, target) -> None:
        super().__init__()
        self.target = target
        self.failed = False

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        size = len(data)
        if self.failed:
            return size
        try:
            if self.target is None:
                raise OSError(errno.EBADF, "stdout is closed")
            self.target.write(bytes(data))
            self.target.flush()
        except BrokenPipeError:
            self.failed = True
            raise
        except OSError as exc:
            self.failed = True
            silence_stdout(self.target)
            raise _stdout_error(exc) from None
        return size

    def isatty(self) -> bool:
        return self.target is not None and is_terminal(self.target)

    def fileno(self) -> int:
        if self.target is None:
            raise io.UnsupportedOperation("stdout is closed")
        return self.target.fileno()


def _stdout_error(exc: OSError):
    from rnntool.errors import RnnToolError
    from rnntool.files import write_problem
    if exc.errno == errno.EBADF:
        return RnnToolError("stdout is closed, so the output has nowhere to go (send it "
                            "to a file or to /dev/null)")
    return RnnToolError(f"stdout: {write_problem(exc)}")


def silence_stdout(stream=None) -> None:
    """Point the file descriptor of ``stream`` (default: ``sys.stdout``) at /dev/null, so
    that writing what is left in the buffers of a stdout that failed (EPIPE, a full device)
    cannot fail again at exit. A stream without a descriptor is left alone."""
    try:
        fd = (sys.stdout if stream is None else stream).fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


@contextlib.contextmanager
def data_stdout():
    """Within: ``sys.stdout`` writes UTF-8 whatever the locale or PYTHONIOENCODING say
    (a lone surrogate, which UTF-8 cannot hold, as a backslash escape), and a write that
    fails is one ``RnnToolError`` ("stdout: no space left on device", "stdout is closed").
    A closed stdout (file descriptor 1) is pointed at /dev/null first, so that no file the
    command opens lands on descriptor 1; a command that writes nothing there is content."""
    original = sys.stdout
    target = getattr(original, "buffer", None)
    if original is not None and (target is None or isinstance(
            getattr(target, "raw", None), _Stdout)):
        yield  # a text-only stream (nothing to write bytes to), or already in place
        return
    if original is None:
        _occupy_stdout_descriptor()
    else:
        original.flush()
    line_buffering = bool(getattr(original, "line_buffering", False))
    stream = io.TextIOWrapper(io.BufferedWriter(_Stdout(target), 1 << 16), encoding="utf-8",
                              errors="backslashreplace", line_buffering=line_buffering)
    sys.stdout = stream
    try:
        yield
        stream.flush()
    finally:
        sys.stdout = original
        with contextlib.suppress(Exception):  # after a failure, what is left is dropped
            stream.flush()


def _occupy_stdout_descriptor() -> None:
    """If file descriptor 1 is closed, open /dev/null there."""
    try:
        os.fstat(1)
    except OSError:
        with contextlib.suppress(OSError):
            fd = os.open(os.devnull, os.O_WRONLY)
            if fd != 1:
                os.dup2(fd, 1)
                os.close(fd)


def info(message: str) -> None:
    """One plain log line on stderr (rank 0 only)."""
    if not RANK:
        print(f"{PROGRAM}: {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    if not RANK:
        print(f"{PROGRAM}: warning: {message}", file=sys.stderr, flush=True)


def error_line(message: str) -> str:
    """The one-line form of an error: newlines folded so it stays one line; ranks other
    than 0 of a distributed run say which they are."""
    text = " ".join(str(message).split("\n")).strip()
    return f"{PROGRAM}: error: " + (f"rank {RANK}: " if RANK else "") + text


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_rate(per_second: float) -> str:
    if per_second >= 1e6:
        return f"{per_second / 1e6:.2f}M"
    if per_second >= 1e3:
        return f"{per_second / 1e3:.1f}k"
    return f"{per_second:.0f}"


def env_seconds(name: str, default: float) -> float:
    """A number of seconds from the environment; a value that is not one is ignored, with a
    warning."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        warn(f"{name}={value!r} is not a number of seconds; using {default:g}")
        return default
    return seconds


class ProgressReporter:
    """Reports training progress: a rich bar on a terminal, plain lines otherwise.

    ``update(done, fields)`` is cheap to call every step. ``done`` is the fraction of the
    run finished (0..1) when the end is known, else None. ``fields`` are short strings
    such as ``"loss 1.23"``. Plain mode prints one line at most every ``interval`` seconds.
    ``enabled=False`` silences it (non-zero ranks of a distributed run).
    """

    def __init__(self, description: str, *, enabled: bool = True, interval: float | None = None,
                 force_plain: bool | None = None, console=None):
        self.description = description
        self.console = console  # the rich Console to draw the bar on (default: stderr's)
        self.enabled = enabled
        plain_env = os.environ.get("RNNTOOL_PLAIN_PROGRESS", "") not in ("", "0")
        self.plain = (force_plain if force_plain is not None
                      else plain_env or not stderr_is_terminal())
        self.interval = interval if interval is not None else env_seconds(
            "RNNTOOL_LOG_INTERVAL", 10.0)
        self._last_line = 0.0
        self._bar = None
        self._task = None

    def __enter__(self) -> "ProgressReporter":
        self._last_line = time.monotonic()
        if self.enabled and not self.plain:
            from rich.console import Console
            from rich.progress import Progress
            console = self.console or Console(stderr=True)
            self._bar = Progress(_progress_line(console), console=console, transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=1.0, status="")
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def update(self, done: float | None, fields: list[str], *, force: bool = False) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(self._task, completed=min(done or 0.0, 1.0),
                             status="  ".join(fields), parts=list(fields))
            return
        now = time.monotonic()
        if force or now - self._last_line >= self.interval:
            self._last_line = now
            percent = f"{100 * done:5.1f}% " if done is not None else ""
            info(f"{self.description}: {percent}" + "  ".join(fields))

    def message(self, text: str) -> None:
        """A line that must always be shown (validation results, saves)."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.console.print(text, markup=False, highlight=False)
        else:
            info(text)


#: The progress bar's width: at least this, at most that, the rest of the line permitting.
BAR_WIDTH = (10, 40)


def _progress_line(console):
    """The one column of the rich progress display: description, bar, percentage, time
    taken and left, and the status fields, laid out for ``console``'s width as it is at
    each refresh. The bar keeps at least ``BAR_WIDTH[0]`` characters and the times are
    compact (``1m05s``); on a narrow line the fields are set closer, then the time taken is
    left out, and only then is the end of the status cut."""
    from rich.progress import ProgressColumn
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    def layout(task) -> tuple[str, int, str]:
        """(times, bar width, status) for a line of ``console.width``."""
        remaining = task.time_remaining if task.completed else None
        eta = "eta " + (format_duration(remaining) if remaining is not None else "?")
        percent = f"{task.percentage:3.0f}%"
        parts = task.fields.get("parts") or [str(task.fields.get("status", ""))]
        elapsed = format_duration(task.elapsed or 0.0)
        for times, gap in ((f"{percent} {elapsed} {eta}", "  "), (f"{percent} {elapsed} {eta}",
                           " "), (f"{percent} {eta}", " ")):
            status = gap.join(p for p in parts if p)
            room = console.width - len(task.description) - len(times) - 3  # the gaps
            if room - BAR_WIDTH[0] >= len(status):
                break
        bar = max(BAR_WIDTH[0], min(BAR_WIDTH[1], room - len(status)))
        left = room - bar
        if len(status) > left:
            status = status[:left - 1] + "\u2026" if left > 1 else ""
        return times, bar, status

    class Line(ProgressColumn):
        def render(self, task):
            times, bar, status = layout(task)
            line = Table.grid(padding=(0, 1))
            for _ in range(4 if status else 3):
                line.add_column(no_wrap=True)
            cells = [Text(task.description, style="bold"),
                     ProgressBar(total=task.total or 1.0, completed=task.completed, width=bar),
                     Text(times)] + ([Text(status)] if status else [])
            line.add_row(*cells)
            return line

    return Line()
