"""Measuring models: held-out loss of language models and the baselines to judge it by.

Losses are mean negative log-likelihoods in nats per predicted token; ``bits`` converts to
bits per token (bits per character for a char-level model). Not here: training, files.
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)


def bits(nats: float) -> float:
    return nats / LN2


def lm_loss(model, ids: np.ndarray, batch_size: int = 64, seq_len: int = 256,
            min_stream: int = 1024) -> float:
    """Mean loss of a language model on ``ids``, read as up to ``batch_size`` side-by-side
    streams with the state carried along each (fewer streams for a short text, so that each
    is at least ``min_stream`` long). The first token of each stream and the last
    ``len(ids) % streams`` tokens are not predicted."""
    import torch
    import torch.nn.functional as F
    from rnntool.data import StreamBatches

    batch_size = max(1, min(batch_size, len(ids) // min_stream))
    batches = StreamBatches(ids, batch_size, seq_len, what="evaluation text")
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for inputs, targets in batches:
            logits, state = model(inputs, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                     reduction="sum").item()
            count += targets.numel()
    model.train(was_training)
    return total / count


def unigram_loss(counts: np.ndarray, ids: np.ndarray, smoothing: float = 1.0) -> float:
    """Loss on ``ids`` of a model that predicts each token by its (add-``smoothing``) frequency.

    ``counts[i]`` is how often id ``i`` was seen in training text.
    """
    probs = (np.asarray(counts, dtype=np.float64) + smoothing)
    probs /= probs.sum()
    return float(-np.log(probs[np.asarray(ids, dtype=np.int64)]).mean())
