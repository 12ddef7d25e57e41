"""The language models in use (charlm and wordlm): ``Model.stream`` and ``sample``, their
evaluation report (loss on held-out text) and how the report looks.

Both kinds are one module: what differs between them follows from the vocabulary's level
(characters or words), and a report says which it counts. Language models make no
predictions for ``rnntool predict``; they have no class labels. Not here: generating text
one token at a time (``rnntool.sampling``), training (``rnntool.training.lm``), the model
(``rnntool.models.lm``), forward passes (``rnntool.inference``).
"""

from __future__ import annotations

from typing import Iterator

from rnntool.errors import InputError, RnnToolError


def labels(training: dict) -> None:
    """A language model has no class labels."""
    return None


def damage(checkpoint: dict) -> str | None:
    """What is wrong with a loaded language-model checkpoint (None: nothing): its
    vocabulary must be of its kind's level (characters or words)."""
    from rnntool.training.lm import LEVELS

    level, found = LEVELS[checkpoint["kind"]][0], checkpoint["vocab"].get("level")
    if found != level:
        return f"a {checkpoint['kind']} checkpoint with a {found}-level vocabulary"
    return None


# --- the Python API -------------------------------------------------------------------------

def stream(model, seed: str | None, length: int, *, temperature: float, top_k: int | None,
           greedy: bool, random_seed: int | None) -> Iterator[str]:
    """``Model.stream``: ``length`` generated tokens continuing ``seed``, as text, each
    yielded as soon as it is drawn."""
    from rnntool.sampling import default_prime, generate, generator

    if not isinstance(length, int) or length < 0:
        raise RnnToolError(f"length must be a whole number of characters, not {length!r}")
    if not temperature > 0:
        raise RnnToolError("temperature must be positive (greedy=True takes the most "
                           "likely text)")
    if top_k is not None and top_k < 1:
        raise RnnToolError("top_k must be at least 1")
    return generate(model.module, model.vocab, seed or default_prime(model.vocab), length,
                    temperature=temperature, top_k=top_k, greedy=greedy,
                    generator=generator(random_seed))


# --- evaluation -----------------------------------------------------------------------------

def evaluate(model, data, *, text: str | None = None, input: str = "auto",
             encoding: str = "utf-8", errors: str = "strict") -> dict:
    """The report of ``rnntool eval`` and ``Model.evaluate`` on held-out text (a file
    ``data``, or ``text``): the loss, and bits per character or perplexity."""
    import math
    import os

    import numpy as np

    from rnntool import text as textio
    from rnntool.evaluate import bits
    from rnntool.inference import lm_loss
    from rnntool.vocab import UNK

    name = "the text" if data is None else textio.display_name(os.fspath(data))
    if data is not None:
        text = textio.read_text(os.fspath(data), encoding=encoding, errors=errors)
    ids = model.vocab.encode(text)
    if len(ids) < 2:
        raise InputError(f"{name}: too little text to evaluate on")
    loss = lm_loss(model.module, ids)
    unknown = int(np.count_nonzero(ids == UNK))
    if model.vocab.level == "word":
        return {"kind": model.kind, "words": int(len(ids)), "unknown_words": unknown,
                "loss": loss, "perplexity": math.exp(min(loss, 700))}
    return {"kind": model.kind, "characters": int(len(ids)), "unknown_characters": unknown,
            "loss": loss, "bits_per_character": bits(loss)}


def report_lines(report: dict) -> list[str]:
    """The report as aligned plain-text lines (after the checkpoint line)."""
    if "words" in report:
        return [f"words: {report['words']} ({report['unknown_words']} <unk>), line ends "
                f"included", f"loss: {report['loss']:.4f} nats/word (perplexity "
                f"{report['perplexity']:.2f})"]
    return [f"characters: {report['characters']} ({report['unknown_characters']} unknown)",
            f"loss: {report['loss']:.4f} nats/char ({report['bits_per_character']:.4f} "
            f"bits/char)"]


def report_tables(report: dict, title: str) -> list:
    """The report as one rich summary table."""
    from rnntool.kinds.tables import summary_table

    if "words" in report:
        return [summary_table(title, {
            "words": str(report["words"]), "<unk>": str(report["unknown_words"]),
            "loss (nats/word)": f"{report['loss']:.4f}",
            "perplexity": f"{report['perplexity']:.2f}"})]
    return [summary_table(title, {
        "characters": str(report["characters"]),
        "unknown": str(report["unknown_characters"]),
        "loss (nats/char)": f"{report['loss']:.4f}",
        "bits/char": f"{report['bits_per_character']:.4f}"})]
