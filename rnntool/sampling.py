"""Generating text from a language-model checkpoint, one token at a time.

The prime is run through the model once; after that every new token costs one recurrent
step on the carried state (constant work per token, the prefix is never re-run), and each
token is yielded as soon as it is drawn, so callers can stream it. Not here: writing to
stdout (the command does that), checking a model can sample (``rnntool.kinds``), training.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

from rnntool.errors import RnnToolError
from rnntool.vocab import BOS, EOS, PAD, UNK


def describe_chars(chars: list[str]) -> str:
    return ", ".join(f"{c!r} (U+{ord(c):04X})" if len(c) == 1 else repr(c) for c in chars)


def default_prime(vocab) -> str:
    """What to prime with when the user gives no seed: a line end, if the text had one,
    else its most frequent token; nothing for a word model (which starts as after a line
    end anyway)."""
    if vocab.level == "word":
        return ""
    if "\n" in vocab.index:
        return "\n"
    return vocab.tokens[vocab.num_reserved]


def generator(random_seed: int | None = None):
    """A torch random generator for drawing tokens: seeded with ``random_seed`` (the same
    draws every time), or from the system's randomness when it is None."""
    import torch

    found = torch.Generator()
    if random_seed is None:
        found.seed()
    else:
        found.manual_seed(random_seed)
    return found


def generate(model, vocab, prime: str, length: int, *, temperature: float = 1.0,
             top_k: int | None = None, greedy: bool = False,
             generator=None) -> Iterator[str]:
    """An iterator over ``length`` tokens (as text) continuing ``prime``.

    For a word model the prime is split into words as the training text was, and the
    model first reads a line end (``</s>``), as before every line of its text; the words
    come as text to write after the prime (a space before each word but the first of a
    line, a line end for ``</s>``). ``temperature`` divides the logits; ``top_k`` keeps the k most likely tokens;
    ``greedy`` always takes the most likely one. Reserved tokens are never produced.
    The arguments are checked here, before anything is generated, so a caller can reject a
    bad prime before writing anything. While the iterator is suspended between tokens,
    torch's oneDNN switch stays off (see ``single_step_mode``); it is restored when the
    iterator ends or is closed.
    """
    words = vocab.level == "word"
    if not prime and not words:
        raise RnnToolError("the prime text is empty")
    unknown = vocab.unknown_in(prime)
    if unknown:
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        if words:
            raise RnnToolError(f"the seed holds words the model's vocabulary lacks (or keeps "
                               f"only as <unk>): {', '.join(map(repr, unknown[:10]))}{more}")
        raise RnnToolError(f"the seed holds characters the model's vocabulary lacks: "
                           f"{describe_chars(unknown[:10])}{more}")
    if not temperature > 0:
        raise RnnToolError("--temperature must be positive (use --greedy for the most likely text)")
    if words:
        import numpy as np
        ids = np.concatenate([np.array([EOS], dtype=np.int64), vocab.encode(prime)])
        return _spaced(_stream(model, vocab, ids, length, temperature, top_k, greedy,
                               generator), prime)
    return _stream(model, vocab, vocab.encode(prime), length, temperature, top_k, greedy,
                   generator)


def _spaced(words: Iterator[str], prime: str) -> Iterator[str]:
    """Words as text to follow ``prime``: a space before each but the first of a line, a
    line end for ``</s>``."""
    line_start = not prime or prime.endswith("\n")
    for word in words:
        if word == "</s>":
            yield "\n"
            line_start = True
        else:
            yield word if line_start else " " + word
            line_start = False


def _stream(model, vocab, prime_ids, length, temperature, top_k, greedy, generator):
    import torch

    banned = torch.zeros(len(vocab), dtype=torch.bool)
    banned[[PAD, UNK]] = True  # never a character of the text (</s> of a word model is)
    if vocab.level == "word":
        banned[BOS] = True
    model.eval()
    with torch.inference_mode():
        logits, state = model(torch.from_numpy(prime_ids.astype("int64")).view(-1, 1))
        last = logits[-1, 0]
        step_input = torch.zeros(1, 1, dtype=torch.long)
        with single_step_mode():
            for _ in range(length):
                scores = last.masked_fill(banned, float("-inf"))
                if greedy:
                    token = int(scores.argmax())
                else:
                    # In float64, shifted before dividing and masked after it, so that no
                    # temperature overflows or makes -inf/inf a nan: a tiny one is
                    # greedy, an infinite one draws uniformly among the allowed tokens.
                    scores = ((last.double() - scores.max()) / temperature).masked_fill(
                        banned, float("-inf"))
                    if top_k is not None and top_k < len(vocab):
                        kth = torch.topk(scores, top_k).values[-1]
                        scores = scores.masked_fill(scores < kth, float("-inf"))
                    try:
                        token = int(torch.multinomial(torch.softmax(scores, dim=-1), 1,
                                                      generator=generator))
                    except RuntimeError:  # finite weights can still overflow the scores
                        raise RnnToolError("the model's scores overflow (they are not finite "
                                           "numbers): its weights are too large to sample "
                                           "from") from None
                yield vocab.tokens[token]
                step_input[0, 0] = token
                logits, state = model(step_input, state)
                last = logits[0, 0]


@contextlib.contextmanager
def single_step_mode():
    """Run recurrent layers one time step at a time without oneDNN (MKL-DNN).

    oneDNN's fused RNN kernels win on whole sequences (training, the prime) but cost
    milliseconds of set-up per call, which for one time step is about eight times the work
    itself; torch's native kernels step a 2x512 LSTM far faster.
    """
    import torch
    with warnings.catch_warnings():  # the switch warns about GPU features this build lacks
        warnings.simplefilter("ignore")
        with torch.backends.mkldnn.flags(enabled=False):
            yield
