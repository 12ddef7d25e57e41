"""Tree-model benchmarks: training throughput, and SST development accuracy.

Not a test: it takes minutes, and its figures go to bench/README.md with the command that
produced them. Pass the treebank paths; corpora from ../shared/data are never copied here.

    python bench/bench_tree.py throughput --train ../shared/data/sst/train.txt
    python bench/bench_tree.py accuracy --train ../shared/data/sst/train.txt \\
        --dev ../shared/data/sst/dev.txt --cell rnn --seeds 3 -- --epochs 30

throughput: trees per second of a full training step (batch assembly, forward, backward,
clipping, optimizer step) on SST's training trees, fine-grained labels, loss at every node,
Adagrad with weight decay, in the same run for three implementations of the same model:
rnntool's training loop (``rnntool.training.tree.train``: level-batched with a hand-written
backward pass and row-sparse embedding updates); a plain level-batched loop with autograd
and a dense optimizer; and a naive loop recursing over each tree node by node.
accuracy: ``rnntool train tree`` on SST for each seed, fine-grained and ``--binary``, then
``rnntool eval --json`` of the kept checkpoint on the development trees; the mean and spread
of the root (sentence) accuracy over the seeds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch
from torch.nn import functional as F

from rnntool import trees as treelib
from rnntool.models.tree import TreeModel
from rnntool.settings import TreeSettings
from rnntool.training import tree as treetraining
from rnntool.training.engine import apply_gradients
from rnntool.training.tree import tree_vocab
from rnntool.treebatch import build_batch, class_id
from seeds import dev_accuracy  # bench/seeds.py


def read(path: str) -> list:
    return [treelib.normalize(t) for t in treelib.read_treebank(path)]


def compose(model: TreeModel, left, right, flat=None):
    """One composition of the model's cell with autograd: states are ``h`` or ``(h, c)``;
    ``flat``: the RNTN's tensor as a [2H, H * 2H] matrix (computed once per batch)."""
    H = model.hidden
    if model.cell == "lstm":
        x = torch.cat([left[0], right[0]], dim=-1)
        i, f_l, f_r, o, u = model.compose(x).chunk(5, dim=-1)
        c = (torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(f_l) * left[1]
             + torch.sigmoid(f_r) * right[1])
        return torch.sigmoid(o) * torch.tanh(c), c
    x = torch.cat([left, right], dim=-1)
    z = model.compose(x)
    if model.cell == "rntn":
        z = z + ((x @ flat).view(*x.shape[:-1], H, 2 * H) * x.unsqueeze(-2)).sum(-1)
    return torch.tanh(z)


def leaf(model: TreeModel, words: torch.Tensor):
    states = model.leaf_states(words)
    if model.cell == "lstm":
        return states[..., :model.hidden], states[..., model.hidden:]
    return states


def bilinear_matrix(model: TreeModel):
    H = model.hidden
    return None if model.cell != "rntn" else model.bilinear().view(2 * H, H * 2 * H)


def autograd_logits(model: TreeModel, batch) -> torch.Tensor:
    """The model's logits from a plain level-batched loop: per level, gather the children,
    compose, write into a node buffer, all recorded by autograd."""
    L, N = batch.num_leaves, batch.num_nodes
    states = leaf(model, torch.from_numpy(batch.words))
    lstm = model.cell == "lstm"
    flat = bilinear_matrix(model)
    hs = torch.cat([states[0] if lstm else states, states[0].new_zeros(N - L, model.hidden)])
    cs = torch.cat([states[1], states[1].new_zeros(N - L, model.hidden)]) if lstm else None
    for start, stop, kids in batch.levels():
        kids = torch.from_numpy(kids)
        if lstm:
            h, c = compose(model, (hs[kids[:, 0]], cs[kids[:, 0]]), (hs[kids[:, 1]], cs[kids[:, 1]]))
            hs, cs = hs.clone(), cs.clone()  # no in-place writes into saved tensors
            hs[start:stop], cs[start:stop] = h, c
        else:
            h = compose(model, hs[kids[:, 0]], hs[kids[:, 1]], flat)
            hs = hs.clone()
            hs[start:stop] = h
    return model.classifier(hs)


