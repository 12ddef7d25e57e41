"""Generate rnntool's default training corpus (corpora/default.txt).

All of the text is produced here, from hand-written word lists and a small
sentence grammar; nothing is copied from other sources. The output mixes a
few recurring formats (play scenes, letters, log records, recipes and diary
entries) so that a small character-level model learns visible structure
quickly: words, capital letters, punctuation and layout.

The output is deterministic: the same size gives byte-identical text.

Regenerate with:

    python corpora/generate_default.py

Options: an output path (default: default.txt next to this script) and
--size N, the approximate number of characters to write.
"""

import argparse
import random
import textwrap
from pathlib import Path

# ---------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------

SEED = 20240611
DEFAULT_SIZE = 500_000          # characters, approximately
WRAP_WIDTH = 72                 # longest line of running text
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "default.txt"

# Relative weight of each kind of section.
SECTION_WEIGHTS = {
    "play": 34,
    "letter": 20,
    "log": 14,
    "recipe": 14,
    "diary": 18,
}

# ---------------------------------------------------------------------------
# Word lists (all hand-written for this project)
# ---------------------------------------------------------------------------

NAMES = [
    "Tobin", "Margo", "Elsa", "Pell", "Rowan", "Ida", "Fenwick", "Nell",
    "Osric", "Bryony", "Hale", "Wren", "Corin", "Tamsin", "Ambrose", "Lark",
    "Dorrit", "Quill", "Maud", "Jasper", "Odile", "Brock", "Sable", "Linus",
    "Petra", "Gideon", "Hattie", "Emory", "Clove", "Zoë",
]

# Things, as (singular, plural).
THINGS = [
    ("lamp", "lamps"), ("kettle", "kettles"), ("basket", "baskets"),
    ("letter", "letters"), ("key", "keys"), ("boat", "boats"),
    ("window", "windows"), ("ladder", "ladders"), ("coat", "coats"),
    ("candle", "candles"), ("map", "maps"), ("bell", "bells"),
    ("rope", "ropes"), ("wheel", "wheels"), ("book", "books"),
    ("cup", "cups"), ("hat", "hats"), ("box", "boxes"), ("gate", "gates"),
    ("stone", "stones"), ("apple", "apples"), ("loaf", "loaves"),
    ("clock", "clocks"), ("coin", "coins"), ("blanket", "blankets"),
    ("pot", "pots"), ("spoon", "spoons"), ("knife", "knives"),
    ("chair", "chairs"), ("table", "tables"), ("shelf", "shelves"),
    ("parcel", "parcels"), ("ribbon", "ribbons"), ("bucket", "buckets"),
    ("cart", "carts"), ("sack", "sacks"), ("barrel", "barrels"),
    ("fence", "fences"), ("flower", "flowers"), ("shovel", "shovels"),
    ("brush", "brushes"), ("needle", "needles"), ("pillow", "pillows"),
    ("pencil", "pencils"), ("note", "notes"), ("list", "lists"),
    ("drawer", "drawers"), ("jar", "jars"), ("bottle", "bottles"),
    ("mirror", "mirrors"), ("whistle", "whistles"), ("kite", "kites"),
    ("fiddle", "fiddles"), ("drum", "drums"), ("engine", "engines"),
    ("pump", "pumps"), ("sail", "sails"), ("oar", "oars"), ("net", "nets"),
]

# Things of the mind, as (singular, plural); objects of VERBS_FEEL only.
IDEAS = [
    ("song", "songs"), ("story", "stories"), ("promise", "promises"),
    ("plan", "plans"), ("secret", "secrets"), ("question", "questions"),
    ("riddle", "riddles"), ("joke", "jokes"), ("rule", "rules"),
    ("dream", "dreams"), ("answer", "answers"), ("name", "names"),
]

# People and animals, as (singular, plural). Only these act in sentences.
CREATURES = [
    ("goat", "goats"), ("horse", "horses"), ("dog", "dogs"), ("cat", "cats"),
    ("bird", "birds"), ("sheep", "sheep"), ("child", "children"),
    ("neighbour", "neighbours"), ("stranger", "strangers"),
    ("farmer", "farmers"), ("baker", "bakers"), ("sailor", "sailors"),
    ("clerk", "clerks"), ("miller", "millers"), ("doctor", "doctors"),
    ("teacher", "teachers"), ("cousin", "cousins"), ("fisher", "fishers"),
    ("shepherd", "shepherds"), ("captain", "captains"), ("guard", "guards"),
    ("weaver", "weavers"), ("widow", "widows"), ("porter", "porters"),
]

