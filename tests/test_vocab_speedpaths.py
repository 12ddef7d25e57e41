"""The fast file paths of rnntool.corpus give exactly the ids of the straightforward reference.

The reference counts tokens with a ``collections.Counter`` and encodes with ``Vocab.encode``,
each file on its own (at word level with a line end appended when it lacks one). Chunk
sizes are shrunk so that chunk borders fall inside multibyte characters and inside words.
"""

from __future__ import annotations

import collections
import io
import os
import sys
import tempfile
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnntool import corpus
from rnntool import text as textio
from rnntool.errors import InputError, RnnToolError
from rnntool.corpus import build_and_encode, build_vocab, count_tokens, encode_files
from rnntool.vocab import Vocab

CASES = {
    "ascii": ["First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n"],
    "latin1": ["Café naïve — ÀÉÎÕÜ ß ÿ\xa0non\xa0breaking ½ x² y³\n" * 3],
    "astral": ["I ❤ 🐍🐍 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢! 中文字符 e\u0301 İstanbul\n", "🐍 again 🐍\n"],
    "crlf": ["one two\r\nthree, four\r\n\r\nfive\r\n"],
    "separators": ["a\x1cb\x1dc\x1e d\x1f e\x0bf\x0cg\th\u2028i\x85j\u3000k\n"],
    "no final newline": ["no final newline here", "second file, also none"],
    "files": ["alpha beta\n", "", "gamma, alpha\n", "beta beta\n"],
    "sigma": ["ΟΔΟΣ ΟΔΟΣ. ΣΑΣ ΑΣ'Β Σ:Σ ΑΣ\u0301 ὈΔΥΣΣΕΎΣ\nΑΣ\n"],
    "blank": [" \n\n\t \xa0\n", "word\n"],
}
TOKENIZERS = ("regexp", "whitespace", "treebank")


def reference(texts, level, *, lowercase=False, tokenizer="regexp", min_count=1,
              max_size=None):
    """The vocabulary and ids, the slow and obvious way."""
    if level == "word":
        texts = [t if not t or t.endswith("\n") else t + "\n" for t in texts]
        tokenize = textio.make_tokenizer(tokenizer)
    counts = collections.Counter()
    for text in texts:
        normal = text.lower() if lowercase else text
        counts.update(tokenize(normal) if level == "word" else normal)
    vocab = Vocab.from_counts(counts, level, min_count=min_count, max_size=max_size,
                              lowercase=lowercase, tokenizer=tokenizer)
    ids = [vocab.encode(text) for text in texts]
    return vocab, np.concatenate(ids).astype(vocab.dtype), counts


def write_files(directory, texts, encoding="utf-8"):
    paths = []
    for i, text in enumerate(texts):
        path = os.path.join(directory, f"in{i}.txt")
        with open(path, "wb") as handle:
            handle.write(text.encode(encoding) if isinstance(text, str) else text)
        paths.append(path)
    return paths


def check_all_paths(directory, texts, level, **options):
    """build_and_encode, build_vocab + encode_files and count_tokens all match the reference."""
    ref_vocab, ref_ids, ref_counts = reference(texts, level, **options)
    paths = write_files(directory, texts)
    out = os.path.join(directory, "ids.npy")
    vocab = build_and_encode(paths, out, level, **options)
    ids = np.load(out)
    assert vocab == ref_vocab
    assert ids.dtype == vocab.dtype
    assert np.array_equal(ids, ref_ids)

    built, counts = build_vocab(paths, level, **options)
    assert built == ref_vocab
    assert counts.counts == dict(ref_counts) and counts.total == len(ref_ids)
    # counts come in code point order for characters, in first-seen order for words
    assert list(counts.counts) == (sorted(ref_counts) if level == "char" else list(ref_counts))

    again = os.path.join(directory, "again.npy")
    assert encode_files(paths, vocab, again) == len(ref_ids)
    assert np.array_equal(np.load(again), ref_ids)
    assert sorted(os.listdir(directory)) == sorted(
        [os.path.basename(p) for p in paths] + ["ids.npy", "again.npy"])


@pytest.fixture(params=[None, 1, 3, 7], ids=["default-chunks", "chunk1", "chunk3", "chunk7"])
def chunk_bytes(request, monkeypatch):
    if request.param is not None:
        monkeypatch.setattr(corpus, "CHAR_CHUNK_BYTES", request.param)
        monkeypatch.setattr(corpus, "WORD_CHUNK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lowercase", [False, True])
def test_char_level_matches_reference(tmp_path, chunk_bytes, case, lowercase):
    check_all_paths(str(tmp_path), CASES[case], "char", lowercase=lowercase)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("lowercase", [False, True])
@pytest.mark.parametrize("tokenizer", TOKENIZERS)
def test_word_level_matches_reference(tmp_path, chunk_bytes, case, lowercase, tokenizer):
    check_all_paths(str(tmp_path), CASES[case], "word", lowercase=lowercase,
                    tokenizer=tokenizer)


@pytest.mark.parametrize("level", ["char", "word"])
@pytest.mark.parametrize("min_count, max_size", [(2, None), (1, 6), (3, 5), (100, None)])
def test_min_count_and_max_size(tmp_path, level, min_count, max_size):
    texts = ["the cat and the hat; the bat and a cat\n" * 3, "Ünïcödé 🐍 the\n"]
    check_all_paths(str(tmp_path), texts, level, min_count=min_count, max_size=max_size)


