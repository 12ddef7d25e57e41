"""Every training setting in one block per model kind, with the defaults the command line shows.

Plain dataclasses with no heavy imports, so the command line can read the defaults
without loading torch or numpy. Not here: what the settings do (``rnntool.train``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rnntool.errors import RnnToolError

#: Passes over the text when no limit at all is given.
DEFAULT_EPOCHS = 10


def check_recurrent(settings, counts: tuple[str, ...]) -> None:
    """The checks the recurrent kinds' settings share: a known cell, the ``counts`` at
    least 1, dropout in [0, 1), a positive learning rate and time limit."""
    if settings.cell not in ("lstm", "gru", "rnn"):
        raise RnnToolError(f"unknown cell {settings.cell!r}")
    for name in counts:
        if getattr(settings, name) < 1:
            raise RnnToolError(f"--{name.replace('_', '-')} must be at least 1")
    if not 0.0 <= settings.dropout < 1.0:
        raise RnnToolError("--dropout must be in [0, 1)")
    if settings.lr <= 0:
        raise RnnToolError("--lr must be positive")
    if settings.max_time is not None and settings.max_time <= 0:
        raise RnnToolError("--max-time must be positive")


@dataclass
class CharLMSettings:
    """Every setting of a char-LM training run. The command line's defaults come from here."""

    # model
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 256
    embed: int = 64
    dropout: float = 0.1
    # data
    seq_len: int = 100          # truncated BPTT length
    batch_size: int = 16        # contiguous streams per batch
    val_frac: float = 0.1       # the last fraction of the text, contiguous, is held out
    # optimization
    lr: float = 3e-3            # peak learning rate (Adam)
    min_lr_frac: float = 0.05   # the cosine schedule ends at lr * min_lr_frac
    warmup: int = 50            # steps of linear warmup
    clip: float = 1.0           # global gradient-norm limit (0: no clipping)
    # length of the run: whichever limit comes first; with none given, DEFAULT_EPOCHS
    epochs: float | None = None
    steps: int | None = None
    max_time: float | None = None  # seconds of training
    # validation
    eval_every: int | None = None  # steps between validations (None: auto, see below)
    random_seed: int = 0
    log_every: int = 50         # steps per training record in CKPT.metrics.jsonl

    def check(self) -> None:
        if self.cell not in ("lstm", "gru", "rnn"):
            raise RnnToolError(f"unknown cell {self.cell!r}")
        for name in ("layers", "hidden", "embed", "seq_len", "batch_size", "eval_every",
                     "log_every"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise RnnToolError(f"--{name.replace('_', '-')} must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise RnnToolError("--dropout must be in [0, 1)")
        if not 0.0 <= self.val_frac < 1.0:
            raise RnnToolError("--val-frac must be in [0, 1)")
        if self.lr <= 0:
            raise RnnToolError("--lr must be positive")
        if (self.epochs is not None and self.epochs <= 0) or (
                self.steps is not None and self.steps < 1):
            raise RnnToolError("--epochs and --steps must be positive")
        if self.max_time is not None and self.max_time <= 0:
            raise RnnToolError("--max-time must be positive")

    def passes(self) -> float | None:
        """How many passes over the training text the run may make (None: no such limit)."""
        if self.epochs is None and self.steps is None and self.max_time is None:
            return DEFAULT_EPOCHS
        return self.epochs

    def validation_interval(self, val_tokens: int) -> int:
        """Steps between validations: ``eval_every``, or by default often enough to follow
        the run but rarely enough that validating (a forward pass over the held-out text,
        about a third of the cost of training on as many characters) costs about 5% of the
        training time."""
        if self.eval_every is not None:
            return self.eval_every
        per_step = self.batch_size * self.seq_len
        return max(50, -(-7 * val_tokens // per_step))



@dataclass
class WordLMSettings(CharLMSettings):
    """Every setting of a word-level language-model run: the char-LM's, with defaults for
    words, and how the text becomes words."""

    embed: int = 200
    hidden: int = 200
    dropout: float = 0.2
    seq_len: int = 35
    batch_size: int = 20
    tie: bool = False             # the output layer shares the embedding (embed == hidden)
    # words: as `rnntool vocab --level word` makes them
    tokenizer: str = "regexp"
    lowercase: bool = False
    min_count: int = 1            # rarer words become <unk>
    max_size: int | None = None   # at most this many vocabulary entries (reserved included)

    def check(self) -> None:
        super().check()
        if self.tie and self.embed != self.hidden:
            raise RnnToolError(f"--tie needs --embed equal to --hidden (they are {self.embed} "
                               f"and {self.hidden})")
        if self.tokenizer not in ("regexp", "treebank", "whitespace"):
            raise RnnToolError(f"unknown tokenizer {self.tokenizer!r}")
        if self.min_count < 1 or (self.max_size is not None and self.max_size < 5):
            raise RnnToolError("--min-count must be at least 1 and --max-size at least 5")


@dataclass
class TreeSettings:
    """Every setting of a tree-model (recursive network) training run."""

    # model
    cell: str = "rnn"             # rnn, rntn or lstm
    hidden: int = 100
    embed: int | None = None      # None: the same as hidden
    dropout: float = 0.0
    # data
    binary: bool = False          # SST binary convention
    min_count: int = 1            # rarer training words map to <unk>
    # optimization
    optimizer: str = "adagrad"    # adagrad or adam
    lr: float | None = None       # None: 0.05 for Adagrad, 0.002 for Adam
    weight_decay: float = 1e-5
    clip: float = 5.0
    batch_size: int = 25
    node_loss: str = "all"        # all labelled nodes, or the roots only
    # length of the run: whichever limit comes first
    epochs: int = 10
    max_time: float | None = None
    random_seed: int = 0
    log_every: int = 50         # steps per training record in CKPT.metrics.jsonl
    # CPU threads; None: one for rnn and lstm, whose per-level operations are too small to
    # share (and stall when another process holds a core), torch's default for rntn
    threads: int | None = None

    def thread_count(self) -> int | None:
        """Threads to train with: ``threads``, else 1 for rnn and lstm unless OMP_NUM_THREADS
        says otherwise; None: leave torch's setting."""
        import os
        if self.threads is not None:
            return self.threads
        if self.cell != "rntn" and not os.environ.get("OMP_NUM_THREADS"):
            return 1
        return None

    def learning_rate(self) -> float:
        if self.lr is not None:
            return self.lr
        return 0.05 if self.optimizer == "adagrad" else 0.002

    def check(self) -> None:
        if self.cell not in ("rnn", "rntn", "lstm"):
            raise RnnToolError(f"unknown cell {self.cell!r}")
        if self.optimizer not in ("adagrad", "adam"):
            raise RnnToolError(f"unknown optimizer {self.optimizer!r}")
        if self.node_loss not in ("all", "root"):
            raise RnnToolError(f"unknown node loss {self.node_loss!r}")
        for name in ("hidden", "batch_size", "epochs", "min_count", "log_every"):
            if getattr(self, name) < 1:
                raise RnnToolError(f"--{name.replace('_', '-')} must be at least 1")
        if self.threads is not None and self.threads < 1:
            raise RnnToolError("--threads must be at least 1")
        if self.embed is not None and self.embed < 1:
            raise RnnToolError("--embed must be at least 1")
        if not 0.0 <= self.dropout < 1.0:
            raise RnnToolError("--dropout must be in [0, 1)")


@dataclass
class SentimentSettings:
    """Every setting of a sequence-classifier (sentiment) training run."""

    # model
    cell: str = "lstm"            # lstm, gru or rnn
    layers: int = 1
    hidden: int = 150
    embed: int = 100
    bidirectional: bool = False
    pool: str = "last"            # last, mean or max
    dropout: float = 0.3
    # data
    format: str = "auto"          # auto, tsv, fasttext or trees
    binary: bool = False          # SST binary convention on tree input
    tokenizer: str = "treebank"   # for text lines (tree leaves are tokens already)
    lowercase: bool = False
    min_count: int = 1            # rarer training words map to <unk>
    # optimization (Adam; the embedding table is updated lazily, see rnntool.optim)
    lr: float = 0.002
    weight_decay: float = 0.0
    clip: float = 5.0
    batch_size: int = 32
    # length of the run: whichever limit comes first
    epochs: int = 10
    max_time: float | None = None
    random_seed: int = 0
    log_every: int = 50         # steps per training record in CKPT.metrics.jsonl

    def check(self) -> None:
        if self.pool not in ("last", "mean", "max"):
            raise RnnToolError(f"unknown pooling {self.pool!r}")
        if self.format not in ("auto", "tsv", "fasttext", "trees"):
            raise RnnToolError(f"unknown input format {self.format!r}")
        check_recurrent(self, ("layers", "hidden", "embed", "batch_size", "epochs",
                               "min_count", "log_every"))


@dataclass
class ForecastSettings:
    """Every setting of a time-series forecaster's training run."""

    # data
    target: str | None = None     # the column to forecast (name or number; default: last)
    columns: list | None = None   # input columns (default: all)
    window: int = 48              # steps of history per forecast
    horizon: int = 1              # steps forecast at once
    val_frac: float = 0.2         # the held-out tail, for validation
    # model
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 64
    dropout: float = 0.0
    # optimization (Adam)
    lr: float = 0.003
    weight_decay: float = 0.0
    clip: float = 1.0
    batch_size: int = 32
    # length of the run: whichever limit comes first
    epochs: int = 20
    max_time: float | None = None
    random_seed: int = 0
    log_every: int = 50         # steps per training record in CKPT.metrics.jsonl

    def check(self) -> None:
        if not 0.0 < self.val_frac < 1.0:
            raise RnnToolError("--val-frac must be between 0 and 1")
        check_recurrent(self, ("window", "horizon", "layers", "hidden", "batch_size",
                               "epochs", "log_every"))


@dataclass
class TaggerSettings:
    """Every setting of a sequence tagger's training run."""

    # data
    format: str = "auto"          # auto, conll or slash
    lowercase: bool = False       # fold words to lower case (characters keep their case)
    min_count: int = 1            # rarer training words map to <unk>
    # model
    cell: str = "lstm"
    layers: int = 1
    hidden: int = 100
    embed: int = 100
    bidirectional: bool = True
    chars: bool = False           # a character BiLSTM of each word, for unknown words
    char_embed: int = 25
    char_hidden: int = 25
    dropout: float = 0.3
    # optimization (Adam; the word embeddings are updated lazily, see rnntool.optim)
    lr: float = 0.002
    weight_decay: float = 0.0
    clip: float = 5.0
    batch_size: int = 32
    # length of the run: whichever limit comes first
    epochs: int = 10
    max_time: float | None = None
    random_seed: int = 0
    log_every: int = 50         # steps per training record in CKPT.metrics.jsonl

    def check(self) -> None:
        if self.format not in ("auto", "conll", "slash"):
            raise RnnToolError(f"unknown input format {self.format!r}")
        check_recurrent(self, ("layers", "hidden", "embed", "char_embed", "char_hidden",
                               "batch_size", "epochs", "min_count", "log_every"))
