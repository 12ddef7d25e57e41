"""Fuzzing whatever reads a user's input, with hypothesis: vocabulary files and the `vocab`
command, bracketed trees, lines made into trees (`parse`, tree-model `predict`), labelled
lines for sentence classifiers, and sample primes. Every input either works or is refused
with the documented error (a one-line message, exit 1; a usage error, exit 2), never a
traceback.

Runs are derandomized, so every run (and CI) tries the same inputs; each test body counts
its inputs and the session summary prints the total (``FuzzTally`` in conftest.py). The
``@example``s are inputs that once crashed.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from nltk.tree import Tree

from rnntool import checkpoint, grammar, labelled, parsing, trees
from rnntool import text as textio
from rnntool.cli import cli
from rnntool.errors import InputError, RnnToolError
from rnntool.sampling import generate
from rnntool.vocab import EOS, RESERVED, Vocab

from conftest import ROOT, assert_one_line_error, separate_streams_runner
from forked import run_forked

pytestmark = pytest.mark.fuzz


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a fuzz test: ``examples`` inputs, the same ones every run."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- what inputs are made of -----------------------------------------------------------------

#: Any code point at all, lone surrogates and controls included.
any_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF)
#: Any character UTF-8 can hold (no lone surrogates).
utf8_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=("Cs",))
#: Pieces that some reader treats specially, mixed into arbitrary text.
SPECIAL = ["(", ")", " ", "\t", "\n", "\r", "\\", "\xa0", "\u2028", "\x1c", "\x00", "__label__",
           '"', "'", "``", "-LRB-", "2", "(2 ", "(X a b)", "good", "not", "#", "*", "<unk>"]


def mixed(chars=any_char, pieces=SPECIAL, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text of arbitrary characters and of pieces that readers treat specially."""
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(chars, max_size=4)),
                    max_size=max_size).map("".join)


