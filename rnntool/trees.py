"""Binary trees for recursive networks: read, binarize, write, and parse raw sentences.

Trees are plain ``nltk.Tree`` objects (labels and leaves are strings). Everything that walks
a tree here is iterative, with an explicit stack, so trees thousands of levels deep (a long
sentence parsed right-branching) are read, binarized, compared and written without touching
Python's recursion limit; NLTK's own recursive methods (``str``, ``leaves``, ``height``,
``productions``, ``==``) and its depth-capped ``fromstring``/``chomsky_normal_form`` are not
used on trees of unknown depth. ``postorder``, ``heights`` and ``levels`` are the building
blocks for flattening batches of trees into level schedules (children before parents).

Raw sentences get structure from a grammar (NLTK CFG/PCFG notation), from a PCFG induced
from a treebank with ``nltk.induce_pcfg`` (decoded by an exact Viterbi CKY in numpy), or
from a fixed shape (right- or left-branching, balanced).

Not here: option parsing (``rnntool.cli.parse``), reading files as bytes (``rnntool.text``),
anything about models or torch.
"""

from __future__ import annotations

import io
import math
import re
from typing import Callable, Iterable, Iterator

import numpy as np
from nltk.grammar import PCFG, CFG, Nonterminal, Production, ProbabilisticProduction
from nltk.tree import Tree

from rnntool import text as textio
from rnntool.errors import InputError

ASCII_WHITESPACE = textio.ASCII_WHITESPACE
FACTORS = ("right", "left")
SHAPES = ("right", "left", "balanced")
INPUT_KINDS = ("auto", "trees", "text", "tsv", "fasttext")
OUTPUT_FORMATS = ("brackets", "pretty")
#: The label of the inner nodes of trees built by a shape.
SHAPE_LABEL = "X"
#: NLTK's drawing recurses about once per level; deeper trees are refused for ``pretty``.
MAX_PRETTY_DEPTH = 200
#: Terminal standing for unknown words in a treebank grammar. It holds a space, which no
#: token can (tokens split on whitespace), so it never collides with a real word.
UNKNOWN_WORD = "<unk> "
#: Start symbol added above the roots of a treebank grammar (a space: never a label).
TREEBANK_START = "<start> "
#: Biggest Viterbi chart (cells x nonterminals) tried before falling back to the shape.
MAX_CHART_ENTRIES = 50_000_000


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


def productions(tree: Tree) -> list[Production]:
    """``Tree.productions`` without recursion: one production per node, in preorder."""
    return [Production(Nonterminal(node.label()),
                       [Nonterminal(c.label()) if isinstance(c, Tree) else c for c in node])
            for node in preorder(tree)]


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
                what = f"'({label})'" if label else "'()'"
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
            raise BracketError(f"stray text {_quote(token)} {where}", column)
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


def _quote(token: str, limit: int = 20) -> str:
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


# --- raw sentences ------------------------------------------------------------------------

_tokenizer = None


def tokenize(line: str) -> list[str]:
    """Penn Treebank tokens of a raw sentence (NLTK's TreebankWordTokenizer), with brackets
    escaped as -LRB-, -RRB-, -LSB-, ... Whitespace other than ASCII (such as U+00A0) is
    part of a token, not a separator."""
    global _tokenizer
    if _tokenizer is None:
        from nltk.tokenize import TreebankWordTokenizer
        _tokenizer = TreebankWordTokenizer()
    specials = sorted({c for c in line if c.isspace() and c not in ASCII_WHITESPACE})
    restore: dict[str, str] = {}
    if specials:
        free = (chr(code) for code in range(0xE000, 0xF900) if chr(code) not in line)
        protect = {}
        for char in specials:
            placeholder = next(free)
            protect[ord(char)] = placeholder
            restore[placeholder] = char
        line = line.translate(protect)
    tokens = _tokenizer.tokenize(line, convert_parentheses=True)
    if restore:
        table = {ord(k): v for k, v in restore.items()}
        tokens = [token.translate(table) for token in tokens]
    return [token.replace("(", "-LRB-").replace(")", "-RRB-") for token in tokens]


