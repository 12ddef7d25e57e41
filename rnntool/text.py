"""Reading text: opening inputs, decoding with an explicit policy, chunking, tokenizing.

Every command that reads text goes through ``read_chunks`` so that encodings, decode errors
(reported with the file name and byte offset), missing files and stdin behave the same
everywhere. Input is read in binary and decoded here, so no newline translation happens:
``\\r`` survives, and a vocabulary round-trips exactly what was in the file.

Not here: vocabularies (``rnntool.vocab``) and anything about models.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
from typing import BinaryIO, Callable, Iterator

from rnntool.errors import InputError, reading

#: Whitespace as bracketed trees and labelled lines split on it: ASCII only, so a token holding
#: a non-breaking space (SST has a few) stays one token.
ASCII_WHITESPACE = " \t\n\r\f\v"
CHUNK_BYTES = 1 << 23  # 8 MiB: large enough for fast bulk work, small enough to stream
ERROR_POLICIES = ("strict", "replace")


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


def open_binary(path: str) -> BinaryIO:
    """Open ``path`` for reading bytes ('-' is stdin), turning OS errors into one-line errors."""
    if path == "-":
        return sys.stdin.buffer
    with reading(path):
        if os.path.isdir(path):
            raise InputError(f"{path}: is a directory, not a file")
        return open(path, "rb")


#: Codecs whose strict or replacing decoders never yield a lone surrogate (U+D800-U+DFFF).
_SURROGATE_FREE = ("utf-8", "utf-16", "utf-32", "ascii", "latin-1", "iso8859-1")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_encoding(encoding: str) -> str:
    """The codec name of a text encoding; InputError for unknown names and for codecs that
    do not decode bytes to text (rot13, base64, zlib, ...)."""
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise InputError(f"unknown text encoding {encoding!r}") from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{encoding!r} is not a text encoding")
    return info.name


def _surrogate_error(text: str, name: str, encoding: str, decoded: int) -> InputError:
    """The error for a lone surrogate that a decoder (unicode_escape, utf-7) produced."""
    found = _SURROGATE.search(text)
    return InputError(f"{name}: character {decoded + found.start()}: decoding as {encoding} "
                      f"gives a lone surrogate U+{ord(found.group()):04X}, which is not a "
                      f"character; use --encoding or --errors replace")


def read_chunks(path: str, *, encoding: str = "utf-8", errors: str = "strict",
                chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """Yield the decoded text of ``path`` in chunks of about ``chunk_bytes`` bytes.

    A decoding error in strict mode raises ``InputError`` naming the file and the exact byte
    offset of the offending byte. Multi-byte characters split across chunk borders are
    handled by an incremental decoder.
    """
    if errors not in ERROR_POLICIES:
        raise ValueError(f"errors must be one of {ERROR_POLICIES}")
    name = display_name(path)
    codec = check_encoding(encoding)
    decoder = codecs.getincrementaldecoder(codec)(errors=errors)
    surrogates_possible = not codec.startswith(_SURROGATE_FREE)
    stream = open_binary(path)
    offset = 0  # bytes of the file handed to the decoder so far
    decoded = 0  # characters yielded so far
    try:
        while True:
            try:
                data = stream.read(chunk_bytes)
            except IsADirectoryError:
                raise InputError(f"{name}: is a directory, not a file") from None
            except OSError as exc:
                raise InputError(f"{name}: read error: {exc.strerror or exc}") from None
            final = not data
            pending = len(decoder.getstate()[0])
            try:
                text = decoder.decode(data, final=final)
            except UnicodeDecodeError as exc:
                where = offset - pending + exc.start
                bad = exc.object[exc.start:exc.start + 1]
                raise InputError(
                    f"{name}: byte {where}: cannot decode byte 0x{bad.hex()} as {encoding} "
                    f"({exc.reason}); use --encoding or --errors replace") from None
            except UnicodeError as exc:  # a codec's own complaint (utf-16 without a BOM)
                raise InputError(f"{name}: cannot decode the text as {encoding} ({exc}); use "
                                 f"--encoding") from None
            offset += len(data)
            if surrogates_possible and not text.isascii() and _SURROGATE.search(text):
                if errors == "strict":
                    raise _surrogate_error(text, name, encoding, decoded)
                text = _SURROGATE.sub("\ufffd", text)
            decoded += len(text)
            if text:
                yield text
            if final:
                return
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def read_line_chunks(path: str, **kwargs) -> Iterator[str]:
    """Like ``read_chunks`` but every chunk ends at a line end (or the end of the input)."""
    carry = ""
    for chunk in read_chunks(path, **kwargs):
        chunk = carry + chunk
        cut = chunk.rfind("\n") + 1
        carry = chunk[cut:]
        if cut:
            yield chunk[:cut]
    if carry:
        yield carry


def read_text(path: str, **kwargs) -> str:
    """The whole decoded text of a (small) input."""
    return "".join(read_chunks(path, **kwargs))


# --- word tokenizers -------------------------------------------------------------------

#: The default word pattern: runs of word characters, or runs of other non-space characters.
WORD_PATTERN = r"\w+|[^\w\s]+"
TOKENIZERS = ("regexp", "treebank", "whitespace")
#: The token that marks a line end in a tokenized chunk (it never occurs inside a word token).
LINE_END = "\n"


#: The most words a sentence may have where a model reads sentences (taggers and sentence
#: classifiers): a longer one, such as a whole text on one line, is an error naming its line
#: rather than a batch beyond memory or hours on one example.
MAX_SENTENCE_WORDS = 10_000
#: Text longer than this is tokenized in pieces (see ``in_pieces``): NLTK runs each regular
#: expression under a 5 s time limit, which a line of tens of megabytes exceeds.
PIECE_CHARS = 1 << 18
#: Where text may be cut for the regexp and whitespace tokenizers: before ASCII whitespace,
#: which no token of theirs holds.
_SPACE = re.compile(r"[ \t\n\r\x0b\x0c]")
#: Where a line may be cut for the treebank tokenizer: before a space that follows a word
#: character. The treebank rules that look at a line's ends (a final period, an opening
#: quote) or at the character after a token never see a difference there, so the pieces
#: give the tokens the whole line gives.
_TREEBANK_CUT = re.compile(r"(?<=\w) ")


def in_pieces(text: str, tokenize: Callable[[str], list[str]], cut=_SPACE,
              size: int | None = None) -> list[str]:
    """``tokenize(text)``, applied to pieces of about ``size`` (default ``PIECE_CHARS``)
    characters cut where ``cut`` matches (the piece after a cut starts with the match).
    Text without such a place is tokenized whole."""
    size = PIECE_CHARS if size is None else size
    if len(text) <= size:
        return tokenize(text)
    tokens: list[str] = []
    start = 0
    while len(text) - start > size:
        found = cut.search(text, start + size)
        if found is None:
            break
        tokens.extend(tokenize(text[start:found.start()]))
        start = found.start()
    tokens.extend(tokenize(text[start:]))
    return tokens


def treebank_line(line: str, tokenize: Callable[[str], list[str]]) -> list[str]:
    """The tokens NLTK's TreebankWordTokenizer (``tokenize``, or a function around it) gives
    for one line, cut into pieces where that changes nothing when the line is long."""
    return in_pieces(line, tokenize, _TREEBANK_CUT)


def make_tokenizer(name: str = "regexp") -> Callable[[str], list[str]]:
    """A function from text to word tokens, with ``LINE_END`` after every line.

    Built from NLTK's offline tokenizers:
    ``regexp`` (fast, the default): NLTK's RegexpTokenizer with ``WORD_PATTERN``.
    ``treebank``: NLTK's TreebankWordTokenizer, line by line (Penn Treebank conventions).
    ``whitespace``: NLTK's RegexpTokenizer splitting on ASCII whitespace (pre-tokenized text).
    The text may hold many lines: chunked reading hands over whole lines at a time. Long
    text is tokenized in pieces (``in_pieces``) with the same tokens, so a line of any
    length reads.
    """
    from nltk.tokenize import RegexpTokenizer
    if name in ("regexp", "whitespace"):
        pattern = WORD_PATTERN if name == "regexp" else r"[^ \t\n\r\x0b\x0c]+"
        split = RegexpTokenizer(pattern + r"|\n").tokenize
        return lambda text: in_pieces(text, split)
    if name == "treebank":
        from nltk.tokenize import TreebankWordTokenizer
        treebank = TreebankWordTokenizer().tokenize

        def tokenize(text: str) -> list[str]:
            tokens: list[str] = []
            lines = text.split("\n")
            for i, line in enumerate(lines):
                tokens.extend(treebank_line(line, treebank))
                if i < len(lines) - 1:
                    tokens.append(LINE_END)
            return tokens
        return tokenize
    raise ValueError(f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZERS)}")
