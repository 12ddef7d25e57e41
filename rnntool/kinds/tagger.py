"""The tagger in use: its labels (its tags), ``rnntool predict`` and ``Model.predict``, its
evaluation report and how the report looks.

A tagger reads sentences as lists of words (raw text, CoNLL columns or word/TAG lines) and
gives every word a tag. Not here: reading and writing those formats (``rnntool.tagging``),
the scores (``rnntool.tagscores``), training (``rnntool.training.tagger``), the model
(``rnntool.models.tagger``), forward passes (``rnntool.inference``).
"""

from __future__ import annotations

from rnntool import predicting
from rnntool.errors import CheckpointError, OptionError


def labels(training: dict) -> list[str]:
    """The tags, by tag id."""
    return [str(tag) for tag in training["tagger"]["tags"]]


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded tagger checkpoint (None: nothing): it must hold one tag
    (a string) for each output of its model, and the character vocabulary of its character
    encoder, if it has one."""
    record, config = checkpoint["training"].get("tagger"), checkpoint["model"]["config"]
    tags = record.get("tags") if isinstance(record, dict) else None
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        return "its list of tags is missing"
    if len(tags) != config["tags"] or len(set(tags)) != len(tags):
        return f"it holds {len(tags)} tags for the {config['tags']} outputs of its model"
    return char_damage(record, config)


def char_damage(record: dict, config: dict) -> str | None:
    """What is wrong with the character vocabulary of a record (``record["chars"]``) for
    the character encoder of a model's ``config`` (None: nothing; shared with the
    parser)."""
    try:
        chars = len(chars_of(record)) if record.get("chars") else 0
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return f"bad character vocabulary ({exc})"
    if chars != config.get("char_vocab_size", 0):
        return (f"its character vocabulary has {chars} characters, but its model reads "
                f"{config.get('char_vocab_size', 0)}")
    return None


def chars_of(record: dict):
    """The character vocabulary of a training record's ``chars`` (the tagger's or the
    parser's; None without a character encoder)."""
    from rnntool.vocab import Vocab
    return Vocab.from_dict(record["chars"]) if record["chars"] else None


def _tag(module, vocab, chars, record: dict, sentences: list[list[str]]) -> list[list[str]]:
    """The tags of ``sentences`` by the tagger whose training record is ``record``."""
    from rnntool.inference import tag_sentences
    return tag_sentences(module, vocab, chars, list(record["tags"]), sentences)


# --- rnntool predict ------------------------------------------------------------------------

def predict_command(data: dict, path: str, request: predicting.Request) -> None:
    """Tag every sentence of the input: written back in its format (raw text as word/TAG)
    with the tags (``label``), or as JSON objects of words and tags (``json``)."""
    import json

    from rnntool import checkpoint as ckpt
    from rnntool import tagging

    model = ckpt.restore_model(data, path)
    if request.output not in ("label", "json"):
        raise OptionError(f"--output {request.output} is not for a tagger; use label "
                          f"(the input's format with the tags) or json")
    if request.input not in ("auto", "text"):
        raise OptionError(f"--input {request.input} is not for a tagger; use auto "
                          f"(text, CoNLL or word/TAG, told apart) or text")
    paths = request.paths("sentences")
    record = data["training"]["tagger"]
    vocab = ckpt.restore_vocab(data)
    chars = chars_of(record)
    sentences, fmt = tagging.read_untagged(paths, "text" if request.input == "text"
                                           else "auto", **request.reading)
    awkward = [tag for tag in record["tags"] if "/" in tag or not tag.strip()
               or any(c.isspace() for c in tag)]
    if request.output != "json" and fmt != "conll" and awkward:
        raise CheckpointError(f"the model's tag {awkward[0]!r} cannot be written as word/TAG; "
                              f"give CoNLL input, or use --output json")
    out = request.out
    for chunk in predicting.chunks(range(len(sentences))):
        words = [sentences[i] for i in chunk]
        for sentence, tags in zip(words, _tag(model, vocab, chars, record, words)):
            if request.output == "json":
                out.write(json.dumps({"words": sentence, "tags": tags}) + "\n")
            elif sentence or fmt != "conll":
                out.write(tagging.format_sentence(sentence, tags, fmt))
    out.flush()


