"""Level-batched recursive networks: the flat tree batch, and the model against a plain
per-node recursive oracle (same weights) for loss and every gradient, batch invariance,
very deep trees, and a tiny sentiment task it must learn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nltk.tree import Tree
from torch.nn import functional as F

from rnntool.models.tree import CELLS, TreeModel
from rnntool.treebatch import build_batch, class_id
from rnntool.parsing import shape_tree
from rnntool.trees import read_tree

UNK = 1

# Varied shapes: SST-style, a single preterminal, bare words (shape trees), unary chains,
# unlabelled and partly labelled nodes, the same word twice.
TREES = [
    "(3 (2 It) (4 (2 is) (4 (3 very) (4 good))))",
    "(2 good)",
    "(1 (1 (2 not) (3 good)) (2 .))",
    "(ROOT (4 (NP (3 lovely)) (2 film)))",
    "(X a (X b (X c d)))",
    "(X (X (X a b) c) (X d a))",
    "(0 (2 (2 the) (2 plot)) (1 (1 is) (0 (0 dull) (2 (2 and) (1 slow)))))",
    "(2 (NP x) (2 y))",
]


def word_ids(trees):
    index = {}
    for tree in trees:
        for word in tree.leaves():
            index.setdefault(word, len(index) + 2)
    return index


# --- the oracle: one node at a time, recursively, from the model's parameters ------------

def oracle_label(node) -> int:
    return class_id(node.label())


def oracle_node(model, tree, index, out):
    """Append (state, label) of every node of ``tree`` in postorder; return its state."""
    H = model.hidden
    if isinstance(tree, str):
        label, word, node = -1, tree, None
    else:
        label, node = oracle_label(tree), tree
        while len(node) == 1 and isinstance(node[0], Tree):
            node = node[0]
            if label < 0:
                label = oracle_label(node)
        word = node[0] if len(node) == 1 else None
    if word is not None:
        e = model.embedding.weight[index.get(word, UNK)]
        if model.cell == "lstm":
            i, o, u = (model.leaf.weight @ e + model.leaf.bias).split(H)
            c = torch.sigmoid(i) * torch.tanh(u)
            state = (torch.sigmoid(o) * torch.tanh(c), c)
        else:
            state = e if model.leaf is None else torch.tanh(model.leaf.weight @ e + model.leaf.bias)
    else:
        left = oracle_node(model, node[0], index, out)
        right = oracle_node(model, node[1], index, out)
        if model.cell == "lstm":
            x = torch.cat([left[0], right[0]])
            i, f_l, f_r, o, u = (model.compose.weight @ x + model.compose.bias).split(H)
            c = (torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(f_l) * left[1]
                 + torch.sigmoid(f_r) * right[1])
            state = (torch.sigmoid(o) * torch.tanh(c), c)
        else:
            x = torch.cat([left, right])
            z = model.compose.weight @ x + model.compose.bias
            if model.cell == "rntn":
                V = model.bilinear()
                z = z + torch.stack([x @ V[:, d, :] @ x for d in range(H)])
            state = torch.tanh(z)
    out.append((state, label))
    return state


def oracle_logits(model, trees, index):
    """Per tree: [nodes, classes] logits in postorder, and the labels."""
    result = []
    for tree in trees:
        out = []
        oracle_node(model, tree, index, out)
        hs = torch.stack([s[0] if isinstance(s, tuple) else s for s, _ in out])
        logits = hs @ model.classifier.weight.T + model.classifier.bias
        result.append((logits, torch.tensor([label for _, label in out])))
    return result


def oracle_loss(model, trees, index, node_loss="all"):
    per_tree = oracle_logits(model, trees, index)
    if node_loss == "root":
        logits = torch.stack([lg[-1] for lg, _ in per_tree])
        labels = torch.stack([lb[-1] for _, lb in per_tree])
    else:
        logits = torch.cat([lg for lg, _ in per_tree])
        labels = torch.cat([lb for _, lb in per_tree])
    keep = labels >= 0
    return F.cross_entropy(logits[keep], labels[keep])


def make_model(cell, embed=5, hidden=4, classes=5, vocab=30, seed=0, dtype=torch.float64):
    torch.manual_seed(seed)
    model = TreeModel(vocab_size=vocab, classes=classes, embed=embed, hidden=hidden,
                      cell=cell, dropout=0.0).to(dtype)
    with torch.no_grad():  # make biases matter for the comparison
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


# --- the batch ------------------------------------------------------------------------

def test_batch_layout():
    trees = [read_tree(t) for t in TREES]
    index = word_ids(trees)
    batch = build_batch(trees, index.__getitem__, classes=5)
    n = batch.num_nodes
    assert batch.num_trees == len(trees) and batch.num_leaves == sum(len(t.leaves()) for t in trees)
    assert n == batch.num_leaves + len(batch.children)
    assert batch.level_offsets[0] == 0 and batch.level_offsets[1] == batch.num_leaves
    assert batch.level_offsets[-1] == n
    # every child comes from a lower level than its parent, and is someone's child once
    height = np.repeat(np.arange(batch.max_height + 1), np.diff(batch.level_offsets))
    parents = np.arange(batch.num_leaves, n)
    assert (height[batch.children] < height[parents, None]).all()
    assert (height[parents] == 1 + height[batch.children].max(axis=1)).all()
    kids = np.sort(batch.children.ravel())
    assert (kids == np.setdiff1d(np.arange(n), batch.roots)).all()
    # words and labels in tree order match the trees read left to right, in postorder
    order = batch.tree_order()
    assert (batch.tree_sizes() == [2 * len(t.leaves()) - 1 for t in trees]).all()
    sizes = np.cumsum(batch.tree_sizes())
    assert (order[sizes - 1] == batch.roots).all()
    # leaves (the first nodes) are in tree order: each tree's words left to right
    words = list(index)
    assert [words[i - 2] for i in batch.words] == [w for t in trees for w in t.leaves()]
    assert (batch.tree_of[:batch.num_leaves] == np.sort(batch.tree_of[:batch.num_leaves])).all()
    first = batch.labels[order[:sizes[0]]].tolist()
    assert first == [2, 2, 3, 4, 4, 4, 3]
    assert batch.labels[order[sizes[0]:sizes[1]]].tolist() == [2]  # the preterminal
    assert batch.labels[batch.roots].tolist() == [3, 2, 1, 4, -1, -1, 0, 2]
    fourth = batch.labels[order[sizes[2]:sizes[3]]].tolist()
    assert fourth == [3, 2, 4]  # (NP (3 lovely)) is the leaf labelled 3; ROOT over 4 is 4
    assert batch.labels[order[sizes[6]:]].tolist() == [-1, 2, 2]  # (NP x): unlabelled leaf


def test_batch_errors_and_labels():
    with pytest.raises(ValueError, match="binary"):
        build_batch([read_tree("(1 a b c)")], lambda w: 2)
    with pytest.raises(ValueError, match="below 5"):
        build_batch([read_tree("(7 (1 a) (2 b))")], lambda w: 2, classes=5)
    with pytest.raises(ValueError):
        build_batch([], lambda w: 2)
    assert [class_id(x) for x in ("3", "12", "NP", "-1", "\u00b2", "")] == [3, 12, -1, -1, -1, -1]
    single = build_batch([read_tree("(3 good)")], {"good": 7}.__getitem__)
    assert single.num_nodes == 1 and single.words.tolist() == [7]
    assert single.labels.tolist() == [3] and single.roots.tolist() == [0]
    assert single.max_height == 0 and list(single.levels()) == []


# --- the model against the oracle -----------------------------------------------------

@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("embed", [4, 5])
def test_matches_recursive_oracle(cell, embed):
    trees = [read_tree(t) for t in TREES]
    index = word_ids(trees)
    model = make_model(cell, embed=embed, hidden=4)
    batch = build_batch(trees, lambda w: index.get(w, UNK), classes=5)
    params = list(model.parameters())
    logits = model(batch)
    order = batch.tree_order()
    expected = torch.cat([lg for lg, _ in oracle_logits(model, trees, index)])
    torch.testing.assert_close(logits[order], expected, atol=1e-9, rtol=1e-9)
    for node_loss in ("all", "root"):
        loss = model.loss(model(batch), batch.labels, node_loss, roots=batch.roots)
        want = oracle_loss(model, trees, index, node_loss)
        assert abs(loss.item() - want.item()) < 1e-5
        got = torch.autograd.grad(loss, params)
        ref = torch.autograd.grad(want, params)
        for p, g, r in zip(model.named_parameters(), got, ref):
            assert (g - r).abs().max().item() < 1e-5, p[0]
            assert r.abs().max() > 0 or p[0].startswith("embedding"), p[0]


@pytest.mark.parametrize("cell", CELLS)
def test_float32_close_to_oracle(cell):
    trees = [read_tree(t) for t in TREES]
    index = word_ids(trees)
    model = make_model(cell, embed=6, hidden=6, dtype=torch.float32)
    batch = build_batch(trees, lambda w: index.get(w, UNK))
    params = list(model.parameters())
    loss = model.loss(model(batch), batch.labels)
    want = oracle_loss(model, trees, index)
    assert abs(loss.item() - want.item()) < 1e-5
    for g, r in zip(torch.autograd.grad(loss, params), torch.autograd.grad(want, params)):
        assert (g - r).abs().max().item() < 1e-5


@pytest.mark.parametrize("cell", CELLS)
def test_tree_logits_do_not_depend_on_the_batch(cell):
    trees = [read_tree(t) for t in TREES]
    index = word_ids(trees)
    model = make_model(cell, embed=8, hidden=8, dtype=torch.float32).eval()
    word = lambda w: index.get(w, UNK)  # noqa: E731
    together = build_batch(trees, word)
    with torch.no_grad():
        logits = model(together)
        order = together.tree_order()
        bounds = np.concatenate([[0], np.cumsum(together.tree_sizes())])
        for t, tree in enumerate(trees):
            alone = build_batch([tree], word)
            mine = logits[order[bounds[t]:bounds[t + 1]]]
            assert (model(alone)[alone.tree_order()] - mine).abs().max().item() < 1e-6
        shuffled = build_batch(trees[::-1] + trees[:3], word)
        again = model(shuffled)[shuffled.tree_order()][:len(order)]
        mine = torch.cat([logits[order[bounds[t]:bounds[t + 1]]]
                          for t in reversed(range(len(trees)))])
        assert (again - mine).abs().max().item() < 1e-6


@pytest.mark.parametrize("cell", CELLS)
def test_very_deep_tree(cell):
    words = [f"w{i % 7}" for i in range(3000)]
    tree = shape_tree(words, "right", label="1")
    model = make_model(cell, embed=4, hidden=4, vocab=10, dtype=torch.float32)
    batch = build_batch([tree, read_tree("(2 (1 w1) (3 w2))")], lambda w: 2 + int(w[1:]))
    assert batch.max_height == 2999 and batch.num_nodes == 5999 + 3
    loss = model.loss(model(batch), batch.labels, "all")
    loss.backward()
    assert torch.isfinite(loss)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_learns_negation():
    data = [("(1 good)", 1), ("(0 bad)", 0), ("(0 (2 not) (1 good))", 0),
            ("(1 (2 not) (0 bad))", 1), ("(1 (2 very) (1 good))", 1), ("(0 (2 very) (0 bad))", 0),
            ("(0 (2 not) (1 (2 very) (1 good)))", 0), ("(1 (2 not) (0 (2 very) (0 bad)))", 1)]
    trees = [read_tree(t.replace("(2 ", "(X ")) for t, _ in data]
    index = word_ids(trees)
    batch = build_batch(trees, index.__getitem__, classes=2)
    torch.manual_seed(0)
    model = TreeModel(vocab_size=10, classes=2, embed=12, hidden=12, cell="rnn")
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(300):
        optimizer.zero_grad()
        loss = model.loss(model(batch), batch.labels)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        predicted = model(batch).argmax(dim=1)
    assert loss.item() < 0.05
    assert predicted[batch.roots].tolist() == [label for _, label in data]


def test_loss_options():
    model = make_model("rnn", dtype=torch.float32)
    batch = build_batch([read_tree("(X (X a) (X b))")], lambda w: 2)
    logits = model(batch)
    assert model.loss(logits, batch.labels).item() == 0.0  # nothing labelled
    with pytest.raises(ValueError):
        model.loss(logits, batch.labels, "root")
    with pytest.raises(ValueError):
        model.loss(logits, batch.labels, "leaves")
    with pytest.raises(ValueError):
        TreeModel(10, cell="gru")
    assert TreeModel(10, cell="rntn", embed=3, hidden=2).config == dict(
        vocab_size=10, classes=5, embed=3, hidden=2, cell="rntn", dropout=0.0)