def naive_loss(model: TreeModel, trees, word_id) -> torch.Tensor:
    """Mean node loss of ``trees`` computed by recursing over every node, one at a time."""
    logits, labels = [], []
    flat = bilinear_matrix(model)

    def visit(node):
        label = class_id(node.label())
        while len(node) == 1 and isinstance(node[0], treelib.Tree):
            node = node[0]
        if len(node) == 1:
            state = leaf(model, torch.tensor([word_id(node[0])]))
        else:
            state = compose(model, visit(node[0]), visit(node[1]), flat)
        h = state[0] if isinstance(state, tuple) else state
        logits.append(model.classifier(h))
        labels.append(label)
        return state

    for tree in trees:
        visit(tree)
    return F.cross_entropy(torch.cat(logits), torch.tensor(labels), ignore_index=-1)


def throughput(args) -> None:
    cores = torch.get_num_threads()
    train = read(args.train)
    vocab = tree_vocab(train)
    B = args.batch_size
    print(f"{len(train):,} trees, {len(vocab):,} words, batch {B}, hidden {args.hidden}")
    rows = []
    for cell in args.cells.split(","):
        # rnntool: the real training loop, one pass over a sample of the trees
        sample = train[:args.trees]
        # all three loops on one fixed count: --threads, else one for rnn and lstm (whose
        # small per-level operations gain nothing from more) and all cores for rntn
        threads = args.threads or (cores if cell == "rntn" else 1)
        settings = TreeSettings(cell=cell, hidden=args.hidden, batch_size=B, epochs=1,
                                threads=threads)
        with tempfile.TemporaryDirectory() as tmp:
            summary = treetraining.train(treetraining.TreeData(sample, None, None, {}), settings,
                                         os.path.join(tmp, "t.pt"))
        tool = summary["train_trees_per_second"]

        def loop(loss_of, steps):
            torch.set_num_threads(threads)
            torch.manual_seed(0)
            model = TreeModel(len(vocab), 5, args.hidden, args.hidden, cell)
            params = list(model.parameters())
            opt = torch.optim.Adagrad(params, lr=0.05, weight_decay=1e-5)
            start = time.perf_counter()
            for first in range(0, steps * B, B):
                apply_gradients(loss_of(model, train[first:first + B]), opt, params, 5.0)
            return steps * B / (time.perf_counter() - start)

        def batched(model, trees):
            batch = build_batch(trees, vocab.id_of, 5)
            return TreeModel.loss(autograd_logits(model, batch), batch.labels)

        plain = loop(batched, args.trees // B // 4)
        naive = loop(lambda model, trees: naive_loss(model, trees, vocab.id_of), args.naive_steps)
        rows.append((f"{cell} ({threads} thread{'s' if threads > 1 else ''})", tool, plain, naive))
        print(f"{cell}: rnntool {tool:,.0f} trees/s, plain level-batched with autograd "
              f"{plain:,.0f}, naive per-node recursion {naive:,.0f}", flush=True)
    print("\n| cell | rnntool (trees/s) | plain level-batched, autograd | naive recursion "
          "| rnntool / naive | rnntool / plain |")
    print("|---|---|---|---|---|---|")
    for cell, tool, plain, naive in rows:
        print(f"| {cell} | {tool:,.0f} | {plain:,.0f} | {naive:,.0f} | {tool / naive:.0f}x "
              f"| {tool / plain:.1f}x |")


def accuracy(args) -> None:
    dev_accuracy(["tree", args.train, "--cell", args.cell], args.dev, args.seeds, args.extra,
                 "roots", args.cell)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--train", required=True)
    t.add_argument("--cells", default="rnn,rntn,lstm")
    t.add_argument("--hidden", type=int, default=100)
    t.add_argument("--batch-size", type=int, default=25)
    t.add_argument("--trees", type=int, default=8544, help="trees in rnntool's timed pass")
    t.add_argument("--naive-steps", type=int, default=8)
    t.add_argument("--threads", type=int, default=None,
                   help="threads for all three loops (default: 1 for rnn and lstm, all for rntn)")
    a = sub.add_parser("accuracy")
    a.add_argument("--train", required=True)
    a.add_argument("--dev", required=True)
    a.add_argument("--cell", default="rnn")
    a.add_argument("--seeds", type=int, default=3)
    a.add_argument("extra", nargs="*", help="further `train tree` options, after --")
    args = parser.parse_args()
    {"throughput": throughput, "accuracy": accuracy}[args.what](args)


if __name__ == "__main__":
    main()
