"""The training loops: character-level language models, recursive tree models and sequence
classifiers.

``train_charlm`` runs stateful truncated BPTT: the batch rows are contiguous streams, the
recurrent state is carried from batch to batch (detached, so gradients stop at the batch
border) and reset at each pass over the data; Adam with a warmup + cosine learning-rate
schedule; gradient clipping by global norm; validation on the held-out tail at a fixed
step interval, saving the checkpoint whenever validation loss improves.

``train_tree`` trains a recursive network on labelled binary trees: shuffled minibatches,
each evaluated level by level; Adagrad or Adam with weight decay; clipping; validation each
epoch, keeping the checkpoint with the best development root accuracy.

``train_sentiment`` trains a sequence classifier on labelled sentences: length-bucketed,
packed minibatches; Adam (embedding rows updated lazily); clipping; validation each epoch,
keeping the checkpoint with the best development accuracy.

Under ``torchrun`` every loop runs as one rank of a distributed group (``group``, see
``rnntool.distributed``): each rank computes its share of every global batch (a block of
the char-LM's streams; every N-th sentence or tree of a batch) through DistributedDataParallel,
the ranks agree after each step on the batch's loss, the clock and signals, every rank
validates, and only rank 0 reports progress and writes files. Not here: reading text
(``rnntool.text``), the checkpoint format (``rnntool.checkpoint``), the command line.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from rnntool import checkpoint
from rnntool.console import ProgressReporter, format_duration, format_rate
from rnntool.distributed import SINGLE, Group, StepSync
from rnntool.errors import Interrupted, RnnToolError
from rnntool.guard import StopSignals
from rnntool.evaluate import bits, lm_loss
from rnntool.settings import CharLMSettings


def split_train_val(ids: np.ndarray, val_frac: float) -> tuple[np.ndarray, np.ndarray | None]:
    """The first ``1 - val_frac`` of the ids train; the contiguous tail validates."""
    n_val = int(len(ids) * val_frac)
    if val_frac > 0 and n_val < 2:
        raise RnnToolError(f"the text holds {len(ids)} characters: too few to hold out "
                           f"{val_frac:g} of them for validation; use more text or --val-frac 0")
    if n_val == 0:
        return ids, None
    return ids[:len(ids) - n_val], ids[len(ids) - n_val:]


def learning_rate(settings: CharLMSettings, step: int, progress: float) -> float:
    """Linear warmup over ``settings.warmup`` steps, then cosine decay by run progress (0..1)."""
    if step < settings.warmup:
        return settings.lr * (step + 1) / settings.warmup
    floor = settings.lr * settings.min_lr_frac
    return floor + 0.5 * (settings.lr - floor) * (1.0 + math.cos(math.pi * min(progress, 1.0)))


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
            raise RnnToolError(f"{path}: the training data differs from the data this "
                               f"checkpoint was trained on; resume with the same data")
        training = loaded["training"]
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
                 resume_step: int | None, enabled: bool = True):
        from rnntool.metrics import MetricsLog, metrics_path
        self.kind, self.settings, self.record, self.unit = kind, settings, record, unit
        self.resume_step = resume_step
        self.metrics = MetricsLog(metrics_path(output), enabled)
        self.every = settings.log_every
        self.step_now, self.elapsed = resume_step or 0, record.get("elapsed", 0.0)
        self._reset()

    def _reset(self) -> None:
        self.loss, self.count, self.items, self.seconds = 0.0, 0, 0, 0.0

    def __enter__(self) -> "RunLog":
        from rnntool import __version__
        from rnntool.metrics import now
        self.metrics.open(self.resume_step)
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


def data_digest(*parts) -> str:
    """A short fingerprint of training data (arrays, strings, lists of them), so that a
    resumed run can tell it is given the data it was trained on."""
    import hashlib
    digest = hashlib.sha256()

    def feed(part) -> None:
        if isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).view(np.uint8).tobytes())
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


def interrupted(stop, output: str, step: int) -> Interrupted:
    """The error that ends a run stopped by a signal (in a distributed run, a rank that got
    none stops because another did: SIGTERM, which torchrun sends)."""
    import signal
    signum = stop.signum or signal.SIGTERM
    return Interrupted(f"stopped by {signal.Signals(signum).name} after step {step}; "
                       f"{output} holds the best model and the state to go on from "
                       f"(--resume {output})", signum)


def reseed_rank(group: Group, seed: int, step: int) -> None:
    """Give ranks other than 0 random streams of their own (dropout), after the weights are
    made alike; rank 0 keeps the single-process stream."""
    import torch
    if group.rank:
        torch.manual_seed((seed * 1_000_003 + group.rank * 7919 + step) % 2 ** 63)


def train_charlm(ids: np.ndarray, vocab, settings: CharLMSettings, output: str, *,
                 resume: dict | None = None, resume_path: str = "", group: Group = SINGLE,
                 progress: ProgressReporter | None = None,
                 extra_settings: dict | None = None, metrics: bool = True) -> dict:
    """Train a char-LM on the encoded corpus ``ids`` and write the best checkpoint to ``output``.

    ``resume``: a loaded checkpoint of a run on the same ``ids`` and settings to continue
    exactly where it stopped (``resume_path`` names it in messages). ``metrics``: write the
    run's records to ``output + ".metrics.jsonl"`` (``rnntool.metrics``). ``group``: this
    process's place in a distributed run (each rank trains on its block of the batch's
    streams). Returns a summary dict (steps, best validation loss, elapsed seconds, tokens
    seen).
    """
    import torch
    import torch.nn.functional as F
    from rnntool.data import StreamBatches
    from rnntool.models import CharLM

    settings.check()
    if settings.batch_size % group.world_size:
        raise RnnToolError(f"--batch-size {settings.batch_size} streams do not share equally "
                           f"among {group.world_size} processes; use a multiple of "
                           f"{group.world_size}")
    torch.manual_seed(settings.random_seed)
    train_ids, val_ids = split_train_val(ids, settings.val_frac)
    batches = StreamBatches(train_ids, settings.batch_size, settings.seq_len, "training text",
                            "characters")
    model = CharLM(len(vocab), embed=settings.embed, hidden=settings.hidden,
                   layers=settings.layers, cell=settings.cell, dropout=settings.dropout)
    net = group.wrap(model)
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    limits = [settings.steps or math.inf]
    if settings.passes() is not None:
        limits.append(math.ceil(settings.passes() * len(batches)))
    total_steps = min(limits)  # infinite only when --max-time alone ends the run
    eval_every = settings.validation_interval(0 if val_ids is None else len(val_ids))
    is_main = group.is_main
    reporter = progress or ProgressReporter("train charlm", enabled=is_main)

    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "step": 0, "epoch": 0.0, "tokens_seen": 0, "elapsed": 0.0,
              "best_val_loss": None, "best_step": None, "history": [],
              "data_digest": data_digest(ids, vocab.tokens)}
    saver = Checkpointer("charlm", model, vocab, optimizer, record, output, is_main)
    step, state = 0, None
    running, running_n = 0.0, 0
    train_seconds = 0.0
    position = saver.restore(resume, resume_path)
    if position is not None:
        step, state = position["step"], map_state(position["state"], group.rows)
        running, running_n = position["running"], position["running_n"]
        train_seconds = position["train_seconds"]
    reseed_rank(group, settings.random_seed, step)
    sync = StepSync(group)
    clock = 0.0  # rank 0's elapsed share of --max-time, as of the last step
    log = RunLog("charlm", settings, record, output, "chars", enabled=is_main and metrics,
                 resume_step=None if position is None else step)
    saver.metrics = log.metrics

    def save(improved: bool = False) -> None:
        everyone = map_state(state, group.gather_rows)  # every rank's streams (collective)
        saver.save({"step": step, "state": everyone, "running": running,
                    "running_n": running_n, "train_seconds": train_seconds}, improved)

    def stopped(value) -> RnnToolError:
        return RnnToolError(f"the loss became {value} at step {step}; training stopped"
                            + (f", {output} keeps the last good model" if record["best_step"]
                               else "; nothing was saved") +
                            " (try a lower --lr or a --clip value)")

    earlier = record["elapsed"]
    start = time.monotonic()
    validation = ("no validation" if val_ids is None else
                  f"validating on the last {len(val_ids):,} every {eval_every} steps")
    reporter.message(f"{'resuming at step ' + str(step) + ': ' if resume else ''}training a "
                     f"{settings.layers}x{settings.hidden} {settings.cell} on "
                     f"{len(train_ids):,} characters ({len(batches)} batches of "
                     f"{settings.batch_size}x{settings.seq_len} a pass), {validation}")
    with reporter, StopSignals(grace=2.0 if group.distributed else 0.0) as stop, log:
        while True:
            elapsed = time.monotonic() - start
            done = max(step / total_steps, clock)
            finished = done >= 1.0
            due = step > 0 and (step % eval_every == 0 or finished)
            if due and running_n:
                train_loss = running / running_n
                running, running_n = 0.0, 0
                entry = {"step": step, "epoch": round(step / len(batches), 4),
                         "train_loss": train_loss, "elapsed": round(earlier + elapsed, 3),
                         "lr": optimizer.param_groups[0]["lr"]}
                message = f"step {step}: train loss {train_loss:.4f}"
                if val_ids is not None:
                    val_loss = group.broadcast([lm_loss(model, val_ids)])[0]
                    entry.update(val_loss=val_loss, val_bpc=bits(val_loss))
                    message += f", validation loss {val_loss:.4f} nats/char ({bits(val_loss):.4f} bits/char)"
                record["history"].append(entry)
                record.update(step=step, epoch=entry["epoch"], elapsed=entry["elapsed"])
                if val_ids is not None:
                    best = record["best_val_loss"]
                    improved = math.isfinite(val_loss) and (best is None or val_loss < best)
                    log.validation(entry["epoch"], improved, val_loss=val_loss,
                                   val_bpc=bits(val_loss))
                    if not math.isfinite(val_loss):
                        raise stopped(val_loss)
                    if improved:
                        record.update(best_val_loss=val_loss, best_step=step)
                        save(improved=True)
                        message += f"; saved {output}"
                else:
                    log.flush(entry["epoch"])
                reporter.message(message)
            if finished:
                break
            position = step % len(batches)
            if position == 0:
                state = None  # each pass over the text starts from a zero state
            inputs, targets = (group.rows(t, 1) for t in batches[position])
            lr = learning_rate(settings, step, done)
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
            tick = time.monotonic()
            logits, state = net(inputs, state)
            state = model.detach_state(state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                   reduction="sum")
            clock = ((time.monotonic() - start) / settings.max_time
                     if settings.max_time is not None else 0.0)
            total, count, clock, stop_now = sync(loss.item(), targets.numel(), clock,
                                                 bool(stop.signum))
            apply_gradients(loss * (group.world_size / count), optimizer, params, settings.clip)
            value = total / count
            train_seconds += time.monotonic() - tick
            step += 1
            if not math.isfinite(value):
                raise stopped(value)
            log.step(step, step / len(batches), value, int(count), time.monotonic() - tick,
                     lr, earlier + time.monotonic() - start)
            running += value
            running_n += 1
            record["tokens_seen"] += int(count)
            done = max(done, step / total_steps)
            reporter.update(done, [f"step {step}", f"loss {value:.3f}",
                                   f"{format_rate(record['tokens_seen'] / max(train_seconds, 1e-9))} chars/s",
                                   f"lr {lr:.2e}"])
            if stop_now:
                record.update(step=step, epoch=round(step / len(batches), 4),
                              elapsed=round(earlier + time.monotonic() - start, 3))
                log.flush(record["epoch"])
                save()
                raise interrupted(stop, output, step)
        elapsed = time.monotonic() - start
        record.update(step=step, epoch=round(step / len(batches), 4),
                      elapsed=round(earlier + elapsed, 3))
        log.flush(record["epoch"])
        save()  # the best model, and the final state to go on from
    summary = {"steps": step, "best_val_loss": record["best_val_loss"], "elapsed": elapsed,
               "tokens_seen": record["tokens_seen"], "saved_step": record["best_step"],
               "train_chars_per_second": record["tokens_seen"] / max(train_seconds, 1e-9)}
    summary_line = (f"done: {step} steps in {format_duration(elapsed)}, "
                    f"{format_rate(summary['train_chars_per_second'])} chars/s")
    if record["best_val_loss"] is not None:
        summary_line += (f"; best validation loss {record['best_val_loss']:.4f} nats/char "
                         f"({bits(record['best_val_loss']):.4f} bits/char) at step "
                         f"{record['best_step']}")
    reporter.message(summary_line + f"; model in {output}")
    return summary


def map_state(state, function):
    """``function(tensor, 1)`` on every tensor of a recurrent state (None, a tensor or a
    tuple of them; dimension 1 counts the batch's streams)."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(function(s, 1) for s in state)
    return function(state, 1)


def tree_vocab(trees, min_count: int = 1):
    """The word vocabulary of the leaves of ``trees`` (leaves are tokens already)."""
    import collections
    from rnntool.trees import leaves
    from rnntool.vocab import Vocab

    counts = collections.Counter(word for tree in trees for word in leaves(tree))
    return Vocab.from_counts(counts, "word", min_count=min_count, tokenizer="whitespace")


def count_classes(trees) -> int:
    """One more than the largest class id among the node labels (at least 2)."""
    from rnntool.treebatch import class_id
    from rnntool.trees import preorder

    top = max((class_id(node.label()) for tree in trees for node in preorder(tree)
               if hasattr(node, "label")), default=-1)
    if top < 0:
        raise RnnToolError("no node of the training trees has a class label (0, 1, 2, ...)")
    return max(2, top + 1)


def train_tree(train_trees: list, dev_trees: list | None, settings, output: str, *,
               embeddings=None, resume: dict | None = None, resume_path: str = "",
               group: Group = SINGLE,
               progress: ProgressReporter | None = None,
               extra_settings: dict | None = None, metrics: bool = True) -> dict:
    """Train a recursive network on binary trees with class labels; write the checkpoint with
    the best development root accuracy (or the last one, without ``dev_trees``) to ``output``.

    Every minibatch is evaluated level by level (``rnntool.treebatch``). ``embeddings``, if
    given, is called as ``embeddings(vocab, dim)`` once the vocabulary is known and returns
    ``(rows, vectors)`` to initialize (``rnntool.wordvectors.load_vectors`` with its path
    bound). ``resume``: a loaded checkpoint of a run on the same trees to go on from (see
    ``train_charlm``); ``metrics`` and ``group`` as there (each rank computes every N-th
    tree of a batch). Returns a summary dict.
    """
    import torch
    from rnntool.evaluate import tree_accuracy
    from rnntool.models.tree import TreeModel
    from rnntool.optim import RowSparseOptimizer
    from rnntool.treebatch import collate, flatten_all, sst_binary

    settings.check()
    if not train_trees:
        raise RnnToolError("there are no training trees")
    if settings.thread_count() is not None:
        torch.set_num_threads(settings.thread_count())
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
        classes = int(resume["training"]["classes"])
    else:
        vocab = tree_vocab(train_trees, settings.min_count)
        classes = 2 if settings.binary else count_classes(train_trees)
    model = TreeModel(len(vocab), classes, embed=settings.embed or settings.hidden,
                      hidden=settings.hidden, cell=settings.cell, dropout=settings.dropout)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train tree", enabled=is_main)
    if embeddings is not None and resume is None:
        init_embeddings(model.embedding, embeddings, vocab, reporter)
    optimizer = RowSparseOptimizer(model, model.embedding, settings.optimizer,
                                   settings.learning_rate(), settings.weight_decay)
    net = group.wrap(model)
    flat = flatten_all(train_trees, vocab.id_of, None if settings.binary else classes)
    order_rng = torch.Generator().manual_seed(settings.random_seed)
    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "classes": classes, "step": 0, "epoch": 0, "trees_seen": 0, "elapsed": 0.0,
              "best_dev_root_accuracy": None, "best_step": None, "history": [],
              "data_digest": data_digest(*((f.words, f.labels, f.left, f.right) for f in flat))}
    saver = Checkpointer("tree", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)

    n = len(train_trees)
    reporter.message(f"{'resuming at step ' + str(position['step']) + ': ' if position else ''}"
                     f"training a {settings.cell} tree model (hidden {settings.hidden}, "
                     f"{classes} classes) on {n:,} trees, {len(vocab):,} words; "
                     + (f"validating on {len(dev_trees):,} trees each epoch" if dev_trees
                        else "no validation"))

    def epoch_batches():
        order = torch.randperm(n, generator=order_rng).tolist()
        return [order[i:i + settings.batch_size] for i in range(0, n, settings.batch_size)]

    def step_loss(indices):
        batch = collate([flat[i] for i in indices])
        labels = sst_binary(batch.labels) if settings.binary else batch.labels
        return TreeModel.loss_sum(net(batch), labels, settings.node_loss, batch.roots)

    def validate():
        scores = tree_accuracy(model, dev_trees, vocab, binary=settings.binary, classes=classes)
        root, every = group.broadcast([scores["root_accuracy"], scores["all_accuracy"]])
        return (root, {"dev_root_accuracy": root, "dev_all_accuracy": every},
                f"dev root accuracy {root:.4f}, all nodes {every:.4f}")

    summary = fit_classifier(model, saver, settings, epoch_batches, order_rng, step_loss,
                             validate if dev_trees else None, reporter, unit="trees",
                             best_key="best_dev_root_accuracy", position=position,
                             metrics=metrics, group=group)
    return {**summary, "classes": classes}


