"""The span-based parser in use: ``SpanParser`` (raw sentences to binary trees, for
``rnntool parse --model``, ``rnntool predict --parser`` and ``rnntool predict`` of a parser
checkpoint), ``Model.predict``, its evaluation report (bracket scores) and how it looks.

A parser has no labels; it gives every sentence an unlabelled binary tree whose inner
nodes are labelled ``X``, as ``rnntool parse --shape`` does. Not here: training
(``rnntool.training.parser``), the model (``rnntool.models.parser``), CKY and bracket
scores (``rnntool.spans``), turning input lines into trees (``rnntool.parsing``).
"""

from __future__ import annotations

from rnntool import predicting
from rnntool.errors import OptionError
from rnntool.kinds.tagger import char_damage, chars_of


def labels(training: dict) -> None:
    """A parser has no class labels."""
    return None


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded parser checkpoint (None: nothing): its character
    vocabulary must be there when its model has a character encoder, and fit it."""
    record, config = checkpoint["training"].get("parser"), checkpoint["model"]["config"]
    if not isinstance(record, dict) or "chars" not in record:
        return "its parser record is missing"
    return char_damage(record, config)


class SpanParser:
    """A trained parser as a function: token lists in, binary trees out (``X`` inner
    nodes, the tokens as bare leaves), in batches. ``rnntool.parsing.TreeMaker`` takes one
    as its ``parser``."""

    def __init__(self, module, vocab, chars, batch_size: int = 256):
        self.module, self.vocab, self.chars = module, vocab, chars
        self.batch_size = batch_size

    @classmethod
    def load(cls, path: str) -> "SpanParser":
        """The parser of checkpoint ``path`` (a CheckpointError when it is another kind)."""
        from rnntool import checkpoint as ckpt
        data = ckpt.load(path, kind="parser")
        return cls.from_checkpoint(data, path)

    @classmethod
    def from_checkpoint(cls, data: dict, path: str) -> "SpanParser":
        from rnntool import checkpoint as ckpt
        return cls(ckpt.restore_model(data, path), ckpt.restore_vocab(data, path),
                   chars_of(data["training"]["parser"]))

    def spans(self, sentences: list[list[str]]) -> list[set[tuple[int, int]]]:
        """The spans of each sentence's best tree (``rnntool.spans``)."""
        from rnntool.inference import parse_sentences
        return parse_sentences(self.module, self.vocab, self.chars, sentences,
                               self.batch_size)

    def __call__(self, sentences: list[list[str]]) -> list:
        """The tree of each sentence; None for one longer than ``MAX_TOKENS`` (its reason
        in ``refusal``), which ``rnntool.parsing.TreeMaker`` gives a shape instead."""
        from rnntool.models.parser import MAX_TOKENS
        from rnntool.parsing import SHAPE_LABEL
        from rnntool.spans import spans_tree

        fit = [i for i, tokens in enumerate(sentences) if len(tokens) <= MAX_TOKENS]
        found: list = [None] * len(sentences)
        for i, spans in zip(fit, self.spans([sentences[i] for i in fit])):
            found[i] = spans_tree(sentences[i], spans, SHAPE_LABEL)
        return found

    @property
    def refusal(self) -> str:
        """Why a sentence got no tree (``__call__`` gave None)."""
        from rnntool.models.parser import MAX_TOKENS
        return f"longer than the trained parser's limit of {MAX_TOKENS}"


# --- rnntool predict ------------------------------------------------------------------------

def predict_command(data: dict, path: str, request: predicting.Request) -> None:
    """Parse every line of the input as ``rnntool parse --model`` does: one tree a line in
    brackets (``trees``, ``label``) or drawn (``pretty``)."""
    from rnntool import console, parsing, trees

    if request.output not in ("trees", "label", "pretty"):
        raise OptionError(f"--output {request.output} is not for a parser; use trees (one "
                          f"tree a line) or pretty")
    maker = request.tree_maker()
    if maker.parser is not None:
        raise OptionError("--parser is for tree models; this checkpoint is a parser itself")
    maker.parser = SpanParser.from_checkpoint(data, path)
    render = trees.pretty if request.output == "pretty" else trees.to_brackets
    for tree in parsing.make_trees(request.paths("sentences"), maker, render=render,
                                   strict=request.strict, warn=console.warn,
                                   **request.reading):
        request.out.write(("" if tree is None else tree) + "\n")
    request.out.flush()


