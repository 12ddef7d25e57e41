"""Measuring models: held-out loss of language models and the baselines to judge it by.

Losses are mean negative log-likelihoods in nats per predicted token; ``bits`` converts to
bits per token (bits per character for a char-level model). Not here: training, files.
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)


def bits(nats: float) -> float:
    return nats / LN2


def lm_loss(model, ids: np.ndarray, batch_size: int = 64, seq_len: int = 256,
            min_stream: int = 1024) -> float:
    """Mean loss of a language model on ``ids``, read as up to ``batch_size`` side-by-side
    streams with the state carried along each (fewer streams for a short text, so that each
    is at least ``min_stream`` long). The first token of each stream and the last
    ``len(ids) % streams`` tokens are not predicted."""
    import torch
    import torch.nn.functional as F
    from rnntool.data import StreamBatches

    batch_size = max(1, min(batch_size, len(ids) // min_stream))
    batches = StreamBatches(ids, batch_size, seq_len, what="evaluation text")
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for inputs, targets in batches:
            logits, state = model(inputs, state)
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                     reduction="sum").item()
            count += targets.numel()
    model.train(was_training)
    return total / count


def unigram_loss(counts: np.ndarray, ids: np.ndarray, smoothing: float = 1.0) -> float:
    """Loss on ``ids`` of a model that predicts each token by its (add-``smoothing``) frequency.

    ``counts[i]`` is how often id ``i`` was seen in training text.
    """
    probs = (np.asarray(counts, dtype=np.float64) + smoothing)
    probs /= probs.sum()
    return float(-np.log(probs[np.asarray(ids, dtype=np.int64)]).mean())


def tree_predictions(model, trees, vocab, *, binary: bool = False, classes=None,
                     batch_size: int = 200):
    """Yield ``(batch, labels, predicted)`` for ``trees`` in batches: the flattened batch, its
    gold labels (SST binary convention applied with ``binary``; -1 unlabelled) and the
    model's predicted class of every node."""
    import torch
    from rnntool.treebatch import build_batch, sst_binary

    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(trees), batch_size):
            batch = build_batch(trees[start:start + batch_size], vocab.id_of,
                                None if binary else classes)
            labels = sst_binary(batch.labels) if binary else batch.labels
            predicted = model(batch).argmax(-1).numpy()
            yield batch, labels, predicted
    model.train(was_training)


def tree_accuracy(model, trees, vocab, *, binary: bool = False, classes=None) -> dict:
    """Root accuracy (over trees whose root is labelled) and all-nodes accuracy (over
    labelled nodes). Under ``binary``, neutral nodes and neutral-root trees do not count."""
    roots_right = roots_total = nodes_right = nodes_total = 0
    for batch, labels, predicted in tree_predictions(model, trees, vocab, binary=binary,
                                                     classes=classes):
        labelled = labels >= 0
        nodes_right += int((predicted[labelled] == labels[labelled]).sum())
        nodes_total += int(labelled.sum())
        root_labels, root_pred = labels[batch.roots], predicted[batch.roots]
        counted = root_labels >= 0
        roots_right += int((root_pred[counted] == root_labels[counted]).sum())
        roots_total += int(counted.sum())
    return {"root_accuracy": roots_right / roots_total if roots_total else float("nan"),
            "all_accuracy": nodes_right / nodes_total if nodes_total else float("nan"),
            "roots": roots_total, "nodes": nodes_total}


