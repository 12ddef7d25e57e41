"""Measuring models: figures computed from gold labels and predictions, and the baselines to
judge a language model's loss by.

Losses are mean negative log-likelihoods in nats per predicted token; ``bits`` converts to
bits per token (bits per character for a char-level model). ``classification_report`` turns
gold and predicted class ids into accuracy, macro-F1, per-class scores and a confusion
matrix, for every kind's report; ``tree_accuracy`` is a tree model's validation figure.

Not here: forward passes (``rnntool.inference``), each kind's whole report and how it is
shown (its use module, ``rnntool.kinds``), training, files.
"""

from __future__ import annotations

import math

import numpy as np

LN2 = math.log(2.0)


def bits(nats: float) -> float:
    return nats / LN2


def unigram_loss(counts: np.ndarray, ids: np.ndarray, smoothing: float = 1.0) -> float:
    """Loss on ``ids`` of a model that predicts each token by its (add-``smoothing``) frequency.

    ``counts[i]`` is how often id ``i`` was seen in training text.
    """
    probs = (np.asarray(counts, dtype=np.float64) + smoothing)
    probs /= probs.sum()
    return float(-np.log(probs[np.asarray(ids, dtype=np.int64)]).mean())


def tree_accuracy(model, trees, vocab, *, binary: bool = False, classes=None) -> dict:
    """Root accuracy (over trees whose root is labelled) and all-nodes accuracy (over
    labelled nodes). Under ``binary``, neutral nodes and neutral-root trees do not count."""
    from rnntool.inference import tree_predictions

    roots_right = roots_total = nodes_right = nodes_total = 0
    for labels, predicted, roots in tree_predictions(model, trees, vocab, binary=binary,
                                                     classes=classes):
        labelled = labels >= 0
        nodes_right += int((predicted[labelled] == labels[labelled]).sum())
        nodes_total += int(labelled.sum())
        root_labels, root_pred = labels[roots], predicted[roots]
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
