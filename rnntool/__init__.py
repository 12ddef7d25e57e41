"""rnntool: recurrent and recursive neural networks on text, from the command line or Python.

The package is a library with a thin command-line interface on top (``rnntool.cli``).
Importing ``rnntool`` is cheap: torch and numpy are loaded by the modules that need them,
and the names below are loaded on first use.

The Python API (``rnntool.api`` says more)::

    import rnntool
    rnntool.train_charlm("corpora/default.txt", "lm.pt", steps=200, quiet=True)
    print(rnntool.load("lm.pt").sample("SCENE", length=100))

- vocabularies: ``build_vocab``, ``load_vocab``, ``Vocab``;
- trees: ``read_trees``, ``parse_tree``, ``binarize``, ``normalize``, ``to_brackets``,
  ``Tree``;
- training: ``train_charlm``, ``train_wordlm``, ``train_tree``, ``train_sentiment``,
  ``train_tagger``, ``train_forecast``, ``train_parser``;
- checkpoints: ``load`` -> ``Model`` (``sample``, ``stream``, ``predict``,
  ``probabilities``, ``predict_trees``, ``evaluate``);
- errors: ``RnnToolError`` and its subclasses ``InputError``, ``CheckpointError``,
  ``Interrupted``.

Library modules underneath (each module's docstring says more; README's "Code layout"
lists them all):

- ``rnntool.kinds``: the table of model kinds, and each kind's use module (labels,
  predictions, evaluation reports).
- ``rnntool.training``: ``read_data`` and ``train`` of each kind, over one engine.
- ``rnntool.settings``: every training setting, declared once, with its default.
- ``rnntool.vocab``, ``rnntool.corpus``: vocabularies; counting and encoding corpora.
- ``rnntool.text``: read text streams with an explicit encoding policy.
- ``rnntool.trees``, ``rnntool.grammar``, ``rnntool.parsing``, ``rnntool.spans``: trees
  and brackets; grammars; lines made into binary trees; trees as spans (CKY, bracket
  scores).
- ``rnntool.labelled``, ``rnntool.tagging``, ``rnntool.series``: the other input formats.
- ``rnntool.checkpoint``: save and load self-contained checkpoints.
- ``rnntool.inference``, ``rnntool.sampling``, ``rnntool.evaluate``: forward passes,
  generation, scores.
"""

__version__ = "0.1.0"

#: Where each lazily loaded public name lives.
_HOMES = {
    **dict.fromkeys(("build_vocab", "load_vocab", "read_trees", "parse_tree", "train_charlm",
                     "train_wordlm", "train_tree", "train_sentiment", "train_tagger",
                     "train_forecast", "train_parser", "load", "Model"), "rnntool.api"),
    "Vocab": "rnntool.vocab",
    **dict.fromkeys(("binarize", "normalize", "to_brackets", "Tree"), "rnntool.trees"),
    **dict.fromkeys(("RnnToolError", "InputError", "CheckpointError", "Interrupted"),
                    "rnntool.errors"),
}

__all__ = ["build_vocab", "load_vocab", "Vocab",
           "read_trees", "parse_tree", "binarize", "normalize", "to_brackets", "Tree",
           "train_charlm", "train_wordlm", "train_tree", "train_sentiment", "train_tagger",
           "train_forecast", "train_parser",
           "load", "Model",
           "RnnToolError", "InputError", "CheckpointError", "Interrupted"]


def __getattr__(name: str):
    """Load a public name from its module on first use (PEP 562), then keep it here."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'rnntool' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
