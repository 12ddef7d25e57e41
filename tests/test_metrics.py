"""Training metrics beside the checkpoint, `rnntool report` and `rnntool info`."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import DEFAULT_CORPUS, ROOT, assert_one_line_error, run_here

TREEBANK = ROOT / "corpora" / "sentiment"
CHARLM = ["--hidden", "24", "--embed", "8", "--layers", "1", "--seq-len", "30",
          "--batch-size", "8", "--eval-every", "20", "--log-every", "10", "--val-frac", "0.05"]


def records(checkpoint) -> list[dict]:
    path = f"{checkpoint}.metrics.jsonl"
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A char-LM, a tree model and a sentence classifier, each trained briefly."""
    folder = tmp_path_factory.mktemp("runs")
    made = {"charlm": folder / "lm.pt", "tree": folder / "tree.pt",
            "sentiment": folder / "sent.pt"}
    commands = {
        "charlm": ["train", "charlm", DEFAULT_CORPUS, *CHARLM, "--steps", "50"],
        "tree": ["train", "tree", TREEBANK / "dev.txt", "--dev", TREEBANK / "test.txt",
                 "--hidden", "8", "--epochs", "2", "--log-every", "7"],
        "sentiment": ["train", "sentiment", TREEBANK / "dev.txt", "--dev",
                      TREEBANK / "test.txt", "--no-phrases", "--hidden", "8", "--embed", "8",
                      "--epochs", "2", "--log-every", "5"],
    }
    for kind, args in commands.items():
        result = run_here(*args, "-o", made[kind])
        assert result.returncode == 0, result.stderr.decode()
    return made


def test_every_kind_writes_its_metrics_beside_the_checkpoint(runs):
    figures = {"charlm": {"val_loss", "val_bpc"},
               "tree": {"dev_root_accuracy", "dev_all_accuracy"},
               "sentiment": {"dev_accuracy"}}
    units = {"charlm": "chars/s", "tree": "trees/s", "sentiment": "sentences/s"}
    for kind, checkpoint in runs.items():
        found = records(checkpoint)
        assert found[0]["event"] == "start" and found[0]["kind"] == kind
        assert found[0]["resumed"] is False and found[0]["settings"]["hidden"] in (8, 24)
        assert found[-1]["event"] == "end" and found[-1]["status"] == "finished"
        trains = [r for r in found if r["event"] == "train"]
        validations = [r for r in found if r["event"] == "validation"]
        assert trains and validations
        for record in trains:
            assert set(record) == {"event", "step", "epoch", "loss", "lr", "elapsed",
                                   "throughput", "throughput_unit"}
            assert record["throughput"] > 0 and record["throughput_unit"] == units[kind]
        for record in validations:
            assert figures[kind] <= set(record) and isinstance(record["best"], bool)
        steps = [r["step"] for r in found[1:]]
        assert steps == sorted(steps)
        assert found[-1]["step"] == json.loads(run_here("info", "--json", checkpoint).stdout
                                               )["training"]["steps"]
    lm = [r for r in records(runs["charlm"]) if r["event"] == "train"]
    assert [r["step"] for r in lm] == [10, 20, 30, 40, 50]
    tree_epochs = [r["epoch"] for r in records(runs["tree"]) if r["event"] == "validation"]
    assert tree_epochs == [1.0, 2.0]


def test_a_resumed_run_keeps_the_story_of_its_checkpoint(tmp_path):
    out = tmp_path / "m.pt"
    args = ["train", "charlm", DEFAULT_CORPUS, *CHARLM, "-o", out]
    assert run_here(*args, "--steps", "40").returncode == 0
    with open(f"{out}.metrics.jsonl", "a", encoding="utf-8") as handle:  # logged past the save
        handle.write(json.dumps({"event": "train", "step": 45, "loss": 9.9}) + "\n")
    assert run_here("train", "charlm", "--resume", out, "--steps", "60").returncode == 0
    found = records(out)
    assert [r["event"] for r in found if r["event"] in ("start", "end")] == [
        "start", "end", "start", "end"]
    assert [r["step"] for r in found if r["event"] == "train"] == [10, 20, 30, 40, 50, 60]
    starts = [r for r in found if r["event"] == "start"]
    assert starts[1]["resumed"] is True and starts[1]["step"] == 40
    assert all(r.get("loss") != 9.9 for r in found)
    elapsed = [r["elapsed"] for r in found if "elapsed" in r]
    assert elapsed == sorted(elapsed)


