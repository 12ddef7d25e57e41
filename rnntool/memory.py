"""Refusing a model too big for the machine before any of it is allocated.

Each model class counts its own parameters from its settings (a static
``parameter_count(**config)`` in ``rnntool.models``, plain integer arithmetic, nothing
allocated); this module turns that count into bytes, compares them with the memory the
machine has available (``/proc/meminfo``'s MemAvailable, else ``os.sysconf``, bounded by
an address-space limit), and, when they do not fit, raises one line naming the setting that
makes the model so big: an option (``--hidden 100000000``) for training, a field of its
config for a checkpoint. ``recurrent_parameters`` counts torch's fused recurrent layers,
which several models share.

Not here: building models (``rnntool.models``), reading checkpoints
(``rnntool.checkpoint``). Importing this module imports neither torch nor numpy.
"""

from __future__ import annotations

import inspect
import os
from typing import Callable

from rnntool.errors import RnnToolError

BYTES_PER_PARAMETER = 4  # float32
#: copies of every parameter a training run holds at least: the weights, their gradients
#: and Adam's two moment estimates
TRAINING_COPIES = 4
#: gate blocks of torch's recurrent cells (each: input and hidden weights, two biases)
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
#: how a config field that comes from the data (not from an option) is named in a message
FROM_DATA = {"vocab_size": "a vocabulary of {:,} tokens", "classes": "{:,} classes",
             "tags": "{:,} tags", "char_vocab_size": "{:,} distinct characters",
             "inputs": "{:,} input columns"}


def recurrent_parameters(cell: str, inputs: int, hidden: int, layers: int,
                         bidirectional: bool = False) -> int:
    """The parameters of torch's ``nn.LSTM``/``nn.GRU``/``nn.RNN`` of these sizes."""
    gates = GATES.get(cell, max(GATES.values())) * hidden
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(layers):
        width = inputs if layer == 0 else directions * hidden
        total += directions * (gates * (width + hidden) + 2 * gates)
    return total


def available() -> int | None:
    """Bytes of memory this process can still allocate: the kernel's estimate of what is
    available without swapping, bounded by an address-space limit (``ulimit -v``); None
    when the system does not say."""
    found = None
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if found is None:
        try:
            found = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            pass
    try:
        import resource
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit != resource.RLIM_INFINITY and limit > 0:
            found = limit if found is None else min(found, limit)
    except (ImportError, OSError, ValueError):
        pass
    return found if found is None or found > 0 else None


def human(size: int) -> str:
    """Bytes as a reader takes them in: ``"381.5 GB"``, ``"4.0e+17 bytes"``."""
    if size >= 10 ** 15:
        return f"{size:.1e} bytes"
    for unit, scale in (("TB", 10 ** 12), ("GB", 10 ** 9), ("MB", 10 ** 6), ("kB", 10 ** 3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} bytes"


def _sizes(config: dict) -> list[str]:
    """The config fields that are sizes: whole numbers above 1 (not flags)."""
    return [name for name, value in config.items()
            if isinstance(value, int) and not isinstance(value, bool) and value > 1]


def largest_factor(count: Callable[..., int], config: dict) -> str | None:
    """The size field of ``config`` that makes ``count(**config)`` biggest: the one whose
    reduction to 1 leaves the fewest parameters."""
    fields = _sizes(config)
    if not fields:
        return None
    return min(fields, key=lambda name: count(**{**config, name: 1}))


def check(count: Callable[..., int], config: dict, name: Callable[[str, int], str], *,
          copies: int, purpose: str, where: str = "") -> None:
    """RnnToolError when a model of ``config`` (its parameters counted by ``count``) needs
    more memory than the machine has available, ``copies`` times its weights; the message
    (after ``where``) names the size field that matters most (``name(field, value)``) and
    says what ``purpose`` (``"training it"``) needs."""
    parameters = count(**config)
    need = parameters * BYTES_PER_PARAMETER * copies
    have = available()
    if have is None or need <= have:
        return
    field = largest_factor(count, config)
    culprit = "" if field is None else f" with {name(field, config[field])}"
    shown = f"{parameters:,}" if parameters < 10 ** 15 else f"{parameters:.1e}"
    raise RnnToolError(f"{where}the model is too big for this machine{culprit}: {shown} "
                       f"parameters, so {purpose} needs at least {human(need)} of memory, "
                       f"and {human(have)} is available")


def new_model(settings, model_class, *args, **kwargs):
    """``model_class(*args, **kwargs)`` for a training run with ``settings``, refused
    first when it would not fit in memory with its training state: the message names the
    option (``--hidden N``) or the data (``a vocabulary of N tokens``) that makes it so big."""
    bound = inspect.signature(model_class).bind(*args, **kwargs)
    bound.apply_defaults()
    config = dict(bound.arguments)

    def name(field: str, value: int) -> str:
        if getattr(settings, field, None) == value:
            return f"--{field.replace('_', '-')} {value}"
        # a size the option of another name sets (a tree's embed defaults to --hidden)
        same = [f for f, v in vars(settings).items() if v == value and f in config]
        if same and field not in FROM_DATA:
            return f"--{same[0].replace('_', '-')} {value}"
        return FROM_DATA.get(field, f"{field} {{:,}}").format(value)

    check(model_class.parameter_count, config, name, copies=TRAINING_COPIES,
          purpose="training it")
    return model_class(*args, **kwargs)
