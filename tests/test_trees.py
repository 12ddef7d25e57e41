"""Trees as a library: reading, writing and binarizing as NLTK does, without recursion limits;
shapes, tokens, grammars, the treebank PCFG and its Viterbi CKY against NLTK's parser."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings, strategies as st
from nltk.grammar import PCFG
from nltk.parse import ViterbiParser
from nltk.tree import Tree

from rnntool import grammar, parsing, trees
from rnntool.errors import InputError
from rnntool.grammar import ViterbiCky
from rnntool.trees import BracketError, LineError, binarize, read_tree, to_brackets, tree_equal

# A hand-written treebank in the Stanford Sentiment Treebank format (binary, labels 0-4,
# a token with a non-breaking space as SST has them).
SST = """\
(3 (2 It) (4 (4 (2 's) (4 (3 (2 a) (4 (3 lovely) (2 film))) (3 (2 with) (3 (3 lovely) (2 performances))))) (2 .)))
(1 (2 The) (1 (1 (2 plot) (1 (1 is) (1 (0 dull) (2 (2 and) (1 slow))))) (2 .)))
(4 (2 (2 A) (3 (3 lovely) (2 story))) (4 (4 (3 is) (4 (2 a) (4 great))) (2 .)))
(2 (2 The) (2 (2 film) (2 (2 (2 is) (2 (2 about) (2 (2 1\u00a0000) (2 people)))) (2 .))))
(0 (2 It) (0 (0 (2 is) (0 (2 a) (0 (0 dull) (2 mess)))) (2 .)))
"""

PTB = [
    "( (S (NP-SBJ (DT The) (JJ old) (NN man)) (VP (VBD sat) (PP (IN on) (NP (DT the) (NN mat)))) (. .)) )",
    "(S (NP (PRP He)) (VP (VBD said) (SBAR (S (NP (PRP it)) (VP (VBD was) (ADJP (JJ fine)))))) (. .))",
    "(NP (NP (NNS cats)) (, ,) (NP (NNS dogs)) (CC and) (NP (-LRB- -LRB-) (NNS birds) (-RRB- -RRB-)))",
    "(S (NP (NNP Pierre) (NNP Vinken)) (VP (VBZ likes) (NP (NN a\\/b) (NN test))))",
]

labels = st.text(alphabet="ABCNPVS-|+0123456789", min_size=1, max_size=4)
words = st.text(alphabet="abcxyz.,'`\u00a0", min_size=1, max_size=4)


def _tree(leaf_or_children):
    return st.builds(Tree, labels, st.lists(leaf_or_children, min_size=1, max_size=5))


nltk_trees = st.recursive(st.builds(Tree, labels, st.lists(words, min_size=1, max_size=2)),
                          _tree, max_leaves=25)


def nltk_flat(tree: Tree) -> str:
    return tree.pformat(margin=10 ** 9, nodesep="", parens="()", quotes=False)  # one line


def test_read_tree_agrees_with_nltk_fromstring():
    for line in SST.splitlines()[:3] + PTB:
        ours = read_tree(line)
        theirs = Tree.fromstring(line, remove_empty_top_bracketing=True)
        assert ours == theirs
        assert to_brackets(ours) == nltk_flat(theirs)
    assert read_tree("((NP a) (VP b))") == Tree("", [Tree("NP", ["a"]), Tree("VP", ["b"])])
    assert to_brackets(read_tree("  (A   b\t(C d) )\r")) == "(A b (C d))"
    assert read_tree(r"(A \( b\))").leaves() == [r"\(", r"b\)"]


@settings(max_examples=150, deadline=None)
@given(nltk_trees, st.sampled_from(["right", "left"]))
def test_write_read_and_binarize_match_nltk(tree, factor):
    text = to_brackets(tree)
    assert text == nltk_flat(tree)
    assert read_tree(text) == tree
    expected = tree.copy(deep=True)
    expected.chomsky_normal_form(factor=factor)
    assert binarize(tree.copy(deep=True), factor) == expected
    assert trees.is_binary(expected)


def test_already_binary_trees_round_trip_unchanged():
    for line in SST.splitlines():
        assert to_brackets(trees.normalize(read_tree(line), "left")) == line
        assert to_brackets(trees.normalize(read_tree(line), "right", collapse=False)) == line


def test_nary_trees_binarize_and_collapse_as_nltk_would():
    for line in PTB:
        for factor in ("right", "left"):
            expected = Tree.fromstring(line, remove_empty_top_bracketing=True)
            expected.collapse_unary(collapsePOS=False, collapseRoot=False)
            expected.chomsky_normal_form(factor=factor)
            assert trees.normalize(read_tree(line), factor) == expected
    sbar = trees.normalize(read_tree(PTB[1]))
    assert "SBAR+S" in to_brackets(sbar)
    assert "SBAR+S" not in to_brackets(trees.normalize(read_tree(PTB[1]), collapse=False))


def test_non_breaking_space_stays_inside_tokens():
    tree = read_tree("(2 (2 1\u00a0000) (2 people\u00a0))")
    assert trees.leaves(tree) == ["1\u00a0000", "people\u00a0"]
    assert parsing.tokenize("about 1\u00a0000 people\u2009here.") == [
        "about", "1\u00a0000", "people\u2009here", "."]


def test_tokenize_escapes_brackets():
    assert parsing.tokenize('He said (quietly) "no" [sic].') == [
        "He", "said", "-LRB-", "quietly", "-RRB-", "``", "no", "''", "-LSB-", "sic", "-RSB-", "."]


@pytest.mark.parametrize("text, fragment", [
    ("(A b", "column 1: unbalanced brackets: this '(' is never closed"),
    ("(A (B c) (D e", "column 10: unbalanced brackets: this '(' is never closed (2 in all)"),
    ("(A b))", "column 6: ')' closes no bracket"),
    (")", "column 1: ')' closes no bracket"),
    ("()", "column 1: empty brackets '()'"),
    ("(A (B) c)", "column 4: empty brackets '(B)'"),
    ("x (A b)", "column 1: stray text 'x' before the first '('"),
    ("(A b) c", "column 7: stray text 'c' after the tree"),
    ("(A b) (B c)", "column 7: a second tree after the first one"),
    ("", "no bracketed tree"),
])
def test_malformed_brackets(text, fragment):
    with pytest.raises(BracketError) as info:
        read_tree(text)
    assert str(info.value) == fragment or str(info.value).startswith(fragment)


def test_deep_trees_need_no_recursion():
    n = 10_000
    line = "(X w (X w " * (n // 2 - 1) + "(X w (X w w)" + "))" * (n // 2 - 1) + ")"
    tree = read_tree(line)
    assert trees.depth(tree) == n
    out = to_brackets(trees.normalize(tree, "left"))
    assert out == line
    assert len(trees.leaves(tree)) == n + 1
    assert tree_equal(tree, read_tree(out))
    assert [len(level) for level in trees.levels(tree)] == [1] * n
    assert len(grammar.productions(tree)) == n
    with pytest.raises(LineError, match="too deep to draw"):
        trees.pretty(tree)
    wide = read_tree("(S " + " ".join(["w"] * n) + ")")  # binarizes into n - 1 levels
    assert trees.depth(binarize(wide, "right")) == n - 1
    assert to_brackets(wide).count("(") == n - 1
    assert trees.depth(parsing.shape_tree(["w"] * n, "left")) == n - 1


def test_traversal_orders_and_levels():
    tree = read_tree("(S (NP (D the) (N cat)) (VP sat))")
    assert [t.label() for t in trees.preorder(tree)] == ["S", "NP", "D", "N", "VP"]
    assert [t.label() for t in trees.postorder(tree)] == ["D", "N", "NP", "VP", "S"]
    assert [[t.label() for t in level] for level in trees.levels(tree)] == [
        ["D", "N", "VP"], ["NP"], ["S"]]
    assert not tree_equal(tree, read_tree("(S (NP (D the) (N cat)) (VP sits))"))
    assert not tree_equal(tree, read_tree("(S (NP (D the) (N cat)) VP)"))


def test_shapes():
    tokens = "a b c d e".split()
    assert to_brackets(parsing.shape_tree(tokens, "right")) == "(X a (X b (X c (X d e))))"
    assert to_brackets(parsing.shape_tree(tokens, "left")) == "(X (X (X (X a b) c) d) e)"
    assert to_brackets(parsing.shape_tree(tokens, "balanced")) == "(X (X (X a b) c) (X d e))"
    assert to_brackets(parsing.shape_tree(["a"], "balanced")) == "(X a)"
    assert to_brackets(parsing.shape_tree(["a", "b"], "left")) == "(X a b)"


def test_pretty_is_nltks_drawing():
    tree = read_tree("(S (NP the cat) (VP sat))")
    drawing = trees.pretty(tree)
    assert drawing.endswith("\n") and not drawing.endswith("\n\n")
    lines = drawing.splitlines()
    assert lines[0].strip() == "S" and lines[-1].split() == ["the", "cat", "sat"]


# --- grammars -------------------------------------------------------------------------------

TOY_PCFG = """
S -> NP VP [1.0]
NP -> Det N [0.5] | NP PP [0.2] | 'John' [0.2] | N [0.1]
VP -> V NP [0.6] | VP PP [0.3] | V [0.1]
PP -> P NP [1.0]
Det -> 'the' [0.6] | 'a' [0.4]
N -> 'man' [0.3] | 'telescope' [0.3] | 'dog' [0.3] | 'saw' [0.1]
V -> 'saw' [0.7] | 'walked' [0.3]
P -> 'with' [0.6] | 'in' [0.4]
"""

TOY_CFG = """
S -> NP VP
NP -> Det N | 'John'
VP -> V NP | V
Det -> 'the' | 'a'
N -> 'cat' | 'dog'
V -> 'saw' | 'slept'
"""


@pytest.mark.parametrize("sentence", [
    "John saw the man with the telescope", "the dog saw John", "John walked",
    "the dog saw saw", "a man in the telescope walked with John in a dog"])
def test_cky_agrees_with_nltk_viterbi(sentence):
    grammar = PCFG.fromstring(TOY_PCFG)
    tokens = sentence.split()
    tree, logp = ViterbiCky(grammar).parse(tokens)
    expected = next(iter(ViterbiParser(grammar).parse(tokens)))
    assert math.isclose(logp, math.log(expected.prob()), rel_tol=1e-12)
    assert tree_equal(tree, expected)


def test_cky_refuses_what_the_grammar_cannot_parse():
    cky = ViterbiCky(PCFG.fromstring(TOY_PCFG))
    assert cky.parse("the man".split()) is None       # covered words, no S
    assert cky.parse("the cat saw John".split()) is None  # 'cat' unknown
    assert cky.covers("the cat".split()) == "cat"


def test_grammar_files(tmp_path):
    cfg = tmp_path / "toy.cfg"
    cfg.write_text(TOY_CFG, encoding="utf-8")
    parser = grammar.load_grammar(str(cfg))
    assert parser.engine is not None
    assert to_brackets(parser.parse("the cat saw John".split())) == \
        "(S (NP (Det the) (N cat)) (VP (V saw) (NP John)))"
    assert parser.parse("the bird sang".split()) is None
    assert "no rule for the word 'bird'" in parser.reason and "toy.cfg" in parser.reason
    pcfg = tmp_path / "toy.pcfg"
    pcfg.write_text(TOY_PCFG, encoding="utf-8")
    assert to_brackets(grammar.load_grammar(str(pcfg)).parse("John walked".split())) == \
        "(S (NP John) (VP (V walked)))"
    nary = tmp_path / "nary.cfg"  # not in CKY form: NLTK's ViterbiParser does it
    nary.write_text("S -> NP 'sat' PP\nNP -> 'the' 'cat'\nPP -> 'on' NP\n", encoding="utf-8")
    parser = grammar.load_grammar(str(nary))
    assert parser.engine is None
    assert to_brackets(parser.parse("the cat sat on the cat".split())) == \
        "(S (NP the cat) sat (PP on (NP the cat)))"


@pytest.mark.parametrize("content, fragment", [
    ("S -> NP VP\nNP -> -> x\n", "line 2: not a grammar rule"),
    ("# nothing\n", "no grammar rules found"),
    ("S -> A [0.5]\nA -> 'a' [1.0]\n", "not a valid grammar"),
])
def test_bad_grammar_files(tmp_path, content, fragment):
    path = tmp_path / "bad.cfg"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=fragment) as info:
        grammar.load_grammar(str(path))
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def sst_grammar(tmp_path, factor="right"):
    path = tmp_path / "sst.txt"
    path.write_text(SST + "\n", encoding="utf-8")
    return grammar.load_treebank_grammar(str(path), factor=factor)


def test_treebank_grammar_parses_known_and_unknown_words(tmp_path):
    parser = sst_grammar(tmp_path)
    assert parser.engine is not None
    tree = parser.parse("It 's a lovely film .".split())
    assert tree.label() in "01234" and trees.leaves(tree) == "It 's a lovely film .".split()
    assert trees.is_binary(tree) and all(len(t) == 2 or not isinstance(t[0], Tree)
                                         for t in trees.preorder(tree))
    unseen = parser.parse("A zorbulous story is a great 1\u00a0000 .".split())
    assert unseen is not None and "zorbulous" in trees.leaves(unseen)


def test_treebank_cky_agrees_with_nltk_viterbi(tmp_path):
    parser = sst_grammar(tmp_path)
    viterbi = ViterbiParser(parser.grammar)
    for sentence in ["It is dull .", "The film is a lovely story .", "a great film"]:
        tokens = sentence.split()
        _, logp = parser.engine.parse(tokens)
        expected = next(iter(viterbi.parse(tokens)))
        assert math.isclose(logp, math.log(expected.prob()), rel_tol=1e-9)


def test_treebank_grammar_is_fast_for_40_tokens(tmp_path):
    parser = sst_grammar(tmp_path)
    words = "It 's a lovely film with lovely performances and the plot is dull".split()
    tokens = (words * 4)[:40]
    started = time.perf_counter()
    tree = parser.parse(tokens)
    assert tree is not None and len(trees.leaves(tree)) == 40
    assert time.perf_counter() - started < 5


def test_treebank_with_mixed_roots_and_nary_trees(tmp_path):
    path = tmp_path / "ptb.txt"
    path.write_text("\n".join(PTB) + "\n\n", encoding="utf-8")
    parser = grammar.load_treebank_grammar(str(path))
    tree = parser.parse("The old man sat on the mat .".split())
    assert tree.label() == "S" and trees.is_binary(tree)
    assert to_brackets(tree).startswith("(S (NP-SBJ (DT The) (NP-SBJ|<JJ-NN> (JJ old)")


def test_bad_treebank_names_file_and_line(tmp_path):
    path = tmp_path / "tb.txt"
    path.write_text("(A (B c))\n\n(A (B c)\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"tb\.txt: line 3: column 1: unbalanced"):
        grammar.load_treebank_grammar(str(path))
    empty = tmp_path / "empty.txt"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(InputError, match="no trees"):
        grammar.load_treebank_grammar(str(empty))


def test_parse_files_keeps_lines_aligned(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("(A b c)\n\n(A (b\nhello world\n", encoding="utf-8")
    warnings: list[str] = []
    out = list(parsing.parse_files([str(src)], parsing.TreeMaker(), warn=warnings.append))
    assert out == ["(A b c)\n", "\n", "\n", "(X hello world)\n"]
    assert warnings == [f"{src}: line 2: blank line",
                        f"{src}: line 3: column 4: unbalanced brackets: this '(' is never "
                        f"closed (2 in all)"]
    with pytest.raises(InputError, match="line 2: blank line"):
        list(parsing.parse_files([str(src)], parsing.TreeMaker(), strict=True))


def test_warnings_are_capped(tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("(\n" * 30, encoding="utf-8")
    warnings: list[str] = []
    out = list(parsing.parse_files([str(src)], parsing.TreeMaker(), warn=warnings.append,
                                   max_warnings=5))
    assert out == ["\n"] * 30 and len(warnings) == 6
    assert warnings[-1].startswith("25 more warnings not shown (30 lines gave no tree")
