"""The Python API: the library behind the ``rnntool`` commands, as a few plain functions.

``import rnntool`` gives these names, each loaded on first use (importing rnntool loads
neither torch nor numpy):

- vocabularies: ``build_vocab`` (from files or strings), ``load_vocab``, ``Vocab``;
- trees: ``read_trees`` (a treebank file), ``parse_tree`` (one bracketed tree or raw
  sentence, as ``rnntool parse`` makes it), ``binarize``, ``normalize``, ``to_brackets``
  and ``Tree`` (NLTK's) from ``rnntool.trees``;
- training: ``train_charlm``, ``train_wordlm``, ``train_tree``, ``train_sentiment``,
  ``train_tagger``, ``train_forecast``: each writes a checkpoint and returns a summary dict;
- using a checkpoint: ``load`` gives a ``Model`` that samples text (language models),
  predicts labels and class probabilities (tree models, sentence classifiers), tags
  (taggers) and forecasts (forecasters), and evaluates itself.

Plain values in, plain values out: paths (``str`` or ``os.PathLike``), strings, lists,
dicts, numbers, ``Vocab`` and NLTK ``Tree`` objects. Training settings are keyword
arguments named as the fields of ``rnntool.settings`` (the command-line options with ``_``
for ``-``: ``--seq-len`` is ``seq_len``, ``--max-time`` is ``max_time`` in seconds), with the
same defaults; a name that is not a setting is a TypeError listing the valid ones. Errors in
data, files, checkpoints and setting values are ``rnntool.errors.RnnToolError`` subclasses
with one-line messages. Training reports progress on stderr as the commands do
(``quiet=True`` silences it); the first Ctrl-C stops it after saving a checkpoint and
raises ``rnntool.errors.Interrupted``.

What it is not: a second implementation. Each function is a thin layer over the modules the
commands use (``rnntool.vocab``, ``trees``, ``labelled``, ``train``, ``checkpoint``,
``sampling``, ``predicting``, ``evaluate``), so checkpoints written here work with ``rnntool
sample``, ``predict`` and ``eval`` and the other way round, and ``Model.predict`` gives the
labels ``rnntool predict`` prints. Nor is it a command line: it writes nothing to stdout,
parses no option strings (durations are seconds), and leaves resuming runs (``--resume``)
and drawing trees to the commands. Those lower-level modules stay importable for finer
control.
"""

from __future__ import annotations

import os
from typing import Iterable, Iterator

from rnntool.errors import CheckpointError, InputError, RnnToolError

__all__ = ["build_vocab", "load_vocab", "read_trees", "parse_tree", "train_charlm",
           "train_wordlm", "train_tagger", "train_forecast",
           "train_tree", "train_sentiment", "load", "Model"]


# --- argument helpers -----------------------------------------------------------------------

def _numbers(values):
    """``values`` as a float64 array [steps, columns] (one column for a flat list);
    InputError when they are not numbers, or none at all."""
    import numpy as np
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError("the series must be numbers, [steps] or [steps, columns]") from None
    if array.ndim == 0 or not len(array) or array.ndim > 2:
        raise InputError("the series must be numbers, [steps] or [steps, columns], with at "
                         "least one step")
    return array.reshape(len(array), -1)


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def _paths(value) -> list[str] | None:
    """The file names in ``value`` (a path, or a list or tuple of paths); None when it holds
    something else (in-memory data)."""
    if _is_path(value):
        return [os.fspath(value)]
    if isinstance(value, (list, tuple)) and value and all(_is_path(v) for v in value):
        return [os.fspath(v) for v in value]
    return None


def _settings(cls, given: dict, function: str):
    """``cls(**given)``, checked; TypeError naming the valid settings for a wrong name."""
    import dataclasses

    names = [field.name for field in dataclasses.fields(cls)]
    unknown = [name for name in given if name not in names]
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument "
                        f"{unknown[0]!r}; its settings are: {', '.join(names)}")
    settings = cls(**given)
    settings.check()
    return settings


def _reporter(description: str, quiet: bool):
    from rnntool.console import ProgressReporter
    return ProgressReporter(description, enabled=not quiet)


def _output(output) -> str:
    from rnntool.files import check_writable
    if not _is_path(output):
        raise TypeError(f"output must be a path, not {type(output).__name__}")
    output = os.fspath(output)
    check_writable(output)  # fail now, not after training
    return output


def _vocab_argument(vocab, level: str):
    """A ``Vocab`` from a ``Vocab`` or a vocabulary file (None stays None), of ``level``."""
    from rnntool.vocab import Vocab

    if vocab is None:
        return None
    found = vocab if isinstance(vocab, Vocab) else Vocab.load(os.fspath(vocab))
    if found.level != level:
        raise RnnToolError(f"a {found.level}-level vocabulary was given; a {level}-level one "
                           f"is needed here")
    return found


