"""The many-to-one sequence classifier: embedding -> stacked (bi)RNN/LSTM/GRU -> pool -> linear.

A sentence is read token by token by torch's fused recurrent layers over a packed batch
(``pack_padded_sequence``), so each sentence is computed exactly as if it were alone: padding
is never read and costs nothing. The sentence vector is pooled from the top layer
(``pool``): ``last``, the final state of each direction (the forward direction's after the
last token, the backward direction's after the first); ``mean`` or ``max`` over the
positions of the sentence (padding excluded). Dropout applies to the embeddings, between
layers and to the pooled vector. Nothing here reads files or knows about the command line.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnntool.memory import recurrent_parameters

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
POOLS = ("last", "mean", "max")


class SentimentModel(nn.Module):
    def __init__(self, vocab_size: int, classes: int, embed: int = 100, hidden: int = 150,
                 layers: int = 1, cell: str = "lstm", bidirectional: bool = True,
                 pool: str = "last", dropout: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}")
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {', '.join(POOLS)}")
        if min(vocab_size, classes, embed, hidden, layers) < 1:
            raise ValueError("vocab_size, classes, embed, hidden and layers must be positive")
        self.config = dict(vocab_size=vocab_size, classes=classes, embed=embed, hidden=hidden,
                           layers=layers, cell=cell, bidirectional=bidirectional, pool=pool,
                           dropout=dropout)
        self.pool = pool
        self.directions = 2 if bidirectional else 1
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        self.rnn = CELLS[cell](embed, hidden, layers, batch_first=True,
                               bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(self.directions * hidden, classes)

    @staticmethod
    def parameter_count(vocab_size: int, classes: int, embed: int = 100, hidden: int = 150,
                        layers: int = 1, cell: str = "lstm", bidirectional: bool = True,
                        pool: str = "last", dropout: float = 0.0) -> int:
        """The parameters a model of these settings has, counted without building it."""
        directions = 2 if bidirectional else 1
        return (vocab_size * embed
                + recurrent_parameters(cell, embed, hidden, layers, bidirectional)
                + (directions * hidden + 1) * classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``ids``: [batch, time] padded ids; ``lengths``: [batch] (CPU, each at least 1)
        -> [batch, classes] logits."""
        x = self.dropout(self.embedding(ids))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        output, state = self.rnn(packed)
        if self.pool == "last":
            h = state[0] if isinstance(state, tuple) else state  # [layers * dirs, batch, H]
            pooled = torch.cat(list(h[-self.directions:]), dim=1)
        else:
            padded, _ = pad_packed_sequence(output, batch_first=True)
            mask = (torch.arange(padded.shape[1])[None, :] < lengths[:, None]).unsqueeze(2)
            if self.pool == "mean":
                pooled = (padded * mask).sum(1) / lengths[:, None].to(padded.dtype)
            else:
                pooled = padded.masked_fill(~mask, float("-inf")).max(1).values
        return self.classifier(self.dropout(pooled))
