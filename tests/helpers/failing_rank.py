"""rnntool's command line, except that rank 1 of a torchrun launch fails at its third
training step with a one-line error (what a rank whose disk filled up would do): the tests
launch it with torchrun to see the whole job stop cleanly."""

import os

from rnntool.training import engine as train
from rnntool.cli import main
from rnntool.errors import RnnToolError

if os.environ.get("RANK") == "1":
    apply_gradients = train.apply_gradients
    steps = []

    def failing(*args, **kwargs):
        steps.append(1)
        if len(steps) == 3:
            raise RnnToolError("failed on purpose at step 3")
        return apply_gradients(*args, **kwargs)
    train.apply_gradients = failing

main()