def _copy_tree(tree):
    """A deep copy of an NLTK tree (iterative: any depth), so normalizing leaves the
    caller's tree as it was."""
    from rnntool.trees import Tree, postorder

    made: dict[int, Tree] = {}
    for node in postorder(tree):
        made[id(node)] = Tree(node.label(), [made[id(c)] if isinstance(c, Tree) else c
                                             for c in node])
    return made[id(tree)]


def _in_memory_examples(items, tokenize, *, binary: bool, lowercase: bool,
                        phrases: bool = False) -> tuple[list[str], list[list[str]]]:
    """``(labels, token lists)`` of in-memory examples, as ``labelled.read_examples`` gives
    them for files: ``(label, text)`` pairs or labelled trees (root label and leaves)."""
    from rnntool import labelled, trees

    labels: list[str] = []
    tokens: list[list[str]] = []
    seen: set | None = set() if phrases else None
    for number, item in enumerate(items, 1):
        try:
            if isinstance(item, trees.Tree):
                line = labelled.Line(item.label() or None, trees.leaves(item), "trees", item)
            elif (isinstance(item, (tuple, list)) and len(item) == 2
                  and isinstance(item[1], str)):
                label = str(item[0]).strip()
                if not label:
                    raise ValueError("empty label")
                line = labelled.Line(label, labelled.split_line(item[1], "text",
                                                                tokenize).tokens, "text")
            else:
                raise TypeError(f"example {number}: expected a (label, text) pair or a "
                                f"labelled nltk Tree, not {type(item).__name__}")
            examples = labelled._examples(line, binary, seen)
        except ValueError as exc:
            raise InputError(f"example {number}: {exc}") from None
        for label, words in examples:
            labels.append(label)
            tokens.append([w.lower() for w in words] if lowercase else words)
    return labels, tokens


# --- vocabularies ---------------------------------------------------------------------------

def build_vocab(files=None, *, texts=None, level: str = "char", min_count: int = 1,
                max_size: int | None = None, lowercase: bool = False,
                tokenizer: str = "regexp", encoding: str = "utf-8",
                errors: str = "strict"):
    """Build the vocabulary of text files or of strings, as ``rnntool vocab`` does.

    Give ``files`` (a path or a list of paths, read streaming) or ``texts`` (a string or a
    list of strings), not both. ``level``: ``"char"`` or ``"word"`` (words split by
    ``tokenizer``: ``regexp``, ``treebank`` or ``whitespace``); ``min_count`` drops rare
    tokens, ``max_size`` caps the entries (reserved ones included), ``lowercase`` folds case
    first. Returns a ``Vocab`` (``len``, ``tokens``, ``encode``, ``decode``, ``save``).
    """
    import collections

    from rnntool import text as textio
    from rnntool import vocab as vocablib

    if level not in vocablib.LEVELS:
        raise RnnToolError(f"level must be 'char' or 'word', not {level!r}")
    if tokenizer not in textio.TOKENIZERS:
        raise RnnToolError(f"unknown tokenizer {tokenizer!r}; choose one of "
                           f"{', '.join(textio.TOKENIZERS)}")
    if (files is None) == (texts is None):
        raise TypeError("build_vocab() needs files or texts (one of them)")
    if files is not None:
        paths = _paths(files)
        if paths is None:
            raise TypeError("files must be a path or a list of paths (strings go in texts=)")
        return vocablib.build_vocab(paths, level, min_count=min_count, max_size=max_size,
                                    lowercase=lowercase, tokenizer=tokenizer,
                                    encoding=encoding, errors=errors)[0]
    if isinstance(texts, str):
        texts = [texts]
    counts: collections.Counter[str] = collections.Counter()
    split = textio.make_tokenizer(tokenizer) if level == "word" else None
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings, not {type(text).__name__}")
        text = text.lower() if lowercase else text
        if split is None:
            counts.update(text)
        elif text:  # as in a file, the text ends with a line end
            counts.update(split(text if text.endswith("\n") else text + "\n"))
    if not any(count for token, count in counts.items() if token != textio.LINE_END
               or level == "char"):
        raise InputError("the texts are empty: there is nothing to build a vocabulary from")
    return vocablib.Vocab.from_counts(counts, level, min_count=min_count, max_size=max_size,
                                      lowercase=lowercase, tokenizer=tokenizer)


def load_vocab(path):
    """Read a vocabulary file (written by ``rnntool vocab`` or ``Vocab.save``); a ``Vocab``."""
    from rnntool.vocab import Vocab
    return Vocab.load(os.fspath(path))


# --- trees ----------------------------------------------------------------------------------

