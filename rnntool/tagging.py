"""Tagged sentences for sequence labelling (part of speech, named entities): reading and
writing them.

Input formats (``fmt``):

- ``conll``: one token a line, columns separated by ASCII whitespace, the token in the first
  column and the tag in the last (CoNLL-2000/2003 style; columns between are ignored), a
  blank line between sentences. ``-DOCSTART-`` lines are skipped, and so are comment lines,
  lines starting with ``"# "`` before a sentence's first token (inside a sentence such a
  line is a token line; ``#<TAB>#`` is never a comment).
- ``slash``: one sentence a line, ``word/TAG word/TAG ...``, each whitespace-separated item
  split at its last ``/`` (``1/2/CD`` is the word ``1/2`` tagged ``CD``). Blank lines and
  ``"# "`` comment lines are skipped (for prediction input a blank line is an empty sentence).
- ``text`` (prediction input only): raw text, one sentence a line, split at ASCII
  whitespace; every line is a sentence, a blank one an empty sentence, so that output lines
  match input lines. It is written back as ``slash``.
- ``auto``: decided per file by ``detect_format`` from its first line that is neither blank,
  nor a ``"# "`` comment, nor ``-DOCSTART-`` (see there for the exact rules).

Every problem with the input is an ``InputError`` naming the file and line. Text is read
through ``rnntool.text``, so encodings and decoding errors behave as in every other command.

Not here: tag sets, entities and scores (``rnntool.tagscores``), padding sentences into
batches (``rnntool.data.encode_batch``), vocabularies (``rnntool.vocab``), the model
(``rnntool.models.tagger``), training loops and the command line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

from rnntool import text as textio
from rnntool.errors import InputError

TAGGED_FORMATS = ("auto", "conll", "slash")
UNTAGGED_FORMATS = ("auto", "conll", "slash", "text")
DOCSTART = "-DOCSTART-"
COMMENT = "# "
_ASCII_SPACE = re.compile(f"[{re.escape(textio.ASCII_WHITESPACE)}]+")
#: The most words a sentence may have (and items a line): ``rnntool.text``'s.
MAX_SENTENCE_WORDS = textio.MAX_SENTENCE_WORDS


@dataclass
class TaggedData:
    """Tagged sentences: ``words[i]`` and ``tags[i]`` are the tokens and tags of sentence
    ``i``; ``fmt`` is the format the (first) file was in, for writing predictions back."""

    words: list[list[str]]
    tags: list[list[str]]
    fmt: str


# --- lines and items ---------------------------------------------------------------------

def split_items(line: str) -> list[str]:
    """The items of ``line`` split at runs of ASCII whitespace (a non-breaking space stays
    inside its item)."""
    return [item for item in _ASCII_SPACE.split(line) if item]


def _lines(path: str, encoding: str, errors: str) -> Iterator[str]:
    """The lines of ``path`` without their line end (``\\n`` or ``\\r\\n``) or a leading
    byte order mark."""
    first, number = True, 0
    for chunk in textio.read_line_chunks(path, encoding=encoding, errors=errors):
        if first:
            chunk, first = chunk.removeprefix("\ufeff"), False
        pieces = chunk.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        for piece in pieces:
            number += 1
            if len(piece) > MAX_SENTENCE_WORDS and len(_ASCII_SPACE.split(
                    piece.strip(textio.ASCII_WHITESPACE), MAX_SENTENCE_WORDS)) > MAX_SENTENCE_WORDS:
                raise InputError(f"{textio.display_name(path)}: line {number}: more than "
                                 f"{MAX_SENTENCE_WORDS:,} words on one line; a sentence may "
                                 f"have at most {MAX_SENTENCE_WORDS:,}")
            yield piece[:-1] if piece.endswith("\r") else piece


def split_slash(item: str) -> tuple[str, str]:
    """``(word, tag)`` of a ``word/TAG`` item, split at its last ``/``; ValueError says what
    is wrong."""
    word, slash, tag = item.rpartition("/")
    if not slash:
        raise ValueError(f"item {_quote(item)} has no /TAG (slash format is word/TAG ...)")
    if not word:
        raise ValueError(f"item {_quote(item)} has an empty word before its last /")
    if not tag:
        raise ValueError(f"item {_quote(item)} has an empty tag after its last /")
    return word, tag


def _looks_slash(items: list[str], tagged: bool) -> bool:
    """Whether a first line's ``items`` look like a slash-format sentence (see
    ``detect_format``)."""
    if tagged:
        return any("/" in item for item in items[1:]) or (len(items) == 1 and "/" in items[0])
    if len(items) < 2:
        return False
    for item in items:
        word, slash, tag = item.rpartition("/")
        if not (slash and word and tag):
            return False
    return True


def _quote(text: str, limit: int = 30) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _is_comment(line: str) -> bool:
    return line.startswith(COMMENT)


# --- format detection --------------------------------------------------------------------

def detect_format(lines: Iterable[str], tagged: bool = True) -> tuple[str, list[str]]:
    """``(format, lines read)`` of a file's lines under ``auto``; the lines read are handed
    back so that the caller can read on from where detection stopped.

    The first line that is neither blank, nor a ``"# "`` comment, nor ``-DOCSTART-`` decides:

    - a ``-DOCSTART-`` line before it: ``conll``;
    - tagged input (``tagged``): ``slash`` when an item of that line other than the first
      holds a ``/``, or the line is a single item holding one (in a conll line only the
      token, the first column, may hold a ``/``), else ``conll``; so a slash line with a bad
      item is still read as slash, and the item reported;
    - prediction input: ``slash`` when that line has 2 or more items, each with text on both
      sides of its last ``/`` (raw text such as ``24/7`` or ``and/or it`` stays text);
      ``conll`` when that line's block (it and the non-blank lines right after it) has 2 or
      more lines, each with the same number (2 or more) of columns, and a blank line follows
      the block; otherwise ``text``.

    No such line at all: ``conll`` for tagged input (which then has no sentences), ``text``
    for prediction input.
    """
    seen: list[str] = []
    block: list[int] = []  # column counts of the first block's lines
    for line in lines:
        seen.append(line)
        items = split_items(line)
        if not block:
            if not items or _is_comment(line):
                continue
            if items[0] == DOCSTART:
                return "conll", seen
            if _looks_slash(items, tagged):
                return "slash", seen
            if tagged:
                return "conll", seen
            block.append(len(items))
            continue
        if not items:
            return ("conll" if len(block) >= 2 and block[0] >= 2 else "text"), seen
        if len(items) != block[0]:
            return "text", seen
        block.append(len(items))
    return ("conll" if tagged else "text"), seen


# --- reading -------------------------------------------------------------------------------

def _conll_sentences(lines: Iterable[str], tagged: bool) -> Iterator[tuple[int, list, str | None]]:
    """Yield ``(first line number, [(word, tag)...], problem)`` for each sentence of conll
    ``lines``; ``problem`` (the first bad line, numbered) is None for a good sentence. The
    tag is None for prediction input (``tagged`` False), where one column is enough."""
    pairs: list[tuple[str, str | None]] = []
    start = 0
    problem: str | None = None
    width = None  # the columns of the file's first token line: every one must have as many
    for number, line in enumerate(lines, 1):
        items = split_items(line)
        in_sentence = bool(pairs) or problem is not None
        if not items or items[0] == DOCSTART:
            if in_sentence:
                yield start, pairs, problem
            pairs, problem = [], None
            continue
        if not in_sentence:
            if _is_comment(line):
                continue
            start = number
        if problem is not None:
            continue
        if not tagged:
            pairs.append((items[0], None))
        elif len(items) < 2:
            problem = (f"line {number}: only one column ({_quote(items[0])}): a conll line is "
                       f"TOKEN ... TAG, the tag in the last column")
        elif width is not None and len(items) != width:
            problem = (f"line {number}: {len(items)} columns where the file's first token "
                       f"line has {width}: is this tagged CoNLL data?")
        else:
            width = len(items)
            pairs.append((items[0], items[-1]))
        if len(pairs) > MAX_SENTENCE_WORDS:
            problem = (f"line {start}: a sentence of more than {MAX_SENTENCE_WORDS:,} words, "
                       f"the most a sentence may have (is a blank line missing between "
                       f"sentences?)")
            pairs = []
    if pairs or problem is not None:
        yield start, pairs, problem


def _slash_sentences(lines: Iterable[str], tagged: bool) -> Iterator[tuple[int, list, str | None]]:
    """Yield ``(line number, [(word, tag)...], problem)`` for each line of slash ``lines``:
    comments skipped, blank lines skipped when ``tagged`` and empty sentences otherwise."""
    for number, line in enumerate(lines, 1):
        if _is_comment(line):
            continue
        items = split_items(line)
        if not items and tagged:
            continue
        try:
            yield number, [split_slash(item) for item in items], None
        except ValueError as exc:
            yield number, [], f"line {number}: {exc}"


def _sentences(lines: Iterable[str], fmt: str, tagged: bool):
    if fmt == "conll":
        return _conll_sentences(lines, tagged)
    if fmt == "slash":
        return _slash_sentences(lines, tagged)
    return ((number, [(item, None) for item in split_items(line)], None)
            for number, line in enumerate(lines, 1))


def _file_format(path: str, fmt: str, tagged: bool, encoding: str,
                 errors: str) -> tuple[str, Iterable[str]]:
    lines = _lines(path, encoding, errors)
    if fmt != "auto":
        return fmt, lines
    found, seen = detect_format(lines, tagged)
    return found, _chain(seen, lines)


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _check_paths(paths, fmt: str, formats: tuple) -> list[str]:
    if fmt not in formats:
        raise ValueError(f"fmt must be one of {', '.join(formats)}")
    if isinstance(paths, str):
        paths = [paths]
    if not paths:
        raise ValueError("no input paths")
    return list(paths)


def read_tagged(paths: Sequence[str], fmt: str = "auto", *, encoding: str = "utf-8",
                errors: str = "strict", on_error: str = "error",
                warn: Callable[[str], None] | None = None) -> TaggedData:
    """Every tagged sentence of ``paths`` ('-' is stdin) in ``fmt`` (``auto``, ``conll`` or
    ``slash``; ``auto`` decided per file).

    A bad sentence (a conll line with one column, a slash item without a word or tag) raises
    ``InputError`` naming the file and line; with ``on_error="skip"`` the sentence is left
    out and ``warn`` told, once per file at its end, how many were and the first. A file with
    no sentences at all is an ``InputError`` too.
    """
    if on_error not in ("error", "skip"):
        raise ValueError("on_error must be 'error' or 'skip'")
    paths = _check_paths(paths, fmt, TAGGED_FORMATS)
    data = TaggedData([], [], "")
    for path in paths:
        name = textio.display_name(path)
        found, lines = _file_format(path, fmt, True, encoding, errors)
        data.fmt = data.fmt or found
        skipped: list[str] = []
        count = 0
        for _, pairs, problem in _sentences(lines, found, True):
            if problem is not None:
                if on_error != "skip":
                    raise InputError(f"{name}: {problem}")
                skipped.append(problem)
                continue
            data.words.append([word for word, _ in pairs])
            data.tags.append([tag for _, tag in pairs])
            count += 1
        if skipped and warn is not None:
            plural = "s" if len(skipped) > 1 else ""
            warn(f"{name}: skipped {len(skipped)} bad sentence{plural} (the first: "
                 f"{skipped[0]})")
        if not count and not skipped:
            raise InputError(f"{name}: no tagged sentences (expected {_expected(found)})")
    if not data.words:
        raise InputError(f"{', '.join(map(textio.display_name, paths))}: no good tagged "
                         f"sentences: every one was skipped")
    return data


def _expected(fmt: str) -> str:
    return ("word/TAG items, one sentence a line" if fmt == "slash" else
            "TOKEN ... TAG lines, a blank line between sentences")


def read_untagged(paths: Sequence[str], fmt: str = "auto", *, encoding: str = "utf-8",
                  errors: str = "strict") -> tuple[list[list[str]], str]:
    """``(sentences, format)``: the words of every sentence of ``paths`` ('-' is stdin), for
    prediction, and the format found (that of the first file), to write predictions back in.

    ``fmt``: ``text`` (one sentence a line, a blank line an empty sentence), ``slash`` (tags
    ignored; a blank line an empty sentence), ``conll`` (tags and other columns ignored, so a
    line may hold just the token) or ``auto`` (see ``detect_format``). A bad slash item
    raises ``InputError`` naming the file and line. No input at all gives no sentences.
    """
    paths = _check_paths(paths, fmt, UNTAGGED_FORMATS)
    sentences: list[list[str]] = []
    first = ""
    for path in paths:
        found, lines = _file_format(path, fmt, False, encoding, errors)
        first = first or found
        for _, pairs, problem in _sentences(lines, found, False):
            if problem is not None:
                raise InputError(f"{textio.display_name(path)}: {problem}")
            sentences.append([word for word, _ in pairs])
    return sentences, first


# --- writing -------------------------------------------------------------------------------

def format_sentence(words: Sequence[str], tags: Sequence[str], fmt: str) -> str:
    """The text of one tagged sentence in ``fmt``: ``conll`` (a ``token<TAB>tag`` line a
    token, then a blank line; nothing for an empty sentence) or ``slash`` (one line; also for
    ``text``, which has no tags of its own). ValueError for what would not read back."""
    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    for word, tag in zip(words, tags):
        if not word or not tag or split_items(word) != [word] or split_items(tag) != [tag]:
            raise ValueError(f"word {word!r} / tag {tag!r}: empty or holding whitespace")
    if fmt == "conll":
        return "".join(f"{word}\t{tag}\n" for word, tag in zip(words, tags)) + (
            "\n" if words else "")
    if fmt in ("slash", "text"):
        if any("/" in tag for tag in tags):
            raise ValueError("a tag holding '/' cannot be written in slash format")
        return " ".join(f"{word}/{tag}" for word, tag in zip(words, tags)) + "\n"
    raise ValueError(f"unknown format {fmt!r}")
