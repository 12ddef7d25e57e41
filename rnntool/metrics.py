"""A training run's metrics as JSON Lines beside its checkpoint, and reading them back.

``CKPT.metrics.jsonl`` holds one JSON object a line, each with an ``event``:

    start       a run (or a resumed part of one) begins: time, rnntool version, kind,
                step it starts from, resumed (true/false), settings
    train       one logging interval (every --log-every steps, and before each validation):
                step, epoch, loss (mean over the interval), lr, elapsed, throughput and
                throughput_unit (e.g. "chars/s")
    validation  one validation: step, epoch, elapsed, the kind's figures (charlm:
                val_loss, val_bpc; wordlm: val_loss, val_ppl; tree: dev_root_accuracy,
                dev_all_accuracy; sentiment: dev_accuracy; tagger: dev_accuracy and, for
                BIO tags, dev_entity_f1; forecast: val_mae, val_rmse, naive_mae) and best
                (true when it is the best so far, i.e. the checkpoint was written)
    end         the run stops: step, elapsed, time, status ("finished", "interrupted",
                "failed") and, when it failed, the message

``elapsed`` counts training time in seconds across resumed parts of a run. The file always
tells the story of the checkpoint beside it: a new run writes ``CKPT.metrics.jsonl.partial``
and renames it into place when it first writes the checkpoint (a run that fails before
that leaves the earlier pair as it was), and a resumed run first drops the records after
the step it resumes from (a stopped run may have logged past its last save). Lines are
appended and flushed one by one; a line cut short by a crash is skipped when reading.

Not here: what the figures mean (``rnntool.training``), which figures each kind records
and keeps its best checkpoint by (``rnntool.kinds``), plots (``rnntool report``,
``rnntool.plot``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os

from rnntool.errors import InputError, RnnToolError
from rnntool.files import write_text_atomic
from rnntool import kinds
from rnntool.kinds import VALIDATION_FIGURES

SUFFIX = ".metrics.jsonl"
EVENTS = ("start", "train", "validation", "end")


def metrics_path(checkpoint_path: str) -> str:
    """Where the metrics of the run writing ``checkpoint_path`` go."""
    return checkpoint_path + SUFFIX


def now() -> str:
    """The wall-clock time, UTC, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _clean(value):
    """JSON has no NaN or infinity: they are written as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class MetricsLog:
    """Appends metric records to ``path``; ``enabled=False`` makes every call a no-op
    (ranks other than 0, library callers who want no file)."""

    def __init__(self, path: str | None, enabled: bool = True):
        self.path = path
        self.enabled = enabled and path is not None
        self._file = None
        self._partial = None  # a new run's file, until its checkpoint is first written

    def open(self, resume_step: int | None = None, source: str | None = None) -> "MetricsLog":
        """Start a new run's file (as ``PATH.partial`` until ``commit``), or, resuming at
        ``resume_step``, keep the records up to that step of ``source`` (the metrics of
        the checkpoint resumed from; default: ``PATH``) and append after them. Resuming
        into the same file rewrites it atomically at once; into another one, it is a
        partial file until the new checkpoint is written."""
        if not self.enabled:
            return self
        source = self.path if source is None else source
        kept = ""
        if resume_step is not None and os.path.exists(source):
            records = [r for r in read_records(source, strict=False)
                       if r.get("step", 0) <= resume_step]
            kept = "".join(json.dumps(r) + "\n" for r in records)
        if resume_step is None or os.path.realpath(source) != os.path.realpath(self.path):
            self._partial = self.path + ".partial"
            with self._writing(self._partial):
                self._file = open(self._partial, "w", encoding="utf-8")
                self._file.write(kept)
                self._file.flush()
            return self
        write_text_atomic(self.path, kept)
        with self._writing(self.path):
            self._file = open(self.path, "a", encoding="utf-8")
        return self

    @contextlib.contextmanager
    def _writing(self, path: str):
        """An OSError within (a full device, the file-size limit) is a one-line error naming
        ``path``; the log then writes nothing more (its end record included)."""
        try:
            yield
        except OSError as exc:
            from rnntool.files import write_problem
            if self._file is not None:
                with contextlib.suppress(OSError):
                    self._file.close()
            self._file = None
            raise RnnToolError(f"{path}: cannot write the run's metrics: "
                               f"{write_problem(exc)}") from None

    def commit(self) -> None:
        """The run has written its checkpoint: from now on its metrics lie beside it."""
        if self._partial is not None and self._file is not None:
            with self._writing(self._partial):
                self._file.flush()
                os.replace(self._partial, self.path)
            self._partial = None

    def write(self, event: str, **fields) -> None:
        if self._file is None:
            return
        with self._writing(self._partial or self.path):
            self._file.write(json.dumps(_clean({"event": event, **fields})) + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file; a new run that never wrote its checkpoint leaves no metrics."""
        if self._file is not None:
            with contextlib.suppress(OSError):  # a failed write was reported already
                self._file.close()
            self._file = None
        if self._partial is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._partial)
            self._partial = None


