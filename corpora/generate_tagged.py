"""Generate rnntool's tagged corpus (corpora/tagged/), for `rnntool train tagger`.

All sentences come from hand-written word lists and sentence frames in this
file; the names of people, places and organisations are invented here from
syllables. Nothing is copied from other sources. Every token carries two
tags: a part of speech (a small Penn Treebank-like set: NNP, NN, NNS, VBD,
VBZ, VB, VBN, MD, DT, IN, TO, CC, JJ, CD, PRP, PRP$, WP, POS, "." and ",")
and a named-entity tag in the BIO scheme (B-PER, I-PER, B-LOC, I-LOC,
B-ORG, I-ORG, O).

What makes it worth a recurrent tagger:

- names are drawn from large invented sets, so dev and test hold many
  names training never saw; their spelling (capitals, endings such as
  -holm, -stad, -berg) and their context tell what they are;
- some words are both surnames and place names ("Lindholm"), and some
  place names start organisation names ("Lindholm Bank"): only the context
  ("in ...", "... said", "... Bank") decides the entity tag;
- some words are nouns in one frame and verbs in another ("report",
  "visit", "plans", "talks"): only the context decides the part of speech.

Output
------
- train.conll, dev.conll, test.conll (900 / 150 / 150 sentences): CoNLL
  columns, one token a line as `word POS NER`, a blank line after every
  sentence. rnntool reads the first column as the word and the last as
  the tag, so a tagger trained on these files tags named entities.
- pos.txt (1000 other sentences): one sentence a line of `word/POS` items,
  the slash format, for a part-of-speech tagger.

Regenerate with `python corpora/generate_tagged.py [--out DIR] [--seed N]` (default: tagged/
beside this script); the same seed gives byte-identical files.
"""

import random
from pathlib import Path

from generating import output_folder

# Settings

SEED = 20240702
DEFAULT_OUT = Path(__file__).resolve().parent / "tagged"
SPLITS = (("train", 900), ("dev", 150), ("test", 150))
POS_SENTENCES = 1000

# Word lists (all hand-written for this project)

FIRST_NAMES = ["Anna", "Tomas", "Ines", "Karl", "Mira", "Jonas", "Leila", "Oskar",
               "Rosa", "Viktor", "Hanna", "Emil", "Sara", "Nils", "Clara", "Paul",
               "Elin", "Marco", "Ida", "Felix", "Lena", "Aron", "Nora", "Hugo",
               "Alma", "Ruben", "Vera", "Theo", "Maja", "Otto", "Greta", "Jakob"]

# Surnames and place names are a stem and an ending; the stems are shared, and so
# are a few endings, so that some words are both ("Lindholm").
STEMS = ["Ber", "Hal", "Lind", "Mor", "Sten", "Dah", "Fal", "Gran", "Hol", "Kro",
         "Lun", "Nor", "Ros", "Sand", "Tor", "Wes", "Ek", "Bro", "Ahl", "Sol",
         "Kal", "Mar", "Sil", "Val", "Ald", "Bel", "Dun", "Fen", "Gil", "Hav",
         "Ost", "Ves", "Ask", "Rim", "Tal"]
SURNAME_ENDINGS = ["gren", "berg", "strom", "lund", "qvist", "man", "sen", "dal",
                   "ner", "ling", "holm", "vik"]
PLACE_ENDINGS = ["by", "ford", "mark", "stad", "ton", "haven", "vik", "holm",
                 "port", "field", "dal"]
PLACE_FRAMES = [(["{}"], 8), (["New", "{}"], 1), (["Port", "{}"], 1),
                (["{}", "Bay"], 1)]
ORG_FRAMES = [(["{place}", "Bank"], 3), (["Bank", "of", "{place}"], 2),
              (["{surname}", "Group"], 2), (["{place}", "Rail"], 2),
              (["{surname}", "Energy"], 2), (["{place}", "City", "Council"], 1),
              (["{surname}", "and", "Sons"], 1)]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBERS = ["two", "three", "five", "ten", "4", "7", "12", "15", "20", "40"]
YEARS = ["1998", "2003", "2011", "2015", "2019", "2021", "2024"]
ROLES = ["head", "director", "chairman", "spokeswoman", "treasurer", "founder"]
FACILITIES = ["office", "factory", "station", "branch", "school", "warehouse"]
FACILITIES_PLURAL = ["offices", "factories", "stations", "branches", "schools"]
TOPICS = ["budget", "merger", "strike", "election", "harvest", "bridge", "contract"]
ADJECTIVES = ["good", "weak", "strong", "late", "short", "useful", "poor", "long"]
PRONOUNS = ["she", "he", "they"]

