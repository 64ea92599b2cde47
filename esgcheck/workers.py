"""Worker processes for many filings.

``results(count, work, jobs)`` runs ``work(n)`` for every item number ``n``
below ``count`` in ``jobs`` forked processes and yields the results in item
order, each as soon as it and those before it are done. ``work`` returns bytes
and never raises (the checker contains every fault of a filing in its result);
a worker process that ends anyway (killed for its memory, a crash in a C
library) costs only the item it was working on, which yields ``Lost``, and a
new worker takes its place.

Workers are forked from the parent, so they share what it has loaded (the rule
bases, the list of files): a task is only a range of item numbers, and a result
only bytes. Everything runs on the parent's one thread: it sends ranges, waits
on the workers' pipes and process handles, and receives. How many items one
task holds follows how long items take: each task is sized to take about
``TASK_SECONDS`` (at most ``MAX_TASK`` items), so that ten thousand empty files
cost a few hundred messages rather than ten thousand, while a slow filing
still goes alone and the last tasks are shared out evenly.
"""

from __future__ import annotations

import contextlib
import gc
import math
import multiprocessing as mp
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

Work = Callable[[int], bytes]

GC_THRESHOLD = 50_000  # allocations between young collections while a run lasts
TASK_SECONDS = 0.05  # what one task should take, once the cost of an item is known
MAX_TASK = 256  # items in one task at most


@dataclass(frozen=True)
class Lost:
    """An item whose worker process ended while working on it."""

    exitcode: int | None

    def describe(self) -> str:
        code = self.exitcode
        if code is None:
            return "no exit status"
        return f"signal {-code}" if code < 0 else f"exit status {code}"


_WORK: Work | None = None  # what forked workers run; set before any fork


def _serve(conn: Connection) -> None:
    """A worker: receive a range, send back its results and the processor time
    they took.
    An interrupt (Ctrl-C reaches the whole process group) is the parent's to
    handle: it ends the workers; a worker whose parent is gone finds its pipe
    closed and ends too."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's Terminated is the parent's
    work = _WORK
    assert work is not None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        start, stop = task
        began = time.process_time()  # what the items cost, however busy the machine
        out = [work(n) for n in range(start, stop)]
        conn.send((out, time.process_time() - began))


class _Worker:
    def __init__(self, ctx: Any) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: tuple[int, int] | None = None

    def give(self, task: tuple[int, int]) -> None:
        self.task = task
        self.conn.send(task)

    def stop(self, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.kill()
        else:
            with contextlib.suppress(OSError):  # it may have ended already
                self.conn.send(None)
        self.conn.close()
        self.process.join(timeout=None if kill else 5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class _Plan:
    """Which items go next, in tasks sized by how long items have taken."""

    def __init__(self, count: int, jobs: int) -> None:
        self.count = count
        self.jobs = jobs
        self.next = 0  # the first item no task has had yet
        self.alone: deque[int] = deque()  # items to run one at a time (a worker died)
        self.per_item: float | None = None  # seconds, a moving average

    def task(self, emitted: int) -> tuple[int, int] | None:
        if self.alone:
            n = self.alone.popleft()
            return n, n + 1
        left = self.count - self.next
        if left <= 0 or self.next - emitted > self.jobs * MAX_TASK * 2:
            return None  # all given out, or far enough ahead of what is yielded
        size = 1 if self.per_item is None else int(TASK_SECONDS / max(self.per_item, 1e-7))
        size = max(1, min(size, MAX_TASK, math.ceil(left / self.jobs)))
        start = self.next
        self.next += size
        return start, start + size

    def took(self, task: tuple[int, int], seconds: float) -> None:
        each = seconds / (task[1] - task[0])
        self.per_item = each if self.per_item is None else 0.7 * self.per_item + 0.3 * each


def results(count: int, work: Work, jobs: int) -> Iterator[bytes | Lost]:
    """``work(n)`` for n in range(count), in that order, from ``jobs`` workers."""
    global _WORK
    if count == 0:
        return
    ctx = mp.get_context("fork")
    plan = _Plan(count, jobs)
    done: dict[int, bytes | Lost] = {}
    emitted = 0
    workers: list[_Worker] = []
    previous, _WORK = _WORK, work
    # The parent builds a report from every result, and keeps them: at the
    # collector's default of 700 allocations it would run every few reports and
    # take about a third of the parent's time (a third of what ten thousand
    # empty files cost it). Rarer collections for the run, and for the workers
    # forked in it; nothing is left uncollected.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], GC_THRESHOLD), *thresholds[1:])
    try:
        while emitted < count:
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
            if emitted >= count:
                break
            for worker in [w for w in workers if w.task is None] + [
                    None] * (min(jobs, count) - len(workers)):
                task = plan.task(emitted)
                if task is None:
                    break
                if worker is None:
                    worker = _Worker(ctx)
                    workers.append(worker)
                worker.give(task)
            busy = [w for w in workers if w.task is not None]
            if not busy:  # cannot happen: an item not yet yielded is given out or done
                raise RuntimeError("no worker has an item to work on")
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                task = worker.task
                assert task is not None
                if worker.conn in ready or worker.conn.poll():
                    try:
                        out, seconds = worker.conn.recv()
                    except (EOFError, OSError):
                        pass  # it died while sending: as below
                    else:
                        worker.task = None
                        plan.took(task, seconds)
                        done.update(zip(range(*task), out, strict=True))
                        continue
                elif worker.process.sentinel not in ready:
                    continue
                # the worker ended: its task is redone one item at a time, and
                # an item that ends a worker on its own is lost
                worker.process.join()
                if task[1] - task[0] == 1:
                    done[task[0]] = Lost(worker.process.exitcode)
                else:
                    plan.alone.extendleft(reversed(range(*task)))
                worker.task = None
                worker.stop(kill=True)
                workers.remove(worker)
    finally:
        interrupted = emitted < count
        for worker in workers:
            worker.stop(kill=interrupted)
        _WORK = previous
        gc.set_threshold(*thresholds)
