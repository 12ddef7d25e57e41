"""The tree model in use: its labels, ``rnntool predict`` and ``Model.predict``,
``probabilities`` and ``predict_trees``, its evaluation report and how the report looks.

A tree model reads normalized binary trees: input lines (bracketed trees, or raw sentences
given a structure as ``rnntool parse`` does) or NLTK ``Tree`` objects; its labels are its
class ids as text ("0", "1", ...). Not here: training (``rnntool.training.tree``), the
model (``rnntool.models.tree``), forward passes (``rnntool.inference``).
"""

from __future__ import annotations

import re

from rnntool import predicting
from rnntool.errors import InputError

# SGR colour codes of the predicted classes in drawings on a terminal, by number of classes:
# SST's five from bold red (0) through dim neutral (2) to bold green (4); binary red, green.
CLASS_COLOURS = {5: ["1;31", "31", "2", "32", "1;32"], 2: ["31", "32"]}
HIDDEN = 0xF0000  # labels are drawn spelt in private-use characters from here, then coloured


def labels(training: dict) -> list[str]:
    """The class ids as text, by class id."""
    return [str(c) for c in range(int(training["classes"]))]


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded tree-model checkpoint (None: nothing): its record must
    say how many classes its classifier has."""
    classes, config = checkpoint["training"].get("classes"), checkpoint["model"]["config"]
    if classes != config.get("classes") or isinstance(classes, bool):
        return (f"its training record has {classes!r} classes, but its model "
                f"{config.get('classes')!r}")
    return None


# --- rnntool predict ------------------------------------------------------------------------

def predict_command(data: dict, path: str, request: predicting.Request) -> None:
    """Label every tree or sentence of the input, as ``request.output`` says."""
    from rnntool import checkpoint as ckpt
    from rnntool import console, parsing

    model = ckpt.restore_model(data, path)
    vocab = ckpt.restore_vocab(data, path)
    paths = request.paths("trees or sentences")
    maker = request.tree_maker()
    colours = None
    if request.output == "pretty" and console.stdout_colour():
        colours = CLASS_COLOURS.get(int(data["training"]["classes"]))
    for chunk in predicting.chunks(parsing.make_trees(paths, maker, strict=request.strict,
                                                      warn=console.warn, **request.reading)):
        request.out.write(records(model, vocab, chunk, request.output, colours,
                                  warn=console.warn))
    request.out.flush()


def records(model, vocab, items: list, output_format: str, colours: list[str] | None = None,
            warn=None) -> str:
    """The output of ``rnntool predict`` for ``items`` (trees, or None for lines that gave
    none): ``label``, ``json``, ``trees`` (the predicted class at every node), ``probs``
    (every node's probabilities) or ``pretty`` (drawings, each label in its class's colour
    when ``colours``, SGR codes by class, are given; a tree too deep to draw gives an empty
    record after ``warn``)."""
    from rnntool import trees
    from rnntool.inference import tree_probabilities
    from rnntool.treebatch import relabel

    present = [t for t in items if t is not None]
    found: list[str] = []
    if present:
        for tree, node_probs in zip(present, tree_probabilities(model, vocab, present)):
            root = node_probs[-1]
            if output_format == "label":
                found.append(f"{int(root.argmax())}\t{root.max():.4f}")
            elif output_format == "json":
                found.append(predicting.json_record([str(c) for c in range(len(root))], root))
            elif output_format == "trees":
                labels = [str(int(p.argmax())) for p in node_probs]
                found.append(trees.to_brackets(relabel(tree, labels)))
            elif output_format == "probs":
                labels = [",".join(f"{x:.4f}" for x in p) for p in node_probs]
                found.append(trees.to_brackets(relabel(tree, labels)))
            else:
                labels = [f"{int(p.argmax())} ({p.max():.2f})" for p in node_probs]
                try:
                    found.append(draw(tree, labels, colours) + "\n")
                except trees.LineError as exc:  # too deep to draw
                    if warn is not None:
                        warn(str(exc))
                    found.append("")
    made = iter(found)
    return "".join((next(made) if t is not None else "") + "\n" for t in items)


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


# --- the Python API -------------------------------------------------------------------------

def given_trees(items: list, input: str, shape: str, factor: str,
                collapse_unary: bool) -> list:
    """Each item (a line as ``rnntool predict`` reads it, or a ``Tree``) as the normalized
    binary tree a tree model reads."""
    from rnntool import parsing, trees
    from rnntool.training.inputs import copy_tree

    maker = parsing.TreeMaker(input_kind=input, shape=shape, factor=factor,
                              collapse=collapse_unary)
    made = []
    for number, item in enumerate(items, 1):
        if isinstance(item, trees.Tree):
            made.append(trees.normalize(copy_tree(item), factor, collapse_unary))
        elif isinstance(item, str):
            try:
                made.append(maker.make(item))
            except trees.LineError as exc:
                raise InputError(f"item {number}: {exc}") from None
        else:
            raise TypeError(f"item {number}: expected a string or an nltk Tree, not "
                            f"{type(item).__name__}")
    return made


def _root_rows(model, items, input: str, shape: str, factor: str, collapse_unary: bool):
    """``(single, rows)``: whether one item was given, and each item's root's class
    probabilities, in batches as ``rnntool predict``."""
    from rnntool.inference import tree_probabilities

    single, found = predicting.one_or_many(items)
    rows: list = []
    for chunk in predicting.chunks(given_trees(found, input, shape, factor, collapse_unary)):
        rows.extend(probs[-1] for probs in tree_probabilities(model.module, model.vocab,
                                                                 chunk))
    return single, rows


def predict(model, items, *, input: str = "auto", shape: str = "right",
            factor: str = "right", collapse_unary: bool = True):
    """``Model.predict``: the predicted class of each item's root."""
    single, rows = _root_rows(model, items, input, shape, factor, collapse_unary)
    return predicting.best_labels(model.labels, single, rows)


