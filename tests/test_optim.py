"""Row-sparse optimizer steps against torch's dense optimizers on the same model and data."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from rnntool.optim import RowSparseOptimizer, clip_grad_norm


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embedding = nn.Embedding(50, 6)
        self.head = nn.Linear(6, 3)

    def forward(self, words):
        return self.head(self.embedding(words)).sum()


BATCHES = [torch.tensor([1, 2, 2, 7]), torch.tensor([7, 9]), torch.tensor([1, 30, 31])]


def run(model, optimizer, clip=0.0):
    params = list(model.parameters())
    for words in BATCHES:
        optimizer.zero_grad()
        model(words).backward()
        if clip:
            clip_grad_norm(params, clip)
        optimizer.step()


@pytest.mark.parametrize("clip", [0.0, 0.5])
def test_sparse_adagrad_equals_dense_without_decay(clip):
    dense, sparse = Tiny(), Tiny()
    run(dense, torch.optim.Adagrad(dense.parameters(), lr=0.1), clip)
    run(sparse, RowSparseOptimizer(sparse, sparse.embedding, "adagrad", 0.1), clip)
    assert sparse.embedding.sparse
    for a, b in zip(dense.parameters(), sparse.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_weight_decay_touches_only_used_rows():
    start = Tiny()
    dense, sparse = copy.deepcopy(start), copy.deepcopy(start)
    for model, opt in ((dense, torch.optim.Adagrad(dense.parameters(), lr=0.1, weight_decay=0.1)),
                       (sparse, RowSparseOptimizer(sparse, sparse.embedding, "adagrad", 0.1,
                                                   weight_decay=0.1))):
        opt.zero_grad()
        model(BATCHES[0]).backward()
        opt.step()
    used, unused = [1, 2, 7], [0, 3, 40]
    torch.testing.assert_close(sparse.head.weight, dense.head.weight)
    torch.testing.assert_close(sparse.embedding.weight[used], dense.embedding.weight[used])
    assert not torch.equal(sparse.embedding.weight[used], start.embedding.weight[used])
    # a dense step decays every row; a lazy one leaves the rows no word used as they were
    assert torch.equal(sparse.embedding.weight[unused], start.embedding.weight[unused])
    assert not torch.allclose(dense.embedding.weight[unused], start.embedding.weight[unused])


def test_sparse_adam_first_step_matches_dense_adam():
    dense, sparse = Tiny(), Tiny()
    words = BATCHES[0]
    for model, opt in ((dense, torch.optim.Adam(dense.parameters(), lr=0.01)),
                       (sparse, RowSparseOptimizer(sparse, sparse.embedding, "adam", 0.01))):
        opt.zero_grad()
        model(words).backward()
        opt.step()
    for a, b in zip(dense.parameters(), sparse.parameters()):
        torch.testing.assert_close(a, b)
    state = RowSparseOptimizer(Tiny(), nn.Embedding(3, 2), "adam", 0.01).state_dict()
    assert len(state["optimizers"]) == 2
    with pytest.raises(ValueError):
        RowSparseOptimizer(Tiny(), nn.Embedding(3, 2), "sgd", 0.01)


def test_clip_grad_norm_counts_sparse_rows_once():
    dense, sparse = Tiny(), Tiny()
    sparse.embedding.sparse = True
    words = torch.tensor([4, 4, 5])  # a repeated row: the sparse gradient is uncoalesced
    dense(words).backward()
    sparse(words).backward()
    want = torch.nn.utils.clip_grad_norm_(list(dense.parameters()), 0.01)
    got = clip_grad_norm(list(sparse.parameters()), 0.01)
    assert abs(got - want.item()) < 1e-5
    assert sparse.embedding.weight.grad.is_sparse
    torch.testing.assert_close(sparse.embedding.weight.grad.to_dense(),
                               dense.embedding.weight.grad)
    torch.testing.assert_close(sparse.head.weight.grad, dense.head.weight.grad)
