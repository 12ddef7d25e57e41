"""Generate rnntool's compositional sentiment treebank (corpora/sentiment/).

All sentences come from hand-written word lists and a small grammar in this
file; nothing is copied from other sources. Each sentence is written as one
binary tree per line in the format of the Stanford Sentiment Treebank:

    (3 (2 the) (3 (2 film) (3 (2 is) (3 good))))

Every leaf is wrapped in a preterminal `(label word)`, every internal node
has exactly two children, and every label is a sentiment class:

    0 very negative   1 negative   2 neutral   3 positive   4 very positive

Labeling rules
--------------
Each node carries an integer score s in -4..4; its label is class(s):

    s <= -3 -> 0      s in -2..-1 -> 1      s == 0 -> 2
    s in 1..2 -> 3    s >= 3 -> 4

Leaves (words) get their score from the lexicon:

    -4 very negative words (terrible, hated, disaster, ...)
    -2 negative words      (dull, disliked, mess, ...)
    -1 mildly negative     (predictable, mediocre, faltered, ...)
     0 neutral words       (the, film, is, watched, long, and all operators:
                            not, never, very, somewhat, but, ".", ",", ...)
    +1 mildly positive     (decent, pleasant, appreciated, ...)
    +2 positive words      (good, funny, liked, treat, ...)
    +4 very positive words (wonderful, loved, masterpiece, ...)

An internal node's score is computed from its two children by the rule of
the construction that built it (sign(x) is -1, 0 or +1):

    intensify  (very|really|extremely|truly|complete|... X)
               sign(X) * min(4, 2*|X|)
               "very good" +4, "very decent" +2, "very long" 0
    diminish   (somewhat|fairly|rather|slightly|mildly X)
               sign(X) * ceil(|X| / 2)
               "somewhat good" +1, "fairly terrible" -2
    negate     (not|never X)
               -sign(X) * ceil(|X| / 2)
               flips polarity and weakens it: "not good" -1 (negative),
               "not bad" +1 (mildly positive), "not very good" -2
               (negative, though "good" is positive), "not terrible" +2,
               "never liked the ending" -1
    head       ordinary combination of a dominant child D and another O
               (determiner/adjective + noun: the noun side dominates;
               subject + predicate: the predicate dominates; copula or
               auxiliary + predicate: the predicate dominates; verb +
               object: the verb dominates):
               O == 0        -> D
               D == 0        -> O
               same sign     -> sign(D) * max(|D|, |O|)
               opposite sign -> D + sign(O)   (one step toward O)
               "the boring film" -2, "the wonderful actors are boring" -1,
               "loved the boring film" +3, "hated the wonderful film" -3
    but        ("but" Y) -> Y
    contrast   (X (but Y)), with X optionally followed by ","
               Y + trunc((X - Y) / 4)   (the whole takes mostly Y's
               sentiment): "dull but wonderful" +3, "wonderful but dull"
               -1, "terrible but charming" +1, "good but long" 0
    punct      (X ".") or (X ",") -> X

Negation therefore changes labels in ways a bag of words cannot see: the
same words with and without "not"/"never" usually get different labels.

Output
------
Sentences are drawn at random (fixed seed) from several frames (copular,
"it is a ...", experiencer verbs, intransitive verbs, each optionally
negated, and clause or predicate contrasts with "but"), deduplicated, and
split into train.txt (3000 trees), dev.txt (500) and test.txt (500) with no
sentence in more than one split. The output is deterministic: the same seed
gives byte-identical files.

Regenerate with:

    python corpora/generate_treebank.py

Options: --out DIR (default: sentiment/ next to this script) and --seed N.
"""

import random
from pathlib import Path

from generating import output_folder

# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

SEED = 20240615
DEFAULT_OUT = Path(__file__).resolve().parent / "sentiment"
SPLITS = (("train", 3000), ("dev", 500), ("test", 500))

P_CONTRAST = 0.22        # sentence is "clause but clause"
P_NEGATE = 0.42          # a clause is negated
P_PRED_CONTRAST = 0.10   # a copular predicate is "adj but adj"
P_COMMA = 0.3            # comma before a clause-level "but"

FRAME_WEIGHTS = {
    "copular": 40,
    "it": 18,
    "experiencer": 26,
    "intransitive": 16,
}

# ---------------------------------------------------------------------------
# Word lists (all hand-written for this project)
# ---------------------------------------------------------------------------

