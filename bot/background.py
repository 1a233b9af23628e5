"""Work done after the answer: a bounded queue served by a few daemon threads, urgent jobs first.

Not concurrent.futures.ThreadPoolExecutor: its queue has no bound, it has no lane for work
with a deadline (a view must open within the trigger's 3 s), and the interpreter joins its
workers at exit, so a job stuck on a silent server held SIGTERM for as long as its timeout.
Here each lane (urgent, other) holds at most `limit` jobs (more are refused, `Busy`), urgent
jobs go first and one reserved thread takes only those, a job whose deadline passed while
queued is dropped, and `close(timeout)` waits at most `timeout`: the threads are daemons and
never hold the exit."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("sco_bot.background")
IDLE_SECONDS = 30.0  # a thread with nothing to do for this long ends (another starts on demand)


class Busy(RuntimeError):
    """The queue is full: the job was refused, not queued."""


class Expired(RuntimeError):
    """The job's deadline passed before a thread was free to start it."""


@dataclass
class _Job:
    run: Callable[[], Any]
    name: str
    deadline: float | None
    future: Future[Any] = field(default_factory=Future)


class Background:
    """Up to `workers` threads (plus `reserved` for urgent jobs only) serving at most `limit`
    queued jobs in each lane. Threads start when work comes and end when idle."""

    def __init__(self, name: str, workers: int, limit: int, *, reserved: int = 0) -> None:
        self.name = name
        self.workers = workers
        self.reserved = reserved
        self.limit = limit
        self._urgent: deque[_Job] = deque()
        self._normal: deque[_Job] = deque()
        self._threads = {False: 0, True: 0}  # by "takes urgent jobs only"
        self._waiting = {False: 0, True: 0}
        self._running = 0
        self._closed = False
        self._cond = threading.Condition()

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        urgent: bool = False,
        deadline: float | None = None,
    ) -> Future[Any]:
        """Queue `fn(*args)`; its Future. Urgent jobs go before every other; a job not started
        by `deadline` (time.monotonic()) is dropped (its Future raises Expired). It runs in a copy
        of the caller's context variables. Raises Busy
        when `limit` jobs are already waiting, RuntimeError once closed."""
        # The job runs in a copy of the submitter's context: what a request set (the workspace
        # it serves and its token, its log fields) goes with the work it hands on.
        context = contextvars.copy_context()
        job = _Job(lambda: context.run(fn, *args), getattr(fn, "__name__", "job"), deadline)
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            lane = self._urgent if urgent else self._normal
            if len(lane) >= self.limit:  # each lane its own bound: a backlog never stops views
                raise Busy(f"{self.name}: {self.limit} jobs already waiting")
            lane.append(job)
            self._start_thread_for(urgent)
            self._cond.notify_all()
        return job.future

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._cond:
            return len(self._urgent) + len(self._normal) + self._running

    def close(self, timeout: float) -> bool:
        """Take no more jobs; wait up to `timeout` s for those queued and running. True when
        all are done (the threads then end); False when some were cut short by the deadline."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            while self._urgent or self._normal or self._running:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _start_thread_for(self, urgent: bool) -> None:
        # Under the lock: a thread for the job unless enough wait already, within the bounds.
        waiting = self._waiting[False] + (self._waiting[True] if urgent else 0)
        if len(self._urgent) + len(self._normal) <= waiting:
            return
        if self._threads[False] < self.workers:
            only_urgent = False
        elif urgent and self._threads[True] < self.reserved:
            only_urgent = True
        else:
            return  # every thread is busy: the job waits its turn
        self._threads[only_urgent] += 1
        number = self._threads[False] + self._threads[True]
        thread = threading.Thread(
            target=self._work, args=(only_urgent,), name=f"{self.name}-{number}", daemon=True
        )
        thread.start()

    def _work(self, only_urgent: bool) -> None:
        while True:
            job = self._next(only_urgent)
            if job is None:
                return
            self._run(job)

    def _next(self, only_urgent: bool) -> _Job | None:
        """The next job this thread may take, waiting for one; None when the thread ends."""
        with self._cond:
            while True:
                if self._urgent:
                    job = self._urgent.popleft()
                elif self._normal and not only_urgent:
                    job = self._normal.popleft()
                else:
                    if self._closed:
                        self._threads[only_urgent] -= 1
                        return None
                    self._waiting[only_urgent] += 1
                    woken = self._cond.wait(IDLE_SECONDS)
                    self._waiting[only_urgent] -= 1
                    if not woken and not self._urgent and (only_urgent or not self._normal):
                        self._threads[only_urgent] -= 1
                        return None
                    continue
                self._running += 1
                return job

    def _run(self, job: _Job) -> None:
        try:
            if not job.future.set_running_or_notify_cancel():
                return
            if job.deadline is not None and time.monotonic() > job.deadline:
                log.warning("%s: %s dropped, its deadline passed in the queue", self.name, job.name)
                job.future.set_exception(Expired(job.name))
                return
            try:
                job.future.set_result(job.run())
            except Exception as error:  # the Future carries it to whoever reads it
                job.future.set_exception(error)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