def read_trees(path, *, binarize: bool = True, factor: str = "right",
               collapse_unary: bool = True, on_error: str = "error",
               encoding: str = "utf-8", errors: str = "strict") -> list:
    """The bracketed trees of a treebank file, one tree a line (blank lines skipped), as NLTK
    ``Tree`` objects.

    With ``binarize`` (the default) they are normalized as ``rnntool parse`` and ``rnntool
    train tree`` do: unary chains collapsed (``collapse_unary``), then binarized with new
    nodes to the ``factor`` side. A malformed line is an InputError naming the file and line;
    ``on_error="skip"`` skips it with a warning on stderr instead.
    """
    from rnntool import trees
    from rnntool.console import warn

    found = list(trees.read_treebank(os.fspath(path), on_error=on_error, warn=warn,
                                     encoding=encoding, errors=errors))
    if binarize:
        found = [trees.normalize(tree, factor, collapse_unary) for tree in found]
    return found


def parse_tree(text: str, *, input: str = "auto", shape: str = "right",
               factor: str = "right", collapse_unary: bool = True):
    """One line made into a normalized binary ``Tree``, as ``rnntool parse`` does.

    ``input``: ``"trees"`` (a bracketed tree, binarized), ``"text"`` (a raw sentence,
    tokenized with NLTK's TreebankWordTokenizer and given the ``shape``: ``right``, ``left``
    or ``balanced``), ``"auto"`` (a tree when the text starts with ``(``), or ``"tsv"`` /
    ``"fasttext"`` (a labelled line whose label is dropped). A blank or malformed line is an
    InputError.
    """
    from rnntool import trees

    maker = trees.TreeMaker(input_kind=input, shape=shape, factor=factor,
                            collapse=collapse_unary)
    try:
        return maker.make(text)
    except trees.LineError as exc:
        raise InputError(str(exc)) from None


# --- training -------------------------------------------------------------------------------

def train_charlm(files=None, output="charlm.pt", *, text: str | None = None, vocab=None,
                 quiet: bool = False, encoding: str = "utf-8", errors: str = "strict",
                 **settings) -> dict:
    """Train a character-level language model, as ``rnntool train charlm`` does; write the
    best checkpoint (by validation loss) to ``output``.

    Give ``files`` (a path or a list of paths) or ``text`` (a string), not both. ``vocab``: a
    char ``Vocab`` or vocabulary file to use (default: built from the training text).
    ``settings``: the fields of ``rnntool.settings.CharLMSettings`` (``cell``, ``layers``,
    ``hidden``, ``embed``, ``seq_len``, ``batch_size``, ``lr``, ``epochs``, ``steps``,
    ``max_time``, ``val_frac``, ``eval_every``, ``random_seed``, ...). Returns the summary
    dict: ``steps``, ``best_val_loss`` (nats per character), ``saved_step``, ``elapsed``,
    ``tokens_seen``, ``train_chars_per_second`` and ``output``.
    """
    return _train_language_model("charlm", files, output, text, vocab, quiet, encoding,
                                 errors, settings)


def train_wordlm(files=None, output="wordlm.pt", *, text: str | None = None, vocab=None,
                 quiet: bool = False, encoding: str = "utf-8", errors: str = "strict",
                 **settings) -> dict:
    """Train a word-level language model, as ``rnntool train wordlm`` does (see
    ``train_charlm``). ``vocab``: a word ``Vocab`` or vocabulary file (its tokenizer and
    case folding then apply). ``settings``: the fields of
    ``rnntool.settings.WordLMSettings`` (those of a char-LM, plus ``tie``, ``tokenizer``,
    ``lowercase``, ``min_count``, ``max_size``). ``best_val_loss`` is in nats per word.
    """
    return _train_language_model("wordlm", files, output, text, vocab, quiet, encoding,
                                 errors, settings)


def _train_language_model(kind: str, files, output, text, vocab, quiet: bool, encoding: str,
                          errors: str, settings: dict) -> dict:
    import tempfile

    from rnntool import vocab as vocablib
    from rnntool.guard import output_lock
    from rnntool.settings import CharLMSettings, WordLMSettings
    from rnntool.train import train_lm

    level = "char" if kind == "charlm" else "word"
    config = _settings(CharLMSettings if kind == "charlm" else WordLMSettings, settings,
                       f"train_{kind}")
    if (files is None) == (text is None):
        raise TypeError(f"train_{kind}() needs files or text (one of them)")
    paths = None
    if files is not None:
        paths = _paths(files)
        if paths is None:
            raise TypeError("files must be a path or a list of paths (a string of text goes "
                            "in text=)")
    elif not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    output = _output(output)
    tokens = _vocab_argument(vocab, level)
    words = {} if level == "char" else dict(
        tokenizer=config.tokenizer, lowercase=config.lowercase, min_count=config.min_count,
        max_size=config.max_size)
    if tokens is not None and level == "word":
        config.tokenizer, config.lowercase = tokens.tokenizer or "regexp", tokens.lowercase
    with output_lock(output), tempfile.TemporaryDirectory(prefix="rnntool-api-") as workdir:
        if paths is None:
            tokens = tokens or build_vocab(texts=[text], level=level, **words)
            ids = tokens.encode(text)
            source: dict = {}
        else:
            ids_path = os.path.join(workdir, "ids.npy")
            if tokens is None:
                tokens = vocablib.build_and_encode(paths, ids_path, level, encoding=encoding,
                                                   errors=errors, **words)
            else:
                vocablib.encode_files(paths, tokens, ids_path, encoding=encoding,
                                      errors=errors)
            ids = vocablib.load_ids(ids_path)
            source = {"files": [os.path.abspath(p) for p in paths]}
        summary = train_lm(kind, ids, tokens, config, output,
                           progress=_reporter(f"train {kind}", quiet),
                           extra_settings={"source": source})
        del ids  # the memory map, before its directory goes
    return {**summary, "output": output}