def read_records(path: str, strict: bool = True) -> list[dict]:
    """The records of a metrics file. A last line cut short (a run killed while writing)
    is skipped; with ``strict``, any other line that is not a JSON object is an error
    naming its line."""
    from rnntool.text import open_binary
    with open_binary(path) as handle:
        data = handle.read()
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a metrics file (byte {exc.start} is not UTF-8)") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):  # not JSON, or nested beyond reason
            record = None
        if (not isinstance(record, dict) or record.get("event") not in EVENTS
                or not _shallow(record)):
            if number == len(lines) or not strict:  # the unterminated last line
                continue
            raise InputError(f"{path}, line {number}: not an rnntool metrics record")
        records.append(record)
    return records


#: How deeply a record's values may nest: rnntool writes two or three levels, and a deeper
#: record (crafted) must not reach the recursive code that reports on it.
MAX_DEPTH = 32


def _shallow(record: dict) -> bool:
    """Whether ``record`` nests at most ``MAX_DEPTH`` levels (checked without recursion)."""
    pending = [(record, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            return False
        children = value.values() if isinstance(value, dict) else value
        pending += [(v, depth + 1) for v in children if isinstance(v, (dict, list))]
    return True


def primary_figure(kind: str | None, validations: list[dict]) -> str | None:
    """The figure a run of ``kind`` keeps its best checkpoint by, among those its
    validation records hold (a tagger: entity F1 for BIO tags, else token accuracy)."""
    known = kinds.find(kind)
    for figure in known.primary if known else ():
        if any(figure in v for v in validations):
            return figure
    return None


#: Figures of ``train`` records that can be plotted.
TRAIN_FIGURES = ("loss", "lr", "throughput")


def run_metrics_path(run: str) -> str:
    """The metrics file of ``run``: a metrics file itself, or the checkpoint it lies
    beside."""
    if run.endswith(".jsonl"):
        return run
    path = metrics_path(run)
    if not os.path.exists(path):
        if os.path.exists(run):
            raise InputError(f"{run}: no metrics beside it ({path} does not exist: the "
                             f"run was trained by an rnntool that wrote none, or the file "
                             f"was moved)")
        raise InputError(f"{run}: no such file")
    return path


def summarize(records: list[dict], name: str) -> dict:
    """One run's summary: where it got to, how it ended, its best and last validation, its
    last training loss and median throughput (``rnntool report --json``; documented keys)."""
    starts = [r for r in records if r["event"] == "start"]
    trains = [r for r in records if r["event"] == "train"]
    validations = [r for r in records if r["event"] == "validation"]
    ends = [r for r in records if r["event"] == "end"]
    kind = starts[0].get("kind") if starts else None
    last = records[-1] if records else {}
    primary = primary_figure(kind, validations)
    scored = [v for v in validations if isinstance(v.get(primary), (int, float))]
    best = None
    if scored:
        pick = max if VALIDATION_FIGURES[primary] else min
        top = pick(scored, key=lambda v: v[primary])
        best = {"metric": primary, "value": top[primary], "step": top["step"]}
    rates = sorted(r["throughput"] for r in trains if isinstance(r.get("throughput"), (int, float)))
    status = "running or killed"
    if ends and ends[-1] is last:
        status = last.get("status", "unknown")
    return {
        "run": name, "kind": kind, "status": status, "parts": len(starts),
        "steps": last.get("step"), "epoch": (trains or validations or [{}])[-1].get("epoch"),
        "elapsed_seconds": last.get("elapsed"),
        "final_loss": trains[-1]["loss"] if trains else None,
        "best": best,
        "last_validation": ({k: v for k, v in validations[-1].items()
                             if k in VALIDATION_FIGURES} if validations else None),
        "throughput": rates[len(rates) // 2] if rates else None,
        "throughput_unit": trains[-1].get("throughput_unit") if trains else None,
        "settings": starts[-1].get("settings", {}) if starts else {},
    }


def series(records: list[dict], metric: str, x: str = "step") -> list[tuple[float, float]]:
    """The (x, metric) points of a run's records, in order; x is step, epoch or elapsed."""
    event = "train" if metric in TRAIN_FIGURES else "validation"
    return [(float(r[x]), float(r[metric])) for r in records
            if r["event"] == event and isinstance(r.get(metric), (int, float))
            and isinstance(r.get(x), (int, float))]
