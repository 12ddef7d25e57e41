"""The vocabulary: file round trips for any Unicode, ordering, options, encoding, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnntool.errors import InputError
from rnntool.corpus import load_ids
from rnntool.vocab import EOS, PAD, UNK, Vocab, escape_token, unescape_token

from conftest import assert_one_line_error, run_here

# Any code point at all, surrogates and controls included.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=any_char))
def test_escape_round_trips_any_text(token):
    spelled = escape_token(token)
    assert unescape_token(spelled) == token
    assert spelled.isprintable() and " " not in spelled and "\t" not in spelled


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(any_char, st.integers(1, 10**9), min_size=1, max_size=40),
       st.booleans())
def test_char_vocab_file_round_trips(counts, lowercase):
    vocab = Vocab.from_counts(counts, "char", lowercase=lowercase)
    loaded = Vocab.loads(vocab.dumps())
    assert loaded == vocab
    assert loaded.tokens[:2] == ["<pad>", "<unk>"]


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(alphabet=any_char, min_size=1, max_size=6),
                       st.integers(1, 1000), min_size=1, max_size=30))
def test_word_vocab_file_round_trips(counts):
    counts.pop("\n", None)
    vocab = Vocab.from_counts(counts, "word", tokenizer="whitespace")
    assert Vocab.loads(vocab.dumps()) == vocab


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                      exclude_categories=("Cs",)), min_size=1))
def test_char_encode_decode_identity(text):
    from collections import Counter
    vocab = Vocab.from_counts(Counter(text), "char")
    ids = vocab.encode(text)
    assert ids.dtype == vocab.dtype
    assert vocab.decode(ids.tolist()) == text


def test_order_is_count_descending_then_code_point():
    vocab = Vocab.from_counts({"b": 2, "a": 2, "z": 5, "\n": 1}, "char")
    assert vocab.tokens == ["<pad>", "<unk>", "z", "a", "b", "\n"]
    assert vocab.counts == [0, 0, 5, 2, 2, 1]


def test_min_count_and_max_size_keep_the_frequent_tokens():
    counts = {"a": 5, "b": 4, "c": 1}
    assert Vocab.from_counts(counts, "char", min_count=2).tokens[2:] == ["a", "b"]
    assert Vocab.from_counts(counts, "char", max_size=3).tokens == ["<pad>", "<unk>", "a"]
    assert Vocab.from_counts(counts, "char", min_count=2).encode("abc").tolist() == [2, 3, UNK]


def test_reserved_tokens_in_the_text_are_ordinary_tokens():
    vocab = Vocab.from_counts({"<pad>": 3, "x": 1}, "word", tokenizer="whitespace")
    assert vocab.tokens[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert "<pad>" not in vocab.tokens[4:]  # the reserved spelling keeps its reserved id
    assert vocab.encode("x <pad>\n").tolist() == [vocab.id_of("x"), UNK, EOS]
    assert PAD == 0


def test_dtype_is_the_smallest_that_fits():
    assert Vocab.from_counts({chr(i): 1 for i in range(254)}, "char").dtype == np.uint8
    assert Vocab.from_counts({chr(i): 1 for i in range(255)}, "char").dtype == np.uint16


@pytest.mark.parametrize("content, fragment", [
    ("hello\n", "line 1: not an rnntool vocabulary"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\t3\n", "line 5: expected id"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n3\t3\ta\n", "line 5: expected id 2"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\tx\ta\n", "line 5: count"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\t1\t\\q\n", "line 5: bad escape"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\t1\tab\n", "not one character"),
    ("#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\t1\ta\n3\t1\ta\n", "appears twice"),
    ("#rnntool-vocab 1\n0\t*\t<pad>\n", "names no level"),
])
def test_malformed_vocab_files_name_the_line(content, fragment):
    with pytest.raises(InputError, match=fragment):
        Vocab.loads(content, "v.txt")


def test_cli_char_vocab_and_encoding(tmp_path):
    text = "héllo wörld\r\n\ttab \x00 nul 😀\n"
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("utf-8"))
    result = run_here("vocab", src, "-o", tmp_path / "v.txt", "--encode", tmp_path / "ids.npy")
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    vocab = Vocab.load(str(tmp_path / "v.txt"))
    ids = load_ids(str(tmp_path / "ids.npy"))
    assert ids.dtype == np.uint8 and isinstance(ids, np.memmap)
    assert vocab.decode(ids.tolist()) == text
    assert vocab.tokens[2] == " "  # the most frequent character


def test_cli_vocab_to_stdout_from_stdin_word_level():
    result = run_here("vocab", "--level", "word", "--lowercase", "--tokenizer", "treebank",
                      input="The cat can't sit.\nthe CAT sat\n")
    assert result.returncode == 0, result.stderr
    vocab = Vocab.loads(result.stdout.decode("utf-8"))
    assert vocab.level == "word" and vocab.lowercase and vocab.tokenizer == "treebank"
    assert vocab.tokens[4:6] == ["cat", "the"]
    assert "n't" in vocab.tokens and "ca" in vocab.tokens
    assert vocab.counts[EOS] == 2


def test_cli_vocab_options_shape_the_result(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("aaaa bbb cc d\n", encoding="utf-8")
    result = run_here("vocab", src, "--min-count", "2", "--max-size", "5")
    vocab = Vocab.loads(result.stdout.decode("utf-8"))
    assert vocab.tokens == ["<pad>", "<unk>", "a", " ", "b"]


def test_cli_vocab_bad_input(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"fine text\n\xff more")
    out = tmp_path / "v.txt"
    out.write_text("precious\n")
    result = run_here("vocab", bad, "-o", out, "--encode", tmp_path / "ids.npy")
    assert_one_line_error(result, str(bad), "byte 10", "0xff")
    assert out.read_text() == "precious\n"
    assert not (tmp_path / "ids.npy").exists()
    assert sorted(tmp_path.iterdir()) == sorted([bad, out])  # no temporary files left
    replaced = run_here("vocab", bad, "--errors", "replace")
    assert replaced.returncode == 0
    assert "\ufffd" in Vocab.loads(replaced.stdout.decode()).tokens


def test_cli_vocab_empty_and_missing_input(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_one_line_error(run_here("vocab", empty), "empty")
    assert_one_line_error(run_here("vocab", tmp_path / "nope.txt"), "nope.txt", "no such file")
    assert_one_line_error(run_here("vocab", tmp_path), "is a directory")
    usage = run_here("vocab", "--level", "sentence", empty)
    assert usage.returncode == 2 and b"Traceback" not in usage.stderr
