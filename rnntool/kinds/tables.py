"""How reports look, in the pieces several kinds' reports share: per-class scores and
confusion matrices as aligned text lines (piped output) or as rich tables (a terminal),
and a one-row summary table.

This is not a kind: the use modules beside it (``rnntool.kinds.tree``, ``sentiment``, ...)
build their reports from these pieces. Not here: computing the figures
(``rnntool.evaluate``), choosing plain text or tables (``rnntool.cli.eval``). rich is
imported by the functions that draw.
"""

from __future__ import annotations


def class_lines(scores: dict, names: list[str], by: str, of: str) -> list[str]:
    """Per-class scores and the confusion matrix as aligned text lines."""
    longest = max(len(name) for name in names)
    width = max(6, longest)
    lines = ["", f"{by} by class:",
             f"{'class':>{max(5, longest)}}  precision  recall      f1  support"]
    lines += [f"{name:>{max(5, longest)}}  {row['precision']:9.4f}  {row['recall']:6.4f}  "
              f"{row['f1']:6.4f}  {row['support']:7d}"
              for name, row in zip(names, scores["per_class"])]
    lines += ["", f"{of}confusion (rows: gold, columns: predicted):",
              " " * width + " " + " ".join(f"{name:>{width}}" for name in names)]
    lines += [f"{name:>{width}} " + " ".join(f"{n:>{width}}" for n in row)
              for name, row in zip(names, scores["confusion"])]
    return lines


def summary_table(title: str, cells: dict[str, str]):
    """A one-row rich table: a column per name, right-aligned."""
    from rich.table import Table
    table = Table(title=title)
    for name in cells:
        table.add_column(name, justify="right")
    table.add_row(*cells.values())
    return table


def class_tables(scores: dict, names: list[str], by: str, of: str) -> tuple:
    """Rich tables of the per-class scores and the confusion matrix (diagonal highlighted)."""
    from rich.markup import escape
    from rich.table import Table

    per_class = Table(title=f"{by} by class")
    for name in ("class", "precision", "recall", "F1", "support"):
        per_class.add_column(name, justify="right")
    for name, row in zip(names, scores["per_class"]):
        per_class.add_row(escape(name), f"{row['precision']:.4f}",
                          f"{row['recall']:.4f}", f"{row['f1']:.4f}", str(row["support"]))
    confusion = Table(title=f"{of}confusion")
    confusion.add_column("gold \\ predicted", justify="right", style="bold")
    for name in names:
        confusion.add_column(escape(name), justify="right")
    for gold, row in enumerate(scores["confusion"]):
        confusion.add_row(escape(names[gold]), *(f"[bold green]{n}[/]" if gold == predicted
                                                 else f"[red]{n}[/]" if n else str(n)
                                                 for predicted, n in enumerate(row)))
    return per_class, confusion
