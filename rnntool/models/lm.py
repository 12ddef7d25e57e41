"""The recurrent language model of characters or words: embedding -> stacked RNN/LSTM/GRU
-> linear, optionally with the output layer tied to the embedding.

The recurrent layers are torch's fused modules (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``), run
time-major (``[time, batch]``). ``forward`` takes and returns the recurrent state, so the
training loop can carry it across batches (truncated BPTT) and sampling can step it one
token at a time. ``tie``: the output layer uses the embedding matrix as its weights (needs
``embed == hidden``), which saves a vocabulary-sized matrix and usually helps word models.
Nothing here reads files or knows about the command line.
"""

from __future__ import annotations

import torch
from torch import nn

from rnntool.memory import recurrent_parameters

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class LanguageModel(nn.Module):
    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256, layers: int = 2,
                 cell: str = "lstm", dropout: float = 0.0, tie: bool = False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}")
        if tie and embed != hidden:
            raise ValueError("tied embeddings need embed == hidden")
        self.config = dict(vocab_size=vocab_size, embed=embed, hidden=hidden, layers=layers,
                           cell=cell, dropout=dropout, tie=tie)
        self.embedding = nn.Embedding(vocab_size, embed)
        self.rnn = CELLS[cell](embed, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, vocab_size)
        if tie:
            self.head.weight = self.embedding.weight

    @staticmethod
    def parameter_count(vocab_size: int, embed: int = 64, hidden: int = 256, layers: int = 2,
                        cell: str = "lstm", dropout: float = 0.0, tie: bool = False) -> int:
        """The parameters a model of these settings has (tied weights once), counted
        without building it."""
        head = (0 if tie else hidden * vocab_size) + vocab_size
        return vocab_size * embed + recurrent_parameters(cell, embed, hidden, layers) + head

    def forward(self, ids: torch.Tensor, state=None):
        """``ids``: [time, batch] token ids -> (logits [time, batch, vocab], new state)."""
        output, state = self.rnn(self.dropout(self.embedding(ids)), state)
        return self.head(self.dropout(output)), state

    @staticmethod
    def detach_state(state):
        """Cut the graph at a batch border: the values carry over, the gradients do not."""
        if state is None:
            return None
        if isinstance(state, tuple):
            return tuple(s.detach() for s in state)
        return state.detach()
