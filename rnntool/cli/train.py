"""``rnntool train``: one subcommand per model kind (charlm, wordlm, tree, sentiment, tagger,
forecast)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import shutil
import tempfile

import click

from rnntool.cli.common import (CHECKPOINT, DURATION, RANDOM_SEED, encoding_option,
                                errors_option, input_paths, invocation, refuse_clobbering)
from rnntool.settings import (DEFAULT_EPOCHS, CharLMSettings, ForecastSettings,
                              SentimentSettings, TaggerSettings, TreeSettings,
                              WordLMSettings)

D = CharLMSettings()  # the defaults, in one place


#: Options a resumed run may change; every other setting stays the checkpoint's.
RUN_LENGTH = ("epochs", "steps", "max_time", "threads", "log_every")


def run_options(command):
    """``--resume``, ``--ignore-lock`` and ``--log-every``, shared by every train
    subcommand."""
    command = click.option(
        "--log-every", type=click.IntRange(min=1), metavar="N", default=D.log_every,
        show_default=True,
        help="Write a training record (mean loss, learning rate, throughput) to "
             "CKPT.metrics.jsonl every N steps; validations are recorded too.")(command)
    command = click.option(
        "--ignore-lock", is_flag=True,
        help="Write the checkpoint even when another training run holds its lock "
             "(CKPT.lock, held while a run writes CKPT).")(command)
    return click.option(
        "--resume", "resume_path", metavar="CKPT", type=CHECKPOINT,
        help="Go on from CKPT, written by an interrupted or finished run, exactly where it "
             "stopped: the same data (leave out the input files to read the run's own files "
             "again) and settings; only --epochs, --steps, --max-time, --threads and "
             "--log-every may change. Writes CKPT unless -o is given.")(command)


def fit_options(defaults, unit: str):
    """The options of the classifier trainers' epoch loop, with ``defaults`` (a settings
    object) shown: weight decay, clipping, batch size, epochs, time limit, random seed."""
    options = [
        click.option("--weight-decay", type=click.FloatRange(min=0), metavar="L2",
                     default=defaults.weight_decay, show_default=True, help="L2 weight decay."),
        click.option("--clip", type=click.FloatRange(min=0), metavar="NORM",
                     default=defaults.clip, show_default=True,
                     help="Clip gradients to this global norm (0: off)."),
        click.option("--batch-size", type=click.IntRange(min=1), metavar="N",
                     default=defaults.batch_size, show_default=True,
                     help=f"{unit.capitalize()} per minibatch."),
        click.option("--epochs", type=click.IntRange(min=1), metavar="N",
                     default=defaults.epochs, show_default=True,
                     help=f"Passes over the training {unit}."),
        click.option("--max-time", type=DURATION, default=None,
                     help="Stop after this much time (e.g. 600, 10m); the epoch in progress "
                          "is then validated."),
        click.option("--random-seed", type=RANDOM_SEED, metavar="N",
                     default=defaults.random_seed, show_default=True,
                     help="Seed of the random number generators (weights, order)."),
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def on_error_option(what: str):
    """``--on-error error|skip``: what to do with input that does not read (``what``)."""
    return click.option(
        "--on-error", type=click.Choice(["error", "skip"]), default="error", show_default=True,
        help=f"{what}: stop with an error naming its line, or skip it and say how many were "
             f"skipped.")


def adam_lr_option(default: float):
    return click.option("--lr", type=click.FloatRange(min=0, min_open=True), metavar="RATE",
                        default=default, show_default=True, help="Learning rate (Adam).")


def explicit(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line or in the environment."""
    from click.core import ParameterSource
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE,
                                              ParameterSource.ENVIRONMENT)


def resumed(ctx: click.Context, kind: str, path: str | None, cls, given: dict):
    """``(checkpoint, settings)`` of the run to resume (``(None, cls(**given))`` without
    one): the checkpoint's settings, with the run-length options given here; another
    option given with a different value is a usage error."""
    if path is None:
        return None, cls(**given)
    from rnntool import checkpoint
    loaded = checkpoint.load(path, kind=kind)
    saved = loaded["training"].get("settings", {})
    values = {}
    for field in dataclasses.fields(cls):
        name = field.name
        if name not in saved or (name in RUN_LENGTH and explicit(ctx, name)):
            values[name] = given[name]
            continue
        values[name] = saved[name]
        if explicit(ctx, name) and given[name] != saved[name]:
            raise click.UsageError(
                f"--{name.replace('_', '-')} {given[name]} differs from the resumed run's "
                f"{'default' if saved[name] is None else saved[name]}; a resumed run keeps "
                f"its settings (only --epochs, --steps, --max-time, --threads and "
                f"--log-every may change)")
    return loaded, cls(**values)


