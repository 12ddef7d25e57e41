"""Training data as the training modules take it: file names or values in memory.

The Python API passes its arguments through as given (a path, a list of paths, or data in
memory: numbers, trees, labelled pairs); the command line passes lists of file names. These
helpers tell the two apart and turn in-memory values into what the file readers give.
Not here: the file formats themselves (``rnntool.text``, ``labelled``, ``trees``,
``tagging``, ``series``).
"""

from __future__ import annotations

import os

from rnntool.errors import InputError


def numbers(values):
    """``values`` as a float64 array [steps, columns] (one column for a flat list);
    InputError when they are not numbers, or none at all."""
    import numpy as np
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the series must be numbers, [steps] or [steps, columns]") from None
    if array.ndim == 0 or not len(array) or array.ndim > 2:
        raise InputError("the series must be numbers, [steps] or [steps, columns], with at "
                         "least one step")
    return array.reshape(len(array), -1)


def is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def paths(value) -> list[str] | None:
    """The file names in ``value`` (a path, or a list or tuple of paths); None when it holds
    something else (in-memory data)."""
    if is_path(value):
        return [os.fspath(value)]
    if isinstance(value, (list, tuple)) and value and all(is_path(v) for v in value):
        return [os.fspath(v) for v in value]
    return None


def copy_tree(tree):
    """A deep copy of an NLTK tree (iterative: any depth), so normalizing leaves the
    caller's tree as it was."""
    from rnntool.trees import Tree, postorder

    made: dict[int, Tree] = {}
    for node in postorder(tree):
        made[id(node)] = Tree(node.label(), [made[id(c)] if isinstance(c, Tree) else c
                                             for c in node])
    return made[id(tree)]


def in_memory_examples(items, tokenize, *, binary: bool, lowercase: bool,
                        phrases: bool = False) -> tuple[list[str], list[list[str]]]:
    """``(labels, token lists)`` of in-memory examples, as ``labelled.read_examples`` gives
    them for files: ``(label, text)`` pairs or labelled trees (root label and leaves)."""
    from rnntool import labelled, trees

    labels: list[str] = []
    tokens: list[list[str]] = []
    seen: set | None = set() if phrases else None
    for number, item in enumerate(items, 1):
        try:
            if isinstance(item, trees.Tree):
                line = labelled.Line(item.label() or None, trees.leaves(item), "trees", item)
            elif (isinstance(item, (tuple, list)) and len(item) == 2
                  and isinstance(item[1], str)):
                label = str(item[0]).strip()
                if not label:
                    raise ValueError("empty label")
                line = labelled.Line(label, labelled.split_line(item[1], "text",
                                                                tokenize).tokens, "text")
            else:
                raise TypeError(f"example {number}: expected a (label, text) pair or a "
                                f"labelled nltk Tree, not {type(item).__name__}")
            examples = labelled._examples(line, binary, seen)
        except ValueError as exc:
            raise InputError(f"example {number}: {exc}") from None
        for label, words in examples:
            labels.append(label)
            tokens.append([w.lower() for w in words] if lowercase else words)
    return labels, tokens


def absolute(path: str | None) -> str | None:
    """``path`` made absolute for the training record ('-', stdin, and None kept)."""
    return path if path in (None, "-") else os.path.abspath(path)


def recorded(source) -> str | None:
    """The training record's note of where data came from: the (first) file, else None."""
    found = paths(source) if source is not None else None
    return absolute(found[0]) if found else None
