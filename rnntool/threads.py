"""How many CPU threads torch uses: a count the user fixes, or one chosen by measurement
while the work runs, and chosen again when the machine's load changes.

Why measure: torch's default, all cores, wins on an idle machine for large operations, but
while other processes hold cores each parallel operation waits for its thread that got no
core, and training or sampling runs 4 to 80 times slower than on one thread; for the small
operations of small models one thread is as fast even on an idle machine. Which is best
depends on the model, the machine and the moment.

The rule (``Tuner``):

- ``--threads N`` (N >= 1), else ``OMP_NUM_THREADS`` when it is set: that count, never
  changed. So is torch's count in a distributed run, or where it is one.
- Otherwise the tuner times the loop's units of work (training steps, the tokens that
  ``rnntool sample`` draws, or a model's forward calls, ``tuned_forwards``) per item of
  work. Every half second
  it reads how much CPU other processes used on this process's cores (Linux
  ``/proc/stat``, less this process's own CPU time). While they use under 0.3 of a core
  (quiet), it starts on all threads (on one until the first reading) and tries the other
  count at once: blocks of at least 0.05 s (and one unit), alternating with the current
  count, until one is 1.3 times faster or three blocks each have run; it switches when the
  other count is at least 3% faster. From half a core (busy) it runs on one thread, and
  all threads, measured 4 to 80 times slower then, are tried only as far as trials so far
  cost under 3% of the time (a first guess: 30 times slower).
- It tries again when the load turns quiet or busy, when the current count loses a third
  of its speed, and otherwise after 20 s, doubling to 5 minutes while the choice stands;
  the same 3% bound holds for these trials.

The count never changes the random streams (torch draws the same numbers on any count);
float reductions may round differently on another count, so a run whose count was measured
is reproducible to rounding, and bit for bit only with a fixed count.

Not here: what a unit of work is (the training loops, ``rnntool.training``, and the
commands say), the ``threads`` setting (``rnntool.settings``). Imports torch only in
functions.
"""

from __future__ import annotations

import collections
import contextlib
import os
import time

#: Other processes' CPU use, in cores, at which the machine counts as busy, and below which
#: it counts as quiet again (between the two the state stays as it was).
BUSY_CORES = 0.5
QUIET_CORES = 0.3
#: Seconds between readings of the load (the first one after at least half of that), and
#: the age beyond which the reading taken at import is not used as the first one's start.
PROBE_EVERY = 0.5
STALE = 60.0
#: A trial block lasts at least this many seconds (and one unit).
BLOCK = 0.05
#: Trial blocks of each count at most; a ratio this large decides after one.
ROUNDS = 3
CLEAR = 1.3
#: The other count must be this much faster to be switched to.
MARGIN = 0.03
#: Share of the elapsed time that trials of the slower count may cost.
BUDGET = 0.03
#: How much slower all threads are guessed to be on a busy machine before they are timed.
BUSY_GUESS = 30.0
#: Seconds before the first re-check of a choice, and the most between two.
RECHECK_FIRST = 20.0
RECHECK_MAX = 300.0
#: The current count slowing by this factor (over at least DRIFT_SPAN s) asks for a re-check.
DRIFT = 1.5
DRIFT_SPAN = 1.0


def fixed_count(threads: int | None) -> int | None:
    """The thread count the user fixed: ``threads`` when positive, else the value of
    OMP_NUM_THREADS when set (0 when it is set but not a positive number: torch's count
    then stays as it is); None: automatic."""
    if threads:
        return threads
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() and int(value) > 0 else 0