def distributed_group(reads_stdin: bool):
    """This process's place in a ``torchrun`` launch (one process of one without it); a
    usage error when a distributed run would read its data from stdin."""
    from rnntool import console
    from rnntool.distributed import Group
    group = Group.from_env()
    if group.distributed and reads_stdin:
        raise click.UsageError("under torchrun every process reads the training data itself "
                               "and stdin cannot be shared: give the data as files")
    console.set_rank(group.rank)
    return group


@contextlib.contextmanager
def launch(group, output: str, ignore_lock: bool):
    """Join a distributed run's process group (if any) and hold the output lock (rank 0)
    for the duration of the training."""
    from rnntool.distributed import process_group
    from rnntool.guard import output_lock
    with process_group(group), output_lock(output, not ignore_lock and group.is_main):
        yield


def saved_inputs(paths) -> list[str]:
    """The input files a resumed run read (as its record holds them), to read them again;
    a usage error if it read stdin."""
    paths = [paths] if isinstance(paths, str) else list(paths or [])
    if not paths or "-" in paths:
        raise click.UsageError("the resumed run read its data from stdin: give the same data "
                               "again")
    return paths


@click.group("train", epilog="""\b
Examples:
  rnntool train charlm corpus.txt -o model.pt
  torchrun --standalone --nproc-per-node=4 -m rnntool train charlm corpus.txt -o model.pt
  torchrun --nnodes=2 --nproc-per-node=8 --rdzv-backend=c10d \\
      --rdzv-endpoint=node1.example.org:29400 --rdzv-id=run42 \\
      -m rnntool train tree train.txt --dev dev.txt -o tree.pt

Every kind also trains as several processes under PyTorch's launcher, torchrun, on one
machine or several, with DistributedDataParallel over gloo (rnntool trains on the CPU). The
global batch is the same whatever the number of processes, so --batch-size and --lr mean
the same thing: each process computes its share (a block of a language model's streams,
which the number of processes must divide; every N-th sentence, tree or window of a
batch). Only rank 0
reports progress and writes the checkpoint and its metrics. Each process reads the data
files itself (stdin is refused); on several machines, the files and a --resume checkpoint
must be readable at the same paths on every one. A run resumes on any number of processes.
Stop a run calmly with SIGTERM to torchrun (or Ctrl-C once): every process finishes its
step and rank 0 saves. torchrun sets OMP_NUM_THREADS=1 for each process unless it is set.
""")
def group() -> None:
    """Train a model; each model kind is a subcommand."""


