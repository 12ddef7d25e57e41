"""Tag sets, entities and scores for sequence labelling: which tags a data set uses, whether
they are BIO/BIOES, the entities they mark, and how predicted tags score against gold ones.

Scores: token accuracy and per-tag precision/recall/F1, and, for BIO/BIOES tag sets,
entity precision/recall/F1 with the conventions of the CoNLL ``conlleval`` script; and the
most-frequent-tag baseline to compare a tagger with.

Not here: reading and writing tagged sentences (``rnntool.tagging``), batching, the model,
training loops and the command line.
"""

from __future__ import annotations

import collections
from typing import Iterable, Sequence

OUTSIDE = "O"
#: BIO prefixes, and BIOES's two more (E- ends an entity, S- is a single-token one).
ENTITY_PREFIXES = ("B", "I", "E", "S")


# --- tags and entities ---------------------------------------------------------------------

def tag_vocabulary(tag_lists: Iterable[Iterable[str]]) -> list[str]:
    """The distinct tags of ``tag_lists`` (one list a sentence), sorted."""
    return sorted({tag for tags in tag_lists for tag in tags})


def _split_tag(tag: str) -> tuple[str, str]:
    """``(prefix, type)``: ``("O", "")`` for ``O``; ``B-PER`` -> ``("B", "PER")``; a tag with
    no entity prefix is read as ``I-`` of itself (the IO scheme)."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    if len(tag) > 2 and tag[1] == "-" and tag[0] in ENTITY_PREFIXES:
        return tag[0], tag[2:]
    return "I", tag


def is_bio(tags: Iterable[str]) -> bool:
    """Whether ``tags`` (a flat iterable) is a BIO or BIOES tag set: every tag ``O`` or
    ``B-``/``I-``/``E-``/``S-`` followed by a type, and at least one that is not ``O``."""
    found = False
    for tag in tags:
        if tag == OUTSIDE:
            continue
        if not (len(tag) > 2 and tag[1] == "-" and tag[0] in ENTITY_PREFIXES):
            return False
        found = True
    return found


def _ends(prefix: str, kind: str, next_prefix: str, next_kind: str) -> bool:
    """Whether an entity tagged ``prefix-kind`` ends before a token tagged
    ``next_prefix-next_kind`` (conlleval's rules)."""
    if prefix in ("E", "S"):
        return True
    if prefix in ("B", "I"):
        return next_prefix in ("B", "S", OUTSIDE) or next_kind != kind
    return False


def _starts(prefix: str, kind: str, next_prefix: str, next_kind: str) -> bool:
    """Whether a token tagged ``next_prefix-next_kind`` after one tagged ``prefix-kind``
    starts an entity (conlleval's rules: a stray ``I-``/``E-`` starts one)."""
    if next_prefix == OUTSIDE:
        return False
    if next_prefix in ("B", "S"):
        return True
    return prefix in ("E", "S", OUTSIDE) or next_kind != kind


def entities(tags: Sequence[str]) -> set[tuple[str, int, int]]:
    """The entities of one sentence's BIO/BIOES ``tags`` as ``(type, start, end)`` (end
    exclusive), read as conlleval does: an ``I-X`` (or ``E-X``) that does not continue an
    entity of type X starts one, and a type change ends one."""
    found: set[tuple[str, int, int]] = set()
    prefix, kind = OUTSIDE, ""
    start: int | None = None
    for i, tag in enumerate(tags):
        next_prefix, next_kind = _split_tag(tag)
        if start is not None and _ends(prefix, kind, next_prefix, next_kind):
            found.add((kind, start, i))
            start = None
        if _starts(prefix, kind, next_prefix, next_kind):
            start = i
        prefix, kind = next_prefix, next_kind
    if start is not None:
        found.add((kind, start, len(tags)))
    return found


# --- metrics -------------------------------------------------------------------------------

def _prf(correct: int, predicted: int, gold: int) -> dict:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def tagging_report(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict:
    """Token accuracy, per-tag precision/recall/F1/support and, when the gold tags are
    BIO(ES), entity-level scores (``entities``, else None) of ``predicted`` against ``gold``
    (one tag list a sentence, the same lengths). Plain ints and floats, ready for JSON."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    gold_count: collections.Counter = collections.Counter()
    predicted_count: collections.Counter = collections.Counter()
    correct_count: collections.Counter = collections.Counter()
    for i, (gold_tags, predicted_tags) in enumerate(zip(gold, predicted)):
        if len(gold_tags) != len(predicted_tags):
            raise ValueError(f"sentence {i}: {len(gold_tags)} gold tags but "
                             f"{len(predicted_tags)} predicted")
        gold_count.update(gold_tags)
        predicted_count.update(predicted_tags)
        correct_count.update(g for g, p in zip(gold_tags, predicted_tags) if g == p)
    tokens = sum(gold_count.values())
    per_tag = {}
    for tag in sorted(set(gold_count) | set(predicted_count)):
        per_tag[tag] = {**_prf(correct_count[tag], predicted_count[tag], gold_count[tag]),
                        "support": gold_count[tag]}
    report = {"tokens": tokens, "sentences": len(gold),
              "token_accuracy": sum(correct_count.values()) / tokens if tokens else 0.0,
              "per_tag": per_tag, "entities": None}
    if is_bio(gold_count):
        report["entities"] = _entity_report(gold, predicted)
    return report


def _entity_report(gold, predicted) -> dict:
    gold_types: collections.Counter = collections.Counter()
    predicted_types: collections.Counter = collections.Counter()
    correct_types: collections.Counter = collections.Counter()
    for gold_tags, predicted_tags in zip(gold, predicted):
        gold_set, predicted_set = entities(gold_tags), entities(predicted_tags)
        gold_types.update(kind for kind, _, _ in gold_set)
        predicted_types.update(kind for kind, _, _ in predicted_set)
        correct_types.update(kind for kind, _, _ in gold_set & predicted_set)
    totals = [sum(c.values()) for c in (correct_types, predicted_types, gold_types)]
    per_type = {}
    for kind in sorted(set(gold_types) | set(predicted_types)):
        per_type[kind] = {**_prf(correct_types[kind], predicted_types[kind], gold_types[kind]),
                          "support": gold_types[kind]}
    return {**_prf(*totals), "gold": totals[2], "predicted": totals[1], "correct": totals[0],
            "per_type": per_type}


def _most_frequent(counts: collections.Counter) -> str:
    """The most frequent key, ties broken by the smallest key."""
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def most_frequent_tag_baseline(train_words: Sequence[Sequence[str]],
                               train_tags: Sequence[Sequence[str]],
                               words: Sequence[Sequence[str]]) -> list[list[str]]:
    """Tags for ``words`` by the simplest baseline: each word seen in training gets its most
    frequent training tag, an unseen word the most frequent tag overall (ties: smallest)."""
    by_word: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    overall: collections.Counter = collections.Counter()
    for sentence, tags in zip(train_words, train_tags):
        for word, tag in zip(sentence, tags):
            by_word[word][tag] += 1
            overall[tag] += 1
    if not overall:
        raise ValueError("no training tags")
    best = {word: _most_frequent(counts) for word, counts in by_word.items()}
    default = _most_frequent(overall)
    return [[best.get(word, default) for word in sentence] for sentence in words]
