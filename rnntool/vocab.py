"""Vocabularies: token <-> id maps built from counts, their text file format, and encoding.

A ``Vocab`` is character- or word-level. Ids start with the reserved tokens
(``<pad>`` = 0, ``<unk>`` = 1, and for words ``<s>`` = 2, ``</s>`` = 3), then the tokens
by count descending, ties broken by code point order, so the same text always gives the
same file.

The vocabulary file is plain UTF-8 text, one token a line (``id TAB count TAB token``,
``*`` as the count of reserved tokens), with backslash escapes for the backslash, space
and every non-printable character, so that any Unicode character -- newline, tab, NUL,
a lone surrogate -- round-trips exactly.

Not here: counting corpus files and encoding them to ``.npy`` arrays (``rnntool.corpus``);
torch, models, batching.
"""

from __future__ import annotations

import collections
import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

from rnntool import text as textio
from rnntool.errors import InputError, RnnToolError
from rnntool.files import write_text_atomic

LEVELS = ("char", "word")
PAD, UNK, BOS, EOS = 0, 1, 2, 3
RESERVED = {"char": ("<pad>", "<unk>"), "word": ("<pad>", "<unk>", "<s>", "</s>")}
FILE_MAGIC = "#rnntool-vocab 1"
MAX_CODE_POINT = 0x110000


# --- escaping ---------------------------------------------------------------------------

_NAMED_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", " ": "\\s"}
_UNNAMED = {v[1]: k for k, v in _NAMED_ESCAPES.items()}