def lm_options(defaults, level: str):
    """The options of the language-model trainers (charlm, wordlm), with ``defaults`` (a
    settings object) shown; ``level``: char or word."""
    noun = "character" if level == "char" else "word"
    options = [
        click.argument("files", nargs=-1, type=click.Path(allow_dash=True)),
        click.option("-o", "--output", default=f"{level}lm.pt", show_default=True,
                     metavar="CKPT", type=CHECKPOINT,
                     help="Checkpoint to write (the best one by validation loss)."),
        click.option("--data", "data_path", metavar="IDS.npy", type=click.Path(dir_okay=False),
                     help="Train on an encoded corpus from `rnntool vocab --encode` "
                          "(memory-mapped) instead of text; needs --vocab, which must be the "
                          "vocabulary it was encoded with (only ids beyond its size can be "
                          "detected)."),
        click.option("--vocab", "vocab_path", metavar="FILE", type=click.Path(dir_okay=False),
                     help=f"{noun.capitalize()} vocabulary to use (default: built from the "
                          f"training text)."),
        click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default=defaults.cell,
                     show_default=True, help="Recurrent cell."),
        click.option("--layers", type=click.IntRange(min=1), metavar="N",
                     default=defaults.layers, show_default=True,
                     help="Stacked recurrent layers."),
        click.option("--hidden", type=click.IntRange(min=1), metavar="N",
                     default=defaults.hidden, show_default=True,
                     help="Hidden units per layer."),
        click.option("--embed", type=click.IntRange(min=1), metavar="N",
                     default=defaults.embed, show_default=True,
                     help=f"{noun.capitalize()} embedding size."),
        click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), metavar="P",
                     default=defaults.dropout, show_default=True,
                     help="Dropout on embeddings, between layers and on outputs."),
        click.option("--seq-len", type=click.IntRange(min=1), metavar="N",
                     default=defaults.seq_len, show_default=True,
                     help="Truncated BPTT length: time steps per batch."),
        click.option("--batch-size", type=click.IntRange(min=1), metavar="N",
                     default=defaults.batch_size, show_default=True,
                     help="Contiguous streams per batch."),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), metavar="RATE",
                     default=defaults.lr, show_default=True,
                     help="Peak learning rate (Adam), reached after a short warmup and then "
                          "decayed along a cosine to a twentieth."),
        click.option("--clip", type=click.FloatRange(min=0), metavar="NORM",
                     default=defaults.clip, show_default=True,
                     help="Clip gradients to this global norm (0: off)."),
        click.option("--epochs", type=click.FloatRange(min=0, min_open=True), metavar="X",
                     default=defaults.epochs,
                     help="Passes over the training text (may be fractional; default: "
                          f"{DEFAULT_EPOCHS} when neither --steps nor --max-time is given)."),
        click.option("--steps", type=click.IntRange(min=1), metavar="N", default=None,
                     help="Stop after this many batches."),
        click.option("--max-time", type=DURATION, default=None,
                     help="Stop after this much time (e.g. 600, 10m, 1h); the learning-rate "
                          "schedule then follows the clock."),
        click.option("--val-frac", type=click.FloatRange(0, 1, max_open=True), metavar="F",
                     default=defaults.val_frac, show_default=True,
                     help="Hold out this final fraction of the text, contiguous, for "
                          "validation (0: none; the last model is saved)."),
        click.option("--eval-every", type=click.IntRange(min=1), metavar="N",
                     default=defaults.eval_every,
                     help=f"Validate every this many steps, and at the end (default: about "
                          f"every seven times as many training {noun}s as the validation "
                          f"text holds, so validating costs about 5% of the time)."),
        click.option("--random-seed", type=RANDOM_SEED, metavar="N",
                     default=defaults.random_seed, show_default=True,
                     help="Seed of the random number generator (weights, dropout)."),
        run_options, encoding_option, errors_option,
    ]

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def fit_language_model(ctx, kind: str, settings_class, files, output, data_path, vocab_path,
                       resume_path, ignore_lock, encoding, decode_errors, given: dict) -> None:
    """What `train charlm` and `train wordlm` do once their options are read."""
    from rnntool import checkpoint
    from rnntool import train as trainlib
    from rnntool import vocab as vocablib
    from rnntool.errors import RnnToolError
    from rnntool.files import check_writable

    level = "char" if kind == "charlm" else "word"
    if data_path and files:
        raise click.UsageError("give either text FILES or --data, not both")
    if data_path and not vocab_path:
        raise click.UsageError("--data needs --vocab (the vocabulary it was encoded with)")
    loaded, settings = resumed(ctx, kind, resume_path, settings_class, given)
    if loaded is not None:
        output = output if explicit(ctx, "output") else resume_path
        if not files and not data_path:
            source = loaded["training"]["settings"].get("source", {})
            if "data" in source:
                data_path, vocab_path = source["data"], source["vocab"]
            else:
                files = tuple(saved_inputs(source.get("files")))
    refuse_clobbering({"--output": output}, [*files, data_path, vocab_path])
    settings.check()  # training checks again; here it fails before reading any data
    group = distributed_group(reads_stdin=not data_path and (not files or "-" in files))
    if group.is_main:
        check_writable(output)  # fail now, not after hours of training
    with contextlib.ExitStack() as stack:
        stack.enter_context(launch(group, output, ignore_lock))
        vocab = vocablib.Vocab.load(vocab_path) if vocab_path else None
        if loaded is not None and not data_path:
            vocab = checkpoint.restore_vocab(loaded, resume_path)
        if vocab is not None and vocab.level != level:
            raise RnnToolError(f"{vocab_path}: a {vocab.level}-level vocabulary; "
                               f"{kind} needs a {level}-level one")
        if vocab is not None and level == "word":  # its words are made its way
            settings.tokenizer, settings.lowercase = vocab.tokenizer or "regexp", vocab.lowercase
        if data_path:
            ids = vocablib.load_ids(data_path)
            top = int(ids.max()) if len(ids) else 0
            if top >= len(vocab):
                raise RnnToolError(f"{data_path}: holds id {top}, but {vocab_path} has only "
                                   f"{len(vocab)} entries: it was encoded with another "
                                   f"vocabulary")
            source = {"data": os.path.abspath(data_path), "vocab": os.path.abspath(vocab_path)}
        else:
            paths = input_paths(files)
            workdir = tempfile.mkdtemp(prefix="rnntool-train-")
            stack.callback(shutil.rmtree, workdir, True)
            ids_path = os.path.join(workdir, "ids.npy")
            options = dict(encoding=encoding, errors=decode_errors)
            if vocab is None and level == "word":
                vocab = vocablib.build_and_encode(
                    paths, ids_path, "word", tokenizer=settings.tokenizer,
                    lowercase=settings.lowercase, min_count=settings.min_count,
                    max_size=settings.max_size, **options)
            elif vocab is None:
                vocab = vocablib.build_and_encode(paths, ids_path, "char", **options)
            else:
                vocablib.encode_files(paths, vocab, ids_path, **options)
            ids = vocablib.load_ids(ids_path)
            source = {"files": [p if p == "-" else os.path.abspath(p) for p in paths]}
        trainlib.train_lm(kind, ids, vocab, settings, output, resume=loaded,
                          resume_path=resume_path, group=group,
                          extra_settings={"source": source, "command": invocation(ctx)})


