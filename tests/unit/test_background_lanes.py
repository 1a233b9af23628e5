"""The one executor's lanes (bot/background.py, as bot/services.py builds it): each lane its own
bound and threads, so a backlog in one never refuses or delays another's work."""

from __future__ import annotations

import threading

import pytest

from bot.background import OTHER, URGENT, Background, Busy, Lane
from bot.clock import Clock
from bot.pipeline import Pipeline
from bot.services import ANSWERS, LANES, RECONCILES, Services
from bot.settings import Settings

TIMEOUT = 10.0
THREE = (
    Lane(OTHER, 1, 1, first=(URGENT,)),
    Lane(URGENT, 1, 1),
    Lane(ANSWERS, 1, 1),
    Lane(RECONCILES, 1, 1),
)


def hold(pool: Background, lane: str, release: threading.Event) -> None:
    """Occupy one thread of `lane` until `release`; return once it has started."""
    began = threading.Event()

    def held() -> None:
        began.set()
        release.wait(TIMEOUT)

    pool.submit(held, lane=lane)
    assert began.wait(TIMEOUT)


def test_a_busy_lane_neither_refuses_nor_delays_another_lane() -> None:
    pool = Background("three", lanes=THREE)
    release = threading.Event()
    try:
        for lane in (OTHER, RECONCILES):
            hold(pool, lane, release)
            pool.submit(lambda: None, lane=lane)  # its one queued job: the lane is full
            with pytest.raises(Busy):
                pool.submit(lambda: None, lane=lane)
        answer = pool.lane(ANSWERS).submit(lambda: "answered")
        assert answer.result(TIMEOUT) == "answered"  # on the answers lane's own thread
        assert pool.submit(lambda: "view", urgent=True).result(TIMEOUT) == "view"
        assert pool.lane(RECONCILES).pending() == 2 and pool.lane(ANSWERS).pending() == 0
    finally:
        release.set()
        assert pool.close(TIMEOUT)
    assert pool.pending() == 0


def test_a_lane_s_threads_never_take_another_lane_s_jobs_unless_told() -> None:
    pool = Background("own", lanes=THREE)
    names = {
        lane: pool.submit(lambda: threading.current_thread().name, lane=lane).result(TIMEOUT)
        for lane in (ANSWERS, RECONCILES)
    }
    assert names[ANSWERS] != names[RECONCILES]
    assert pool.close(TIMEOUT)


def test_an_unknown_lane_is_an_error() -> None:
    with pytest.raises(KeyError):
        Background("none", lanes=THREE).lane("nowhere")


def test_services_have_one_executor_with_the_former_pools_bounds(services: Services) -> None:
    assert services.answers.background is services.background
    assert services._reconciles.background is services.background
    assert {lane.name: (lane.workers, lane.limit) for lane in LANES} == {
        OTHER: (32, 2000),
        URGENT: (1, 2000),
        ANSWERS: (4, 200),
        RECONCILES: (2, 10_000),
    }
    assert services.background.lanes == {lane.name: lane for lane in LANES}
    assert services.close(TIMEOUT)
    with pytest.raises(RuntimeError):
        services.answers.submit(lambda: None)  # closed: every lane at once


@pytest.fixture
def services(settings: Settings, pipeline: Pipeline) -> Services:
    return Services(settings, Clock(), pipeline.digest, pipeline.renderer)
