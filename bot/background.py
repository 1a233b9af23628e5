"""Work done after the answer: bounded queues (lanes) served by daemon threads, each lane with
its own bound, its own threads and its priority.

Not concurrent.futures.ThreadPoolExecutor: its queue has no bound, it has no lane for work
with a deadline (a view must open within the trigger's 3 s), and the interpreter joins its
workers at exit, so a job stuck on a silent server held SIGTERM for as long as its timeout.
Here each lane holds at most its `limit` jobs (more are refused, `Busy`) and has at most its
`workers` threads, which take the jobs of the lanes it names `first` before its own (so the
Slack lane's threads take urgent jobs first, and the urgent lane's one thread takes only
those); a job whose deadline passed while queued is dropped; and `close(timeout)` waits at most
`timeout`: the threads are daemons and never hold the exit. A backlog in one lane never stops
another's (a reconcile storm never delays the answers an acknowledgement waits for)."""

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


@dataclass(frozen=True)
class Lane:
    """A queue of jobs: at most `limit` waiting, served by at most `workers` threads of its own,
    which take the jobs of the lanes in `first` before this lane's."""

    name: str
    workers: int
    limit: int
    first: tuple[str, ...] = ()


URGENT = "urgent"  # work with a deadline (a view to open within the trigger's life)
OTHER = "other"


def two_lanes(workers: int, limit: int, reserved: int = 0) -> tuple[Lane, ...]:
    """The lanes of a plain pool: `workers` threads taking urgent jobs first, then the others,
    and `reserved` more that take only urgent ones."""
    return (Lane(OTHER, workers, limit, first=(URGENT,)), Lane(URGENT, reserved, limit))


@dataclass
class _Job:
    run: Callable[[], Any]
    name: str
    deadline: float | None
    lane: str
    future: Future[Any] = field(default_factory=Future)


class Background:
    """Threads serving bounded lanes of jobs (see the module's docstring). Threads start when
    work comes and end when idle. Without `lanes`: two, urgent and other (`two_lanes`)."""

    def __init__(
        self,
        name: str,
        workers: int = 0,
        limit: int = 0,
        *,
        reserved: int = 0,
        lanes: tuple[Lane, ...] | None = None,
    ) -> None:
        self.name = name
        self.lanes = {lane.name: lane for lane in (lanes or two_lanes(workers, limit, reserved))}
        self._queues: dict[str, deque[_Job]] = {lane: deque() for lane in self.lanes}
        # The lanes each lane's threads take jobs from, in that order.
        self._takes = {lane.name: (*lane.first, lane.name) for lane in self.lanes.values()}
        self._threads = dict.fromkeys(self.lanes, 0)  # each lane's threads
        self._waiting = dict.fromkeys(self.lanes, 0)  # ... of which idle, waiting for a job
        self._running = dict.fromkeys(self.lanes, 0)  # jobs running, by the lane they came from
        self._closed = False
        self._cond = threading.Condition()

    def lane(self, name: str) -> LaneSubmit:
        """What submits to one lane (as a pool of its own would: `submit`, `pending`)."""
        if name not in self.lanes:
            raise KeyError(f"{self.name} has no lane {name!r}")
        return LaneSubmit(self, name)

    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        urgent: bool = False,
        deadline: float | None = None,
        lane: str | None = None,
    ) -> Future[Any]:
        """Queue `fn(*args)` in `lane` (by default URGENT when `urgent`, else OTHER); its Future.
        A job not started by `deadline` (time.monotonic()) is dropped (its Future raises
        Expired). It runs in a copy of the caller's context variables. Raises Busy when the
        lane's `limit` jobs are already waiting, RuntimeError once closed."""
        name = lane or (URGENT if urgent else OTHER)
        # The job runs in a copy of the submitter's context: what a request set (the workspace
        # it serves and its token, its log fields) goes with the work it hands on.
        context = contextvars.copy_context()
        job = _Job(lambda: context.run(fn, *args), getattr(fn, "__name__", "job"), deadline, name)
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            queue = self._queues[name]
            if len(queue) >= self.lanes[name].limit:  # each lane its own bound
                raise Busy(f"{self.name}: {self.lanes[name].limit} {name} jobs already waiting")
            queue.append(job)
            self._start_thread_for(name)
            self._cond.notify_all()
        return job.future

    def pending(self, lane: str | None = None) -> int:
        """Jobs queued or running (of `lane`, or of all)."""
        with self._cond:
            lanes = [lane] if lane else list(self._queues)
            return sum(len(self._queues[name]) + self._running[name] for name in lanes)

    def close(self, timeout: float) -> bool:
        """Take no more jobs; wait up to `timeout` s for those queued and running. True when
        all are done (the threads then end); False when some were cut short by the deadline."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            while any(self._running.values()) or any(self._queues.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _start_thread_for(self, name: str) -> None:
        # Under the lock: a thread for the job unless enough of its takers wait already, within
        # the bounds; the threads of a lane that takes it first are preferred to its own.
        takers = [t for t in self.lanes if name in self._takes[t] and t != name] + [name]
        waiting = sum(self._waiting[t] for t in takers)
        queued = {lane for t in takers for lane in self._takes[t]}
        if sum(len(self._queues[lane]) for lane in queued) <= waiting:
            return
        for taker in takers:
            if self._threads[taker] < self.lanes[taker].workers:
                break
        else:
            return  # every thread is busy: the job waits its turn
        self._threads[taker] += 1
        number = sum(self._threads.values())
        thread = threading.Thread(
            target=self._work, args=(taker,), name=f"{self.name}-{number}", daemon=True
        )
        thread.start()

    def _work(self, lane: str) -> None:
        while True:
            job = self._next(lane)
            if job is None:
                return
            self._run(job)

    def _next(self, lane: str) -> _Job | None:
        """The next job a thread of `lane` may take, waiting for one; None when it ends."""
        takes = self._takes[lane]
        with self._cond:
            while True:
                queue = next((self._queues[t] for t in takes if self._queues[t]), None)
                if queue is not None:
                    job = queue.popleft()
                    self._running[job.lane] += 1
                    return job
                if self._closed:
                    self._threads[lane] -= 1
                    return None
                self._waiting[lane] += 1
                woken = self._cond.wait(IDLE_SECONDS)
                self._waiting[lane] -= 1
                if not woken and not any(self._queues[t] for t in takes):
                    self._threads[lane] -= 1
                    return None

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
                self._running[job.lane] -= 1
                self._cond.notify_all()


class LaneSubmit:
    """One lane of a Background, submitted to as if it were a pool of its own."""

    def __init__(self, background: Background, lane: str) -> None:
        self.background = background
        self.name = lane

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue `fn(*args)` in this lane (see Background.submit)."""
        return self.background.submit(fn, *args, lane=self.name)

    def pending(self) -> int:
        """Jobs of this lane queued or running."""
        return self.background.pending(self.name)
