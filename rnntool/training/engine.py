"""What every training loop shares: the checkpointer, the run log, the one training step,
and the epoch loop of the kinds that train in epochs.

``Checkpointer`` writes the run's checkpoint (the best model, and in the same file the
state to resume from). ``RunLog`` writes ``CKPT.metrics.jsonl``. ``Step`` is the one
training step of every kind: given a batch's loss, it takes the clock, makes the processes
of a distributed run agree on the loss, the clock and signals, clips and applies the
gradients, and stops on a non-finite loss. ``fit_epochs`` is the epoch loop of the tree
models, sentence classifiers, taggers and forecasters; the language models' loop over
contiguous streams is in ``rnntool.training.lm``.

Under ``torchrun`` every loop runs as one rank of a distributed group (``group``, see
``rnntool.distributed``): each rank computes its share of every global batch, every rank
validates, and only rank 0 reports progress and writes files.

Not here: any one model kind, reading data, the checkpoint format (``rnntool.checkpoint``).
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np

from rnntool import checkpoint
from rnntool.console import ProgressReporter, format_duration, format_rate
from rnntool.distributed import SINGLE, Group, StepSync
from rnntool.errors import Interrupted, RnnToolError
from rnntool.guard import Abandoned, StopSignals
from rnntool.threads import Tuner
from rnntool.training.budget import Budget, stale_validations, stop_reason
from rnntool.training.schedule import Schedule


def apply_gradients(loss, optimizer, params, clip: float) -> float:
    """One optimizer step on ``loss``, gradients clipped to global norm ``clip`` (0: off);
    returns the loss as a number."""
    from rnntool.optim import clip_grad_norm
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip > 0:
        clip_grad_norm(params, clip)
    optimizer.step()
    return loss.item()


def new_record(settings, extra_settings: dict | None, seen: str, best_key: str,
               digest: str, **fields) -> dict:
    """The training record a run starts from (the checkpoint's ``training`` section):
    its settings, ``fields`` of its kind, the step and clock at zero, ``seen`` items seen,
    no best ``best_key`` yet, and the data's fingerprint."""
    import dataclasses
    return {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
            **fields, "step": 0, "epoch": 0, seen: 0, "elapsed": 0.0, best_key: None,
            "best_step": None, "history": [], "data_digest": digest}


class Checkpointer:
    """Writes a run's checkpoint file: the best model so far (what predict and sample use)
    and, in the same file, the latest state to resume from (``training["resume"]``: the
    current weights, optimizer state, random states and the loop's position). On rank 0
    only. ``restore`` puts a loaded checkpoint's resume state back."""

    def __init__(self, kind: str, model, vocab, optimizer, record: dict, output: str,
                 is_main: bool = True):
        self.kind, self.model, self.vocab, self.optimizer = kind, model, vocab, optimizer
        self.record, self.output, self.is_main = record, output, is_main
        self.best = None  # a copy of the best weights, once validation has found them
        self.metrics = None  # the run's MetricsLog, committed beside the first checkpoint
        self.resumed_from = None  # the checkpoint a resumed run goes on from

    def save(self, position: dict, improved: bool = False) -> None:
        """Write the file; ``improved``: the current weights are the new best."""
        import torch
        if not self.is_main:
            return
        current = self.model.state_dict()
        if improved:
            self.best = {k: v.detach().clone() for k, v in current.items()}
        self.record["resume"] = {"model": current, "optimizer": self.optimizer.state_dict(),
                                 "rng": torch.get_rng_state(), **position}
        weights = current if self.best is None else self.best
        checkpoint.save(self.output, checkpoint.new(self.kind, self.model, self.vocab,
                                                    self.record, state_dict=weights))
        if self.metrics is not None:
            self.metrics.commit()

    def restore(self, loaded: dict | None, path: str) -> dict | None:
        """Continue from checkpoint ``loaded`` (None: a fresh run, nothing to do), which
        must have been trained on the same data: weights, optimizer, torch's random state
        and the record; returns the saved position."""
        import torch
        if loaded is None:
            return None
        if loaded["training"].get("data_digest") != self.record["data_digest"]:
            raise different_data(path)
        training = loaded["training"]
        self.resumed_from = path
        state = training.get("resume")
        if not isinstance(state, dict):
            raise RnnToolError(f"{path}: the checkpoint holds no state to resume from")
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["rng"])
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise RnnToolError(f"{path}: damaged resume state ({str(exc).splitlines()[0]})"
                               ) from None
        if training.get("best_step") is not None:
            self.best = loaded["model"]["state_dict"]
        self.record.update({k: v for k, v in training.items()
                            if k not in ("settings", "resume")})
        return state


