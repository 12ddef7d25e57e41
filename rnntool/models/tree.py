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
  The parameter ``tensor`` is ``V`` times its fan-in ``2 hidden`` (``bilinear()`` gives
  ``V``): Adagrad's and Adam's first steps move every parameter by about the learning
  rate, which on ``V`` itself, summed over ``(2 hidden)^2`` products, saturates every node;
  scaled so, a step on ``V`` weighs as much as one on ``W``.
- ``lstm``: the binary constituency Tree-LSTM (Tai et al. 2015): input, output and update
  gates and one forget gate per child from ``[h_l; h_r]``,
  ``c = i * u + f_l * c_l + f_r * c_r``, ``h = o * tanh(c)``. A leaf is an LSTM step from
  its embedding with no children: ``c = i * u``, ``h = o * tanh(c)`` (gates from the
  embedding).

Leaves of ``rnn``/``rntn``: the state is the word embedding itself when ``embed == hidden``
(as Socher et al.), else ``tanh(P e + p)``, a learned projection. Word vectors start as
torch's N(0, 1), the RNTN's as N(0, 0.01): its bilinear term squares them, and large ones
saturate it from the first step (on SST that costs it 2 points). Dropout (``dropout``)
applies to the embeddings and to the states fed to the classifier.

Not here: building batches (``rnntool.treebatch``), reading trees, training loops.
"""

from __future__ import annotations


import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable
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
        if cell == "rntn":  # its bilinear term squares the word vectors: start them small
            nn.init.normal_(self.embedding.weight, std=0.1)
        self.dropout = nn.Dropout(dropout)
        if cell == "lstm":
            self.leaf = nn.Linear(embed, 3 * hidden)       # i, o, u
            self.compose = nn.Linear(2 * hidden, 5 * hidden)  # i, f_l, f_r, o, u
        else:
            self.leaf = nn.Linear(embed, hidden) if embed != hidden else None
            self.compose = nn.Linear(2 * hidden, hidden)
        if cell == "rntn":
            # V[i, d, j]: slice d of the tensor is V[:, d, :], stored divided by its fan-in
            # 2 hidden (see the module docstring). Small, so that the bilinear term starts
            # as a perturbation of the plain rnn.
            self.tensor = nn.Parameter(torch.empty(2 * hidden, hidden, 2 * hidden))
            nn.init.normal_(self.tensor, std=0.5)
        self.classifier = nn.Linear(hidden, classes)

    @staticmethod
    def parameter_count(vocab_size: int, classes: int = 5, embed: int = 100,
                        hidden: int = 100, cell: str = "rnn", dropout: float = 0.0) -> int:
        """The parameters a model of these settings has, counted without building it."""
        if cell == "lstm":
            nodes = (embed + 1) * 3 * hidden + (2 * hidden + 1) * 5 * hidden
        else:
            nodes = (0 if embed == hidden else (embed + 1) * hidden) + (2 * hidden + 1) * hidden
        if cell == "rntn":
            nodes += 4 * hidden ** 3
        return vocab_size * embed + nodes + (hidden + 1) * classes

    def leaf_states(self, words: torch.Tensor) -> torch.Tensor:
        """[leaves, hidden] states ``h`` of the leaf nodes; ``[h; c]`` for the LSTM."""
        x = self.dropout(self.embedding(words))
        if self.cell == "lstm":
            i, o, u = self.leaf(x).chunk(3, dim=1)
            c = torch.sigmoid(i) * torch.tanh(u)
            return torch.cat([torch.sigmoid(o) * torch.tanh(c), c], dim=1)
        if self.leaf is None:
            return x
        return torch.tanh(self.leaf(x))

    def bilinear(self) -> torch.Tensor | None:
        """The RNTN's tensor ``V`` (None for the other cells)."""
        return self.tensor / (2 * self.hidden) if self.cell == "rntn" else None

    def node_states(self, batch) -> torch.Tensor:
        """[num_nodes, hidden] states ``h`` of every node of ``batch``, in batch order."""
        leaves = self.leaf_states(_tensor(batch.words))
        if batch.num_nodes == batch.num_leaves:
            return leaves[:, :self.hidden]
        children = _tensor(batch.children).view(-1)
        offsets = batch.level_offsets.tolist()
        if self.cell == "lstm":
            return _TreeLSTMLevels.apply(leaves, self.compose.weight, self.compose.bias,
                                         children, offsets)
        return _TanhLevels.apply(leaves, self.compose.weight, self.compose.bias,
                                 self.bilinear(), children, offsets)

    def forward(self, batch) -> torch.Tensor:
        """[num_nodes, classes] logits of every node of ``batch``, in batch order."""
        return self.classifier(self.dropout(self.node_states(batch)))

    @staticmethod
    def loss(logits: torch.Tensor, labels, node_loss: str = "all",
             roots=None) -> torch.Tensor:
        """Mean cross-entropy over the labelled nodes (label -1: no loss).

        ``node_loss="all"``: every labelled node; ``"root"``: only the roots (``roots``, the
        batch's ``roots``, is then needed). Zero (with a gradient) when nothing is labelled.
        """
        total, count = TreeModel.loss_sum(logits, labels, node_loss, roots)
        return total / max(count, 1)

    @staticmethod
    def loss_sum(logits: torch.Tensor, labels, node_loss: str = "all",
                 roots=None) -> tuple[torch.Tensor, int]:
        """``(summed cross-entropy, number of labelled nodes)`` over the nodes ``loss``
        averages over: a distributed run adds these up over its ranks."""
        if node_loss not in NODE_LOSSES:
            raise ValueError(f"node_loss must be one of {', '.join(NODE_LOSSES)}")
        labels = _tensor(labels)
        if node_loss == "root":
            if roots is None:
                raise ValueError("node_loss='root' needs the roots of the batch")
            roots = _tensor(roots)
            logits, labels = logits[roots], labels[roots]
        count = int((labels >= 0).sum())
        if not count:
            return logits.sum() * 0.0, 0
        return F.cross_entropy(logits, labels, ignore_index=-1, reduction="sum"), count


