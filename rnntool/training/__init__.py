"""Training: the engine every model kind shares, and one module per kind.

``rnntool.training.engine`` holds what does not depend on the model: the checkpointer, the
run's metrics log, the one training step (clock, step agreement between processes,
clipping, the stop on a non-finite loss, signals) and the epoch loop. Each kind's module
(``lm``, ``tree``, ``sentiment``, ``tagger``, ``forecast``; ``rnntool.kinds`` names them)
has ``read_data(...)``, which turns files or in-memory values into what the kind trains on,
and ``train(...)``, which builds the model and runs the loop; the command line
(``rnntool.cli.train``) and the Python API (``rnntool.api``) both call those two.

Not here: the models (``rnntool.models``), the checkpoint format (``rnntool.checkpoint``),
reading the input formats (``rnntool.text``, ``labelled``, ``tagging``, ``series``), options.
"""
