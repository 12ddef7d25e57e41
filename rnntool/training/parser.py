"""Training the span-based parser: unlabelled binary trees for raw sentences.

``read_data`` reads treebanks (one bracketed tree a line: SST, Penn Treebank style, or
``rnntool parse`` output; or NLTK trees in memory), binarized as ``rnntool parse`` binarizes
them, and keeps each sentence's tokens and the spans of its tree; ``train`` builds the word
and character vocabularies and the model and runs the shared epoch loop over
length-bucketed, packed batches with the structured hinge loss, keeping the checkpoint with
the best development bracket F1. Under torchrun each rank computes every N-th sentence of a
batch.

Not here: the model and its loss (``rnntool.models.parser``), CKY and bracket scores
(``rnntool.spans``), tree reading (``rnntool.trees``), the shared loop
(``rnntool.training.engine``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from rnntool import checkpoint
from rnntool.console import ProgressReporter
from rnntool.console import warn as console_warn
from rnntool.distributed import SINGLE, Group
from rnntool.errors import RnnToolError
from rnntool.training import inputs
from rnntool.training.engine import (Checkpointer, data_digest, fit_epochs, new_record,
                                     resuming)
from rnntool.training.tagger import word_and_char_vocabs


@dataclass
class ParsedSentences:
    """Sentences with their trees: the tokens of each and the spans of its binary tree
    (``rnntool.spans.tree_spans``)."""

    tokens: list[list[str]]
    spans: list[set[tuple[int, int]]]


@dataclass
class ParserData:
    """What a parser trains on: training and (or None) development sentences with their
    trees, and where they came from."""

    train: ParsedSentences
    dev: ParsedSentences | None
    source: dict


def parsed_sentences(source, what: str, *, factor: str = "right", on_error: str = "error",
                     warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
                     errors: str = "strict") -> ParsedSentences:
    """The tokens and tree spans of ``source``: treebank files (a path or a list of paths,
    one bracketed tree a line) or NLTK trees in memory (``what`` names them in errors),
    binarized with ``factor`` as ``rnntool parse`` does."""
    from rnntool import trees
    from rnntool.spans import tree_spans

    paths = inputs.paths(source)
    if paths is not None:
        read = (tree for path in paths for tree in trees.read_treebank(
            path, on_error=on_error, warn=warn, encoding=encoding, errors=errors))
    else:
        read = []
        for number, tree in enumerate(source, 1):
            if not isinstance(tree, trees.Tree):
                raise TypeError(f"{what} tree {number}: expected an nltk Tree, not "
                                f"{type(tree).__name__}")
            read.append(inputs.copy_tree(tree))
    found = ParsedSentences([], [])
    for tree in read:
        tokens, spans = tree_spans(trees.normalize(tree, factor))
        if tokens:
            found.tokens.append(tokens)
            found.spans.append(spans)
    return found


def within_limit(sentences: ParsedSentences, what: str, warn: Callable[[str], None]):
    """``sentences`` without those longer than the parser's limit (``MAX_TOKENS``), with a
    warning that counts them."""
    from rnntool.models.parser import MAX_TOKENS

    keep = [i for i, tokens in enumerate(sentences.tokens) if len(tokens) <= MAX_TOKENS]
    if len(keep) == len(sentences.tokens):
        return sentences
    dropped = len(sentences.tokens) - len(keep)
    warn(f"left out {dropped:,} {what} tree{'s' if dropped > 1 else ''} of more than "
         f"{MAX_TOKENS} words (the parser's limit)")
    return ParsedSentences([sentences.tokens[i] for i in keep],
                           [sentences.spans[i] for i in keep])


def span_limited(batch, lengths, spans_per_sentence) -> list:
    """``batch`` (sentence indices) cut into consecutive pieces that each score at most
    ``rnntool.models.parser.SPAN_BUDGET`` spans: all of it unless its sentences are long."""
    from rnntool.models.parser import SPAN_BUDGET

    longest = int(lengths[batch].max()) if len(batch) else 0
    size = max(1, SPAN_BUDGET // max(1, spans_per_sentence(longest)))
    return [batch[i:i + size] for i in range(0, len(batch), size)]


def read_data(train, dev=None, *, settings, on_error: str = "error",
              warn: Callable[[str], None] = console_warn, encoding: str = "utf-8",
              errors: str = "strict") -> ParserData:
    """The training data of a parser: ``train`` and ``dev`` (None: no validation) as
    treebank files or NLTK trees (``parsed_sentences``)."""
    options = dict(factor=settings.factor, on_error=on_error, warn=warn, encoding=encoding,
                   errors=errors)
    return ParserData(parsed_sentences(train, "training", **options),
                      parsed_sentences(dev, "development", **options)
                      if dev is not None else None,
                      {"train": inputs.recorded(train), "dev": inputs.recorded(dev)})


def train(data: ParserData, settings, output: str, *, resume: dict | None = None,
          resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a span-based parser on ``data``. Sentences of similar length are batched
    together and run packed. Each epoch parses the development sentences (if any) and
    scores their brackets (``rnntool.spans.bracket_scores``); the best F1 chooses the
    checkpoint. The word and
    character vocabularies are kept in the checkpoint. ``resume``, ``group``, ``metrics``
    as for ``rnntool.training.lm.train``.
    """
    import torch
    from rnntool.data import LengthBatches, encode_batch, sentence_ids
    from rnntool.inference import parse_sentences
    from rnntool.memory import new_model
    from rnntool.models.parser import ParserModel
    from rnntool.optim import RowSparseOptimizer
    from rnntool.spans import bracket_scores
    from rnntool.vocab import Vocab

    settings.check()
    is_main = group.is_main
    reporter = progress or ProgressReporter("train parser", enabled=is_main)
    say = console_warn if is_main else (lambda message: None)
    train_data = within_limit(data.train, "training", say)
    dev_data = within_limit(data.dev, "development", say) if data.dev is not None else None
    if not train_data.tokens:
        raise RnnToolError("there are no training trees")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
        record = resume["training"]["parser"]
        chars = Vocab.from_dict(record["chars"]) if record["chars"] else None
    else:
        vocab, chars = word_and_char_vocabs(train_data.tokens, settings)
    dev_tokens = dev_data.tokens if dev_data is not None and dev_data.tokens else None

    sequences, char_ids = sentence_ids(train_data.tokens, vocab, chars)
    gold = train_data.spans
    batches = LengthBatches(sequences, np.zeros(len(sequences), dtype=np.int64),
                            settings.batch_size, seed=settings.random_seed)
    lengths = np.array([len(s) for s in sequences])

    def epoch_batches():
        return [piece for batch in batches.epoch()
                for piece in span_limited(batch, lengths, ParserModel.spans_per_sentence)]
    model = new_model(settings, ParserModel, len(vocab), embed=settings.embed,
                      hidden=settings.hidden, layers=settings.layers, dropout=settings.dropout,
                      char_vocab_size=len(chars) if chars is not None else 0,
                      char_embed=settings.char_embed, char_hidden=settings.char_hidden,
                      span_hidden=settings.span_hidden)
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", settings.lr,
                                   settings.weight_decay)
    net = group.wrap(model)
    spans_digest = [np.array(sorted(s), dtype=np.int64).reshape(-1) for s in gold]
    record = new_record(settings, {**data.source, **(extra_settings or {})}, "sentences_seen",
                        "best_dev_f1", data_digest(sequences, spans_digest, vocab.tokens),
                        parser={"chars": chars.to_dict() if chars else None})
    saver = Checkpointer("parser", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)
    n, tokens = len(sequences), sum(len(s) for s in sequences)
    reporter.message(f"{resuming(position)}training a span parser ({settings.layers}x"
                     f"{settings.hidden} BiLSTM{', character encoder' if chars else ''}) on "
                     f"{n:,} trees ({tokens:,} words, a vocabulary of {len(vocab):,}); "
                     + (f"validating on {len(dev_tokens):,} trees each epoch" if dev_tokens
                        else "no validation"))

    def step_loss(indices):
        batch = encode_batch([sequences[i] for i in indices], None,
                             [char_ids[i] for i in indices] if char_ids is not None else None)
        scores = net(batch["ids"], batch["lengths"], batch.get("chars"),
                     batch.get("char_lengths"))
        return ParserModel.margin_loss(scores, batch["lengths"], [gold[i] for i in indices])

    def validate():
        predicted = parse_sentences(model, vocab, chars, dev_tokens)
        report = bracket_scores(dev_data.spans, predicted, [len(s) for s in dev_tokens])
        f1, exact = group.broadcast([report["f1"], report["exact_match"]])
        return (f1, {"dev_f1": f1, "dev_exact_match": exact},
                f"dev bracket F1 {f1:.4f}, exact match {exact:.4f}")

    return fit_epochs(model, saver, settings, epoch_batches, batches, step_loss,
                      validate if dev_tokens else None, reporter, unit="sentences",
                      best_key="best_dev_f1", position=position, metrics=metrics,
                      group=group)
