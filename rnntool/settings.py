"""Every training setting, declared once per model kind: its default, help text, metavar and
bounds, as the metadata of a dataclass field (``setting(...)``, ``rnntool.declarations``).

Plain dataclasses with no heavy imports (neither click nor torch), so the command line can
read the defaults and help without loading torch or numpy: ``rnntool.cli.train.options``
makes the click options from these declarations, and each class's ``check()`` is derived
from the same bounds (plus the few checks across settings, written out). Not here: what the
settings do (``rnntool.training``), the options that are not settings (input files,
--output, --resume, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnntool.declarations import Settings, redeclared, setting
from rnntool.errors import RnnToolError
from rnntool.labelled import FORMATS as _LINE_FORMATS
from rnntool.tagging import TAGGED_FORMATS
from rnntool.text import TOKENIZERS

#: Passes over the text when no limit at all is given.
DEFAULT_EPOCHS = 10

#: The recurrent cells of the sequence models, and the compositions of the tree models.
CELLS = ("lstm", "gru", "rnn")
TREE_CELLS = ("rnn", "rntn", "lstm")
#: How trees are binarized (``rnntool.trees.FACTORS``, which imports NLTK).
FACTORS = ("right", "left")
OPTIMIZERS = ("adagrad", "adam")
NODE_LOSSES = ("all", "root")
POOLS = ("last", "mean", "max")
#: What a labelled line may hold: every line format of ``rnntool.labelled`` but bare text.
LABELLED_FORMATS = tuple(name for name in _LINE_FORMATS if name != "text")

#: The tree models' defaults that depend on the composition: the best settings found on
#: SST's development trees (bench/README.md, "Tree models: SST accuracy").
TREE_DEFAULTS = {
    "rnn": {"hidden": 100, "dropout": 0.5, "optimizer": "adagrad", "weight_decay": 1e-5},
    "lstm": {"hidden": 150, "dropout": 0.5, "optimizer": "adam", "weight_decay": 1e-5},
    "rntn": {"hidden": 35, "dropout": 0.3, "optimizer": "adagrad", "weight_decay": 1e-4},
}


def _per_cell(name: str) -> str:
    """A tree setting's defaults per cell, in words: "100 for rnn, 150 for lstm, ..."."""
    values = [TREE_DEFAULTS[cell][name] for cell in TREE_CELLS]
    return ", ".join(f"{value if isinstance(value, str) else format(value, 'g')} for {cell}"
                     for value, cell in zip(values, TREE_CELLS))


# Declarations shared by several kinds, their defaults (and a noun) given by each kind.

def _cell():
    return setting("lstm", "Recurrent cell.", choices=CELLS)


def _count(default, help: str, metavar: str = "N"):
    return setting(default, help, metavar=metavar, minimum=1)


def _layers(default: int):
    return _count(default, "Stacked recurrent layers.")


def _dropout(default: float, help: str):
    return setting(default, help, metavar="P", minimum=0, maximum=1, max_open=True)


def _adam_lr(default: float):
    return setting(default, "Learning rate (Adam), between --warmup and --decay.",
                   metavar="RATE", minimum=0, min_open=True)


def _share(default: float, help: str):
    return setting(default, help, metavar="F", minimum=0, maximum=1)


def _warmup(default: float = 0.0):
    return _share(default, "Share of the run (0 to 1, of its steps or of --max-time) over "
                           "which the learning rate rises linearly to --lr.")


def _decay(default: float = 0.4):
    return _share(default, "Share of the run at its end over which the learning rate falls "
                           "linearly from --lr to --final-lr times --lr.")


def _final_lr(default: float = 0.0):
    return _share(default, "The learning rate at the end of the run, as a share of --lr.")


def _schedule():
    """The learning-rate schedule's shares (``rnntool.training.schedule``), as ``_appended``
    takes them."""
    return [("warmup", "float", _warmup()), ("decay", "float", _decay()),
            ("final_lr", "float", _final_lr())]


def _weight_decay(default: float = 0.0):
    return setting(default, "L2 weight decay.", metavar="L2", minimum=0)


def _clip(default: float):
    return setting(default, "Clip gradients to this global norm (0: off).", metavar="NORM",
                   minimum=0)


