"""The sentence classifier in use: its labels, ``rnntool predict`` and ``Model.predict`` and
``probabilities``, its evaluation report and how the report looks.

A sentence classifier reads words: a raw sentence, a tsv or fastText line (its label
dropped) or a bracketed tree (its leaves), tokenized and case-folded as its training data
was. Not here: training (``rnntool.training.sentiment``), the model
(``rnntool.models.sentiment``), forward passes (``rnntool.inference``).
"""

from __future__ import annotations

from typing import Callable, Iterator

from rnntool import predicting
from rnntool.errors import InputError, OptionError


def labels(training: dict) -> list[str]:
    """The classifier's own labels, by class id."""
    return [str(label) for label in training["labels"]]


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded sentence-classifier checkpoint (None: nothing): it must
    hold one label for each output of its classifier."""
    found, classes = checkpoint["training"].get("labels"), checkpoint["model"]["config"]["classes"]
    if not isinstance(found, list):
        return "its list of labels is missing"
    if len(found) != classes or len(set(map(str, found))) != len(found):
        return f"it holds {len(found)} labels for the {classes} classes of its model"
    return None


# --- reading sentences ----------------------------------------------------------------------

def line_words(line: str, input_kind: str, vocab) -> list[str]:
    """The words a sentence classifier reads in one input line (no line end): a raw sentence,
    a tsv or fastText line (its label dropped) or a bracketed tree (its leaves), as
    ``input_kind`` (``auto``, ``text``, ``tsv``, ``fasttext``, ``trees``) says; tokenized and
    case-folded as the vocabulary's training data was. ValueError says what is wrong."""
    from rnntool import labelled

    words = labelled.split_line(line, input_kind, vocab.tokenizer_function()).tokens
    return [w.lower() for w in words] if vocab.lowercase else words


