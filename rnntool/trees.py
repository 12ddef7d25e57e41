"""Bracketed trees: their structure, and reading and writing them (the lowest tree module).

Trees are plain ``nltk.Tree`` objects (labels and leaves are strings). Everything that walks
a tree here is iterative, with an explicit stack, so trees thousands of levels deep (a long
sentence parsed right-branching) are read, binarized, compared and written without touching
Python's recursion limit; NLTK's own recursive methods (``str``, ``leaves``, ``height``,
``productions``, ``==``) and its depth-capped ``fromstring``/``chomsky_normal_form`` are not
used on trees of unknown depth. ``postorder``, ``heights`` and ``levels`` are the building
blocks for flattening batches of trees into level schedules (children before parents).

Here: traversal, bracket notation in and out (one tree, or a treebank file of one tree a
line), NLTK's drawing, binarizing and collapsing unary chains.
Not here: grammars and their parsers (``rnntool.grammar``), turning input lines and raw
sentences into binary trees (``rnntool.parsing``), option parsing (``rnntool.cli.parse``),
reading files as bytes (``rnntool.text``), anything about models or torch. This module
imports no other tree module.
"""

from __future__ import annotations

import io
import re
from typing import Callable, Iterator

from nltk.tree import Tree

from rnntool import text as textio
from rnntool.errors import InputError

ASCII_WHITESPACE = textio.ASCII_WHITESPACE
FACTORS = ("right", "left")
#: NLTK's drawing recurses about once per level; deeper trees are refused for ``pretty``.
MAX_PRETTY_DEPTH = 200


class BracketError(ValueError):
    """A bracketed tree that does not read; ``column`` is 1-based (0: the end of the line)."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:
        where = f"column {self.column}: " if self.column else ""
        return where + self.args[0]


class LineError(ValueError):
    """A line that gives no tree (blank, malformed, too deep to draw): one short reason."""


# --- iterative traversal ------------------------------------------------------------------

def preorder(tree: Tree) -> Iterator[Tree]:
    """The subtrees (not leaves) of ``tree``, parents before children, left to right."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in reversed(node) if isinstance(child, Tree))


def postorder(tree: Tree) -> Iterator[Tree]:
    """The subtrees (not leaves) of ``tree``, children before parents, left to right."""
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node) if isinstance(child, Tree))


def leaves(tree: Tree) -> list[str]:
    """The leaves of ``tree`` left to right (``Tree.leaves`` without recursion)."""
    found: list[str] = []
    stack: list = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Tree):
            stack.extend(reversed(node))
        else:
            found.append(node)
    return found


def heights(tree: Tree) -> dict[int, int]:
    """``id(subtree)`` -> height: 1 for a node whose children are all leaves, else one more
    than its highest child. A node can be computed once every node below its height is."""
    height: dict[int, int] = {}
    for node in postorder(tree):
        height[id(node)] = 1 + max((height[id(c)] for c in node if isinstance(c, Tree)),
                                   default=0)
    return height


def depth(tree: Tree) -> int:
    """Levels of nested brackets (``Tree.height() - 1`` when every leaf is under a node)."""
    return heights(tree)[id(tree)]


def levels(tree: Tree) -> list[list[Tree]]:
    """The subtrees grouped by height, lowest first (a level schedule for one tree)."""
    height = heights(tree)
    grouped: list[list[Tree]] = [[] for _ in range(height[id(tree)])]
    for node in postorder(tree):
        grouped[height[id(node)] - 1].append(node)
    return grouped


