"""The many-to-many sequence tagger: (word embedding [+ character encoder]) -> stacked
(bi)RNN/LSTM/GRU -> linear, a tag distribution for every token.

Each word is its embedding (id 0 is padding), with ``char_vocab_size > 0`` followed by the
two final states of a bidirectional LSTM over the word's characters, which gives unseen
words a representation from their spelling (suffixes, capitals, digits). The sentence is
read by torch's fused recurrent layers over a packed batch (``pack_padded_sequence``), and
the characters of the batch's real words are packed too, so each sentence is computed as if
it were alone: padding is never read. Dropout applies to the token vectors, between layers
and to the recurrent outputs. Logits at padding positions are meaningless; ``loss_sum``
ignores them (tag -1).

Not here: reading tagged text and batching (``rnntool.tagging``), training loops, files.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnntool.memory import recurrent_parameters

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class TaggerModel(nn.Module):
    """A tagger over ``vocab_size`` word ids and ``tags`` tags (the number of them)."""

    def __init__(self, vocab_size: int, tags: int, embed: int = 100, hidden: int = 100,
                 layers: int = 1, cell: str = "lstm", bidirectional: bool = True,
                 dropout: float = 0.0, char_vocab_size: int = 0, char_embed: int = 25,
                 char_hidden: int = 25):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}")
        if min(vocab_size, tags, embed, hidden, layers) < 1:
            raise ValueError("vocab_size, tags, embed, hidden and layers must be positive")
        if not 0.0 <= dropout < 1.0:
            raise ValueError("dropout must be in [0, 1)")
        self.config = dict(vocab_size=vocab_size, tags=tags, embed=embed, hidden=hidden,
                           layers=layers, cell=cell, bidirectional=bidirectional,
                           dropout=dropout, char_vocab_size=char_vocab_size,
                           char_embed=char_embed, char_hidden=char_hidden)
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        self.char_embedding, self.char_rnn = char_encoder(char_vocab_size, char_embed,
                                                          char_hidden)
        token_size = embed + (2 * char_hidden if char_vocab_size else 0)
        directions = 2 if bidirectional else 1
        self.rnn = CELLS[cell](token_size, hidden, layers, batch_first=True,
                               bidirectional=bidirectional,
                               dropout=dropout if layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(directions * hidden, tags)

    @staticmethod
    def parameter_count(vocab_size: int, tags: int, embed: int = 100, hidden: int = 100,
                        layers: int = 1, cell: str = "lstm", bidirectional: bool = True,
                        dropout: float = 0.0, char_vocab_size: int = 0, char_embed: int = 25,
                        char_hidden: int = 25) -> int:
        """The parameters a model of these settings has, counted without building it."""
        total = vocab_size * embed + char_parameters(char_vocab_size, char_embed, char_hidden)
        token_size = embed + (2 * char_hidden if char_vocab_size else 0)
        directions = 2 if bidirectional else 1
        return (total + recurrent_parameters(cell, token_size, hidden, layers, bidirectional)
                + (directions * hidden + 1) * tags)

    def char_vectors(self, chars: torch.Tensor, char_lengths: torch.Tensor,
                     mask: torch.Tensor) -> torch.Tensor:
        """[batch, time, 2 char_hidden]: the character encoding of every real word (where
        ``mask``), zeros at padding positions."""
        return char_vectors(self.char_embedding, self.char_rnn, chars, char_lengths, mask)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, chars: torch.Tensor | None = None,
                char_lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``ids`` [batch, time] padded word ids, ``lengths`` [batch] (CPU, each at least 1),
        with a character encoder ``chars`` [batch, time, chars] and ``char_lengths``
        [batch, time] -> [batch, time, tags] logits."""
        x = self.embedding(ids)
        if self.char_rnn is not None:
            if chars is None or char_lengths is None:
                raise ValueError("this model reads characters: pass chars and char_lengths")
            mask = torch.arange(ids.shape[1], device=ids.device)[None, :] < \
                lengths.to(ids.device)[:, None]
            x = torch.cat([x, self.char_vectors(chars, char_lengths, mask)], dim=2)
        packed = pack_padded_sequence(self.dropout(x), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        output, _ = self.rnn(packed)
        padded, _ = pad_packed_sequence(output, batch_first=True, total_length=ids.shape[1])
        return self.classifier(self.dropout(padded))

    @staticmethod
    def loss_sum(logits: torch.Tensor, tags: torch.Tensor) -> tuple[torch.Tensor, int]:
        """``(summed cross-entropy, number of real tokens)`` over the tokens whose tag is
        not -1 (padding): a distributed run adds these up over its ranks."""
        tags = tags.to(logits.device)
        count = int((tags >= 0).sum())
        if not count:
            return logits.sum() * 0.0, 0
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1),
                               ignore_index=-1, reduction="sum"), count

    @staticmethod
    def loss(logits: torch.Tensor, tags: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over the real tokens (zero, with a gradient, when none)."""
        total, count = TaggerModel.loss_sum(logits, tags)
        return total / max(count, 1)


def char_vectors(embedding: nn.Embedding, rnn: nn.LSTM, chars: torch.Tensor,
                 char_lengths: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[batch, time, 2 hidden]: the two final states of the bidirectional LSTM ``rnn`` over
    the embedded characters of every real word (where ``mask``), zeros at padding positions;
    ``chars`` [batch, time, chars], ``char_lengths`` [batch, time]. The characters of the
    real words alone are packed, so padding is never read. Shared by the tagger and the
    parser."""
    lengths = char_lengths[mask].cpu()
    packed = pack_padded_sequence(embedding(chars[mask]), lengths, batch_first=True,
                                  enforce_sorted=False)
    _, (h, _) = rnn(packed)  # h: [2, words, hidden]
    words = torch.cat([h[0], h[1]], dim=1)
    out = words.new_zeros(*mask.shape, words.shape[1])
    out[mask] = words
    return out


def char_encoder(char_vocab_size: int, char_embed: int, char_hidden: int):
    """``(embedding, bidirectional LSTM)`` of a character encoder whose words come out as
    ``2 char_hidden`` numbers (``char_vectors``); ``(None, None)`` for ``char_vocab_size``
    0, no encoder. Shared by the tagger and the parser."""
    if char_vocab_size < 0 or (char_vocab_size and min(char_embed, char_hidden) < 1):
        raise ValueError("char_vocab_size must be 0 (no character encoder) or positive, "
                         "with positive char_embed and char_hidden")
    if not char_vocab_size:
        return None, None
    return (nn.Embedding(char_vocab_size, char_embed, padding_idx=0),
            nn.LSTM(char_embed, char_hidden, batch_first=True, bidirectional=True))


def char_parameters(char_vocab_size: int, char_embed: int, char_hidden: int) -> int:
    """The parameters of ``char_encoder``'s encoder, counted without building it."""
    if not char_vocab_size:
        return 0
    return (char_vocab_size * char_embed
            + recurrent_parameters("lstm", char_embed, char_hidden, 1, True))