def _cpu_seconds(cpus) -> float | None:
    """Busy seconds of ``cpus`` (None: all) since boot, from ``/proc/stat``; None without it."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            lines = stat.readlines()
        tick = os.sysconf("SC_CLK_TCK")
    except (AttributeError, OSError, ValueError):
        return None
    busy = 0
    for line in lines:
        parts = line.split()
        if not parts or not parts[0].startswith("cpu") or parts[0] == "cpu":
            continue
        try:
            cpu, fields = int(parts[0][3:]), [int(x) for x in parts[1:]]
        except ValueError:
            continue
        if (cpus is not None and cpu not in cpus) or len(fields) < 5:
            continue
        # user nice system idle iowait irq softirq steal guest guest_nice: guest time is
        # counted in user and nice already; idle and iowait are not busy
        busy += sum(fields[:8]) - fields[3] - fields[4]
    return busy / tick


def _our_cpus():
    try:
        return os.sched_getaffinity(0)
    except (AttributeError, OSError):
        return None


def _snapshot(cpus) -> tuple[float, float, float] | None:
    busy = _cpu_seconds(cpus)
    return None if busy is None else (time.monotonic(), busy, time.process_time())


#: A reading taken when this module is first imported (before torch is, in the commands),
#: so that the first tuner knows the load at once.
_IMPORTED = _snapshot(_our_cpus())


class LoadProbe:
    """CPU time that other processes used on this process's CPUs: busy time in
    ``/proc/stat`` less this process's own CPU time. ``others()`` says how many cores they
    used since the previous call (the first time: since the module was imported, if that was
    less than ``STALE`` seconds ago); None
    where there is no ``/proc/stat``. ``since``: when the interval ``others`` measures
    began."""

    def __init__(self):
        self.cpus = _our_cpus()
        fresh = _IMPORTED is not None and 0 < time.monotonic() - _IMPORTED[0] < STALE
        self.last = _IMPORTED if fresh else _snapshot(self.cpus)
        self.since = self.last[0] if self.last is not None else time.monotonic()

    def others(self) -> float | None:
        sample = _snapshot(self.cpus)
        if sample is None or self.last is None or sample[0] <= self.last[0]:
            return None
        (then, busy_then, own_then), self.last = self.last, sample
        now, busy, own = sample
        self.since = now
        return max(0.0, ((busy - busy_then) - (own - own_then)) / (now - then))


class _TorchThreads:
    """torch's thread count (tests give the tuner a stand-in)."""

    @staticmethod
    def get() -> int:
        import torch
        return torch.get_num_threads()

    @staticmethod
    def set(count: int) -> None:
        import torch
        torch.set_num_threads(count)