# Places, used as "in the kitchen", "at the mill", "by the river" ...
PLACES = [
    ("in", "kitchen"), ("in", "cellar"), ("in", "attic"), ("in", "garden"),
    ("in", "orchard"), ("in", "barn"), ("in", "village"), ("in", "market"),
    ("in", "library"), ("in", "workshop"), ("in", "hall"), ("in", "yard"),
    ("at", "mill"), ("at", "harbour"), ("at", "station"), ("at", "inn"),
    ("at", "school"), ("at", "post office"), ("at", "bakery"),
    ("at", "lighthouse"), ("by", "river"), ("by", "well"), ("by", "gate"),
    ("by", "fire"), ("on", "bridge"), ("on", "hill"), ("on", "roof"),
    ("on", "pier"), ("near", "pond"), ("near", "wood"), ("under", "stairs"),
]

TIMES = [
    "at dawn", "at noon", "at dusk", "at midnight", "in the morning",
    "in the afternoon", "in the evening", "before supper", "after supper",
    "before breakfast", "after lunch", "on Monday", "on Tuesday",
    "on Wednesday", "on Thursday", "on Friday", "on Saturday", "on Sunday",
    "last night", "last week", "yesterday", "today", "this morning",
    "once the rain stopped", "before the bell rang", "when the tide came in",
]

FUTURE_TIMES = [
    "tomorrow", "next week", "on Sunday", "before winter", "after the fair",
    "in the spring", "tonight", "by Friday", "when the snow melts",
    "after the harvest", "before the boat leaves",
]

# Adjectives for things.
ADJECTIVES = [
    "old", "new", "small", "large", "heavy", "light", "broken", "shiny",
    "quiet", "noisy", "warm", "cold", "damp", "dry", "green", "blue", "red",
    "yellow", "brown", "grey", "white", "black", "golden", "silver",
    "wooden", "tiny", "tall", "narrow", "wide", "crooked", "clean", "dusty",
    "strange", "famous", "secret", "lost", "borrowed", "spare", "painted",
    "rusty", "soft", "bright", "dark", "sweet", "bitter", "simple", "odd",
    "little", "fine", "cracked", "round", "square", "long", "short",
]

# Adjectives for people and animals.
CHARACTER_ADJECTIVES = [
    "old", "young", "sleepy", "clever", "careful", "patient", "gentle",
    "stubborn", "brave", "cheerful", "lonely", "tired", "hungry", "proud",
    "honest", "kind", "grumpy", "shy", "busy", "famous", "tall", "little",
]

# Adjectives that make sense for a person ("She was ...").
MOODS = [
    "happy", "sad", "tired", "hungry", "worried", "glad", "cross", "calm",
    "busy", "late", "early", "ready", "sure", "certain", "curious",
    "restless", "pleased", "surprised", "cheerful", "quiet", "cold",
    "sleepy", "proud", "lonely", "patient",
]

ADVERBS = [
    "slowly", "quickly", "quietly", "loudly", "carefully", "gently",
    "happily", "sadly", "suddenly", "softly", "briskly", "calmly",
    "nervously", "proudly", "patiently", "cheerfully", "politely",
    "wearily", "eagerly", "badly", "well", "again", "at last", "twice",
]

# Transitive action verbs as (base, past); these also make commands.
VERBS_T = [
    ("carry", "carried"), ("find", "found"), ("lose", "lost"),
    ("mend", "mended"), ("paint", "painted"), ("open", "opened"),
    ("close", "closed"), ("fill", "filled"), ("empty", "emptied"),
    ("clean", "cleaned"), ("fix", "fixed"), ("break", "broke"),
    ("sell", "sold"), ("buy", "bought"), ("borrow", "borrowed"),
    ("lend", "lent"), ("bring", "brought"), ("take", "took"),
    ("hide", "hid"), ("keep", "kept"), ("count", "counted"),
    ("lift", "lifted"),
    ("drop", "dropped"), ("pack", "packed"), ("wrap", "wrapped"),
    ("polish", "polished"), ("fetch", "fetched"), ("wash", "washed"),
    ("read", "read"),
    ("write", "wrote"), ("draw", "drew"), ("build", "built"),
    ("light", "lit"), ("ring", "rang"), ("push", "pushed"),
    ("pull", "pulled"), ("check", "checked"), ("move", "moved"),
    ("sort", "sorted"), ("tie", "tied"), ("weigh", "weighed"),
]

