"""``rnntool train tagger``: a sequence tagger (a tag for every word); its options, on
the shared template.

Not here: the run around it (``template``), reading the sentences and training
(``rnntool.training.tagger``).
"""

from __future__ import annotations

import click

from rnntool.cli.common import (encoding_option, errors_option, input_paths, invocation,
                                refuse_clobbering)
from rnntool.cli.train.options import setting_options
from rnntool.cli.train.template import (check_output, dev_option, distributed_group, inputs,
                                        launch, on_error_option, output_option,
                                        resumed_run, run_options)
from rnntool.settings import TaggerSettings


@click.command("tagger", epilog="""\b
Examples:
  rnntool train tagger corpora/tagged/train.conll --dev corpora/tagged/dev.conll --chars \\
      -o ner.pt
  rnntool train tagger corpora/tagged/pos.txt --format slash --epochs 5 -o pos.pt
  rnntool predict ner.pt corpora/tagged/test.conll > predicted.conll
  rnntool eval ner.pt corpora/tagged/test.conll
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, allow_dash=True))
@dev_option("Development sentences, validated after each epoch; the checkpoint keeps the best "
            "entity F1 on them (BIO tags) or token accuracy (other tags). Default: none; the "
            "last model is saved.")
@output_option("tagger.pt")
@setting_options(TaggerSettings, "format", "lowercase", "min_count", "cell", "layers", "hidden",
                 "embed", "bidirectional", "chars", "char_embed", "char_hidden", "dropout",
                 "lr", "warmup", "decay", "final_lr", "weight_decay", "clip", "batch_size",
                 "epochs", "max_time", "patience", "random_seed")
@run_options(TaggerSettings)
@on_error_option("A sentence that does not read (a token line without a tag, an empty word "
                 "or tag)")
@encoding_option
@errors_option
@click.pass_context
def command(ctx, files, dev_file, output, resume_path, ignore_lock, on_error, encoding,
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
    from rnntool.training import tagger

    loaded, settings, output = resumed_run(ctx, "tagger", resume_path, TaggerSettings,
                                           settings, output)
    files, dev_file = inputs(loaded, files, dev_file)
    group = distributed_group(reads_stdin=not files or "-" in files)
    paths = input_paths(files, "tagged")
    refuse_clobbering({"--output": output}, [*paths, dev_file])
    settings.check()
    check_output(group, output)
    data = tagger.read_data(paths, dev_file, settings=settings, on_error=on_error,
                            encoding=encoding, errors=decode_errors)
    with launch(group, output, ignore_lock):
        tagger.train(data, settings, output, resume=loaded, resume_path=resume_path,
                     group=group, extra_settings={"command": invocation(ctx)})