def escape_token(token: str) -> str:
    """A printable, whitespace-free spelling of ``token`` (see ``unescape_token``)."""
    out = []
    for ch in token:
        if ch in _NAMED_ESCAPES:
            out.append(_NAMED_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def unescape_token(spelled: str) -> str:
    """Invert ``escape_token``; raises ValueError on a malformed escape."""
    if "\\" not in spelled:
        return spelled
    out, i, n = [], 0, len(spelled)
    while i < n:
        ch = spelled[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        if i + 1 >= n:
            raise ValueError("a lone backslash at the end")
        kind = spelled[i + 1]
        if kind in _UNNAMED:
            out.append(_UNNAMED[kind])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(kind)
        digits = spelled[i + 2:i + 2 + (width or 0)]
        if width is None or len(digits) != width or not all(c in "0123456789abcdefABCDEF"
                                                            for c in digits):
            raise ValueError(f"bad escape {spelled[i:i + 2 + (width or 0)]!r}")
        code = int(digits, 16)
        if code >= MAX_CODE_POINT:
            raise ValueError(f"code point {code:#x} is out of range")
        out.append(chr(code))
        i += 2 + width
    return "".join(out)


# --- the vocabulary ---------------------------------------------------------------------

@dataclass
class Vocab:
    """An id <-> token map. ``tokens[i]`` is the token with id ``i``; reserved ones come first."""

    level: str
    tokens: list[str]
    counts: list[int]
    lowercase: bool = False
    tokenizer: str | None = None
    _index: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check the invariants, whatever the source (file, checkpoint, counts): ValueError."""
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        reserved = RESERVED[self.level]
        if tuple(self.tokens[:len(reserved)]) != reserved:
            raise ValueError(f"a {self.level} vocabulary starts with the reserved tokens "
                             f"{' '.join(reserved)}")
        if len(self.counts) != len(self.tokens):
            raise ValueError("tokens and counts differ in length")
        if not all(isinstance(t, str) and t for t in self.tokens):
            raise ValueError("every token is a non-empty string")
        if len(set(self.tokens)) != len(self.tokens):
            dup = next(t for t, c in collections.Counter(self.tokens).items() if c > 1)
            raise ValueError(f"token {escape_token(dup)!r} appears twice")
        if self.level == "char" and any(len(t) != 1 for t in self.tokens[len(reserved):]):
            bad = next(t for t in self.tokens[len(reserved):] if len(t) != 1)
            raise ValueError(f"char vocabulary holds {escape_token(bad)!r}, which is not one "
                             f"character")
        if self.tokenizer is not None and self.tokenizer not in textio.TOKENIZERS:
            raise ValueError(f"unknown tokenizer {self.tokenizer!r}")

    # construction ------------------------------------------------------------------------
    @classmethod
    def from_counts(cls, counts: dict[str, int], level: str, *, min_count: int = 1,
                    max_size: int | None = None, lowercase: bool = False,
                    tokenizer: str | None = None) -> "Vocab":
        """Keep tokens seen at least ``min_count`` times, most frequent first.

        ``max_size`` caps the whole vocabulary, reserved tokens included.
        """
        _check_options(level, max_size)
        reserved = RESERVED[level]
        kept = sorted(((tok, c) for tok, c in counts.items()
                       if c >= min_count and tok not in reserved
                       and not (level == "word" and tok == textio.LINE_END)),
                      key=lambda item: (-item[1], item[0]))
        if max_size is not None:
            kept = kept[:max_size - len(reserved)]
        tokens = list(reserved) + [tok for tok, _ in kept]
        reserved_counts = [0] * len(reserved)
        if level == "word":  # sentence boundaries are counted as line ends
            reserved_counts[EOS] = counts.get(textio.LINE_END, 0)
        return cls(level, tokens, reserved_counts + [c for _, c in kept], lowercase,
                   tokenizer if level == "word" else None)

    # basics ------------------------------------------------------------------------------
    @property
    def num_reserved(self) -> int:
        return len(RESERVED[self.level])

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def index(self) -> dict[str, int]:
        if self._index is None:
            self._index = {tok: i for i, tok in enumerate(self.tokens) if i >= self.num_reserved}
        return self._index

    @property
    def dtype(self) -> np.dtype:
        """The smallest unsigned integer type that holds every id."""
        return smallest_dtype(len(self.tokens))

    def id_of(self, token: str) -> int:
        return self.index.get(token, UNK)

    def ids_of(self, tokens: Sequence[str]) -> np.ndarray:
        """int64 ids of words already tokenized (and lowercased, if the vocabulary is)."""
        index = self.index
        return np.fromiter((index.get(t, UNK) for t in tokens), dtype=np.int64,
                           count=len(tokens))

    def tokenizer_function(self) -> Callable[[str], list[str]]:
        """The function that splits text into this vocabulary's words (no case folding)."""
        return textio.make_tokenizer(self.tokenizer or "regexp")

    def unknown_in(self, text: str) -> list[str]:
        """The distinct tokens of ``text`` that this vocabulary lacks, in order of appearance."""
        pieces = self._tokenize(self._normalize(text)) if self.level == "word" else self._normalize(text)
        index = self.index
        return list(dict.fromkeys(t for t in pieces
                                  if t not in index and t != textio.LINE_END))

    def _normalize(self, text: str) -> str:
        return text.lower() if self.lowercase else text

    def _tokenize(self, text: str) -> list[str]:
        return textio.make_tokenizer(self.tokenizer or "regexp")(text)

    # encoding ----------------------------------------------------------------------------
    def encode(self, text: str) -> np.ndarray:
        """Ids of ``text`` (lowercased first if the vocabulary is); unknown tokens map to <unk>.

        At word level each line end becomes ``</s>``.
        """
        text = self._normalize(text)
        if self.level == "char":
            return self._char_table()[_code_points(text)]
        tokens = self._tokenize(text)
        return self._encode_tokens(tokens)

    def _encode_tokens(self, tokens: Sequence[str]) -> np.ndarray:
        index = dict(self.index)
        index[textio.LINE_END] = EOS
        return np.fromiter(map(index.get, tokens, itertools.repeat(UNK)), dtype=self.dtype,
                           count=len(tokens))

    def _char_table(self) -> np.ndarray:
        table = getattr(self, "_table", None)
        if table is None:
            table = np.full(MAX_CODE_POINT, UNK, dtype=self.dtype)
            for i, tok in enumerate(self.tokens[self.num_reserved:], self.num_reserved):
                table[ord(tok)] = i
            self._table = table
        return table

    def decode(self, ids: Iterable[int]) -> str:
        """Text for ``ids``; at word level tokens are joined by spaces and ``</s>`` ends a line."""
        tokens = self.tokens
        if self.level == "char":
            return "".join(tokens[i] for i in ids)
        out: list[str] = []
        for i in ids:
            if i == EOS:
                out.append("\n")
            else:
                if out and out[-1] != "\n":
                    out.append(" ")
                out.append(tokens[i])
        return "".join(out)

    # plain-data form for checkpoints -------------------------------------------------------
    def to_dict(self) -> dict:
        return {"level": self.level, "tokens": list(self.tokens), "counts": list(self.counts),
                "lowercase": self.lowercase, "tokenizer": self.tokenizer}

    @classmethod
    def from_dict(cls, data: dict) -> "Vocab":
        return cls(data["level"], list(data["tokens"]), [int(c) for c in data["counts"]],
                   bool(data.get("lowercase", False)), data.get("tokenizer"))

    # the text file -----------------------------------------------------------------------
    def dumps(self) -> str:
        lines = [FILE_MAGIC,
                 f"# level: {self.level}",
                 f"# lowercase: {'yes' if self.lowercase else 'no'}"]
        if self.level == "word":
            lines.append(f"# tokenizer: {self.tokenizer or 'regexp'}")
        lines.append("# id<TAB>count<TAB>token; a count of * (or *N) marks a reserved token; escapes: "
                     "\\\\ \\s (space) \\t \\n \\r \\xHH \\uHHHH \\UHHHHHHHH")
        for i, (tok, count) in enumerate(zip(self.tokens, self.counts)):
            shown = ("*" + (str(count) if count else "")) if i < self.num_reserved else str(count)
            lines.append(f"{i}\t{shown}\t{escape_token(tok)}")
        return "\n".join(lines) + "\n"

    def save(self, path: str) -> None:
        write_text_atomic(path, self.dumps())

    @classmethod
    def loads(cls, content: str, name: str = "<vocab>") -> "Vocab":
        lines = content.removeprefix("\ufeff").split("\n")  # an editor may add a BOM
        if not lines or lines[0].strip() != FILE_MAGIC:
            raise InputError(f"{name}: line 1: not an rnntool vocabulary file "
                             f"(it should start with {FILE_MAGIC!r})")
        meta: dict[str, str] = {}
        tokens: list[str] = []
        counts: list[int] = []
        for lineno, line in enumerate(lines[1:], 2):
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                continue
            if line.startswith("#"):
                key, sep, value = line[1:].partition(":")
                if sep and key.strip() in ("level", "lowercase", "tokenizer"):
                    meta[key.strip()] = value.strip()
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise InputError(f"{name}: line {lineno}: expected id, count and token "
                                 f"separated by tabs")
            ident, count, spelled = parts
            if ident != str(len(tokens)):
                raise InputError(f"{name}: line {lineno}: expected id {len(tokens)}, "
                                 f"found {ident!r}")
            try:
                token = unescape_token(spelled)
            except ValueError as exc:
                raise InputError(f"{name}: line {lineno}: {exc}") from None
            digits = count[1:] if count.startswith("*") else count  # '*' marks reserved
            if (digits.isascii() and digits.isdigit()) or count == "*":
                counts.append(int(digits or 0))
            else:
                raise InputError(f"{name}: line {lineno}: count {count!r} is not a number")
            tokens.append(token)
        level = meta.get("level")
        if level not in LEVELS:
            raise InputError(f"{name}: the header names no level (char or word)")
        tokenizer = meta.get("tokenizer") if level == "word" else None
        try:
            return cls(level, tokens, counts, meta.get("lowercase") == "yes", tokenizer)
        except ValueError as exc:
            raise InputError(f"{name}: {exc}") from None

    @classmethod
    def load(cls, path: str) -> "Vocab":
        try:
            content = textio.read_text(path)
        except InputError as exc:
            raise InputError(f"{exc} (reading a vocabulary file)") from None
        return cls.loads(content, path)


def _check_options(level: str, max_size: int | None) -> None:
    """Reject a bad level or a ``max_size`` too small for the reserved tokens and one more."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    reserved = len(RESERVED[level])
    if max_size is not None and max_size < reserved + 1:
        raise RnnToolError(f"--max-size must be at least {reserved + 1} "
                           f"({reserved} reserved tokens and one real one)")


def smallest_dtype(size: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if size - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
