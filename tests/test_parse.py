"""``rnntool parse`` through the real command line: round trips, binarization, line alignment,
one-line errors, grammars and treebanks, deep trees, and a reader that goes away early."""

from __future__ import annotations

import subprocess
import sys

import pytest
from nltk.tree import Tree

from conftest import ROOT, assert_one_line_error, run_here
from test_trees import PTB, SST, TOY_CFG


def ok(result) -> str:
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout.decode("utf-8")


def warnings_of(result) -> list[str]:
    return result.stderr.decode("utf-8").splitlines()


@pytest.fixture
def sst_file(tmp_path):
    path = tmp_path / "sst.txt"
    path.write_text(SST, encoding="utf-8")
    return path


def test_binary_sst_trees_round_trip_unchanged(sst_file):
    result = run_here("parse", sst_file)
    assert ok(result) == SST
    assert result.stderr == b""
    assert "1\u00a0000" in ok(result)  # the non-breaking space stayed inside its token


def test_nary_trees_binarize_as_nltk_would(tmp_path):
    src = tmp_path / "ptb.txt"
    src.write_text("\n".join(PTB) + "\n", encoding="utf-8")
    for factor in ("right", "left"):
        for collapse in ("--collapse-unary", "--keep-unary"):
            out = ok(run_here("parse", src, "--factor", factor, collapse)).splitlines()
            assert len(out) == len(PTB)
            for line, got in zip(PTB, out):
                expected = Tree.fromstring(line, remove_empty_top_bracketing=True)
                if collapse == "--collapse-unary":
                    expected.collapse_unary(collapsePOS=False, collapseRoot=False)
                expected.chomsky_normal_form(factor=factor)
                assert got == expected.pformat(margin=10 ** 9, nodesep="", parens="()",
                                               quotes=False)
    assert "-LRB- -LRB-" in out[2] and "a\\/b" in out[3]  # PTB escapes kept as they are


def test_blank_and_bad_lines_keep_the_output_aligned(tmp_path):
    src = tmp_path / "mixed.txt"
    src.write_text("(A b c)\n\n(A (b)\n  \nThe cat sat.\n(B x) y\n(C z)", encoding="utf-8")
    result = run_here("parse", src)
    assert ok(result) == "(A b c)\n\n\n\n(X The (X cat (X sat .)))\n\n(C z)\n"
    assert warnings_of(result) == [
        f"rnntool: warning: {src}: line 2: blank line",
        f"rnntool: warning: {src}: line 3: column 4: empty brackets '(b)'",
        f"rnntool: warning: {src}: line 4: blank line",
        f"rnntool: warning: {src}: line 6: column 7: stray text 'y' after the tree",
    ]
    strict = run_here("parse", "--strict", src)
    assert_one_line_error(strict, f"{src}: line 2: blank line")
    assert strict.stdout == b"(A b c)\n"


@pytest.mark.parametrize("line, fragment", [
    ("(S (NP a) (VP b)", "line 2: column 1: unbalanced brackets"),
    ("(S (NP a)) (VP b))", "line 2: column 12: a second tree"),
    ("(S (NP a) (VP b)))", "line 2: column 18: ')' closes no bracket"),
    ("(S () (VP b))", "line 2: column 4: empty brackets '()'"),
    ("(S (NP a)) stray", "line 2: column 12: stray text 'stray' after the tree"),
])
def test_malformed_brackets_are_one_line_errors(tmp_path, line, fragment):
    src = tmp_path / "bad.txt"
    src.write_text("(S (NP a) (VP b))\n" + line + "\n", encoding="utf-8")
    assert_one_line_error(run_here("parse", "--strict", src), f"{src}: {fragment}")
    loose = run_here("parse", "--input", "trees", src)
    assert ok(loose) == "(S (NP a) (VP b))\n\n"
    (warning,) = warnings_of(loose)
    assert warning.startswith(f"rnntool: warning: {src}: {fragment}")


def test_input_kinds():
    lines = "(S (NP a) (VP b))\nJohn (finally) left.\n"
    out = ok(run_here("parse", input=lines)).splitlines()
    assert out == ["(S (NP a) (VP b))", "(X John (X -LRB- (X finally (X -RRB- (X left .)))))"]
    as_text = ok(run_here("parse", "--input", "text", "--shape", "left", input=lines))
    first = Tree.fromstring(as_text.splitlines()[0])
    assert first.leaves() == "-LRB- S -LRB- NP a -RRB- -LRB- VP b -RRB- -RRB-".split()
    assert first.height() == 11  # left-branching over 11 tokens, leaves counted
    as_trees = run_here("parse", "--input", "trees", input=lines)
    assert ok(as_trees).splitlines() == ["(S (NP a) (VP b))", ""]
    assert "line 2: column 1: stray text 'John' before the first '('" in as_trees.stderr.decode()


def test_raw_text_keeps_non_breaking_spaces_and_shapes():
    out = ok(run_here("parse", "--shape", "balanced", input="about 1\u00a0000 happy people\n"))
    assert out == "(X (X about 1\u00a0000) (X happy people))\n"