def probabilities(model, items, *, input: str = "auto", shape: str = "right",
                  factor: str = "right", collapse_unary: bool = True):
    """``Model.probabilities``: each class's probability at each item's root."""
    single, rows = _root_rows(model, items, input, shape, factor, collapse_unary)
    return predicting.label_probabilities(model.labels, single, rows)


def predict_trees(model, items, *, input: str = "auto", shape: str = "right",
                  factor: str = "right", collapse_unary: bool = True):
    """``Model.predict_trees``: each item's binary tree with the predicted class at every
    node."""
    from rnntool.inference import tree_probabilities
    from rnntool.treebatch import relabel

    single, found = predicting.one_or_many(items)
    made = given_trees(found, input, shape, factor, collapse_unary)
    out = []
    for chunk in predicting.chunks(made):
        for tree, probs in zip(chunk, tree_probabilities(model.module, model.vocab, chunk)):
            out.append(relabel(tree, [str(int(p.argmax())) for p in probs]))
    return out[0] if single else out


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text=None, input: str = "auto", encoding: str = "utf-8",
             errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on labelled trees: a file of
    bracketed trees, one a line, or a list of ``Tree`` objects."""
    import os

    from rnntool import trees
    from rnntool.text import display_name
    from rnntool.training.inputs import copy_tree, is_path
    from rnntool.treebatch import class_id

    binary = bool(model.training.get("settings", {}).get("binary", False))
    classes = int(model.training["classes"])
    known = 5 if binary else classes  # gold labels of a binary model are SST's 0-4
    if is_path(data):
        name = display_name(os.fspath(data))
        numbered = trees.numbered_trees(os.fspath(data), encoding=encoding, errors=errors)
        where = f"{name}: line "
    else:
        numbered = enumerate(data, 1)
        name, where = "the data", "tree "
    items = []
    for number, tree in numbered:
        if not isinstance(tree, trees.Tree):
            raise TypeError(f"tree {number}: expected an nltk Tree, not "
                            f"{type(tree).__name__}")
        bad = next((node.label() for node in trees.preorder(tree)
                    if class_id(node.label()) >= known), None)
        if bad is not None:
            raise InputError(f"{where}{number}: label {bad!r} is not a class of this "
                             f"model (0-{known - 1})")
        items.append(trees.normalize(tree if is_path(data) else copy_tree(tree)))
    if not items:
        raise InputError(f"{name}: no trees to evaluate on")
    return report(model.module, items, model.vocab, binary=binary, classes=classes)


def report(module, trees, vocab, *, binary: bool, classes: int) -> dict:
    """Everything ``rnntool eval`` says about a tree model on labelled ``trees``.

    ``binary``: the model was trained with the SST binary convention (2 classes). A
    fine-grained model (5 classes) is also scored in the binary view: gold and predicted
    labels mapped by the SST convention, neutral-gold nodes left out, a neutral prediction
    counting as wrong.
    """
    import numpy as np

    from rnntool.evaluate import classification_report
    from rnntool.inference import tree_predictions
    from rnntool.treebatch import sst_binary

    roots_gold, roots_pred, nodes_gold, nodes_pred = [], [], [], []
    for labels, predicted, roots in tree_predictions(module, trees, vocab, binary=binary,
                                                     classes=classes):
        roots_gold.append(labels[roots])
        roots_pred.append(predicted[roots])
        nodes_gold.append(labels)
        nodes_pred.append(predicted)
    roots_gold, roots_pred = np.concatenate(roots_gold), np.concatenate(roots_pred)
    nodes_gold, nodes_pred = np.concatenate(nodes_gold), np.concatenate(nodes_pred)
    found = {"kind": "tree", "trees": len(trees), "classes": classes,
             "view": "binary" if binary else "fine-grained",
             "roots": classification_report(roots_gold, roots_pred, classes),
             "all_nodes": classification_report(nodes_gold, nodes_pred, classes)}
    if not binary and classes == 5:
        def binary_view(gold, pred):
            gold_b, pred_b = sst_binary(gold), sst_binary(pred)
            keep = gold_b >= 0
            return float((pred_b[keep] == gold_b[keep]).mean()) if keep.any() else float("nan")
        found["binary_view"] = {"root_accuracy": binary_view(roots_gold, roots_pred),
                                "all_accuracy": binary_view(nodes_gold, nodes_pred)}
    return found


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    from rnntool.kinds.tables import class_lines

    roots, nodes = report["roots"], report["all_nodes"]
    lines = [f"trees: {report['trees']}, classes: {report['classes']} ({report['view']})",
             f"root accuracy: {roots['accuracy']:.4f} of {roots['count']} "
             f"(macro-F1 {roots['macro_f1']:.4f})",
             f"all-node accuracy: {nodes['accuracy']:.4f} of {nodes['count']} "
             f"(macro-F1 {nodes['macro_f1']:.4f})"]
    if "binary_view" in report:
        view = report["binary_view"]
        lines.append(f"binary view: root accuracy {view['root_accuracy']:.4f}, all-node "
                     f"accuracy {view['all_accuracy']:.4f}")
    return lines + class_lines(roots, [str(c) for c in range(report["classes"])], "roots",
                               "root ")


def report_tables(report: dict, title: str) -> list:
    """The report as rich tables: a summary, the roots' per-class scores and their
    confusion matrix."""
    from rich.table import Table

    from rnntool.kinds.tables import class_tables

    classes, view = report["classes"], report.get("binary_view")
    summary = Table(title=f"{title}\n{report['trees']} trees, {classes} classes "
                          f"({report['view']})")
    summary.add_column("")
    for name in ["accuracy", "macro-F1", "count"] + (["binary-view accuracy"] if view else []):
        summary.add_column(name, justify="right")
    for name, scores, key in (("roots", report["roots"], "root_accuracy"),
                              ("all nodes", report["all_nodes"], "all_accuracy")):
        summary.add_row(name, f"{scores['accuracy']:.4f}", f"{scores['macro_f1']:.4f}",
                        str(scores["count"]), *([f"{view[key]:.4f}"] if view else []))
    names = [str(c) for c in range(classes)]
    return [summary, *class_tables(report["roots"], names, "roots", "root ")]