@group.command("charlm", epilog="""\b
Examples:
  cat corpus.txt | rnntool train charlm -o model.pt
  rnntool train charlm corpus.txt --max-time 10m --hidden 384 -o model.pt
  rnntool vocab corpus.txt -o chars.vocab --encode ids.npy
  rnntool train charlm --data ids.npy --vocab chars.vocab --epochs 5 -o model.pt
""")
@lm_options(D, "char")
@click.pass_context
def charlm(ctx, files, output, data_path, vocab_path, resume_path, ignore_lock, encoding,
           decode_errors, **settings):
    """Train a character-level language model on text.

    Reads text from FILES ('-' or none: stdin) once, encoding it to a temporary id array
    that training reads from then on, or an encoded corpus with --data. The model is an
    embedding, stacked LSTM/GRU/RNN layers and a linear output. Training is stateful
    truncated backpropagation through time: each batch row is a contiguous stream and the
    hidden state carries over from batch to batch. The last
    --val-frac of the text is held out; validation loss is reported in nats and bits per
    character, and the checkpoint is written whenever it improves.

    Training stops at whichever comes first of --epochs, --steps and --max-time; with none
    of them, after 10 passes over the text.
    """
    fit_language_model(ctx, "charlm", CharLMSettings, files, output, data_path, vocab_path,
                       resume_path, ignore_lock, encoding, decode_errors, settings)


W = WordLMSettings()


@group.command("wordlm", epilog="""\b
Examples:
  rnntool train wordlm corpus.txt --max-time 10m -o words.pt
  rnntool train wordlm corpus.txt --lowercase --min-count 2 --tie -o words.pt
  rnntool vocab --level word --min-count 2 corpus.txt -o words.vocab --encode ids.npy
  rnntool train wordlm --data ids.npy --vocab words.vocab -o words.pt
  rnntool sample words.pt --seed "the king" --length 50
""")
@lm_options(W, "word")
@click.option("--tie/--no-tie", default=W.tie, show_default=True,
              help="Tie the output layer to the word embedding (needs --embed equal to "
                   "--hidden).")
@click.option("--tokenizer", type=click.Choice(["regexp", "treebank", "whitespace"]),
              default=W.tokenizer, show_default=True,
              help="How lines are split into words, as `rnntool vocab --level word` does.")
@click.option("--lowercase", is_flag=True, help="Fold words to lower case.")
@click.option("--min-count", type=click.IntRange(min=1), metavar="N", default=W.min_count,
              show_default=True, help="Words seen fewer times become <unk>.")
@click.option("--max-size", type=click.IntRange(min=5), metavar="N", default=None,
              help="Keep at most N vocabulary entries (the most frequent words; the 4 "
                   "reserved entries count).")
@click.pass_context
def wordlm(ctx, files, output, data_path, vocab_path, resume_path, ignore_lock, encoding,
           decode_errors, **settings):
    """Train a word-level language model on text.

    Like `rnntool train charlm`, over words: each line of FILES ('-' or none: stdin) is
    split into words (--tokenizer, --lowercase) and ends with the sentence-boundary token
    </s>; rare words become <unk> (--min-count, --max-size). The model is a word
    embedding, stacked LSTM/GRU/RNN layers and a linear output over the vocabulary,
    optionally tied to the embedding (--tie), trained by stateful truncated
    backpropagation through time. Validation loss is reported in nats per word and as
    perplexity; the checkpoint is written whenever it improves. --data and --vocab take
    an encoded corpus and word vocabulary from `rnntool vocab --level word --encode` (its
    tokenizer and case folding then apply).
    """
    fit_language_model(ctx, "wordlm", WordLMSettings, files, output, data_path, vocab_path,
                       resume_path, ignore_lock, encoding, decode_errors, settings)


T = TreeSettings()


@group.command("tree", epilog="""\b
Examples:
  rnntool train tree sst/train.txt --dev sst/dev.txt -o rnn.pt
  rnntool train tree sst/train.txt --dev sst/dev.txt --binary --cell lstm -o lstm.pt
  rnntool parse raw-trees.txt | rnntool train tree --epochs 5 -o tree.pt
""")
@click.argument("train_file", metavar="TRAIN", required=False, default="-",
                type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dev", "dev_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Development trees, validated after each epoch; the checkpoint keeps the "
                   "best root accuracy on them (default: none; the last model is saved).")
@click.option("-o", "--output", default="tree.pt", show_default=True, metavar="CKPT",
              type=CHECKPOINT, help="Checkpoint to write.")
@click.option("--cell", type=click.Choice(["rnn", "rntn", "lstm"]), default=T.cell,
              show_default=True,
              help="Composition: rnn h = tanh(W[l; r] + b); rntn adds a bilinear tensor "
                   "term; lstm is a binary Tree-LSTM with a forget gate per child.")
@click.option("--hidden", type=click.IntRange(min=1), metavar="N", default=T.hidden,
              show_default=True, help="Size of every node's state.")