class RunLog:
    """A run's records in ``CKPT.metrics.jsonl`` (``rnntool.metrics``): ``step`` after
    every training step adds up one interval and writes a ``train`` record every
    ``settings.log_every`` steps; ``validation`` first writes the partial interval, then
    the figures. Used as a context manager around the loop, it writes the ``start``
    record on entry and the ``end`` record on exit, with the status the exit shows
    (finished, interrupted, failed). Writes nothing on ranks other than 0 or with
    ``enabled=False``."""

    def __init__(self, kind: str, settings, record: dict, output: str, unit: str, *,
                 resume_step: int | None, enabled: bool = True, source: str | None = None):
        from rnntool.metrics import MetricsLog, metrics_path
        self.kind, self.settings, self.record, self.unit = kind, settings, record, unit
        self.resume_step = resume_step
        self.source = None if source is None else metrics_path(source)
        self.metrics = MetricsLog(metrics_path(output), enabled)
        self.every = settings.log_every
        self.step_now, self.elapsed = resume_step or 0, record.get("elapsed", 0.0)
        self._reset()

    def _reset(self) -> None:
        self.loss, self.count, self.items, self.seconds = 0.0, 0, 0, 0.0

    def __enter__(self) -> "RunLog":
        from rnntool import __version__
        from rnntool.metrics import now
        self.metrics.open(self.resume_step, self.source)
        self.metrics.write("start", time=now(), rnntool=__version__, kind=self.kind,
                           step=self.step_now, resumed=self.resume_step is not None,
                           settings=self.record["settings"])
        return self

    def __exit__(self, kind, exc, tb) -> None:
        from rnntool.metrics import now
        status, fields = "finished", {}
        if isinstance(exc, (Interrupted, KeyboardInterrupt)):
            status = "interrupted"
        elif exc is not None:
            status, fields = "failed", {"message": str(exc).splitlines()[0] if str(exc) else
                                        type(exc).__name__}
        self.metrics.write("end", step=self.step_now, elapsed=round(self.elapsed, 3),
                           time=now(), status=status, **fields)
        self.metrics.close()

    def step(self, step: int, epoch: float, loss: float, items: int, seconds: float,
             lr: float, elapsed: float) -> None:
        """One training step done: its loss, items, compute seconds and learning rate."""
        self.step_now, self.elapsed = step, elapsed
        self.loss, self.count = self.loss + loss, self.count + 1
        self.items, self.seconds, self.lr = self.items + items, self.seconds + seconds, lr
        if step % self.every == 0:
            self.flush(epoch)

    def flush(self, epoch: float) -> None:
        """Write the interval so far as a ``train`` record (nothing if it is empty)."""
        if self.count:
            self.metrics.write("train", step=self.step_now, epoch=round(epoch, 4),
                               loss=self.loss / self.count, lr=self.lr,
                               elapsed=round(self.elapsed, 3),
                               throughput=round(self.items / max(self.seconds, 1e-9), 1),
                               throughput_unit=f"{self.unit}/s")
        self._reset()

    def validation(self, epoch: float, best: bool, **figures) -> None:
        self.flush(epoch)
        self.metrics.write("validation", step=self.step_now, epoch=round(epoch, 4),
                           elapsed=round(self.elapsed, 3), best=best, **figures)


def run_log(saver: Checkpointer, settings, unit: str, position: dict | None, step: int,
            enabled: bool) -> RunLog:
    """The run log of the run ``saver`` writes, committed with its checkpoints."""
    log = RunLog(saver.kind, settings, saver.record, saver.output, unit,
                 enabled=saver.is_main and enabled, source=saver.resumed_from,
                 resume_step=None if position is None else step)
    saver.metrics = log.metrics
    return log


