"""``--max-time`` as a training loop spends it: one budget for the whole training, steps,
validations and saves alike, counted from when training starts (after the data is read).

The loop asks before each step whether the budget can still hold that step and then the
final validation and save; the answer comes from the times measured so far (a moving
average of a step, the last validation, the longest save), and before the first validation
from a guess the loop gives (its share of a step's time). So a run told ``--max-time 30``
ends within about 30 seconds of training, whatever the validation costs. Also here: the
other ends of a run (``--patience``, ``stale_validations``) and how a run says why it
stopped (``stop_reason``).

Not here: the loops (``rnntool.training.engine``, ``rnntool.training.lm``), making the
processes of a distributed run agree on the clock (``rnntool.distributed.StepSync``).
"""

from __future__ import annotations

import time
from typing import Callable

from rnntool.console import format_duration


class Budget:
    """The time budget of one training run (``limit`` seconds; None: no limit).

    ``clock()`` is the share spent of the time the run may train: the budget less what
    the end of the step in progress, one more step and the final validation and saves
    need; a loop takes no further step once it reaches 1 (and its learning-rate schedule
    follows it). The loop reports
    what it measures: ``stepped``, ``validated`` and ``saved``. ``guess(step_seconds)``:
    the seconds a validation is taken to cost before one is measured."""

    #: Weight of the latest step in the moving average of a step's time.
    SMOOTHING = 0.2

    def __init__(self, limit: float | None,
                 guess: Callable[[float], float] = lambda step: 0.0) -> None:
        self.limit, self.guess = limit, guess
        self.start = time.monotonic()
        self.step_seconds: float | None = None
        self.validation_seconds: float | None = None
        self.save_seconds = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def stepped(self, seconds: float) -> None:
        """A training step took ``seconds``."""
        self.step_seconds = seconds if self.step_seconds is None else (
            self.SMOOTHING * seconds + (1 - self.SMOOTHING) * self.step_seconds)

    def validated(self, seconds: float) -> None:
        """A validation (of the set every validation reads) took ``seconds``."""
        self.validation_seconds = seconds

    def saved(self, seconds: float) -> None:
        """Writing the checkpoint took ``seconds``."""
        self.save_seconds = max(self.save_seconds, seconds)

    def reserve(self) -> float:
        """Seconds kept for the end of the run: a validation and two saves (the best model
        and the final state)."""
        step = self.step_seconds or 0.0
        validation = (self.validation_seconds if self.validation_seconds is not None
                      else self.guess(step))
        return validation + 2 * self.save_seconds

    def clock(self) -> float:
        """How far the run is through the time it may train: the elapsed time over the
        budget less what the end of the step in progress, one more step and the end of the
        run need, at most 1.0 (0.0 without a limit; 1.0: take no further step)."""
        if self.limit is None:
            return 0.0
        room = self.limit - 2 * (self.step_seconds or 0.0) - self.reserve()
        return min(1.0, self.elapsed() / room) if room > 0 else 1.0


def stale_validations(record: dict, patience: int | None) -> bool:
    """Whether ``patience`` validations in a row (the last ones in the record's history)
    have not improved on the best one: the run should stop."""
    if not patience or record["best_step"] is None:
        return False
    since = [entry for entry in record["history"] if entry["step"] > record["best_step"]]
    return len(since) >= patience


def stop_reason(settings, out_of_time: bool, stalled: bool, length: str) -> str:
    """Why a run that was not interrupted stopped, in a few words; ``length``: how far it
    went when its own length ended it ("10 epochs", "2000 steps")."""
    if out_of_time:
        return f"within --max-time {format_duration(settings.max_time)}"
    if stalled:
        count = settings.patience
        return f"--patience {count}: {count} validation{'s' if count > 1 else ''} without a " \
               f"better figure"
    return f"after {length}"