def fit_classifier(model, saver: Checkpointer, settings, epoch_batches, data_rng, step_loss,
                   validate, reporter: ProgressReporter, *, unit: str, best_key: str,
                   position: dict | None = None, metrics: bool = True,
                   group: Group = SINGLE) -> dict:
    """The epoch loop of the classifiers (tree and sequence models).

    Each epoch: ``step_loss(indices)`` -> ``(loss summed over the loss terms, number of
    terms)`` for this rank's share of every batch of
    ``epoch_batches()`` (which draws its order from ``data_rng``, an object with
    ``get_state`` and ``set_state``), one optimizer step each (clipped to
    ``settings.clip``; the loss is the mean over the whole batch's terms, whatever the number
    of ranks); then ``validate()`` -> ``(score, history fields, message)``, and the
    checkpoint is saved whenever the score beats ``record[best_key]``. Stops after
    ``settings.epochs``, mid-epoch at ``settings.max_time``, or at SIGINT/SIGTERM (then it
    saves and raises ``Interrupted``); saves once more at the end. ``position``: where a
    resumed run goes on from. Keeps the record's step, epoch, elapsed, ``{unit}_seen`` and
    history up to date, and writes ``CKPT.metrics.jsonl`` (``metrics``; see ``RunLog``).
    Returns a summary dict.
    """
    record, output = saver.record, saver.output
    optimizer = saver.optimizer
    params = list(model.parameters())
    seen_key = f"{unit}_seen"
    step = position["step"] if position else 0
    train_seconds = position["train_seconds"] if position else 0.0
    first_epoch = position["epoch"] if position else 1
    earlier = record["elapsed"]
    start = time.monotonic()
    out_of_time, total_steps = False, None
    sync = StepSync(group)
    reseed_rank(group, settings.random_seed, step)
    log = RunLog(saver.kind, settings, record, output, unit, enabled=saver.is_main and metrics,
                 resume_step=None if position is None else step)
    saver.metrics = log.metrics

    def where(epoch, batch, epoch_rng, total, count) -> dict:
        return {"step": step, "train_seconds": train_seconds, "epoch": epoch, "batch": batch,
                "epoch_rng": epoch_rng, "total": total, "count": count}

    with reporter, StopSignals(grace=2.0 if group.distributed else 0.0) as stop, log:
        for epoch in range(first_epoch, settings.epochs + 1):
            resumed = position is not None and epoch == first_epoch
            if resumed:
                data_rng.set_state(position["epoch_rng"])
            epoch_rng = data_rng.get_state()
            batches = epoch_batches()
            total_steps = total_steps or len(batches) * settings.epochs
            total, count = (position["total"], position["count"]) if resumed else (0.0, 0)
            model.train()
            for index in range(position["batch"] if resumed else 0, len(batches)):
                tick = time.monotonic()
                items = len(batches[index])
                shard, weight = group.shard(batches[index])
                loss, my_terms = step_loss(shard)
                clock = ((time.monotonic() - start) / settings.max_time
                         if settings.max_time is not None else 0.0)
                loss_sum, terms, clock, stop_now = sync(loss.item() * weight, my_terms * weight,
                                                        clock, bool(stop.signum))
                apply_gradients(loss * (weight * group.world_size / max(terms, 1)), optimizer,
                                params, settings.clip)
                value = loss_sum / max(terms, 1)
                step += 1
                if not math.isfinite(value):
                    raise RnnToolError(f"the training loss became {value} at step {step}; "
                                       f"training stopped"
                                       + (f", {output} keeps the best model so far"
                                          if record["best_step"] else "; nothing was saved")
                                       + " (try a lower --lr)")
                total, count = total + value, count + 1
                record[seen_key] += items
                train_seconds += time.monotonic() - tick
                elapsed = time.monotonic() - start
                log.step(step, epoch - 1 + (index + 1) / len(batches), value, items,
                         time.monotonic() - tick, optimizer.param_groups[0]["lr"],
                         earlier + elapsed)
                done = max(step / total_steps, clock)
                out_of_time = clock >= 1.0
                reporter.update(done, [f"epoch {epoch}", f"loss {value:.3f}",
                                       f"{format_rate(record[seen_key] / train_seconds)} {unit}/s"])
                if stop_now:
                    record.update(step=step, epoch=epoch, elapsed=round(earlier + elapsed, 3))
                    log.flush(epoch - 1 + (index + 1) / len(batches))
                    saver.save(where(epoch, index + 1, epoch_rng, total, count))
                    raise interrupted(stop, output, step)
                if out_of_time:
                    break
            entry = {"epoch": epoch, "step": step, "train_loss": total / max(count, 1),
                     "elapsed": round(earlier + time.monotonic() - start, 3)}
            message = f"epoch {epoch}: train loss {entry['train_loss']:.4f}"
            record.update(step=step, epoch=epoch, elapsed=entry["elapsed"])
            improved = False
            finished_part = epoch - 1 + (index + 1) / len(batches)
            if validate is not None:
                score, fields, text = validate()
                entry.update(fields)
                message += ", " + text
                improved = record[best_key] is None or score > record[best_key]
                log.validation(finished_part, improved, **fields)
            else:
                log.flush(finished_part)
            record["history"].append(entry)
            if improved:
                record.update({best_key: score, "best_step": step})
                saver.save(where(epoch + 1, 0, data_rng.get_state(), 0.0, 0), improved=True)
                message += f"; saved {output}"
            reporter.message(message)
            if out_of_time:
                break
        if out_of_time:  # the epoch in progress goes on from where it stopped
            saver.save(where(epoch, index + 1, epoch_rng, total, count))
        else:
            saver.save(where(settings.epochs + 1, 0, data_rng.get_state(), 0.0, 0))
    elapsed = time.monotonic() - start
    rate = record[seen_key] / max(train_seconds, 1e-9)
    best = record[best_key]
    reporter.message(f"done: {step} steps in {format_duration(elapsed)}, training at "
                     f"{format_rate(rate)} {unit}/s; "
                     + (f"best {best_key[5:].replace('_', ' ')} {best:.4f}; "
                        if best is not None else "") + f"model in {output}")
    return {"steps": step, best_key: best, "elapsed": elapsed,
            f"train_{unit}_per_second": rate}


