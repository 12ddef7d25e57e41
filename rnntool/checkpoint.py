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

Files are written atomically (temporary file, then rename). Reading tells any other file
apart before torch parses it ("FILE is not an rnntool checkpoint (why)") and checks that a
checkpoint's parts fit together ("FILE is damaged: what"): the config, vocabulary and
weights here, each kind's own record in its use module (``damage``). Not here: what is in
``training`` (see ``rnntool.training``), what each kind counts and keeps its best weights by
(``rnntool.kinds``), building models (``rnntool.models``), memory estimates
(``rnntool.memory``).
"""

from __future__ import annotations

import os
import pickle
import re
import stat
import warnings
import zipfile

from rnntool.errors import CheckpointError, InputError, reading
from rnntool.files import atomic_path

FORMAT = "rnntool-checkpoint"
FORMAT_VERSION = 1


def save(path: str, checkpoint: dict) -> None:
    """Write ``checkpoint`` to ``path`` atomically. torch writes through a Python file here,
    so that a write that runs out of room is the OSError it is (``atomic_path`` names the
    file and the limit), not torch's "unexpected pos" RuntimeError."""
    import torch
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        stream = _Written(handle)
        try:
            torch.save(checkpoint, stream)
        except RuntimeError:
            if stream.error is None:
                raise
            raise stream.error from None


class _Written:
    """A binary file that keeps the OSError its write raised, which torch turns into a
    RuntimeError of its own."""

    def __init__(self, handle) -> None:
        self.handle, self.error = handle, None

    def write(self, data) -> int:
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        try:
            self.handle.flush()
        except OSError as exc:
            self.error = exc
            raise


def new(kind: str, model, vocab, training: dict, state_dict: dict | None = None) -> dict:
    """A checkpoint of ``model`` (with ``state_dict`` as its weights, if given)."""
    from rnntool import __version__
    return {"format": FORMAT, "version": FORMAT_VERSION, "kind": kind,
            "rnntool": __version__,
            "model": {"config": dict(model.config),
                      "state_dict": model.state_dict() if state_dict is None else state_dict},
            "vocab": {} if vocab is None else vocab.to_dict(), "training": training}


def not_a_checkpoint(path: str, why: str) -> CheckpointError:
    """The error for a file that is no rnntool checkpoint at all; ``why`` says briefly how
    it looks instead (``"empty"``, ``"not a torch file"``)."""
    return CheckpointError(f"{path} is not an rnntool checkpoint ({why})")


def damaged(path: str, why: str) -> CheckpointError:
    """The error for an rnntool checkpoint whose content does not hold together."""
    return CheckpointError(f"{path} is damaged: {why}")


ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive
# torch.save's format before torch 1.6, which rnntool never wrote: a pickled magic number
LEGACY_MAGIC = b"\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19"
# what torch's weights-only unpickler says of an object it will not build (anything else
# it says is about bytes that are not a pickle)
FORBIDDEN = ("Unsupported global", "unsupported GLOBAL", "Can only create new object",
             "Trying to call reduce", "Can only build", "must be imported to load")


def read_torch_file(path: str):
    """What ``torch.save`` wrote to ``path``, loaded weights-only (no code runs); a
    one-line error for anything else.

    The file is told apart by its first bytes and its zip directory before torch reads it,
    so text, random bytes, an empty, truncated or old-format file and a zip archive of
    something else never reach torch's unpickler, whose errors on such bytes are
    arbitrary (IndexError, struct.error, ...).
    """
    import torch
    with reading(path):
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            raise not_a_checkpoint(path, "a directory")
        if not stat.S_ISREG(mode):  # a pipe would keep us waiting, a device is no file
            raise not_a_checkpoint(path, "not a regular file")
        with open(path, "rb") as file:
            head = file.read(64)
    if not head:
        raise not_a_checkpoint(path, "empty")
    if LEGACY_MAGIC in head[:32]:
        raise not_a_checkpoint(path, "a torch file in the format before torch 1.6, which "
                                     "rnntool never wrote")
    if not head.startswith(ZIP_MAGIC):
        raise not_a_checkpoint(path, "not a torch file")
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError,
            UnicodeDecodeError):
        raise not_a_checkpoint(path, "truncated or corrupted: its zip directory is missing "
                                     "or unreadable") from None
    if not any(name == "data.pkl" or name.endswith("/data.pkl") for name in names):
        raise not_a_checkpoint(path, "a zip archive, not a torch file")
    try:
        with warnings.catch_warnings():  # torch's warnings about odd files are not for users
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if any(marker in str(exc) for marker in FORBIDDEN):
            raise CheckpointError(f"{path}: refused: the file holds Python objects beyond "
                                  f"plain tensors and containers, which rnntool never loads "
                                  f"(it is not an rnntool checkpoint, or it was tampered with)"
                                  ) from None
        raise not_a_checkpoint(path, "truncated or corrupted: unreadable data") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except MemoryError:
        raise not_a_checkpoint(path, "corrupted: it declares more data than fits in "
                                     "memory") from None
    except RuntimeError as exc:  # torch's zip reader: say what it found
        detail = (str(exc).strip().splitlines() or ["unreadable archive"])[0]
        detail = re.sub(r"^\[enforce fail at [^]]*\][ .]*", "", detail)
        detail = detail.split(". This is an internal miniz error")[0]
        raise not_a_checkpoint(path, f"truncated or corrupted: {detail[:160]}") from None
    except Exception:  # noqa: BLE001 -- whatever torch's unpickler makes of bytes that are
        # no pickle (IndexError, KeyError, UnicodeDecodeError, ...) says only that
        raise not_a_checkpoint(path, "truncated or corrupted: unreadable data") from None


