"""What the corpus generators in this folder share: their command line (`--out DIR`,
`--seed N`) and the folder they write to. Standard library only, like the generators."""

import argparse
from pathlib import Path


def output_folder(doc: str, default_out: Path, seed: int) -> tuple[Path, int]:
    """Read `--out` and `--seed` (described by the generator's docstring ``doc``), make the
    output folder, and return it with the seed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", default=str(default_out),
                        help=f"output directory (default: {default_out.name}/ next to this "
                             f"script)")
    parser.add_argument("--seed", type=int, default=seed,
                        help="random seed (default: %(default)s)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    return out, args.seed
