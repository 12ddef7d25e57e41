"""``load`` and ``Model``: a loaded checkpoint in the Python API (``rnntool.api``).

``Model`` checks what the checkpoint's kind can do (``rnntool.kinds``) and hands the work
to the kind's use module, which the command line uses too. Not here: training
(``rnntool.api``), the command line, anything one kind does differently from another.
"""

from __future__ import annotations

import os
from typing import Iterator

from rnntool.errors import CheckpointError

# --- using a checkpoint ---------------------------------------------------------------------

def load(path) -> "Model":
    """Load a checkpoint written by any ``train`` (API or command line) as a ``Model``.

    A missing, damaged or foreign file is an RnnToolError (InputError or CheckpointError)
    with a one-line message; loading never runs code from the file.
    """
    from rnntool import checkpoint

    path = os.fspath(path)
    return Model(checkpoint.load(path), path)


class Model:
    """A loaded checkpoint, ready to use.

    Attributes: ``kind`` (``"charlm"``, ``"wordlm"``, ``"tree"``, ``"sentiment"``, ...), ``path``,
    ``config`` (the model's shape), ``vocab`` (its ``Vocab``), ``training`` (the training
    record: settings, history, best scores; without the resume state), ``labels`` (the class
    labels by class id, as strings; None for a char-LM) and ``module`` (the ``torch.nn.Module``,
    in eval mode).

    Language models ``sample`` and ``stream`` text; tree models and sentence classifiers
    ``predict`` labels and ``probabilities``; taggers ``predict`` tags and forecasters
    values; every kind can ``evaluate`` itself.
    """

    def __init__(self, checkpoint: dict, path: str = "<checkpoint>"):
        """Wrap a checkpoint dict as ``rnntool.checkpoint.load`` returns it (``load`` is the
        usual way in)."""
        from rnntool import checkpoint as ckpt
        from rnntool import kinds

        self.path = path
        self.kind: str = checkpoint["kind"]
        self.config: dict = dict(checkpoint["model"]["config"])
        self.training: dict = {key: value for key, value in checkpoint["training"].items()
                               if key != "resume"}
        self.vocab = ckpt.restore_vocab(checkpoint, path) if checkpoint["vocab"] else None
        self.module = ckpt.restore_model(checkpoint, path)
        self._kind = kinds.get(self.kind, path)
        self._use = self._kind.load("use")
        self.labels: list[str] | None = self._use.labels(self.training)

    def __repr__(self) -> str:
        words = (f": {len(self.vocab):,} {self.vocab.level}s" if self.vocab is not None
                 else "")
        return (f"<rnntool.Model {self.kind} from {self.path!r}{words}"
                + (f", labels {self.labels}" if self.labels else "") + ">")

    # language models ---------------------------------------------------------------------
    def stream(self, seed: str | None = None, length: int = 200, *,
               temperature: float = 1.0, top_k: int | None = None, greedy: bool = False,
               random_seed: int | None = None) -> Iterator[str]:
        """An iterator over ``length`` generated characters continuing ``seed`` (None or
        ``""``: start as at the beginning of a line), each yielded as soon as it is drawn.

        ``temperature`` below 1 gives safer text, above 1 more surprising text; ``top_k``
        draws among the k most likely characters only; ``greedy`` always takes the most
        likely one; ``random_seed`` makes the draw reproducible (the same text as
        ``rnntool sample --random-seed`` prints after its seed). Characters of the seed the
        model never saw are an RnnToolError, raised before anything is generated.
        """
        from rnntool import kinds

        if not self._kind.samples:
            raise CheckpointError(f"{self.path}: this is a {self.kind} checkpoint; sampling "
                                  f"needs a language model, "
                                  f"{kinds.listing(kinds.sampling())} (use predict)")
        return self._use.stream(self, seed, length, temperature=temperature, top_k=top_k,
                                greedy=greedy, random_seed=random_seed)

    def sample(self, seed: str | None = None, length: int = 200, *,
               temperature: float = 1.0, top_k: int | None = None, greedy: bool = False,
               random_seed: int | None = None) -> str:
        """``length`` generated characters continuing ``seed``, as one string (without the
        seed itself); the arguments are those of ``stream``."""
        return "".join(self.stream(seed, length, temperature=temperature, top_k=top_k,
                                   greedy=greedy, random_seed=random_seed))

    # predicting --------------------------------------------------------------------------
    def predict(self, items, *, input: str = "auto", shape: str = "right",
                factor: str = "right", collapse_unary: bool = True):
        """The predicted label (a string) of each item; one item (a string or a ``Tree``)
        gives one label, a list of items a list.

        An item is a line as ``rnntool predict`` reads it (``input``: ``auto``, ``text``,
        ``trees``, ``tsv`` or ``fasttext``; labels in the line are ignored) or an NLTK
        ``Tree``. A tree model makes each line a binary tree as ``parse_tree`` does (with
        ``shape``, ``factor``, ``collapse_unary``) and labels its root; a sentence classifier
        reads the words, tokenized as its training data was. A blank or malformed item is an
        InputError naming it (``item N``); a char-LM checkpoint is a CheckpointError.

        A tagger takes sentences (a string of words separated by spaces, or a list of words)
        and gives each one's tags (a list of strings). A forecaster takes the recent steps
        of a series (numbers [steps, inputs], the columns it was trained on, at least
        ``window`` steps) and gives the next ``horizon`` values of its target (a list of
        floats). A parser takes sentences (a raw string, tokenized as ``rnntool parse``
        does, or a list of tokens) and gives each one's binary tree (an NLTK ``Tree``).
        """
        self._check_predicts()
        return self._use.predict(self, items, input=input, shape=shape, factor=factor,
                                 collapse_unary=collapse_unary)

    def probabilities(self, items, *, input: str = "auto", shape: str = "right",
                      factor: str = "right", collapse_unary: bool = True):
        """Every label's probability for each item, as a dict ``{label: probability}``
        (labels in class order); one item gives one dict, a list of items a list. Items and
        options as for ``predict``."""
        self._check_predicts()
        return self._use_for("probabilities", f"{self.path}: a {self.kind} has no class "
                             f"probabilities; use Model.predict")(
            self, items, input=input, shape=shape, factor=factor, collapse_unary=collapse_unary)

    def predict_trees(self, items, *, input: str = "auto", shape: str = "right",
                      factor: str = "right", collapse_unary: bool = True):
        """Tree models: each item's binary tree (as the model reads it) with the predicted
        class at every node, as ``rnntool predict --output trees`` writes it; one item gives
        one ``Tree``, a list of items a list. Items and options as for ``predict``."""
        return self._use_for("predict_trees", f"{self.path}: this is a {self.kind} "
                             f"checkpoint; predict_trees needs a tree checkpoint")(
            self, items, input=input, shape=shape, factor=factor, collapse_unary=collapse_unary)

    def _check_predicts(self) -> None:
        from rnntool.predicting import check_kind
        check_kind(self.kind, self.path, "Model.sample")

    def _use_for(self, name: str, refusal: str):
        """The use module's function ``name``; a CheckpointError saying ``refusal`` when
        the kind has none."""
        found = getattr(self._use, name, None)
        if found is None:
            raise CheckpointError(refusal)
        return found

    # every kind --------------------------------------------------------------------------
    def evaluate(self, data=None, *, text: str | None = None, input: str = "auto",
                 encoding: str = "utf-8", errors: str = "strict") -> dict:
        """The report ``rnntool eval --json`` writes, as a dict, for labelled ``data``.

        ``data``: a file (a path) of the kind ``rnntool eval`` reads, or in memory: for a
        tree model a list of labelled ``Tree`` objects; for a sentence classifier a list of
        ``(label, text)`` pairs or labelled trees (``input``: the file's line format, as
        ``--input``). A language model takes a file or ``text=`` (a string) and reports its
        loss (and bits per character, or perplexity). A forecaster takes a series file or an
        array [steps, inputs] of the columns it was trained on, and reports its errors next
        to the naive last-value forecast's. A tagger takes a tagged file (CoNLL or word/TAG)
        or a list of ``(words, tags)`` pairs, and reports token accuracy and, for BIO(ES)
        tags, entity precision, recall and F1.
        """
        if (data is None) == (text is None) or (text is not None and not self._kind.samples):
            raise TypeError("evaluate() needs data, or for a language model text= (one of "
                            "them)")
        report = self._use.evaluate(self, data, text=text, input=input, encoding=encoding,
                                    errors=errors)
        report["checkpoint"] = self.path
        return report
