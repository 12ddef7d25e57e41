"""Corpora: counting the tokens of text files and encoding them to ``.npy`` id arrays.

Corpora are encoded to ``.npy`` arrays of the smallest unsigned dtype that holds every id,
streaming in chunks, so a corpus never has to fit in memory as Python objects;
``build_and_encode`` builds the vocabulary and encodes in a single pass over the text.
``load_ids`` memory-maps such an array back.

Not here: the ``Vocab`` class, its file format and token escaping (``rnntool.vocab``);
torch, models, batching.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from rnntool import text as textio
from rnntool.errors import InputError
from rnntool.files import atomic_path
from rnntool.vocab import (EOS, LEVELS, MAX_CODE_POINT, UNK, Vocab, _check_options,
                           _code_points, smallest_dtype)


# --- counting and encoding files ------------------------------------------------------------
#
# The text is read once. Each chunk becomes compact provisional ids -- code points at char
# level (one byte each for Latin-1 text); at word level the numbers of the distinct pieces of
# the text (runs without ASCII whitespace, so no token spans two), in first-seen order -- which
# are counted and spooled to an anonymous temporary file. Each distinct piece is tokenized once,
# by the very tokenizer ``Vocab.encode`` uses. Once the vocabulary is known, lookup tables turn
# the spooled ids into final ids.

CHAR_CHUNK_BYTES = 1 << 22  # 4 MiB of text at a time for characters
WORD_CHUNK_BYTES = 1 << 20  # 1 MiB for words: a piece costs ~50 bytes as a Python object
_LINE_MARK = b"\xff"  # never occurs in UTF-8: a line end among the pieces
_CASE_SAFE_PAIR = re.compile(r"[\sA-Za-z0-9](?=[\sA-Za-z0-9])")


@dataclass
class Counts:
    """Token counts of a corpus and the number of ids its encoding will hold."""

    counts: dict[str, int]
    total: int


def _read(paths: Sequence[str], level: str, tokenizer: str, lowercase: bool, encoding: str,
          errors: str) -> Iterator[str]:
    """Decoded (and lowercased) text of every input in turn, in chunks that can be handled
    apart: at word level a chunk ends after whitespace (after a line end for ``treebank``)
    and every file ends with a line end; lowercasing is cut where ``str.lower`` has no
    context."""
    cut = _cut_rule(level, tokenizer, lowercase)
    chunk_bytes = CHAR_CHUNK_BYTES if level == "char" else WORD_CHUNK_BYTES
    for path in paths:
        chunks = textio.read_chunks(path, encoding=encoding, errors=errors,
                                    chunk_bytes=chunk_bytes)
        chunk = ""
        for chunk in _recut(chunks, cut) if cut else chunks:
            yield chunk.lower() if lowercase else chunk
        if level == "word" and chunk and not chunk.endswith("\n"):
            yield "\n"


def _cut_rule(level: str, tokenizer: str, lowercase: bool) -> Callable[[str], int] | None:
    """Where a chunk may end (a function giving a position, 0 for nowhere); None: anywhere."""
    if level == "word":
        return _after_line_end if tokenizer == "treebank" else _after_space
    return _case_safe_cut if lowercase else None


def _after_line_end(text: str) -> int:
    return text.rfind("\n") + 1


def _after_space(text: str) -> int:
    return max(text.rfind("\n"), text.rfind(" ")) + 1


def _case_safe_cut(text: str) -> int:
    """The last position where ``text`` splits without changing what ``str.lower`` makes of it.

    Only a capital sigma looks at its neighbours (across case-ignorable characters) to pick
    its final form; no such look crosses a point between two ASCII letters, digits or
    whitespace characters. The search starts near the end.
    """
    window = 1 << 12
    while True:
        start = max(len(text) - window, 0)
        match = None
        for match in _CASE_SAFE_PAIR.finditer(text, start):
            pass
        if match or not start:
            return match.end() if match else 0
        window <<= 4


def _recut(chunks: Iterable[str], cut: Callable[[str], int]) -> Iterator[str]:
    """The text of ``chunks`` again, in chunks that end where ``cut`` allows."""
    pending: list[str] = []
    for chunk in chunks:
        at = cut(chunk)
        if at:
            yield "".join(pending) + chunk[:at]
            pending = [chunk[at:]]
        else:
            pending.append(chunk)
    rest = "".join(pending)
    if rest:
        yield rest


def _byte_histogram(data: np.ndarray) -> np.ndarray:
    """How often each byte value occurs (counting byte pairs: half the elements to bin)."""
    even = len(data) & ~1
    pairs = np.bincount(data[:even].view(np.uint16), minlength=1 << 16).reshape(256, 256)
    counts = pairs.sum(axis=0) + pairs.sum(axis=1)
    counts[data[even:]] += 1
    return counts


class _CharScanner:
    """Counts characters; turns text into code points (one byte each for Latin-1 text)."""

    def __init__(self) -> None:
        self.histogram = np.zeros(MAX_CODE_POINT, dtype=np.int64)

    def scan(self, text: str) -> np.ndarray:
        try:
            points = np.frombuffer(text.encode("latin-1"), dtype=np.uint8)
        except UnicodeEncodeError:
            points = _code_points(text)
            found = np.bincount(points)
            self.histogram[:len(found)] += found
        else:
            self.histogram[:256] += _byte_histogram(points)
        return points

    def counts(self) -> Counts:
        seen = np.flatnonzero(self.histogram)
        return Counts({chr(c): int(self.histogram[c]) for c in seen}, int(self.histogram.sum()))

    def mapper(self, vocab: Vocab) -> Callable[[np.ndarray], np.ndarray]:
        """A function from scanned code points to the ids of ``vocab``."""
        table = vocab._char_table()
        latin = table[:256].tobytes() if table.dtype == np.uint8 else None

        def remap(points: np.ndarray) -> np.ndarray:
            if latin is not None and points.dtype == np.uint8:
                return np.frombuffer(points.tobytes().translate(latin), dtype=np.uint8)
            return table[points]
        return remap


class _Numbering(dict):
    """Numbers keys in the order they are first looked up; ``new`` lists the keys added."""

    def __init__(self) -> None:
        super().__init__()
        self.new: list = []

    def __missing__(self, key):
        self[key] = number = len(self)
        self.new.append(key)
        return number


class _WordScanner:
    """Counts words through the distinct pieces of the text, each tokenized once.

    A piece is a run of UTF-8 bytes without ASCII whitespace, or a line end; for
    ``treebank``, whose tokens depend on the whole line, the pieces are its tokens.
    """

    def __init__(self, tokenizer: str) -> None:
        self.tokenize = textio.make_tokenizer(tokenizer)
        self.whole_lines = tokenizer == "treebank"
        self.numbers = _Numbering()
        self.tokens: list[list[str]] = []  # the tokens of each piece, by number
        self.piece_counts = np.zeros(0, dtype=np.int64)

    def scan(self, text: str) -> np.ndarray:
        if self.whole_lines:
            pieces = self.tokenize(text)
        else:
            pieces = text.encode("utf-8", "surrogatepass").replace(
                b"\n", b" " + _LINE_MARK + b" ").split()
        ids = np.fromiter(map(self.numbers.__getitem__, pieces), dtype=np.int64,
                          count=len(pieces))
        if self.numbers.new:
            self.tokens += self._tokens_of(self.numbers.new)
            self.numbers.new.clear()
        found = np.bincount(ids, minlength=len(self.numbers))
        found[:len(self.piece_counts)] += self.piece_counts
        self.piece_counts = found
        return ids.astype(smallest_dtype(len(self.numbers)))

    def _tokens_of(self, pieces: list) -> list[list[str]]:
        """The tokens of each piece, from one tokenizer call: pieces are joined by line ends,
        which are tokens of their own and boundaries."""
        if self.whole_lines:
            return [[piece] for piece in pieces]
        words = b"\n".join(p for p in pieces if p != _LINE_MARK)
        groups: list[list[str]] = [[]]
        for token in self.tokenize(words.decode("utf-8", "surrogatepass") + "\n"):
            if token == textio.LINE_END:
                groups.append([])
            else:
                groups[-1].append(token)
        found = iter(groups)
        return [[textio.LINE_END] if p == _LINE_MARK else next(found) for p in pieces]

    def counts(self) -> Counts:
        counts: collections.Counter[str] = collections.Counter()
        for tokens, n in zip(self.tokens, self.piece_counts.tolist()):
            for token in tokens:
                counts[token] += n
        return Counts(dict(counts), sum(counts.values()))

    def mapper(self, vocab: Vocab) -> Callable[[np.ndarray], np.ndarray]:
        """A function from scanned piece numbers to the ids of their tokens in ``vocab``."""
        index = dict(vocab.index)
        index[textio.LINE_END] = EOS
        lengths = np.fromiter(map(len, self.tokens), dtype=np.int64, count=len(self.tokens))
        flat = np.fromiter(map(index.get, itertools.chain.from_iterable(self.tokens),
                               itertools.repeat(UNK)),
                           dtype=vocab.dtype, count=int(lengths.sum()))
        if (lengths == 1).all():
            return flat.__getitem__
        starts = np.cumsum(lengths) - lengths

        def remap(ids: np.ndarray) -> np.ndarray:
            counts = lengths[ids]
            ends = np.cumsum(counts)
            return flat[np.arange(ends[-1]) - np.repeat(ends - counts - starts[ids], counts)]
        return remap


class _Spool:
    """Arrays written in turn to an anonymous temporary file and read back in order."""

    def __init__(self, directory: str) -> None:
        self.file = tempfile.TemporaryFile(dir=directory)
        self.parts: list[tuple[np.dtype, int]] = []

    def __enter__(self) -> "_Spool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.file.close()

    def write(self, array: np.ndarray) -> None:
        self.file.write(array)
        self.parts.append((array.dtype, len(array)))

    def read(self) -> Iterator[np.ndarray]:
        self.file.seek(0)
        for dtype, length in self.parts:
            yield np.frombuffer(self.file.read(length * dtype.itemsize), dtype=dtype)


def _scan(paths: Sequence[str], level: str, *, tokenizer: str, lowercase: bool,
          encoding: str, errors: str, spool: _Spool | None = None):
    """Read the inputs once, counting their tokens and spooling their provisional ids."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    scanner = _CharScanner() if level == "char" else _WordScanner(tokenizer)
    for chunk in _read(paths, level, tokenizer, lowercase, encoding, errors):
        ids = scanner.scan(chunk)
        if spool is not None and len(ids):
            spool.write(ids)
    return scanner


