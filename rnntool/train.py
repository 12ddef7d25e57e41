"""The training loops of every model kind.

``train_lm`` (kind ``charlm`` or ``wordlm``) runs stateful truncated BPTT over characters or
words: the batch rows are contiguous streams, the recurrent state is carried
from batch to batch (detached, so gradients stop at the batch border) and reset at each
pass over the data; Adam with a warmup + cosine learning-rate schedule; gradient clipping
by global norm; validation on the held-out tail at a fixed step interval, saving the
checkpoint whenever validation loss improves.

The other kinds share one epoch loop (``fit_epochs``): shuffled or length-bucketed
minibatches, one clipped optimizer step each, validation after each epoch keeping the best
checkpoint. ``train_tree``: recursive networks on labelled binary trees, each batch
evaluated level by level (Adagrad or Adam); ``train_sentiment``: sequence classifiers on
labelled sentences, packed (Adam, embedding rows updated lazily); ``train_tagger``: a tag
for every word, packed; ``train_forecast``: windows of a numeric series to its next values.

Under ``torchrun`` every loop runs as one rank of a distributed group (``group``, see
``rnntool.distributed``): each rank computes its share of every global batch (a block of
a language model's streams; every N-th sentence, tree or window of a batch) through
DistributedDataParallel, the ranks agree after each step on the batch's loss, the clock
and signals, every rank validates, and only rank 0 reports progress and writes files.
Not here: reading data (``rnntool.text``, ``labelled``, ``tagging``, ``series``), the
checkpoint format (``rnntool.checkpoint``), the command line.
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


def different_data(path: str) -> RnnToolError:
    return RnnToolError(f"{path}: the training data differs from the data this checkpoint "
                        f"was trained on; resume with the same data")


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


def describe_loss(kind: str, loss: float) -> str:
    """A language model's loss as people read it: nats and bits per character, or nats per
    word and perplexity."""
    if kind == "charlm":
        return f"{loss:.4f} nats/char ({bits(loss):.4f} bits/char)"
    return f"{loss:.4f} nats/word (perplexity {math.exp(min(loss, 700)):.2f})"


def validation_figures(kind: str, loss: float) -> dict:
    """What a language model's validation records hold: the loss in nats, and bits per
    character or perplexity."""
    if kind == "charlm":
        return {"val_loss": loss, "val_bpc": bits(loss)}
    return {"val_loss": loss, "val_ppl": math.exp(min(loss, 700))}


def train_lm(kind: str, ids: np.ndarray, vocab, settings: CharLMSettings, output: str, *,
             resume: dict | None = None, resume_path: str = "", group: Group = SINGLE,
             progress: ProgressReporter | None = None,
             extra_settings: dict | None = None, metrics: bool = True) -> dict:
    """Train a language model of ``kind`` (charlm, wordlm) on the encoded corpus ``ids``
    and write the best checkpoint to ``output``.

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
    from rnntool.models import LanguageModel

    settings.check()
    if settings.batch_size % group.world_size:
        raise RnnToolError(f"--batch-size {settings.batch_size} streams do not share equally "
                           f"among {group.world_size} processes; use a multiple of "
                           f"{group.world_size}")
    torch.manual_seed(settings.random_seed)
    noun = "characters" if kind == "charlm" else "words"
    train_ids, val_ids = split_train_val(ids, settings.val_frac, noun)
    unit = "chars" if kind == "charlm" else "words"
    batches = StreamBatches(train_ids, settings.batch_size, settings.seq_len, "training text",
                            noun)
    model = LanguageModel(len(vocab), embed=settings.embed, hidden=settings.hidden,
                          layers=settings.layers, cell=settings.cell, dropout=settings.dropout,
                          tie=getattr(settings, "tie", False))
    net = group.wrap(model)
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=settings.lr)
    limits = [settings.steps or math.inf]
    if settings.passes() is not None:
        limits.append(math.ceil(settings.passes() * len(batches)))
    total_steps = min(limits)  # infinite only when --max-time alone ends the run
    eval_every = settings.validation_interval(0 if val_ids is None else len(val_ids))
    is_main = group.is_main
    reporter = progress or ProgressReporter(f"train {kind}", enabled=is_main)

    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "step": 0, "epoch": 0.0, "tokens_seen": 0, "elapsed": 0.0,
              "best_val_loss": None, "best_step": None, "history": [],
              "data_digest": data_digest(ids, vocab.tokens)}
    saver = Checkpointer(kind, model, vocab, optimizer, record, output, is_main)
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
    log = RunLog(kind, settings, record, output, unit, enabled=is_main and metrics,
                 source=saver.resumed_from,
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
                     f"{len(train_ids):,} {noun} ({len(batches)} batches of "
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
                    figures = validation_figures(kind, val_loss)
                    entry.update(figures)
                    message += f", validation loss {describe_loss(kind, val_loss)}"
                record["history"].append(entry)
                record.update(step=step, epoch=entry["epoch"], elapsed=entry["elapsed"])
                if val_ids is not None:
                    best = record["best_val_loss"]
                    improved = math.isfinite(val_loss) and (best is None or val_loss < best)
                    log.validation(entry["epoch"], improved, **figures)
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
                                   f"{format_rate(record['tokens_seen'] / max(train_seconds, 1e-9))} {unit}/s",
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
               f"train_{unit}_per_second": record["tokens_seen"] / max(train_seconds, 1e-9)}
    summary_line = (f"done: {step} steps in {format_duration(elapsed)}, "
                    f"{format_rate(summary[f'train_{unit}_per_second'])} {unit}/s")
    if record["best_val_loss"] is not None:
        summary_line += (f"; best validation loss {describe_loss(kind, record['best_val_loss'])}"
                         f" at step {record['best_step']}")
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
    ``train_lm``); ``metrics`` and ``group`` as there (each rank computes every N-th
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

    summary = fit_epochs(model, saver, settings, epoch_batches, order_rng, step_loss,
                         validate if dev_trees else None, reporter, unit="trees",
                         best_key="best_dev_root_accuracy", position=position,
                         metrics=metrics, group=group)
    return {**summary, "classes": classes}


def fit_epochs(model, saver: Checkpointer, settings, epoch_batches, data_rng, step_loss,
               validate, reporter: ProgressReporter, *, unit: str, best_key: str,
               position: dict | None = None, metrics: bool = True,
               group: Group = SINGLE, higher_is_better: bool = True) -> dict:
    """The epoch loop of the tree models, sentence classifiers, taggers and forecasters.

    Each epoch: ``step_loss(indices)`` -> ``(loss summed over the loss terms, number of
    terms)`` for this rank's share of every batch of
    ``epoch_batches()`` (which draws its order from ``data_rng``, an object with
    ``get_state`` and ``set_state``), one optimizer step each (clipped to
    ``settings.clip``; the loss is the mean over the whole batch's terms, whatever the number
    of ranks); then ``validate()`` -> ``(score, history fields, message)``, and the
    checkpoint is saved whenever the score beats ``record[best_key]`` (is higher, or with
    ``higher_is_better=False`` lower). Stops after
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
                 source=saver.resumed_from,
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
                improved = record[best_key] is None or (
                    score > record[best_key] if higher_is_better else score < record[best_key])
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
    same data to go on from (see ``train_lm``); ``metrics`` and ``group`` as there
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

    summary = fit_epochs(model, saver, settings, batches.epoch, batches, step_loss,
                         validate if dev_ids else None, reporter, unit="sentences",
                         best_key="best_dev_accuracy", position=position,
                         metrics=metrics, group=group)
    return {**summary, "classes": classes}


def train_forecast(series, settings, output: str, *, resume: dict | None = None,
                   resume_path: str = "", group: Group = SINGLE,
                   progress: ProgressReporter | None = None,
                   extra_settings: dict | None = None, metrics: bool = True,
                   layout: dict | None = None) -> dict:
    """Train a forecaster on ``series`` (``rnntool.series.Series``): windows of
    ``settings.window`` steps of every input column predict the next ``settings.horizon``
    values of the target column. The last ``settings.val_frac`` of the steps is held out;
    each epoch is validated on it (mean absolute error in the series' units, next to the
    naive forecast that repeats the last value), keeping the checkpoint with the lowest
    error. Columns are standardized with statistics of the training part, stored in the
    checkpoint with ``layout`` (``rnntool.series.layout``) so that predict and eval read new
    files the same way. ``resume``, ``group``, ``metrics`` as for ``train_lm``.
    """
    import torch
    from rnntool.models.forecast import ForecastModel
    from rnntool.series import Normalizer, forecast_scores, make_windows, split_tail

    settings.check()
    if resume is not None and list(resume["training"]["series"]["names"]) != list(series.names):
        raise different_data(resume_path)
    torch.manual_seed(settings.random_seed)
    train_part, heldout = split_tail(series.values, settings.val_frac, settings.window,
                                     settings.horizon)
    scaler = (Normalizer.from_dict(resume["training"]["series"]["normalizer"])
              if resume is not None else Normalizer().fit(train_part))
    target = series.target
    x, y = make_windows(scaler.apply(train_part), target, settings.window, settings.horizon)
    val_x, val_y = make_windows(scaler.apply(heldout), target, settings.window,
                                settings.horizon)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = ForecastModel(len(series.names), settings.horizon, target, hidden=settings.hidden,
                          layers=settings.layers, cell=settings.cell, dropout=settings.dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr,
                                 weight_decay=settings.weight_decay)
    net = group.wrap(model)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train forecast", enabled=is_main)
    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "series": {"names": list(series.names), "target": target,
                         "window": settings.window, "horizon": settings.horizon,
                         "normalizer": scaler.to_dict(), "layout": layout or {}},
              "step": 0, "epoch": 0, "windows_seen": 0, "elapsed": 0.0,
              "best_val_mae": None, "best_step": None, "history": [],
              "data_digest": data_digest(np.ascontiguousarray(series.values), series.names)}
    saver = Checkpointer("forecast", model, None, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)
    order_rng = torch.Generator().manual_seed(settings.random_seed)
    n = len(x)
    reporter.message(f"{'resuming at step ' + str(position['step']) + ': ' if position else ''}"
                     f"training a {settings.layers}x{settings.hidden} {settings.cell} "
                     f"forecaster of {series.names[target]!r} ({settings.horizon} step"
                     f"{'s' if settings.horizon != 1 else ''} ahead, from {settings.window} "
                     f"steps of {len(series.names)} column{'s' if len(series.names) != 1 else ''})"
                     f" on {n:,} windows; validating on the last {len(heldout) - settings.window:,}"
                     f" steps ({len(val_x):,} windows) each epoch")

    def epoch_batches():
        order = torch.randperm(n, generator=order_rng).tolist()
        return [order[i:i + settings.batch_size] for i in range(0, n, settings.batch_size)]

    def step_loss(indices):
        return ForecastModel.loss_sum(net(x[indices]), y[indices])

    def validate():
        model.eval()
        with torch.no_grad():
            predicted = model(torch.from_numpy(val_x)).numpy()
        model.train()
        truth = scaler.invert_target(val_y, target)
        last = scaler.invert_target(val_x[:, -1, target], target)
        scores = forecast_scores(scaler.invert_target(predicted, target), truth, last)
        mae, rmse = group.broadcast([scores["mae"], scores["rmse"]])
        return (mae, {"val_mae": mae, "val_rmse": rmse, "naive_mae": scores["naive_mae"]},
                f"held-out MAE {mae:.4g} (naive last value {scores['naive_mae']:.4g}), "
                f"RMSE {rmse:.4g}")

    return fit_epochs(model, saver, settings, epoch_batches, order_rng, step_loss, validate,
                      reporter, unit="windows", best_key="best_val_mae", position=position,
                      metrics=metrics, group=group, higher_is_better=False)


def char_vocab(words_lists):
    """The character vocabulary of the words of ``words_lists``."""
    import collections
    from rnntool.vocab import Vocab
    counts = collections.Counter(c for words in words_lists for word in words for c in word)
    return Vocab.from_counts(counts, "char")


def train_tagger(train_data, dev_data, settings, output: str, *, resume: dict | None = None,
                 resume_path: str = "", group: Group = SINGLE,
                 progress: ProgressReporter | None = None,
                 extra_settings: dict | None = None, metrics: bool = True) -> dict:
    """Train a sequence tagger on ``train_data`` (``rnntool.tagging.TaggedData``): a tag for
    every word. Sentences of similar length are batched together and run packed. Each epoch
    is validated on ``dev_data`` (if given): token accuracy, and for BIO(ES) tags the
    entity F1, which then chooses the checkpoint (token accuracy otherwise). The word and
    character vocabularies and the tags are kept in the checkpoint. ``resume``, ``group``,
    ``metrics`` as for ``train_lm``.
    """
    import torch
    from rnntool.data import LengthBatches
    from rnntool.models.tagger import TaggerModel
    from rnntool.optim import RowSparseOptimizer
    from rnntool.predicting import tag_sentences
    from rnntool.tagging import encode_batch, is_bio, tag_vocabulary, tagging_report
    from rnntool.vocab import Vocab

    settings.check()
    if not train_data.words:
        raise RnnToolError("there are no training sentences")
    torch.manual_seed(settings.random_seed)
    if resume is not None:
        vocab = checkpoint.restore_vocab(resume, resume_path)
        tagger = resume["training"]["tagger"]
        tags = list(tagger["tags"])
        chars = Vocab.from_dict(tagger["chars"]) if tagger["chars"] else None
        if {t for sentence in train_data.tags for t in sentence} - set(tags):
            raise different_data(resume_path)
    else:
        words = [[w.lower() for w in s] for s in train_data.words] if settings.lowercase \
            else train_data.words
        vocab = word_vocab(words, min_count=settings.min_count, tokenizer="whitespace",
                           lowercase=settings.lowercase)
        tags = tag_vocabulary(train_data.tags)
        chars = char_vocab(train_data.words) if settings.chars else None
    tag_of = {tag: i for i, tag in enumerate(tags)}
    dev_words = dev_gold = None
    if dev_data is not None and dev_data.words:
        unseen = sorted({t for s in dev_data.tags for t in s} - set(tags))
        if unseen:
            raise RnnToolError(f"the development data holds tag {unseen[0]!r}, which no "
                               f"training sentence has")
        dev_words, dev_gold = dev_data.words, dev_data.tags
    entity_scored = dev_gold is not None and is_bio(t for s in train_data.tags for t in s)

    def word_ids(sentence):
        return vocab.ids_of([w.lower() for w in sentence] if settings.lowercase else sentence)

    sequences = [word_ids(s) for s in train_data.words]
    tag_ids = [np.array([tag_of[t] for t in s], dtype=np.int64) for s in train_data.tags]
    char_ids = ([[chars.ids_of(list(w)) for w in s] for s in train_data.words]
                if chars is not None else None)
    batches = LengthBatches(sequences, np.zeros(len(sequences), dtype=np.int64),
                            settings.batch_size, seed=settings.random_seed)
    model = TaggerModel(len(vocab), len(tags), embed=settings.embed, hidden=settings.hidden,
                        layers=settings.layers, cell=settings.cell,
                        bidirectional=settings.bidirectional, dropout=settings.dropout,
                        char_vocab_size=len(chars) if chars is not None else 0,
                        char_embed=settings.char_embed, char_hidden=settings.char_hidden)
    optimizer = RowSparseOptimizer(model, model.embedding, "adam", settings.lr,
                                   settings.weight_decay)
    net = group.wrap(model)
    is_main = group.is_main
    reporter = progress or ProgressReporter("train tagger", enabled=is_main)
    best_key = "best_dev_entity_f1" if entity_scored else "best_dev_accuracy"
    record = {"settings": {**dataclasses.asdict(settings), **(extra_settings or {})},
              "tagger": {"tags": tags, "chars": chars.to_dict() if chars else None,
                         "fmt": train_data.fmt},
              "step": 0, "epoch": 0, "sentences_seen": 0, "elapsed": 0.0,
              best_key: None, "best_step": None, "history": [],
              "data_digest": data_digest(sequences, tag_ids, vocab.tokens)}
    saver = Checkpointer("tagger", model, vocab, optimizer, record, output, is_main)
    position = saver.restore(resume, resume_path)
    n, tokens = len(sequences), sum(len(s) for s in sequences)
    reporter.message(f"{'resuming at step ' + str(position['step']) + ': ' if position else ''}"
                     f"training a {settings.layers}x{settings.hidden} "
                     f"{'bidirectional ' if settings.bidirectional else ''}{settings.cell} "
                     f"tagger ({len(tags)} tags{', character encoder' if chars else ''}) on "
                     f"{n:,} sentences ({tokens:,} words, a vocabulary of {len(vocab):,}); "
                     + (f"validating on {len(dev_words):,} sentences each epoch" if dev_words
                        else "no validation"))

    def step_loss(indices):
        batch = encode_batch([sequences[i] for i in indices], [tag_ids[i] for i in indices],
                             [char_ids[i] for i in indices] if char_ids is not None else None)
        logits = net(batch["ids"], batch["lengths"], batch.get("chars"),
                     batch.get("char_lengths"))
        return TaggerModel.loss_sum(logits, batch["tags"])

    def validate():
        predicted = tag_sentences(model, vocab, chars, tags, dev_words)
        report = tagging_report(dev_gold, predicted)
        accuracy = report["token_accuracy"]
        fields = {"dev_accuracy": accuracy}
        text = f"dev token accuracy {accuracy:.4f}"
        if entity_scored and report["entities"] is not None:
            fields["dev_entity_f1"] = report["entities"]["f1"]
            text += f", entity F1 {report['entities']['f1']:.4f}"
        values = group.broadcast(list(fields.values()))
        fields = dict(zip(fields, values))
        score = fields.get("dev_entity_f1", fields["dev_accuracy"])
        return score, fields, text

    summary = fit_epochs(model, saver, settings, batches.epoch, batches, step_loss,
                         validate if dev_words else None, reporter, unit="sentences",
                         best_key=best_key, position=position, metrics=metrics, group=group)
    return {**summary, "tags": tags}