def train_tagger(train, output="tagger.pt", *, dev=None, quiet: bool = False,
                 on_error: str = "error", encoding: str = "utf-8", errors: str = "strict",
                 **settings) -> dict:
    """Train a sequence tagger, as ``rnntool train tagger`` does; write the checkpoint with
    the best development score (entity F1 for BIO tags, else token accuracy) to ``output``.

    ``train`` and ``dev``: tagged files (a path or a list of paths: CoNLL or word/TAG), or
    lists of ``(words, tags)`` pairs. ``settings``: the fields of
    ``rnntool.settings.TaggerSettings`` (``hidden``, ``embed``, ``chars``, ``epochs``, ...).
    """
    from rnntool import tagging
    from rnntool.console import warn
    from rnntool.guard import output_lock
    from rnntool.settings import TaggerSettings
    from rnntool.train import train_tagger as fit

    config = _settings(TaggerSettings, settings, "train_tagger")

    def data(value):
        paths = _paths(value)
        if paths is not None:
            return tagging.read_tagged(paths, config.format, encoding=encoding, errors=errors,
                                       on_error=on_error, warn=warn), paths
        pairs = [(list(words), list(tags)) for words, tags in value]
        if any(len(w) != len(t) or not w for w, t in pairs):
            raise RnnToolError("every (words, tags) pair needs as many tags as words, and "
                               "at least one word")
        return tagging.TaggedData([w for w, _ in pairs], [t for _, t in pairs], "slash"), []

    train_data, paths = data(train)
    dev_data = data(dev)[0] if dev is not None else None
    output = _output(output)
    with output_lock(output):
        summary = fit(train_data, dev_data, config, output,
                      progress=_reporter("train tagger", quiet),
                      extra_settings={"train": [os.path.abspath(p) for p in paths]})
    return {**summary, "output": output}


def train_forecast(series, output="forecast.pt", *, target=None, columns=None,
                   quiet: bool = False, encoding: str = "utf-8", errors: str = "strict",
                   **settings) -> dict:
    """Train a forecaster on a numeric series, as ``rnntool train forecast`` does; write the
    checkpoint with the lowest held-out mean absolute error to ``output``.

    ``series``: a series file (a path or a list of paths: CSV or whitespace columns, header
    optional) or an array [steps, columns] of numbers (columns then named 1, 2, ...).
    ``target``, ``columns``: the column to forecast and the input columns, by name or
    number from 1. ``settings``: the fields of ``rnntool.settings.ForecastSettings``
    (``window``, ``horizon``, ``hidden``, ``epochs``, ...).
    """
    import numpy as np

    from rnntool import series as serieslib
    from rnntool.guard import output_lock
    from rnntool.settings import ForecastSettings
    from rnntool.train import train_forecast as fit

    config = _settings(ForecastSettings, {**settings, "target": target,
                                          "columns": None if columns is None
                                          else list(columns)}, "train_forecast")
    paths = _paths(series)
    if paths is not None:
        read = serieslib.read_series(paths, encoding=encoding, errors=errors)
    else:
        values = _numbers(series)
        if not np.isfinite(values).all():
            raise RnnToolError("the series must hold finite numbers only")
        read = serieslib.Series(values, [str(i + 1) for i in range(values.shape[1])],
                                values.shape[1] - 1)
    chosen = serieslib.select(read, target, config.columns)
    output = _output(output)
    with output_lock(output):
        summary = fit(chosen, config, output, layout=serieslib.layout(read, chosen),
                      progress=_reporter("train forecast", quiet),
                      extra_settings={"train": [os.path.abspath(p) for p in paths or []]})
    return {**summary, "output": output}


