"""The ``nn.Module`` of every model kind rnntool trains, rebuilt by kind name.

Each kind is an ``nn.Module`` whose constructor takes only plain keyword values and keeps
them in ``self.config``, so ``build(kind, config)`` rebuilds it from a checkpoint; which
class a kind uses is written in the kind table (``rnntool.kinds``, its ``model`` field).
Each class also counts the parameters of a config without building it (a static
``parameter_count(**config)``), so that ``rnntool.memory`` can refuse a model too big for
the machine before allocating it.
Importing this package imports torch.
"""

from __future__ import annotations

from rnntool import kinds
from rnntool.models.forecast import ForecastModel
from rnntool.models.lm import LanguageModel
from rnntool.models.sentiment import SentimentModel
from rnntool.models.tagger import TaggerModel
from rnntool.models.tree import TreeModel

__all__ = ["ForecastModel", "LanguageModel", "SentimentModel", "TaggerModel", "TreeModel",
           "MODELS", "build"]

#: The model class of each kind, by kind name (from the kind table).
MODELS = {name: kind.load("model") for name, kind in kinds.KINDS.items()}


def build(kind: str, config: dict):
    """A fresh model of ``kind`` built from its ``config`` dict (KeyError for a kind that
    is not in the table)."""
    return MODELS[kind](**config)
