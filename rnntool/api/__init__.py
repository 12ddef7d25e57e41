"""The Python API: the library behind the ``rnntool`` commands, as a few plain functions.

``import rnntool`` gives these names, each loaded on first use (importing rnntool loads
neither torch nor numpy):

- vocabularies: ``build_vocab`` (from files or strings), ``load_vocab``, ``Vocab``;
- trees: ``read_trees`` (a treebank file), ``parse_tree`` (one bracketed tree or raw
  sentence, as ``rnntool parse`` makes it), ``binarize``, ``normalize``, ``to_brackets``
  and ``Tree`` (NLTK's) from ``rnntool.trees``;
- training: ``train_charlm``, ``train_wordlm``, ``train_tree``, ``train_sentiment``,
  ``train_tagger``, ``train_forecast``, ``train_parser``: each writes a checkpoint and
  returns a summary dict;
- using a checkpoint: ``load`` gives a ``Model`` that samples text (language models),
  predicts labels and class probabilities (tree models, sentence classifiers), tags
  (taggers), forecasts (forecasters) and trees (parsers), and evaluates itself.

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

from rnntool.errors import InputError, RnnToolError

__all__ = ["build_vocab", "load_vocab", "read_trees", "parse_tree", "train_charlm",
           "train_wordlm", "train_tagger", "train_forecast", "train_parser",
           "train_tree", "train_sentiment", "load", "Model"]


from rnntool.api.args import _output, _reporter, _settings, _vocab_argument
from rnntool.training.inputs import paths as _paths

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
    from rnntool import corpus
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
        return corpus.build_vocab(paths, level, min_count=min_count, max_size=max_size,
                                  lowercase=lowercase, tokenizer=tokenizer,
                                  encoding=encoding, errors=errors)[0]
    if isinstance(texts, str):
        texts = [texts]
    return corpus.vocab_of_texts(texts, level, min_count=min_count, max_size=max_size,
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
    from rnntool import parsing, trees

    maker = parsing.TreeMaker(input_kind=input, shape=shape, factor=factor,
                              collapse=collapse_unary)
    try:
        return maker.make(text)
    except trees.LineError as exc:
        raise InputError(str(exc)) from None


# --- training -------------------------------------------------------------------------------

def _train(kind: str, function: str, output, settings: dict, quiet: bool, read,
           cleanup=None) -> dict:
    """Train a model of ``kind``, as ``rnntool train KIND`` does: check the ``settings``
    (keyword arguments of ``function``) and the output, ``read(settings)`` the data with the
    kind's ``read_data``, train under the output lock; the summary dict with ``output``."""
    from rnntool import kinds
    from rnntool.guard import output_lock

    found = kinds.get(kind)
    config = _settings(found.load("settings"), settings, function)
    output = _output(output)
    data = read(found.load("training"), config)
    with output_lock(output):
        summary = found.load("training").train(data, config, output,
                                                progress=_reporter(f"train {kind}", quiet))
    return {**summary, "output": output}


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

    from rnntool.training.lm import LEVELS

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
    with tempfile.TemporaryDirectory(prefix="rnntool-api-") as workdir:
        def read(training, config):
            return training.read_data(kind, config, files=paths, text=text,
                                      vocab=_vocab_argument(vocab, LEVELS[kind][0]),
                                      workdir=workdir, encoding=encoding, errors=errors)
        return _train(kind, f"train_{kind}", output, settings, quiet, read)


def train_tagger(train, output="tagger.pt", *, dev=None, quiet: bool = False,
                 on_error: str = "error", encoding: str = "utf-8", errors: str = "strict",
                 **settings) -> dict:
    """Train a sequence tagger, as ``rnntool train tagger`` does; write the checkpoint with
    the best development score (entity F1 for BIO tags, else token accuracy) to ``output``.

    ``train`` and ``dev``: tagged files (a path or a list of paths: CoNLL or word/TAG), or
    lists of ``(words, tags)`` pairs. ``settings``: the fields of
    ``rnntool.settings.TaggerSettings`` (``hidden``, ``embed``, ``chars``, ``epochs``, ...).
    """
    return _train("tagger", "train_tagger", output, settings, quiet,
                  lambda training, config: training.read_data(
                      train, dev, settings=config, on_error=on_error, encoding=encoding,
                      errors=errors))