# Transitive verbs of thought and feeling; statements only.
VERBS_FEEL = [
    ("forget", "forgot"), ("remember", "remembered"), ("need", "needed"),
    ("want", "wanted"), ("like", "liked"), ("see", "saw"), ("hear", "heard"),
    ("miss", "missed"), ("admire", "admired"), ("notice", "noticed"),
]

# Verbs whose object is a person or an animal, as (base, past).
VERBS_PEOPLE = [
    ("call", "called"), ("follow", "followed"), ("watch", "watched"),
    ("feed", "fed"), ("help", "helped"), ("meet", "met"),
    ("visit", "visited"), ("thank", "thanked"), ("greet", "greeted"),
    ("wake", "woke"), ("teach", "taught"), ("chase", "chased"),
]

# Intransitive verbs as (base, past).
VERBS_I = [
    ("sleep", "slept"), ("laugh", "laughed"), ("wait", "waited"),
    ("sing", "sang"), ("whistle", "whistled"), ("work", "worked"),
    ("rest", "rested"), ("walk", "walked"), ("run", "ran"),
    ("sit", "sat"), ("stand", "stood"), ("listen", "listened"),
    ("cook", "cooked"), ("read", "read"), ("write", "wrote"),
    ("dance", "danced"), ("shout", "shouted"), ("sigh", "sighed"),
    ("smile", "smiled"), ("argue", "argued"), ("arrive", "arrived"),
    ("leave", "left"), ("stay", "stayed"), ("hurry", "hurried"),
    ("knock", "knocked"), ("row", "rowed"), ("swim", "swam"),
    ("climb", "climbed"), ("pray", "prayed"), ("think", "thought"),
]

# Weather and small facts for letters and diaries.
WEATHER = [
    "It rained all day.", "The wind blew hard from the sea.",
    "The sky was clear and the air was cold.", "Fog sat on the river.",
    "It was warm, and the bees were busy.", "Snow fell in the night.",
    "The sun came out after lunch.", "A storm rolled in from the hills.",
    "There was frost on every window.", "The morning was grey and still.",
]

OPENINGS = [
    "Thank you for your last letter.", "I hope you are well.",
    "I am sorry it has taken me so long to write.",
    "Your parcel arrived on Tuesday.", "We all miss you here.",
    "I have some news at last.", "Things are quiet in the village.",
]

CLOSINGS = [
    "Yours truly,", "With love,", "Your friend,", "Best wishes,",
    "Warmly,", "Yours ever,", "In haste,", "Write soon,",
]

STAGE_DIRECTIONS = [
    "[Enter {a}, carrying {an}.]", "[Enter {a} and {b}.]",
    "[{a} sits down by the {n}.]", "[{a} crosses to the window.]",
    "[A bell rings outside.]", "[{a} and {b} look at the {n}.]",
    "[{a} laughs.]", "[Pause.]", "[{a} picks up the {n}.]",
    "[Knocking at the door.]", "[{b} turns away.]",
]

PLAY_PLACES = [
    "A kitchen in the old mill.", "The harbour, early morning.",
    "A room above the bakery.", "The village square on market day.",
    "A garden behind the inn.", "The lighthouse, at night.",
    "The station platform. Rain.", "A small library. Evening.",
    "The workshop, full of tools.", "A bridge over the river.",
]

