"""Hostile conditions around the input and output: a file-size limit while saving, stdout on
a full device or closed, a line of many megabytes, a C locale, a metrics file nested beyond
reason. Each ends in one line on stderr naming the file (or stdout) and the limit, exit
status 1, and leaves what was written before as it was.

Real processes where the condition belongs to the process (a resource limit, a closed file
descriptor, the locale Python starts with); the rest in this process, with ``sys.stdout``
set to what a process would have. Only the last two need a process as Python starts it;
the others are forked from test_reliability's server, which has loaded torch already.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import types

import click
import pytest

from conftest import ROOT, assert_one_line_error, run_here
from forked import run_forked

TREEBANK = ROOT / "corpora" / "sentiment"
CORPUS = (ROOT / "corpora" / "default.txt").read_text(encoding="utf-8")[:60_000]
TINY_LM = ["--hidden", "32", "--embed", "8", "--layers", "1", "--batch-size", "8",
           "--seq-len", "30", "--val-frac", "0.1"]


def run_process(*args, limit: int | None = None, stdout=subprocess.PIPE, close_stdout=False,
                env=None):
    """``python -m rnntool ARGS`` in a process of its own: with a file-size limit of
    ``limit`` bytes (SIGXFSZ left at its default, which would kill the process: rnntool
    must ignore it) or ``stdout`` a file, forked (``run_forked``); with stdout closed, or
    with ``env`` over the environment, as Python starts."""
    if not close_stdout and env is None:
        return run_forked(*args, limit=limit, stdout=stdout, cwd=ROOT)

    def prepare():
        if close_stdout:
            os.close(1)
    full_env = dict(os.environ, RNNTOOL_LOG_INTERVAL="1000", OMP_NUM_THREADS="1")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "rnntool", *map(str, args)],
                          stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                          preexec_fn=prepare, env=full_env, cwd=ROOT, timeout=300)


def run_with_stdout(stdout, *args):
    """The command line in this process with ``sys.stdout`` as a process would have it
    (a file on /dev/full, an ASCII stream, None when closed); the result as ``run_here``
    gives it."""
    from rnntool.cli import cli
    err = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, err
    try:
        code = cli.main(args=[str(a) for a in args], prog_name="rnntool",
                        standalone_mode=False) or 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    finally:
        sys.stdout, sys.stderr = saved
    return types.SimpleNamespace(returncode=code, stdout=b"",
                                 stderr=err.getvalue().encode("utf-8"))


def assert_ends_in_one_error(result, *fragments) -> str:
    """A command that reported progress first: exit status 1, no traceback, and one error
    line, the last, holding every fragment."""
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in err, (result.returncode, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert [line for line in lines if "error" in line] == lines[-1:], err
    for fragment in fragments:
        assert fragment in lines[-1], (fragment, lines[-1])
    return lines[-1]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A tiny char-LM and a tiny tree model, their corpus and a file of non-ASCII text."""
    folder = tmp_path_factory.mktemp("adversarial")
    corpus = folder / "corpus.txt"
    corpus.write_text(CORPUS, encoding="utf-8")
    lm, tree = folder / "lm.pt", folder / "tree.pt"
    assert run_here("train", "charlm", corpus, *TINY_LM, "--steps", "6", "-o",
                    lm).returncode == 0
    assert run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "8", "--epochs", "1",
                    "-o", tree).returncode == 0
    text = folder / "unicode.txt"
    text.write_text("h\u00e9llo w\u00f6rld \U0001f600 .\nna\u00efve caf\u00e9 !\n",
                    encoding="utf-8")
    return types.SimpleNamespace(folder=folder, corpus=corpus, lm=lm, tree=tree, text=text)


# --- a file-size limit (ulimit -f) while saving ------------------------------------------

def test_a_file_size_limit_while_saving_a_checkpoint_keeps_the_previous_one(models, tmp_path):
    out = tmp_path / "m.pt"
    out.write_bytes(models.lm.read_bytes())
    before = out.read_bytes()
    limit = len(before) * 2 // 3  # the text's ids fit, the checkpoint does not
    result = run_process("train", "charlm", models.corpus, *TINY_LM, "--steps", "4", "-o",
                         out, limit=limit)
    assert_ends_in_one_error(result, str(out), "file-size limit", f"{limit:,} bytes",
                             "as it was")
    assert out.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_file_size_limit_while_writing_a_vocabulary_or_ids(models, tmp_path):
    vocab = tmp_path / "v.vocab"
    vocab.write_text("previous\n")
    result = run_process("vocab", models.corpus, "-o", vocab, limit=300)
    assert_one_line_error(result, str(vocab), "file-size limit (ulimit -f) is 300 bytes")
    assert vocab.read_text() == "previous\n"
    ids = tmp_path / "ids.npy"
    result = run_process("vocab", models.corpus, "-o", tmp_path / "w.vocab", "--encode", ids,
                         limit=20_000)
    assert_one_line_error(result, str(ids), "20,000 bytes", "nothing was written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.vocab"]