# Adjectives by score.
ADJECTIVES = {
    4: ["wonderful", "brilliant", "superb", "excellent", "magnificent",
        "outstanding", "masterful", "stunning", "delightful", "terrific",
        "marvelous", "glorious"],
    2: ["good", "funny", "charming", "clever", "enjoyable", "moving",
        "touching", "engaging", "lively", "witty", "fresh", "entertaining",
        "beautiful", "gripping", "smart", "warm"],
    1: ["decent", "fine", "pleasant", "solid", "competent", "watchable",
        "nice", "agreeable", "harmless", "tidy"],
    -1: ["uneven", "predictable", "mediocre", "slight", "forgettable",
         "bland", "routine", "thin", "clumsy"],
    -2: ["dull", "bad", "boring", "tedious", "silly", "weak", "lazy",
         "stale", "shallow", "messy", "tiresome", "pointless", "sloppy",
         "cheap"],
    -4: ["terrible", "awful", "dreadful", "horrible", "unwatchable",
         "painful", "atrocious", "abysmal", "insufferable", "disastrous",
         "wretched"],
    0: ["long", "short", "new", "old", "quiet", "loud", "french", "italian",
        "recent", "dark", "simple", "silent", "animated", "local", "late"],
}

# Evaluative nouns for "is a X", by score.
EVAL_NOUNS = {
    4: ["masterpiece", "triumph", "gem", "joy", "delight", "marvel"],
    2: ["treat", "success", "pleasure", "winner", "hit"],
    -2: ["mess", "bore", "failure", "letdown", "disappointment", "chore",
         "dud"],
    -4: ["disaster", "catastrophe", "embarrassment", "fiasco", "travesty"],
}

# Neutral genre nouns, for "it is a (adj) X".
GENRES = ["film", "movie", "comedy", "thriller", "drama", "documentary",
          "sequel", "romance", "western", "musical", "remake", "cartoon",
          "mystery", "story"]

# Neutral topic nouns, as (word, plural?).
TOPICS = [
    ("film", False), ("movie", False), ("plot", False), ("story", False),
    ("script", False), ("ending", False), ("cast", False),
    ("dialogue", False), ("soundtrack", False), ("direction", False),
    ("pacing", False), ("humor", False), ("music", False),
    ("sequel", False), ("premise", False), ("finale", False),
    ("screenplay", False), ("camera", False), ("editing", False),
    ("acting", False), ("hero", False), ("villain", False),
    ("actors", True), ("characters", True), ("jokes", True),
    ("performances", True), ("scenes", True), ("songs", True),
    ("effects", True), ("twists", True), ("costumes", True),
    ("sets", True), ("visuals", True), ("battles", True),
]

DETERMINERS = {False: ["the", "this", "its", "that"],
               True: ["the", "these", "its", "those"]}

# Copulas, as {plural?: [...]}; the first two ("is", "was") are the only
# ones used before a negation or an indefinite noun phrase.
COPULAS = {False: ["is", "was", "seems", "feels"],
           True: ["are", "were", "seem", "feel"]}

# Experiencer verbs, as (past, base, score).
VERBS = [
    ("loved", "love", 4), ("adored", "adore", 4), ("cherished", "cherish", 4),
    ("liked", "like", 2), ("enjoyed", "enjoy", 2), ("admired", "admire", 2),
    ("appreciated", "appreciate", 1), ("respected", "respect", 1),
    ("disliked", "dislike", -2), ("resented", "resent", -2),
    ("hated", "hate", -4), ("despised", "despise", -4),
    ("loathed", "loathe", -4),
    ("watched", "watch", 0), ("saw", "see", 0), ("rented", "rent", 0),
    ("discussed", "discuss", 0), ("remembered", "remember", 0),
]

# Intransitive verbs, as (past, base, score).
INTRANSITIVES = [
    ("worked", "work", 2), ("succeeded", "succeed", 2), ("clicked", "click", 2),
    ("shone", "shine", 4), ("soared", "soar", 4), ("sparkled", "sparkle", 4),
    ("faltered", "falter", -1), ("stumbled", "stumble", -1),
    ("dragged", "drag", -2), ("failed", "fail", -2), ("sagged", "sag", -2),
    ("flopped", "flop", -4), ("collapsed", "collapse", -4),
    ("ended", "end", 0), ("changed", "change", 0), ("continued", "continue", 0),
]

SUBJECTS = [["i"], ["we"], ["they"], ["everyone"], ["my", "friends"],
            ["the", "critics"], ["the", "audience"], ["my", "family"],
            ["most", "viewers"], ["my", "sister"]]

INTENSIFIERS = ["very", "really", "extremely", "truly", "incredibly",
                "remarkably", "so", "genuinely"]
