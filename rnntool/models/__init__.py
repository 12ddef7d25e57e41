"""The model kinds rnntool trains, registered by name.

Each kind is an ``nn.Module`` whose constructor takes only plain keyword values and keeps
them in ``self.config``, so ``build(kind, config)`` rebuilds it from a checkpoint.
Importing this package imports torch.
"""

from __future__ import annotations

from rnntool.models.forecast import ForecastModel
from rnntool.models.lm import LanguageModel
from rnntool.models.sentiment import SentimentModel
from rnntool.models.tagger import TaggerModel
from rnntool.models.tree import TreeModel

MODELS = {"charlm": LanguageModel, "wordlm": LanguageModel, "tree": TreeModel,
          "sentiment": SentimentModel, "forecast": ForecastModel, "tagger": TaggerModel}


def build(kind: str, config: dict):
    """A fresh model of ``kind`` built from its ``config`` dict."""
    return MODELS[kind](**config)
