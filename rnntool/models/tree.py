"""Recursive neural networks over binary trees, with a classifier on every node.

``TreeModel`` reads a ``rnntool.treebatch.TreeBatch`` and returns logits for every node, in
batch order (by height). It is computed level by level: a node buffer starts with the leaf
states, then for each height all nodes of that height, across the whole batch, gather their
children's states with one ``index_select``, are composed in one batched call, and are
written into their (contiguous) rows of the buffer. The write is in place, which autograd
handles: ``index_select`` keeps only its indices for the backward pass, never the buffer.

Cells (``cell``):

- ``rnn``: ``h = tanh(W [h_l; h_r] + b)`` (Socher et al. 2011).
- ``rntn``: ``h = tanh([h_l; h_r]^T V [h_l; h_r] + W [h_l; h_r] + b`` with a tensor ``V`` of
  ``hidden`` slices of ``2 hidden x 2 hidden`` (Socher et al. 2013), batched as a matmul.
- ``lstm``: the binary constituency Tree-LSTM (Tai et al. 2015): input, output and update
  gates and one forget gate per child from ``[h_l; h_r]``,
  ``c = i * u + f_l * c_l + f_r * c_r``, ``h = o * tanh(c)``. A leaf is an LSTM step from
  its embedding with no children: ``c = i * u``, ``h = o * tanh(c)`` (gates from the
  embedding).

Leaves of ``rnn``/``rntn``: the state is the word embedding itself when ``embed == hidden``
(as Socher et al.), else ``tanh(P e + p)``, a learned projection. Dropout (``dropout``)
applies to the embeddings and to the states fed to the classifier.

Not here: building batches (``rnntool.treebatch``), reading trees, training loops.
"""

from __future__ import annotations


import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

CELLS = ("rnn", "rntn", "lstm")
NODE_LOSSES = ("all", "root")


def _tensor(array) -> torch.Tensor:
    if isinstance(array, torch.Tensor):
        return array
    return torch.from_numpy(np.ascontiguousarray(array, dtype=np.int64))


class TreeModel(nn.Module):
    def __init__(self, vocab_size: int, classes: int = 5, embed: int = 100, hidden: int = 100,
                 cell: str = "rnn", dropout: float = 0.0):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {', '.join(CELLS)}")
        if min(vocab_size, classes, embed, hidden) < 1:
            raise ValueError("vocab_size, classes, embed and hidden must be positive")
        self.config = dict(vocab_size=vocab_size, classes=classes, embed=embed, hidden=hidden,
                           cell=cell, dropout=dropout)
        self.cell = cell
        self.hidden = hidden
        self.embedding = nn.Embedding(vocab_size, embed)
        self.dropout = nn.Dropout(dropout)
        if cell == "lstm":
            self.leaf = nn.Linear(embed, 3 * hidden)       # i, o, u
            self.compose = nn.Linear(2 * hidden, 5 * hidden)  # i, f_l, f_r, o, u
        else:
            self.leaf = nn.Linear(embed, hidden) if embed != hidden else None
            self.compose = nn.Linear(2 * hidden, hidden)
        if cell == "rntn":
            # V[i, d, j]: slice d of the tensor is V[:, d, :]; small, so that the
            # bilinear term starts as a perturbation of the plain rnn.
            self.tensor = nn.Parameter(torch.empty(2 * hidden, hidden, 2 * hidden))
            nn.init.normal_(self.tensor, std=1.0 / (4 * hidden))
        self.classifier = nn.Linear(hidden, classes)

    @property
    def state_size(self) -> int:
        """Width of a node's row in the buffer: ``h``, or ``[h; c]`` for the LSTM."""
        return 2 * self.hidden if self.cell == "lstm" else self.hidden

    def leaf_states(self, words: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.embedding(words))
        if self.cell == "lstm":
            i, o, u = self.leaf(x).chunk(3, dim=1)
            c = torch.sigmoid(i) * torch.tanh(u)
            return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], dim=1)
        if self.leaf is None:
            return x
        return torch.tanh(self.leaf(x))

    def compose_states(self, pairs: torch.Tensor) -> torch.Tensor:
        """``pairs``: [n, 2, state_size] the (left, right) children -> [n, state_size]."""
        n, H = len(pairs), self.hidden
        if self.cell == "lstm":
            hs = pairs[:, :, :H].reshape(n, 2 * H)
            i, f_l, f_r, o, u = self.compose(hs).chunk(5, dim=1)
            c = (torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(f_l) * pairs[:, 0, H:]
                 + torch.sigmoid(f_r) * pairs[:, 1, H:])
            return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], dim=1)
        x = pairs.reshape(n, 2 * H)
        z = self.compose(x)
        if self.cell == "rntn":
            xv = (x @ self.tensor.view(2 * H, H * 2 * H)).view(n, H, 2 * H)
            z = z + (xv * x.unsqueeze(1)).sum(dim=2)
        return torch.tanh(z)

    def node_states(self, batch) -> torch.Tensor:
        """[num_nodes, state_size] states of every node of ``batch``, in batch order."""
        leaves = self.leaf_states(_tensor(batch.words))
        inner = batch.num_nodes - batch.num_leaves
        if inner == 0:
            return leaves
        buffer = torch.cat([leaves, leaves.new_zeros(inner, leaves.shape[1])])
        children = _tensor(batch.children).view(-1)
        base = batch.num_leaves
        offsets = batch.level_offsets.tolist()
        for h in range(1, len(offsets) - 1):
            start, stop = offsets[h], offsets[h + 1]
            index = children[2 * (start - base):2 * (stop - base)]
            pairs = buffer.index_select(0, index).view(stop - start, 2, -1)
            buffer[start:stop] = self.compose_states(pairs)
        return buffer

    def forward(self, batch) -> torch.Tensor:
        """[num_nodes, classes] logits of every node of ``batch``, in batch order."""
        states = self.node_states(batch)[:, :self.hidden]
        return self.classifier(self.dropout(states))

    @staticmethod
    def loss(logits: torch.Tensor, labels, node_loss: str = "all",
             roots=None) -> torch.Tensor:
        """Mean cross-entropy over the labelled nodes (label -1: no loss).

        ``node_loss="all"``: every labelled node; ``"root"``: only the roots (``roots``, the
        batch's ``roots``, is then needed). Zero (with a gradient) when nothing is labelled.
        """
        if node_loss not in NODE_LOSSES:
            raise ValueError(f"node_loss must be one of {', '.join(NODE_LOSSES)}")
        labels = _tensor(labels)
        if node_loss == "root":
            if roots is None:
                raise ValueError("node_loss='root' needs the roots of the batch")
            roots = _tensor(roots)
            logits, labels = logits[roots], labels[roots]
        if not bool((labels >= 0).any()):
            return logits.sum() * 0.0
        return F.cross_entropy(logits, labels, ignore_index=-1)