def _write_npy(path: str, dtype: np.dtype, length: int, arrays: Iterable[np.ndarray]) -> None:
    """Write ``arrays``, one after another, as a one-dimensional ``.npy`` array of ``length``."""
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False,
              "shape": (length,)}
    with open(path, "wb") as out:
        np.lib.format.write_array_header_1_0(out, header)
        for array in arrays:
            out.write(array)


def _vocab_of(counts: Counts, paths: Sequence[str], level: str, **options) -> Vocab:
    """``Vocab.from_counts``, raising InputError when the inputs hold no tokens."""
    if counts.total == 0 or (level == "word" and len(counts.counts) <= 1):
        names = ", ".join(textio.display_name(p) for p in paths)
        raise InputError(f"{names}: the input is empty: there is nothing to build a "
                         f"vocabulary from")
    return Vocab.from_counts(counts.counts, level, **options)


def count_tokens(paths: Sequence[str], level: str = "char", *, lowercase: bool = False,
                 tokenizer: str = "regexp", encoding: str = "utf-8",
                 errors: str = "strict") -> Counts:
    """Count the tokens of the inputs, streaming: what is kept is one entry per distinct
    token (at word level, per distinct whitespace-free piece), never the text."""
    return _scan(paths, level, tokenizer=tokenizer, lowercase=lowercase, encoding=encoding,
                 errors=errors).counts()