class Tuner:
    """The thread count of one loop (see the module's rule). Used as a context manager
    around the loop: on entry it sets the starting count, on exit it puts back the count
    it found. ``record(seconds, work)`` after each unit of work (``work``: how many items
    it did, to compare units of different sizes) may change the count for the next unit.

    ``threads``: the ``--threads`` setting (None or 0: automatic); ``enabled=False``
    leaves torch's count alone (a distributed run). ``clock``, ``probe`` and ``torch_threads``
    stand in for the clock, the load and torch in tests."""

    def __init__(self, threads: int | None = None, *, enabled: bool = True,
                 clock=time.monotonic, probe=None, torch_threads=None):
        self.clock = clock
        self.torch = torch_threads or _TorchThreads()
        self.found = self.torch.get()
        fixed = fixed_count(threads) if enabled else 0
        self.fixed = fixed
        self.choices = (1, self.found)
        self.active = fixed is None and self.found > 1
        self.count = fixed or self.found
        if not self.active:
            return
        self.probe = probe if probe is not None else LoadProbe()
        self.start = clock()
        self.last_probe = min(self.start, self.probe.since)
        self.state = "pending"  # quiet, busy, or unknown (no reading of the load)
        self.window: collections.deque = collections.deque()  # the current count's units
        self.window_s = self.window_w = 0.0  # their seconds and items
        self.rates: dict = {}  # (count, state) -> seconds per item, as last timed
        self.reference = None  # the current count's rate when it was chosen
        self.trial = None
        self.wanted = True  # a reason to try the other count
        self.interval = RECHECK_FIRST
        self.next_check = self.start + RECHECK_FIRST
        self.debt = 0.0  # what trials of the slower count cost, in seconds
        self.last_work = None
        self.switches = 0
        # quiet: start on all threads (torch's default), as fast as one or faster for
        # all but small models; busy, unknown or not read yet: on one
        self.count = 1
        self._read_load(self.start)
        if self.state == "quiet":
            self.count = self.found

    def __enter__(self) -> "Tuner":
        if self.count != self.torch.get():
            self.torch.set(self.count)
        return self

    def __exit__(self, *exc) -> None:
        if self.fixed != 0 and self.torch.get() != self.found:
            self.torch.set(self.found)

    def describe(self) -> str:
        """The thread count and how it was chosen, in words."""
        if self.fixed:
            return f"{self.fixed} thread{'s' if self.fixed > 1 else ''} (fixed)"
        if not self.active:
            return f"{self.count} thread{'s' if self.count > 1 else ''}"
        return (f"{self.count} thread{'s' if self.count > 1 else ''} (measured: 1 or "
                f"{self.found}; {self.switches} switch{'es' if self.switches != 1 else ''})")

    # one unit of work done

    def record(self, seconds: float, work: float = 1.0) -> None:
        """One unit of work took ``seconds`` for ``work`` items; may set the count for the
        next unit."""
        if not self.active:
            return
        work = max(float(work), 1e-9)
        last, self.last_work = self.last_work, work
        if last is None or not 1 / 8 <= work / last <= 8:
            return  # the first unit (set-up) or another sort of unit: not comparable
        now = self.clock()
        self._read_load(now)
        if self.trial is not None:
            self._trial_unit(seconds, work, now)
        else:
            self._steady_unit(seconds, work, now)

    def _set(self, count: int) -> None:
        if self.torch.get() != count:
            self.torch.set(count)

    def _other(self) -> int:
        return self.choices[1] if self.count == 1 else 1

    def _read_load(self, now: float) -> None:
        due = PROBE_EVERY / 2 if self.state == "pending" else PROBE_EVERY
        if now - self.last_probe < due:
            return
        self.last_probe = now
        others = self.probe.others()
        if others is None:
            state = "unknown"
        elif others >= BUSY_CORES:
            state = "busy"
        elif others < QUIET_CORES or self.state in ("pending", "unknown"):
            state = "quiet"
        else:
            state = self.state  # between the two: as it was
        if state == self.state:
            return
        self.state, self.wanted, self.reference = state, True, None
        self._clear_window()
        if self.trial is not None:  # timed under another load: start again
            self.trial = None
            self._set(self.count)
        if state == "busy" and self.count != 1:  # all threads stall: one, and try later
            self.count = 1
            self.switches += 1
            self._set(1)

    def _clear_window(self) -> None:
        self.window.clear()
        self.window_s = self.window_w = 0.0

    def _steady_unit(self, seconds: float, work: float, now: float) -> None:
        window = self.window
        window.append((seconds, work))
        self.window_s += seconds
        self.window_w += work
        span = DRIFT_SPAN if self.reference is not None else BLOCK
        while len(window) > 2 and self.window_s - window[0][0] >= span:
            first_s, first_w = window.popleft()
            self.window_s -= first_s
            self.window_w -= first_w
        rate = self.window_s / self.window_w
        if self.reference is not None and self.window_s >= DRIFT_SPAN and \
                rate > self.reference * DRIFT:
            self.wanted = True
        if now >= self.next_check:
            self.wanted = True
        if self.wanted and self.state != "pending" and self.window_s >= BLOCK and \
                self._affordable(now, rate, self.window_w / len(window)):
            self._start_trial(rate)

    def _affordable(self, now: float, rate: float, unit_work: float) -> bool:
        """Whether trying the other count now keeps all trials within the budget."""
        other = self._other()
        guess = self.rates.get((other, self.state))
        if guess is None:
            factor = 1.0
            if other != 1 and self.state == "busy":
                factor = BUSY_GUESS
            elif other != 1 and self.state == "unknown":
                factor = 4.0
            guess = rate * factor
        excess = max(BLOCK, guess * unit_work) * max(0.0, 1.0 - rate / guess)
        # a trial thought to cost nothing may go ahead of the budget by one block
        return self.debt + excess <= BUDGET * (now - self.start) + (BLOCK if not excess else 0.0)

    def _start_trial(self, rate: float) -> None:
        self.trial = {"other": self._other(), "phase": "other", "block": 0.0, "rounds": 0,
                      "other_s": 0.0, "other_w": 0.0,
                      "own_s": self.window_s, "own_w": self.window_w}
        self._set(self.trial["other"])

    def _trial_unit(self, seconds: float, work: float, now: float) -> None:
        trial = self.trial
        side = "other" if trial["phase"] == "other" else "own"
        trial[side + "_s"] += seconds
        trial[side + "_w"] += work
        trial["block"] += seconds
        if side == "other":
            own_rate = trial["own_s"] / trial["own_w"]
            self.debt += max(0.0, seconds - own_rate * work)
        if trial["block"] < BLOCK:
            return
        trial["block"] = 0.0
        if side == "own":
            trial["phase"] = "other"
            self._set(trial["other"])
            return
        trial["rounds"] += 1
        other_rate = trial["other_s"] / trial["other_w"]
        own_rate = trial["own_s"] / trial["own_w"]
        if other_rate > own_rate * CLEAR:
            self._decide(False, own_rate, other_rate, now)
        elif other_rate * CLEAR < own_rate:
            self._decide(True, own_rate, other_rate, now)
        elif trial["rounds"] >= ROUNDS:
            self._decide(other_rate < own_rate * (1 - MARGIN), own_rate, other_rate, now)
        else:
            trial["phase"] = "own"
            self._set(self.count)

    def _decide(self, switch: bool, own_rate: float, other_rate: float, now: float) -> None:
        other = self.trial["other"]
        self.rates[(self.count, self.state)] = own_rate
        self.rates[(other, self.state)] = other_rate
        self.trial = None
        self.wanted = False
        self._clear_window()
        if switch:
            self.count, self.reference = other, other_rate
            self.interval = RECHECK_FIRST
            self.switches += 1
        else:
            self.reference = own_rate
            self.interval = min(self.interval * 2, RECHECK_MAX)
        self.next_check = now + self.interval
        self._set(self.count)


