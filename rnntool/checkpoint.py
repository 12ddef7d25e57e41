"""The checkpoint format: one self-contained file per model.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, saved with
``torch.save`` and loaded only with ``torch.load(weights_only=True)``, so loading never runs
code from the file::

    format     "rnntool-checkpoint"        version  FORMAT_VERSION
    kind       "charlm", ...               rnntool  the version that wrote it
    model      {"config": {...}, "state_dict": {...}}
    vocab      Vocab.to_dict() ({} for a kind that reads no text: forecast)
    training   {"settings", "step", "epoch", "elapsed", "history", the best validation
                figure and "best_step", "data_digest", and "resume": the latest weights,
                optimizer and random states and the loop's position, to go on from}

``model`` holds the best weights validation found (the last ones without validation);
``training["resume"]`` the state of the last step the run saved, so ``--resume`` continues
exactly where the run stopped.

Files are written atomically (temporary file, then rename). Not here: what is in
``training`` (see ``rnntool.training``), what each kind counts and keeps its best weights by
(``rnntool.kinds``), or building models (``rnntool.models``).
"""

from __future__ import annotations

import os
import pickle
import warnings
import zipfile

from rnntool.errors import CheckpointError, InputError
from rnntool.files import atomic_path

FORMAT = "rnntool-checkpoint"
FORMAT_VERSION = 1


def save(path: str, checkpoint: dict) -> None:
    import torch
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)


def new(kind: str, model, vocab, training: dict, state_dict: dict | None = None) -> dict:
    """A checkpoint of ``model`` (with ``state_dict`` as its weights, if given)."""
    from rnntool import __version__
    return {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind,
            "rnntool": __version__,
            "model": {"config": dict(model.config),
                      "state_dict": model.state_dict() if state_dict is None else state_dict},
            "vocab": {} if vocab is None else vocab.to_dict(), "training": training}


def load(path: str, kind: str | None = None) -> dict:
    """Load and check a checkpoint; every failure is a one-line ``CheckpointError``.

    ``kind`` (optional) is the model kind the caller needs.
    """
    import torch
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a checkpoint file")
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    try:
        with warnings.catch_warnings():  # torch's warnings about odd files are not for users
            warnings.simplefilter("ignore")
            data = torch.load(path, map_location="cpu", weights_only=True)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except pickle.UnpicklingError as exc:
        if "weights_only" in str(exc) or "Unsupported" in str(exc):
            raise CheckpointError(f"{path}: refused: the file holds Python objects beyond "
                                  f"plain tensors and containers, which rnntool never loads "
                                  f"(it is not an rnntool checkpoint, or it was tampered with)"
                                  ) from None
        raise CheckpointError(f"{path}: not an rnntool checkpoint (unreadable data)") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        size = os.path.getsize(path)
        if size == 0:
            raise CheckpointError(f"{path}: empty file, not an rnntool checkpoint") from None
        raise CheckpointError(f"{path}: not an rnntool checkpoint, or a truncated or corrupted "
                              f"one ({detail})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an rnntool checkpoint (a torch file of another "
                              f"program)")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version} is not supported by "
                              f"this rnntool (it reads version {FORMAT_VERSION}); "
                              f"it was written by rnntool {data.get('rnntool', '?')}")
    if kind is not None and data.get("kind") != kind:
        raise CheckpointError(f"{path}: this is a {data.get('kind')} checkpoint; "
                              f"a {kind} checkpoint is needed here")
    for key in ("model", "vocab", "training"):
        if not isinstance(data.get(key), dict):
            raise CheckpointError(f"{path}: damaged checkpoint: its {key!r} section is missing")
    return data


def restore_model(checkpoint: dict, path: str = "<checkpoint>"):
    """Rebuild the model of a loaded checkpoint, with its weights, in eval mode."""
    from rnntool import models
    try:
        model = models.build(checkpoint["kind"], checkpoint["model"]["config"])
        model.load_state_dict(checkpoint["model"]["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        detail = str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: damaged checkpoint: the weights do not fit the model "
                              f"({detail})") from None
    model.eval()
    return model


def restore_vocab(checkpoint: dict, path: str = "<checkpoint>"):
    from rnntool.vocab import Vocab
    try:
        return Vocab.from_dict(checkpoint["vocab"])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged checkpoint: bad vocabulary ({exc})") from None


def describe(data: dict, path: str) -> dict:
    """What a loaded checkpoint holds, as plain JSON-ready values (``rnntool info --json``;
    the keys are documented in the README and stay stable)."""
    kind = data.get("kind")
    training = data["training"]
    state = data["model"].get("state_dict", {})
    shared = {(t.data_ptr(), tuple(t.shape)): t for t in state.values() if hasattr(t, "numel")}
    parameters = sum(int(t.numel()) for t in shared.values())  # tied weights count once
    vocab = data["vocab"]
    from rnntool import kinds
    from rnntool.metrics import metrics_path
    known = kinds.find(kind)
    # the record keeps its best figure as best_<figure> (a tagger: entity F1 or accuracy)
    figure = next((f for f in (known.primary if known else ()) if f"best_{f}" in training),
                  None)
    metric = None if figure is None else f"best_{figure}"
    settings = {k: v for k, v in training.get("settings", {}).items()
                if k not in ("command", "argv")}
    seen_key = known.seen if known else None
    labels = training.get("labels") or (training.get("tagger") or {}).get("tags")
    metrics = metrics_path(path)
    return {
        "checkpoint": path,
        "kind": kind,
        "format_version": data.get("version"),
        "rnntool": data.get("rnntool"),
        "size_bytes": os.path.getsize(path) if os.path.exists(path) else None,
        "model": {"config": dict(data["model"].get("config", {})), "parameters": parameters},
        "vocabulary": {"level": vocab.get("level"), "size": len(vocab.get("tokens", [])),
                       "lowercase": bool(vocab.get("lowercase", False)),
                       "tokenizer": vocab.get("tokenizer")},
        "labels": labels,
        "classes": training.get("classes", len(labels) if isinstance(labels, list) else None),
        "training": {
            "steps": training.get("step"), "epoch": training.get("epoch"),
            "elapsed_seconds": training.get("elapsed"),
            "seen": None if seen_key is None else training.get(seen_key),
            "seen_unit": None if seen_key is None else seen_key[:-len("_seen")],
            "best": None if metric is None or training.get(metric) is None else {
                "metric": metric[len("best_"):], "value": training.get(metric),
                "step": training.get("best_step"),
                "higher_is_better": kinds.VALIDATION_FIGURES[figure]},
            "resumable": isinstance(training.get("resume"), dict),
        },
        "settings": settings,
        "command": training.get("settings", {}).get("command"),
        "metrics_file": metrics if os.path.exists(metrics) else None,
    }