def test_wide_vocabulary_uses_wider_ids(tmp_path):
    texts = ["".join(map(chr, range(0x100, 0x100 + 400))) + "\n",
             "".join(map(chr, range(0x20, 0x7f))) + "\n"]  # a Latin-1 chunk after a wide one
    for name in ("wide", "capped", "words"):
        (tmp_path / name).mkdir()
    check_all_paths(str(tmp_path / "wide"), texts, "char")
    check_all_paths(str(tmp_path / "capped"), texts, "char", max_size=200)  # uint8 ids
    words = [" ".join(f"w{i}" for i in range(300)) + "\n"]
    check_all_paths(str(tmp_path / "words"), words, "word")


TRICKY = "aAzZ09 \n\r\t\x0b\x0c\x1c\x1f.,'_-:^`\xa0\xb2\xbdßÀé\u0130\u0301\u0345\u2028\u3000ΣσςΑΒ中🐍\U0001d518"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(alphabet=TRICKY, max_size=60), min_size=1, max_size=3),
       level=st.sampled_from(["char", "word"]), lowercase=st.booleans(),
       tokenizer=st.sampled_from(TOKENIZERS), chunk=st.sampled_from([1, 2, 5, 64]),
       min_count=st.integers(1, 3))
def test_random_texts_match_reference(texts, level, lowercase, tokenizer, chunk, min_count):
    ref_counts = reference(texts, level, lowercase=lowercase, tokenizer=tokenizer)[2]
    empty = sum(ref_counts.values()) == 0 or (level == "word" and len(ref_counts) <= 1)
    with tempfile.TemporaryDirectory() as directory, \
            mock.patch.object(corpus, "CHAR_CHUNK_BYTES", chunk), \
            mock.patch.object(corpus, "WORD_CHUNK_BYTES", chunk):
        if empty:
            with pytest.raises(InputError, match="the input is empty"):
                build_and_encode(write_files(directory, texts),
                                 os.path.join(directory, "ids.npy"), level,
                                 lowercase=lowercase, tokenizer=tokenizer)
            return
        check_all_paths(directory, texts, level, lowercase=lowercase, tokenizer=tokenizer,
                        min_count=min_count)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ9 .'\u0301ΣσΑ:\n", max_size=40))
def test_case_safe_cut_keeps_lowercase(text):
    at = corpus._case_safe_cut(text)
    assert 0 <= at < max(len(text), 1)
    assert text[:at].lower() + text[at:].lower() == text.lower()


@pytest.mark.parametrize("size", [0, 1, 2, 7, 1000, 1001])
def test_byte_histogram(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8)
    assert np.array_equal(corpus._byte_histogram(data), np.bincount(data, minlength=256))


def test_stdin_is_read_once(tmp_path, monkeypatch):
    text = "from a pipe, a pipe\nonly once\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    out = str(tmp_path / "ids.npy")
    vocab = build_and_encode(["-"], out, "word")
    ref_vocab, ref_ids, _ = reference([text], "word")
    assert vocab == ref_vocab and np.array_equal(np.load(out), ref_ids)


def test_decode_error_names_the_byte_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHAR_CHUNK_BYTES", 4)
    path = write_files(str(tmp_path), [b"abc\xc3\xa9def\xffghi"])[0]
    out = tmp_path / "ids.npy"
    for level in ("char", "word"):
        with pytest.raises(InputError, match=r"in0\.txt: byte 8: cannot decode byte 0xff"):
            build_and_encode([path], str(out), level)
    assert sorted(os.listdir(tmp_path)) == ["in0.txt"]
    vocab = build_and_encode([path], str(out), "char", errors="replace")
    assert vocab.decode(np.load(out)) == "abcédef\ufffdghi"


def test_empty_input_raises_and_keeps_the_old_output(tmp_path):
    paths = write_files(str(tmp_path), ["", "\n\n"])
    out = tmp_path / "ids.npy"
    out.write_bytes(b"old")
    for level in ("char", "word"):
        with pytest.raises(InputError, match="the input is empty"):
            build_and_encode(paths[:1] if level == "char" else paths, str(out), level)
    assert out.read_bytes() == b"old"


def test_bad_options_fail_before_reading(tmp_path):
    missing = [str(tmp_path / "no-such-file.txt")]
    with pytest.raises(RnnToolError, match="--max-size must be at least 5"):
        build_and_encode(missing, str(tmp_path / "ids.npy"), "word", max_size=4)
    with pytest.raises(RnnToolError, match="does not exist"):
        build_and_encode(missing, str(tmp_path / "nowhere" / "ids.npy"))
    with pytest.raises(ValueError, match="level"):
        build_and_encode(missing, str(tmp_path / "ids.npy"), "sentence")


def test_encode_files_writes_as_many_ids_as_counted(tmp_path):
    paths = write_files(str(tmp_path), ["some words here\n"])
    vocab, counts = build_vocab(paths, "word")
    out = str(tmp_path / "ids.npy")
    assert encode_files(paths, vocab, out) == counts.total == len(np.load(out))
    assert count_tokens(paths, "word").total == counts.total


def test_encoding_option(tmp_path):
    text = "Grüße, ça va? Ωmega\n"
    path = write_files(str(tmp_path), [text], encoding="utf-16")[0]
    out = str(tmp_path / "ids.npy")
    vocab = build_and_encode([path], out, "word", encoding="utf-16")
    ref_vocab, ref_ids, _ = reference([text], "word")
    assert vocab == ref_vocab and np.array_equal(np.load(out), ref_ids)