def train_tree(train, output="tree.pt", *, dev=None, embeddings=None, quiet: bool = False,
               on_error: str = "error", encoding: str = "utf-8", errors: str = "strict",
               **settings) -> dict:
    """Train a recursive neural network on labelled trees, as ``rnntool train tree`` does;
    write the checkpoint with the best development root accuracy (the last one, without
    ``dev``) to ``output``.

    ``train`` and ``dev``: a treebank file (a path or a list of paths, one bracketed tree a
    line; ``on_error`` as for ``read_trees``) or a list of NLTK ``Tree`` objects (copied,
    then normalized; ``read_trees`` and ``parse_tree`` make them). Node labels that are class
    ids (SST's 0-4) are supervised. ``embeddings``: a word2vec/GloVe text file to start the
    word embeddings from. ``settings``: the fields of ``rnntool.settings.TreeSettings``
    (``cell``, ``hidden``, ``binary``, ``optimizer``, ``lr``, ``epochs``, ``batch_size``,
    ``max_time``, ``random_seed``, ...). Returns the summary dict: ``steps``,
    ``best_dev_root_accuracy``, ``elapsed``, ``train_trees_per_second``, ``classes`` and
    ``output``.
    """
    import functools

    import torch

    from rnntool import trees
    from rnntool.console import warn
    from rnntool.guard import output_lock
    from rnntool.settings import TreeSettings
    from rnntool.train import train_tree as fit
    from rnntool.treebatch import sst_labels

    config = _settings(TreeSettings, settings, "train_tree")
    check = sst_labels if config.binary else None

    def read(source, what: str) -> list:
        paths = _paths(source)
        if paths is not None:
            return [trees.normalize(tree) for path in paths for tree in trees.read_treebank(
                path, check=check, on_error=on_error, warn=warn, encoding=encoding,
                errors=errors)]
        found = []
        for number, tree in enumerate(source, 1):
            if not isinstance(tree, trees.Tree):
                raise TypeError(f"{what} tree {number}: expected an nltk Tree, not "
                                f"{type(tree).__name__}")
            if check is not None:
                try:
                    check(tree)
                except ValueError as exc:
                    raise InputError(f"{what} tree {number}: {exc}") from None
            found.append(trees.normalize(_copy_tree(tree)))
        return found

    output = _output(output)
    train_trees = read(train, "training")
    dev_trees = read(dev, "development") if dev is not None else None
    vectors = None
    if embeddings is not None:
        from rnntool import wordvectors
        vectors = functools.partial(wordvectors.load_vectors, os.fspath(embeddings),
                                    encoding=encoding, errors=errors)
    threads = torch.get_num_threads()  # training may set them; the caller's come back
    try:
        with output_lock(output):
            summary = fit(train_trees, dev_trees, config, output, embeddings=vectors,
                          progress=_reporter("train tree", quiet),
                          extra_settings={"train": _recorded(train), "dev": _recorded(dev)})
    finally:
        torch.set_num_threads(threads)
    return {**summary, "output": output}


def _recorded(source) -> str | None:
    """The training record's note of where data came from: the (first) file, else None."""
    paths = _paths(source) if source is not None else None
    return os.path.abspath(paths[0]) if paths else None