@click.option("--embed", type=click.IntRange(min=1), metavar="N", default=None,
              help="Word embedding size (default: --hidden; otherwise projected to it).")
@click.option("--embeddings", "embeddings_file", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Initialize word embeddings from word vectors in word2vec/GloVe text "
                   "format (one word and its numbers a line).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), metavar="P",
              default=T.dropout, show_default=True,
              help="Dropout on word embeddings and on the states fed to the classifier.")
@click.option("--binary", is_flag=True,
              help="SST binary convention: labels 0-1 negative, 3-4 positive; neutral nodes "
                   "are unsupervised and neutral-root trees are left out of evaluation.")
@click.option("--node-loss", type=click.Choice(["all", "root"]), default=T.node_loss,
              show_default=True, help="Loss at every labelled node, or at the roots only.")
@click.option("--optimizer", type=click.Choice(["adagrad", "adam"]), default=T.optimizer,
              show_default=True, help="Optimizer.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), metavar="RATE", default=None,
              help="Learning rate (default: 0.05 for Adagrad, 0.002 for Adam).")
@fit_options(T, "trees")
@click.option("--min-count", type=click.IntRange(min=1), metavar="N", default=T.min_count,
              show_default=True, help="Training words seen fewer times become <unk>.")
@click.option("--threads", type=click.IntRange(min=1), metavar="N", default=None,
              help="CPU threads (default: 1 for rnn and lstm, whose many small per-level "
                   "operations gain nothing from more and stall when another process holds "
                   "a core; all cores for rntn; OMP_NUM_THREADS, if set, instead of 1).")
@run_options
@on_error_option("A malformed tree (or, with --binary, a label that is not an SST class)")
@encoding_option
@errors_option
@click.pass_context
def tree(ctx, train_file, dev_file, output, embeddings_file, resume_path, ignore_lock, on_error,
         encoding, decode_errors, **settings):
    """Train a recursive neural network on labelled binary trees.

    TRAIN ('-' or none: stdin) and --dev hold one bracketed tree a line, as `rnntool parse`
    writes them; node labels that are class ids (0, 1, 2, ...: SST's 0-4 on every node) are
    supervised, other nodes are not. Trees that are not binary are binarized as `rnntool
    parse` does. Leaves are word embeddings; every inner node composes its children with
    weights shared by all nodes; every node is classified. Each minibatch is computed level
    by level, all nodes of one height across the batch at once.
    """
    from rnntool import trees as treelib
    from rnntool.console import warn
    from rnntool.files import check_writable
    from rnntool.train import train_tree
    from rnntool.treebatch import sst_labels

    loaded, settings = resumed(ctx, "tree", resume_path, TreeSettings, settings)
    if loaded is not None:
        output = output if explicit(ctx, "output") else resume_path
        if not explicit(ctx, "train_file"):
            train_file = saved_inputs(loaded["training"]["settings"].get("train"))[0]
        if dev_file is None:
            dev_file = loaded["training"]["settings"].get("dev")
    refuse_clobbering({"--output": output}, [train_file, dev_file, embeddings_file])
    settings.check()
    group = distributed_group(reads_stdin=train_file == "-")
    if group.is_main:
        check_writable(output)
    input_paths((train_file,), "tree")
    options = dict(encoding=encoding, errors=decode_errors)

    check = sst_labels if settings.binary else None

    def read(path):
        return [treelib.normalize(t) for t in treelib.read_treebank(
            path, check=check, on_error=on_error, warn=warn, **options)]

    train_trees = read(train_file)
    dev_trees = read(dev_file) if dev_file else None
    embeddings = None
    if embeddings_file:
        from rnntool import wordvectors
        embeddings = functools.partial(wordvectors.load_vectors, embeddings_file, **options)
    with launch(group, output, ignore_lock):
        train_tree(train_trees, dev_trees, settings, output, embeddings=embeddings,
                   resume=loaded, resume_path=resume_path, group=group,
                   extra_settings={"train": absolute(train_file), "dev": absolute(dev_file),
                                   "command": invocation(ctx)})


def absolute(path: str | None) -> str | None:
    """``path`` made absolute, for the record ('-' and None as they are)."""
    return path if path in (None, "-") else os.path.abspath(path)


S = SentimentSettings()