def tree_equal(a, b) -> bool:
    """Same labels, same shape, same leaves (``==`` without recursion)."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, Tree) != isinstance(y, Tree):
            return False
        if not isinstance(x, Tree):
            if x != y:
                return False
            continue
        if x.label() != y.label() or len(x) != len(y):
            return False
        stack.extend(zip(x, y))
    return True


def is_binary(tree: Tree) -> bool:
    """Every node has at most two children."""
    return all(len(node) <= 2 for node in preorder(tree))


# --- reading and writing brackets -----------------------------------------------------------

# A token is a bracket or a run of characters that are neither ASCII whitespace nor a bracket;
# a backslash-escaped bracket belongs to the token, as in NLTK's Tree.fromstring.
_TOKEN = re.compile(r"\(|\)|(?:\\[()]|[^ \t\n\r\f\v()])+")


def read_tree(text: str) -> Tree:
    """Read one bracketed tree, as ``Tree.fromstring`` would, but without a depth limit.

    The word right after an opening bracket is the node's label; a bracket followed by
    another bracket has no label (''), and an outer unlabelled bracket around a single tree
    (PTB's ``( (S ...) )``) is dropped. Leaves split on ASCII whitespace only, so a
    non-breaking space stays inside its token. PTB escapes (``-LRB-``, ``\\/``) are kept as
    they are. Raises ``BracketError`` for unbalanced or empty brackets and stray text.
    """
    stack: list[tuple[str, list, int]] = []  # (label, children, column of the bracket)
    root: Tree | None = None
    expect_label = False
    for match in _TOKEN.finditer(text):
        token, column = match.group(), match.start() + 1
        if token == "(":
            if root is not None:
                raise BracketError("a second tree after the first one", column)
            stack.append(("", [], column))
            expect_label = True
        elif token == ")":
            expect_label = False
            if not stack:
                raise BracketError("')' closes no bracket", column)
            label, children, start = stack.pop()
            if not children:
                what = quote_token(f"({label})", limit=40)
                raise BracketError(f"empty brackets {what}", start)
            node = Tree(label, children)
            if stack:
                stack[-1][1].append(node)
            else:
                root = node
        elif expect_label:
            stack[-1] = (token, stack[-1][1], stack[-1][2])
            expect_label = False
        elif not stack:
            where = "after the tree" if root is not None else "before the first '('"
            raise BracketError(f"stray text {quote_token(token)} {where}", column)
        else:
            stack[-1][1].append(token)
    if stack:
        more = f" ({len(stack)} in all)" if len(stack) > 1 else ""
        raise BracketError(f"unbalanced brackets: this '(' is never closed{more}", stack[-1][2])
    if root is None:
        raise BracketError("no bracketed tree")
    if root.label() == "" and len(root) == 1 and isinstance(root[0], Tree):
        root = root[0]
    return root


def quote_token(token: str, limit: int = 20) -> str:
    """``repr`` of ``token``, cut to ``limit`` characters, for error messages."""
    return repr(token if len(token) <= limit else token[:limit] + "...")


def to_brackets(tree: Tree) -> str:
    """One line of bracket notation, as NLTK's flat ``str(tree)``, without recursion, and
    always one that ``read_tree`` reads back: a last leaf ending in a backslash gets a space
    before the closing bracket, which the backslash would otherwise escape."""
    out: list[str] = []
    stack: list[tuple[bool, object]] = [(False, tree)]  # (literal text?, item)
    while stack:
        literal, item = stack.pop()
        if literal or not isinstance(item, Tree):
            out.append(item)  # type: ignore[arg-type]
            continue
        out.append(f"({item.label()} ")
        last = item[-1] if len(item) else None
        stack.append((True, " )" if isinstance(last, str) and last.endswith("\\") else ")"))
        for i in range(len(item) - 1, -1, -1):
            stack.append((False, item[i]))
            if i:
                stack.append((True, " "))
    return "".join(out)


def pretty(tree: Tree) -> str:
    """NLTK's drawing of the tree (``Tree.pretty_print``) as a string, with a final newline."""
    found = depth(tree)
    if found > MAX_PRETTY_DEPTH:
        raise LineError(f"tree too deep to draw ({found} levels, at most {MAX_PRETTY_DEPTH}); "
                        f"use --output brackets")
    buffer = io.StringIO()
    tree.pretty_print(stream=buffer)
    return buffer.getvalue().rstrip("\n") + "\n"


# --- binarizing ---------------------------------------------------------------------------

#: Children named in the label of a node that binarization adds (NLTK's ``horzMarkov``):
#: all of them for up to 101 children, as NLTK does by default; beyond, labels would grow
#: with the square of the children (a 100,000-word flat line: gigabytes of labels).
MAX_NAMED_CHILDREN = 100


def binarize(tree: Tree, factor: str = "right") -> Tree:
    """NLTK's ``chomsky_normal_form(tree, factor, horzMarkov=MAX_NAMED_CHILDREN)``, in place,
    without NLTK's depth cap: every node with n > 2 children becomes a chain of n - 1 binary
    nodes labelled ``PARENT|<C2-C3-...>`` (right) or ``PARENT|<...-Cn-1>`` (left)."""
    if factor not in FACTORS:
        raise ValueError(f"factor must be one of {FACTORS}")
    for node in list(preorder(tree)):
        if len(node) <= 2:
            continue
        parent = node.label()
        names = [str(c.label()) if isinstance(c, Tree) else str(c) for c in node]
        children = list(node)
        count = len(children)
        del node[:]
        current = node
        if factor == "right":
            for i in range(1, count - 1):
                new = Tree(f"{parent}|<{'-'.join(names[i:i + MAX_NAMED_CHILDREN])}>", [])
                current[:] = [children[i - 1], new]
                current = new
            current[:] = children[count - 2:]
        else:
            for i in range(1, count - 1):
                named = names[max(0, count - i - MAX_NAMED_CHILDREN):count - i]
                new = Tree(f"{parent}|<{'-'.join(named)}>", [])
                current[:] = [new, children[count - i]]
                current = new
            current[:] = children[:2]
    return tree


def collapse_unary(tree: Tree) -> Tree:
    """NLTK's ``collapse_unary`` (iterative already), in place: a node whose only child is
    a phrase merges with it as ``A+B``; part-of-speech nodes and the root are kept."""
    from nltk.tree.transforms import collapse_unary as nltk_collapse_unary
    nltk_collapse_unary(tree, collapsePOS=False, collapseRoot=False)
    return tree


def normalize(tree: Tree, factor: str = "right", collapse: bool = True) -> Tree:
    """Collapse unary chains (if asked), then binarize: the trees rnntool writes."""
    if collapse:
        collapse_unary(tree)
    return binarize(tree, factor)


# --- treebank files -----------------------------------------------------------------------

def iter_lines(path: str, **kwargs) -> Iterator[str]:
    """The lines of ``path`` without their ``\\n`` (a last line without one counts too)."""
    for chunk in textio.read_line_chunks(path, **kwargs):
        pieces = chunk.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        yield from pieces


def read_treebank(path: str, **options) -> Iterator[Tree]:
    """The trees of a treebank file, one bracketed tree a line (blank lines skipped; the
    options of ``numbered_trees``)."""
    for _, tree in numbered_trees(path, **options):
        yield tree


def numbered_trees(path: str, *, encoding: str = "utf-8", errors: str = "strict",
                   check: Callable[[Tree], None] | None = None, on_error: str = "error",
                   warn: Callable[[str], None] | None = None) -> Iterator[tuple[int, Tree]]:
    """``(line number, tree)`` for every bracketed tree of a treebank file (blank lines
    skipped). A line that does not read, or whose tree ``check`` rejects (ValueError),
    raises ``InputError`` naming the file and line; with ``on_error="skip"`` it is skipped
    instead, and ``warn`` is told how many were, and the first one, at the end."""
    name = textio.display_name(path)
    number = 0
    skipped: list[str] = []
    for line in iter_lines(path, encoding=encoding, errors=errors):
        number += 1
        if not line.strip(ASCII_WHITESPACE):
            continue
        try:
            tree = read_tree(line)
            if check is not None:
                check(tree)
        except (BracketError, ValueError) as exc:
            problem = f"{name}: line {number}: {exc}"
            if on_error != "skip":
                raise InputError(problem) from None
            skipped.append(problem)
            continue
        yield number, tree
    if skipped and warn is not None:
        warn(f"{name}: skipped {len(skipped)} bad line{'s' if len(skipped) > 1 else ''} "
             f"(the first: {skipped[0].split(': ', 1)[1]})")