def shape_tree(tokens: list[str], shape: str = "right", label: str = SHAPE_LABEL) -> Tree:
    """A binary tree over ``tokens`` with a fixed shape; inner nodes are labelled ``label``.

    right: ``(X a (X b (X c d)))``; left: ``(X (X (X a b) c) d)``; balanced: each node
    splits its span in the middle (the left half gets the extra token). One token: ``(X a)``.
    """
    if not tokens:
        raise ValueError("no tokens")
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}")
    if len(tokens) == 1:
        return Tree(label, [tokens[0]])
    if shape == "right":
        tree: Tree | str = Tree(label, tokens[-2:])
        for token in reversed(tokens[:-2]):
            tree = Tree(label, [token, tree])
        return tree  # type: ignore[return-value]
    if shape == "left":
        tree = Tree(label, tokens[:2])
        for token in tokens[2:]:
            tree = Tree(label, [tree, token])
        return tree  # type: ignore[return-value]
    root = Tree(label, [])
    stack = [(root, 0, len(tokens))]
    while stack:
        node, start, end = stack.pop()
        middle = (start + end + 1) // 2
        for lo, hi in ((start, middle), (middle, end)):
            if hi - lo == 1:
                node.append(tokens[lo])
            else:
                child = Tree(label, [])
                node.append(child)
                stack.append((child, lo, hi))
    return root


# --- grammars -----------------------------------------------------------------------------

def _plain_tree(tree: Tree) -> Tree:
    """A copy of ``tree`` as plain ``Tree`` objects with string labels (no recursion)."""
    copies: dict[int, Tree] = {}
    for node in postorder(tree):
        label = node.label()
        label = label.symbol() if isinstance(label, Nonterminal) else str(label)
        copies[id(node)] = Tree(label, [copies[id(c)] if isinstance(c, Tree) else c
                                        for c in node])
    return copies[id(tree)]


