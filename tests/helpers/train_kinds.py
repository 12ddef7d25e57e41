"""``rnntool train`` several times in one process: each argument is a JSON list of command
line arguments. The tests launch it once under torchrun to train every kind on two
processes, paying torchrun's and torch's start-up once. It joins the process group itself,
so every run uses that group and leaves it joined (a group cannot be joined again under the
same torchrun launch). Stops at the first run that fails, with its status."""

import json
import sys

import torch.distributed as dist

from rnntool.cli import main
from rnntool.distributed import backend

dist.init_process_group(backend())
try:
    for argv in sys.argv[1:]:
        try:
            main(json.loads(argv))
        except SystemExit as exc:
            if exc.code:
                raise
finally:
    dist.destroy_process_group()