def load(path: str, kind: str | None = None) -> dict:
    """Load and check a checkpoint; every failure is a one-line ``CheckpointError`` (a
    missing or unreadable file: ``InputError``).

    ``kind`` (optional) is the model kind the caller needs. Checked here: that the file is
    an rnntool checkpoint of a version this rnntool reads, of a known kind, whose sections,
    model config and vocabulary hold together, and whose training record has what its kind
    uses (the kind's use module, ``damage``). The weights are checked where the model is
    built (``restore_model``).
    """
    from rnntool import kinds
    data = read_torch_file(path)
    if not isinstance(data, dict):
        raise not_a_checkpoint(path, f"a torch file holding a {type(data).__name__}, not a "
                                     f"dict")
    if data.get("format") != FORMAT:
        raise not_a_checkpoint(path, "a torch file of another program")
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version} is not supported by "
                              f"this rnntool (it reads version {FORMAT_VERSION}); "
                              f"it was written by rnntool {data.get('rnntool', '?')}")
    if kind is not None and data.get("kind") != kind:
        raise CheckpointError(f"{path}: this is a {data.get('kind')} checkpoint; "
                              f"a {kind} checkpoint is needed here")
    found = kinds.get(data.get("kind"), path)
    for key in ("model", "vocab", "training"):
        if not isinstance(data.get(key), dict):
            raise damaged(path, f"its {key!r} section is missing")
    why = _model_damage(data) or _vocab_damage(data) or found.load("use").damage(data)
    if why:
        raise damaged(path, why)
    return data


def _model_damage(data: dict) -> str | None:
    """What is wrong with the ``model`` section: a config that does not describe a model of
    the kind (each size a whole number), weights that are not named tensors."""
    import inspect

    import torch
    config, state = data["model"].get("config"), data["model"].get("state_dict")
    if not isinstance(config, dict):
        return "its model config is missing"
    if not isinstance(state, dict) or not all(isinstance(name, str) and
                                              isinstance(value, torch.Tensor)
                                              for name, value in state.items()):
        return "its weights are missing or not tensors"
    from rnntool import kinds
    model_class = kinds.get(data["kind"]).load("model")
    parameters = inspect.signature(model_class).parameters
    for name, value in config.items():
        if name not in parameters:
            return f"its model config has an unknown setting {name!r}"
        if parameters[name].annotation == "int" and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0):
            return f"its model config's {name} is {value!r}, not a size"
    try:
        inspect.signature(model_class).bind(**config)
    except TypeError as exc:
        return f"its model config is incomplete ({exc})"
    return None


def _vocab_damage(data: dict) -> str | None:
    """What is wrong with the vocabulary: missing where the model reads tokens, or not as
    long as the model's embedding and output layers."""
    from rnntool.vocab import Vocab
    vocab, config = data["vocab"], data["model"]["config"]
    if "vocab_size" not in config:
        return None
    if not vocab:
        return "its vocabulary is missing"
    try:
        size = len(Vocab.from_dict(vocab))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"bad vocabulary ({f'no {exc.args[0]!r}' if isinstance(exc, KeyError) else exc})"
    if size != config["vocab_size"]:
        return (f"its vocabulary has {size:,} tokens, but its model has "
                f"{config['vocab_size']:,} (vocab_size)")
    return None


def restore_model(checkpoint: dict, path: str = "<checkpoint>"):
    """Rebuild the model of a loaded checkpoint, with its weights, in eval mode.

    Refused: before anything is allocated, a model too big for the memory available; then
    weights whose names or shapes are not those of the model its config describes, weights
    that are not finite numbers. (The model is built once, on the CPU: building a skeleton
    on torch's "meta" device first would import torch's compiler, over a second.)
    """
    import torch

    from rnntool import kinds, memory
    model_class = kinds.get(checkpoint["kind"], path).load("model")
    config, state = checkpoint["model"]["config"], checkpoint["model"]["state_dict"]
    memory.check(model_class.parameter_count, config,
                 lambda field, value: f"its model config's {field} {value}",
                 copies=1, purpose="loading it", where=f"{path}: ")
    try:
        model = model_class(**config)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise damaged(path, f"its model config describes no model ({exc})") from None
    shapes = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    held = {name: tuple(t.shape) for name, t in state.items()}
    if held != shapes:
        name = sorted(set(held) ^ set(shapes)) or [n for n in shapes if held[n] != shapes[n]]
        found, needed = (held.get(name[0]), shapes.get(name[0]))
        raise damaged(path, f"its weights do not fit the model its config describes: "
                            f"{name[0]} is {_shape(found)} in the file, and the model has "
                            f"{_shape(needed)}")
    for name, tensor in state.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise damaged(path, f"its weights hold NaN or infinite values ({name})")
    try:
        model.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or ["?"]
        detail = lines[1] if len(lines) > 1 and lines[0].startswith("Error(s) in") else lines[0]
        raise damaged(path, f"the weights do not fit the model ({detail[:200]})") from None
    model.eval()
    return model


def _shape(shape: tuple | None) -> str:
    return "missing" if shape is None else "[" + " x ".join(map(str, shape)) + "]"


def restore_vocab(checkpoint: dict, path: str = "<checkpoint>"):
    from rnntool.vocab import Vocab
    try:
        return Vocab.from_dict(checkpoint["vocab"])
    except (KeyError, TypeError, ValueError) as exc:
        raise damaged(path, f"bad vocabulary ({exc})") from None


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