# Log records.
LOG_LEVELS = ["INFO"] * 6 + ["DEBUG"] * 2 + ["WARN"] * 2 + ["ERROR"]
LOG_COMPONENTS = [
    "mill.pump", "mill.wheel", "harbour.gate", "lamp.tower", "store.cellar",
    "bakery.oven", "post.sorter", "school.bell", "farm.silo", "net.radio",
]
LOG_MESSAGES = {
    "INFO": [
        "started {thing} {n}", "stopped {thing} {n}",
        "checked {thing} {n}: ok", "level is {v} cm",
        "temperature is {t} C", "opened valve {n}", "closed valve {n}",
        "counted {v} sacks", "delivered {n} parcels", "rang bell {n} times",
    ],
    "DEBUG": [
        "reading sensor {n}: {v}", "cache hit for {thing} {n}",
        "retry {n} of 9", "queue length {v}", "tick {v}",
    ],
    "WARN": [
        "{thing} {n} is running hot ({t} C)", "level is low ({v} cm)",
        "slow reply from {thing} {n}", "door {n} left open",
        "battery at {n}0 percent",
    ],
    "ERROR": [
        "{thing} {n} did not start", "lost contact with {thing} {n}",
        "valve {n} is stuck", "sensor {n} returned no data",
    ],
}
LOG_THINGS = ["pump", "motor", "lamp", "fan", "gate", "oven", "belt", "valve"]

# Recipes.
DISHES = [
    "Soup", "Stew", "Bread", "Pie", "Cake", "Porridge", "Pancakes",
    "Biscuits", "Salad", "Tart", "Pudding", "Buns", "Fritters",
]
DISH_WORDS = [
    "Barley", "Onion", "Apple", "Pumpkin", "Carrot", "Honey", "Oat",
    "Leek", "Bean", "Pear", "Plum", "Potato", "Turnip", "Mushroom",
    "Cheese", "Lentil", "Cabbage", "Ginger", "Walnut", "Harbour", "Miller's",
]
# Ingredients by kind: (names, units as (singular, plural)).
INGREDIENTS = {
    "produce": (
        ["onions", "carrots", "apples", "leeks", "potatoes", "pears", "plums",
         "mushrooms", "turnips", "beans", "cabbages", "parsnips"],
        [("pound", "pounds"), ("handful", "handfuls")],
    ),
    "dry": (
        ["flour", "sugar", "oats", "barley", "lentils", "raisins", "walnuts",
         "ginger", "rice", "breadcrumbs"],
        [("cup", "cups"), ("spoon", "spoons"), ("handful", "handfuls")],
    ),
    "liquid": (
        ["milk", "water", "stock", "cream", "cider"],
        [("cup", "cups"), ("jug", "jugs")],
    ),
    "fat": (
        ["butter", "cheese", "lard", "dripping"],
        [("spoon", "spoons"), ("pound", "pounds"), ("slice", "slices")],
    ),
}

# Method steps in three stages; each recipe takes one to three from each.
STEPS_START = [
    "Heat the oven to {c} °C.",
    "Wash the {produce} and cut them small.",
    "Peel the {produce} and slice them thin.",
    "Weigh out the {dry} and set it aside.",
    "Grease a deep dish with a little {fat}.",
]
STEPS_MIDDLE = [
    "Melt the {fat} in a heavy pot.",
    "Stir in the {produce} and cook for {m} minutes.",
    "Mix the {dry} and the {fat} in a large bowl.",
    "Pour in the {liquid} slowly, stirring all the time.",
    "Bring the pot to the boil, then lower the heat.",
    "Add a pinch of salt and a little pepper.",
    "Fold in the {produce} and the {dry}.",
    "Roll the dough thin and cut it into rounds.",
    "Bake for {m} minutes, until golden.",
    "Simmer for {m} minutes with the lid on.",
]
STEPS_END = [
    "Let it rest for {m} minutes under a cloth.",
    "Serve warm, with bread and butter.",
    "Taste it, and add more {dry} if you like.",
    "Cover the pot and leave it by the fire.",
    "Serve with a strong café noir.",
    "Keep what is left in a cool place.",
]

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
        "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]

# ---------------------------------------------------------------------------
# Grammar
# ---------------------------------------------------------------------------