def train_parser(train, output="parser.pt", *, dev=None, quiet: bool = False,
                 on_error: str = "error", encoding: str = "utf-8", errors: str = "strict",
                 **settings) -> dict:
    """Train a span-based parser on bracketed trees, as ``rnntool train parser`` does; write
    the checkpoint with the best development bracket F1 (the last one, without ``dev``) to
    ``output``.

    ``train`` and ``dev``: treebank files (a path or a list of paths, one bracketed tree a
    line) or lists of NLTK trees; their labels are not used. ``settings``: the fields of
    ``rnntool.settings.ParserSettings`` (``hidden``, ``chars``, ``epochs``, ...).
    """
    return _train("parser", "train_parser", output, settings, quiet,
                  lambda training, config: training.read_data(
                      train, dev, settings=config, on_error=on_error, encoding=encoding,
                      errors=errors))


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
    settings = {**settings, "target": target, "columns": None if columns is None
                else list(columns)}
    return _train("forecast", "train_forecast", output, settings, quiet,
                  lambda training, config: training.read_data(
                      series, settings=config, encoding=encoding, errors=errors))


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
    import torch

    threads = torch.get_num_threads()  # training may set them; the caller's come back
    try:
        return _train("tree", "train_tree", output, settings, quiet,
                      lambda training, config: training.read_data(
                          train, dev, settings=config, embeddings=embeddings,
                          on_error=on_error, encoding=encoding, errors=errors))
    finally:
        torch.set_num_threads(threads)


def train_sentiment(train, output="sentiment.pt", *, dev=None, vocab=None,
                    embeddings=None, phrases: bool = True, quiet: bool = False,
                    on_error: str = "error", encoding: str = "utf-8",
                    errors: str = "strict", **settings) -> dict:
    """Train a recurrent sentence classifier, as ``rnntool train sentiment`` does; write the
    checkpoint with the best development accuracy (the last one, without ``dev``) to
    ``output``.

    ``train`` and ``dev``: labelled files (a path or a list of paths; lines as the ``format``
    setting says: ``label<TAB>text``, ``__label__X text`` or labelled bracketed trees;
    ``on_error="skip"`` skips bad lines with a warning) or a list of examples in memory:
    ``(label, text)`` pairs or labelled NLTK ``Tree`` objects (root label and leaves).
    Labels are strings (any number of classes). ``phrases`` (default): trees also give every
    labelled phrase. ``vocab``: a word ``Vocab`` or vocabulary file (its tokenizer and case folding
    then apply). ``embeddings``: a word2vec/GloVe text file. ``settings``: the fields of
    ``rnntool.settings.SentimentSettings`` (``cell``, ``layers``, ``hidden``, ``embed``,
    ``bidirectional``, ``pool``, ``binary``, ``tokenizer``, ``lowercase``, ``lr``,
    ``epochs``, ``max_time``, ``random_seed``, ...). Returns the summary dict: ``steps``,
    ``best_dev_accuracy``, ``elapsed``, ``train_sentences_per_second``, ``classes`` (the
    labels) and ``output``.
    """
    return _train("sentiment", "train_sentiment", output, settings, quiet,
                  lambda training, config: training.read_data(
                      train, dev, settings=config, vocab=_vocab_argument(vocab, "word"),
                      embeddings=embeddings, phrases=phrases, on_error=on_error,
                      encoding=encoding, errors=errors))


from rnntool.api.model import Model, load  # noqa: E402  (re-exported)