@group.command("sentiment", epilog="""\b
Examples:
  rnntool train sentiment reviews.tsv --dev dev.tsv -o sentiment.pt
  rnntool train sentiment sst/train.txt --dev sst/dev.txt --binary --phrases \\
      --bidirectional -o bilstm.pt
  cut -f2,3 labelled.csv | rnntool train sentiment --format tsv --epochs 5 -o m.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dev", "dev_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Development examples, validated after each epoch; the checkpoint keeps "
                   "the best accuracy on them (default: none; the last model is saved).")
@click.option("-o", "--output", default="sentiment.pt", show_default=True, metavar="CKPT",
              type=CHECKPOINT, help="Checkpoint to write.")
@click.option("--format", "format", type=click.Choice(["auto", "tsv", "fasttext", "trees"]),
              default=S.format, show_default=True,
              help="What a line holds: label<TAB>text (tsv), __label__X text (fasttext), a "
                   "labelled bracketed tree whose root label and leaves are the example "
                   "(trees), or any of these, told apart line by line (auto).")
@click.option("--binary", is_flag=True,
              help="SST binary convention on 0-4 labels: 0-1 become 0 (negative), 3-4 become "
                   "1 (positive), neutral (2) examples are left out.")
@click.option("--phrases", is_flag=True,
              help="Tree input: also train on every distinct labelled phrase (subtree) of "
                   "the training trees, as SST labels every phrase.")
@click.option("--vocab", "vocab_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Word vocabulary to use, from `rnntool vocab --level word` (its tokenizer "
                   "and case folding apply); default: built from the training examples.")
@click.option("--tokenizer", type=click.Choice(["treebank", "regexp", "whitespace"]),
              default=S.tokenizer, show_default=True,
              help="How text lines are split into words (tree leaves are words already).")
@click.option("--lowercase", is_flag=True, help="Fold words to lower case.")
@click.option("--min-count", type=click.IntRange(min=1), metavar="N", default=S.min_count,
              show_default=True, help="Training words seen fewer times become <unk>.")
@click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default=S.cell,
              show_default=True, help="Recurrent cell.")
@click.option("--layers", type=click.IntRange(min=1), metavar="N", default=S.layers,
              show_default=True, help="Stacked recurrent layers.")
@click.option("--hidden", type=click.IntRange(min=1), metavar="N", default=S.hidden,
              show_default=True, help="Hidden units per layer and direction.")
@click.option("--embed", type=click.IntRange(min=1), metavar="N", default=S.embed,
              show_default=True, help="Word embedding size.")
@click.option("--bidirectional/--unidirectional", default=S.bidirectional, show_default=True,
              help="Read each sentence in both directions.")
@click.option("--pool", type=click.Choice(["last", "mean", "max"]), default=S.pool,
              show_default=True,
              help="Sentence vector: the final state of each direction (last), or the mean "
                   "or maximum of the top layer's outputs over the sentence.")
@click.option("--embeddings", "embeddings_file", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Initialize word embeddings from word vectors in word2vec/GloVe text "
                   "format (one word and its numbers a line).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), metavar="P",
              default=S.dropout, show_default=True,
              help="Dropout on word embeddings, between layers and on the sentence vector.")
@adam_lr_option(S.lr)
@fit_options(S, "sentences")
@run_options
@on_error_option("A line that does not read (no label, no text, a malformed tree, a label "
                 "that is not an SST class under --binary)")
@encoding_option
@errors_option
@click.pass_context
def sentiment(ctx, files, dev_file, output, vocab_path, embeddings_file, phrases, resume_path,
              ignore_lock, on_error, encoding, decode_errors, **settings):
    """Train a recurrent sentence classifier on labelled lines.

    FILES ('-' or none: stdin) and --dev hold one example a line: label<TAB>text,
    __label__X text, or a labelled bracketed tree (its root label and leaves), so the
    treebank a tree model trains on trains this model too. Labels are any strings, kept
    in the checkpoint. The model reads each sentence token by token (embedding, stacked
    recurrent layers, optionally in both directions) and classifies the pooled state.
    Sentences are batched with others of similar length and run packed, so padding never
    changes a result.
    """
    from rnntool import labelled
    from rnntool import text as textio
    from rnntool.console import warn
    from rnntool.files import check_writable
    from rnntool.train import train_sentiment
    from rnntool.vocab import Vocab

    loaded, settings = resumed(ctx, "sentiment", resume_path, SentimentSettings, settings)
    if loaded is not None:
        output = output if explicit(ctx, "output") else resume_path
        saved = loaded["training"]["settings"]
        files = files or tuple(saved_inputs(saved.get("train")))
        dev_file = dev_file or saved.get("dev")
        phrases = bool(saved.get("phrases"))
        vocab_path = None  # the checkpoint's vocabulary
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "labelled")
    refuse_clobbering({"--output": output}, [*paths, dev_file, vocab_path, embeddings_file])
    settings.check()
    if group.is_main:
        check_writable(output)
    vocab = None
    if vocab_path:
        vocab = Vocab.load(vocab_path)
        if vocab.level != "word":
            raise click.BadParameter(f"{vocab_path} is a {vocab.level}-level vocabulary; a "
                                     f"word vocabulary is needed", param_hint="--vocab")
        settings.tokenizer, settings.lowercase = vocab.tokenizer or "regexp", vocab.lowercase
    tokenize = textio.make_tokenizer(settings.tokenizer)
    options = dict(encoding=encoding, errors=decode_errors)

    def read(sources, with_phrases=False):
        return labelled.read_examples(sources, settings.format, tokenize,
                                      binary=settings.binary, lowercase=settings.lowercase,
                                      phrases=with_phrases, on_error=on_error, warn=warn,
                                      **options)

    train_data = read(paths, phrases)
    dev_data = read([dev_file]) if dev_file else None
    embeddings = None
    if embeddings_file:
        from rnntool import wordvectors
        embeddings = functools.partial(wordvectors.load_vectors, embeddings_file, **options)
    with launch(group, output, ignore_lock):
        train_sentiment(train_data, dev_data, settings, output, vocab=vocab,
                        embeddings=embeddings, resume=loaded, resume_path=resume_path,
                        group=group,
                        extra_settings={"phrases": phrases, "train": [absolute(p) for p in paths],
                                        "dev": absolute(dev_file), "command": invocation(ctx)})


F = ForecastSettings()


def _columns(ctx, param, value: str | None) -> list[str] | None:
    """--columns: comma-separated column names or numbers."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise click.BadParameter(f"{value!r} is not a comma-separated list of columns", ctx,
                                 param)
    return names


