"""The learning-rate schedule every kind trains with, stated in shares of the run so that it
fits any budget: a linear warmup over the first ``warmup`` share, the peak rate, then a
linear decay over the last ``decay`` share to ``final_lr`` times the peak.

"The run" is whatever ends it (``--epochs``, ``--steps`` or ``--max-time``, whichever comes
first): its progress is the larger of the share of steps done and the share of the time
budget spent (``rnntool.training.budget``), so a time-boxed run warms up and decays on the
clock. A short run spends most of its steps near the peak and a long one still anneals: a
decay over the last part of a run is known to match a cosine over the whole of it at the
cosine's own length, and it leaves short runs the rate they need (see bench/README.md,
"Quality at a budget", for the measurements that chose the shares).

Not here: the optimizers (``rnntool.optim``, torch's), the loops that take the steps.
"""

from __future__ import annotations


def rate_factor(progress: float, warmup: float, decay: float, final: float,
                ahead: float = 0.0) -> float:
    """The learning rate as a share of the peak at ``progress`` (0..1) through the run:
    ``ahead`` is the progress one step makes, so the first step of a warmup already trains."""
    progress = min(max(progress, 0.0), 1.0)
    factor = 1.0
    if warmup > 0 and progress < warmup:
        factor = min(1.0, (progress + ahead) / warmup)
    if decay > 0 and progress > 1.0 - decay:
        factor = min(factor, final + (1.0 - final) * (1.0 - progress) / decay)
    return factor


class Schedule:
    """Sets the learning rate of every parameter group of ``optimizer`` before each step,
    from the run's progress (``Step`` calls ``apply``). ``peak``: the rate of the constant
    phase; ``settings``: the run's (``warmup``, ``decay``, ``final_lr``)."""

    def __init__(self, optimizer, peak: float, settings) -> None:
        self.optimizer, self.peak = optimizer, peak
        self.warmup, self.decay, self.final = settings.warmup, settings.decay, settings.final_lr

    def apply(self, progress: float, ahead: float = 0.0) -> float:
        """Set and return the rate for a step taken at ``progress`` through the run."""
        lr = self.peak * rate_factor(progress, self.warmup, self.decay, self.final, ahead)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        return lr
