"""``rnntool train wordlm``: a word-level language model, on the language models' shared
options and run (``lm``), with the options that make words of the text.

Not here: reading the text and the run around it (``lm``), the training loop
(``rnntool.training.lm``).
"""

from __future__ import annotations

import click

from rnntool.cli.train import lm
from rnntool.cli.train.options import setting_options
from rnntool.settings import WordLMSettings


@click.command("wordlm", epilog="""\b
Examples:
  rnntool train wordlm corpora/default.txt --max-time 2m -o words.pt
  rnntool train wordlm corpora/default.txt --lowercase --min-count 2 --tie --max-time 2m \\
      -o words.pt
  rnntool vocab --level word --min-count 2 corpora/default.txt -o words.vocab --encode ids.npy
  rnntool train wordlm --data ids.npy --vocab words.vocab --max-time 2m -o words.pt
  rnntool sample words.pt --seed "the old" --length 50
""")
@lm.options(WordLMSettings, "word", "word")
@setting_options(WordLMSettings, "tie", "tokenizer", "lowercase", "min_count", "max_size")
@click.pass_context
def command(ctx, files, output, data_path, vocab_path, resume_path, ignore_lock, encoding,
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
    lm.run(ctx, "wordlm", WordLMSettings, files, output, data_path, vocab_path, resume_path,
           ignore_lock, encoding, decode_errors, settings)
