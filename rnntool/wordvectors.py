"""Pretrained word vectors in the word2vec / GloVe text format, to initialize embeddings.

One word a line followed by its numbers, separated by spaces; an optional first line
``COUNT DIM`` (word2vec) is skipped. Only words of the vocabulary are kept, so a large file
costs no more memory than the vocabulary's rows. Not here: training, models.
"""

from __future__ import annotations

import numpy as np

from rnntool import text as textio
from rnntool.errors import InputError


def load_vectors(path: str, vocab, dim: int, *, encoding: str = "utf-8",
                 errors: str = "strict") -> tuple[np.ndarray, np.ndarray]:
    """``(rows, vectors)``: the vocabulary ids found in the file and their vectors.

    A line whose vector is not ``dim`` numbers is an InputError naming the line.
    """
    name = textio.display_name(path)
    index = vocab.index
    rows: list[int] = []
    vectors: list[np.ndarray] = []
    number = 0
    for chunk in textio.read_line_chunks(path, encoding=encoding, errors=errors):
        lines = chunk.split("\n")
        if chunk.endswith("\n"):
            lines.pop()
        for line in lines:
            number += 1
            if not line.strip():
                continue
            parts = line.rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec's header
            word = parts[0]
            if word not in index:
                continue
            try:
                vector = np.array(parts[1:], dtype=np.float32)
            except ValueError:
                raise InputError(f"{name}: line {number}: the vector of {word!r} is not numbers"
                                 ) from None
            if vector.shape != (dim,):
                raise InputError(f"{name}: line {number}: {len(vector)} numbers for {word!r}, "
                                 f"but the embedding size is {dim} (see --embed)")
            rows.append(index[word])
            vectors.append(vector)
    return np.array(rows, dtype=np.int64), np.array(vectors, dtype=np.float32).reshape(-1, dim)