NOUN_INTENSIFIERS = ["complete", "total", "real", "absolute", "true"]
DIMINISHERS = ["somewhat", "fairly", "rather", "slightly", "mildly"]
NEGATORS = ["not", "never"]

# ---------------------------------------------------------------------------
# Scores and labels
# ---------------------------------------------------------------------------


def sign(x):
    return (x > 0) - (x < 0)


def ceil_half(n):
    return (n + 1) // 2


def label(score):
    """Sentiment class 0..4 of an integer score in -4..4."""
    if score <= -3:
        return 0
    if score <= -1:
        return 1
    if score == 0:
        return 2
    if score <= 2:
        return 3
    return 4


def combine(kind, left, right):
    """Score of a node of construction `kind` from its children's scores."""
    if kind == "intensify":                     # (op X)
        return sign(right) * min(4, 2 * abs(right))
    if kind == "diminish":                      # (op X)
        return sign(right) * ceil_half(abs(right))
    if kind == "negate":                        # (not X)
        return -sign(right) * ceil_half(abs(right))
    if kind in ("head_left", "head_right"):
        d, o = (left, right) if kind == "head_left" else (right, left)
        if o == 0:
            return d
        if d == 0:
            return o
        if sign(d) == sign(o):
            return sign(d) * max(abs(d), abs(o))
        return d + sign(o)
    if kind == "but":                           # (but Y)
        return right
    if kind == "contrast":                      # (X (but Y))
        diff = left - right
        return right + sign(diff) * (abs(diff) // 4)
    if kind == "punct":                         # (X .)
        return left
    raise ValueError(kind)


class Node:
    """A binary tree node: a leaf (word, lexical score) or a construction."""

    __slots__ = ("word", "kind", "left", "right", "score")

    def __init__(self, word=None, score=0, kind=None, left=None, right=None):
        self.word, self.kind, self.left, self.right = word, kind, left, right
        self.score = score if kind is None else combine(
            kind, left.score, right.score)

    def words(self):
        if self.kind is None:
            return [self.word]
        return self.left.words() + self.right.words()

    def render(self):
        if self.kind is None:
            return f"({label(self.score)} {self.word})"
        return (f"({label(self.score)} "
                f"{self.left.render()} {self.right.render()})")


def rescore(node, ignore_negation=False):
    """Recompute a node's score; with ignore_negation, "not X" scores as X.

    Used by sanity checks: it gives the label the same words would get if
    negation had no effect.
    """
    if node.kind is None:
        return node.score
    right = rescore(node.right, ignore_negation)
    if node.kind == "negate" and ignore_negation:
        return right
    return combine(node.kind, rescore(node.left, ignore_negation), right)


def leaf(word, score=0):
    return Node(word, score)


def op(kind, left, right):
    return Node(kind=kind, left=left, right=right)


def chain(words, head):
    """Right-branching neutral prefix: (w1 (w2 ... head))."""
    for w in reversed(words):
        head = op("head_right", leaf(w), head)
    return head


# ---------------------------------------------------------------------------
# Grammar
# ---------------------------------------------------------------------------


def pick_scored(rng, table, neutral_weight=1.0):
    """Pick (word, score) from a {score: [words]} table."""
    scores = sorted(table)
    weights = [neutral_weight if s == 0 else 1.0 for s in scores]
    s = rng.choices(scores, weights)[0]
    return rng.choice(table[s]), s


def adjective_phrase(rng, allow_neutral=True, attributive=False):
    """ADJ, or an intensified / diminished ADJ."""
    word, s = pick_scored(rng, ADJECTIVES, 0.8 if allow_neutral else 0.0)
    adj = leaf(word, s)
    r = rng.random()
    if r < 0.25 and s != 0:
        words = [w for w in INTENSIFIERS if not (attributive and w == "so")]
        return op("intensify", leaf(rng.choice(words)), adj)
    if r < 0.33 and s != 0:
        return op("diminish", leaf(rng.choice(DIMINISHERS)), adj)
    return adj


def article(next_word):
    return "an" if next_word[0] in "aeiou" else "a"


def topic_np(rng):
    """(det (adj noun)) or (det noun); returns (node, plural)."""
    noun, plural = rng.choice(TOPICS)
    head = leaf(noun)
    if rng.random() < 0.35:
        head = op("head_right", adjective_phrase(rng, attributive=True),
                      head)
    det = rng.choice(DETERMINERS[plural])
    return op("head_right", leaf(det), head), plural


def indefinite_np(rng):
    """a / an + (eval noun | intensified eval noun | adj genre noun)."""
    r = rng.random()
    if r < 0.45:
        word, s = pick_scored(rng, EVAL_NOUNS)
        head = leaf(word, s)
        if rng.random() < 0.3:
            head = op("intensify", leaf(rng.choice(NOUN_INTENSIFIERS)), head)
    else:
        head = leaf(rng.choice(GENRES))
        if rng.random() < 0.85:
            head = op("head_right", adjective_phrase(rng, attributive=True),
                      head)
    first = head.words()[0]
    return op("head_right", leaf(article(first)), head)


def predicate(rng, plural):
    """Copular complement: adjective phrase, contrast, or a/an NP."""
    r = rng.random()
    if r < P_PRED_CONTRAST:
        a = adjective_phrase(rng, allow_neutral=True)
        b = adjective_phrase(rng, allow_neutral=False)
        return op("contrast", a, op("but", leaf("but"), b))
    if r < 0.25 and not plural:
        return indefinite_np(rng)
    return adjective_phrase(rng)


def maybe_negate(rng, node):
    """Wrap node in "not"/"never" with probability P_NEGATE."""
    if node.kind == "diminish":         # no "not somewhat good"
        return node, False
    if rng.random() < P_NEGATE:
        return op("negate", leaf(rng.choice(NEGATORS)), node), True
    return node, False


def clause_copular(rng):
    subj, plural = topic_np(rng)
    pred = predicate(rng, plural)
    copulas = COPULAS[plural]
    if pred.kind != "contrast":         # no "is not long but charming"
        pred, negated = maybe_negate(rng, pred)
        if negated or pred.words()[0] in ("a", "an"):
            copulas = copulas[:2]       # "is not", "was never", "is a"
    vp = op("head_right", leaf(rng.choice(copulas)), pred)
    return op("head_right", subj, vp)


def clause_it(rng):
    pred, _ = maybe_negate(rng, indefinite_np(rng))
    vp = op("head_right", leaf(rng.choice(["is", "was"])), pred)
    return op("head_right", leaf("it"), vp)


def negated_verb(rng, past, base, score, rest):
    """past VP, (never past-VP) or (did (not base-VP))."""
    r = rng.random()
    if r < P_NEGATE / 2:
        return op("negate", leaf("never"), rest(leaf(past, score)))
    if r < P_NEGATE:
        vp = op("negate", leaf("not"), rest(leaf(base, score)))
        return op("head_right", leaf("did"), vp)
    return rest(leaf(past, score))


def clause_experiencer(rng):
    past, base, score = rng.choice(VERBS)
    obj, _ = topic_np(rng)
    vp = negated_verb(rng, past, base, score,
                      lambda v: op("head_left", v, obj))
    subject = rng.choice(SUBJECTS)
    subj = leaf(subject[0]) if len(subject) == 1 else op(
        "head_right", leaf(subject[0]), leaf(subject[1]))
    return op("head_right", subj, vp)


def clause_intransitive(rng):
    past, base, score = rng.choice(INTRANSITIVES)
    subj, _ = topic_np(rng)
    vp = negated_verb(rng, past, base, score, lambda v: v)
    return op("head_right", subj, vp)


CLAUSES = {
    "copular": clause_copular,
    "it": clause_it,
    "experiencer": clause_experiencer,
    "intransitive": clause_intransitive,
}


def clause(rng):
    kinds = list(FRAME_WEIGHTS)
    kind = rng.choices(kinds, [FRAME_WEIGHTS[k] for k in kinds])[0]
    return CLAUSES[kind](rng)


def sentence(rng):
    """A clause, or "clause (,) but clause", followed by "."."""
    body = clause(rng)
    if rng.random() < P_CONTRAST:
        if rng.random() < P_COMMA:
            body = op("punct", body, leaf(","))
        body = op("contrast", body, op("but", leaf("but"), clause(rng)))
    return op("punct", body, leaf("."))


def build_splits(seed=SEED):
    """Return {split name: [tree Node, ...]} with disjoint sentences."""
    rng = random.Random(seed)
    total = sum(n for _, n in SPLITS)
    seen = set()
    trees = []
    while len(trees) < total:
        tree = sentence(rng)
        text = " ".join(tree.words())
        if text not in seen:
            seen.add(text)
            trees.append(tree)
    splits = {}
    start = 0
    for name, n in SPLITS:
        splits[name] = trees[start:start + n]
        start += n
    return splits


def main():
    out, seed = output_folder(__doc__, DEFAULT_OUT, SEED)
    for name, trees in build_splits(seed).items():
        path = out / f"{name}.txt"
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for tree in trees:
                f.write(tree.render() + "\n")
        print(f"wrote {len(trees)} trees to {path}")


if __name__ == "__main__":
    main()
