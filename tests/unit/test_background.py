"""The background executor (bot/background.py): bounded, urgent jobs first, deadlines, a
bounded close, and threads that never hold the exit. Events order the jobs; no fixed sleeps."""

from __future__ import annotations

import threading
import time

import pytest

from bot.background import Background, Busy, Expired

TIMEOUT = 10.0


def blocker(pool: Background, release: threading.Event, count: int = 1) -> list[threading.Event]:
    """Occupy `count` normal threads until `release`; return once each has started."""
    started = []
    for _ in range(count):
        began = threading.Event()
        started.append(began)

        def hold(began: threading.Event = began) -> None:
            began.set()
            release.wait(TIMEOUT)

        pool.submit(hold)
    for began in started:
        assert began.wait(TIMEOUT)
    return started


def test_no_thread_starts_before_work_comes() -> None:
    before = threading.active_count()
    pool = Background("idle", workers=4, limit=10)
    assert threading.active_count() == before
    assert pool.submit(lambda: 42).result(TIMEOUT) == 42


def test_a_full_queue_refuses_instead_of_growing() -> None:
    pool = Background("full", workers=1, limit=2)
    release = threading.Event()
    blocker(pool, release)
    pool.submit(lambda: None)
    pool.submit(lambda: None)
    with pytest.raises(Busy):
        pool.submit(lambda: None)
    release.set()
    assert pool.close(TIMEOUT)


def test_urgent_jobs_go_first_and_a_reserved_thread_takes_them_while_others_are_busy() -> None:
    pool = Background("lanes", workers=1, limit=10, reserved=1)
    release = threading.Event()
    blocker(pool, release)
    normal = pool.submit(lambda: "normal")
    urgent = pool.submit(lambda: "urgent", urgent=True)
    # The one normal thread is held; the reserved one runs the urgent job, not the normal one.
    assert urgent.result(TIMEOUT) == "urgent"
    assert not normal.done()
    release.set()
    assert normal.result(TIMEOUT) == "normal"


def test_order_within_one_thread_is_urgent_first_then_as_queued() -> None:
    pool = Background("order", workers=1, limit=10)
    release = threading.Event()
    blocker(pool, release)
    ran: list[str] = []
    futures = [pool.submit(ran.append, name) for name in ("a", "b")]
    futures.append(pool.submit(ran.append, "now", urgent=True))
    release.set()
    for future in futures:
        future.result(TIMEOUT)
    assert ran == ["now", "a", "b"]


def test_a_job_whose_deadline_passed_in_the_queue_is_dropped_not_run() -> None:
    pool = Background("late", workers=1, limit=10)
    release = threading.Event()
    blocker(pool, release)
    ran: list[str] = []
    late = pool.submit(ran.append, "late", deadline=time.monotonic() - 1)
    release.set()
    with pytest.raises(Expired):
        late.result(TIMEOUT)
    assert ran == []


def test_a_failing_job_hands_its_error_to_its_future_and_the_thread_goes_on() -> None:
    pool = Background("errors", workers=1, limit=10)

    def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        pool.submit(fail).result(TIMEOUT)
    assert pool.submit(lambda: "next").result(TIMEOUT) == "next"


def test_close_waits_for_queued_work_within_its_bound() -> None:
    pool = Background("drain", workers=2, limit=10)
    release = threading.Event()
    blocker(pool, release)
    queued = pool.submit(lambda: "queued")
    assert not pool.close(0.05)  # the blocked job is still running: cut short
    with pytest.raises(RuntimeError):
        pool.submit(lambda: None)  # closed: no new work
    release.set()
    assert pool.close(TIMEOUT)
    assert queued.result(0) == "queued" and pool.pending() == 0


def test_its_threads_are_daemons_named_for_the_pool() -> None:
    pool = Background("named", workers=1, limit=10)
    thread = pool.submit(threading.current_thread).result(TIMEOUT)
    assert thread.daemon and thread.name.startswith("named-")


def test_a_backlog_of_other_work_never_refuses_an_urgent_job() -> None:
    pool = Background("lanes-full", workers=1, limit=1, reserved=1)
    release = threading.Event()
    blocker(pool, release)
    pool.submit(lambda: None)
    with pytest.raises(Busy):
        pool.submit(lambda: None)
    assert pool.submit(lambda: "view", urgent=True).result(TIMEOUT) == "view"
    release.set()
