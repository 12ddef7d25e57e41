"""``rnntool train tree``: a recursive network on labelled binary trees; its options, on the
shared template.

Not here: the run around it (``template``), reading the trees and training (``rnntool.training.tree``).
"""

from __future__ import annotations

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options
from rnntool.cli.train.template import (check_output, dev_option, distributed_group,
                                        embeddings_option, explicit, launch, on_error_option,
                                        output_option, resumed_run, run_options, saved_inputs)
from rnntool.settings import TreeSettings


@click.command("tree", epilog="""\b
Examples:
  rnntool train tree corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt -o rnn.pt
  rnntool train tree corpora/sentiment/train.txt --dev corpora/sentiment/dev.txt \\
      --binary --cell lstm -o lstm.pt
  rnntool parse corpora/sentiment/train.txt | rnntool train tree --epochs 5 -o tree.pt
""")
@click.argument("train_file", metavar="TRAIN", required=False, default="-",
                type=click.Path(dir_okay=False, allow_dash=True))
@dev_option("Development trees, validated after each epoch; the checkpoint keeps the best root "
            "accuracy on them (default: none; the last model is saved).")
@output_option("tree.pt")
@setting_options(TreeSettings, "cell", "hidden", "embed")
@embeddings_option
@setting_options(TreeSettings, "dropout", "binary", "node_loss", "optimizer", "lr", "warmup",
                 "decay", "final_lr", "weight_decay", "clip", "batch_size", "epochs",
                 "max_time", "patience", "random_seed", "min_count")
@run_options(TreeSettings)
@on_error_option("A malformed tree (or, with --binary, a label that is not an SST class)")
@encoding_option
@errors_option
@click.pass_context
def command(ctx, train_file, dev_file, output, embeddings_file, resume_path, ignore_lock,
            on_error, encoding, decode_errors, **settings):
    """Train a recursive neural network on labelled binary trees.

    TRAIN ('-' or none: stdin) and --dev hold one bracketed tree a line, as `rnntool parse`
    writes them; node labels that are class ids (0, 1, 2, ...: SST's 0-4 on every node) are
    supervised, other nodes are not. Trees that are not binary are binarized as `rnntool
    parse` does. Leaves are word embeddings; every inner node composes its children with
    weights shared by all nodes; every node is classified. Each minibatch is computed level
    by level, all nodes of one height across the batch at once.
    """
    from rnntool.training import tree

    loaded, settings, output = resumed_run(ctx, "tree", resume_path, TreeSettings, settings,
                                           output)
    if loaded is not None:
        saved = loaded["training"]["settings"]
        if not explicit(ctx, "train_file"):
            train_file = saved_inputs(saved.get("train"))[0]
        if dev_file is None:
            dev_file = saved.get("dev")
    refuse_clobbering({"--output": output}, [train_file, dev_file, embeddings_file])
    settings.check()
    group = distributed_group(reads_stdin=train_file == "-")
    check_output(group, output)
    input_paths((train_file,), "tree")
    data = tree.read_data(train_file, dev_file, settings=settings, embeddings=embeddings_file,
                          on_error=on_error, encoding=encoding,
                          errors=decode_errors)
    with launch(group, output, ignore_lock):
        tree.train(data, settings, output, resume=loaded, resume_path=resume_path, group=group,
                   extra_settings={"command": invocation(ctx)})
