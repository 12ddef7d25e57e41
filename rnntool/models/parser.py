"""The span-based parser: a score for every span of a sentence, and the best binary tree
over them by exact CKY (Cross and Huang 2016; Stern, Andreas and Klein 2017).

Each word is its embedding (id 0 is padding) followed, with ``char_vocab_size > 0``, by the
two final states of a bidirectional LSTM over its characters (shared with the tagger:
``rnntool.models.tagger.char_vectors``), so unseen words are read by their spelling. Two
learned boundary vectors stand before the first word and after the last, and stacked
bidirectional LSTMs read the whole, packed. Fencepost ``k`` (between word ``k`` and word
``k + 1``) is the forward state after word ``k`` and the backward state before word
``k + 1``; span ``(i, j)`` is the differences ``[f_j - f_i; b_i - b_j]``, scored by a
one-hidden-layer ReLU network (its first layer applied to the fenceposts once, then
differenced, which is the same linear map). A tree scores the sum of its spans.

Training (``margin_loss``) is the structured hinge: the best tree under the span scores plus
one for every span not in the gold tree (``rnntool.spans.best_trees``), against the gold
tree; zero once the gold tree wins by a margin of its Hamming distance.

Not here: CKY and bracket scores (``rnntool.spans``), reading treebanks, training loops.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnntool.memory import recurrent_parameters
from rnntool.models.tagger import char_encoder, char_parameters, char_vectors
from rnntool.spans import best_trees


#: The longest sentence the parser trains on or parses, in tokens: its spans grow as the
#: square of its length (300 tokens: 44,850 spans, each a ``span_hidden`` vector).
MAX_TOKENS = 300
#: The most spans scored in one batch (sentences times spans per sentence), in training
#: and in use: with the default 250 hidden units, 65 MB for each of the scorer's tensors.
SPAN_BUDGET = 65536


class ParserModel(nn.Module):
    """Span scores of sentences over ``vocab_size`` word ids."""

    def __init__(self, vocab_size: int, embed: int = 100, hidden: int = 200, layers: int = 2,
                 dropout: float = 0.0, char_vocab_size: int = 0, char_embed: int = 32,
                 char_hidden: int = 50, span_hidden: int = 250):
        super().__init__()
        if min(vocab_size, embed, hidden, layers, span_hidden) < 1:
            raise ValueError("vocab_size, embed, hidden, layers and span_hidden must be "
                             "positive")
        if not 0.0 <= dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        self.config = dict(vocab_size=vocab_size, embed=embed, hidden=hidden, layers=layers,
                           dropout=dropout, char_vocab_size=char_vocab_size,
                           char_embed=char_embed, char_hidden=char_hidden,
                           span_hidden=span_hidden)
        self.hidden = hidden
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        self.char_embedding, self.char_rnn = char_encoder(char_vocab_size, char_embed,
                                                          char_hidden)
        token_size = embed + (2 * char_hidden if char_vocab_size else 0)
        self.boundaries = nn.Parameter(torch.randn(2, token_size) * 0.1)  # before, after
        self.rnn = nn.LSTM(token_size, hidden, layers, batch_first=True, bidirectional=True,
                           dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.span_forward = nn.Linear(hidden, span_hidden, bias=False)
        self.span_backward = nn.Linear(hidden, span_hidden, bias=False)
        self.span_bias = nn.Parameter(torch.zeros(span_hidden))
        self.score = nn.Linear(span_hidden, 1)

    @staticmethod
    def parameter_count(vocab_size: int, embed: int = 100, hidden: int = 200, layers: int = 2,
                        dropout: float = 0.0, char_vocab_size: int = 0, char_embed: int = 32,
                        char_hidden: int = 50, span_hidden: int = 250) -> int:
        """The parameters a model of these settings has, counted without building it."""
        total = vocab_size * embed + char_parameters(char_vocab_size, char_embed, char_hidden)
        token_size = embed + (2 * char_hidden if char_vocab_size else 0)
        return (total + 2 * token_size
                + recurrent_parameters("lstm", token_size, hidden, layers, True)
                + (2 * hidden + 1) * span_hidden + span_hidden + 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor,
                chars: torch.Tensor | None = None,
                char_lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``ids`` [batch, time] padded word ids, ``lengths`` [batch] (CPU, each at least 1),
        with a character encoder ``chars`` [batch, time, chars] and ``char_lengths`` [batch,
        time] -> [batch, time + 1, time + 1] scores: entry ``[b, i, j]`` scores span
        ``(i, j)`` of sentence ``b`` for ``j >= i + 2`` inside its length (others are 0)."""
        batch, time = ids.shape
        lengths = lengths.cpu()
        mask = torch.arange(time)[None, :] < lengths[:, None]
        x = self.embedding(ids)
        if self.char_rnn is not None:
            if chars is None or char_lengths is None:
                raise ValueError("this model reads characters: pass chars and char_lengths")
            x = torch.cat([x, char_vectors(self.char_embedding, self.char_rnn, chars,
                                           char_lengths, mask)], dim=2)
        before = self.boundaries[0].expand(batch, 1, -1)
        x = torch.cat([before, x, x.new_zeros(batch, 1, x.shape[2])], dim=1)
        after = (torch.arange(time + 2)[None, :] == (lengths + 1)[:, None]).unsqueeze(2)
        x = torch.where(after, self.boundaries[1], x)
        packed = pack_padded_sequence(self.dropout(x), lengths + 2, batch_first=True,
                                      enforce_sorted=False)
        output, _ = self.rnn(packed)
        states, _ = pad_packed_sequence(output, batch_first=True, total_length=time + 2)
        states = self.dropout(states)
        forward = self.span_forward(states[:, :time + 1, :self.hidden])   # fenceposts 0..time
        backward = self.span_backward(states[:, 1:, self.hidden:])         # fenceposts 0..time
        starts, ends = np.triu_indices(time + 1, k=2)
        starts, ends = torch.from_numpy(starts), torch.from_numpy(ends)
        spans = (forward[:, ends] - forward[:, starts] + backward[:, starts]
                 - backward[:, ends] + self.span_bias)
        scores = self.score(torch.relu(spans)).squeeze(2)
        out = scores.new_zeros(batch, time + 1, time + 1)
        out[:, starts, ends] = scores
        return out

    @staticmethod
    def spans_per_sentence(length: int) -> int:
        """The spans the model scores for each sentence of a batch padded to ``length``
        tokens (those of two or more tokens)."""
        return length * (length - 1) // 2

    @staticmethod
    def decode(scores: torch.Tensor, lengths) -> list[set[tuple[int, int]]]:
        """The spans of the best binary tree of each sentence under ``scores``."""
        return best_trees(scores.detach().to(torch.float64).cpu().numpy(),
                          [int(n) for n in lengths])

    @staticmethod
    def margin_loss(scores: torch.Tensor, lengths,
                    gold: list[set[tuple[int, int]]]) -> tuple[torch.Tensor, int]:
        """``(summed structured hinge loss, number of sentences)``: for each sentence, the
        best tree under ``scores`` plus one for every span it has that ``gold`` lacks,
        minus the gold tree's score (a distributed run adds these up over its ranks)."""
        lengths = [int(n) for n in lengths]
        batch, size = scores.shape[0], scores.shape[1]
        in_gold = np.zeros((batch, size, size))
        for b, spans in enumerate(gold):
            for i, j in spans:
                in_gold[b, i, j] = 1.0
        augmented = scores.detach().to(torch.float64).cpu().numpy() + 1.0 - in_gold
        predicted = best_trees(augmented, lengths)
        in_predicted = np.zeros((batch, size, size))
        wrong = 0
        for b, spans in enumerate(predicted):
            for i, j in spans:
                in_predicted[b, i, j] = 1.0
            wrong += len(spans - gold[b])
        difference = torch.from_numpy(in_predicted - in_gold).to(scores.dtype)
        return (difference * scores).sum() + wrong, batch
