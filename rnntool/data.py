"""Batching for truncated backpropagation through time over one long token stream.

The corpus (a 1-D id array, possibly memory-mapped) is cut into ``batch_size`` contiguous
streams laid side by side; batch ``i`` holds the next ``seq_len`` ids of every stream, so
row ``b`` of batch ``i + 1`` continues row ``b`` of batch ``i`` and the recurrent state can
be carried from one batch to the next. Not here: models, files, the training loop.
"""

from __future__ import annotations

import math

import numpy as np

from rnntool.errors import RnnToolError


class StreamBatches:
    """``batch_size`` contiguous streams over ``ids``, read ``seq_len`` steps at a time.

    Indexing gives ``(inputs, targets)`` as int64 tensors of shape ``[time, batch]``; the
    last batch of a pass may be shorter in time. ``len()`` is the number of batches a pass.
    """

    def __init__(self, ids: np.ndarray, batch_size: int, seq_len: int, what: str = "data",
                 unit: str = "tokens"):
        if batch_size < 1 or seq_len < 1:
            raise ValueError("batch_size and seq_len must be positive")
        self.stream_len = len(ids) // batch_size
        if self.stream_len < 2:
            raise RnnToolError(
                f"the {what} holds {len(ids):,} {unit}, too few for {batch_size} streams of "
                f"at least 2; use more text or a smaller --batch-size")
        self.streams = ids[:self.stream_len * batch_size].reshape(batch_size, self.stream_len)
        self.batch_size = batch_size
        self.seq_len = seq_len

    def __len__(self) -> int:
        return math.ceil((self.stream_len - 1) / self.seq_len)

    def __getitem__(self, index: int):
        import torch
        if not 0 <= index < len(self):
            raise IndexError(index)
        start = index * self.seq_len
        stop = min(start + self.seq_len, self.stream_len - 1)
        block = np.ascontiguousarray(self.streams[:, start:stop + 1].T, dtype=np.int64)
        block = torch.from_numpy(block)
        return block[:-1], block[1:]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
