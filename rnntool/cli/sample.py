"""``rnntool sample``: stream generated text from a language-model checkpoint to stdout."""

from __future__ import annotations

import sys
import time

import click

from rnntool.cli.common import (CHECKPOINT, RANDOM_SEED, check_encoding_option, errors_option,
                                input_paths, threads_option)
from rnntool.threads import Tuner


@click.command("sample", epilog="""\b
Examples:
  rnntool train charlm corpora/default.txt --max-time 1m -o charlm.pt
  rnntool sample charlm.pt --seed "SCENE" --length 400
  rnntool sample charlm.pt --temperature 0.7 --top-k 10 --random-seed 1 | head -n 20
  head -n 2 corpora/default.txt | rnntool sample charlm.pt --seed-file - --greedy
""")
@click.argument("checkpoint", metavar="CKPT", type=CHECKPOINT)
@click.option("--seed", "prime", metavar="TEXT", default=None,
              help="Prime text, fed to the model first and printed before the continuation "
                   "(default: none; the model starts as after a line end).")
@click.option("--seed-file", metavar="FILE", type=click.Path(allow_dash=True),
              help="Read the prime text from a file ('-': stdin).")
@click.option("-n", "--length", type=click.IntRange(min=0), metavar="N", default=500, show_default=True,
              help="Characters (words, for a word model) to generate per sample.")
@click.option("-t", "--temperature", type=click.FloatRange(min=0, min_open=True), metavar="T", default=1.0,
              show_default=True, help="Below 1: safer text; above 1: more surprising text.")
@click.option("--top-k", type=click.IntRange(min=1), metavar="K", default=None,
              help="Draw only among the K most likely characters (words).")
@click.option("--greedy", is_flag=True, help="Always take the most likely character (word).")
@click.option("--num-samples", type=click.IntRange(min=1), metavar="N", default=1, show_default=True,
              help="How many samples; they are separated by an empty line.")
@click.option("--random-seed", type=RANDOM_SEED, metavar="N", default=None,
              help="Seed of the random number generator, for reproducible samples.")
@click.option("--encoding", default="utf-8", show_default=True, metavar="NAME",
              callback=check_encoding_option, help="Encoding of --seed-file.")
@errors_option
@threads_option
def command(checkpoint, prime, seed_file, length, temperature, top_k, greedy, num_samples,
            random_seed, encoding, decode_errors, threads):
    """Generate text from a language model, streaming it to stdout.

    CKPT is a checkpoint written by `rnntool train charlm` or `rnntool train wordlm`; it
    holds everything needed.

    Each character (or word) is written as soon as it is drawn; the hidden state is
    stepped one token at a time, so every token costs the same. A word model writes words
    separated by spaces and starts a new line where it draws the end of a line (</s>).
    Each sample ends with a newline (added if the text does not end with one). Characters
    or words of the prime that the model never saw (for words: that it keeps only as
    <unk>) are an error.
    """
    from rnntool import checkpoint as ckpt
    from rnntool import kinds
    from rnntool import text as textio
    from rnntool.errors import InputError
    from rnntool.sampling import default_prime, generate, generator

    if prime is not None and seed_file:
        raise click.UsageError("give --seed or --seed-file, not both")
    if seed_file:
        input_paths([seed_file], "prime text")  # refuses to wait on a terminal
        prime = textio.read_text(seed_file, encoding=encoding, errors=decode_errors)
        if not prime:
            raise InputError(f"{textio.display_name(seed_file)}: empty file: no prime text")
    if prime == "":
        raise click.UsageError("--seed is empty; leave it out to start at a line start")
    data = ckpt.load(checkpoint)
    kind = kinds.find(data["kind"])
    if kind is None or not kind.samples:
        raise ckpt.CheckpointError(f"{checkpoint}: this is a {data['kind']} checkpoint; "
                                   f"sample needs a language model "
                                   f"({kinds.listing(kinds.sampling())})")
    model = ckpt.restore_model(data, checkpoint)
    vocab = ckpt.restore_vocab(data, checkpoint)
    draws = generator(random_seed)
    out = sys.stdout.buffer
    # Each drawn token a unit of the thread choice (rnntool.threads), timed here: torch's
    # global module hooks would put every module call of every step on its slow path.
    with Tuner(threads) as tuner:
        for number in range(num_samples):
            pieces = generate(model, vocab, prime if prime is not None else
                              default_prime(vocab), length, temperature=temperature,
                              top_k=top_k, greedy=greedy,
                              generator=draws)  # checks the prime before anything is written
            if number:
                out.write(b"\n")
            written = prime or ""
            out.write(written.encode("utf-8", "surrogateescape"))
            tick = time.monotonic()
            for piece in pieces:
                out.write(piece.encode("utf-8", "surrogateescape"))
                out.flush()
                written = piece
                now = time.monotonic()
                tuner.record(now - tick)
                tick = now
            if written and not written.endswith("\n"):
                out.write(b"\n")
            out.flush()
