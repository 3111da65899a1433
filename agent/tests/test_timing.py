from __future__ import annotations

import random
import threading

from openmsp_agent.timing import Backoff, Schedule


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_slots_are_start_plus_k_intervals_plus_jitter_without_drift() -> None:
    clock = FakeClock(100.0)
    schedule = Schedule(60, 17, clock=clock)
    due = []
    for _ in range(4):
        slot = schedule.next_due()
        due.append(slot)
        clock.now = slot + 0.7  # each collection takes a while: must not push later slots

    assert due == [117.0, 177.0, 237.0, 297.0]


def test_jitter_larger_than_the_interval_wraps_around() -> None:
    schedule = Schedule(60, 137, clock=FakeClock(0.0))

    assert schedule.next_due() == 17.0


def test_missed_slots_are_skipped_not_caught_up() -> None:
    clock = FakeClock(0.0)
    schedule = Schedule(60, 5, clock=clock)
    assert schedule.next_due() == 5.0
    clock.now = 250.0  # the host slept through three slots

    assert schedule.next_due() == 305.0


def test_waiting_returns_false_once_stopped() -> None:
    stop = threading.Event()
    stop.set()

    assert Schedule(3600).wait(stop) is False


def test_backoff_grows_exponentially_within_one_second_and_five_minutes() -> None:
    backoff = Backoff(rng=random.Random(7))

    delays = [backoff.next_delay() for _ in range(15)]

    assert all(1.0 <= d <= 300.0 for d in delays)
    assert delays[0] == 1.0
    assert 2.0 <= delays[2] <= 4.0
    assert all(d >= 150.0 for d in delays[10:])


def test_backoff_restarts_from_the_base_after_a_success() -> None:
    backoff = Backoff(rng=random.Random(1))
    for _ in range(6):
        backoff.next_delay()
    backoff.reset()

    assert backoff.next_delay() == 1.0


def test_the_longest_backoff_is_near_the_cap() -> None:
    assert 150.0 <= Backoff(rng=random.Random(3)).longest() <= 300.0


def test_the_first_slot_is_not_skipped_when_the_clock_moved_a_little_since_start() -> None:
    clock = FakeClock(0.0)
    schedule = Schedule(3600, 0, clock=clock)
    clock.now = 0.001

    assert schedule.next_due() == 0.0


def test_a_first_slot_of_one_skips_the_slot_the_caller_has_just_done() -> None:
    schedule = Schedule(21600, 53, first_slot=1, clock=FakeClock(100.0))

    assert schedule.next_due() == 100.0 + 21600 + 53