class ViterbiCky:
    """Exact Viterbi parsing of a PCFG whose rules are ``A -> B C``, ``A -> B`` or
    ``A -> 'word'``, with numpy: every span length is one batch of array operations over
    all spans, split points and binary rules; unary rules are closed per cell.

    It finds the same most probable tree as ``nltk.ViterbiParser`` (up to ties) at a
    fraction of the cost, so 40-token sentences take well under a second.
    """

    def __init__(self, grammar: PCFG, unknown: str | None = None):
        if not self.supports(grammar):
            raise ValueError("the grammar has rules other than A -> B C, A -> B, A -> 'w'")
        symbols = {grammar.start()}
        for prod in grammar.productions():
            symbols.add(prod.lhs())
            symbols.update(s for s in prod.rhs() if isinstance(s, Nonterminal))
        self.symbols = sorted(symbols, key=lambda s: s.symbol())
        index = {s: i for i, s in enumerate(self.symbols)}
        self.labels = [s.symbol() for s in self.symbols]
        self.start = index[grammar.start()]
        self.unknown = unknown
        binary, unary, lexicon = [], [], {}
        for prod in grammar.productions():
            if prod.prob() <= 0:
                continue
            logp = math.log(prod.prob())
            rhs = prod.rhs()
            lhs = index[prod.lhs()]
            if len(rhs) == 2:
                binary.append((lhs, index[rhs[0]], index[rhs[1]], logp))
            elif isinstance(rhs[0], Nonterminal):
                unary.append((lhs, index[rhs[0]], logp))
            else:
                lexicon.setdefault(rhs[0], []).append((lhs, logp))
        self.lexicon = {word: (np.array([a for a, _ in entries], dtype=np.int64),
                               np.array([p for _, p in entries]))
                        for word, entries in lexicon.items()}
        binary.sort()
        unary.sort()
        self.b_lhs, self.b_left, self.b_right, self.b_logp, self.b_starts, self.b_heads = \
            self._rule_arrays(binary)
        self.u_lhs, self.u_child, _, self.u_logp, self.u_starts, self.u_heads = \
            self._rule_arrays([(a, b, 0, p) for a, b, p in unary])

    @staticmethod
    def _rule_arrays(rules):
        if not rules:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, np.zeros(0), empty, empty
        lhs = np.array([r[0] for r in rules], dtype=np.int64)
        first = np.array([r[1] for r in rules], dtype=np.int64)
        second = np.array([r[2] for r in rules], dtype=np.int64)
        logp = np.array([r[3] for r in rules])
        starts = np.flatnonzero(np.r_[True, lhs[1:] != lhs[:-1]])
        return lhs, first, second, logp, starts, lhs[starts]

    @staticmethod
    def supports(grammar: PCFG) -> bool:
        for prod in grammar.productions():
            rhs = prod.rhs()
            nonterminals = sum(isinstance(s, Nonterminal) for s in rhs)
            if not ((len(rhs) == 2 and nonterminals == 2) or len(rhs) == 1):
                return False
        return True

    def covers(self, tokens: list[str]) -> str | None:
        """The first token the grammar has no rule for (None: all are covered)."""
        for token in tokens:
            if token not in self.lexicon and (self.unknown is None
                                              or self.unknown not in self.lexicon):
                return token
        return None

    def _group_max(self, scores, starts, count):
        """Per left-hand-side group of rule columns: the best score and the first rule
        reaching it (column index), for every row."""
        best = np.maximum.reduceat(scores, starts, axis=1)
        sizes = np.diff(np.r_[starts, count])
        hits = scores == np.repeat(best, sizes, axis=1)
        columns = np.where(hits, np.arange(count), count)
        return best, np.minimum.reduceat(columns, starts, axis=1)

    def _close_unary(self, score, kind, arg, rows, cols):
        """Apply unary rules in the cells (rows[i], cols[i]) until nothing improves."""
        if not len(self.u_lhs):
            return
        for _ in range(len(self.symbols) + 1):
            cells = score[rows, cols]                                  # (cells, N)
            candidates = cells[:, self.u_child] + self.u_logp          # (cells, U)
            best, rule = self._group_max(candidates, self.u_starts, len(self.u_lhs))
            current = cells[:, self.u_heads]
            better = best > current
            if not better.any():
                return
            r, g = np.nonzero(better)
            heads = self.u_heads[g]
            score[rows[r], cols[r], heads] = best[r, g]
            kind[rows[r], cols[r], heads] = 3
            arg[rows[r], cols[r], heads] = self.u_child[rule[r, g]]

    def parse(self, tokens: list[str]) -> tuple[Tree, float] | None:
        """The most probable tree over ``tokens`` and its log-probability, or None."""
        n, count = len(tokens), len(self.symbols)
        if n == 0 or self.covers(tokens) is not None:
            return None
        if (n + 1) * (n + 1) * count > MAX_CHART_ENTRIES:
            return None
        # Rows are span starts, columns span ends; only j > i is used.
        score = np.full((n + 1, n + 1, count), -np.inf)
        kind = np.zeros((n + 1, n + 1, count), dtype=np.int8)  # 1 word, 2 binary, 3 unary
        arg = np.zeros((n + 1, n + 1, count), dtype=np.int32)  # rule or child symbol
        split = np.zeros((n + 1, n + 1, count), dtype=np.int32)
        for i, token in enumerate(tokens):
            heads, logp = self.lexicon[token if token in self.lexicon else self.unknown]
            score[i, i + 1, heads] = logp
            kind[i, i + 1, heads] = 1
        spans = np.arange(n)
        self._close_unary(score, kind, arg, spans, spans + 1)
        rules = len(self.b_lhs)
        for length in range(2, n + 1) if rules else ():
            starts = np.arange(n - length + 1)
            ends = starts + length
            # Rows of work in chunks so that (rows x splits x rules) stays small.
            step = max(1, 4_000_000 // max(1, (length - 1) * rules))
            for lo in range(0, len(starts), step):
                i, j = starts[lo:lo + step], ends[lo:lo + step]
                k = i[:, None] + np.arange(1, length)[None, :]          # (rows, splits)
                left_cells, right_cells = score[i[:, None], k], score[k, j[:, None]]
                # Only rules whose children occur in these cells can score (most cannot).
                live = np.flatnonzero(
                    (left_cells > -np.inf).any(axis=(0, 1))[self.b_left]
                    & (right_cells > -np.inf).any(axis=(0, 1))[self.b_right])
                if not len(live):
                    continue
                total = (left_cells[:, :, self.b_left[live]] + right_cells[:, :, self.b_right[live]]
                         + self.b_logp[live])                           # (rows, splits, live)
                best_rule = total.max(axis=1)                           # (rows, live)
                lhs = self.b_lhs[live]
                groups = np.flatnonzero(np.r_[True, lhs[1:] != lhs[:-1]])
                best, rule = self._group_max(best_rule, groups, len(live))
                r, g = np.nonzero(best > -np.inf)
                heads = lhs[groups][g]
                local = rule[r, g]
                chosen = live[local]
                where = total[r[:, None], np.arange(length - 1)[None, :], local[:, None]].argmax(1)
                score[i[r], j[r], heads] = best[r, g]
                kind[i[r], j[r], heads] = 2
                arg[i[r], j[r], heads] = chosen
                split[i[r], j[r], heads] = k[r, where]
            self._close_unary(score, kind, arg, starts, ends)
        if score[0, n, self.start] == -np.inf:
            return None
        return self._backtrace(tokens, kind, arg, split), float(score[0, n, self.start])

    def _backtrace(self, tokens, kind, arg, split) -> Tree:
        root = Tree(self.labels[self.start], [])
        stack = [(root, 0, len(tokens), self.start)]
        while stack:
            node, i, j, a = stack.pop()
            how = kind[i, j, a]
            if how == 1:
                node.append(tokens[i])
            elif how == 3:
                b = int(arg[i, j, a])
                child = Tree(self.labels[b], [])
                node.append(child)
                stack.append((child, i, j, b))
            else:
                r, k = int(arg[i, j, a]), int(split[i, j, a])
                b, c = int(self.b_left[r]), int(self.b_right[r])
                left, right = Tree(self.labels[b], []), Tree(self.labels[c], [])
                node.extend([left, right])
                stack.append((right, k, j, c))
                stack.append((left, i, k, b))
        return root


class GrammarParser:
    """Parses token lists with a PCFG: ``ViterbiCky`` when the rules allow it, otherwise
    NLTK's ``ViterbiParser``. ``parse`` returns a tree (labels as strings, the original
    tokens as leaves) or None, with ``reason`` saying why not."""

    def __init__(self, grammar: PCFG, name: str, unknown: str | None = None,
                 hidden_start: bool = False):
        self.grammar = grammar
        self.name = name
        self.unknown = unknown
        self.hidden_start = hidden_start  # the start symbol is ours: drop it from trees
        self.reason = ""
        if ViterbiCky.supports(grammar):
            self.engine: ViterbiCky | None = ViterbiCky(grammar, unknown)
            self.viterbi = None
        else:
            from nltk.parse import ViterbiParser
            self.engine = None
            self.viterbi = ViterbiParser(grammar)
            self.words = {s for prod in grammar.productions() for s in prod.rhs()
                          if not isinstance(s, Nonterminal)}

    def parse(self, tokens: list[str]) -> Tree | None:
        self.reason = ""
        if self.engine is not None:
            missing = self.engine.covers(tokens)
            found = None if missing is not None else self.engine.parse(tokens)
            tree = found[0] if found else None
        else:
            missing = next((t for t in tokens if t not in self.words
                            and self.unknown not in self.words), None)
            tree = None
            if missing is None:
                mapped = [t if t in self.words else self.unknown for t in tokens]
                best = next(iter(self.viterbi.parse(mapped)), None)
                if best is not None:
                    tree = _plain_tree(best)
                    for position, leaf_position in enumerate(tree.treepositions("leaves")):
                        tree[leaf_position] = tokens[position]
        if missing is not None:
            self.reason = f"{self.name} has no rule for the word {_quote(missing)}"
            return None
        if tree is None:
            self.reason = f"{self.name} gives no parse" + (
                " (the sentence is too long for it)" if self.engine is not None and
                (len(tokens) + 1) ** 2 * len(self.engine.symbols) > MAX_CHART_ENTRIES
                else "")
            return None
        if self.hidden_start and len(tree) == 1 and isinstance(tree[0], Tree):
            tree = tree[0]
        return tree


_PROBABILITY = re.compile(r"\[\s*[-+0-9.eE]+\s*\]")


def load_grammar(path: str, *, encoding: str = "utf-8", errors: str = "strict") -> GrammarParser:
    """A CFG or PCFG in NLTK's notation (``S -> NP VP [0.9]``; probabilities make it a
    PCFG). A CFG is parsed as the PCFG whose rules for one left-hand side are equally
    likely, so the result is a most probable parse under that uniform choice."""
    name = textio.display_name(path)
    text = textio.read_text(path, encoding=encoding, errors=errors)
    probabilistic = bool(_PROBABILITY.search(text))
    try:
        if probabilistic:
            grammar = PCFG.fromstring(text)
        else:
            cfg = CFG.fromstring(text)
            per_lhs: dict = {}
            for prod in cfg.productions():
                per_lhs.setdefault(prod.lhs(), []).append(prod)
            grammar = PCFG(cfg.start(), [
                ProbabilisticProduction(p.lhs(), p.rhs(), prob=1 / len(per_lhs[p.lhs()]))
                for p in cfg.productions()])
    except ValueError as exc:
        message = str(exc)
        match = re.match(r"Unable to parse line (\d+): (.*?)\n(.*)", message, re.S)
        if match:
            detail = " ".join(match.group(3).split())
            raise InputError(f"{name}: line {match.group(1)}: not a grammar rule: "
                             f"{match.group(2)[:60]!r} ({detail})") from None
        if message.startswith("No productions"):
            raise InputError(f"{name}: no grammar rules found") from None
        raise InputError(f"{name}: not a valid grammar: {' '.join(message.split())}") from None
    return GrammarParser(grammar, f"grammar {name}")


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


def induce_grammar(trees: Iterable[Tree], *, factor: str = "right", collapse: bool = True,
                   name: str = "treebank") -> GrammarParser:
    """A PCFG induced with NLTK's ``induce_pcfg`` from trees normalized as rnntool writes
    them (so its parses come out binary already).

    Unknown words: every word seen once (or, when there are none, every preterminal once)
    also counts as the reserved word ``UNKNOWN_WORD``; a word the treebank never had is
    parsed as that word, so every sentence is covered. The roots hang below a private
    start symbol, so trees whose roots differ (SST's sentiment labels) share one grammar.
    """
    from nltk.grammar import induce_pcfg

    start = Nonterminal(TREEBANK_START)
    rules: list[Production] = []
    seen_trees = 0
    for tree in trees:
        seen_trees += 1
        normalize(tree, factor, collapse)
        rules.append(Production(start, [Nonterminal(tree.label())]))
        rules.extend(productions(tree))
    if not seen_trees:
        raise InputError(f"{name}: no trees")
    word_counts: dict[str, int] = {}
    for rule in rules:
        for symbol in rule.rhs():
            if not isinstance(symbol, Nonterminal):
                word_counts[symbol] = word_counts.get(symbol, 0) + 1
    lexical = [r for r in rules if len(r.rhs()) == 1 and not isinstance(r.rhs()[0], Nonterminal)]
    rare = [Production(r.lhs(), [UNKNOWN_WORD]) for r in lexical if word_counts[r.rhs()[0]] == 1]
    if not rare:
        rare = [Production(lhs, [UNKNOWN_WORD]) for lhs in sorted({r.lhs() for r in lexical},
                                                                   key=lambda s: s.symbol())]
    grammar = induce_pcfg(start, rules + rare)
    return GrammarParser(grammar, name, unknown=UNKNOWN_WORD, hidden_start=True)


def load_treebank_grammar(path: str, *, factor: str = "right", collapse: bool = True,
                          encoding: str = "utf-8", errors: str = "strict") -> GrammarParser:
    return induce_grammar(read_treebank(path, encoding=encoding, errors=errors), factor=factor,
                          collapse=collapse, name=f"treebank {textio.display_name(path)}")


# --- the parse command's work ---------------------------------------------------------------

def iter_lines(path: str, **kwargs) -> Iterator[str]:
    """The lines of ``path`` without their ``\\n`` (a last line without one counts too)."""
    for chunk in textio.read_line_chunks(path, **kwargs):
        pieces = chunk.split("\n")
        if pieces[-1] == "":
            pieces.pop()
        yield from pieces


class TreeMaker:
    """Turns one input line into one normalized binary tree, or raises ``LineError``.

    ``input_kind``: ``trees`` (a bracketed tree), ``text`` (a raw sentence), ``auto`` (a
    tree when the line starts with '('), or ``tsv`` / ``fasttext`` (a labelled line,
    ``label<TAB>...`` or ``__label__X ...``: the label is dropped and the rest read as
    ``auto``). Sentences go to the grammars in order, then to the
    shape; ``on_fallback(reason)`` is told when a grammar could not parse a sentence.
    """

    def __init__(self, *, input_kind: str = "auto", grammars: list[GrammarParser] = (),
                 shape: str = "right", factor: str = "right", collapse: bool = True,
                 on_fallback: Callable[[str], None] | None = None):
        if input_kind not in INPUT_KINDS:
            raise ValueError(f"input_kind must be one of {INPUT_KINDS}")
        self.input_kind = input_kind
        self.grammars = list(grammars)
        self.shape = shape
        self.factor = factor
        self.collapse = collapse
        self.on_fallback = on_fallback

    def make(self, line: str) -> Tree:
        stripped = line.strip(ASCII_WHITESPACE)
        if not stripped:
            raise LineError("blank line")
        kind = self.input_kind
        if kind in ("tsv", "fasttext"):
            from rnntool.labelled import split_label
            try:
                line = split_label(line.strip("\r\n"), kind)[1]
            except ValueError as exc:
                raise LineError(str(exc)) from None
            stripped, kind = line.strip(ASCII_WHITESPACE), "auto"
            if not stripped:
                raise LineError("no text after the label")
        as_tree = kind == "trees" or (kind == "auto" and stripped.startswith("("))
        if as_tree:
            try:
                tree = read_tree(line)
            except BracketError as exc:
                raise LineError(str(exc)) from None
        else:
            tree = self.parse_sentence(stripped)
        return normalize(tree, self.factor, self.collapse)

    def parse_sentence(self, sentence: str) -> Tree:
        tokens = tokenize(sentence)
        reasons = []
        for grammar in self.grammars:
            tree = grammar.parse(tokens)
            if tree is not None:
                return tree
            reasons.append(grammar.reason)
        if reasons and self.on_fallback is not None:
            self.on_fallback("; ".join(reasons) + f"; used the {self.shape} shape")
        return shape_tree(tokens, self.shape)


def parse_files(paths: list[str], maker: TreeMaker, *, output: str = "brackets",
                **options) -> Iterator[str]:
    """One output record per input line, in order: a tree in brackets (one line) or drawn
    (``pretty``, followed by an empty line); an empty line where a line gave no tree (see
    ``make_trees`` for the options)."""
    if output not in OUTPUT_FORMATS:
        raise ValueError(f"output must be one of {OUTPUT_FORMATS}")
    render = to_brackets if output == "brackets" else pretty
    for text in make_trees(paths, maker, render=render, **options):
        yield "\n" if text is None else text + "\n"


def make_trees(paths: list[str], maker: TreeMaker, *, render: Callable | None = None,
               strict: bool = False, warn: Callable[[str], None] = lambda message: None,
               max_warnings: int = 20, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator:
    """One normalized binary tree per input line, in order (or ``render(tree)``, which may
    raise ``LineError`` too), or None for a line that gives none, with
    ``warn("FILE: line N: why")``; with ``strict`` such a line raises ``InputError``
    instead. Grammar fallbacks are warned about the same way. After ``max_warnings``
    warnings the rest are counted and summed up in one last warning.
    """
    where = {"name": "", "line": 0}
    counts = {"warnings": 0, "bad": 0, "fallbacks": 0}
    outer_fallback = maker.on_fallback

    def say(message: str) -> None:
        counts["warnings"] += 1
        if counts["warnings"] <= max_warnings:
            warn(message)

    def fallback(reason: str) -> None:
        counts["fallbacks"] += 1
        say(f"{where['name']}: line {where['line']}: {reason}")
        if outer_fallback is not None:
            outer_fallback(reason)

    maker.on_fallback = fallback
    try:
        for path in paths:
            where["name"], where["line"] = textio.display_name(path), 0
            for line in iter_lines(path, encoding=encoding, errors=errors):
                where["line"] += 1
                try:
                    tree = maker.make(line)
                    if render is not None:
                        tree = render(tree)
                except LineError as exc:
                    message = f"{where['name']}: line {where['line']}: {exc}"
                    if strict:
                        raise InputError(message) from None
                    counts["bad"] += 1
                    say(message)
                    tree = None
                yield tree
    finally:
        maker.on_fallback = outer_fallback
    hidden = counts["warnings"] - max_warnings
    if hidden > 0:
        warn(f"{hidden} more warnings not shown ({counts['bad']} lines gave no tree, "
             f"{counts['fallbacks']} sentences fell back to the {maker.shape} shape)")
