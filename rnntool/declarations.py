"""How a setting is declared and checked: ``setting(...)`` puts a ``Setting`` (help text,
metavar, bounds, choices) in a dataclass field's metadata, and ``Settings`` (the base of
every kind's settings class) derives ``check()`` from those declarations.

No heavy imports, as ``rnntool.settings`` needs. Not here: the settings of each kind
(``rnntool.settings``), the click options made from them (``rnntool.cli.train.options``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rnntool.errors import RnnToolError

#: Random seeds are 64-bit: 0 to SEED_LIMIT - 1.
SEED_LIMIT = 2 ** 64

#: The key of a setting's ``Setting`` in its dataclass field's metadata.
SETTING = "rnntool.setting"


@dataclass(frozen=True)
class Setting:
    """How one setting is offered on the command line and checked: the metadata of its
    field. Numbers are bounded by ``minimum``/``maximum`` (excluded with ``min_open`` /
    ``max_open``); a setting whose default is None is optional (None is never checked)."""

    help: str
    metavar: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_open: bool = False
    max_open: bool = False
    choices: tuple[str, ...] | None = None
    what: str | None = None       # what an unknown choice is called (default: its name)
    flag: bool = False            # an on-switch, off by default (--lowercase)
    off: str | None = None        # the off-switch of an on/off pair (tie: "no-tie")
    duration: bool = False        # seconds, on the command line also 10m, 1h30m
    seed: bool = False            # a random seed, 0 to SEED_LIMIT - 1
    message: str | None = None    # the error for any value out of bounds, instead of derived
    option: bool = True           # offered on the command line

    def problem(self, name: str, value) -> str | None:
        """What is wrong with ``value`` for the setting ``name``; None: nothing."""
        option = "--" + name.replace("_", "-")
        if self.choices is not None:
            return None if value in self.choices else \
                f"unknown {self.what or name.replace('_', ' ')} {value!r}"
        if self.seed and not 0 <= value < SEED_LIMIT:
            return f"{option} must be from 0 to {SEED_LIMIT - 1}"
        if self.duration and value <= 0:
            return f"{option} must be positive"
        low, high = self.minimum, self.maximum
        if (low is not None and (value <= low if self.min_open else value < low)) or (
                high is not None and (value >= high if self.max_open else value > high)):
            return self.message or f"{option} must be {self.bounds()}"
        return None

    def bounds(self) -> str:
        """The bounds in words: "at least 1", "positive", "in [0, 1)", "between 0 and 1"."""
        low, high = self.minimum, self.maximum
        if high is None:
            return "positive" if self.min_open and low == 0 else \
                f"{'more than' if self.min_open else 'at least'} {low:g}"
        if self.min_open and self.max_open:
            return f"between {low:g} and {high:g}"
        return f"in {'(' if self.min_open else '['}{low:g}, {high:g}{')' if self.max_open else ']'}"


def setting(default, help: str, **spec):
    """A settings field: ``default``, with its help text and bounds (``Setting``'s fields)."""
    return dataclasses.field(default=default, metadata={SETTING: Setting(help, **spec)})


def redeclared(cls, name: str, default):
    """Field ``name`` of settings class ``cls`` declared again, for a subclass, with another
    default."""
    field, = [field for field in dataclasses.fields(cls) if field.name == name]
    return dataclasses.field(default=default, metadata=field.metadata)


def settings_fields(cls) -> list[dataclasses.Field]:
    """The fields of settings class (or object) ``cls`` declared with ``setting``, in order."""
    return [field for field in dataclasses.fields(cls) if SETTING in field.metadata]


class Settings:
    """What every kind's settings have: ``check()``, derived from the fields' declarations."""

    def check(self) -> None:
        """An RnnToolError naming the first setting out of bounds: unknown names first,
        then numbers, in field order."""
        fields = settings_fields(self)
        for field in sorted(fields, key=lambda field: field.metadata[SETTING].choices is None):
            value = getattr(self, field.name)
            if value is None and field.default is None:
                continue
            problem = field.metadata[SETTING].problem(field.name, value)
            if problem:
                raise RnnToolError(problem)
        if getattr(self, "warmup", 0) + getattr(self, "decay", 0) > 1:
            raise RnnToolError("--warmup and --decay are shares of the run: together at most 1")

    def learning_rate(self) -> float:
        """The peak learning rate: the rate between the warmup and the decay."""
        return self.lr

    def epoch_limit(self) -> int | None:
        """How many epochs the run may make: ``epochs``; without it, none (no limit) when
        ``max_time`` bounds the run, else the kind's ``DEFAULT_EPOCHS``."""
        if self.epochs is not None:
            return self.epochs
        return None if self.max_time is not None else self.DEFAULT_EPOCHS