# Sentence frames: `word/POS` items, and slots in capitals that the generator fills:
# PER, LOC and ORG (entities), DAY, NUM, YEAR, ROLE, FAC, FACS, TOPIC, ADJ, PRP.
FRAMES = [
    "PER visited/VBD LOC on/IN DAY ./.",
    "PER ,/, the/DT ROLE of/IN ORG ,/, said/VBD the/DT TOPIC was/VBD ADJ ./.",
    "ORG opened/VBD a/DT new/JJ FAC in/IN LOC ./.",
    "Shares/NNS of/IN ORG rose/VBD NUM percent/NN on/IN DAY ./.",
    "Shares/NNS of/IN ORG fell/VBD NUM percent/NN after/IN the/DT report/NN ./.",
    "PER joined/VBD ORG in/IN YEAR ./.",
    "PER and/CC PER met/VBD in/IN LOC to/TO discuss/VB the/DT TOPIC ./.",
    "PER said/VBD PRP would/MD travel/VB to/TO LOC next/JJ week/NN ./.",
    "The/DT mayor/NN of/IN LOC ,/, PER ,/, plans/VBZ a/DT visit/NN to/TO LOC ./.",
    "ORG plans/VBZ to/TO build/VB NUM new/JJ FACS near/IN LOC ./.",
    "Talks/NNS between/IN ORG and/CC ORG ended/VBD on/IN DAY ./.",
    "PER talks/VBZ to/TO reporters/NNS in/IN LOC every/DT DAY ./.",
    "A/DT storm/NN closed/VBD the/DT roads/NNS between/IN LOC and/CC LOC ./.",
    "PER ,/, who/WP lives/VBZ in/IN LOC ,/, won/VBD the/DT race/NN ./.",
    "The/DT report/NN by/IN ORG on/IN the/DT TOPIC was/VBD ADJ ./.",
    "PER will/MD report/VB to/TO PER at/IN ORG ./.",
    "Prices/NNS in/IN LOC rose/VBD by/IN NUM percent/NN in/IN YEAR ./.",
    "ORG hired/VBD PER as/IN its/PRP$ new/JJ ROLE ./.",
    "PER 's/POS visit/NN to/TO LOC was/VBD ADJ ./.",
    "Rain/NN is/VBZ expected/VBN in/IN LOC on/IN DAY ./.",
    "In/IN LOC ,/, ORG said/VBD sales/NNS were/VBD ADJ ./.",
    "The/DT train/NN from/IN LOC to/TO LOC was/VBD late/JJ ./.",
    "PER works/VBZ for/IN ORG in/IN LOC ./.",
    "PER visited/VBD PER in/IN LOC on/IN DAY ./.",
    "PER will/MD visit/VB LOC and/CC LOC in/IN YEAR ./.",
    "ORG reported/VBD a/DT ADJ year/NN ./.",
    "PER plans/VBZ to/TO leave/VB ORG ./.",
    "Police/NNS in/IN LOC said/VBD PER was/VBD safe/JJ ./.",
]

SLOT_WORDS = {"DAY": (DAYS, "NNP"), "NUM": (NUMBERS, "CD"), "YEAR": (YEARS, "CD"),
              "ROLE": (ROLES, "NN"), "FAC": (FACILITIES, "NN"),
              "FACS": (FACILITIES_PLURAL, "NNS"), "TOPIC": (TOPICS, "NN"),
              "ADJ": (ADJECTIVES, "JJ"), "PRP": (PRONOUNS, "PRP")}

# Names


def surname(rng):
    return rng.choice(STEMS) + rng.choice(SURNAME_ENDINGS)


def place_word(rng):
    return rng.choice(STEMS) + rng.choice(PLACE_ENDINGS)


def weighted(rng, frames):
    return rng.choices([f for f, _ in frames], [w for _, w in frames])[0]


def entity(words, kind):
    """(word, NNP, BIO tag) triples of a name of type ``kind``; the lower-case
    words inside organisation names ("of", "and") keep their own part of speech."""
    triples = []
    for i, word in enumerate(words):
        pos = {"of": "IN", "and": "CC"}.get(word, "NNP")
        triples.append((word, pos, ("B-" if i == 0 else "I-") + kind))
    return triples


def person(rng):
    if rng.random() < 0.25:
        return entity([surname(rng)], "PER")
    return entity([rng.choice(FIRST_NAMES), surname(rng)], "PER")


def location(rng):
    return entity([w.format(place_word(rng)) for w in weighted(rng, PLACE_FRAMES)], "LOC")


def organisation(rng):
    words = [w.format(place=place_word(rng), surname=surname(rng))
             for w in weighted(rng, ORG_FRAMES)]
    return entity(words, "ORG")


# Sentences

ENTITIES = {"PER": person, "LOC": location, "ORG": organisation}


def sentence(rng):
    """One sentence as a list of (word, POS, NER) triples."""
    triples = []
    for item in rng.choice(FRAMES).split():
        if item in ENTITIES:
            triples += ENTITIES[item](rng)
        elif item in SLOT_WORDS:
            words, pos = SLOT_WORDS[item]
            triples.append((rng.choice(words), pos, "O"))
        else:
            word, _, pos = item.rpartition("/")
            triples.append((word, pos, "O"))
    return triples


def sentences(rng, count, seen):
    """``count`` sentences whose text is not in ``seen`` (which they are added to)."""
    result = []
    while len(result) < count:
        triples = sentence(rng)
        text = " ".join(word for word, _, _ in triples)
        if text not in seen:
            seen.add(text)
            result.append(triples)
    return result


def main():
    out, seed = output_folder(__doc__, DEFAULT_OUT, SEED)
    rng = random.Random(seed)
    seen = set()
    for name, count in SPLITS:
        path = out / f"{name}.conll"
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for triples in sentences(rng, count, seen):
                f.writelines(f"{word} {pos} {ner}\n" for word, pos, ner in triples)
                f.write("\n")
        print(f"wrote {count} sentences to {path}")
    path = out / "pos.txt"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for triples in sentences(rng, POS_SENTENCES, seen):
            f.write(" ".join(f"{word}/{pos}" for word, pos, _ in triples) + "\n")
    print(f"wrote {POS_SENTENCES} sentences to {path}")


if __name__ == "__main__":
    main()
