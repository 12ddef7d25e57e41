"""rnntool: recurrent and recursive neural networks on text, from the command line.

The package is a library with a thin command-line interface on top (``rnntool.cli``).
Importing ``rnntool`` is cheap: torch and numpy are loaded by the modules that need them.

Library entry points (each module's docstring says more):

- ``rnntool.vocab``: build, save, load vocabularies; encode text to compact arrays.
- ``rnntool.text``: read text streams with an explicit encoding policy.
- ``rnntool.checkpoint``: save and load self-contained checkpoints.
- ``rnntool.train``: the training loop (``train_charlm``).
- ``rnntool.sampling``: stream text from a character-level checkpoint.
"""

__version__ = "0.1.0"
