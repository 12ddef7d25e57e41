"""Batching: contiguous streams for truncated BPTT, and length buckets for sentences.

``StreamBatches``: the corpus (a 1-D id array, possibly memory-mapped) is cut into
``batch_size`` contiguous streams laid side by side; batch ``i`` holds the next ``seq_len``
ids of every stream, so row ``b`` of batch ``i + 1`` continues row ``b`` of batch ``i`` and
the recurrent state can be carried from one batch to the next.

``LengthBatches``: sentences of different lengths grouped into batches of similar length
(sorted by length, ties in random order), then padded; the model packs them
(``pack_padded_sequence``), so padding neither changes a result nor costs compute, and
bucketing keeps the padded tensors small.

Not here: models, files, the training loop.
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


def pad(sequences: list, pad_id: int = 0):
    """``(ids [batch, longest] int64, lengths [batch] int64)`` tensors of id sequences."""
    import torch
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    ids = np.full((len(sequences), int(lengths.max())), pad_id, dtype=np.int64)
    for row, seq in enumerate(sequences):
        ids[row, :len(seq)] = seq
    return torch.from_numpy(ids), torch.from_numpy(lengths)


class LengthBatches:
    """Batches of sentences of similar length, in a new random order every pass.

    ``sequences``: id arrays; ``targets``: a class id each. Each pass sorts the sentences by
    length, breaking ties at random, cuts the order into batches of ``batch_size`` and
    shuffles the batches. Iterating yields ``(ids, lengths, targets, indices)``.
    """

    def __init__(self, sequences: list, targets, batch_size: int, seed: int = 0):
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        self.sequences = sequences
        self.targets = np.asarray(targets, dtype=np.int64)
        self.lengths = np.array([len(s) for s in sequences], dtype=np.int64)
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)

    def epoch(self) -> list[np.ndarray]:
        """One pass: the batches of sentence indices, in this pass's order (drawn now)."""
        ties = self.rng.permutation(len(self.sequences))
        order = ties[np.argsort(self.lengths[ties], kind="stable")]
        batches = [order[i:i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        return [batches[b] for b in self.rng.permutation(len(batches))]

    def batch(self, indices: np.ndarray):
        """``(ids, lengths, targets, indices)`` tensors of the sentences ``indices``."""
        import torch
        ids, lengths = pad([self.sequences[i] for i in indices])
        return ids, lengths, torch.from_numpy(self.targets[indices]), indices

    def __iter__(self):
        return (self.batch(indices) for indices in self.epoch())

    def get_state(self) -> dict:
        """The random state that decides the next pass's order."""
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.rng.bit_generator.state = state