def classification_report(gold: np.ndarray, predicted: np.ndarray, classes: int) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix
    (rows: gold class, columns: predicted class) over the items whose gold label is >= 0."""
    keep = gold >= 0
    gold, predicted = gold[keep], predicted[keep]
    confusion = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(confusion, (gold, np.clip(predicted, 0, classes - 1)), 1)
    per_class = []
    for c in range(classes):
        right = int(confusion[c, c])
        guessed, actual = int(confusion[:, c].sum()), int(confusion[c].sum())
        precision = right / guessed if guessed else 0.0
        recall = right / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append({"class": c, "precision": precision, "recall": recall, "f1": f1,
                          "support": actual})
    total = int(confusion.sum())
    return {"accuracy": float(np.trace(confusion) / total) if total else float("nan"),
            "macro_f1": float(np.mean([row["f1"] for row in per_class])),
            "count": total, "per_class": per_class, "confusion": confusion.tolist()}


def tree_report(model, trees, vocab, *, binary: bool, classes: int) -> dict:
    """Everything ``rnntool eval`` says about a tree model on labelled ``trees``.

    ``binary``: the model was trained with the SST binary convention (2 classes). A
    fine-grained model (5 classes) is also scored in the binary view: gold and predicted
    labels mapped by the SST convention, neutral-gold nodes left out, a neutral prediction
    counting as wrong.
    """
    from rnntool.treebatch import sst_binary

    roots_gold, roots_pred, nodes_gold, nodes_pred = [], [], [], []
    for batch, labels, predicted in tree_predictions(model, trees, vocab, binary=binary,
                                                     classes=classes):
        roots_gold.append(labels[batch.roots])
        roots_pred.append(predicted[batch.roots])
        nodes_gold.append(labels)
        nodes_pred.append(predicted)
    roots_gold, roots_pred = np.concatenate(roots_gold), np.concatenate(roots_pred)
    nodes_gold, nodes_pred = np.concatenate(nodes_gold), np.concatenate(nodes_pred)
    report = {"kind": "tree", "trees": len(trees), "classes": classes,
              "view": "binary" if binary else "fine-grained",
              "roots": classification_report(roots_gold, roots_pred, classes),
              "all_nodes": classification_report(nodes_gold, nodes_pred, classes)}
    if not binary and classes == 5:
        def binary_view(gold, pred):
            gold_b, pred_b = sst_binary(gold), sst_binary(pred)
            keep = gold_b >= 0
            return float((pred_b[keep] == gold_b[keep]).mean()) if keep.any() else float("nan")
        report["binary_view"] = {"root_accuracy": binary_view(roots_gold, roots_pred),
                                 "all_accuracy": binary_view(nodes_gold, nodes_pred)}
    return report


def sequence_probabilities(model, sequences: list, batch_size: int = 256) -> np.ndarray:
    """[len(sequences), classes] class probabilities of a sequence classifier for id arrays
    (each at least one id long), computed in batches of similar length."""
    import torch
    from rnntool.data import pad

    was_training = model.training
    model.eval()
    order = np.argsort([len(s) for s in sequences], kind="stable")
    out = np.empty((len(sequences), model.config["classes"]), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            ids, lengths = pad([sequences[i] for i in rows])
            out[rows] = torch.softmax(model(ids, lengths), dim=-1).numpy()
    model.train(was_training)
    return out


def sentence_report(model, vocab, labels: list[str], tokens: list[list[str]],
                    classes: list[str], *, binary: bool = False) -> dict:
    """Everything ``rnntool eval`` says about a sequence classifier on labelled sentences:
    accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix (rows: gold,
    columns: predicted, in the order of ``classes``, the model's labels)."""
    from rnntool.errors import RnnToolError

    index = {label: i for i, label in enumerate(classes)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise RnnToolError(f"the data holds label {unknown[0]!r}, which the model does not "
                           f"know (its labels: {', '.join(classes)})")
    gold = np.array([index[label] for label in labels], dtype=np.int64)
    probs = sequence_probabilities(model, [vocab.ids_of(t) for t in tokens])
    scores = classification_report(gold, probs.argmax(1), len(classes))
    for row in scores["per_class"]:
        row["label"] = classes[row["class"]]
    return {"kind": "sentiment", "labels": classes,
            "view": "binary" if binary else "labels", "sentences": scores}


def forecast_report(model, series_record: dict, values: np.ndarray, name: str) -> dict:
    """A forecaster scored on every window of ``values`` ([steps, inputs], the trained
    columns, in the series' units): mean absolute and root-mean-square error of its
    forecasts and of the naive forecast that repeats the last value (``rnntool eval``)."""
    import torch
    from rnntool.errors import InputError
    from rnntool.series import Normalizer, forecast_scores, make_windows

    window, horizon = int(series_record["window"]), int(series_record["horizon"])
    target = int(series_record["target"])
    from rnntool.predicting import check_columns
    scaler = Normalizer.from_dict(series_record["normalizer"])
    check_columns(np.asarray(values), series_record, name)
    x, y = make_windows(scaler.apply(np.asarray(values, dtype=np.float64)), target, window,
                        horizon)
    if not len(x):
        raise InputError(f"{name}: {len(values)} steps, too few for one window of {window} "
                         f"and {horizon} to forecast")
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(torch.from_numpy(x[i:i + 1024]))
                               for i in range(0, len(x), 1024)]).numpy().astype(np.float64)
    scores = forecast_scores(scaler.invert_target(predicted, target),
                             scaler.invert_target(y.astype(np.float64), target),
                             scaler.invert_target(x[:, -1, target].astype(np.float64), target))
    return {"kind": "forecast", "target": series_record["names"][target], "steps": len(values),
            **scores}