# --- the Python API -------------------------------------------------------------------------

def predict(model, items, *, shape: str = "right", **_options):
    """``Model.predict``: the binary tree of each sentence (a raw string, tokenized as
    ``rnntool parse`` tokenizes raw sentences, or a list of tokens); one sentence gives one
    tree. A sentence longer than the parser's limit gets ``shape``, as ``rnntool parse
    --model`` gives it."""
    from rnntool.errors import InputError
    from rnntool.parsing import shape_tree, tokens_of

    single = isinstance(items, str)
    sentences = [items] if single else list(items)
    tokens = [tokens_of(s) if isinstance(s, str) else [str(w) for w in s] for s in sentences]
    for number, words in enumerate(tokens, 1):
        if not words:
            raise InputError(f"item {number}: no words to parse")
    parser = SpanParser(model.module, model.vocab, chars_of(model.training["parser"]))
    found = [tree if tree is not None else shape_tree(words, shape)
             for tree, words in zip(parser(tokens), tokens)]
    return found[0] if single else found


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text=None, input: str = "auto", encoding: str = "utf-8",
             errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on bracketed trees (a treebank
    file, or NLTK trees), binarized as the parser's training trees were: unlabelled bracket
    precision, recall, F1 (the whole sentence and single words not counted) and exact
    match, overall and by length. Trees of more words than the parser's limit are left
    out, with a warning."""
    from rnntool.console import warn
    from rnntool.errors import InputError
    from rnntool.spans import bracket_scores
    from rnntool.training.inputs import is_path
    from rnntool.training.parser import parsed_sentences, within_limit

    settings = model.training.get("settings", {})
    gold = within_limit(parsed_sentences(data, "evaluation",
                                         factor=settings.get("factor", "right"),
                                         encoding=encoding, errors=errors), "evaluation", warn)
    if not gold.tokens:
        where = f"{data}: " if is_path(data) else ""
        raise InputError(f"{where}no trees to evaluate on")
    parser = SpanParser(model.module, model.vocab, chars_of(model.training["parser"]))
    predicted = parser.spans(gold.tokens)
    report = bracket_scores(gold.spans, predicted, [len(t) for t in gold.tokens])
    return {"kind": "parser", **report}


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    lines = [f"sentences: {report['sentences']}, brackets: {report['brackets']}",
             f"bracket precision {report['precision']:.4f}, recall {report['recall']:.4f}, "
             f"F1 {report['f1']:.4f}; exact match {report['exact_match']:.4f}",
             "", "by sentence length:",
             f"{'length':>7}  sentences  precision  recall      f1   exact"]
    lines += [f"{name:>7}  {row['sentences']:9d}  {row['precision']:9.4f}  "
              f"{row['recall']:6.4f}  {row['f1']:6.4f}  {row['exact_match']:6.4f}"
              for name, row in report["by_length"].items()]
    return lines


def report_tables(report: dict, title: str) -> list:
    """The report as rich tables: a summary, then the scores by sentence length."""
    from rich.table import Table

    from rnntool.kinds.tables import summary_table

    tables = [summary_table(title, {
        "sentences": str(report["sentences"]), "brackets": str(report["brackets"]),
        "precision": f"{report['precision']:.4f}", "recall": f"{report['recall']:.4f}",
        "F1": f"{report['f1']:.4f}", "exact match": f"{report['exact_match']:.4f}"})]
    table = Table(title="by sentence length")
    for name in ("length", "sentences", "precision", "recall", "f1", "exact match"):
        table.add_column(name, justify="right")
    for name, row in report["by_length"].items():
        table.add_row(name, str(row["sentences"]), f"{row['precision']:.4f}",
                      f"{row['recall']:.4f}", f"{row['f1']:.4f}", f"{row['exact_match']:.4f}")
    tables.append(table)
    return tables