# --- stdout on a full device, or closed ---------------------------------------------------

def test_stdout_on_a_full_device_is_one_line(models):
    for args in (["sample", models.lm, "-n", "50"], ["vocab", models.corpus, "-o", "-"]):
        with open("/dev/full", "wb") as full:
            result = run_process(*args, stdout=full)
        line = assert_one_line_error(result, "stdout: no space left on device")
        assert "Exception ignored" not in line
    # every other command that writes to stdout, in this process
    for args in (["info", models.lm], ["report", models.lm], ["parse", models.text],
                 ["predict", models.tree, "--input", "text", models.text],
                 ["eval", models.tree, TREEBANK / "test.txt"],
                 ["eval", models.lm, models.text]):
        with open("/dev/full", "w", encoding="utf-8") as full:
            assert_one_line_error(run_with_stdout(full, *args),
                                  "stdout: no space left on device")


def test_a_closed_stdout_is_one_line(models):
    for args in (["parse", models.text], ["sample", models.lm, "-n", "5"]):
        result = run_process(*args, close_stdout=True)
        assert_one_line_error(result, "stdout is closed")
    for args in (["info", models.lm], ["vocab", models.text], ["report", models.lm]):
        assert_one_line_error(run_with_stdout(None, *args), "stdout is closed")
    # a command that writes nothing to stdout does not mind
    assert run_with_stdout(None, "vocab", models.text, "-o",
                           models.folder / "v.vocab").returncode == 0


# --- a C locale, an ASCII PYTHONIOENCODING: stdout is UTF-8 -------------------------------

def test_output_is_utf8_whatever_the_locale(models):
    expected = "(X h\u00e9llo (X w\u00f6rld (X \U0001f600 .)))\n".encode("utf-8")
    c_locale = run_process("parse", "--input", "text", models.text,
                           env={"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0",
                                "PYTHONIOENCODING": ""})
    assert c_locale.returncode == 0, c_locale.stderr
    assert c_locale.stdout.splitlines(keepends=True)[0] == expected
    ascii_io = run_process("vocab", models.text, "--level", "word",
                           env={"PYTHONIOENCODING": "ascii"})
    assert ascii_io.returncode == 0, ascii_io.stderr
    assert "\U0001f600".encode("utf-8") in ascii_io.stdout
    # predict, with the stream such a process starts with
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    result = run_with_stdout(ascii_out, "predict", models.tree, "--input", "text",
                             "--output", "trees", models.text)
    assert result.returncode == 0, result.stderr
    ascii_out.flush()
    assert "w\u00f6rld".encode("utf-8") in ascii_out.buffer.getvalue()


# --- a line of many megabytes ---------------------------------------------------------------

def test_a_huge_line_is_tokenized_in_pieces_with_nltks_tokens(monkeypatch, tmp_path):
    """NLTK runs every regular expression under a 5 s limit, which a 50 MB line exceeds:
    long text goes to it in pieces, cut where the tokens come out the same. Shown here with
    small pieces: no call gets more than a piece, and the tokens are NLTK's for the line."""
    import random

    from nltk.tokenize import TreebankWordTokenizer

    from rnntool import text as textio
    rng = random.Random(7)
    words = ["the", "cat", "sat,", "(on)", "a", "mat.", '"so"', "can't", "x--y", "dogs'",
             "...", "\u00e9t\u00e9", "''", "$3.50"]
    line = " ".join(rng.choice(words) for _ in range(6000)) + " ."
    expected = TreebankWordTokenizer().tokenize(line, convert_parentheses=True)
    sizes = []
    original = TreebankWordTokenizer.tokenize

    def recording(self, text, *args, **kwargs):
        sizes.append(len(text))
        return original(self, text, *args, **kwargs)
    monkeypatch.setattr(TreebankWordTokenizer, "tokenize", recording)
    monkeypatch.setattr(textio, "PIECE_CHARS", 2000)
    source = tmp_path / "long.txt"
    source.write_text(line + "\n", encoding="utf-8")
    result = run_here("parse", "--input", "text", source)
    assert result.returncode == 0, result.stderr
    leaves = [token for token in result.stdout.decode("utf-8").replace("(X ", " ")
              .replace(")", " ").split()]
    assert leaves == [t.replace("(", "-LRB-").replace(")", "-RRB-") for t in expected]
    assert sizes and max(sizes) < 2100 and len(sizes) > 10
    # the regexp and treebank word tokenizers of vocab and train sentiment, likewise
    for name in ("regexp", "treebank", "whitespace"):
        tokenize = textio.make_tokenizer(name)
        monkeypatch.setattr(textio, "PIECE_CHARS", 10 ** 9)
        whole = tokenize(line + "\n")
        monkeypatch.setattr(textio, "PIECE_CHARS", 500)
        assert tokenize(line + "\n") == whole, name