def _batch_size(default: int, unit: str):
    return _count(default, f"{unit.capitalize()} per minibatch.")


def _epochs(default: int, unit: str):
    return _count(None, f"Passes over the training {unit} (default: {default}, or with "
                        f"--max-time alone as many as the time allows).")


def _max_time():
    return setting(None, "Train for at most this long (e.g. 600, 10m), counted from the start "
                         "of training, validations and saves included; the epoch in progress "
                         "is then validated. Alone, it is the run's only limit; with --epochs, "
                         "whichever comes first.", duration=True)


def _patience():
    return _count(None, "Stop when validation has not improved for N validations in a row "
                        "(the best model is kept).")


def _random_seed(help: str = "Seed of the random number generators (weights, order)."):
    return setting(0, help, metavar="N", seed=True)


def _threads():
    return setting(None, "CPU threads torch computes with; 0 or none: 1 or all cores, chosen by "
                         "timing both while the run goes and again when the machine's load "
                         "changes (OMP_NUM_THREADS, if set, fixes the count instead).",
                   metavar="N", minimum=0)


def _log_every():
    return _count(50, "Write a training record (mean loss, learning rate, throughput) to "
                      "CKPT.metrics.jsonl every N steps; validations are recorded too.")


def _min_count(help: str = "Training words seen fewer times become <unk>."):
    return _count(1, help)


def _lowercase(help: str = "Fold words to lower case."):
    return setting(False, help, flag=True)


def _bidirectional(default: bool):
    return setting(default, "Read each sentence in both directions.", off="unidirectional")


def _eval_every(unit: str):
    return _count(None, f"Validate every this many steps, and at the end (default: about every "
                        f"seven times as many training {unit}s as validation reads, so "
                        f"validating costs about 5% of the time).")


def _val_tokens(unit: str):
    return setting(200_000, f"Validate on at most the first N {unit}s of the held-out text, so "
                            f"that a validation takes the same time at any corpus size (0: all "
                            f"of it; `rnntool eval` measures a whole file).",
                   metavar="N", minimum=0)


def _appended(cls, fields):
    """``cls`` with ``fields`` (name, annotation, declaration) declared after its own, as if
    written at the end of its body (a decorator under ``@dataclass``, which then sees them
    in this order: the command line's options and ``info`` list settings in field order)."""
    annotations = cls.__dict__.get("__annotations__", {})
    for name, annotation, declaration in fields:
        if name in annotations:
            raise TypeError(f"{cls.__name__} declares {name} itself")
        annotations[name] = annotation
        setattr(cls, name, declaration)
    cls.__annotations__ = annotations
    return cls


def _run_length(epochs: int, unit: str):
    """The settings that end an epoch-based kind's list: how long the run is (whichever
    limit comes first; ``epochs`` passes when no limit is given, ``Settings.epoch_limit``),
    its seed, its training records and its threads."""
    def add(cls):
        cls.DEFAULT_EPOCHS = epochs
        return _appended(cls, [
            ("epochs", "int | None", _epochs(epochs, unit)),
            ("max_time", "float | None", _max_time()),
            ("patience", "int | None", _patience()),
            ("random_seed", "int", _random_seed()),
            ("log_every", "int", _log_every()),
            ("threads", "int | None", _threads()),
        ])
    return add


def _adam_run(lr: float, clip: float, batch_size: int, epochs: int, unit: str):
    """Adam's settings and then ``_run_length``'s: the end of the list of the kinds trained
    on batches of ``unit`` with Adam (sentence classifier, tagger, forecaster)."""
    return lambda cls: _run_length(epochs, unit)(_appended(cls, [
        ("lr", "float", _adam_lr(lr)),
        *_schedule(),
        ("weight_decay", "float", _weight_decay()),
        ("clip", "float", _clip(clip)),
        ("batch_size", "int", _batch_size(batch_size, unit)),
    ]))


#: One message for the run limits of a language model, one for its vocabulary's limits.
_RUN_LIMITS = "--epochs and --steps must be positive"
_VOCAB_LIMITS = "--min-count must be at least 1 and --max-size at least 5"


