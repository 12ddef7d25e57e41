"""``python -m rnntool`` runs the command-line interface; ``main`` is also the console
script's entry point. It takes SIGINT and SIGTERM in hand (``rnntool.guard``) before the
command line's modules are imported, so that a stop even then ends in one line.

Not here: the command line itself (``rnntool.cli``).
"""

import sys

from rnntool.guard import Stopped, stop_at_once


def main() -> None:
    stop_at_once()
    try:
        from rnntool.cli import main as run
    except Stopped as exc:
        sys.stderr.write(f"\nrnntool: stopped by {exc.args[0]}\n")
        sys.exit(exc.exit_code)
    run()


if __name__ == "__main__":
    main()
