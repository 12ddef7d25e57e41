"""The man pages: committed pages are up to date, cover every command and option, and render.

The generator, man/generate.py, is a script beside the pages, not part of the package: it is
loaded here by path.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest

from rnntool.cli import cli

ROOT = Path(__file__).resolve().parent.parent
MAN_DIR = ROOT / "man"
GENERATOR = MAN_DIR / "generate.py"
REGENERATE = "regenerate them with: python3 man/generate.py man/"


def load_generator():
    spec = importlib.util.spec_from_file_location("rnntool_man_generate", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


manpage = load_generator()


def command_tree(command=cli, path=("rnntool",), parent=None):
    """Every visible command, walked with click's own API (independently of the generator's walk)."""
    ctx = click.Context(command, info_name=path[-1], parent=parent, **command.context_settings)
    yield path, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from command_tree(sub, path + (name,), ctx)


def page_file(path) -> Path:
    return MAN_DIR / ("-".join(path) + ".1")


def roff_code(text: str) -> str:
    return text.replace("\\", "\\e").replace("-", "\\-")


def test_committed_pages_are_up_to_date():
    generated = manpage.pages()
    committed = {p.name for p in MAN_DIR.glob("rnntool*.1")} if MAN_DIR.is_dir() else set()
    missing = sorted(set(generated) - committed)
    extra = sorted(committed - set(generated))
    stale = sorted(name for name in set(generated) & committed
                   if (MAN_DIR / name).read_text(encoding="utf-8") != generated[name])
    assert not (missing or extra or stale), (
        f"man pages out of date (missing: {missing}, no longer generated: {extra}, "
        f"stale: {stale}); {REGENERATE}")


def test_check_mode_reports_stale_pages(tmp_path):
    manpage.write_all(str(tmp_path))
    assert manpage.main(["--check", str(tmp_path)]) == 0
    page = tmp_path / "rnntool-vocab.1"
    page.write_text(page.read_text(encoding="utf-8") + ".\\\" edited\n", encoding="utf-8")
    (tmp_path / "rnntool-gone.1").write_text(".TH GONE 1\n", encoding="utf-8")
    assert manpage.main(["--check", str(tmp_path)]) == 1
    manpage.write_all(str(tmp_path))
    assert not (tmp_path / "rnntool-gone.1").exists()
    assert manpage.main(["--check", str(tmp_path)]) == 0


def test_rendering_is_deterministic_and_dateless():
    first, second = manpage.pages(), manpage.pages()
    assert first == second
    from rnntool import __version__
    for name, text in first.items():
        th = next(line for line in text.splitlines() if line.startswith(".TH "))
        assert __version__ in th, (name, th)


def test_every_command_has_a_page_naming_every_option():
    paths = []
    for path, ctx in command_tree():
        paths.append(path)
        page = page_file(path)
        assert page.is_file(), f"no man page for {' '.join(path)}; {REGENERATE}"
        text = page.read_text(encoding="utf-8")
        assert text.startswith(".\\\"") and ".TH " in text
        name_line = text.split(".SH NAME\n", 1)[1].splitlines()[0]
        assert name_line.startswith(roff_code("-".join(path)) + " \\- "), name_line
        for section in ("SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "ENVIRONMENT",
                        "SEE ALSO"):
            assert f".SH {section}\n" in text, (page.name, section)
        for param in ctx.command.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if isinstance(param, click.Option):
                for opt in param.opts + param.secondary_opts:
                    assert f"\\fB{roff_code(opt)}\\fR" in text, (page.name, opt)
                if isinstance(param.type, click.Choice):
                    for choice in param.type.choices:
                        assert f"\\fB{roff_code(str(choice))}\\fR" in text, (page.name, choice)
            else:
                assert f"\\fI{roff_code(param.human_readable_name)}\\fR" in text, (
                    page.name, param.human_readable_name)
        if isinstance(ctx.command, click.Group):
            assert ".SH COMMANDS\n" in text
            for name in ctx.command.list_commands(ctx):
                assert f"\\fB{roff_code(name)}\\fR" in text
                assert roff_code("-".join(path + (name,))) in text
        if ctx.command.epilog and "Examples:" in ctx.command.epilog:
            assert ".SH EXAMPLES\n" in text
    assert ("rnntool", "train", "charlm") in paths and len(paths) >= 5


def test_escaping_and_no_rewrap_blocks():
    @click.command("toy", epilog="\b\nExamples:\n  toy --flag 'a\\b' .hidden\n  toy -x\n\n"
                                 "  # after a blank line\n  toy\n\nA closing note.\n")
    @click.argument("items", nargs=-1, type=click.Path(allow_dash=True))
    @click.option("-x", "--the-x", default="a\\b", show_default=True, help=".leading dot")
    @click.option("--mode", type=click.Choice(["fast", "slow"]), help="'quoted' start")
    def toy(items, the_x, mode):
        """Do toy things with a back\\slash and `--the-x`.

        .dot at the start of a line
        'apostrophe at the start of a line

        \b
        keep   this
          layout -x
        """

    text = manpage.render(toy, ("toy",))
    lines = text.splitlines()
    requests = {".\\\"", ".TH", ".SH", ".PP", ".TP", ".RS", ".RE", ".nf", ".fi", ".sp", ".nh",
                ".ad", ".BR"}
    for line in lines:  # no text line can be mistaken for a request
        assert not line.startswith("'") and (not line.startswith(".")
                                             or line.split(" ")[0] in requests), line
    assert "\\&.dot at the start of a line" in lines
    assert "\\(aqapostrophe at the start of a line" in lines
    assert "\\&.leading dot" in lines
    assert "back\\eslash" in text and "back\\slash" not in text
    assert "\\fB\\-\\-the\\-x\\fR" in text
    assert "\\fBa\\eb\\fR" in text  # the default, escaped
    nofill = text.split(".SH DESCRIPTION\n", 1)[1].split(".SH", 1)[0]
    assert ".nf\nkeep   this\n  layout \\-x\n.fi" in nofill
    examples = text.split(".SH EXAMPLES\n", 1)[1].split(".SH", 1)[0]
    assert (".nf\ntoy \\-\\-flag \\(aqa\\eb\\(aq .hidden\ntoy \\-x\n.sp\n"
            "# after a blank line\ntoy\n.fi") in examples
    assert ".SH NOTES\n.PP\nA closing note.\n" in text
    assert "{\\fBfast\\fR|\\fBslow\\fR}" in text
    assert "[\\fIITEMS\\fR]..." in text


def test_no_deprecated_click_api():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        manpage.pages()


def test_no_torch_import():
    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('generate', {str(GENERATOR)!r})\n"
            "module = importlib.util.module_from_spec(spec)\n"
            "spec.loader.exec_module(module)\n"
            "module.pages()\n"
            "sys.exit('torch' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_runs_as_a_script_from_anywhere(tmp_path):
    result = subprocess.run([sys.executable, str(GENERATOR), "--check", str(MAN_DIR)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    result = subprocess.run([sys.executable, str(GENERATOR), "--check", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert f"regenerate with: python3 man/generate.py {tmp_path}" in result.stderr


def _man_works() -> bool:
    if not shutil.which("man") or not (shutil.which("groff") or shutil.which("nroff")):
        return False
    try:
        return subprocess.run(["man", "--version"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not _man_works(), reason="the man program (man-db and groff) is not installed")
@pytest.mark.parametrize("path", [path for path, _ in command_tree()],
                         ids=lambda path: "-".join(path))
def test_man_renders_without_warnings(path):
    page = page_file(path)
    env = dict(os.environ, MANWIDTH="80", MANPAGER="cat", PAGER="cat", LC_ALL="C.UTF-8")
    result = subprocess.run(["man", "--warnings", "-l", str(page)], capture_output=True,
                            env=env, timeout=60, stdin=subprocess.DEVNULL)
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, stderr
    assert stderr == "", f"{page.name}: man/groff warnings:\n{stderr}"
    out = result.stdout.decode("utf-8", "replace")
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS"):
        assert section in out, (page.name, section)