@dataclass
class CharLMSettings(Settings):
    """Every setting of a char-LM training run. The command line's defaults come from here."""

    # model
    cell: str = _cell()
    layers: int = _layers(2)
    hidden: int = _count(256, "Hidden units per layer.")
    embed: int = _count(64, "Character embedding size.")
    dropout: float = _dropout(0.1, "Dropout on embeddings, between layers and on outputs.")
    # data
    seq_len: int = _count(100, "Truncated BPTT length: time steps per batch.")
    batch_size: int = _count(16, "Contiguous streams per batch.")
    val_frac: float = setting(0.1, "Hold out this final fraction of the text, contiguous, for "
                                   "validation (0: none; the last model is saved).",
                              metavar="F", minimum=0, maximum=1, max_open=True)
    val_tokens: int = _val_tokens("character")
    # optimization
    lr: float = setting(5e-3, "Learning rate (Adam), between --warmup and --decay.",
                        metavar="RATE", minimum=0, min_open=True)
    warmup: float = _warmup()
    decay: float = _decay()
    final_lr: float = _final_lr()
    clip: float = _clip(1.0)
    # length of the run: whichever limit comes first; with none given, DEFAULT_EPOCHS
    epochs: float | None = setting(
        None, f"Passes over the training text (may be fractional; default: {DEFAULT_EPOCHS} "
              f"when neither --steps nor --max-time is given).",
        metavar="X", minimum=0, min_open=True, message=_RUN_LIMITS)
    steps: int | None = setting(None, "Stop after this many batches.", metavar="N", minimum=1,
                                message=_RUN_LIMITS)
    max_time: float | None = setting(None, "Train for at most this long (e.g. 600, 10m, 1h), "
                                           "counted from the start of training, validations "
                                           "and saves included; the learning-rate schedule "
                                           "then follows the clock.",
                                     duration=True)
    patience: int | None = _patience()
    # validation (None: auto, see validation_interval)
    eval_every: int | None = _eval_every("character")
    random_seed: int = _random_seed("Seed of the random number generator (weights, dropout).")
    log_every: int = _log_every()
    threads: int | None = _threads()

    def check(self) -> None:
        super().check()
        if self.val_tokens == 1:
            raise RnnToolError("--val-tokens must be 0 (all of the held-out text) or at least 2")

    def passes(self) -> float | None:
        """How many passes over the training text the run may make (None: no such limit)."""
        if self.epochs is None and self.steps is None and self.max_time is None:
            return DEFAULT_EPOCHS
        return self.epochs

    def validation_tokens(self, held_out: int) -> int:
        """How many of the ``held_out`` tokens a validation reads: at most ``val_tokens``
        (0: all)."""
        return min(held_out, self.val_tokens) if self.val_tokens else held_out

    def validation_interval(self, val_tokens: int) -> int:
        """Steps between validations: ``eval_every``, or by default often enough to follow
        the run but rarely enough that validating (a forward pass over ``val_tokens``, the
        tokens a validation reads (``validation_tokens``), about a third of the cost of
        training on as many) costs about 5% of the training time."""
        if self.eval_every is not None:
            return self.eval_every
        per_step = self.batch_size * self.seq_len
        return max(50, -(-7 * val_tokens // per_step))


@dataclass
class WordLMSettings(CharLMSettings):
    """Every setting of a word-level language-model run: the char-LM's, with defaults for
    words, and how the text becomes words."""

    embed: int = _count(200, "Word embedding size.")
    hidden: int = redeclared(CharLMSettings, "hidden", 200)
    dropout: float = redeclared(CharLMSettings, "dropout", 0.2)
    seq_len: int = redeclared(CharLMSettings, "seq_len", 35)
    batch_size: int = redeclared(CharLMSettings, "batch_size", 20)
    eval_every: int | None = _eval_every("word")
    val_tokens: int = _val_tokens("word")
    tie: bool = setting(False, "Tie the output layer to the word embedding (needs --embed equal "
                               "to --hidden).", off="no-tie")
    # words: as `rnntool vocab --level word` makes them
    tokenizer: str = setting("regexp", "How lines are split into words, as `rnntool vocab "
                                       "--level word` does.", choices=TOKENIZERS)
    lowercase: bool = _lowercase()
    min_count: int = setting(1, "Words seen fewer times become <unk>.", metavar="N", minimum=1,
                             message=_VOCAB_LIMITS)
    max_size: int | None = setting(None, "Keep at most N vocabulary entries (the most frequent "
                                         "words; the 4 reserved entries count).",
                                   metavar="N", minimum=5, message=_VOCAB_LIMITS)

    def check(self) -> None:
        super().check()
        if self.tie and self.embed != self.hidden:
            raise RnnToolError(f"--tie needs --embed equal to --hidden (they are {self.embed} "
                               f"and {self.hidden})")


@dataclass
@_run_length(epochs=20, unit="trees")
class TreeSettings(Settings):
    """Every setting of a tree-model (recursive network) training run."""

    # model
    cell: str = setting("rnn", "Composition: rnn h = tanh(W[l; r] + b); rntn adds a bilinear "
                               "tensor term; lstm is a binary Tree-LSTM with a forget gate per "
                               "child.", choices=TREE_CELLS)
    hidden: int | None = _count(None, "Size of every node's state (default: " +
                                _per_cell("hidden") + ").")
    embed: int | None = _count(None, "Word embedding size (default: --hidden; otherwise "
                                     "projected to it).")
    dropout: float | None = _dropout(None, "Dropout on word embeddings and on the states fed "
                                           "to the classifier (default: " +
                                     _per_cell("dropout") + ").")
    # data
    binary: bool = setting(False, "SST binary convention: labels 0-1 negative, 3-4 positive; "
                                  "neutral nodes are unsupervised and neutral-root trees are "
                                  "left out of evaluation.", flag=True)
    min_count: int = _min_count()
    # optimization
    optimizer: str | None = setting(None, "Optimizer (default: " + _per_cell("optimizer") +
                                    ").", choices=OPTIMIZERS)
    lr: float | None = setting(None, "Learning rate (default: 0.05 for Adagrad, 0.002 for "
                                     "Adam), between --warmup and --decay.", metavar="RATE",
                               minimum=0, min_open=True)
    warmup: float = _warmup()
    decay: float = _decay()
    final_lr: float = _final_lr()
    weight_decay: float | None = setting(None, "L2 weight decay (default: " +
                                         _per_cell("weight_decay") + ").", metavar="L2",
                                         minimum=0)
    clip: float = _clip(5.0)
    batch_size: int = _batch_size(25, "trees")
    node_loss: str = setting("all", "Loss at every labelled node, or at the roots only.",
                             choices=NODE_LOSSES, what="node loss")

    def __post_init__(self) -> None:
        """Settings left at None take the defaults of the cell (``TREE_DEFAULTS``)."""
        for name, value in TREE_DEFAULTS.get(self.cell, TREE_DEFAULTS["rnn"]).items():
            if getattr(self, name) is None:
                setattr(self, name, value)

    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return 0.05 if self.optimizer == "adagrad" else 0.002


@dataclass
@_adam_run(lr=0.002, clip=5.0, batch_size=64, epochs=10, unit="sentences")
class SentimentSettings(Settings):
    """Every setting of a sequence-classifier (sentiment) training run."""

    # model
    cell: str = _cell()
    layers: int = _layers(1)
    hidden: int = _count(150, "Hidden units per layer and direction.")
    embed: int = _count(100, "Word embedding size.")
    bidirectional: bool = _bidirectional(False)
    pool: str = setting("last", "Sentence vector: the final state of each direction (last), or "
                                "the mean or maximum of the top layer's outputs over the "
                                "sentence.", choices=POOLS, what="pooling")
    dropout: float = _dropout(0.5, "Dropout on word embeddings, between layers and on the "
                                   "sentence vector.")
    # data
    format: str = setting("auto", "What a line holds: label<TAB>text (tsv), __label__X text "
                                  "(fasttext), a labelled bracketed tree whose root label and "
                                  "leaves are the example (trees), or any of these, told apart "
                                  "line by line (auto).",
                          choices=LABELLED_FORMATS, what="input format")
    binary: bool = setting(False, "SST binary convention on 0-4 labels: 0-1 become 0 "
                                  "(negative), 3-4 become 1 (positive), neutral (2) examples "
                                  "are left out.", flag=True)
    tokenizer: str = setting("treebank", "How text lines are split into words (tree leaves are "
                                         "words already).", choices=TOKENIZERS)
    lowercase: bool = setting(True, "Fold words to lower case.", off="no-lowercase")
    min_count: int = _min_count()


@dataclass
@_adam_run(lr=0.003, clip=1.0, batch_size=32, epochs=20, unit="windows")
class ForecastSettings(Settings):
    """Every setting of a time-series forecaster's training run."""

    # data
    target: str | None = setting(None, "The column to forecast, by header name or number from "
                                       "1 (default: the last column).", metavar="COLUMN")
    columns: list | None = setting(None, "Input columns, comma-separated names or numbers "
                                         "(default: all); the target is always one.",
                                   metavar="COLUMNS")
    window: int = _count(48, "Steps of history each forecast reads.")
    horizon: int = _count(1, "Steps forecast at once.", metavar="H")
    val_frac: float = setting(0.2, "Hold out this final fraction of the steps for validation.",
                              metavar="F", minimum=0, maximum=1, min_open=True, max_open=True)
    # model
    cell: str = _cell()
    layers: int = _layers(2)
    hidden: int = _count(64, "Hidden units per layer.")
    dropout: float = _dropout(0.0, "Dropout between layers and before the output layer.")


@dataclass
@_adam_run(lr=0.002, clip=5.0, batch_size=32, epochs=10, unit="sentences")
class TaggerSettings(Settings):
    """Every setting of a sequence tagger's training run."""

    # data
    format: str = setting("auto", "conll: a token and its tag a line (first and last column), a "
                                  "blank line between sentences; slash: a sentence a line, "
                                  "word/TAG items; auto: told apart file by file.",
                          choices=TAGGED_FORMATS, what="input format")
    lowercase: bool = _lowercase("Fold words to lower case for the word embeddings (the "
                                 "character encoder still sees the case).")
    min_count: int = _min_count()
    # model
    cell: str = _cell()
    layers: int = _layers(1)
    hidden: int = _count(100, "Hidden units per layer and direction.")
    embed: int = _count(100, "Word embedding size.")
    bidirectional: bool = _bidirectional(True)
    chars: bool = setting(False, "Add a character-level BiLSTM encoding of each word to its "
                                 "embedding, which tags unknown words by their spelling.",
                          off="no-chars")
    char_embed: int = _count(25, "Character embedding size (with --chars).")
    char_hidden: int = _count(25, "Hidden units of the character BiLSTM per direction (with "
                                  "--chars).")
    dropout: float = _dropout(0.3, "Dropout on the word vectors and on the recurrent outputs.")


@dataclass
@_adam_run(lr=0.001, clip=5.0, batch_size=32, epochs=10, unit="sentences")
class ParserSettings(Settings):
    """Every setting of a span-based parser's training run."""

    # data: the trees are binarized as `rnntool parse` binarizes them
    factor: str = setting("right", "How nodes with more than two children are binarized "
                                   "(NLTK's chomsky_normal_form), as `rnntool parse --factor`.",
                          choices=FACTORS)
    lowercase: bool = _lowercase("Fold words to lower case for the word embeddings (the "
                                 "character encoder still sees the case).")
    min_count: int = _min_count("Training words seen fewer times become <unk> (the character "
                                "encoder still reads them).")
    # model
    layers: int = _layers(2)
    hidden: int = _count(200, "Hidden units of the sentence BiLSTM per layer and direction.")
    embed: int = _count(100, "Word embedding size.")
    chars: bool = setting(True, "Add a character-level BiLSTM encoding of each word to its "
                                "embedding, which reads unknown words by their spelling.",
                          off="no-chars")
    char_embed: int = _count(32, "Character embedding size (with --chars).")
    char_hidden: int = _count(50, "Hidden units of the character BiLSTM per direction (with "
                                  "--chars).")
    span_hidden: int = _count(250, "Hidden units of the span scorer.")
    dropout: float = _dropout(0.3, "Dropout on the word vectors and on the recurrent outputs.")