def test_a_huge_sentence_for_a_tagger_or_classifier_is_refused_naming_its_line(tmp_path):
    line = " ".join(f"w{i}/NN" for i in range(10_001))
    data = tmp_path / "one-line.txt"
    data.write_text("a/DT b/NN\n" + line + "\n", encoding="utf-8")
    assert_one_line_error(run_here("train", "tagger", data, "-o", tmp_path / "t.pt"),
                          f"{data}: line 2", "10,000 words")
    labelled = tmp_path / "reviews.tsv"
    labelled.write_text("pos\tgood film\nneg\t" + " ".join(["bad"] * 10_001) + "\n",
                        encoding="utf-8")
    assert_one_line_error(run_here("train", "sentiment", labelled, "-o", tmp_path / "s.pt"),
                          f"{labelled}: line 2", "10,001 words")
    conll = tmp_path / "no-blank-lines.conll"
    conll.write_text("a\tDT\n" * 10_001, encoding="utf-8")
    assert_one_line_error(run_here("train", "tagger", conll, "-o", tmp_path / "t.pt"),
                          str(conll), "line 1", "10,000 words")


# --- metrics: nested beyond reason, or not writable -----------------------------------------

def test_deeply_nested_metrics_are_one_line(tmp_path):
    for depth in (40, 100_000):
        deep = tmp_path / f"deep{depth}.metrics.jsonl"
        nested = "[" * depth + "]" * depth
        deep.write_text('{"event": "start", "kind": "charlm", "settings": {"x": %s}}\n'
                        '{"event": "end"}\n' % nested, encoding="utf-8")
        for args in (["report", deep], ["report", "--json", deep]):
            assert_one_line_error(run_here(*args), f"{deep}, line 1")


def test_metrics_that_cannot_be_written_are_one_line(models, tmp_path):
    out = tmp_path / "m.pt"
    (tmp_path / "m.pt.metrics.jsonl.partial").symlink_to("/dev/full")
    result = run_here("train", "charlm", models.corpus, *TINY_LM, "--steps", "2", "-o", out)
    assert_ends_in_one_error(result, "m.pt.metrics.jsonl", "metrics",
                             "no space left on device")
    assert not out.exists()


def test_json_reports_of_the_same_runs_still_read(models):
    summary = json.loads(run_here("report", "--json", models.lm).stdout)[0]
    assert summary["kind"] == "charlm" and summary["status"] == "finished"


# --- a terminal of 80 columns -----------------------------------------------------------------

def test_the_progress_bar_keeps_its_bar_and_times_at_80_columns():
    """At 80 columns the bar keeps its width and no time is cut (they showed as ``0:…``):
    the status fields are set closer, then the time taken left out, before anything is
    cut, and what is cut is the end of the status."""
    from rich.console import Console

    from rnntool.console import BAR_WIDTH, ProgressReporter
    fields = ["step 150", "loss 3.384", "24.2k chars/s", "lr 2.91e-03"]
    for width in (60, 80, 100, 200):
        screen = io.StringIO()
        console = Console(width=width, file=screen, force_terminal=True, color_system=None)
        with ProgressReporter("train charlm", force_plain=False, console=console) as progress:
            progress.update(0.25, fields)
        last = [line for line in screen.getvalue().replace("\r", "\n").splitlines()
                if "train charlm" in line][-1]
        text = last.replace("\x1b[2K", "").replace("\x1b[?25h", "").rstrip()
        assert len(text) <= width, text
        bar = text[len("train charlm "):text.index(" 25% ")]
        assert len(bar) >= BAR_WIDTH[0], (width, bar)
        times = text[text.index(" 25% "):].split(" step ")[0]
        assert "\u2026" not in times and times.split()[-2] == "eta", (width, times)
        if width >= 80:
            assert " ".join(text.split()).endswith(" ".join(" ".join(fields).split())), text
        if width >= 100:
            assert "  ".join(fields) in text and " 25% 0s eta " in text, text
        else:
            assert text.endswith("\u2026") or width >= 80, text
