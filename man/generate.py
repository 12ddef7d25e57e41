"""Generate the man pages (roff ``man(7)``, section 1) from the click command definitions.

Every command in the ``rnntool`` click tree gets one page, ``rnntool-<path>.1`` (the root is
``rnntool.1``), built from click's own objects: usage pieces, help text, epilog examples and
parameters. What click does not know -- environment variables and the files each command
reads or writes -- is kept in the small tables below. The output carries the package
version instead of a date, so it is deterministic and can be committed and checked::

    python3 man/generate.py man/            # regenerate every page
    python3 man/generate.py --check man/    # exit 1, listing stale pages

A development tool kept beside the pages, not part of the installed package: rnntool never
imports it (tests/test_man.py loads it by path). No torch or numpy here; only click and the
command definitions are imported.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
import textwrap
from typing import Iterator, Sequence

import click

if __name__ == "__main__":  # run as a script: document the rnntool of this checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rnntool import __version__
from rnntool.cli.common import EXIT_STATUS
from rnntool.files import write_text_atomic

ROOT_NAME = "rnntool"
SECTION = "1"

# Environment variables rnntool (or the libraries it drives) reads: (name, description).
ENVIRONMENT: list[tuple[str, str]] = [
    ("RNNTOOL_<COMMAND>_<OPTION>",
     "Every option's value can also come from the environment: the command path and the "
     "long option name in capitals, with underscores for spaces and hyphens, e.g. "
     "RNNTOOL_TRAIN_CHARLM_HIDDEN=512 or RNNTOOL_SAMPLE_TEMPERATURE=0.8; --help names each "
     "one. A value on the command line wins over the environment, the environment over "
     "the default. Flags take 1/true/yes or 0/false/no."),
    ("RNNTOOL_PLAIN_PROGRESS",
     "If set, non-empty and not 0: report progress as plain periodic lines on stderr, even "
     "when stderr is a terminal (without a terminal that is the default)."),
    ("RNNTOOL_LOG_INTERVAL",
     "Seconds between plain progress lines (default 10)."),
    ("NO_COLOR",
     "If set, progress bars and messages use no colour (honoured by the rich library)."),
    ("TMPDIR",
     "Directory for temporary files: the training text (from files or standard input) is "
     "read once and encoded to a temporary id array there, which training then reads."),
    ("OMP_NUM_THREADS",
     "Fixes the number of CPU threads torch uses, as --threads N does (default: one thread "
     "or all cores, whichever is faster, timed as the work goes and again when the "
     "machine's load changes)."),
]

_METRICS_FILE = (
    "CKPT.metrics.jsonl",
    "The run's metrics beside the checkpoint, JSON Lines: one object a line with an "
    "`event` of start, train (every --log-every steps: step, epoch, loss, lr, elapsed, "
    "throughput), validation (step, epoch, elapsed, the validation figures, best) or end "
    "(step, elapsed, status). Appended and flushed line by line; a resumed run first drops "
    "the records after the step it resumes from. `rnntool report` reads it.")

# Files each command reads or writes, keyed by command path (without the root name):
# (tag, description). Keep these true to rnntool/vocab.py and rnntool/checkpoint.py.
_VOCAB_FORMAT = (
    "A vocabulary file is UTF-8 text. Line 1 is `#rnntool-vocab 1`; comment lines "
    "starting with `#` follow (`# level: char` or `word`, `# lowercase: yes` or `no`, "
    "and at word level `# tokenizer: NAME`). Then one token a line: id, count and token "
    "separated by tabs, ids counting from 0. The reserved tokens come first (<pad> and "
    "<unk>, and <s> and </s> at word level), their count marked `*` (`*N` for </s>, "
    "which counts line ends). Tokens are spelled with "
    "backslash escapes so that any character round-trips: `\\\\` (backslash), `\\s` "
    "(space), `\\t`, `\\n`, `\\r`, and `\\xHH`, `\\uHHHH` or `\\UHHHHHHHH` for other "
    "non-printable characters.")
_IDS_FORMAT = (
    "An encoded corpus: a one-dimensional NumPy .npy array of token ids, of the smallest "
    "unsigned integer type that holds every id of the vocabulary (uint8, uint16, uint32 "
    "or uint64). It is only valid together with the vocabulary it was encoded with.")


def _ckpt_format(kind: str) -> str:
    """What a checkpoint of the model kind ``kind`` is."""
    return (
        "A checkpoint: one self-contained file written with torch.save and read only with "
        "torch.load(weights_only=True), so loading it never runs code from the file. It is a "
        "plain dictionary: format (`rnntool-checkpoint`), format version (1), model kind "
        f"(`{kind}`), the rnntool version that wrote it, the model (configuration and "
        "weights), the vocabulary, and the training state (settings, step, epoch, loss "
        "history, optimizer and random number generator state).")


FILES: dict[tuple[str, ...], list[tuple[str, str]]] = {
    ("vocab",): [
        ("FILE (-o, --output)",
         _VOCAB_FORMAT + " Written atomically: to a temporary file beside the target, "
                         "then renamed."),
        ("IDS.npy (--encode)",
         _IDS_FORMAT + " `rnntool train charlm --data` memory-maps it."),
    ],
    ("train", "charlm"): [
        ("CKPT (-o, --output)",
         _ckpt_format("charlm") + " It is rewritten atomically (temporary file beside it, "
         "then rename) whenever the validation loss improves, so it always holds the best "
         "model so far; with --val-frac 0 the final model is written at the end."),
        ("FILE (--vocab)",
         "A character-level vocabulary file, as written by `rnntool vocab`."),
        ("IDS.npy (--data)",
         _IDS_FORMAT + " Written by `rnntool vocab --encode`; memory-mapped read-only."),
        _METRICS_FILE,
    ],
    ("parse",): [
        ("FILES",
         "One item a line: a bracketed tree, e.g. `(3 (2 not) (3 good))` or "
         "`(S (NP (DT the) (NN cat)) (VP (VBD sat)))`, labels optional, or a raw sentence."),
        ("FILE (--grammar)",
         "A context-free grammar in NLTK's notation, one or more rules a line: "
         "`S -> NP VP`, `NP -> 'the' N | N`, optionally with probabilities in brackets "
         "(`[0.7]`) that sum to 1 for each left-hand side."),
        ("FILE (--treebank)",
         "Bracketed trees, one a line, from which a probabilistic grammar is induced."),
        ("standard output",
         "One binary tree a line in bracket notation (or drawings with --output pretty), "
         "line for line with the input."),
    ],
    ("train", "tree"): [
        ("TRAIN, FILE (--dev)",
         "Bracketed trees, one a line, as `rnntool parse` writes them; node labels that are "
         "class ids (0, 1, 2, ...) are supervised."),
        ("FILE (--embeddings)",
         "Word vectors in word2vec/GloVe text format: a word and its numbers a line, "
         "separated by spaces; a first line `COUNT DIM` is skipped."),
        ("CKPT (-o, --output)",
         _ckpt_format("tree") + " Rewritten atomically whenever "
         "the development root accuracy improves; without --dev, written at the end."),
        _METRICS_FILE,
    ],
    ("train", "sentiment"): [
        ("CKPT (-o, --output)",
         _ckpt_format("sentiment") + " Rewritten atomically "
         "whenever the development accuracy improves; without --dev, written at the end."),
        _METRICS_FILE,
    ],
    ("train", "wordlm"): [
        ("CKPT (-o, --output)",
         _ckpt_format("wordlm") + " Rewritten atomically whenever "
         "the validation loss improves."),
        ("FILE (--vocab)",
         "A word-level vocabulary file, as written by `rnntool vocab --level word`."),
        ("IDS.npy (--data)",
         _IDS_FORMAT + " Written by `rnntool vocab --level word --encode`; memory-mapped."),
        _METRICS_FILE,
    ],
    ("train", "tagger"): [
        ("FILES, FILE (--dev)",
         "Tagged sentences: CoNLL columns (a token a line, the token first and its tag last, "
         "a blank line between sentences, `-DOCSTART-` lines and `# ` comments skipped), or "
         "a sentence a line of word/TAG items split at the last `/`."),
        ("CKPT (-o, --output)",
         _ckpt_format("tagger") + " It also holds the tags and the "
         "character vocabulary."),
        _METRICS_FILE,
    ],
    ("train", "forecast"): [
        ("FILES",
         "A numeric series: one time step a line, numbers in columns separated by commas or "
         "whitespace, an optional first line of column names; blank lines and lines "
         "starting with `#` skipped. Every value must be a finite number."),
        ("CKPT (-o, --output)",
         _ckpt_format("forecast") + " It also holds the column "
         "layout and the standardization statistics."),
        _METRICS_FILE,
    ],
    ("info",): [
        ("CKPT", "A checkpoint written by any `rnntool train` command."),
        ("standard output",
         "Text, or with --json one JSON object: checkpoint, kind, format_version, rnntool, "
         "size_bytes, model (config, parameters), vocabulary (level, size, lowercase, "
         "tokenizer), labels, classes, training (steps, epoch, elapsed_seconds, seen, "
         "seen_unit, best: metric, value, step, higher_is_better; resumable), settings, "
         "command, metrics_file."),
    ],
    ("report",): [
        _METRICS_FILE,
        ("standard output",
         "A table and text charts, or with --json a list with one object per run: run, "
         "kind, status, parts, steps, epoch, elapsed_seconds, final_loss, best (metric, "
         "value, step), last_validation, throughput, throughput_unit, settings."),
    ],
    ("predict",): [
        ("CKPT", "A checkpoint written by `rnntool train tree`, `train sentiment`, `train "
                 "tagger` or `train forecast`."),
        ("FILES",
         "For a tree model or sentence classifier, one item a line: a bracketed tree (its "
         "labels are ignored) or a raw sentence (or a tsv or fastText line); for a tagger, "
         "sentences as raw text, CoNLL or word/TAG; for a forecaster, a series."),
    ],
    ("eval",): [
        ("CKPT",
         "A checkpoint written by any `rnntool train` command; its kind decides what FILE "
         "must hold."),
        ("FILE",
         "For a tree model, labelled bracketed trees, one a line; for a sentence "
         "classifier, labelled lines (label<TAB>text, __label__X text or labelled trees); "
         "for a language model, text; for a tagger, tagged sentences (CoNLL or word/TAG); "
         "for a forecaster, a series."),
    ],
    ("sample",): [
        ("CKPT",
         _ckpt_format("charlm") + " `rnntool sample` needs a language model (kind charlm or "
         "wordlm) of format version 1, as written by `rnntool train charlm` or `train "
         "wordlm`; anything else is refused with a one-line error."),
    ],
}

# Related pages beyond the parent/children links, keyed by command path (without the root).
# Only those that exist in the command tree are listed.
RELATED: dict[tuple[str, ...], list[tuple[str, ...]]] = {
    ("vocab",): [("train", "charlm")],
    ("train", "charlm"): [("vocab",), ("sample",)],
    ("sample",): [("train", "charlm"), ("train", "wordlm")],
    ("train", "wordlm"): [("vocab",), ("sample",)],
    ("train", "tagger"): [("predict",), ("eval",)],
    ("train", "forecast"): [("predict",), ("eval",)],
    ("info",): [("report",)],
    ("report",): [("info",)],
}


# --- roff escaping ----------------------------------------------------------------------

_CHAR_ESCAPES = {"\\": "\\e", "'": "\\(aq", "`": "\\(ga", "~": "\\(ti", "^": "\\(ha"}


def _char(ch: str) -> str:
    """One character of text: roff specials escaped, non-ASCII as a named code point,
    control characters (click's markers) dropped."""
    if ch in _CHAR_ESCAPES:
        return _CHAR_ESCAPES[ch]
    if ord(ch) > 126 or (ord(ch) < 32 and ch != "\t"):
        code = ord(ch)
        return f"\\[u{code:04X}]" if code > 126 else ""
    return ch


def escape_code(text: str) -> str:
    """Literal text (options, commands, file names): every hyphen is a minus (``\\-``)."""
    return "".join("\\-" if ch == "-" else _char(ch) for ch in text.expandtabs(8))


def escape_text(text: str) -> str:
    """Prose: a hyphen right after a letter or digit stays a hyphen; others become ``\\-``."""
    out = []
    for i, ch in enumerate(text):
        if ch == "-":
            out.append("-" if i and (text[i - 1].isalnum()) else "\\-")
        else:
            out.append(_char(ch))
    return "".join(out)


def _line(text: str) -> str:
    """An escaped text line that roff will not take for a request (leading . or ')."""
    return "\\&" + text if text.startswith((".", "'")) else text


def _bold(text: str) -> str:
    return f"\\fB{escape_code(text)}\\fR"


def _italic(text: str) -> str:
    return f"\\fI{escape_code(text)}\\fR"


_OPTION_TOKEN = r"(?<![\w-])--?[A-Za-z][\w-]*(?<!-)"


def markup(text: str, names: Sequence[str] = ()) -> str:
    """Escape prose; `code` spans and option names become bold, ``names`` (metavars) italic."""
    alternatives = [r"`(?P<code>[^`\n]+)`", rf"(?P<option>{_OPTION_TOKEN})"]
    if names:
        words = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        alternatives.append(rf"(?<![\w-])(?P<name>{words})(?![\w-])")
    pattern = re.compile("|".join(alternatives))
    out, pos = [], 0
    for match in pattern.finditer(text):
        out.append(escape_text(text[pos:match.start()]))
        if match.group("code") is not None:  # kept on one output line
            out.append(_bold(match.group("code")).replace(" ", "\\ "))
        elif match.group("option") is not None:
            out.append(_bold(match.group("option")))
        else:
            out.append(_italic(match.group("name")))
        pos = match.end()
    out.append(escape_text(text[pos:]))
    return "".join(out)


def _prose(lines: Sequence[str], names: Sequence[str] = ()) -> list[str]:
    """Filled text: one roff line per source line, stripped."""
    return [_line(markup(line.strip(), names)) for line in lines if line.strip()]


def _prose_of(text: str | None, names: Sequence[str] = ()) -> list[str]:
    """Filled text from a help string or docstring (indentation cleaned, click's \\f cut)."""
    return _prose(_clean(text).split("\n"), names)


def _verbatim(lines: Sequence[str]) -> list[str]:
    """A no-fill block, indented, with every line kept as it is."""
    body = textwrap.dedent("\n".join(line.rstrip() for line in lines)).split("\n")
    while body and not body[-1]:
        body.pop()
    while body and not body[0]:
        body.pop(0)
    out = [".PP", ".RS 4", ".nf"]
    out += [_line(escape_code(line)) if line else ".sp" for line in body]
    return out + [".fi", ".RE"]


# --- help text --------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    if not text:
        return ""
    return inspect.cleandoc(text).partition("\f")[0]


def paragraphs(text: str | None) -> list[tuple[bool, list[str]]]:
    """Click's paragraphs: (verbatim, lines); a paragraph whose first line is ``\\b`` is
    kept as written (click's no-rewrap marker), the others may be refilled."""
    result = []
    for block in re.split(r"\n[ \t]*\n", _clean(text)):
        lines = block.split("\n")
        if lines and lines[0].strip() == "\b":
            rest = lines[1:]
            if any(line.strip() for line in rest):
                result.append((True, rest))
        elif any(line.strip() for line in lines):
            result.append((False, lines))
    return result


def split_epilog(epilog: str | None) -> tuple[list[str], list[tuple[bool, list[str]]]]:
    """The example lines of an epilog, and its other paragraphs.

    Examples are a ``\\b`` paragraph headed ``Examples:``; indented paragraphs right after
    it (click would start a new paragraph at a blank line) continue the examples.
    """
    examples: list[str] = []
    rest = []
    in_examples = False
    for verbatim, lines in paragraphs(epilog):
        head = lines[0].strip().lower() if lines else ""
        indented = all(line[:1] in (" ", "\t") for line in lines if line.strip())
        if verbatim and head in ("examples:", "example:"):
            examples += ([""] if examples else []) + lines[1:]
            in_examples = True
        elif in_examples and indented:
            examples += [""] + lines
        else:
            rest.append((verbatim, lines))
            in_examples = False
    return examples, rest


def short_help(command: click.Command) -> str:
    """The one-line summary for NAME and COMMANDS: short_help, or the help's first sentence
    (its first paragraph up to a word ending in a full stop, as click's --help shortens it,
    but never cut for length)."""
    if command.short_help:
        text = command.short_help
    else:
        first = paragraphs(command.help)
        words = [word for line in first[0][1] for word in line.split()] if first else []
        words = words[1:] if words[:1] == ["\b"] else words  # a stray no-rewrap marker
        ends = [i for i, word in enumerate(words) if word.endswith(".")]
        text = " ".join(words[:ends[0] + 1] if ends else words)
    return text.strip().rstrip(".")


# --- the command tree -------------------------------------------------------------------

def make_context(command: click.Command, name: str,
                 parent: click.Context | None = None) -> click.Context:
    """A context like the one click makes when ``name`` is invoked (settings inherited)."""
    return click.Context(command, info_name=name, parent=parent,
                         **getattr(command, "context_settings", {}))


def subcommands(ctx: click.Context) -> list[tuple[str, click.Command]]:
    command = ctx.command
    if not isinstance(command, click.Group):
        return []
    found = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        if sub is not None and not sub.hidden:
            found.append((name, sub))
    return found


def walk(command: click.Command | None = None, path: tuple[str, ...] = (ROOT_NAME,),
         parent: click.Context | None = None) -> Iterator[tuple[tuple[str, ...], click.Context]]:
    """Every visible command of the tree (rnntool's when ``command`` is None), depth first:
    (path, context); the path starts with the root's name."""
    if command is None:
        from rnntool.cli import cli as command
    ctx = make_context(command, path[-1], parent)
    yield path, ctx
    for sub_name, sub in subcommands(ctx):
        yield from walk(sub, path + (sub_name,), ctx)


def page_name(path: Sequence[str]) -> str:
    """``rnntool-train-charlm`` for ("rnntool", "train", "charlm")."""
    return "-".join(path)


# --- parameters -------------------------------------------------------------------------

def _metavar(param: click.Parameter, ctx: click.Context) -> str:
    try:
        return param.make_metavar(ctx)
    except TypeError:  # click < 8.2
        return param.make_metavar()


def _extra(param: click.Option, ctx: click.Context) -> dict:
    """Click's help extras (default, range, required, env var) as a dict."""
    if hasattr(param, "get_help_extra"):
        return dict(param.get_help_extra(ctx))
    record = param.get_help_record(ctx)  # click < 8.2: parse the "  [a; b]" suffix
    extra: dict = {}
    match = re.search(r"\s\s\[(.*)\]$", record[1] if record else "")
    for item in (match.group(1).split("; ") if match else []):
        if item.startswith("default: "):
            extra["default"] = item[len("default: "):]
        elif item == "required":
            extra["required"] = item
        elif item.startswith("env var: "):
            extra["envvars"] = tuple(item[len("env var: "):].split(", "))
        else:
            extra["range"] = item
    return extra


def _option_tag(param: click.Option, ctx: click.Context) -> str:
    def names(opts: Sequence[str]) -> str:
        return ", ".join(_bold(o) for o in sorted(opts, key=lambda o: (len(o) > 2, o)))

    value = ""
    if not param.is_flag and not param.count:
        if isinstance(param.type, click.Choice) and param.metavar is None:
            value = " {" + "|".join(_bold(str(c)) for c in param.type.choices) + "}"
        elif isinstance(param.type, click.IntRange) and param.metavar is None:
            value = " " + _italic("INTEGER")
        elif isinstance(param.type, click.FloatRange) and param.metavar is None:
            value = " " + _italic("FLOAT")
        else:
            value = " " + _italic(_metavar(param, ctx))
        if param.multiple:
            value += " ..."
    tag = names(param.opts) + value
    if param.secondary_opts:
        tag += ", " + names(param.secondary_opts)
    return tag


def _option_body(param: click.Option, ctx: click.Context, names: Sequence[str]) -> list[str]:
    lines = _prose_of(param.help, names)
    extra = _extra(param, ctx)
    notes = []
    if "default" in extra:
        notes.append("default:\\ " + _bold(str(extra["default"])).replace(" ", "\\ "))
    if "range" in extra:
        notes.append("range: " + escape_code(str(extra["range"])))
    if "required" in extra:
        notes.append("required")
    if extra.get("envvars"):
        notes.append("environment: " + ", ".join(_bold(v) for v in extra["envvars"]))
    if param.multiple:
        notes.append("may be given more than once")
    if notes:
        lines.append("(" + "; ".join(notes) + ")")
    return lines


def _argument_body(param: click.Argument, ctx: click.Context, see: str) -> list[str]:
    help_text = getattr(param, "help", None)
    if help_text:
        return _prose_of(help_text)
    if isinstance(param.type, click.Path):
        kind, kinds = (("file", "files") if not param.type.dir_okay else
                       ("directory", "directories") if not param.type.file_okay else
                       ("path", "paths"))
        noun = (kinds, f"A {kind}")
    elif param.type is click.STRING:
        noun = ("values", "A value")
    else:
        noun = (f"values of type {param.type.name}", f"A value of type {param.type.name}")
    if param.nargs == -1:
        text = ("One" if param.required else "Zero") + f" or more {noun[0]}"
    else:
        text = noun[1] + ("" if param.required else ", optional")
    if isinstance(param.type, click.Path) and getattr(param.type, "allow_dash", False):
        text += " (\\- is standard input)"
    return [f"{text}. See {see}."]


def _visible_params(ctx: click.Context) -> list[click.Parameter]:
    return [p for p in ctx.command.get_params(ctx) if not getattr(p, "hidden", False)]


def _arg_names(ctx: click.Context) -> list[str]:
    names = []
    for p in _visible_params(ctx):
        if isinstance(p, click.Argument):
            names.append(p.metavar or (p.name or "").upper())
    return [n for n in names if n]


# --- one page ---------------------------------------------------------------------------

def _section(title: str) -> list[str]:
    return [f".SH {title}"]


def _usage_piece(piece: str) -> str:
    """A usage piece such as ``[OPTIONS]``: upper-case metavars italic, the rest literal."""
    out, pos = [], 0
    for match in re.finditer(r"[A-Z][A-Z0-9_.]*", piece):
        out += [escape_code(piece[pos:match.start()]), _italic(match.group())]
        pos = match.end()
    return "".join(out + [escape_code(piece[pos:])])


def _paragraphs_roff(paras: Sequence[tuple[bool, list[str]]],
                     names: Sequence[str]) -> list[str]:
    """Click's paragraphs (see ``paragraphs``) as roff: no-fill blocks or filled ones."""
    out: list[str] = []
    for verbatim, lines in paras:
        out += _verbatim(lines) if verbatim else [".PP"] + _prose(lines, names)
    return out


def _see_also_ref(path: Sequence[str]) -> str:
    return f".BR {escape_code(page_name(path))} ({SECTION})"


def render(command: click.Command, path: Sequence[str],
           parent: click.Context | None = None) -> str:
    """The roff source of one page.

    ``path`` is the command path starting with the root name, e.g. ("rnntool", "train",
    "charlm"). ``parent`` is the parent command's context; when it is not given and the path
    has more than one name, it is looked up in the rnntool command tree.
    """
    path = tuple(path)
    tree = dict(walk())  # rnntool's commands: path -> context
    if parent is None and len(path) > 1:
        parent = tree.get(path[:-1])
    ctx = make_context(command, path[-1], parent)
    key = path[1:]
    names = _arg_names(ctx)
    name = page_name(path)
    out = [
        f'.\\" {name}.{SECTION}: generated by `python3 man/generate.py man/` from the',
        '.\\" click definitions in rnntool/cli; do not edit by hand.',
        f'.TH "{escape_code(name.upper())}" "{SECTION}" "{ROOT_NAME} {escape_code(__version__)}" '
        f'"{ROOT_NAME}" "User Commands"',
        ".nh",  # no hyphenation: option names and file names stay whole
        ".ad l",  # ragged right reads better on a terminal
    ]

    out += _section("NAME")
    out.append(f"{escape_code(name)} \\- {markup(short_help(command))}")

    out += _section("SYNOPSIS")
    pieces = command.collect_usage_pieces(ctx)
    usage = " ".join(_usage_piece(piece) for piece in pieces)
    out.append(f"{_bold(ctx.command_path)} {usage}".rstrip())

    out += _section("DESCRIPTION")
    description = paragraphs(command.help)
    examples, epilog_rest = split_epilog(command.epilog)
    if getattr(command, "deprecated", False):
        description.insert(0, (False, ["This command is deprecated."]))
    if not description:
        description = [(False, [short_help(command) + "."])]
    out += _paragraphs_roff(description, names)

    params = _visible_params(ctx)
    if params:
        out += _section("OPTIONS")
        for param in params:
            if isinstance(param, click.Argument):
                out += [".TP", _usage_piece(_metavar(param, ctx))]
                documented = any(tag.split(" (")[0] == _metavar(param, ctx)
                                 for tag, _ in FILES.get(key, []))
                see = "\\fBDESCRIPTION\\fR" + (" and \\fBFILES\\fR" if documented else "")
                out += _argument_body(param, ctx, see)
        for param in params:
            if isinstance(param, click.Option):
                out += [".TP", _option_tag(param, ctx)]
                out += _option_body(param, ctx, names) or [""]

    children = subcommands(ctx)
    if children:
        out += _section("COMMANDS")
        for sub_name, sub in children:
            out += [".TP", _bold(sub_name), _line(markup(short_help(sub))) + "."]
            out.append("See " + f"\\fB{escape_code(page_name(path + (sub_name,)))}\\fR"
                       f"({SECTION}).")

    if examples:
        out += _section("EXAMPLES")
        out += _verbatim(examples)

    if epilog_rest:
        out += _section("NOTES")
        out += _paragraphs_roff(epilog_rest, names)

    out += _section("EXIT STATUS")
    out += [".PP"] + _prose_of(EXIT_STATUS)

    out += _section("ENVIRONMENT")
    for var, text in ENVIRONMENT:
        out += [".TP", _bold(var)] + _prose([text])

    files = FILES.get(key)
    if files:
        out += _section("FILES")
        for tag, text in files:
            head, _, opts = tag.partition(" (")
            tag_line = _italic(head)
            if opts:
                tag_line += " (" + markup(opts.rstrip(")")) + ")"
            out += [".TP", tag_line] + _prose([text], names)

    refs: list[tuple[str, ...]] = []
    if len(path) > 1:
        refs += [path[:i] for i in range(1, len(path))]
    if len(path) == 1 and command is tree[(ROOT_NAME,)].command:
        refs += [p for p in tree if len(p) > 1]
    else:
        refs += [path + (sub_name,) for sub_name, _ in children]
    refs += [(ROOT_NAME,) + rel for rel in RELATED.get(key, [])
             if len(path) > 1 and (ROOT_NAME,) + rel in tree]
    unique = []
    for ref in refs:
        if ref not in unique and ref != path:
            unique.append(ref)
    if unique:
        out += _section("SEE ALSO")
        out += [_see_also_ref(r) + ("," if i < len(unique) - 1 else "")
                for i, r in enumerate(unique)]
    return "\n".join(out) + "\n"


# --- all pages --------------------------------------------------------------------------

def pages(command: click.Command | None = None) -> dict[str, str]:
    """Every page of the tree: file name (``rnntool-vocab.1``) -> roff source."""
    result = {}
    for path, ctx in walk(command):
        result[f"{page_name(path)}.{SECTION}"] = render(ctx.command, path, ctx.parent)
    return result


def _stale(directory: str, wanted: dict[str, str]) -> tuple[list[str], list[str]]:
    """(pages missing or different, pages in ``directory`` no command generates)."""
    changed = []
    for file_name, text in wanted.items():
        target = os.path.join(directory, file_name)
        try:
            with open(target, encoding="utf-8", newline="") as handle:
                same = handle.read() == text
        except OSError:
            same = False
        if not same:
            changed.append(target)
    extra = []
    if os.path.isdir(directory):
        for file_name in sorted(os.listdir(directory)):
            if (re.fullmatch(rf"{ROOT_NAME}(-[\w-]+)?\.{SECTION}", file_name)
                    and file_name not in wanted):
                extra.append(os.path.join(directory, file_name))
    return changed, extra


def write_all(directory: str) -> list[str]:
    """Write every page into ``directory`` (created if needed) and remove pages of commands
    that no longer exist; returns the paths of all pages."""
    os.makedirs(directory, exist_ok=True)
    wanted = pages()
    _, extra = _stale(directory, wanted)
    for path in extra:
        os.remove(path)
    written = []
    for file_name, text in wanted.items():
        target = os.path.join(directory, file_name)
        write_text_atomic(target, text)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 man/generate.py",
        description="Generate the rnntool man pages from the click command definitions.")
    parser.add_argument("directory", nargs="?", default="man",
                        help="where the pages go (default: man)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing pages that are missing, out of "
                             "date or no longer generated")
    args = parser.parse_args(argv)
    if args.check:
        changed, extra = _stale(args.directory, pages())
        for path in changed:
            print(f"stale: {path}", file=sys.stderr)
        for path in extra:
            print(f"no longer generated: {path}", file=sys.stderr)
        if changed or extra:
            print(f"regenerate with: python3 man/generate.py {args.directory}",
                  file=sys.stderr)
            return 1
        return 0
    for path in write_all(args.directory):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
