"""Predicting with tree models, sentence classifiers and forecasters: class probabilities
of trees and sentences, forecasts of series, and the output records of ``rnntool predict``.

Both the command line (``rnntool.cli.predict``) and the Python API (``rnntool.api``) predict
through here, so they give the same numbers for the same input. Tree models get one
probability vector per node of each (normalized, binary) tree; sentence classifiers one per
sentence (a word list). Work is done in batches of ``BATCH_LINES`` items.

Not here: reading checkpoints (``rnntool.checkpoint``), turning lines into trees
(``rnntool.trees``), measuring accuracy (``rnntool.evaluate``), command-line options.
torch and numpy are imported only by the functions that compute.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Iterator

from rnntool.console import warn as console_warn
from rnntool.errors import CheckpointError

BATCH_LINES = 256  # items predicted together; output still follows input item by item
KINDS = ("tree", "sentiment", "tagger", "forecast")
HIDDEN = 0xF0000  # labels are drawn spelt in private-use characters from here, then coloured


def check_kind(kind: str, path: str, hint: str = "rnntool sample") -> None:
    """CheckpointError unless a checkpoint of ``kind`` can predict (a tree model or a
    sentence classifier); ``hint`` names what a char-LM is used with instead."""
    if kind not in KINDS:
        raise CheckpointError(f"{path}: this is a {kind} checkpoint; predict needs a "
                              f"{', '.join(KINDS[:-1])} or {KINDS[-1]} checkpoint" +
                              (f" (a language model generates text: {hint})"
                               if kind in ("charlm", "wordlm")
                               else ""))


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


def class_labels(kind: str, training: dict) -> list[str]:
    """The class labels of a checkpoint's model, by class id: a sentence classifier's own
    labels, a tagger's tags, a tree model's class ids as text ("0", "1", ...)."""
    if kind == "sentiment":
        return [str(label) for label in training["labels"]]
    if kind == "tagger":
        return [str(tag) for tag in training["tagger"]["tags"]]
    return [str(c) for c in range(int(training["classes"]))]


# --- sentence classifiers -------------------------------------------------------------------

def line_words(line: str, input_kind: str, vocab) -> list[str]:
    """The words a sentence classifier reads in one input line (no line end): a raw sentence,
    a tsv or fastText line (its label dropped) or a bracketed tree (its leaves), as
    ``input_kind`` (``auto``, ``text``, ``tsv``, ``fasttext``, ``trees``) says; tokenized and
    case-folded as the vocabulary's training data was. ValueError says what is wrong."""
    from rnntool import labelled

    words = labelled.split_line(line, input_kind, vocab.tokenizer_function()).tokens
    return [w.lower() for w in words] if vocab.lowercase else words


def file_words(paths: list[str], input_kind: str, vocab, *, strict: bool = False,
               warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator[list[str] | None]:
    """The words of every line of ``paths`` for a sentence classifier (``line_words``); None
    for a blank line, and for a malformed one after ``warn("FILE: line N: why")`` (with
    ``strict``, InputError instead)."""
    from rnntool import text as textio
    from rnntool import trees
    from rnntool.errors import InputError

    for path in paths:
        name = textio.display_name(path)
        for number, line in enumerate(trees.iter_lines(path, encoding=encoding,
                                                       errors=errors), 1):
            if not line.strip():
                yield None
                continue
            try:
                yield line_words(line.rstrip("\r"), input_kind, vocab)
            except ValueError as exc:
                if strict:
                    raise InputError(f"{name}: line {number}: {exc}") from None
                warn(f"{name}: line {number}: {exc}")
                yield None


def sentence_probabilities(model, vocab, sentences: list[list[str]]):
    """[len(sentences), classes] float32 class probabilities of a sentence classifier for
    word lists (each at least one word long)."""
    from rnntool.evaluate import sequence_probabilities

    return sequence_probabilities(model, [vocab.ids_of(words) for words in sentences])


def sentence_records(model, vocab, labels: list[str], items: list,
                     output_format: str) -> str:
    """The output of ``rnntool predict`` for ``items`` (word lists, or None for lines that
    gave none), one record a line: ``label`` (label and probability), ``probs`` (label and
    every ``LABEL=P``) or ``json``."""
    present = [words for words in items if words is not None]
    probs = iter(sentence_probabilities(model, vocab, present) if present else ())
    records = []
    for words in items:
        if words is None:
            records.append("")
            continue
        p = next(probs)
        best = int(p.argmax())
        if output_format == "label":
            records.append(f"{labels[best]}\t{p[best]:.4f}")
        elif output_format == "probs":
            records.append("\t".join([labels[best]] + [f"{label}={x:.4f}"
                                                       for label, x in zip(labels, p)]))
        else:
            records.append(json_record(labels, p))
    return "".join(record + "\n" for record in records)


def json_record(labels: list[str], p) -> str:
    """One JSON object: the best label, its probability and every label's probability."""
    import json
    best = int(p.argmax())
    return json.dumps({"label": labels[best], "probability": round(float(p[best]), 6),
                       "probabilities": {label: round(float(x), 6)
                                         for label, x in zip(labels, p)}})


# --- tree models ----------------------------------------------------------------------------

def tree_probabilities(model, vocab, trees: list) -> list:
    """For each of ``trees`` (normalized binary trees), a [nodes, classes] float32 array of
    the class probabilities of its nodes in postorder (the order of
    ``rnntool.treebatch.relabel``; the root is the last row), all computed in one batch."""
    import torch
    from rnntool.treebatch import build_batch

    batch = build_batch(trees, vocab.id_of)
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(batch), dim=-1).numpy()
    order = batch.tree_order()
    ends = batch.tree_sizes().cumsum()
    starts = ends - batch.tree_sizes()
    return [probs[order[starts[i]:ends[i]]] for i in range(len(trees))]