def _items(args) -> float:
    """How many items a forward call's arguments hold: the size of its first tensor or
    array (a tree batch: its words)."""
    for arg in args:
        size = getattr(arg, "numel", None)
        if callable(size):
            return float(size())
        if hasattr(arg, "words") and hasattr(arg.words, "size"):
            return float(arg.words.size)
        if hasattr(arg, "size") and isinstance(getattr(arg, "size"), int):
            return float(arg.size)
    return 1.0


@contextlib.contextmanager
def tuned_forwards(threads: int | None = None, *, enabled: bool = True):
    """A ``Tuner`` for the block whose units are the top-level forward calls of any torch
    module (each batch of ``predict`` and ``eval``): global forward hooks time them, nested
    calls counted in their outermost one. (Hooks put every module call on torch's slower
    path: too slow for units as small as a drawn token, which ``sample`` times itself.)"""
    tuner = Tuner(threads, enabled=enabled)
    if not tuner.active:
        with tuner:
            yield tuner
        return
    from torch.nn.modules import module as torch_module

    depth, began, items = 0, 0.0, 1.0

    def before(module, args):
        nonlocal depth, began, items
        if depth == 0:
            began, items = time.monotonic(), _items(args)
        depth += 1

    def after(module, args, output):
        nonlocal depth
        depth = max(0, depth - 1)
        if depth == 0:
            tuner.record(time.monotonic() - began, items)

    handles = [torch_module.register_module_forward_pre_hook(before)]
    try:
        handles.append(torch_module.register_module_forward_hook(after, always_call=True))
    except TypeError:  # an older torch: a failed call is not counted, and ends the command
        handles.append(torch_module.register_module_forward_hook(after))
    try:
        with tuner:
            yield tuner
    finally:
        for handle in handles:
            handle.remove()
