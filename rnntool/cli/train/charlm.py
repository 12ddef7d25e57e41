"""``rnntool train charlm``: a character-level language model, on the language models'
shared options and run (``lm``).

Not here: reading the text and the run around it (``lm``), the training loop
(``rnntool.training.lm``).
"""

from __future__ import annotations

import click

from rnntool.cli.train import lm
from rnntool.settings import CharLMSettings


@click.command("charlm", epilog="""\b
Examples:
  cat corpora/default.txt | rnntool train charlm --max-time 1m -o charlm.pt
  rnntool train charlm corpora/default.txt --max-time 10m --hidden 384 -o big.pt
  rnntool vocab corpora/default.txt -o chars.vocab --encode ids.npy
  rnntool train charlm --data ids.npy --vocab chars.vocab --epochs 2 -o charlm.pt
""")
@lm.options(CharLMSettings, "char", "character")
@click.pass_context
def command(ctx, files, output, data_path, vocab_path, resume_path, ignore_lock, encoding,
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
    lm.run(ctx, "charlm", CharLMSettings, files, output, data_path, vocab_path,
           resume_path, ignore_lock, encoding, decode_errors, settings)