# --- backpropagation through structure, level by level ----------------------------------
#
# The inner nodes of a batch are computed in hand-written forward and backward passes over
# the levels, each level a handful of batched tensor operations writing into preallocated
# buffers. Autograd would record a dozen graph nodes per level and replay them one by one;
# SST minibatches have 30 to 50 levels, so that bookkeeping, not the arithmetic, would
# dominate. The weight gradients are one matrix product over all inner nodes at the end.
# ``offsets`` are the batch's level offsets (a list), ``children`` its [inner * 2] child rows.


class _TanhLevels(torch.autograd.Function):
    """Inner nodes of the ``rnn`` (``tensor`` None) and ``rntn`` cells:
    ``h = tanh(W x + b [+ x^T V x])`` with ``x = [h_l; h_r]``."""

    @staticmethod
    def forward(ctx, leaves, weight, bias, tensor, children, offsets):
        L, H = leaves.shape
        N = offsets[-1]
        states = leaves.new_empty(N, H)
        states[:L] = leaves
        pairs = leaves.new_empty(N - L, 2 * H)  # x of every inner node, kept for backward
        weight_t = weight.t()
        flat = None if tensor is None else tensor.reshape(2 * H, H * 2 * H)
        for level in range(1, len(offsets) - 1):
            start, stop = offsets[level], offsets[level + 1]
            n = stop - start
            x = pairs[start - L:stop - L]
            torch.index_select(states, 0, children[2 * (start - L):2 * (stop - L)],
                               out=x.view(2 * n, H))
            z = states[start:stop]
            torch.addmm(bias, x, weight_t, out=z)
            if flat is not None:  # z_k += sum_ij x_i V[i, k, j] x_j
                z.add_(torch.bmm(torch.mm(x, flat).view(n, H, 2 * H), x.unsqueeze(2)).squeeze(2))
            z.tanh_()
        ctx.offsets = offsets
        ctx.save_for_backward(states, pairs, weight, tensor, children)
        return states

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_states):
        states, pairs, weight, tensor, children = ctx.saved_tensors
        offsets = ctx.offsets
        L, H = offsets[1], states.shape[1]
        grad = grad_states.clone()  # d loss / d h, completed by each node's parent
        deltas = pairs.new_empty(len(pairs), H)  # d loss / d z of every inner node
        if tensor is not None:  # d(x^T V_k x)/dx = (V_k + V_k^T) x
            sym = (tensor + tensor.permute(2, 1, 0)).reshape(2 * H, H * 2 * H).t()
        for level in range(len(offsets) - 2, 0, -1):
            start, stop = offsets[level], offsets[level + 1]
            n = stop - start
            h, g, d = states[start:stop], grad[start:stop], deltas[start - L:stop - L]
            torch.addcmul(g, g, h * h, value=-1, out=d)  # through tanh: g (1 - h^2)
            dx = torch.mm(d, weight)
            if tensor is not None:
                x = pairs[start - L:stop - L]
                dx.addmm_((d.unsqueeze(2) * x.unsqueeze(1)).view(n, H * 2 * H), sym)
            grad.index_add_(0, children[2 * (start - L):2 * (stop - L)], dx.view(2 * n, H))
        grad_tensor = None
        if tensor is not None and ctx.needs_input_grad[3]:
            # dV[i, k, j] = sum over nodes of x_i d_k x_j
            outer = (deltas.unsqueeze(2) * pairs.unsqueeze(1)).view(len(pairs), H * 2 * H)
            grad_tensor = torch.mm(pairs.t(), outer).view_as(tensor)
        return (grad[:L], torch.mm(deltas.t(), pairs), deltas.sum(0), grad_tensor, None, None)