def lines_of(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``text`` as input lines come to the line readers: without line ends."""
    return text.map(lambda line: line.replace("\n", ""))


def one_line(message: str) -> bool:
    return len(message.splitlines()) == 1


runner = separate_streams_runner()


def invoke(*args, input: bytes | None = None):
    """The command run in-process; an exception other than an exit is a crash, re-raised."""
    result = runner.invoke(cli, [str(a) for a in args], input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def assert_refused(result, code: int, *fragments: str) -> str:
    """``result`` (in-process) exited with ``code`` and a one-line error holding ``fragments``
    (a usage error, exit 2, is click's usage block ending in one 'Error:' line)."""
    assert result.exit_code == code, (result.exit_code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr
    if code == 2:
        assert lines and lines[-1].startswith("Error:"), result.stderr
    else:
        assert len(lines) == 1 and lines[0].startswith("rnntool: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[-1], (fragment, lines[-1])
    return lines[-1]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


# --- vocabulary files --------------------------------------------------------------------------

VOCAB_LINES = ["#rnntool-vocab 1", "# level: char", "# level: word", "# lowercase: yes",
               "# tokenizer: treebank", "# tokenizer: nltk", "0\t*\t<pad>", "1\t*\t<unk>",
               "2\t*\t<s>", "3\t*7\t</s>", "2\t5\ta", "4\t1\tword"]
VOCAB_FIELDS = ["", "*", "*3", "0", "2", "4", "17", "-1", "\u00b2", "\u0663", "\\", "\\x4",
                "\\u12", "\\ud800", "\\U0011ffff", "\\s", "\\q", "a", "ab"]
vocab_line = st.one_of(
    st.sampled_from(VOCAB_LINES),
    st.lists(st.one_of(st.sampled_from(VOCAB_FIELDS), st.text(any_char, max_size=3)),
             min_size=1, max_size=4).map("\t".join),
    st.text(any_char, max_size=12))


@st.composite
def damaged_dumps(draw) -> str:
    """A vocabulary file as rnntool writes it, with a piece cut out and another put in."""
    level = draw(st.sampled_from(["char", "word"]))
    size = 1 if level == "char" else 5
    counts = draw(st.dictionaries(st.text(any_char, min_size=1, max_size=size),
                                  st.integers(1, 10**6), min_size=1, max_size=8))
    counts = {t: c for t, c in counts.items() if t not in RESERVED[level] and t != "\n"}
    content = Vocab.from_counts(counts, level, lowercase=draw(st.booleans())).dumps()
    start = draw(st.integers(0, len(content)))
    end = draw(st.integers(start, min(len(content), start + 8)))
    return content[:start] + draw(mixed(max_size=3) | st.sampled_from(VOCAB_FIELDS)) + content[end:]


vocab_files = st.one_of(
    st.lists(vocab_line, max_size=12).map(lambda lines: "\n".join(["#rnntool-vocab 1", *lines])),
    st.lists(vocab_line, max_size=12).map("\n".join),
    damaged_dumps(),
    st.text(any_char))


@fuzz(500)
@example(content="#rnntool-vocab 1\n# level: char\n0\t*\t<pad>\n1\t*\t<unk>\n2\t\u00b2\ta\n")
@given(content=vocab_files)
def test_vocab_files_load_or_are_refused(fuzz_tally, content):
    """``Vocab.loads`` returns a vocabulary that writes and reads back as itself, or raises
    a one-line InputError naming the file."""
    fuzz_tally.count("vocab files")
    try:
        vocab = Vocab.loads(content, "v.txt")
    except InputError as exc:
        assert str(exc).startswith("v.txt: ") and one_line(str(exc)), str(exc)
        return
    again = Vocab.loads(vocab.dumps())
    assert (again.level, again.tokens, again.counts) == (vocab.level, vocab.tokens, vocab.counts)
    assert again.dumps() == vocab.dumps()


@fuzz(60)
@given(data=st.one_of(vocab_files.map(lambda text: text.encode("utf-8", "surrogatepass")),
                      st.binary(max_size=80)))
def test_vocab_file_bytes_load_or_are_refused(fuzz_tally, scratch, data):
    """Any bytes on disk: ``Vocab.load`` reads them or names the file in a one-line error."""
    fuzz_tally.count("vocab file bytes")
    path = scratch / "any.vocab"
    path.write_bytes(data)
    try:
        Vocab.load(str(path))
    except InputError as exc:
        assert str(exc).startswith(f"{path}: ") and one_line(str(exc)), str(exc)


def expected_counts(text: str, level: str, tokenizer: str) -> tuple[collections.Counter, int]:
    """What `rnntool vocab` should count in ``text``: tokens (of the whole text at once, not
    of the chunks and pieces the command works on) and line ends (word level)."""
    if level == "char":
        return collections.Counter(text), 0
    ended = text if not text or text.endswith("\n") else text + "\n"
    counts = collections.Counter(textio.make_tokenizer(tokenizer)(ended))
    return counts, counts.pop(textio.LINE_END, 0)


@fuzz(150)
@given(text=mixed(utf8_char), level=st.sampled_from(["char", "word"]),
       tokenizer=st.sampled_from(textio.TOKENIZERS), lowercase=st.booleans())
def test_vocab_command_round_trips_any_text(fuzz_tally, text, level, tokenizer, lowercase):
    """Any text in, a vocabulary file out that loads with exactly its tokens and counts
    (most frequent first, ties in code point order); text without tokens is an error."""
    fuzz_tally.count("vocab command")
    result = invoke("vocab", "--level", level, "--tokenizer", tokenizer,
                    *(["--lowercase"] if lowercase else []), input=text.encode("utf-8"))
    counts, line_ends = expected_counts(text.lower() if lowercase else text, level, tokenizer)
    if not counts:
        assert_refused(result, 1, "<stdin>", "empty")
        return
    assert result.exit_code == 0, result.stderr
    vocab = Vocab.loads(result.stdout_bytes.decode("utf-8"))
    assert (vocab.level, vocab.lowercase) == (level, lowercase)
    kept = {t: n for t, n in counts.items() if t not in RESERVED[level]}
    assert vocab.tokens[vocab.num_reserved:] == sorted(kept, key=lambda t: (-kept[t], t))
    assert vocab.counts[vocab.num_reserved:] == [kept[t] for t in vocab.tokens[vocab.num_reserved:]]
    if level == "word":
        assert vocab.counts[EOS] == line_ends


@fuzz(60)
@given(data=st.binary(max_size=40), level=st.sampled_from(["char", "word"]))
def test_vocab_command_names_the_first_undecodable_byte(fuzz_tally, data, level):
    """Any bytes in: a vocabulary, or a one-line error naming the first byte that is not
    UTF-8 (or saying that there is nothing to count)."""
    fuzz_tally.count("vocab bytes")
    result = invoke("vocab", "--level", level, input=data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        assert_refused(result, 1, f"<stdin>: byte {exc.start}: cannot decode")
        return
    if expected_counts(text, level, "regexp")[0]:
        assert result.exit_code == 0, result.stderr
    else:
        assert_refused(result, 1, "empty")


# --- bracketed trees ---------------------------------------------------------------------------

#: Characters of tree tokens: anything but ASCII whitespace, brackets and backslashes, which
#: come in as the pieces below (a bracket only escaped, as NLTK reads it).
token_char = st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                           exclude_characters=" \t\n\r\f\v()\\")
tree_token = st.lists(st.one_of(st.text(token_char, min_size=1, max_size=3),
                                st.sampled_from(["\\(", "\\)", "\\", "\\/", "-LRB-", "\xa0"])),
                      min_size=1, max_size=4).map("".join)


def _nodes(children):
    return st.builds(Tree, tree_token, st.lists(children, min_size=1, max_size=4))


generated_trees = _nodes(st.recursive(tree_token, _nodes, max_leaves=20))


@fuzz(400)
@example(text="(X a b\\ )")  # written as (X a b\), which read back unbalanced
@given(text=mixed(pieces=SPECIAL + ["\\(", "\\)", "((", "))", "( ", " )"], max_size=40))
def test_read_tree_reads_or_refuses_any_string(fuzz_tally, text):
    """``read_tree`` returns a tree that writes and reads back as itself, or raises a
    one-line BracketError; nothing else."""
    fuzz_tally.count("read_tree")
    try:
        tree = trees.read_tree(text)
    except trees.BracketError as exc:
        assert one_line(str(exc)), str(exc)
        return
    written = trees.to_brackets(tree)
    again = trees.read_tree(written)
    assert trees.tree_equal(again, tree)
    assert trees.to_brackets(again) == written


@fuzz(120)
@example(tree=Tree("X", ["a", "b\\"]))
@given(tree=generated_trees)
def test_generated_trees_round_trip(fuzz_tally, tree):
    """Any tree of readable tokens (escaped brackets, backslashes, non-ASCII spaces) is
    written on one line and read back as itself."""
    fuzz_tally.count("tree round trip")
    written = trees.to_brackets(tree)
    assert "\n" not in written
    assert trees.tree_equal(trees.read_tree(written), tree)
    assert trees.to_brackets(trees.read_tree(written)) == written


SST_LINES = (ROOT / "corpora" / "sentiment" / "dev.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def treebank_grammar():
    """A PCFG induced from a few SST trees, so sentences go through the Viterbi parser."""
    return grammar.induce_grammar([trees.read_tree(line) for line in SST_LINES[:30]])


@fuzz(300)
@example(kind="trees", factor="right", collapse=True, grammar=False, line="(X b a\\ )")
@given(kind=st.sampled_from(parsing.INPUT_KINDS), factor=st.sampled_from(trees.FACTORS),
       collapse=st.booleans(), grammar=st.booleans(),
       line=lines_of(mixed(pieces=SPECIAL + ["__label__pos ", "3\t", "these", "are", "."]
                           + SST_LINES[:3])))
def test_lines_become_binary_trees_or_line_errors(fuzz_tally, treebank_grammar, kind, factor,
                                                  collapse, grammar, line):
    """What `parse` and a tree model's `predict` do with a line: a binary tree that writes
    and reads back as itself, or a one-line LineError (an empty output line and a warning)."""
    fuzz_tally.count("parse lines")
    maker = parsing.TreeMaker(input_kind=kind, factor=factor, collapse=collapse,
                              grammars=[treebank_grammar] if grammar else [],
                              on_fallback=lambda reason: None)
    try:
        tree = maker.make(line)
    except trees.LineError as exc:
        assert one_line(str(exc)), str(exc)
        return
    assert trees.is_binary(tree)
    assert trees.tree_equal(trees.read_tree(trees.to_brackets(tree)), tree)


ENCODINGS = ["utf-8", "latin-1", "utf-16", "utf-16-le", "utf-7", "unicode_escape", "cp037",
             "undefined", "rot13", "base64", "no-such-codec"]
NOT_TEXT_ENCODINGS = {"rot13", "base64", "no-such-codec"}
input_bytes = st.one_of(mixed(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),
                        st.binary(max_size=60))


@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")  # the codec's
@fuzz(150)
@example(data=b"(X a b)\n", kind="auto", encoding="utf-16", errors="strict", strict=False)
@example(data=b"+2AA-\n", kind="auto", encoding="utf-7", errors="strict", strict=False)
@example(data=b"(X \\ud800 b)\n", kind="auto", encoding="unicode_escape", errors="replace",
         strict=False)
@example(data=b"(X a b)\n", kind="auto", encoding="rot13", errors="strict", strict=False)
@given(data=input_bytes, kind=st.sampled_from(parsing.INPUT_KINDS),
       encoding=st.sampled_from(ENCODINGS), errors=st.sampled_from(["strict", "replace"]),
       strict=st.booleans())
def test_parse_command_on_any_bytes(fuzz_tally, data, kind, encoding, errors, strict):
    """`parse` on any bytes in any encoding: a tree or an empty line per input line, or a
    one-line error (bytes that do not decode; a bad line with --strict), or a usage error
    for a codec that does not decode bytes to text; never a traceback."""
    fuzz_tally.count("parse command")
    result = invoke("parse", "--input", kind, "--encoding", encoding, "--errors", errors,
                    *(["--strict"] if strict else []), input=data)
    if encoding in NOT_TEXT_ENCODINGS:
        assert_refused(result, 2, "--encoding")
        return
    if result.exit_code != 0:
        assert_refused(result, 1)
    if encoding != "utf-8":
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if errors == "strict":
            assert_refused(result, 1, "cannot decode")
        return
    if not strict:
        assert result.exit_code == 0, result.stderr
        lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
        assert result.stdout_bytes.count(b"\n") == lines


# --- labelled lines for sentence classifiers ---------------------------------------------------

TOKENIZE = {name: textio.make_tokenizer(name) for name in textio.TOKENIZERS}


@fuzz(400)
@example(line="__label__pos\tgreat film", fmt="auto", tokenizer="regexp")  # label 'pos\tgreat'
@given(line=lines_of(mixed(pieces=SPECIAL + ["__label__pos ", "neg\t", "(3 (2 a) (3 b))"])),
       fmt=st.sampled_from(labelled.FORMATS), tokenizer=st.sampled_from(textio.TOKENIZERS))
def test_labelled_lines_split_or_raise_value_error(fuzz_tally, line, fmt, tokenizer):
    """What `predict`, `eval` and `train sentiment` do with a line, in every format: a label
    (none, or one that fits in a tab-separated column) and at least one word, or a one-line
    ValueError."""
    fuzz_tally.count("labelled lines")
    try:
        got = labelled.split_line(line, fmt, TOKENIZE[tokenizer])
    except ValueError as exc:
        assert one_line(str(exc)), str(exc)
        return
    assert got.tokens and all(token and "\n" not in token for token in got.tokens)
    assert got.label is None or (got.label and not set(got.label) & set("\t\n"))
    if got.format in ("tsv", "fasttext"):
        assert got.label is not None
    if got.format == "text":
        assert got.label is None


# --- sample primes -----------------------------------------------------------------------------

#: Characters the generated corpus (and so the trained model) mostly knows, to make primes
#: that are accepted as well as refused.
CORPUS_CHARS = "ETAOINSHRDLUetaoinshrdlu ,.:;!?'\n"
prime_text = mixed(pieces=list(CORPUS_CHARS) + ["the ", "SCENE", "\x00", "\udcff", "\u2211"],
                   max_size=20)


@pytest.fixture(scope="module")
def charlm(trained_model):
    data = checkpoint.load(str(trained_model), kind="charlm")
    return (checkpoint.restore_model(data, str(trained_model)),
            checkpoint.restore_vocab(data, str(trained_model)))


def known_chars(vocab) -> set[str]:
    return set(vocab.tokens[vocab.num_reserved:])


@fuzz(300)
@given(prime=prime_text)
def test_generate_takes_known_primes_and_names_unknown_characters(fuzz_tally, charlm, prime):
    """The library behind `sample`: a prime of known characters gives the asked number of
    known characters; any other prime is a one-line error naming the first unknown one."""
    import torch

    fuzz_tally.count("sample primes")
    model, vocab = charlm
    known = known_chars(vocab)
    unknown = [c for c in prime if c not in known]
    try:
        drawn = list(generate(model, vocab, prime, 3, generator=torch.Generator().manual_seed(0)))
    except RnnToolError as exc:
        assert one_line(str(exc)), str(exc)
        assert unknown or not prime, str(exc)
        if unknown:
            assert f"U+{ord(unknown[0]):04X}" in str(exc)
        return
    assert prime and not unknown
    assert len(drawn) == 3 and set(drawn) <= known


temperatures = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True),
                         st.sampled_from([float("inf"), 1e-320, 1e-45, 1e308, 0.0]))


@fuzz(100)
@example(prime="the", temperature=float("inf"), top_k=None, random_seed=None, greedy=False)
@example(prime="the", temperature=1e-320, top_k=3, random_seed=None, greedy=False)
@example(prime="the", temperature=None, top_k=None, random_seed=2**64, greedy=False)
@given(prime=st.one_of(st.none(), prime_text), temperature=temperatures,
       top_k=st.one_of(st.none(), st.integers(-1, 300)),
       random_seed=st.one_of(st.none(), st.integers(-2**65, 2**65)), greedy=st.booleans())
def test_sample_command_options(fuzz_tally, trained_model, charlm, prime, temperature, top_k,
                                random_seed, greedy):
    """`sample` in-process with any prime, temperature, top-k and seed: the prime and five
    characters, or a one-line error for a prime with unknown characters, or a usage error."""
    fuzz_tally.count("sample command")
    args = ["sample", trained_model, "-n", "5"]
    for option, value in (("--seed", prime), ("--temperature", temperature),
                          ("--top-k", top_k), ("--random-seed", random_seed)):
        if value is not None:
            args.append(f"{option}={value!r}" if isinstance(value, float) else f"{option}={value}")
    result = invoke(*args, *(["--greedy"] if greedy else []))
    if (prime == "" or (top_k is not None and top_k < 1)
            or (random_seed is not None and not 0 <= random_seed < 2**64)
            or (temperature is not None and temperature <= 0)):
        assert_refused(result, 2)
        return
    unknown = [c for c in prime or "" if c not in known_chars(charlm[1])]
    if unknown:
        assert_refused(result, 1, "lacks", f"U+{ord(unknown[0]):04X}")
    elif temperature is not None and temperature != temperature:  # nan
        assert_refused(result, 1, "--temperature")
    else:
        assert result.exit_code == 0, result.stderr
        out = result.stdout_bytes.decode("utf-8")
        assert out.startswith(prime or "") and out.endswith("\n")
        assert len(out) - len(prime or "") in (5, 6)  # five characters, and a line end


@fuzz(4)
@given(prime=st.binary(min_size=1, max_size=12).filter(lambda b: b"\0" not in b)
       | prime_text.filter(lambda t: t and "\0" not in t).map(
           lambda t: t.encode("utf-8", "surrogatepass")))
def test_sample_prime_from_the_real_command_line(fuzz_tally, trained_model, charlm, prime):
    """A process of its own with any bytes as the prime: the prime and its continuation, or
    one line naming a character the model never saw. (Forked by test_reliability's server,
    which passes the bytes decoded as Python decodes its command line, ``os.fsdecode``;
    a process that decodes them itself: the next test.)"""
    fuzz_tally.count("sample subprocess")
    result = run_forked("sample", trained_model, "--seed=" + os.fsdecode(prime), "-n", "5",
                        "--random-seed", "1")
    text = prime.decode("utf-8", "surrogateescape")
    if set(text) <= known_chars(charlm[1]):
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(prime)
    else:
        assert_one_line_error(result, "lacks")


def test_undecodable_prime_bytes_from_a_fresh_process(trained_model):
    """What Python makes of such bytes on a command line it reads itself: a character the
    model never saw (U+DC80 for the byte 0x80), named in one line."""
    result = subprocess.run(
        [sys.executable, "-m", "rnntool", "sample", str(trained_model), b"--seed=\x80the",
         "-n", "5", "--random-seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120,
        env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert_one_line_error(result, "lacks", "U+DC80")
