"""Everything rnntool says to a person goes through here, and all of it goes to stderr.

stdout is reserved for data (samples, trees, predictions, reports). This module decides how
to talk: a rich progress bar when stderr is a terminal, plain periodic lines when it is not
(cron, pipes, log files). It also decides whether data on stdout is drawn for a person (rich
tables, colours) or written plain for programs. It knows nothing about models or training.
"""

from __future__ import annotations

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
                 force_plain: bool | None = None):
        self.description = description
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
            from rich.progress import (BarColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
                console=Console(stderr=True), transient=False)
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
            self._bar.update(self._task, completed=min(done or 0.0, 1.0), status="  ".join(fields))
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