def build_vocab(paths: Sequence[str], level: str = "char", *, min_count: int = 1,
                max_size: int | None = None, lowercase: bool = False,
                tokenizer: str = "regexp", encoding: str = "utf-8",
                errors: str = "strict") -> tuple[Vocab, Counts]:
    """Count the inputs and build their vocabulary; raises InputError on empty input."""
    _check_options(level, max_size)
    counts = count_tokens(paths, level, lowercase=lowercase, tokenizer=tokenizer,
                          encoding=encoding, errors=errors)
    vocab = _vocab_of(counts, paths, level, min_count=min_count, max_size=max_size,
                      lowercase=lowercase, tokenizer=tokenizer)
    return vocab, counts


def build_and_encode(paths: Sequence[str], out_path: str, level: str = "char", *,
                     min_count: int = 1, max_size: int | None = None, lowercase: bool = False,
                     tokenizer: str = "regexp", encoding: str = "utf-8",
                     errors: str = "strict") -> Vocab:
    """Build the vocabulary of the inputs and write their ids to ``out_path``, reading them once.

    The same vocabulary as ``build_vocab`` and the same ``.npy`` file (of ``vocab.dtype``,
    written atomically) as ``encode_files`` with it, in one pass, so stdin needs no spooling.
    Raises InputError on empty input (and writes nothing).
    """
    _check_options(level, max_size)
    with atomic_path(out_path) as tmp, _Spool(os.path.dirname(tmp)) as spool:
        scanner = _scan(paths, level, tokenizer=tokenizer, lowercase=lowercase,
                        encoding=encoding, errors=errors, spool=spool)
        counts = scanner.counts()
        vocab = _vocab_of(counts, paths, level, min_count=min_count, max_size=max_size,
                          lowercase=lowercase, tokenizer=tokenizer)
        _write_npy(tmp, vocab.dtype, counts.total, map(scanner.mapper(vocab), spool.read()))
    return vocab