class Step:
    """The one training step of every loop. ``step(loss, terms, weight)`` takes this rank's
    summed ``loss`` over ``terms`` loss terms (``weight``: this rank's share of the batch,
    see ``Group.shard``): it reads the clock (how far the run is through
    ``settings.max_time``, as rank 0 sees it: see ``Budget``), makes the ranks agree on the
    batch's loss, the clock and whether a signal arrived, applies the gradient of the mean
    over the whole batch's terms (clipped to ``settings.clip``), counts the step and raises
    ``bad_loss(value, step)`` when the loss is not finite. Before the gradients are applied
    it sets the learning rate (``Schedule``, peak ``settings.learning_rate()``) for the
    run's progress: the larger of the share of ``total_steps`` done (the loop sets it once
    it knows; None: no step limit) and the clock. Returns ``(mean loss, terms in
    the batch, clock, stop)``; at a clock of 1 the loop takes no further step, on ``stop``
    it saves and raises ``interrupted()``. The loop tells ``budget`` how long its steps,
    validations and saves take (``guess``: a validation's seconds before one is measured,
    from a step's); the budget's start is the start of training."""

    def __init__(self, model, optimizer, settings, group: Group, stop, output: str,
                 step: int, bad_loss, guess=lambda step_seconds: 0.0):
        self.optimizer, self.settings, self.group = optimizer, settings, group
        self.params = list(model.parameters())
        self.stop, self.output, self.step, self.bad_loss = stop, output, step, bad_loss
        self.sync = StepSync(group)
        self.budget = Budget(settings.max_time, guess)
        self.start = self.budget.start
        self.schedule = Schedule(optimizer, settings.learning_rate(), settings)
        self.total_steps: float | None = None
        self.last_clock = 0.0

    def progress(self, clock: float) -> tuple[float, float]:
        """How far through the run a step taken now is, and how far one step goes."""
        if self.total_steps and math.isfinite(self.total_steps):
            return max(self.step / self.total_steps, clock), 1.0 / self.total_steps
        return clock, max(clock - self.last_clock, 0.0)

    def clock(self) -> float:
        """Rank 0's clock now, on every rank (a collective in a distributed run with a time
        limit)."""
        if self.budget.limit is None:
            return 0.0
        return self.group.broadcast([self.budget.clock()])[0]

    def __call__(self, loss, terms, weight: float = 1.0):
        clock = self.budget.clock()
        total, count, clock, stop_now = self.sync(loss.item() * weight, terms * weight, clock,
                                                  bool(self.stop.signum))
        self.schedule.apply(*self.progress(clock))
        self.last_clock = clock
        apply_gradients(loss * (weight * self.group.world_size / max(count, 1)),
                        self.optimizer, self.params, self.settings.clip)
        value = total / max(count, 1)
        self.step += 1
        if not math.isfinite(value):
            raise self.bad_loss(value, self.step)
        return value, count, clock, stop_now

    def interrupted(self) -> Interrupted:
        """The error that ends a run stopped by a signal (in a distributed run, a rank that
        got none stops because another did: SIGTERM, which torchrun sends)."""
        import signal
        signum = self.stop.signum or signal.SIGTERM
        return Interrupted(f"stopped by {signal.Signals(signum).name} after step "
                           f"{self.step}; {self.output} holds the best model and the state "
                           f"to go on from (--resume {self.output})", signum)


def different_data(path: str) -> RnnToolError:
    return RnnToolError(f"{path}: the training data differs from the data this checkpoint "
                        f"was trained on; resume with the same data")


def data_digest(*parts) -> str:
    """A short fingerprint of training data (arrays, strings, lists of them), so that a
    resumed run can tell it is given the data it was trained on. An array (possibly a
    memory-mapped corpus of any size) is hashed in chunks (``rnntool.data.chunks``: the
    memory of one, and a signal is seen between them), the same digest as its bytes hashed
    at once."""
    import hashlib
    from rnntool.data import chunks
    digest = hashlib.sha256()

    def feed(part) -> None:
        if isinstance(part, np.ndarray):
            flat = part if part.ndim == 1 else part.reshape(-1)  # a copy only if need be
            for chunk in chunks(flat):
                digest.update(memoryview(np.ascontiguousarray(chunk).view(np.uint8)))
        elif isinstance(part, str):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        else:
            for item in part:
                feed(item)
            digest.update(b"\1")
    for part in parts:
        feed(part)
    return digest.hexdigest()[:16]


def init_embeddings(embedding, embeddings, vocab, reporter: ProgressReporter) -> None:
    """Set the rows of ``embedding`` that ``embeddings(vocab, dim)`` returns vectors for."""
    import torch
    rows, vectors = embeddings(vocab, embedding.embedding_dim)
    with torch.no_grad():
        embedding.weight[torch.from_numpy(rows)] = torch.from_numpy(vectors)
    reporter.message(f"{len(rows):,} of {len(vocab):,} words start from given vectors")


