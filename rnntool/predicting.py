"""What predicting is the same for every kind: which checkpoints predict, what ``rnntool
predict`` hands a kind's use module, items taken a batch at a time, JSON records.

Each kind's own predictions (what it reads, which options fit it, the records it writes,
what ``Model.predict`` gives) are in its use module (``rnntool.kinds.<module>``); the
forward passes in ``rnntool.inference``. The command line (``rnntool.cli.predict``) and the
Python API (``rnntool.api``) both predict through those, so they give the same numbers for
the same input. Work is done in batches of ``BATCH_LINES`` items.

Not here: reading checkpoints (``rnntool.checkpoint``), command-line options, measuring
accuracy (``rnntool.evaluate``). Imports neither torch nor numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, TextIO

from rnntool import kinds
from rnntool.errors import CheckpointError

BATCH_LINES = 256  # items predicted together; output still follows input item by item


def check_kind(name: str, path: str, hint: str = "rnntool sample") -> kinds.Kind:
    """The kind called ``name`` if its checkpoints predict; a CheckpointError saying which
    kinds do otherwise (for a language model, ``hint`` names what it is used with
    instead)."""
    kind = kinds.find(name)
    if kind is None or not kind.predicts:
        raise CheckpointError(f"{path}: this is a {name} checkpoint; predict needs a "
                              f"{kinds.listing(kinds.predicting())} checkpoint" +
                              (f" (a language model generates text: {hint})"
                               if kind is not None and kind.samples else ""))
    return kind


@dataclass
class Request:
    """What ``rnntool predict`` asks of a kind's use module (its ``predict_command``)."""

    output: str      # --output: label, probs, json, trees or pretty
    input: str       # --input: auto, trees, text, tsv or fasttext
    strict: bool     # --strict: a malformed line is an error, not a warning
    encoding: str
    errors: str      # --errors: strict or replace
    #: the input files (stdin when none were given); the argument says what they hold,
    #: for the usage error when there is nothing to read
    paths: Callable[[str], list[str]]
    #: the ``rnntool.parsing.TreeMaker`` that the tree options describe, made when called
    tree_maker: Callable[[], object]
    out: TextIO      # where the records go

    @property
    def reading(self) -> dict:
        """The decoding options of the file readers."""
        return {"encoding": self.encoding, "errors": self.errors}


def chunks(items: Iterable, size: int = BATCH_LINES) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    pending: list = []
    for item in items:
        pending.append(item)
        if len(pending) == size:
            yield pending
            pending = []
    if pending:
        yield pending


def json_record(labels: list[str], p) -> str:
    """One JSON object: the best label, its probability and every label's probability."""
    import json
    best = int(p.argmax())
    return json.dumps({"label": labels[best], "probability": round(float(p[best]), 6),
                       "probabilities": {label: round(float(x), 6)
                                         for label, x in zip(labels, p)}})


def one_or_many(items) -> tuple[bool, list]:
    """``(single, items)`` of an API argument: one string or ``Tree``, or a list of them."""
    from rnntool.trees import Tree
    if isinstance(items, (str, Tree)):
        return True, [items]
    if isinstance(items, (bytes, dict)) or not isinstance(items, Iterable):
        raise TypeError(f"expected a string, a Tree or a list of them, not "
                        f"{type(items).__name__}")
    return False, list(items)


def best_labels(labels: list[str], single: bool, rows) -> str | list[str]:
    """The label of the most probable class of each row of class probabilities (one label
    when ``single``)."""
    found = [labels[int(row.argmax())] for row in rows]
    return found[0] if single else found


def label_probabilities(labels: list[str], single: bool, rows) -> dict | list[dict]:
    """Each row of class probabilities as ``{label: probability}`` (one dict when
    ``single``)."""
    found = [{label: float(p) for label, p in zip(labels, row)} for row in rows]
    return found[0] if single else found
