"""``rnntool vocab``: build a vocabulary file (and optionally the encoded corpus)."""

from __future__ import annotations

import sys

import click

from rnntool.cli.common import encoding_option, errors_option, input_paths, refuse_clobbering
from rnntool.console import info


@click.command("vocab", epilog="""\b
Examples:
  rnntool vocab corpora/default.txt -o chars.vocab
  rnntool vocab corpora/default.txt -o chars.vocab --encode corpus.npy
  cat corpora/sentiment/*.txt | rnntool vocab --level word --lowercase --min-count 2 \\
      -o words.vocab
""")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("-o", "--output", default="-", show_default=True, metavar="FILE",
              type=click.Path(allow_dash=True),
              help="Where to write the vocabulary file ('-' is stdout).")
@click.option("--level", type=click.Choice(["char", "word"]), default="char", show_default=True,
              help="Tokens are characters, or words from a tokenizer.")
@click.option("--tokenizer", type=click.Choice(["regexp", "treebank", "whitespace"]),
              default="regexp", show_default=True,
              help="Word tokenizer (NLTK): a fast regular expression, the Penn Treebank "
                   "tokenizer, or ASCII whitespace for pre-tokenized text.")
@click.option("--min-count", type=click.IntRange(min=1), default=1, metavar="N", show_default=True,
              help="Drop tokens seen fewer times (they encode as <unk>).")
@click.option("--max-size", type=click.IntRange(min=1), default=None, metavar="N",
              help="Keep at most this many entries, reserved tokens included.")
@click.option("--lowercase", is_flag=True, help="Lowercase the text before counting.")
@click.option("--encode", "encode_path", metavar="IDS.npy", type=click.Path(dir_okay=False),
              help="Also write the corpus as an array of token ids (.npy, smallest unsigned "
                   "type that fits), which `rnntool train charlm --data` memory-maps.")
@encoding_option
@errors_option
def command(files, output, level, tokenizer, min_count, max_size, lowercase, encode_path,
            encoding, decode_errors):
    """Build a character- or word-level vocabulary from text files or stdin.

    Reads FILES ('-' or none: stdin) in chunks and writes a vocabulary file: a header, then
    one token a line as id, count and token separated by tabs, with escapes for spaces,
    backslashes and invisible characters. Ids 0 and 1 are reserved for <pad> and <unk>
    (and 2, 3 for <s> and </s> at word level, where every line end counts as </s>). Tokens
    follow by count descending, ties in code point order, so the output is deterministic.
    """
    from rnntool import corpus

    paths = input_paths(files)
    refuse_clobbering({"--output": output, "--encode": encode_path}, paths)
    reserved = 2 if level == "char" else 4
    if max_size is not None and max_size <= reserved:
        raise click.BadParameter(f"must be at least {reserved + 1} ({reserved} reserved tokens "
                                 f"and one real one)", param_hint="--max-size")
    if encode_path == "-":
        raise click.BadParameter("the ids are a .npy file; give a file name",
                                 param_hint="--encode")
    options = dict(min_count=min_count, max_size=max_size, lowercase=lowercase,
                   tokenizer=tokenizer, encoding=encoding, errors=decode_errors)
    if encode_path:
        vocab = corpus.build_and_encode(paths, encode_path, level, **options)
    else:
        vocab, _ = corpus.build_vocab(paths, level, **options)
    if output == "-":
        sys.stdout.write(vocab.dumps())
        sys.stdout.flush()
    else:
        vocab.save(output)
    unit = "characters" if level == "char" else "words"
    where = "stdout" if output == "-" else output
    message = (f"vocab: {len(vocab)} entries ({len(vocab) - vocab.num_reserved} {unit} and "
               f"{vocab.num_reserved} reserved) written to {where}")
    if encode_path:
        message += f"; ids ({vocab.dtype}) written to {encode_path}"
    info(message)
