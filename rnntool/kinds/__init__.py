"""The one table of model kinds: each kind registered once, by name.

A kind is a unit spread over a few modules named after it, and this table is the only
place that lists them: its settings class (``rnntool.settings``), its ``nn.Module``
(``rnntool.models``), its training module (``rnntool.training``: ``read_data`` and
``train``), its ``rnntool train`` subcommand (``rnntool.cli.train``) and its use module
(``rnntool.kinds.<module>``: labels, predictions, evaluation reports and their rendering,
for the commands and the Python API alike). Every other module looks a kind up here instead
of testing its name.

A use module defines ``labels(training)`` (the class labels by class id, or None),
``damage(checkpoint)`` (what is wrong with a loaded checkpoint's record of the kind, such
as labels that do not fit its model, in a phrase, or None; ``rnntool.checkpoint.load``
refuses the file with it), ``evaluate(model, data, *, text, input, encoding, errors)``
(the report dict of ``rnntool eval`` and ``Model.evaluate``; ``model`` is the API's
``Model``), ``report_lines(report)`` and ``report_tables(report, title)`` (the report as
plain-text lines and as rich tables).
A kind that predicts adds ``predict_command(data, path, request)`` (``rnntool predict``;
see ``rnntool.predicting.Request``) and ``predict(model, items, **options)``, and may add
``probabilities`` and ``predict_trees`` (``Model`` refuses them for a kind without them);
a language model adds ``stream(model, seed, length, **options)``. ``tables`` holds the
report pieces several use modules share.

Importing this module imports neither torch nor numpy: the table names the modules as
strings and ``Kind.load`` imports one when it is needed.

Adding a kind: a model module, a training module, a settings class, a CLI module, a use
module, and one line in ``KINDS`` below (plus docs).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from rnntool.errors import CheckpointError


@dataclass(frozen=True)
class Kind:
    """What rnntool knows of one model kind. Module references are ``"module"`` or
    ``"module:attribute"`` strings, imported by ``load``."""

    name: str
    settings: str       # its settings dataclass
    model: str          # its nn.Module, rebuilt from a checkpoint's config
    training: str       # its training module: read_data(...) and train(...)
    cli: str            # its `rnntool train NAME` click command
    use: str            # its use module: labels, predictions, evaluation, reports
    seen: str           # the training record's count of items seen, e.g. "trees_seen"
    #: validation figures its runs record, with whether higher is better; the checkpoint
    #: keeps the best by the first of them the run records (a tagger: entity F1 for BIO
    #: tags, else token accuracy)
    figures: tuple[tuple[str, bool], ...]
    primary: tuple[str, ...]
    samples: bool = False   # a language model: `rnntool sample`
    predicts: bool = False  # `rnntool predict`

    def load(self, part: str):
        """The object ``part`` (``"settings"``, ``"model"``, ``"training"``, ``"cli"``,
        ``"use"``) names, imported now."""
        module, _, attribute = getattr(self, part).partition(":")
        found = importlib.import_module(module)
        return getattr(found, attribute) if attribute else found


def _kind(name, settings, model, training, use, seen, figures, primary, **flags) -> Kind:
    return Kind(name, f"rnntool.settings:{settings}", f"rnntool.models.{model}",
                f"rnntool.training.{training}", f"rnntool.cli.train.{name}:command",
                f"rnntool.kinds.{use}", seen, figures, primary, **flags)


_LM = (("val_loss", False), ("val_bpc", False), ("val_ppl", False))

KINDS: dict[str, Kind] = {kind.name: kind for kind in (
    _kind("charlm", "CharLMSettings", "lm:LanguageModel", "lm", "lm", "tokens_seen",
          _LM, ("val_loss",), samples=True),
    _kind("wordlm", "WordLMSettings", "lm:LanguageModel", "lm", "lm", "tokens_seen",
          _LM, ("val_loss",), samples=True),
    _kind("tree", "TreeSettings", "tree:TreeModel", "tree", "tree", "trees_seen",
          (("dev_root_accuracy", True), ("dev_all_accuracy", True)),
          ("dev_root_accuracy",), predicts=True),
    _kind("sentiment", "SentimentSettings", "sentiment:SentimentModel", "sentiment",
          "sentiment", "sentences_seen", (("dev_accuracy", True),), ("dev_accuracy",),
          predicts=True),
    _kind("tagger", "TaggerSettings", "tagger:TaggerModel", "tagger", "tagger",
          "sentences_seen", (("dev_accuracy", True), ("dev_entity_f1", True)),
          ("dev_entity_f1", "dev_accuracy"), predicts=True),
    _kind("forecast", "ForecastSettings", "forecast:ForecastModel", "forecast", "forecast",
          "windows_seen", (("val_mae", False), ("val_rmse", False), ("naive_mae", False)),
          ("val_mae",), predicts=True),
    _kind("parser", "ParserSettings", "parser:ParserModel", "parser", "parser",
          "sentences_seen", (("dev_f1", True), ("dev_exact_match", True)), ("dev_f1",),
          predicts=True),
)}

#: Every validation figure of every kind, and whether higher is better.
VALIDATION_FIGURES: dict[str, bool] = {figure: higher for kind in KINDS.values()
                                       for figure, higher in kind.figures}


def get(name: str, path: str | None = None) -> Kind:
    """The kind called ``name``; a CheckpointError naming ``path`` (a checkpoint of an
    unknown kind) when there is none."""
    try:
        return KINDS[name]
    except (KeyError, TypeError):
        where = f"{path}: " if path else ""
        raise CheckpointError(f"{where}unknown model kind {name!r}") from None


def find(name) -> Kind | None:
    """The kind called ``name``, or None when there is none (``name`` may be anything a
    file held: a checkpoint's or a metrics record's kind)."""
    return KINDS.get(name) if isinstance(name, str) else None


def predicting() -> list[str]:
    """The names of the kinds ``rnntool predict`` works with, in table order."""
    return [name for name, kind in KINDS.items() if kind.predicts]


def sampling() -> list[str]:
    """The names of the language models, which ``rnntool sample`` works with."""
    return [name for name, kind in KINDS.items() if kind.samples]


def listing(names: list[str]) -> str:
    """Names as a sentence lists them: ``"a"``, ``"a or b"``, ``"a, b or c"``."""
    return " or ".join(filter(None, [", ".join(names[:-1]), names[-1]]))