def word_vocab(token_lists, *, min_count: int = 1, tokenizer: str = "treebank",
               lowercase: bool = False):
    """The word vocabulary of tokenized sentences (already lowercased if ``lowercase``)."""
    import collections
    from rnntool.vocab import Vocab

    counts = collections.Counter(t for tokens in token_lists for t in tokens)
    return Vocab.from_counts(counts, "word", min_count=min_count, tokenizer=tokenizer,
                             lowercase=lowercase)


def train_sentiment(train_data, dev_data, settings, output: str, *, vocab=None,
                    embeddings=None, resume: dict | None = None, resume_path: str = "",
                    group: Group = SINGLE, progress: ProgressReporter | None = None,
                    extra_settings: dict | None = None, metrics: bool = True) -> dict:
    """Train a sequence classifier on ``train_data``, ``(labels, token lists)`` as
    ``rnntool.labelled.read_examples`` gives them; write the checkpoint with the best
    development accuracy on ``dev_data`` (or the last one, without it) to ``output``.

    ``vocab``: a word ``Vocab`` to use (default: built from the training tokens).
    ``embeddings``: as for ``train_tree``. ``resume``: a loaded checkpoint of a run on the
    same data to go on from (see ``train_charlm``); ``metrics`` and ``group`` as there
    (each rank computes every N-th sentence of a batch). Returns a summary dict.
    """
    import torch
    import torch.nn.functional as F
    from rnntool.data import LengthBatches
    from rnntool.evaluate import sequence_probabilities
    from rnntool.labelled import sort_labels
    from rnntool.models.sentiment import SentimentModel
    from rnntool.optim import RowSparseOptimizer

    settings.check()
    labels, tokens = train_data
    if not labels:
        raise RnnToolError("there are no training examples")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
    elif vocab is None:
        vocab = word_vocab(tokens, min_count=settings.min_count, tokenizer=settings.tokenizer,
                           lowercase=settings.lowercase)
    classes = sort_labels(labels)
    if len(classes) < 2:
        raise RnnToolError(f"the training data holds only one label ({classes[0]!r}); a "
                           f"classifier needs at least two")
    class_of = {label: i for i, label in enumerate(classes)}

    def encode(token_lists):
        return [vocab.ids_of(tokens) for tokens in token_lists]

    dev_ids = dev_targets = None
    if dev_data is not None and dev_data[0]:
        unseen = sorted(set(dev_data[0]) - set(classes))
        if unseen:
            raise RnnToolError(f"the development data holds label {unseen[0]!r}, which no "
                               f"training example has")
        dev_ids = encode(dev_data[1])
        dev_targets = np.array([class_of[label] for label in dev_data[0]], dtype=np.int64)
    sequences = encode(tokens)
    targets = [class_of[label] for label in labels]
    batches = LengthBatches(sequences, targets, settings.batch_size, seed=settings.random_seed)
    model = SentimentModel(len(vocab), len(classes), embed=settings.embed,
                           hidden=settings.hidden, layers=settings.layers, cell=settings.cell,
                           bidirectional=settings.bidirectional, pool=settings.pool,
                           dropout=settings.dropout)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train sentiment", enabled=is_main)
    if embeddings is not None and resume is None:
        init_embeddings(model.embedding, embeddings, vocab, reporter)
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", settings.lr,
                                   settings.weight_decay)
    net = group.wrap(model)
    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "labels": classes, "step": 0, "epoch": 0, "sentences_seen": 0, "elapsed": 0.0,
              "best_dev_accuracy": None, "best_step": None, "history": [],
              "data_digest": data_digest(sequences, labels, vocab.tokens)}
    saver = Checkpointer("sentiment", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)

    n = len(labels)
    shape = (f"{settings.layers}x{settings.hidden} "
             f"{'bidirectional ' if settings.bidirectional else ''}{settings.cell}")
    reporter.message(f"{'resuming at step ' + str(position['step']) + ': ' if position else ''}"
                     f"training a {shape} classifier ({len(classes)} classes) on {n:,} "
                     f"sentences, {len(vocab):,} words; "
                     + (f"validating on {len(dev_ids):,} sentences each epoch" if dev_ids
                        else "no validation"))

    def step_loss(indices):
        ids, lengths, targets, _ = batches.batch(indices)
        return F.cross_entropy(net(ids, lengths), targets, reduction="sum"), len(targets)

    def validate():
        predicted = sequence_probabilities(model, dev_ids).argmax(1)
        accuracy = group.broadcast([float((predicted == dev_targets).mean())])[0]
        return accuracy, {"dev_accuracy": accuracy}, f"dev accuracy {accuracy:.4f}"

    summary = fit_classifier(model, saver, settings, batches.epoch, batches, step_loss,
                             validate if dev_ids else None, reporter, unit="sentences",
                             best_key="best_dev_accuracy", position=position,
                             metrics=metrics, group=group)
    return {**summary, "classes": classes}