def third_person(verb):
    """Return the he/she form of a base verb: walk -> walks, carry -> carries."""
    if verb.endswith(("s", "sh", "ch", "x", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def noun_phrase(rng, definite=None, creature=False):
    """A phrase like 'the old lamp', 'a kettle' or 'three spoons'."""
    if creature:
        singular, plural = rng.choice(CREATURES)
        adjective = rng.choice(CHARACTER_ADJECTIVES)
    else:
        singular, plural = rng.choice(THINGS)
        adjective = rng.choice(ADJECTIVES)
    adjective = adjective + " " if rng.random() < 0.4 else ""
    roll = rng.random()
    if definite or (definite is None and roll < 0.5):
        return "the " + adjective + singular
    if roll < 0.8:
        phrase = adjective + singular
        return article(phrase) + " " + phrase
    count = rng.choice(["two", "three", "four", "some", "many", "a few"])
    return count + " " + adjective + plural


def person(rng):
    if rng.random() < 0.5:
        return rng.choice(NAMES)
    return noun_phrase(rng, creature=True)


def verb_and_object(rng):
    """Return (base, past, object) with an object that suits the verb."""
    roll = rng.random()
    if roll < 0.6:
        base, past = rng.choice(VERBS_T)
        return base, past, noun_phrase(rng)
    if roll < 0.8:
        base, past = rng.choice(VERBS_PEOPLE)
        return base, past, person(rng)
    base, past = rng.choice(VERBS_FEEL)
    kind = rng.random()
    if kind < 0.4:
        thing = noun_phrase(rng)
    elif kind < 0.7:
        singular, plural = rng.choice(IDEAS)
        thing = rng.choice(["the " + singular, "the " + plural,
                            article(singular) + " " + singular])
    else:
        thing = person(rng)
    return base, past, thing


def place(rng):
    prep, where = rng.choice(PLACES)
    return prep + " the " + where


def subject(rng, speaker_view=False):
    """Return (text, kind); kind is 'he' (third singular), 'I' or 'they'."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NAMES), "he"
    if roll < 0.55:
        return noun_phrase(rng, definite=True, creature=True), "he"
    pronouns = [("he", "he"), ("she", "he"), ("they", "they"),
                ("we", "they")]
    if speaker_view:
        pronouns += [("I", "I"), ("I", "I"), ("you", "they")]
    return rng.choice(pronouns)


def past_sentence(rng, speaker_view=False):
    """A simple past-tense statement for narration."""
    subj, kind = subject(rng, speaker_view)
    form = rng.random()
    if form < 0.45:
        _, verb, thing = verb_and_object(rng)
        core = f"{subj} {verb} {thing}"
    elif form < 0.75:
        verb = rng.choice(VERBS_I)[1]
        core = f"{subj} {verb}"
        if rng.random() < 0.5:
            core += " " + rng.choice(ADVERBS)
    else:
        be = "were" if kind == "they" else "was"
        core = f"{subj} {be} {rng.choice(MOODS)}"
    if rng.random() < 0.5:
        core += " " + place(rng)
    if rng.random() < 0.3:
        core += " " + rng.choice(TIMES)
    return capitalize(core) + "."


def present_sentence(rng):
    """A present-tense statement, as said aloud by a character."""
    subj, kind = subject(rng, speaker_view=True)
    form = rng.random()
    if form < 0.4:
        base, _, thing = verb_and_object(rng)
        verb = third_person(base) if kind == "he" else base
        core = f"{subj} {verb} {thing}"
    elif form < 0.65:
        base = rng.choice(VERBS_I)[0]
        verb = third_person(base) if kind == "he" else base
        core = f"{subj} {verb} {rng.choice(ADVERBS)}"
    else:
        if subj == "I":
            be = "am"
        else:
            be = "are" if kind == "they" else "is"
        core = f"{subj} {be} {rng.choice(MOODS)}"
    if rng.random() < 0.4:
        core += " " + place(rng)
    return capitalize(core) + "."


def question(rng):
    templates = [
        "Where is the {n}?",
        "Did you {vt} the {n}?",
        "Do you {vf} the {i}?",
        "Did you {vp} the {c}?",
        "Where has the {c} gone?",
        "Who left the {n} {p}?",
        "Why did {name} {vi} {t}?",
        "Have you seen my {adj} {n}?",
        "Will you {vt} the {n} {ft}?",
        "Is {name} still {p}?",
        "What shall we do with the {n}?",
        "Can you hear the {c}?",
    ]
    return fill(rng, rng.choice(templates))


def command(rng):
    templates = [
        "{Vt} the {n} {ft}.",
        "Bring me the {adj} {n}.",
        "Please {vt} the {n} before you go.",
        "Wait for me {p}.",
        "Do not {vt} the {n} again.",
        "Go and tell {name}.",
        "Please {vp} {name} {ft}.",
        "Leave the {n} {p}.",
    ]
    return fill(rng, rng.choice(templates))


def exclamation(rng):
    templates = [
        "What a {adj} {n}!", "Oh, {name}!", "Not again!", "Look at the {n}!",
        "Well, well.", "Of course!", "No, no, no.", "Yes, at last!",
        "Quiet, all of you!",
    ]
    return fill(rng, rng.choice(templates))


def fill(rng, template):
    vt = rng.choice(VERBS_T)[0]
    return template.format(
        n=rng.choice(THINGS)[0],
        adj=rng.choice(ADJECTIVES),
        vt=vt,
        vf=rng.choice(VERBS_FEEL)[0],
        vp=rng.choice(VERBS_PEOPLE)[0],
        i=rng.choice(IDEAS)[0],
        c=rng.choice(CREATURES)[0],
        Vt=capitalize(vt),
        vi=rng.choice(VERBS_I)[0],
        name=rng.choice(NAMES),
        p=place(rng),
        t=rng.choice(TIMES),
        ft=rng.choice(FUTURE_TIMES),
    )


def compound(rng, make):
    """Join two sentences with 'and', 'but' or 'so'."""
    first = make(rng)[:-1]
    second = make(rng)
    joiner = rng.choice(["and", "but", "so"])
    first_word = second.split()[0]
    if first_word != "I" and first_word not in NAMES:
        second = second[0].lower() + second[1:]
    return f"{first}, {joiner} {second}"


def speech(rng):
    """One or more spoken sentences."""
    parts = []
    for _ in range(rng.choice([1, 1, 2, 2, 3])):
        roll = rng.random()
        if roll < 0.35:
            parts.append(present_sentence(rng))
        elif roll < 0.55:
            parts.append(question(rng))
        elif roll < 0.7:
            parts.append(command(rng))
        elif roll < 0.8:
            parts.append(exclamation(rng))
        elif roll < 0.9:
            parts.append(compound(rng, present_sentence))
        else:
            parts.append(past_sentence(rng))
    return " ".join(parts)


def paragraph(rng, count):
    """Past-tense narration, as written by someone about their own day."""
    def make(rng):
        return past_sentence(rng, speaker_view=True)

    sentences = []
    for _ in range(count):
        if rng.random() < 0.25:
            sentences.append(compound(rng, make))
        else:
            sentences.append(make(rng))
    return " ".join(sentences)


def capitalize(text):
    return text[0].upper() + text[1:]


def wrap(text):
    return "\n".join(textwrap.wrap(text, WRAP_WIDTH))


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def make_play(rng, state):
    state["scene"] += 1
    cast = rng.sample(NAMES, rng.choice([2, 2, 3, 4]))
    lines = [f"SCENE {state['scene']}. {rng.choice(PLAY_PLACES)}", ""]
    speaker = None
    for _ in range(rng.randint(5, 12)):
        speaker = rng.choice([name for name in cast if name != speaker])
        if rng.random() < 0.15:
            other = rng.choice([name for name in cast if name != speaker])
            noun = rng.choice(THINGS)[0]
            direction = rng.choice(STAGE_DIRECTIONS).format(
                a=speaker.upper(), b=other.upper(), n=noun,
                an=article(noun) + " " + noun)
            lines += [direction, ""]
        lines += [speaker.upper() + ":", wrap(speech(rng)), ""]
    if rng.random() < 0.3:
        lines += [f"[Exit {speaker.upper()}.]", ""]
    return "\n".join(lines)


def make_letter(rng, state):
    writer, reader, friend = rng.sample(NAMES, 3)
    date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"
    body = [
        rng.choice(OPENINGS) + " " + rng.choice(WEATHER) + " "
        + paragraph(rng, rng.randint(1, 3)),
    ]
    for _ in range(rng.randint(1, 2)):
        body.append(paragraph(rng, rng.randint(2, 4)))
    body.append(f"Please give my love to {friend}. "
                f"I will write again {rng.choice(FUTURE_TIMES)}.")
    lines = [date, "", f"Dear {reader},", ""]
    for text in body:
        lines += [wrap(text), ""]
    lines += [rng.choice(CLOSINGS), writer, ""]
    return "\n".join(lines)


def make_log(rng, state):
    lines = []
    for _ in range(rng.randint(6, 14)):
        state["clock"] += rng.randint(1, 900)
        seconds = state["clock"]
        day = 1 + seconds // 86400 % 28
        stamp = (f"2031-{state['month']:02d}-{day:02d} "
                 f"{seconds // 3600 % 24:02d}:{seconds // 60 % 60:02d}:"
                 f"{seconds % 60:02d}")
        level = rng.choice(LOG_LEVELS)
        message = rng.choice(LOG_MESSAGES[level]).format(
            thing=rng.choice(LOG_THINGS), n=rng.randint(1, 9),
            v=rng.randint(10, 400), t=rng.randint(20, 95))
        lines.append(f"{stamp} {level:<5} {rng.choice(LOG_COMPONENTS)}: "
                     f"{message}")
    if state["clock"] > 27 * 86400:
        state["clock"] = 0
        state["month"] = state["month"] % 12 + 1
    return "\n".join(lines) + "\n"


def make_recipe(rng, state):
    title = f"{rng.choice(DISH_WORDS)} {rng.choice(DISHES)}"
    lines = [f"RECIPE: {title}", f"Serves {rng.randint(2, 8)}.", "",
             "Ingredients:"]
    chosen = {}
    for kind, (names, units) in INGREDIENTS.items():
        picks = rng.sample(names, 2 if rng.random() < 0.3 else 1)
        chosen[kind] = picks
        for item in picks:
            amount = rng.randint(1, 6)
            unit = rng.choice(units)[0 if amount == 1 else 1]
            lines.append(f"- {amount} {unit} of {item}")
    lines += ["", "Method:"]
    steps = []
    for stage in (STEPS_START, STEPS_MIDDLE, STEPS_END):
        picked = rng.sample(stage, rng.choice([1, 2, 2, 3]))
        steps += sorted(picked, key=stage.index)
    for number, step in enumerate(steps, 1):
        words = {kind: rng.choice(picks) for kind, picks in chosen.items()}
        text = step.format(m=rng.choice([5, 10, 15, 20, 30, 45]),
                           c=rng.choice([160, 180, 200, 220]), **words)
        lines.append(f"{number}. {text}")
    lines.append("")
    return "\n".join(lines)


def make_diary(rng, state):
    day = rng.choice(DAYS)
    date = f"{rng.randint(1, 28)} {rng.choice(MONTHS)}"
    lines = [f"{day}, {date}.", ""]
    first = rng.choice(WEATHER) + " " + paragraph(rng, rng.randint(2, 4))
    lines += [wrap(first), ""]
    if rng.random() < 0.5:
        lines += [wrap(paragraph(rng, rng.randint(2, 3))), ""]
    return "\n".join(lines)


MAKERS = {
    "play": make_play,
    "letter": make_letter,
    "log": make_log,
    "recipe": make_recipe,
    "diary": make_diary,
}


def generate(size, seed=SEED):
    """Return about `size` characters of corpus text."""
    rng = random.Random(seed)
    state = {"scene": 0, "clock": 0, "month": 1}
    kinds = list(SECTION_WEIGHTS)
    weights = [SECTION_WEIGHTS[k] for k in kinds]
    sections = []
    total = 0
    while total < size:
        kind = rng.choices(kinds, weights)[0]
        text = MAKERS[kind](rng, state).rstrip("\n") + "\n"
        sections.append(text)
        total += len(text) + 1
    return "\n".join(sections)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", default=str(DEFAULT_OUTPUT),
                        help="where to write the corpus "
                             "(default: default.txt next to this script)")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE,
                        help="approximate size in characters "
                             "(default: %(default)s)")
    args = parser.parse_args()
    text = generate(args.size)
    with open(args.output, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    print(f"wrote {len(text)} characters to {args.output}")


if __name__ == "__main__":
    main()