# --- the Python API -------------------------------------------------------------------------

def predict(model, items, **_options):
    """``Model.predict``: the tags of each sentence (a string of words separated by
    spaces, or a list of words); one sentence gives one list of tags."""
    single = isinstance(items, str)  # one sentence; a list holds several
    sentences = [items] if single else list(items)
    words = [s.split() if isinstance(s, str) else [str(w) for w in s] for s in sentences]
    record = model.training["tagger"]
    tagged = _tag(model.module, model.vocab, chars_of(record), record, words)
    return tagged[0] if single else tagged


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text=None, input: str = "auto", encoding: str = "utf-8",
             errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on tagged sentences: a file
    (CoNLL or word/TAG) or a list of ``(words, tags)`` pairs."""
    import os

    from rnntool import tagging, tagscores
    from rnntool.training.inputs import is_path

    if is_path(data):
        read = tagging.read_tagged([os.fspath(data)], encoding=encoding, errors=errors)
        words, gold = read.words, read.tags
    else:
        words = [list(w) for w, _ in data]
        gold = [list(t) for _, t in data]
    record = model.training["tagger"]
    unknown = sorted({t for tags in gold for t in tags} - set(record["tags"]))
    if unknown:
        from rnntool.console import warn
        warn(f"the data holds {len(unknown)} tag{'s' if len(unknown) > 1 else ''} the "
             f"model never learned ({', '.join(map(repr, unknown[:5]))}"
             f"{', ...' if len(unknown) > 5 else ''}): its words count as errors")
    predicted = _tag(model.module, model.vocab, chars_of(record), record, words)
    return {"kind": "tagger", **tagscores.tagging_report(gold, predicted)}


def tag_lines(scores: dict, title: str) -> list[str]:
    """Per-tag (or per-entity-type) precision, recall, F1 and support as aligned lines."""
    width = max([5] + [len(name) for name in scores])
    return ["", f"by {title}:", f"{'tag':>{width}}  precision  recall      f1  support"] + [
        f"{name:>{width}}  {row['precision']:9.4f}  {row['recall']:6.4f}  {row['f1']:6.4f}  "
        f"{row['support']:7d}" for name, row in scores.items()]


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    lines = [f"sentences: {report['sentences']}, tokens: {report['tokens']}",
             f"token accuracy: {report['token_accuracy']:.4f}"]
    entities = report["entities"]
    if entities is not None:
        lines.append(f"entities: precision {entities['precision']:.4f}, recall "
                     f"{entities['recall']:.4f}, F1 {entities['f1']:.4f} ({entities['gold']} "
                     f"gold, {entities['predicted']} predicted, {entities['correct']} "
                     f"correct)")
    lines += tag_lines(report["per_tag"], "tags")
    if entities is not None:
        lines += tag_lines(entities["per_type"], "entity types")
    return lines


def report_tables(report: dict, title: str) -> list:
    """The report as rich tables: a summary, then the scores by tag and by entity type."""
    from rich.table import Table

    from rnntool.kinds.tables import summary_table

    entities = report["entities"]
    cells = {"sentences": str(report["sentences"]), "tokens": str(report["tokens"]),
             "token accuracy": f"{report['token_accuracy']:.4f}"}
    if entities is not None:
        cells.update({f"entity {name}": f"{entities[key]:.4f}" for name, key in (
            ("precision", "precision"), ("recall", "recall"), ("F1", "f1"))})
    tables = [summary_table(title, cells)]
    for scores, what in ((report["per_tag"], "tag"),
                         ((entities or {}).get("per_type"), "entity type")):
        if not scores:
            continue
        table = Table(title=f"by {what}")
        for name in (what, "precision", "recall", "f1", "support"):
            table.add_column(name, justify="right")
        for name, row in scores.items():
            table.add_row(name, f"{row['precision']:.4f}", f"{row['recall']:.4f}",
                          f"{row['f1']:.4f}", str(row["support"]))
        tables.append(table)
    return tables