def reseed_rank(group: Group, seed: int, step: int) -> None:
    """Give ranks other than 0 random streams of their own (dropout), after the weights are
    made alike; rank 0 keeps the single-process stream."""
    import torch
    if group.rank:
        torch.manual_seed((seed * 1_000_003 + group.rank * 7919 + step) % 2 ** 63)


def shuffled_batches(n: int, batch_size: int, rng) -> list[list[int]]:
    """One epoch's minibatches: the indices 0..n-1 in ``rng``'s random order, in lists
    of ``batch_size``."""
    import torch
    order = torch.randperm(n, generator=rng).tolist()
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def resuming(position: dict | None) -> str:
    """The start of a run's first message: where a resumed run goes on from."""
    return f"resuming at step {position['step']}: " if position else ""


def fit_epochs(model, saver: Checkpointer, settings, epoch_batches, data_rng, step_loss,
               validate, reporter: ProgressReporter, *, unit: str, best_key: str,
               position: dict | None = None, metrics: bool = True,
               group: Group = SINGLE, higher_is_better: bool = True) -> dict:
    """The epoch loop of the tree models, sentence classifiers, taggers and forecasters.

    Each epoch: ``step_loss(indices)`` -> ``(loss summed over the loss terms, number of
    terms)`` for this rank's share of every batch of ``epoch_batches()`` (which draws its
    order from ``data_rng``, an object with ``get_state`` and ``set_state``), one ``Step``
    each; then ``validate()`` -> ``(score, history fields, message)``, and the checkpoint
    is saved whenever the score beats ``record[best_key]`` (is higher, or with
    ``higher_is_better=False`` lower). Stops after ``settings.epoch_limit()`` epochs; when
    ``settings.max_time`` cannot hold another step and then the validation and saves (see
    ``Budget``), mid-epoch if need be; after ``settings.patience`` validations in a row
    without a better score; or at SIGINT/SIGTERM, after the step in progress or at once
    during a validation (then it saves and raises ``Interrupted``). Saves once more at the
    end, and says why it stopped. ``position``: where a resumed run goes on
    from. Keeps the record's step, epoch, elapsed, ``{unit}_seen`` and history up to date,
    and writes ``CKPT.metrics.jsonl`` (``metrics``; see ``RunLog``). Returns a summary dict.
    """
    record, output = saver.record, saver.output
    seen_key = f"{unit}_seen"
    step = position["step"] if position else 0
    train_seconds = position["train_seconds"] if position else 0.0
    first_epoch = position["epoch"] if position else 1
    earlier = record["elapsed"]
    out_of_time, stalled, total_steps = False, False, None
    last_epoch = settings.epoch_limit()  # None: --max-time alone ends the run
    epochs = itertools.count(first_epoch) if last_epoch is None else \
        range(first_epoch, last_epoch + 1)
    reseed_rank(group, settings.random_seed, step)
    log = run_log(saver, settings, unit, position, step, metrics)

    def bad_loss(value, step) -> RnnToolError:
        return RnnToolError(f"the training loss became {value} at step {step}; training "
                            f"stopped" + (f", {output} keeps the best model so far"
                                          if record["best_step"] else "; nothing was saved")
                            + " (try a lower --lr)")

    def where(epoch, batch, epoch_rng, total, count) -> dict:
        return {"step": step, "train_seconds": train_seconds, "epoch": epoch, "batch": batch,
                "epoch_rng": epoch_rng, "total": total, "count": count}

    def save(position: dict, improved: bool = False) -> None:
        tick = time.monotonic()
        saver.save(position, improved)
        run.budget.saved(time.monotonic() - tick)

    def interrupt(epoch: int, index: int, epoch_rng, total, count) -> Interrupted:
        """Save the state after batch ``index`` of ``epoch``; the error that ends the run."""
        record.update(step=step, epoch=epoch,
                      elapsed=round(earlier + time.monotonic() - start, 3))
        log.flush(epoch - 1 + (index + 1) / len(batches))
        save(where(epoch, index + 1, epoch_rng, total, count))
        return run.interrupted()

    with reporter, StopSignals(grace=2.0 if group.distributed else 0.0) as stop, log, \
            Tuner(settings.threads, enabled=not group.distributed) as tuner:
        # Before a validation is measured, take it to cost a tenth of an epoch's steps.
        run = Step(model, saver.optimizer, settings, group, stop, output, step, bad_loss,
                   guess=lambda step_seconds: 0.1 * len(batches) * step_seconds)
        start = run.start
        epoch = first_epoch - 1  # the last epoch done, should none be left
        for epoch in epochs:
            resumed = position is not None and epoch == first_epoch
            if resumed:
                data_rng.set_state(position["epoch_rng"])
            epoch_rng = data_rng.get_state()
            batches = epoch_batches()
            if last_epoch is not None:
                total_steps = total_steps or len(batches) * last_epoch
                run.total_steps = total_steps
            total, count = (position["total"], position["count"]) if resumed else (0.0, 0)
            model.train()
            first_batch = position["batch"] if resumed else 0
            index = first_batch - 1  # the last batch done, should none be left
            for index in range(first_batch, len(batches)):
                tick = time.monotonic()
                items = len(batches[index])
                shard, weight = group.shard(batches[index])
                value, terms, clock, stop_now = run(*step_loss(shard), weight)
                step = run.step
                total, count = total + value, count + 1
                record[seen_key] += items
                train_seconds += time.monotonic() - tick
                tuner.record(time.monotonic() - tick, terms)  # may change the thread count
                run.budget.stepped(time.monotonic() - tick)
                elapsed = time.monotonic() - start
                log.step(step, epoch - 1 + (index + 1) / len(batches), value, items,
                         time.monotonic() - tick, saver.optimizer.param_groups[0]["lr"],
                         earlier + elapsed)
                done = max(step / total_steps, clock) if total_steps else clock
                out_of_time = clock >= 1.0
                reporter.update(done, [f"epoch {epoch}", f"loss {value:.3f}",
                                       f"{format_rate(record[seen_key] / train_seconds)} {unit}/s"])
                if stop_now:
                    raise interrupt(epoch, index, epoch_rng, total, count)
                if out_of_time:
                    break
            entry = {"epoch": epoch, "step": step, "train_loss": total / max(count, 1),
                     "elapsed": round(earlier + time.monotonic() - start, 3)}
            message = f"epoch {epoch}: train loss {entry['train_loss']:.4f}"
            record.update(step=step, epoch=epoch, elapsed=entry["elapsed"])
            improved = False
            finished_part = epoch - 1 + (index + 1) / len(batches)
            if validate is not None:
                try:  # a signal ends the validation at once; it is done again on resuming
                    with stop.abortable(not group.distributed):
                        tick = time.monotonic()
                        score, fields, text = validate()
                except Abandoned:
                    raise interrupt(epoch, index, epoch_rng, total, count) from None
                run.budget.validated(time.monotonic() - tick)
                entry.update(fields)
                message += ", " + text
                improved = record[best_key] is None or (
                    score > record[best_key] if higher_is_better else score < record[best_key])
                log.validation(finished_part, improved, **fields)
            else:
                log.flush(finished_part)
            record["history"].append(entry)
            if improved:
                record.update({best_key: score, "best_step": step})
                save(where(epoch + 1, 0, data_rng.get_state(), 0.0, 0), improved=True)
                message += f"; saved {output}"
            reporter.message(message)
            out_of_time = out_of_time or run.clock() >= 1.0  # validating took time too
            stalled = validate is not None and stale_validations(record, settings.patience)
            if out_of_time or stalled:
                break
        record["elapsed"] = round(earlier + time.monotonic() - start, 3)
        if out_of_time and index + 1 < len(batches):  # the epoch goes on from where it stopped
            save(where(epoch, index + 1, epoch_rng, total, count))
        else:  # the next epoch starts from its beginning
            save(where(epoch + 1, 0, data_rng.get_state(), 0.0, 0))
    elapsed = time.monotonic() - start
    rate = record[seen_key] / max(train_seconds, 1e-9)
    best = record[best_key]
    why = stop_reason(settings, out_of_time, stalled,
                      f"{epoch} epoch{'s' if epoch != 1 else ''}")
    reporter.message(f"done: {step} steps in {format_duration(elapsed)} ({why}), training at "
                     f"{format_rate(rate)} {unit}/s; "
                     + (f"best {best_key[5:].replace('_', ' ')} {best:.4f}; "
                        if best is not None else "") + f"model in {output}")
    return {"steps": step, best_key: best, "elapsed": elapsed,
            f"train_{unit}_per_second": rate}