def test_a_run_that_fails_before_saving_leaves_the_earlier_pair_alone(tmp_path):
    out = tmp_path / "t.pt"
    dev = TREEBANK / "dev.txt"
    assert run_here("train", "tree", dev, "--hidden", "8", "--epochs", "1", "-o", out
                    ).returncode == 0
    before = (out.read_bytes(), (tmp_path / "t.pt.metrics.jsonl").read_bytes())
    failed = run_here("train", "tree", dev, "--hidden", "8", "--epochs", "2", "--lr", "1e30",
                      "--clip", "0", "-o", out)
    assert failed.returncode == 1
    assert (out.read_bytes(), (tmp_path / "t.pt.metrics.jsonl").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pt", "t.pt.metrics.jsonl"]
    # a failure after the first save is recorded as one
    with_dev = run_here("train", "tree", dev, "--dev", dev, "--hidden", "8", "--epochs", "1",
                        "-o", tmp_path / "u.pt")
    assert with_dev.returncode == 0
    assert records(tmp_path / "u.pt")[-1]["status"] == "finished"


def test_report_summarizes_runs_side_by_side(runs):
    result = run_here("report", runs["charlm"], runs["tree"], runs["sentiment"], "--width", "70")
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode()
    header, *rows = text.split("\n\n")[0].splitlines()
    assert header.split()[:9] == ["run", "kind", "status", "steps", "time", "loss", "best",
                                  "last", "throughput"]
    assert "hidden" in header.split()  # settings that differ between the runs
    assert [row.split()[1] for row in rows] == ["charlm", "tree", "sentiment"]
    assert all(" finished " in row for row in rows)
    assert "val_loss" in rows[0] and "dev_root_accuracy" in rows[1]
    # one chart per figure: training loss, then each kind's validation figure
    titles = [line for line in text.splitlines() if line.endswith(":") and " " not in line]
    assert titles == ["loss:", "val_loss:", "dev_root_accuracy:", "dev_accuracy:"]
    assert max(len(line) for line in text.splitlines() if "\u2800" <= line[-1:] <= "\u28ff"
               or "┤" in line) <= 70
    assert "1 " + str(runs["charlm"]) in text and "\x1b" not in text


def test_report_json_is_stable(runs):
    result = run_here("report", "--json", runs["tree"], f"{runs['charlm']}.metrics.jsonl")
    summaries = json.loads(result.stdout)
    assert [s["kind"] for s in summaries] == ["tree", "charlm"]
    for summary in summaries:
        assert set(summary) == {"run", "kind", "status", "parts", "steps", "epoch",
                                "elapsed_seconds", "final_loss", "best", "last_validation",
                                "throughput", "throughput_unit", "settings"}
        assert set(summary["best"]) == {"metric", "value", "step"}
    tree = summaries[0]
    history = json.loads(run_here("info", "--json", runs["tree"]).stdout)
    assert tree["best"]["value"] == history["training"]["best"]["value"]
    assert tree["best"]["step"] == history["training"]["best"]["step"]


def test_report_writes_a_plot_file(runs, tmp_path):
    png, svg = tmp_path / "c.png", tmp_path / "c.svg"
    result = run_here("report", runs["charlm"], runs["tree"], "--plot", png, "--no-chart")
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"loss:" not in result.stdout
    assert run_here("report", runs["tree"], "--plot", svg, "--metric", "dev_all_accuracy",
                    "--x", "elapsed").returncode == 0
    assert b"<svg" in svg.read_bytes()[:400]
    assert_one_line_error(run_here("report", runs["tree"], "--plot", tmp_path / "c.gif"),
                          "c.gif", ".png, .svg or .pdf")


def test_report_without_matplotlib_says_how_to_get_it(runs, tmp_path):
    code = ("import sys; sys.modules['matplotlib'] = None\n"
            "from rnntool.cli import main; main()")
    import subprocess
    result = subprocess.run([sys.executable, "-c", code, "report", str(runs["tree"]), "--plot",
                             str(tmp_path / "c.png")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert_one_line_error(result, "--plot needs matplotlib", "pip install 'rnntool[plot]'")
    assert not (tmp_path / "c.png").exists()


def test_report_reads_a_killed_run_and_refuses_what_is_not_a_metrics_file(runs, tmp_path):
    cut = tmp_path / "cut.metrics.jsonl"
    text = (runs["tree"].parent / "tree.pt.metrics.jsonl").read_text(encoding="utf-8")
    lines = text.splitlines()[:-1]  # no end record: killed
    cut.write_text("\n".join(lines) + '\n{"event": "train", "st', encoding="utf-8")
    summary = json.loads(run_here("report", "--json", cut).stdout)[0]
    assert summary["status"] == "running or killed"
    bad = tmp_path / "bad.metrics.jsonl"
    bad.write_text('{"event": "start"}\nhello\n{"event": "end"}\n', encoding="utf-8")
    assert_one_line_error(run_here("report", bad), f"{bad}, line 2",
                          "not an rnntool metrics record")
    lonely = tmp_path / "lonely.pt"
    lonely.write_bytes(b"x")
    assert_one_line_error(run_here("report", lonely), "lonely.pt", "no metrics beside it")
    assert_one_line_error(run_here("report", tmp_path / "none.pt"), "none.pt: no such file")


def test_info_describes_each_kind(runs):
    for kind, checkpoint in runs.items():
        facts = json.loads(run_here("info", "--json", checkpoint).stdout)
        assert set(facts) == {"checkpoint", "kind", "format_version", "rnntool", "size_bytes",
                              "model", "vocabulary", "labels", "classes", "training",
                              "settings", "command", "resumed_with", "metrics_file"}
        assert facts["kind"] == kind and facts["format_version"] == 1
        assert set(facts["training"]) == {"steps", "epoch", "elapsed_seconds", "seen",
                                          "seen_unit", "best", "resumable"}
        import torch
        weights = torch.load(checkpoint, weights_only=True)["model"]["state_dict"]
        assert facts["model"]["parameters"] == sum(t.numel() for t in weights.values())
        assert facts["training"]["best"]["higher_is_better"] is (kind != "charlm")
        assert facts["command"][:3] == ["rnntool", "train", kind]
        assert facts["metrics_file"] == f"{checkpoint}.metrics.jsonl"
        text = run_here("info", checkpoint).stdout.decode()
        for fragment in (f"kind:       {kind}", "parameters:", "steps:", "best:", "command:",
                         "settings:"):
            assert fragment in text, (fragment, text)
    sentiment = json.loads(run_here("info", "--json", runs["sentiment"]).stdout)
    assert sentiment["labels"] == ["0", "1", "2", "3", "4"] and sentiment["classes"] == 5
    assert sentiment["vocabulary"]["level"] == "word"


def test_info_refuses_what_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "x.pt"
    path.write_text("hello")
    assert_one_line_error(run_here("info", path), "x.pt", "not an rnntool checkpoint")
    assert_one_line_error(run_here("info", tmp_path / "missing.pt"), "missing.pt: no such file")


def test_eval_and_predict_json_keep_their_documented_keys(runs):
    """The keys the README's "JSON outputs" table documents, for scripts to rely on."""
    scored = {"accuracy", "macro_f1", "count", "per_class", "confusion"}
    tree = json.loads(run_here("eval", "--json", runs["tree"], TREEBANK / "test.txt").stdout)
    assert set(tree) == {"checkpoint", "kind", "trees", "classes", "view", "roots",
                         "all_nodes", "binary_view"}
    assert set(tree["roots"]) == set(tree["all_nodes"]) == scored
    assert set(tree["binary_view"]) == {"root_accuracy", "all_accuracy"}
    sentiment = json.loads(run_here("eval", "--json", runs["sentiment"],
                                    TREEBANK / "test.txt").stdout)
    assert set(sentiment) == {"checkpoint", "kind", "labels", "view", "sentences"}
    assert set(sentiment["sentences"]) == scored
    lm = json.loads(run_here("eval", "--json", runs["charlm"], DEFAULT_CORPUS).stdout)
    assert set(lm) == {"checkpoint", "kind", "characters", "unknown_characters", "loss",
                       "bits_per_character"}
    for kind in ("tree", "sentiment"):
        lines = run_here("predict", runs[kind], "--output", "json",
                         input="a complete delight .\n").stdout.decode().splitlines()
        record = json.loads(lines[0])
        assert set(record) == {"label", "probability", "probabilities"}
        assert record["probabilities"][record["label"]] == record["probability"]


def test_resuming_into_another_checkpoint_takes_its_metrics_along(tmp_path):
    first, second = tmp_path / "a.pt", tmp_path / "b.pt"
    args = ["train", "charlm", DEFAULT_CORPUS, *CHARLM]
    assert run_here(*args, "--steps", "20", "-o", first).returncode == 0
    assert run_here(*args, "--steps", "10", "--random-seed", "5", "-o", second).returncode == 0
    before = (tmp_path / "a.pt.metrics.jsonl").read_bytes()
    assert run_here("train", "charlm", "--resume", first, "--steps", "30", "-o", second
                    ).returncode == 0
    assert (tmp_path / "a.pt.metrics.jsonl").read_bytes() == before
    found = records(second)
    assert [r["step"] for r in found if r["event"] == "train"] == [10, 20, 30]
    assert [r["resumed"] for r in found if r["event"] == "start"] == [False, True]
    assert not (tmp_path / "b.pt.metrics.jsonl.partial").exists()


def test_info_of_a_resumed_run_shows_the_command_that_started_it(runs, tmp_path):
    first = tmp_path / "tree.pt"
    assert run_here("train", "tree", TREEBANK / "dev.txt", "--hidden", "8", "--epochs", "1",
                    "-o", first).returncode == 0
    for epochs in ("2", "3"):
        assert run_here("train", "tree", "--resume", first, "--epochs", epochs).returncode == 0
    facts = json.loads(run_here("info", "--json", first).stdout)
    assert facts["command"][:3] == ["rnntool", "train", "tree"]
    assert str(TREEBANK / "dev.txt") in facts["command"] and "--resume" not in facts["command"]
    assert [c[-4:] for c in facts["resumed_with"]] == [
        ["--epochs", e, "--resume", str(first)] for e in ("2", "3")]
    text = run_here("info", first).stdout.decode()
    assert "command:" in text and text.count("resumed with:") == 2
    # a tree model's default learning rate is the one its optimizer used, not "-"
    assert facts["settings"]["lr"] == 0.05
    assert [line.split() for line in text.splitlines() if line.split()[:1] == ["lr:"]] == [
        ["lr:", "0.05"]]
    assert json.loads(run_here("info", "--json", runs["tree"]).stdout)["resumed_with"] == []