def encode_files(paths: Sequence[str], vocab: Vocab, out_path: str, *,
                 encoding: str = "utf-8", errors: str = "strict") -> int:
    """Write the ids of the inputs to ``out_path`` as a ``.npy`` array, atomically.

    Returns the number of ids.
    """
    with atomic_path(out_path) as tmp, _Spool(os.path.dirname(tmp)) as spool:
        scanner = _scan(paths, vocab.level, tokenizer=vocab.tokenizer or "regexp",
                        lowercase=vocab.lowercase, encoding=encoding, errors=errors,
                        spool=spool)
        found = scanner.counts().total
        _write_npy(tmp, vocab.dtype, found, map(scanner.mapper(vocab), spool.read()))
    return found


def load_ids(path: str) -> np.ndarray:
    """Memory-map an encoded ``.npy`` corpus (read-only); one-line errors for bad files."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    try:
        ids = np.load(path, mmap_mode="r", allow_pickle=False)
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except (ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({exc})") from None
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.unsignedinteger):
        raise InputError(f"{path}: expected a one-dimensional array of unsigned ids, "
                         f"found {ids.dtype} of shape {ids.shape}")
    return ids


def vocab_of_texts(texts, level: str = "char", *, min_count: int = 1,
                   max_size: int | None = None, lowercase: bool = False,
                   tokenizer: str = "regexp") -> Vocab:
    """The vocabulary of strings in memory, counted as the same text in a file would be
    (each string ends with a line end for word counting)."""
    import collections

    counts: collections.Counter[str] = collections.Counter()
    split = textio.make_tokenizer(tokenizer) if level == "word" else None
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be strings, not {type(text).__name__}")
        text = text.lower() if lowercase else text
        if split is None:
            counts.update(text)
        elif text:  # as in a file, the text ends with a line end
            counts.update(split(text if text.endswith("\n") else text + "\n"))
    if not any(count for token, count in counts.items() if token != textio.LINE_END
               or level == "char"):
        raise InputError("the texts are empty: there is nothing to build a vocabulary from")
    return Vocab.from_counts(counts, level, min_count=min_count, max_size=max_size,
                             lowercase=lowercase, tokenizer=tokenizer)
