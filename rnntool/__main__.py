"""``python -m rnntool`` runs the command-line interface."""

from rnntool.cli import main

if __name__ == "__main__":
    main()
