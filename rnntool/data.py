"""Batching: contiguous streams for truncated BPTT, length buckets for sentences, and padded
tagged sentences.

``StreamBatches``: the corpus (a 1-D id array, possibly memory-mapped) is cut into
``batch_size`` contiguous streams laid side by side; batch ``i`` holds the next ``seq_len``
ids of every stream, so row ``b`` of batch ``i + 1`` continues row ``b`` of batch ``i`` and
the recurrent state can be carried from one batch to the next.

``LengthBatches``: sentences of different lengths grouped into batches of similar length
(sorted by length, ties in random order), then padded; the model packs them
(``pack_padded_sequence``), so padding neither changes a result nor costs compute, and
bucketing keeps the padded tensors small.

``encode_batch``: tagged sentences (word ids, and optionally tag ids and each word's
character ids) padded into the tensors a tagger takes.

``chunks``: one pass over a corpus of any size (a fingerprint, a maximum) in bounded
memory: the pages of a memory-mapped array are let go as the pass leaves them behind.

Not here: models, files, the training loop.
"""

from __future__ import annotations

import contextlib
import math
import mmap
from typing import Iterator, Sequence

import numpy as np

from rnntool.errors import RnnToolError


#: Elements a pass over a corpus reads at a time.
CHUNK = 1 << 22


def chunks(array: np.ndarray, size: int = CHUNK) -> Iterator[np.ndarray]:
    """Consecutive pieces of at most ``size`` elements of the 1-D ``array``. Once the loop
    asks for the next one, the pages of a memory-mapped array's piece are let go: they stay
    in the kernel's page cache, out of this process's resident memory, so a pass over a
    corpus of any size costs the memory of one piece."""
    mapped = getattr(array, "_mmap", None)  # np.memmap's mapping, shared by its views
    start_of_map = None
    if mapped is not None and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(TypeError, ValueError, BufferError):
            start_of_map = np.frombuffer(mapped, np.uint8).ctypes.data
    for start in range(0, len(array), size):
        piece = array[start:start + size]
        yield piece
        if start_of_map is not None and piece.flags.c_contiguous:
            _let_go(mapped, piece.ctypes.data - start_of_map, piece.nbytes)


def _let_go(mapped: mmap.mmap, offset: int, length: int) -> None:
    """Drop the pages of bytes ``offset`` to ``offset + length`` of ``mapped`` from this
    process's resident memory (whole pages within the mapping)."""
    page = mmap.PAGESIZE
    low = offset // page * page
    high = min(len(mapped), -(-(offset + length) // page) * page)
    if high > low:
        with contextlib.suppress(OSError, ValueError):
            mapped.madvise(mmap.MADV_DONTNEED, low, high - low)


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


def sentence_ids(sentences: Sequence[Sequence[str]], vocab, chars=None) -> tuple[list, list | None]:
    """``(word ids, character ids)`` of sentences (lists of words) for ``encode_batch``: each
    sentence's word ids in ``vocab`` (its words folded to lower case when the vocabulary
    is), and with a character vocabulary ``chars`` each word's character ids (None
    without one)."""
    lower = vocab.lowercase
    words = [vocab.ids_of([w.lower() for w in s] if lower else list(s)) for s in sentences]
    if chars is None:
        return words, None
    return words, [[chars.ids_of(list(w)) for w in s] for s in sentences]


def encode_batch(word_ids: Sequence[np.ndarray], tag_ids: Sequence[np.ndarray] | None = None,
                 char_ids: Sequence[Sequence[np.ndarray]] | None = None) -> dict:
    """Pad a batch of sentences (each of at least one word) into torch tensors.

    ``ids`` [B, T] int64 (padding 0) and ``lengths`` [B] int64 on the CPU; with ``tag_ids``,
    ``tags`` [B, T] int64 (padding -1); with ``char_ids`` (one id array a word),
    ``chars`` [B, T, C] int64 (padding 0) and ``char_lengths`` [B, T] (padding positions 1,
    so that every position packs).
    """
    import torch

    if not len(word_ids):
        raise ValueError("an empty batch")
    lengths = np.array([len(s) for s in word_ids], dtype=np.int64)
    if lengths.min() < 1:
        raise ValueError("every sentence of a batch needs at least one word")
    batch, longest = len(word_ids), int(lengths.max())
    ids = np.zeros((batch, longest), dtype=np.int64)
    for row, sentence in enumerate(word_ids):
        ids[row, :len(sentence)] = sentence
    out = {"ids": torch.from_numpy(ids), "lengths": torch.from_numpy(lengths)}
    if tag_ids is not None:
        if [len(t) for t in tag_ids] != lengths.tolist():
            raise ValueError("tag_ids do not match the sentences' lengths")
        tags = np.full((batch, longest), -1, dtype=np.int64)
        for row, sentence in enumerate(tag_ids):
            tags[row, :len(sentence)] = sentence
        out["tags"] = torch.from_numpy(tags)
    if char_ids is not None:
        if [len(c) for c in char_ids] != lengths.tolist():
            raise ValueError("char_ids do not match the sentences' lengths")
        char_lengths = np.ones((batch, longest), dtype=np.int64)
        for row, sentence in enumerate(char_ids):
            char_lengths[row, :len(sentence)] = [len(word) for word in sentence]
        if char_lengths.min() < 1:
            raise ValueError("every word needs at least one character id")
        chars = np.zeros((batch, longest, int(char_lengths.max())), dtype=np.int64)
        for row, sentence in enumerate(char_ids):
            for column, word in enumerate(sentence):
                chars[row, column, :len(word)] = word
        out["chars"] = torch.from_numpy(chars)
        out["char_lengths"] = torch.from_numpy(char_lengths)
    return out