class _TreeLSTMLevels(torch.autograd.Function):
    """Inner nodes of the binary Tree-LSTM. ``leaves`` are ``[h; c]``; returns ``h`` of every
    node. Gates ``i, f_l, f_r, o, u`` (the layout of ``TreeModel.compose``)."""

    @staticmethod
    def forward(ctx, leaves, weight, bias, children, offsets):
        L, H = leaves.shape[0], leaves.shape[1] // 2
        N = offsets[-1]
        hs, cs = leaves.new_empty(N, H), leaves.new_empty(N, H)
        hs[:L], cs[:L] = leaves[:, :H], leaves[:, H:]
        pairs = leaves.new_empty(N - L, 2 * H)        # [h_l; h_r]
        cell_pairs = leaves.new_empty(N - L, 2 * H)   # [c_l; c_r]
        gates = leaves.new_empty(N - L, 5 * H)        # after their nonlinearities
        weight_t = weight.t()
        for level in range(1, len(offsets) - 1):
            start, stop = offsets[level], offsets[level + 1]
            n, rows = stop - start, slice(offsets[level] - L, offsets[level + 1] - L)
            index = children[2 * rows.start:2 * rows.stop]
            torch.index_select(hs, 0, index, out=pairs[rows].view(2 * n, H))
            torch.index_select(cs, 0, index, out=cell_pairs[rows].view(2 * n, H))
            g = gates[rows]
            torch.addmm(bias, pairs[rows], weight_t, out=g)
            g[:, :4 * H].sigmoid_()
            g[:, 4 * H:].tanh_()
            c = cs[start:stop]
            torch.mul(g[:, :H], g[:, 4 * H:], out=c)  # i * u
            c.add_((g[:, H:3 * H] * cell_pairs[rows]).view(n, 2, H).sum(1))  # + f_l c_l + f_r c_r
            torch.tanh(c, out=hs[start:stop])
            hs[start:stop].mul_(g[:, 3 * H:4 * H])
        ctx.offsets = offsets
        ctx.save_for_backward(cs, pairs, cell_pairs, gates, weight, children)
        return hs

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_h):
        cs, pairs, cell_pairs, gates, weight, children = ctx.saved_tensors
        offsets = ctx.offsets
        L, H = offsets[1], cs.shape[1]
        grad_h = grad_h.clone()
        grad_c = torch.zeros_like(cs)
        deltas = gates.new_empty(gates.shape)  # d loss / d gate pre-activations
        for level in range(len(offsets) - 2, 0, -1):
            start, stop = offsets[level], offsets[level + 1]
            n, rows = stop - start, slice(start - L, stop - L)
            index = children[2 * rows.start:2 * rows.stop]
            g, d = gates[rows], deltas[rows]
            gh = grad_h[start:stop]
            tc = torch.tanh(cs[start:stop])
            gho = gh * g[:, 3 * H:4 * H]
            gc = grad_c[start:stop].add_(gho).addcmul_(gho, tc * tc, value=-1)  # total d/dc
            torch.mul(gc, g[:, 4 * H:], out=d[:, :H])                           # d i
            torch.mul(gc.unsqueeze(1), cell_pairs[rows].view(n, 2, H),
                      out=d[:, H:3 * H].view(n, 2, H))                          # d f_l, d f_r
            torch.mul(gh, tc, out=d[:, 3 * H:4 * H])                             # d o
            torch.mul(gc, g[:, :H], out=d[:, 4 * H:])                           # d u
            sig = g[:, :4 * H]
            d[:, :4 * H].mul_(sig - sig * sig)
            u = g[:, 4 * H:]
            d[:, 4 * H:].addcmul_(d[:, 4 * H:], u * u, value=-1)
            grad_h.index_add_(0, index, torch.mm(d, weight).view(2 * n, H))
            grad_c.index_add_(0, index, (gc.unsqueeze(1) * g[:, H:3 * H].view(n, 2, H))
                              .view(2 * n, H))
        grad_leaves = torch.cat([grad_h[:L], grad_c[:L]], dim=1)
        return grad_leaves, torch.mm(deltas.t(), pairs), deltas.sum(0), None, None
