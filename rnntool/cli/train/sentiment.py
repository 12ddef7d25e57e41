"""``rnntool train sentiment``: a recurrent sentence classifier on labelled lines; its
options, on the shared template.

Not here: the run around it (``template``), reading the examples and training
(``rnntool.training.sentiment``).
"""

from __future__ import annotations

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options
from rnntool.cli.train.template import (check_output, dev_option, distributed_group,
                                        embeddings_option, inputs, launch, on_error_option,
                                        output_option, resumed_run, run_options)
from rnntool.settings import SentimentSettings


def word_vocab(vocab_path: str | None):
    """The word vocabulary of ``vocab_path`` (None without one); a usage error for a
    vocabulary of characters."""
    from rnntool.vocab import Vocab

    if not vocab_path:
        return None
    vocab = Vocab.load(vocab_path)
    if vocab.level != "word":
        raise click.BadParameter(f"{vocab_path} is a {vocab.level}-level vocabulary; a "
                                 f"word vocabulary is needed", param_hint="--vocab")
    return vocab


@click.command("sentiment", epilog="""\b
Examples:
  rnntool train sentiment corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      -o sentiment.pt
  rnntool train sentiment corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      --binary --no-phrases -o sentences.pt
  head -n 1000 corpora/sentiment/train.txt | \\
      rnntool train sentiment --format trees --epochs 5 -o small.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@dev_option("Development examples, validated after each epoch; the checkpoint keeps the best "
            "accuracy on them (default: none; the last model is saved).")
@output_option("sentiment.pt")
@setting_options(SentimentSettings, "format", "binary")
@click.option("--phrases/--no-phrases", default=True, show_default=True,
              help="Tree input: also train on every distinct labelled phrase (subtree) of "
                   "the training trees, as SST labels every phrase; --no-phrases: on the "
                   "sentences alone.")
@click.option("--vocab", "vocab_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="Word vocabulary to use, from `rnntool vocab --level word` (its tokenizer "
                   "and case folding apply); default: built from the training examples.")
@setting_options(SentimentSettings, "tokenizer", "lowercase", "min_count", "cell", "layers",
                 "hidden", "embed", "bidirectional", "pool")
@embeddings_option
@setting_options(SentimentSettings, "dropout", "lr", "warmup", "decay", "final_lr",
                 "weight_decay", "clip", "batch_size", "epochs", "max_time", "patience",
                 "random_seed")
@run_options(SentimentSettings)
@on_error_option("A line that does not read (no label, no text, a malformed tree, a label "
                 "that is not an SST class under --binary)")
@encoding_option
@errors_option
@click.pass_context
def command(ctx, files, dev_file, output, vocab_path, embeddings_file, phrases, resume_path,
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
    from rnntool.training import sentiment

    loaded, settings, output = resumed_run(ctx, "sentiment", resume_path, SentimentSettings,
                                           settings, output)
    files, dev_file = inputs(loaded, files, dev_file)
    if loaded is not None:
        phrases = bool(loaded["training"]["settings"].get("phrases"))
        vocab_path = None  # the checkpoint's vocabulary
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "labelled")
    refuse_clobbering({"--output": output}, [*paths, dev_file, vocab_path, embeddings_file])
    settings.check()
    check_output(group, output)
    data = sentiment.read_data(paths, dev_file, settings=settings, vocab=word_vocab(vocab_path),
                               embeddings=embeddings_file, phrases=phrases, on_error=on_error,
                               encoding=encoding, errors=decode_errors)
    with launch(group, output, ignore_lock):
        sentiment.train(data, settings, output, resume=loaded, resume_path=resume_path,
                        group=group, extra_settings={"command": invocation(ctx)})
