"""``rnntool train parser``: a span-based parser (raw sentences to binary trees); its
options, on the shared template.

Not here: the run around it (``template``), reading the treebanks and training
(``rnntool.training.parser``).
"""

from __future__ import annotations

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options
from rnntool.cli.train.template import (check_output, dev_option, distributed_group, inputs,
                                        launch, on_error_option, output_option,
                                        resumed_run, run_options)
from rnntool.settings import ParserSettings


@click.command("parser", epilog="""\b
Examples:
  rnntool train parser corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      -o parser.pt
  echo 'a gorgeous , witty film .' | rnntool parse --model parser.pt
  rnntool eval parser.pt corpora/sentiment/test.txt
  rnntool train tree corpora/sentiment/train.txt -o tree.pt
  echo 'a gorgeous , witty film .' | rnntool parse --model parser.pt | rnntool predict tree.pt
  echo 'a gorgeous , witty film .' | rnntool predict tree.pt --parser parser.pt
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@dev_option("Development trees, parsed after each epoch; the checkpoint keeps the best "
            "bracket F1 on them. Default: none; the last model is saved.")
@output_option("parser.pt")
@setting_options(ParserSettings, "factor", "lowercase", "min_count", "layers", "hidden",
                 "embed", "chars", "char_embed", "char_hidden", "span_hidden", "dropout",
                 "lr", "warmup", "decay", "final_lr", "weight_decay", "clip", "batch_size",
                 "epochs", "max_time", "patience", "random_seed")
@run_options(ParserSettings)
@on_error_option("A line that is not a bracketed tree")
@encoding_option
@errors_option
@click.pass_context
def command(ctx, files, dev_file, output, resume_path, ignore_lock, on_error, encoding,
            decode_errors, **settings):
    """Train a parser that gives raw sentences binary trees, for the tree models.

    FILES ('-' or none: stdin) and --dev hold bracketed trees, one a line: the Stanford
    Sentiment Treebank, Penn Treebank style trees on one line, or `rnntool parse` output.
    They are binarized as `rnntool parse` binarizes them; their labels are not used. The
    model reads each sentence with a bidirectional LSTM (over word embeddings and, unless
    --no-chars, a character BiLSTM of each word), scores every span, and gives the binary
    tree whose spans score highest (exact CKY), trained with a margin loss. With --dev,
    each epoch reports unlabelled bracket F1 (the whole sentence and single words not
    counted) and the share of sentences
    parsed exactly. Use the model with `rnntool parse --model`, or `rnntool predict
    TREE_MODEL --parser`.
    """
    from rnntool.training import parser

    loaded, settings, output = resumed_run(ctx, "parser", resume_path, ParserSettings,
                                           settings, output)
    files, dev_file = inputs(loaded, files, dev_file)
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "trees")
    refuse_clobbering({"--output": output}, [*paths, dev_file])
    settings.check()
    check_output(group, output)
    data = parser.read_data(paths, dev_file, settings=settings, on_error=on_error,
                            encoding=encoding, errors=decode_errors)
    with launch(group, output, ignore_lock):
        parser.train(data, settings, output, resume=loaded, resume_path=resume_path,
                     group=group, extra_settings={"command": invocation(ctx)})