def test_grammar_and_fallback_to_the_shape(tmp_path):
    grammar = tmp_path / "toy.cfg"
    grammar.write_text(TOY_CFG, encoding="utf-8")
    result = run_here("parse", "--grammar", grammar, "--shape", "left",
                      input="the cat saw John\nthe bird slept\nthe cat\n")
    assert ok(result).splitlines() == [
        "(S (NP (Det the) (N cat)) (VP (V saw) (NP John)))",
        "(X (X the bird) slept)",
        "(X the cat)",
    ]
    err = warnings_of(result)
    assert len(err) == 2
    assert err[0] == (f"rnntool: warning: <stdin>: line 2: grammar {grammar} has no rule for "
                      f"the word 'bird'; used the left shape")
    assert err[1] == f"rnntool: warning: <stdin>: line 3: grammar {grammar} gives no parse; " \
                     f"used the left shape"


def test_treebank_grammar(tmp_path, sst_file):
    result = run_here("parse", "--treebank", sst_file,
                      input="It 's a lovely film .\nThe unheard-of plot is dull .\n")
    out = ok(result).splitlines()
    assert result.stderr == b""
    for line, words in zip(out, ["It 's a lovely film .", "The unheard-of plot is dull ."]):
        tree = Tree.fromstring(line)
        assert tree.leaves() == words.split() and tree.label() in "01234"
        assert all(len(t) <= 2 for t in tree.subtrees())
    both = run_here("parse", "--grammar", tmp_path / "none.cfg", "--treebank", sst_file,
                    input="x\n")
    assert_one_line_error(both, "none.cfg", "no such file")


def test_grammar_cascade_tries_the_treebank_second(tmp_path, sst_file):
    grammar = tmp_path / "toy.cfg"
    grammar.write_text(TOY_CFG, encoding="utf-8")
    result = run_here("parse", "--grammar", grammar, "--treebank", sst_file,
                      input="the cat saw John\nIt is a dull film .\n")
    out = ok(result).splitlines()
    assert out[0].startswith("(S (NP (Det the)") and out[1][1] in "01234"
    assert result.stderr == b""


def test_bad_grammar_file_is_a_one_line_error(tmp_path):
    grammar = tmp_path / "bad.cfg"
    grammar.write_text("S -> NP VP\nNP ->> 'a'\n", encoding="utf-8")
    assert_one_line_error(run_here("parse", "--grammar", grammar, input="a\n"),
                          f"{grammar}: line 2: not a grammar rule")
    treebank = tmp_path / "tb.txt"
    treebank.write_text("(A b)\n(A (b c)\n", encoding="utf-8")
    assert_one_line_error(run_here("parse", "--treebank", treebank, input="a\n"),
                          f"{treebank}: line 2: column 1: unbalanced brackets")


def test_pretty_output():
    result = run_here("parse", "--output", "pretty", input="(S (NP the cat) (VP sat))\n\n(A b)\n")
    out = ok(result)
    # Each drawing is followed by an empty line; the blank input line's record is empty.
    first, second = out.split("\n\n\n")
    assert first.splitlines()[0].strip() == "S"
    assert first.splitlines()[-1].split() == ["the", "cat", "sat"]
    assert second.endswith("\n\n") and second.split() == ["A", "|", "b"]
    assert warnings_of(result) == ["rnntool: warning: <stdin>: line 2: blank line"]


def test_deep_trees_parse_and_print():
    depth = 10_000
    line = "(X w " * (depth - 1) + "(X w w)" + ")" * (depth - 1)
    out = ok(run_here("parse", input=line + "\n"))
    assert out == line + "\n"
    flat = "(S " + " ".join(["w"] * depth) + ")"
    assert ok(run_here("parse", "--factor", "left", input=flat + "\n")).count("(") == depth - 1
    sentence = " ".join(["w"] * depth)
    assert ok(run_here("parse", input=sentence + "\n")).count("(X w") == depth - 1
    too_deep = run_here("parse", "--output", "pretty", "--strict", input=line + "\n")
    assert_one_line_error(too_deep, "line 1: tree too deep to draw")


def test_closed_pipe_exits_quietly():
    many = ("(S (NP (DT the) (NN cat)) (VP (VBD sat)))\n" * 50_000).encode()
    process = subprocess.Popen([sys.executable, "-m", "rnntool", "parse"], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    process.stdin.write(many)
    process.stdin.close()
    first = process.stdout.readline()
    process.stdout.close()
    assert process.wait(timeout=120) == 0
    assert first == b"(S (NP (DT the) (NN cat)) (VP (VBD sat)))\n"
    assert process.stderr.read() == b""


def test_usage_and_input_errors(tmp_path):
    for args in (["--factor", "middle"], ["--output", "svg"], ["--shape", "zigzag"]):
        result = run_here("parse", *args, input="a\n")
        assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert_one_line_error(run_here("parse", tmp_path / "nope.txt"), "nope.txt", "no such file")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"(A caf\xe9)\n")
    assert_one_line_error(run_here("parse", bad), str(bad), "byte 6")
    assert ok(run_here("parse", "--encoding", "latin-1", bad)) == "(A caf\u00e9)\n"
