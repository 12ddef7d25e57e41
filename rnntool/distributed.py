"""One training run as several processes: PyTorch's ``torchrun`` and DistributedDataParallel.

``torchrun --nproc-per-node=N -m rnntool train KIND ...`` starts N copies of the command,
each with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in its environment
(``--nnodes`` and a rendezvous endpoint spread them over machines). ``Group.from_env``
reads those; ``process_group`` joins the group for the length of a run (gloo: rnntool trains
on the CPU) and leaves it however the run ends.

The global batch is the same whatever the number of processes, so learning rates and batch
sizes mean the same thing on 1 or N of them: each rank computes its share of every batch
(``shard``), its loss is the sum over its share divided by the item count of the whole batch
and times N, and DDP's averaging of gradients over the N ranks then gives exactly the
gradient of the whole batch's mean loss. ``StepSync`` makes the ranks agree after each step
on what only one of them may know: the whole batch's loss and item count, rank 0's clock
(progress under ``--max-time``) and whether a signal asked the run to stop.

Not here: which data a rank reads (the training loops ask for their ``shard``), saving
(rank 0 alone writes, see ``rnntool.training.engine``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
from typing import Iterator

from rnntool.errors import RnnToolError

#: The variables torchrun sets in each process it starts.
LAUNCHER_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")
#: How long a rank waits for the others at a collective before giving up (validation and
#: checkpoint writing happen between collectives, and take as long as they take).
TIMEOUT = datetime.timedelta(hours=2)


@dataclasses.dataclass(frozen=True)
class Group:
    """Where this process stands in a run: its rank among ``world_size`` processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that reports progress and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @classmethod
    def from_env(cls, env=None) -> "Group":
        """The group torchrun's variables describe; a single process without them."""
        env = os.environ if env is None else env
        if "WORLD_SIZE" not in env and "RANK" not in env:
            return cls()
        missing = [name for name in LAUNCHER_VARIABLES if not env.get(name)]
        if missing:
            raise RnnToolError(f"a distributed launch needs {', '.join(LAUNCHER_VARIABLES)} "
                               f"in the environment (torchrun sets them); missing: "
                               f"{', '.join(missing)}")
        try:
            rank, size, local = (int(env[n]) for n in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))
        except ValueError:
            raise RnnToolError("RANK, WORLD_SIZE and LOCAL_RANK must be integers") from None
        if not 0 <= rank < size:
            raise RnnToolError(f"RANK={rank} is not a rank of WORLD_SIZE={size}")
        return cls(rank, size, local)

    def shard(self, items: list) -> tuple[list, float]:
        """This rank's share of a global batch ``items`` (every ``world_size``-th item from
        ``rank``) and its weight: 1, or 0 when the batch has fewer items than ranks and this
        rank gets none; it then computes on the batch's first item with weight 0, so that
        every rank takes part in every step."""
        mine = items[self.rank::self.world_size]
        return (mine, 1.0) if len(mine) else (items[:1], 0.0)

    def wrap(self, model):
        """``model`` as DistributedDataParallel in a distributed run (the model itself
        otherwise): its forward passes must go through the wrapper for the gradients to be
        averaged."""
        if not self.distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel
        return DistributedDataParallel(model)

    def broadcast(self, values: list[float]) -> list[float]:
        """Rank 0's ``values``, on every rank."""
        if not self.distributed:
            return values
        import torch
        import torch.distributed as dist
        tensor = torch.tensor(values, dtype=torch.float64)
        dist.broadcast(tensor, 0)
        return tensor.tolist()

    def gather_rows(self, tensor, dim: int):
        """The ranks' ``tensor``s (shards of a batch) concatenated along ``dim`` in rank
        order, on every rank."""
        if not self.distributed:
            return tensor
        import torch
        import torch.distributed as dist
        parts = [torch.empty_like(tensor) for _ in range(self.world_size)]
        dist.all_gather(parts, tensor.contiguous())
        return torch.cat(parts, dim)

    def rows(self, tensor, dim: int):
        """This rank's contiguous block of ``tensor`` along ``dim`` (which the world size
        divides)."""
        if not self.distributed:
            return tensor
        size = tensor.shape[dim] // self.world_size
        return tensor.narrow(dim, self.rank * size, size)


SINGLE = Group()


class StepSync:
    """After each step's forward pass, what every rank needs to agree on: the summed loss
    and item count of the whole batch, rank 0's progress (0..1) and whether any rank was
    asked to stop. One small all-reduce a step; nothing at all in a single process."""

    def __init__(self, group: Group):
        self.group = group

    def __call__(self, loss_sum: float, count: float, progress: float,
                 stop: bool) -> tuple[float, float, float, bool]:
        if not self.group.distributed:
            return loss_sum, count, progress, stop
        import torch
        import torch.distributed as dist
        values = torch.tensor([loss_sum, count, progress if self.group.is_main else 0.0,
                               1.0 if stop else 0.0], dtype=torch.float64)
        dist.all_reduce(values)
        total, items, progress, stops = values.tolist()
        return total, items, progress, stops > 0


def backend() -> str:
    """gloo: rnntool's models train on the CPU (nccl would need them on a GPU)."""
    return "gloo"


@contextlib.contextmanager
def process_group(group: Group) -> Iterator[Group]:
    """Join the process group of a distributed run for the duration (nothing to do for a
    single process); leave it on the way out, whatever happened. A program that joined its
    group itself (``torch.distributed.init_process_group``) before calling rnntool keeps it:
    it is used as it is and left joined. A collective that fails because another rank went
    away becomes a one-line RnnToolError."""
    if not group.distributed:
        yield group
        return
    import torch.distributed as dist
    joined = dist.is_initialized()
    if not joined:
        try:
            dist.init_process_group(backend(), rank=group.rank, world_size=group.world_size,
                                    timeout=TIMEOUT)
        except (RuntimeError, ValueError) as exc:
            raise RnnToolError(f"cannot join the distributed run as rank {group.rank} of "
                               f"{group.world_size} ({first_line(exc)})") from None
    try:
        yield group
        dist.barrier()  # leave together: no rank tears down while another still works
    except RnnToolError:
        raise
    except (RuntimeError, getattr(dist, "DistBackendError", RuntimeError)) as exc:
        if not is_peer_failure(exc):
            raise
        raise RnnToolError(f"another process of this distributed run stopped, so this one "
                           f"stops too ({first_line(exc)})") from None
    finally:
        if not joined:
            with contextlib.suppress(Exception):
                dist.destroy_process_group()


def first_line(exc: BaseException) -> str:
    """The gist of an exception: its first sentence, without gloo's source location."""
    import re
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    line = re.sub(r"^\[[^\]]*\]\s*", "", line)
    return line.split(". ")[0].rstrip(".")


def is_peer_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from a collective whose peers went away."""
    text = str(exc).lower()
    return any(word in text for word in ("gloo", "connection closed", "connection reset",
                                         "broken pipe", "timed out", "timeout", "nccl",
                                         "peer"))
