"""Training language models of characters (``charlm``) or words (``wordlm``).

``read_data`` turns text (files, stdin, a string) or an encoded corpus into the id array
training reads, with its vocabulary. ``train`` runs stateful truncated BPTT: the batch rows
are contiguous streams, the recurrent state is carried from batch to batch (detached, so
gradients stop at the batch border) and reset at each pass over the data; Adam with the
schedule every kind has (``rnntool.training.schedule``); gradient clipping by global norm;
validation on the held-out tail at a fixed step interval, saving the checkpoint whenever
validation loss improves. Under torchrun each rank trains on its block of every batch's
streams.

Not here: the model (``rnntool.models.lm``), counting and encoding corpora
(``rnntool.corpus``), the shared step and checkpointing (``rnntool.training.engine``).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

import numpy as np

from rnntool.console import ProgressReporter, format_duration, format_rate
from rnntool.distributed import SINGLE, Group
from rnntool.errors import RnnToolError
from rnntool.guard import Abandoned, StopSignals
from rnntool.evaluate import bits
from rnntool.inference import lm_loss
from rnntool.settings import CharLMSettings
from rnntool.threads import Tuner
from rnntool.training.budget import stale_validations, stop_reason
from rnntool.training.engine import (Checkpointer, Step, data_digest, new_record,
                                     reseed_rank, run_log)

#: What each language model reads: its vocabulary level, and the nouns of its tokens.
LEVELS = {"charlm": ("char", "characters", "chars"), "wordlm": ("word", "words", "words")}


@dataclass
class LMData:
    """What a language model of ``kind`` (charlm, wordlm) trains on: the corpus as token ids
    (possibly memory-mapped), its vocabulary, and where it came from (the training record's
    ``source``)."""

    kind: str
    ids: np.ndarray
    vocab: object
    source: dict


def read_data(kind: str, settings, *, files: list[str] | None = None,
              text: str | None = None, data_path: str | None = None, vocab=None,
              vocab_path: str | None = None, workdir: str | None = None,
              encoding: str = "utf-8", errors: str = "strict") -> LMData:
    """The training data of a ``kind`` language model, from text ``files`` ('-': stdin),
    encoded through a temporary id array in ``workdir`` (which must outlive training: the
    ids are memory-mapped from it), from a ``text`` string, or from an encoded corpus
    (``data_path``, with the ``vocab`` it was encoded with, read from ``vocab_path``).
    ``vocab``: a Vocab of the kind's level to encode with (default: built from the text,
    with ``settings``' word options); a word vocabulary's tokenizer and case folding go into ``settings``."""
    from rnntool import corpus

    level = LEVELS[kind][0]
    if vocab is not None and level == "word":  # its words are made its way
        settings.tokenizer, settings.lowercase = vocab.tokenizer or "regexp", vocab.lowercase
    words = {} if level == "char" else dict(
        tokenizer=settings.tokenizer, lowercase=settings.lowercase,
        min_count=settings.min_count, max_size=settings.max_size)
    if data_path is not None:
        from rnntool.data import chunks
        ids = corpus.load_ids(data_path)
        top = max((int(piece.max()) for piece in chunks(ids)), default=0)
        if top >= len(vocab):
            raise RnnToolError(f"{data_path}: holds id {top}, but {vocab_path} has only "
                               f"{len(vocab)} entries: it was encoded with another "
                               f"vocabulary")
        return LMData(kind, ids, vocab, {"data": os.path.abspath(data_path),
                                   "vocab": os.path.abspath(vocab_path)})
    if text is not None:
        vocab = vocab or corpus.vocab_of_texts([text], level, **words)
        return LMData(kind, vocab.encode(text), vocab, {})
    ids_path = os.path.join(workdir, "ids.npy")
    options = dict(encoding=encoding, errors=errors)
    if vocab is None:
        vocab = corpus.build_and_encode(files, ids_path, level, **words, **options)
    else:
        corpus.encode_files(files, vocab, ids_path, **options)
    return LMData(kind, corpus.load_ids(ids_path), vocab,
                  {"files": [p if p == "-" else os.path.abspath(p) for p in files]})


def split_train_val(ids: np.ndarray, val_frac: float,
                    noun: str = "characters") -> tuple[np.ndarray, np.ndarray | None]:
    """The first ``1 - val_frac`` of the ids train; the contiguous tail validates."""
    n_val = int(len(ids) * val_frac)
    if val_frac > 0 and n_val < 2:
        raise RnnToolError(f"the text holds {len(ids)} {noun}: too few to hold out "
                           f"{val_frac:g} of them for validation; use more text or --val-frac 0")
    if n_val == 0:
        return ids, None
    return ids[:len(ids) - n_val], ids[len(ids) - n_val:]


def describe_loss(kind: str, loss: float) -> str:
    """A language model's loss as people read it: nats and bits per character, or nats per
    word and perplexity."""
    if LEVELS[kind][0] == "char":
        return f"{loss:.4f} nats/char ({bits(loss):.4f} bits/char)"
    return f"{loss:.4f} nats/word (perplexity {math.exp(min(loss, 700)):.2f})"


def validation_figures(kind: str, loss: float) -> dict:
    """What a language model's validation records hold: the loss in nats, and bits per
    character or perplexity."""
    if LEVELS[kind][0] == "char":
        return {"val_loss": loss, "val_bpc": bits(loss)}
    return {"val_loss": loss, "val_ppl": math.exp(min(loss, 700))}


def map_state(state, function):
    """``function(tensor, 1)`` on every tensor of a recurrent state (None, a tensor or a
    tuple of them; dimension 1 counts the batch's streams)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(function(s, 1) for s in state)
    return function(state, 1)


def remeasure_best(saver: Checkpointer, model, val_ids: np.ndarray,
                   reporter: ProgressReporter) -> None:
    """A checkpoint from before ``--val-tokens`` measured its best model on all of the
    held-out text: measure it again on ``val_ids``, what this run validates on, so that
    later validations compare with a figure of the same text."""
    if saver.best is None or saver.record["best_val_loss"] is None:
        return
    current = {name: value.clone() for name, value in model.state_dict().items()}
    model.load_state_dict(saver.best)
    try:
        saver.record["best_val_loss"] = lm_loss(model, val_ids)
    finally:
        model.load_state_dict(current)
    reporter.message(f"validating on the first {len(val_ids):,} of the held-out text now "
                     f"(--val-tokens); the best model measured again on them")


def train(data: LMData, settings: CharLMSettings, output: str, *,
          resume: dict | None = None, resume_path: str = "", group: Group = SINGLE,
          progress: ProgressReporter | None = None, extra_settings: dict | None = None,
          metrics: bool = True) -> dict:
    """Train a language model on ``data`` and write the best checkpoint to ``output``.

    ``resume``: a loaded checkpoint of a run on the same ids and settings to continue
    exactly where it stopped (``resume_path`` names it in messages). ``metrics``: write the
    run's records to ``output + ".metrics.jsonl"`` (``rnntool.metrics``). ``group``: this
    process's place in a distributed run (each rank trains on its block of the batch's
    streams). Returns a summary dict (steps, best validation loss, elapsed seconds, tokens
    seen).
    """
    import torch
    import torch.nn.functional as F
    from rnntool.data import StreamBatches
    from rnntool.memory import new_model
    from rnntool.models.lm import LanguageModel

    kind, ids, vocab = data.kind, data.ids, data.vocab
    extra_settings = {"source": data.source, **(extra_settings or {})}
    settings.check()
    if settings.batch_size % group.world_size:
        raise RnnToolError(f"--batch-size {settings.batch_size} streams do not share equally "
                           f"among {group.world_size} processes; use a multiple of "
                           f"{group.world_size}")
    torch.manual_seed(settings.random_seed)
    _, noun, unit = LEVELS[kind]
    train_ids, held_out = split_train_val(ids, settings.val_frac, noun)
    val_ids = None if held_out is None else \
        held_out[:settings.validation_tokens(len(held_out))]
    batches = StreamBatches(train_ids, settings.batch_size, settings.seq_len, "training text",
                            noun)
    model = new_model(settings, LanguageModel, len(vocab), embed=settings.embed,
                      hidden=settings.hidden, layers=settings.layers, cell=settings.cell,
                      dropout=settings.dropout, tie=getattr(settings, "tie", False))
    net = group.wrap(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    limits = [settings.steps or math.inf]
    if settings.passes() is not None:
        limits.append(math.ceil(settings.passes() * len(batches)))
    total_steps = min(limits)  # infinite only when --max-time alone ends the run
    eval_every = settings.validation_interval(0 if val_ids is None else len(val_ids))
    is_main = group.is_main
    reporter = progress or ProgressReporter(f"train {kind}", enabled=is_main)

    record = new_record(settings, extra_settings, "tokens_seen", "best_val_loss",
                        data_digest(ids, vocab.tokens))
    record["epoch"] = 0.0
    saver = Checkpointer(kind, model, vocab, optimizer, record, output, is_main)
    step, state, stalled = 0, None, False
    running, running_n = 0.0, 0
    train_seconds = 0.0
    position = saver.restore(resume, resume_path)
    if position is not None:
        step, state = position["step"], map_state(position["state"], group.rows)
        running, running_n = position["running"], position["running_n"]
        train_seconds = position["train_seconds"]
    if resume is not None and val_ids is not None and len(val_ids) < len(held_out) and \
            "val_tokens" not in resume["training"].get("settings", {}):
        remeasure_best(saver, model, val_ids, reporter)
    reseed_rank(group, settings.random_seed, step)
    clock = 0.0  # rank 0's share of --max-time spent (see Budget), as of the last step
    log = run_log(saver, settings, unit, position, step, metrics)

    def save(improved: bool = False) -> None:
        tick = time.monotonic()
        everyone = map_state(state, group.gather_rows)  # every rank's streams (collective)
        saver.save({"step": step, "state": everyone, "running": running,
                    "running_n": running_n, "train_seconds": train_seconds}, improved)
        run.budget.saved(time.monotonic() - tick)

    def interrupt():
        """Save the state after the step done; the error that ends the run."""
        record.update(step=step, epoch=round(step / len(batches), 4),
                      elapsed=round(earlier + time.monotonic() - start, 3))
        log.flush(record["epoch"])
        save()
        return run.interrupted()

    def stopped(value, step) -> RnnToolError:
        return RnnToolError(f"the loss became {value} at step {step}; training stopped"
                            + (f", {output} keeps the last good model" if record["best_step"]
                               else "; nothing was saved") +
                            " (try a lower --lr or a --clip value)")

    earlier = record["elapsed"]
    validation = ("no validation" if val_ids is None else
                  f"validating on the last {len(val_ids):,} every {eval_every} steps"
                  if len(val_ids) == len(held_out) else
                  f"validating on the first {len(val_ids):,} of the last {len(held_out):,} "
                  f"(--val-tokens) every {eval_every} steps")
    reporter.message(f"{'resuming at step ' + str(step) + ': ' if resume else ''}training a "
                     f"{settings.layers}x{settings.hidden} {settings.cell} on "
                     f"{len(train_ids):,} {noun} ({len(batches)} batches of "
                     f"{settings.batch_size}x{settings.seq_len} a pass), {validation}")
    with reporter, StopSignals(grace=2.0 if group.distributed else 0.0) as stop, log, \
            Tuner(settings.threads, enabled=not group.distributed) as tuner:
        # Before a validation is measured, take it to cost half a step per step's tokens.
        share = (0 if val_ids is None else len(val_ids)) / (settings.batch_size * settings.seq_len)
        run = Step(model, optimizer, settings, group, stop, output, step, stopped,
                   guess=lambda seconds: 0.5 * seconds * share)
        run.total_steps = total_steps
        start = run.start
        while True:
            elapsed = time.monotonic() - start
            done = max(step / total_steps, clock)
            finished = done >= 1.0
            due = step > 0 and (step % eval_every == 0 or finished)
            if due and running_n:
                train_loss = running / running_n
                entry = {"step": step, "epoch": round(step / len(batches), 4),
                         "train_loss": train_loss, "elapsed": round(earlier + elapsed, 3),
                         "lr": optimizer.param_groups[0]["lr"]}
                message = f"step {step}: train loss {train_loss:.4f}"
                if val_ids is not None:
                    try:  # a signal ends the validation at once; resuming does it again
                        with stop.abortable(not group.distributed):
                            tick = time.monotonic()
                            val_loss = lm_loss(model, val_ids)
                    except Abandoned:
                        raise interrupt() from None
                    run.budget.validated(time.monotonic() - tick)
                    val_loss = group.broadcast([val_loss])[0]
                    figures = validation_figures(kind, val_loss)
                    entry.update(figures)
                    message += f", validation loss {describe_loss(kind, val_loss)}"
                running, running_n = 0.0, 0
                record["history"].append(entry)
                record.update(step=step, epoch=entry["epoch"], elapsed=entry["elapsed"])
                if val_ids is not None:
                    best = record["best_val_loss"]
                    improved = math.isfinite(val_loss) and (best is None or val_loss < best)
                    log.validation(entry["epoch"], improved, **figures)
                    if not math.isfinite(val_loss):
                        raise stopped(val_loss, step)
                    if improved:
                        record.update(best_val_loss=val_loss, best_step=step)
                        save(improved=True)
                        message += f"; saved {output}"
                else:
                    log.flush(entry["epoch"])
                reporter.message(message)
                clock = max(clock, run.clock())  # validating took time too
                stalled = val_ids is not None and stale_validations(record, settings.patience)
                finished = finished or clock >= 1.0 or stalled
            if finished:
                break
            position = step % len(batches)
            if position == 0:
                state = None  # each pass over the text starts from a zero state
            inputs, targets = (group.rows(t, 1) for t in batches[position])
            tick = time.monotonic()
            logits, state = net(inputs, state)
            state = model.detach_state(state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   reduction="sum")
            value, count, clock, stop_now = run(loss, targets.numel())
            step, lr = run.step, optimizer.param_groups[0]["lr"]
            train_seconds += time.monotonic() - tick
            run.budget.stepped(time.monotonic() - tick)
            tuner.record(time.monotonic() - tick, count)  # may change the thread count
            log.step(step, step / len(batches), value, int(count), time.monotonic() - tick,
                     lr, earlier + time.monotonic() - start)
            running += value
            running_n += 1
            record["tokens_seen"] += int(count)
            done = max(done, step / total_steps)
            reporter.update(done, [f"step {step}", f"loss {value:.3f}",
                                   f"{format_rate(record['tokens_seen'] / max(train_seconds, 1e-9))} {unit}/s",
                                   f"lr {lr:.2e}"])
            if stop_now:
                raise interrupt()
        elapsed = time.monotonic() - start
        record.update(step=step, epoch=round(step / len(batches), 4),
                      elapsed=round(earlier + elapsed, 3))
        log.flush(record["epoch"])
        save()  # the best model, and the final state to go on from
    summary = {"steps": step, "best_val_loss": record["best_val_loss"], "elapsed": elapsed,
               "tokens_seen": record["tokens_seen"], "saved_step": record["best_step"],
               f"train_{unit}_per_second": record["tokens_seen"] / max(train_seconds, 1e-9)}
    passes = settings.passes()
    length = (f"--steps {settings.steps}" if passes is None or (settings.steps and
                                                                 step >= settings.steps)
              else f"{passes:g} epoch{'s' if passes != 1 else ''}")
    why = stop_reason(settings, clock >= 1.0 and step < total_steps, stalled, length)
    summary_line = (f"done: {step} steps in {format_duration(elapsed)} ({why}), "
                    f"{format_rate(summary[f'train_{unit}_per_second'])} {unit}/s")
    if record["best_val_loss"] is not None:
        summary_line += (f"; best validation loss {describe_loss(kind, record['best_val_loss'])}"
                         f" at step {record['best_step']}")
    reporter.message(summary_line + f"; model in {output}")
    return summary