@group.command("forecast", epilog="""\b
Examples:
  rnntool train forecast load.csv --target demand --window 168 --horizon 24 -o load.pt
  rnntool train forecast sensors.txt --columns 1,3 --target 3 --max-time 10m -o s.pt
  tail -n 500 load.csv | rnntool predict load.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", default="forecast.pt", show_default=True, metavar="CKPT",
              type=CHECKPOINT, help="Checkpoint to write (the best one by held-out MAE).")
@click.option("--target", metavar="COLUMN", default=None,
              help="The column to forecast, by header name or number from 1 (default: the "
                   "last column).")
@click.option("--columns", metavar="COLUMNS", default=None, callback=_columns,
              help="Input columns, comma-separated names or numbers (default: all); the "
                   "target is always one.")
@click.option("--window", type=click.IntRange(min=1), metavar="N", default=F.window,
              show_default=True, help="Steps of history each forecast reads.")
@click.option("--horizon", type=click.IntRange(min=1), metavar="H", default=F.horizon,
              show_default=True, help="Steps forecast at once.")
@click.option("--val-frac", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              metavar="F", default=F.val_frac, show_default=True,
              help="Hold out this final fraction of the steps for validation.")
@click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default=F.cell,
              show_default=True, help="Recurrent cell.")
@click.option("--layers", type=click.IntRange(min=1), metavar="N", default=F.layers,
              show_default=True, help="Stacked recurrent layers.")
@click.option("--hidden", type=click.IntRange(min=1), metavar="N", default=F.hidden,
              show_default=True, help="Hidden units per layer.")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), metavar="P",
              default=F.dropout, show_default=True,
              help="Dropout between layers and before the output layer.")
@adam_lr_option(F.lr)
@fit_options(F, "windows")
@run_options
@encoding_option
@errors_option
@click.pass_context
def forecast(ctx, files, output, resume_path, ignore_lock, encoding, decode_errors,
             **settings):
    """Train a recurrent forecaster on a numeric time series.

    FILES ('-' or none: stdin) hold one time step a line: numbers in columns, separated by
    commas (CSV) or whitespace, with an optional header line naming the columns; several
    files are joined in order. Each training example is a window of --window steps of the
    input columns; the model (stacked LSTM/GRU layers, then a linear layer from the last
    step's state) forecasts the next --horizon values of the target column, as a change
    from its last value, so an untrained model starts as the naive forecast that repeats
    the last value. Columns are standardized with the training part's mean and deviation,
    kept in the checkpoint. The last --val-frac of the steps is held out: after each epoch
    the forecasts of its windows are scored by mean absolute error in the series' units,
    next to the naive forecast's, and the checkpoint keeps the best.
    """
    from rnntool import series as serieslib
    from rnntool.files import check_writable
    from rnntool.text import display_name
    from rnntool.train import train_forecast

    loaded, settings = resumed(ctx, "forecast", resume_path, ForecastSettings, settings)
    if loaded is not None:
        output = output if explicit(ctx, "output") else resume_path
        files = files or tuple(saved_inputs(loaded["training"]["settings"].get("train")))
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "series")
    refuse_clobbering({"--output": output}, paths)
    settings.check()
    if group.is_main:
        check_writable(output)
    read = serieslib.read_series(paths, encoding=encoding, errors=decode_errors)
    chosen = serieslib.select(read, settings.target, settings.columns,
                              display_name(paths[0]))
    with launch(group, output, ignore_lock):
        train_forecast(chosen, settings, output, resume=loaded, resume_path=resume_path,
                       group=group, layout=serieslib.layout(read, chosen),
                       extra_settings={"train": [absolute(p) for p in paths],
                                       "command": invocation(ctx)})



G = TaggerSettings()


@group.command("tagger", epilog="""\b
Examples:
  rnntool train tagger train.conll --dev dev.conll --chars -o ner.pt
  rnntool train tagger pos-tagged.txt --format slash --epochs 5 -o pos.pt
  rnntool predict ner.pt test.conll > predicted.conll
  rnntool eval ner.pt test.conll
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--dev", "dev_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Development sentences, validated after each epoch; the checkpoint keeps "
                   "the best entity F1 on them (BIO tags) or token accuracy (other tags). "
                   "Default: none; the last model is saved.")
@click.option("-o", "--output", default="tagger.pt", show_default=True, metavar="CKPT",
              type=CHECKPOINT, help="Checkpoint to write.")
@click.option("--format", "format", type=click.Choice(["auto", "conll", "slash"]),
              default=G.format, show_default=True,
              help="conll: a token and its tag a line (first and last column), a blank line "
                   "between sentences; slash: a sentence a line, word/TAG items; auto: told "
                   "apart file by file.")
@click.option("--lowercase", is_flag=True,
              help="Fold words to lower case for the word embeddings (the character encoder "
                   "still sees the case).")
@click.option("--min-count", type=click.IntRange(min=1), metavar="N", default=G.min_count,
              show_default=True, help="Training words seen fewer times become <unk>.")
@click.option("--cell", type=click.Choice(["lstm", "gru", "rnn"]), default=G.cell,
              show_default=True, help="Recurrent cell.")
@click.option("--layers", type=click.IntRange(min=1), metavar="N", default=G.layers,
              show_default=True, help="Stacked recurrent layers.")
@click.option("--hidden", type=click.IntRange(min=1), metavar="N", default=G.hidden,
              show_default=True, help="Hidden units per layer and direction.")
@click.option("--embed", type=click.IntRange(min=1), metavar="N", default=G.embed,
              show_default=True, help="Word embedding size.")
@click.option("--bidirectional/--unidirectional", default=G.bidirectional, show_default=True,
              help="Read each sentence in both directions.")
@click.option("--chars/--no-chars", default=G.chars, show_default=True,
              help="Add a character-level BiLSTM encoding of each word to its embedding, "
                   "which tags unknown words by their spelling.")
@click.option("--char-embed", type=click.IntRange(min=1), metavar="N", default=G.char_embed,
              show_default=True, help="Character embedding size (with --chars).")
@click.option("--char-hidden", type=click.IntRange(min=1), metavar="N",
              default=G.char_hidden, show_default=True,
              help="Hidden units of the character BiLSTM per direction (with --chars).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), metavar="P",
              default=G.dropout, show_default=True,
              help="Dropout on the word vectors and on the recurrent outputs.")
@adam_lr_option(G.lr)
@fit_options(G, "sentences")
@run_options
@on_error_option("A sentence that does not read (a token line without a tag, an empty word "
                 "or tag)")
@encoding_option
@errors_option
@click.pass_context
def tagger(ctx, files, dev_file, output, resume_path, ignore_lock, on_error, encoding,
           decode_errors, **settings):
    """Train a sequence tagger: a tag for every word (parts of speech, named entities).

    FILES ('-' or none: stdin) and --dev hold tagged sentences, in CoNLL columns (a token
    a line, its tag in the last column, a blank line between sentences; -DOCSTART- lines
    and `# ` comments skipped) or one sentence a line of word/TAG items. The model embeds
    each word (and, with --chars, encodes its spelling with a character BiLSTM), reads the
    sentence with stacked (bidirectional) recurrent layers, and classifies every position.
    Sentences are batched with others of similar length and run packed. With --dev, each
    epoch reports token accuracy and, when the tags are BIO(ES), entity precision, recall
    and F1.
    """
    from rnntool import tagging
    from rnntool.console import warn
    from rnntool.files import check_writable
    from rnntool.train import train_tagger

    loaded, settings = resumed(ctx, "tagger", resume_path, TaggerSettings, settings)
    if loaded is not None:
        output = output if explicit(ctx, "output") else resume_path
        saved = loaded["training"]["settings"]
        files = files or tuple(saved_inputs(saved.get("train")))
        dev_file = dev_file or saved.get("dev")
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "tagged")
    refuse_clobbering({"--output": output}, [*paths, dev_file])
    settings.check()
    if group.is_main:
        check_writable(output)
    options = dict(encoding=encoding, errors=decode_errors, on_error=on_error, warn=warn)
    train_data = tagging.read_tagged(paths, settings.format, **options)
    dev_data = tagging.read_tagged([dev_file], settings.format, **options) if dev_file else None
    with launch(group, output, ignore_lock):
        train_tagger(train_data, dev_data, settings, output, resume=loaded,
                     resume_path=resume_path, group=group,
                     extra_settings={"train": [absolute(p) for p in paths],
                                     "dev": absolute(dev_file), "command": invocation(ctx)})