def train_sentiment(train, output="sentiment.pt", *, dev=None, vocab=None,
                    embeddings=None, phrases: bool = False, quiet: bool = False,
                    on_error: str = "error", encoding: str = "utf-8",
                    errors: str = "strict", **settings) -> dict:
    """Train a recurrent sentence classifier, as ``rnntool train sentiment`` does; write the
    checkpoint with the best development accuracy (the last one, without ``dev``) to
    ``output``.

    ``train`` and ``dev``: labelled files (a path or a list of paths; lines as the ``format``
    setting says: ``label<TAB>text``, ``__label__X text`` or labelled bracketed trees;
    ``on_error="skip"`` skips bad lines with a warning) or a list of examples in memory:
    ``(label, text)`` pairs or labelled NLTK ``Tree`` objects (root label and leaves).
    Labels are strings (any number of classes). ``phrases``: trees also give every labelled
    phrase. ``vocab``: a word ``Vocab`` or vocabulary file (its tokenizer and case folding
    then apply). ``embeddings``: a word2vec/GloVe text file. ``settings``: the fields of
    ``rnntool.settings.SentimentSettings`` (``cell``, ``layers``, ``hidden``, ``embed``,
    ``bidirectional``, ``pool``, ``binary``, ``tokenizer``, ``lowercase``, ``lr``,
    ``epochs``, ``max_time``, ``random_seed``, ...). Returns the summary dict: ``steps``,
    ``best_dev_accuracy``, ``elapsed``, ``train_sentences_per_second``, ``classes`` (the
    labels) and ``output``.
    """
    import functools

    from rnntool import labelled
    from rnntool import text as textio
    from rnntool.console import warn
    from rnntool.guard import output_lock
    from rnntool.settings import SentimentSettings
    from rnntool.train import train_sentiment as fit

    config = _settings(SentimentSettings, settings, "train_sentiment")
    words = _vocab_argument(vocab, "word")
    if words is not None:
        config.tokenizer, config.lowercase = words.tokenizer or "regexp", words.lowercase
    tokenize = textio.make_tokenizer(config.tokenizer)

    def read(source, with_phrases: bool):
        paths = _paths(source)
        if paths is not None:
            return labelled.read_examples(paths, config.format, tokenize,
                                          binary=config.binary, lowercase=config.lowercase,
                                          phrases=with_phrases, on_error=on_error, warn=warn,
                                          encoding=encoding, errors=errors)
        return _in_memory_examples(source, tokenize, binary=config.binary,
                                   lowercase=config.lowercase, phrases=with_phrases)

    output = _output(output)
    train_data = read(train, phrases)
    dev_data = read(dev, False) if dev is not None else None
    vectors = None
    if embeddings is not None:
        from rnntool import wordvectors
        vectors = functools.partial(wordvectors.load_vectors, os.fspath(embeddings),
                                    encoding=encoding, errors=errors)
    train_paths, dev_paths = _paths(train), _paths(dev) if dev is not None else None
    with output_lock(output):
        summary = fit(train_data, dev_data, config, output, vocab=words, embeddings=vectors,
                      progress=_reporter("train sentiment", quiet),
                      extra_settings={"phrases": phrases,
                                      "train": [os.path.abspath(p) for p in train_paths]
                                      if train_paths else None,
                                      "dev": os.path.abspath(dev_paths[0])
                                      if dev_paths else None})
    return {**summary, "output": output}


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
        from rnntool.predicting import KINDS, class_labels

        self.path = path
        self.kind: str = checkpoint["kind"]
        self.config: dict = dict(checkpoint["model"]["config"])
        self.training: dict = {key: value for key, value in checkpoint["training"].items()
                               if key != "resume"}
        self.vocab = ckpt.restore_vocab(checkpoint, path) if checkpoint["vocab"] else None
        self.module = ckpt.restore_model(checkpoint, path)
        self.labels: list[str] | None = (class_labels(self.kind, self.training)
                                         if self.kind in KINDS and self.kind != "forecast"
                                         else None)

    def __repr__(self) -> str:
        words = (f": {len(self.vocab):,} {self.vocab.level}s" if self.vocab is not None
                 else "")
        return (f"<rnntool.Model {self.kind} from {self.path!r}{words}"
                + (f", labels {self.labels}" if self.labels else "") + ">")

    # char-LMs ----------------------------------------------------------------------------
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
        import torch

        from rnntool.sampling import default_prime, generate

        if self.kind not in ("charlm", "wordlm"):
            raise CheckpointError(f"{self.path}: this is a {self.kind} checkpoint; sampling "
                                  f"needs a language model, charlm or wordlm (use predict)")
        if not isinstance(length, int) or length < 0:
            raise RnnToolError(f"length must be a whole number of characters, not {length!r}")
        if not temperature > 0:
            raise RnnToolError("temperature must be positive (greedy=True takes the most "
                               "likely text)")
        if top_k is not None and top_k < 1:
            raise RnnToolError("top_k must be at least 1")
        generator = torch.Generator()
        if random_seed is None:
            generator.seed()
        else:
            generator.manual_seed(random_seed)
        return generate(self.module, self.vocab, seed or default_prime(self.vocab), length,
                        temperature=temperature, top_k=top_k, greedy=greedy,
                        generator=generator)

    def sample(self, seed: str | None = None, length: int = 200, *,
               temperature: float = 1.0, top_k: int | None = None, greedy: bool = False,
               random_seed: int | None = None) -> str:
        """``length`` generated characters continuing ``seed``, as one string (without the
        seed itself); the arguments are those of ``stream``."""
        return "".join(self.stream(seed, length, temperature=temperature, top_k=top_k,
                                   greedy=greedy, random_seed=random_seed))

    # classifiers -------------------------------------------------------------------------
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
        floats).
        """
        if self.kind == "tagger":
            return self._tag(items)
        if self.kind == "forecast":
            from rnntool.predicting import forecast_values
            return [float(v) for v in forecast_values(self.module, self.training["series"],
                                                      _numbers(items))]
        single, rows = self._probability_rows(items, input, shape, factor, collapse_unary)
        labels = [self.labels[int(row.argmax())] for row in rows]
        return labels[0] if single else labels

    def _tag(self, items):
        from rnntool.predicting import tag_sentences
        from rnntool.vocab import Vocab

        single = isinstance(items, str)  # one sentence; a list holds several
        sentences = [items] if single else list(items)
        words = [s.split() if isinstance(s, str) else [str(w) for w in s] for s in sentences]
        record = self.training["tagger"]
        chars = Vocab.from_dict(record["chars"]) if record["chars"] else None
        tagged = tag_sentences(self.module, self.vocab, chars, list(record["tags"]), words)
        return tagged[0] if single else tagged

    def probabilities(self, items, *, input: str = "auto", shape: str = "right",
                      factor: str = "right", collapse_unary: bool = True):
        """Every label's probability for each item, as a dict ``{label: probability}``
        (labels in class order); one item gives one dict, a list of items a list. Items and
        options as for ``predict``."""
        single, rows = self._probability_rows(items, input, shape, factor, collapse_unary)
        found = [{label: float(p) for label, p in zip(self.labels, row)} for row in rows]
        return found[0] if single else found

    def predict_trees(self, items, *, input: str = "auto", shape: str = "right",
                      factor: str = "right", collapse_unary: bool = True):
        """Tree models: each item's binary tree (as the model reads it) with the predicted
        class at every node, as ``rnntool predict --output trees`` writes it; one item gives
        one ``Tree``, a list of items a list. Items and options as for ``predict``."""
        from rnntool import predicting
        from rnntool.treebatch import relabel

        if self.kind != "tree":
            raise CheckpointError(f"{self.path}: this is a {self.kind} checkpoint; "
                                  f"predict_trees needs a tree checkpoint")
        single, found = self._items(items)
        made = self._trees(found, input, shape, factor, collapse_unary)
        out = []
        for chunk in predicting.chunks(made):
            for tree, probs in zip(chunk, predicting.tree_probabilities(self.module,
                                                                        self.vocab, chunk)):
                out.append(relabel(tree, [str(int(p.argmax())) for p in probs]))
        return out[0] if single else out

    @staticmethod
    def _items(items) -> tuple[bool, list]:
        from rnntool.trees import Tree
        if isinstance(items, (str, Tree)):
            return True, [items]
        if isinstance(items, (bytes, dict)) or not isinstance(items, Iterable):
            raise TypeError(f"expected a string, a Tree or a list of them, not "
                            f"{type(items).__name__}")
        return False, list(items)

    def _trees(self, items: list, input: str, shape: str, factor: str,
               collapse_unary: bool) -> list:
        """Each item as the normalized binary tree a tree model reads."""
        from rnntool import trees

        maker = trees.TreeMaker(input_kind=input, shape=shape, factor=factor,
                                collapse=collapse_unary)
        made = []
        for number, item in enumerate(items, 1):
            if isinstance(item, trees.Tree):
                made.append(trees.normalize(_copy_tree(item), factor, collapse_unary))
            elif isinstance(item, str):
                try:
                    made.append(maker.make(item))
                except trees.LineError as exc:
                    raise InputError(f"item {number}: {exc}") from None
            else:
                raise TypeError(f"item {number}: expected a string or an nltk Tree, not "
                                f"{type(item).__name__}")
        return made

    def _words(self, items: list, input: str) -> list[list[str]]:
        """Each item as the words a sentence classifier reads."""
        from rnntool import predicting, trees

        found = []
        for number, item in enumerate(items, 1):
            if isinstance(item, trees.Tree):
                words = trees.leaves(item)
                found.append([w.lower() for w in words] if self.vocab.lowercase else words)
            elif isinstance(item, str):
                if not item.strip():
                    raise InputError(f"item {number}: blank line")
                try:
                    found.append(predicting.line_words(item.rstrip("\r\n"), input,
                                                       self.vocab))
                except ValueError as exc:
                    raise InputError(f"item {number}: {exc}") from None
            else:
                raise TypeError(f"item {number}: expected a string or an nltk Tree, not "
                                f"{type(item).__name__}")
        return found

    def _probability_rows(self, items, input, shape, factor, collapse_unary):
        """``(single, rows)``: whether one item was given, and each item's class
        probabilities (for a tree model, its root's), in batches as ``rnntool predict``."""
        from rnntool import predicting

        predicting.check_kind(self.kind, self.path, "Model.sample")
        if self.kind not in ("tree", "sentiment"):
            raise CheckpointError(f"{self.path}: a {self.kind} has no class probabilities; "
                                  f"use Model.predict")
        single, found = self._items(items)
        rows: list = []
        if self.kind == "sentiment":
            for chunk in predicting.chunks(self._words(found, input)):
                rows.extend(predicting.sentence_probabilities(self.module, self.vocab, chunk))
        else:
            for chunk in predicting.chunks(self._trees(found, input, shape, factor,
                                                       collapse_unary)):
                rows.extend(probs[-1] for probs in predicting.tree_probabilities(
                    self.module, self.vocab, chunk))
        return single, rows

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
        language_model = self.kind in ("charlm", "wordlm")
        if (data is None) == (text is None) or (text is not None and not language_model):
            raise TypeError("evaluate() needs data, or for a language model text= (one of "
                            "them)")
        if language_model:
            report = self._evaluate_text(data, text, encoding, errors)
        elif self.kind == "tree":
            report = self._evaluate_trees(data, encoding, errors)
        elif self.kind == "forecast":
            report = self._evaluate_series(data, encoding, errors)
        elif self.kind == "tagger":
            report = self._evaluate_tagged(data, encoding, errors)
        else:
            report = self._evaluate_sentences(data, input, encoding, errors)
        report["checkpoint"] = self.path
        return report

    def _evaluate_text(self, path, text, encoding: str, errors: str) -> dict:
        import math

        import numpy as np

        from rnntool import text as textio
        from rnntool.evaluate import bits, lm_loss
        from rnntool.vocab import UNK

        name = "the text" if path is None else textio.display_name(os.fspath(path))
        if path is not None:
            text = textio.read_text(os.fspath(path), encoding=encoding, errors=errors)
        ids = self.vocab.encode(text)
        if len(ids) < 2:
            raise InputError(f"{name}: too little text to evaluate on")
        loss = lm_loss(self.module, ids)
        unknown = int(np.count_nonzero(ids == UNK))
        if self.kind == "wordlm":
            return {"kind": "wordlm", "words": int(len(ids)), "unknown_words": unknown,
                    "loss": loss, "perplexity": math.exp(min(loss, 700))}
        return {"kind": "charlm", "characters": int(len(ids)), "unknown_characters": unknown,
                "loss": loss, "bits_per_character": bits(loss)}

    def _evaluate_tagged(self, data, encoding: str, errors: str) -> dict:
        from rnntool import tagging
        from rnntool.predicting import tag_sentences
        from rnntool.vocab import Vocab

        if _is_path(data):
            read = tagging.read_tagged([os.fspath(data)], encoding=encoding, errors=errors)
            words, gold = read.words, read.tags
        else:
            words = [list(w) for w, _ in data]
            gold = [list(t) for _, t in data]
        record = self.training["tagger"]
        unknown = sorted({t for tags in gold for t in tags} - set(record["tags"]))
        if unknown:
            from rnntool.console import warn
            warn(f"the data holds {len(unknown)} tag{'s' if len(unknown) > 1 else ''} the "
                 f"model never learned ({', '.join(map(repr, unknown[:5]))}"
                 f"{', ...' if len(unknown) > 5 else ''}): its words count as errors")
        chars = Vocab.from_dict(record["chars"]) if record["chars"] else None
        predicted = tag_sentences(self.module, self.vocab, chars, list(record["tags"]), words)
        return {"kind": "tagger", **tagging.tagging_report(gold, predicted)}

    def _evaluate_series(self, data, encoding: str, errors: str) -> dict:
        from rnntool import series
        from rnntool.evaluate import forecast_report
        from rnntool.text import display_name

        record = self.training["series"]
        if _is_path(data):
            name = display_name(os.fspath(data))
            values = series.read_like([os.fspath(data)], record["layout"], encoding=encoding,
                                      errors=errors).values
        else:
            name, values = "the data", _numbers(data)
        return forecast_report(self.module, record, values, name)

    def _evaluate_trees(self, data, encoding: str, errors: str) -> dict:
        from rnntool import trees
        from rnntool.evaluate import tree_report
        from rnntool.treebatch import class_id

        binary = bool(self.training.get("settings", {}).get("binary", False))
        classes = int(self.training["classes"])
        known = 5 if binary else classes  # gold labels of a binary model are SST's 0-4
        if _is_path(data):
            from rnntool.text import display_name
            name = display_name(os.fspath(data))
            numbered = trees.numbered_trees(os.fspath(data), encoding=encoding, errors=errors)
            where = f"{name}: line "
        else:
            numbered = enumerate(data, 1)
            name, where = "the data", "tree "
        items = []
        for number, tree in numbered:
            if not isinstance(tree, trees.Tree):
                raise TypeError(f"tree {number}: expected an nltk Tree, not "
                                f"{type(tree).__name__}")
            bad = next((node.label() for node in trees.preorder(tree)
                        if class_id(node.label()) >= known), None)
            if bad is not None:
                raise InputError(f"{where}{number}: label {bad!r} is not a class of this "
                                 f"model (0-{known - 1})")
            items.append(trees.normalize(tree if _is_path(data) else _copy_tree(tree)))
        if not items:
            raise InputError(f"{name}: no trees to evaluate on")
        return tree_report(self.module, items, self.vocab, binary=binary, classes=classes)

    def _evaluate_sentences(self, data, input: str, encoding: str, errors: str) -> dict:
        from rnntool import labelled
        from rnntool.evaluate import sentence_report

        binary = bool(self.training.get("settings", {}).get("binary"))
        tokenize = self.vocab.tokenizer_function()
        if _is_path(data):
            name = os.fspath(data)
            labels, tokens = labelled.read_examples(
                [os.fspath(data)], input, tokenize, binary=binary, lowercase=self.vocab.lowercase,
                encoding=encoding, errors=errors)
        else:
            name = "the data"
            labels, tokens = _in_memory_examples(data, tokenize, binary=binary,
                                                 lowercase=self.vocab.lowercase)
        if not labels:
            raise InputError(f"{name}: no labelled sentences to evaluate on")
        return sentence_report(self.module, self.vocab, labels, tokens, list(self.labels),
                               binary=binary)
