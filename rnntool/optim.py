"""Optimizer steps for models with a large word-embedding table: lazy (row-sparse) updates.

A minibatch of 25 SST sentences uses a few hundred of the 18,000 words, yet a dense Adagrad
or Adam step reads and writes every row of the table, and on a CPU that costs several times
the forward and backward pass. ``RowSparseOptimizer`` updates the embedding only in the rows
of the words the minibatch used (``nn.Embedding(sparse=True)`` gradients) and every other
parameter densely:

- Adagrad: torch's ``Adagrad`` handles both; an untouched row keeps its value and its sum of
  squares, exactly as a dense step would leave them without weight decay.
- Adam: torch's ``Adam`` for the dense parameters, ``SparseAdam`` (lazy Adam: a row's moments
  are updated only when the row is used) for the table.
- Weight decay is L2 added to the gradient, as torch's optimizers do, after clipping: every
  step for the dense parameters, and for an embedding row whenever that row is updated.

``clip_grad_norm`` clips by the global norm over dense and sparse gradients alike.
Not here: the training loop (``rnntool.training``), the model.
"""

from __future__ import annotations

import torch


def clip_grad_norm(params, max_norm: float) -> float:
    """Scale the gradients of ``params`` so their global L2 norm is at most ``max_norm``
    (sparse gradients are coalesced in place first); returns the norm before clipping."""
    grads = []
    for p in params:
        if p.grad is None:
            continue
        if p.grad.is_sparse:
            p.grad = p.grad.coalesce()
            grads.append(p.grad._values())
        else:
            grads.append(p.grad)
    if not grads:
        return 0.0
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    scale = max_norm / (norm + 1e-6)
    if scale < 1:
        torch._foreach_mul_(grads, scale)
    return float(norm)


class RowSparseOptimizer:
    """Adagrad or Adam with lazy updates of ``embedding`` (see the module docstring).

    Switches ``embedding`` to sparse gradients. The interface is the part of
    ``torch.optim.Optimizer`` the training loop uses: ``zero_grad``, ``step``,
    ``param_groups``, ``state_dict`` and ``load_state_dict``.
    """

    def __init__(self, model: torch.nn.Module, embedding: torch.nn.Embedding, name: str,
                 lr: float, weight_decay: float = 0.0):
        embedding.sparse = True
        # torch validates no sparse tensor by default, and warns unless told so explicitly;
        # the ones built here come from torch's own embedding backward.
        torch.sparse.check_sparse_tensor_invariants.disable()
        self.table = embedding.weight
        self.weight_decay = weight_decay
        dense = [p for p in model.parameters() if p is not self.table]
        if name == "adagrad":
            self.optimizers = [torch.optim.Adagrad(
                [{"params": dense, "weight_decay": weight_decay},
                 {"params": [self.table], "weight_decay": 0.0}], lr=lr)]
        elif name == "adam":
            self.optimizers = [torch.optim.Adam(dense, lr=lr, weight_decay=weight_decay),
                               torch.optim.SparseAdam([self.table], lr=lr)]
        else:
            raise ValueError(f"unknown optimizer {name!r}")

    @property
    def param_groups(self) -> list[dict]:
        return [group for opt in self.optimizers for group in opt.param_groups]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=set_to_none)

    @torch.no_grad()
    def step(self) -> None:
        grad = self.table.grad
        if grad is not None and self.weight_decay:
            grad = grad.coalesce()
            rows = grad._indices()[0]
            self.table.grad = torch.sparse_coo_tensor(
                grad._indices(), grad._values() + self.weight_decay * self.table[rows],
                grad.shape, is_coalesced=True, check_invariants=False)
        for opt in self.optimizers:
            opt.step()

    def state_dict(self) -> dict:
        return {"optimizers": [opt.state_dict() for opt in self.optimizers]}

    def load_state_dict(self, state: dict) -> None:
        for opt, saved in zip(self.optimizers, state["optimizers"], strict=True):
            opt.load_state_dict(saved)