def file_words(paths: list[str], input_kind: str, vocab, *, strict: bool = False,
               warn: Callable[[str], None] | None = None, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator[list[str] | None]:
    """The words of every line of ``paths`` for a sentence classifier (``line_words``); None
    for a blank line, and for a malformed one after ``warn("FILE: line N: why")`` (with
    ``strict``, InputError instead)."""
    from rnntool import console, trees
    from rnntool import text as textio

    warn = console.warn if warn is None else warn
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


# --- rnntool predict ------------------------------------------------------------------------

def predict_command(data: dict, path: str, request: predicting.Request) -> None:
    """Label every sentence of the input, as ``request.output`` says (``label``, ``probs``
    or ``json``; the drawings and trees of a tree model are a usage error)."""
    from rnntool import checkpoint as ckpt
    from rnntool import console

    if request.output in ("trees", "pretty"):
        raise OptionError(f"--output {request.output} needs a tree model; {path} is a "
                          f"sentence classifier")
    model = ckpt.restore_model(data, path)
    vocab = ckpt.restore_vocab(data, path)
    paths = request.paths("trees or sentences")
    names = labels(data["training"])
    for chunk in predicting.chunks(file_words(paths, request.input, vocab,
                                              strict=request.strict, warn=console.warn,
                                              **request.reading)):
        request.out.write(records(model, vocab, names, chunk, request.output))
    request.out.flush()


def records(model, vocab, names: list[str], items: list, output_format: str) -> str:
    """The output of ``rnntool predict`` for ``items`` (word lists, or None for lines that
    gave none), one record a line: ``label`` (label and probability), ``probs`` (label and
    every ``LABEL=P``) or ``json``."""
    from rnntool.inference import sentence_probabilities

    present = [words for words in items if words is not None]
    probs = iter(sentence_probabilities(model, vocab, present) if present else ())
    found = []
    for words in items:
        if words is None:
            found.append("")
            continue
        p = next(probs)
        best = int(p.argmax())
        if output_format == "label":
            found.append(f"{names[best]}\t{p[best]:.4f}")
        elif output_format == "probs":
            found.append("\t".join([names[best]] + [f"{label}={x:.4f}"
                                                    for label, x in zip(names, p)]))
        else:
            found.append(predicting.json_record(names, p))
    return "".join(record + "\n" for record in found)


# --- the Python API -------------------------------------------------------------------------

def given_words(items: list, input: str, vocab) -> list[list[str]]:
    """Each item (a line as ``rnntool predict`` reads it, or a ``Tree``) as the words a
    sentence classifier reads."""
    from rnntool import trees

    found = []
    for number, item in enumerate(items, 1):
        if isinstance(item, trees.Tree):
            words = trees.leaves(item)
            found.append([w.lower() for w in words] if vocab.lowercase else words)
        elif isinstance(item, str):
            if not item.strip():
                raise InputError(f"item {number}: blank line")
            try:
                found.append(line_words(item.rstrip("\r\n"), input, vocab))
            except ValueError as exc:
                raise InputError(f"item {number}: {exc}") from None
        else:
            raise TypeError(f"item {number}: expected a string or an nltk Tree, not "
                            f"{type(item).__name__}")
    return found


def _rows(model, items, input: str):
    """``(single, rows)``: whether one item was given, and each item's class
    probabilities, in batches as ``rnntool predict``."""
    from rnntool.inference import sentence_probabilities

    single, found = predicting.one_or_many(items)
    rows: list = []
    for chunk in predicting.chunks(given_words(found, input, model.vocab)):
        rows.extend(sentence_probabilities(model.module, model.vocab, chunk))
    return single, rows


def predict(model, items, *, input: str = "auto", **_tree_options):
    """``Model.predict``: the predicted label of each item."""
    single, rows = _rows(model, items, input)
    return predicting.best_labels(model.labels, single, rows)


def probabilities(model, items, *, input: str = "auto", **_tree_options):
    """``Model.probabilities``: each label's probability for each item."""
    single, rows = _rows(model, items, input)
    return predicting.label_probabilities(model.labels, single, rows)


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text=None, input: str = "auto", encoding: str = "utf-8",
             errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on labelled sentences: a file
    of labelled lines (``input``: their format, as ``--input``) or a list of ``(label,
    text)`` pairs or labelled trees."""
    import os

    from rnntool import labelled
    from rnntool.training.inputs import in_memory_examples, is_path

    binary = bool(model.training.get("settings", {}).get("binary"))
    tokenize = model.vocab.tokenizer_function()
    if is_path(data):
        name = os.fspath(data)
        gold, tokens = labelled.read_examples(
            [os.fspath(data)], input, tokenize, binary=binary,
            lowercase=model.vocab.lowercase, encoding=encoding, errors=errors)
    else:
        name = "the data"
        gold, tokens = in_memory_examples(data, tokenize, binary=binary,
                                          lowercase=model.vocab.lowercase)
    if not gold:
        raise InputError(f"{name}: no labelled sentences to evaluate on")
    return report(model.module, model.vocab, gold, tokens, list(model.labels), binary=binary)


def report(module, vocab, gold: list[str], tokens: list[list[str]], classes: list[str], *,
           binary: bool = False) -> dict:
    """Everything ``rnntool eval`` says about a sequence classifier on labelled sentences:
    accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (rows: gold,
    columns: predicted, in the order of ``classes``, the model's labels)."""
    import numpy as np

    from rnntool.errors import RnnToolError
    from rnntool.evaluate import classification_report
    from rnntool.inference import sentence_probabilities

    index = {label: i for i, label in enumerate(classes)}
    unknown = sorted(set(gold) - set(index))
    if unknown:
        raise RnnToolError(f"the data holds label {unknown[0]!r}, which the model does not "
                           f"know (its labels: {', '.join(classes)})")
    gold_ids = np.array([index[label] for label in gold], dtype=np.int64)
    probs = sentence_probabilities(module, vocab, tokens)
    scores = classification_report(gold_ids, probs.argmax(1), len(classes))
    for row in scores["per_class"]:
        row["label"] = classes[row["class"]]
    return {"kind": "sentiment", "labels": classes,
            "view": "binary" if binary else "labels", "sentences": scores}


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    from rnntool.kinds.tables import class_lines

    scores = report["sentences"]
    return [f"sentences: {scores['count']}, classes: {len(report['labels'])}"
            + (" (SST binary)" if report["view"] == "binary" else ""),
            f"accuracy: {scores['accuracy']:.4f} (macro-F1 {scores['macro_f1']:.4f})",
            *class_lines(scores, report["labels"], "sentences", "")]


def report_tables(report: dict, title: str) -> list:
    """The report as rich tables: a summary, the per-class scores and the confusion
    matrix."""
    from rnntool.kinds.tables import class_tables, summary_table

    scores = report["sentences"]
    return [summary_table(title, {
        "sentences": str(scores["count"]), "classes": str(len(report["labels"])),
        "accuracy": f"{scores['accuracy']:.4f}", "macro-F1": f"{scores['macro_f1']:.4f}"}),
        *class_tables(scores, report["labels"], "sentences", "")]