def tree_records(model, vocab, items: list, output_format: str,
                 colours: list[str] | None = None,
                 warn: Callable[[str], None] = console_warn) -> str:
    """The output of ``rnntool predict`` for ``items`` (trees, or None for lines that gave
    none): ``label``, ``json``, ``trees`` (the predicted class at every node), ``probs``
    (every node's probabilities) or ``pretty`` (drawings, each label in its class's colour
    when ``colours``, SGR codes by class, are given; a tree too deep to draw gives an empty
    record after ``warn``)."""
    from rnntool import trees
    from rnntool.treebatch import relabel

    present = [t for t in items if t is not None]
    records: list[str] = []
    if present:
        for tree, node_probs in zip(present, tree_probabilities(model, vocab, present)):
            root = node_probs[-1]
            if output_format == "label":
                records.append(f"{int(root.argmax())}\t{root.max():.4f}")
            elif output_format == "json":
                records.append(json_record([str(c) for c in range(len(root))], root))
            elif output_format == "trees":
                labels = [str(int(p.argmax())) for p in node_probs]
                records.append(trees.to_brackets(relabel(tree, labels)))
            elif output_format == "probs":
                labels = [",".join(f"{x:.4f}" for x in p) for p in node_probs]
                records.append(trees.to_brackets(relabel(tree, labels)))
            else:
                labels = [f"{int(p.argmax())} ({p.max():.2f})" for p in node_probs]
                try:
                    records.append(draw(tree, labels, colours) + "\n")
                except trees.LineError as exc:  # too deep to draw
                    warn(str(exc))
                    records.append("")
    found = iter(records)
    return "".join((next(found) if t is not None else "") + "\n" for t in items)


def draw(tree, labels: list[str], colours: list[str] | None = None) -> str:
    """NLTK's drawing of ``tree`` with ``labels`` (``relabel``'s order); with ``colours``,
    each label in the colour of its class (the number it starts with).

    Colour codes would upset the drawing's layout, so the tree is drawn with every label
    spelt in private-use characters of the same width, and each such run is then replaced
    by its label in colour."""
    from rnntool import trees
    from rnntool.treebatch import relabel

    if not colours:
        return trees.pretty(relabel(tree, labels))
    hidden = ["".join(chr(HIDDEN + ord(c)) for c in label) for label in labels]

    def paint(run: re.Match) -> str:
        label = "".join(chr(ord(c) - HIDDEN) for c in run.group())
        return f"\x1b[{colours[int(label.split()[0])]}m{label}\x1b[0m"
    return re.sub(f"[{chr(HIDDEN)}-{chr(HIDDEN + 127)}]+", paint,
                  trees.pretty(relabel(tree, hidden)))


def forecast_values(model, series_record: dict, values, where: str = "the series"):
    """The forecaster's next ``horizon`` values of the target column after the last
    ``window`` steps of ``values`` ([steps, inputs] in the series' units, the columns the
    model was trained on), in the series' units."""
    import numpy as np
    import torch
    from rnntool.errors import InputError
    from rnntool.series import Normalizer

    window, target = int(series_record["window"]), int(series_record["target"])
    if len(values) < window:
        raise InputError(f"{where}: {len(values)} steps; the model forecasts from the last "
                         f"{window}")
    scaler = Normalizer.from_dict(series_record["normalizer"])
    check_columns(values, series_record, where)
    history = scaler.apply(np.asarray(values[-window:], dtype=np.float64))
    with torch.no_grad():
        predicted = model(torch.from_numpy(history.astype(np.float32))[None])[0].numpy()
    return scaler.invert_target(predicted.astype(np.float64), target)


def tag_sentences(model, vocab, chars, tags: list[str], sentences: list[list[str]],
                  batch_size: int = 128) -> list[list[str]]:
    """The tagger's tag of every word of ``sentences`` (an empty sentence gets no tags);
    ``vocab`` and ``chars`` are its word and character vocabularies (``chars`` None without
    a character encoder)."""
    import torch
    from rnntool.tagging import encode_batch

    lower = vocab.lowercase
    result: list[list[str]] = [[] for _ in sentences]
    filled = [i for i, s in enumerate(sentences) if s]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(filled), batch_size):
            chunk = filled[start:start + batch_size]
            words = [sentences[i] for i in chunk]
            batch = encode_batch(
                [vocab.ids_of([w.lower() for w in s] if lower else s) for s in words], None,
                [[chars.ids_of(list(w)) for w in s] for s in words] if chars is not None
                else None)
            best = model(batch["ids"], batch["lengths"], batch.get("chars"),
                         batch.get("char_lengths")).argmax(-1)
            for row, i in enumerate(chunk):
                result[i] = [tags[t] for t in best[row, :len(sentences[i])].tolist()]
    model.train(was_training)
    return result


def check_columns(values, series_record: dict, where: str) -> None:
    """InputError unless ``values`` has the columns the forecaster was trained on."""
    from rnntool.errors import InputError
    names = list(series_record["names"])
    if values.ndim != 2 or values.shape[1] != len(names):
        raise InputError(f"{where}: {values.shape[1] if values.ndim == 2 else 1} columns, "
                         f"but the model reads {len(names)} ({', '.join(names)})")
