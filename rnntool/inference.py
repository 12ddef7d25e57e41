"""Forward passes of trained models, for predicting and for evaluating.

Every function here runs its model in eval mode without autograd and puts the model back
in the training or eval mode it found it in, so training code can call them for a
validation pass in the middle of a run. Inputs are already in the model's terms (ids,
normalized binary trees, word lists with the vocabulary to look them up in, normalized
windows); batching follows the sizes given, which the callers keep fixed so that the
numbers do not move.

Not here: reading files, checking labels, scores and reports (``rnntool.evaluate`` and the
kinds' use modules, ``rnntool.kinds``), output records (``rnntool.predicting`` and the use
modules), generating text (``rnntool.sampling``). torch is imported by the functions.
"""

from __future__ import annotations

import contextlib

import numpy as np


@contextlib.contextmanager
def evaluating(model):
    """``model`` in eval mode with autograd off for the block; its mode as it was after."""
    import torch

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def lm_loss(model, ids: np.ndarray, batch_size: int = 64, seq_len: int = 256,
            min_stream: int = 1024) -> float:
    """Mean loss of a language model on ``ids``, read as up to ``batch_size`` side-by-side
    streams with the state carried along each (fewer streams for a short text, so that each
    is at least ``min_stream`` long). The first token of each stream and the last
    ``len(ids) % streams`` tokens are not predicted."""
    import torch.nn.functional as F
    from rnntool.data import StreamBatches

    batch_size = max(1, min(batch_size, len(ids) // min_stream))
    batches = StreamBatches(ids, batch_size, seq_len, what="evaluation text")
    total, count, state = 0.0, 0, None
    with evaluating(model):
        for inputs, targets in batches:
            logits, state = model(inputs, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                     reduction="sum").item()
            count += targets.numel()
    return total / count


def tree_predictions(model, trees, vocab, *, binary: bool = False, classes=None,
                     batch_size: int = 200) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(labels, predicted, roots)`` for each batch of ``trees``: the gold label of every
    node of the flattened batch (SST binary convention applied with ``binary``; -1
    unlabelled), the model's predicted class of every node, and the index of each tree's
    root among them."""
    from rnntool.treebatch import build_batch, sst_binary

    found = []
    with evaluating(model):
        for start in range(0, len(trees), batch_size):
            batch = build_batch(trees[start:start + batch_size], vocab.id_of,
                                None if binary else classes)
            labels = sst_binary(batch.labels) if binary else batch.labels
            found.append((labels, model(batch).argmax(-1).numpy(), batch.roots))
    return found


def tree_probabilities(model, vocab, trees: list) -> list:
    """For each of ``trees`` (normalized binary trees), a [nodes, classes] float32 array of
    the class probabilities of its nodes in postorder (the order of
    ``rnntool.treebatch.relabel``; the root is the last row), all computed in one batch."""
    import torch
    from rnntool.treebatch import build_batch

    batch = build_batch(trees, vocab.id_of)
    with evaluating(model):
        probs = torch.softmax(model(batch), dim=-1).numpy()
    order = batch.tree_order()
    ends = batch.tree_sizes().cumsum()
    starts = ends - batch.tree_sizes()
    return [probs[order[starts[i]:ends[i]]] for i in range(len(trees))]


def sequence_probabilities(model, sequences: list, batch_size: int = 256) -> np.ndarray:
    """[len(sequences), classes] class probabilities of a sequence classifier for id arrays
    (each at least one id long), computed in batches of similar length."""
    import torch
    from rnntool.data import pad

    order = np.argsort([len(s) for s in sequences], kind="stable")
    out = np.empty((len(sequences), model.config["classes"]), dtype=np.float32)
    with evaluating(model):
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            ids, lengths = pad([sequences[i] for i in rows])
            out[rows] = torch.softmax(model(ids, lengths), dim=-1).numpy()
    return out


def sentence_probabilities(model, vocab, sentences: list[list[str]]) -> np.ndarray:
    """[len(sentences), classes] float32 class probabilities of a sentence classifier for
    word lists (each at least one word long), looked up in its vocabulary ``vocab``."""
    return sequence_probabilities(model, [vocab.ids_of(words) for words in sentences])


def tag_sentences(model, vocab, chars, tags: list[str], sentences: list[list[str]],
                  batch_size: int = 128) -> list[list[str]]:
    """The tagger's tag of every word of ``sentences`` (an empty sentence gets no tags);
    ``vocab`` and ``chars`` are its word and character vocabularies (``chars`` None without
    a character encoder)."""
    from rnntool.data import encode_batch, sentence_ids

    result: list[list[str]] = [[] for _ in sentences]
    filled = [i for i, s in enumerate(sentences) if s]
    with evaluating(model):
        for start in range(0, len(filled), batch_size):
            chunk = filled[start:start + batch_size]
            ids, char_ids = sentence_ids([sentences[i] for i in chunk], vocab, chars)
            batch = encode_batch(ids, None, char_ids)
            best = model(batch["ids"], batch["lengths"], batch.get("chars"),
                         batch.get("char_lengths")).argmax(-1)
            for row, i in enumerate(chunk):
                result[i] = [tags[t] for t in best[row, :len(sentences[i])].tolist()]
    return result


def parse_sentences(model, vocab, chars, sentences: list[list[str]],
                    batch_size: int = 256) -> list[set[tuple[int, int]]]:
    """The spans of the parser's best binary tree of every sentence of ``sentences``
    (``rnntool.spans``; an empty sentence gets none); ``vocab`` and ``chars`` are its word
    and character vocabularies (``chars`` None without a character encoder). Sentences are
    batched by length, so little is padded, at most ``batch_size`` of them and
    ``rnntool.models.parser.SPAN_BUDGET`` spans a batch."""
    from rnntool.data import encode_batch, sentence_ids
    from rnntool.models.parser import MAX_TOKENS, SPAN_BUDGET

    if any(len(s) > MAX_TOKENS for s in sentences):
        raise ValueError(f"the parser parses sentences of at most {MAX_TOKENS} tokens")
    result: list[set[tuple[int, int]]] = [set() for _ in sentences]
    filled = sorted((i for i, s in enumerate(sentences) if s), key=lambda i: len(sentences[i]))
    batches: list[list[int]] = []
    for i in filled:  # longest last: a batch is as long as its last sentence
        spans = model.spans_per_sentence(len(sentences[i]))
        if (not batches or len(batches[-1]) >= batch_size
                or (len(batches[-1]) + 1) * spans > SPAN_BUDGET):
            batches.append([])
        batches[-1].append(i)
    with evaluating(model):
        for chunk in batches:
            ids, char_ids = sentence_ids([sentences[i] for i in chunk], vocab, chars)
            batch = encode_batch(ids, None, char_ids)
            scores = model(batch["ids"], batch["lengths"], batch.get("chars"),
                           batch.get("char_lengths"))
            for i, spans in zip(chunk, model.decode(scores, batch["lengths"])):
                result[i] = spans
    return result


def forecasts(model, windows: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """A forecaster's [len(windows), horizon] forecasts (float64, normalized as its inputs
    are) for normalized windows [n, window, inputs]."""
    import torch

    windows = np.asarray(windows, dtype=np.float32)
    with evaluating(model):
        predicted = torch.cat([model(torch.from_numpy(windows[i:i + batch_size]))
                               for i in range(0, len(windows), batch_size)])
    return predicted.numpy().astype(np.float64)
