"""Grammars for raw sentences: CFGs and PCFGs, read or induced, and their Viterbi parsers.

A grammar comes from a file in NLTK's CFG/PCFG notation (``load_grammar``) or is a PCFG
induced from a treebank with ``nltk.induce_pcfg`` (``induce_grammar``,
``load_treebank_grammar``). ``GrammarParser`` turns a token list into its most probable
tree, with an exact Viterbi CKY in numpy (``ViterbiCky``) when the rules allow it, else
NLTK's ``ViterbiParser``.

Not here: tree structure and bracket I/O (``rnntool.trees``, which this module builds on),
tokenizing, fixed shapes and turning input lines into trees (``rnntool.parsing``, which
builds on this module), anything about models or torch.
"""

from __future__ import annotations

import math
import re
from typing import Iterable

import numpy as np
from nltk.grammar import PCFG, CFG, Nonterminal, Production, ProbabilisticProduction

from rnntool import text as textio
from rnntool.errors import InputError
from rnntool.trees import Tree, normalize, postorder, preorder, quote_token, read_treebank

#: Terminal standing for unknown words in a treebank grammar. It holds a space, which no
#: token can (tokens split on whitespace), so it never collides with a real word.
UNKNOWN_WORD = "<unk> "
#: Start symbol added above the roots of a treebank grammar (a space: never a label).
TREEBANK_START = "<start> "
#: Biggest Viterbi chart (cells x nonterminals) tried before falling back to the shape.
MAX_CHART_ENTRIES = 50_000_000


# --- grammars -----------------------------------------------------------------------------

def productions(tree: Tree) -> list[Production]:
    """``Tree.productions`` without recursion: one production per node, in preorder."""
    return [Production(Nonterminal(node.label()),
                       [Nonterminal(c.label()) if isinstance(c, Tree) else c for c in node])
            for node in preorder(tree)]


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
            self.reason = f"{self.name} has no rule for the word {quote_token(missing)}"
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
