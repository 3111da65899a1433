"""The rate limit is exact at its boundary when several processes count the same key at once.

Real processes (forked from the test, each with its own database connection) hit one key
together, round after round, each as often as the limit allows in total: if counting and adding
were two steps, two of them would both see "one below the limit" and both get through.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import pytest
from django.db import connections

from openmsp.core import ratelimit
from openmsp.core.models import RateLimitHit

PROCESSES = 3
ROUNDS = 12
LIMIT = 3
RULE = ratelimit.Rule("race", "OPENMSP_RATELIMIT_LOGIN_IP")


def _hammer(barrier: Any, results: Any) -> None:
    allowed: list[int] = []
    try:
        for round_no in range(ROUNDS):
            barrier.wait(30)  # every process starts each round on the same key at once
            passed = sum(ratelimit.hit(RULE, f"key-{round_no}") == 0 for _ in range(LIMIT))
            allowed.append(passed)
    finally:
        connections.close_all()
        results.put(allowed)


@pytest.mark.django_db(transaction=True)
def test_processes_hammering_one_key_together_get_exactly_the_limit_through(
    settings: Any,
) -> None:
    settings.OPENMSP_RATELIMIT_LOGIN_IP = f"{LIMIT}/300"
    connections.close_all()  # the children must not share this process's connection
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [context.Process(target=_hammer, args=(barrier, results)) for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    per_process = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert all(len(rounds) == ROUNDS for rounds in per_process), per_process
    per_round = [sum(counts) for counts in zip(*per_process, strict=True)]
    assert per_round == [LIMIT] * ROUNDS, f"allowed per round: {per_round}"
    for round_no in range(ROUNDS):
        assert RateLimitHit.objects.filter(key=f"race:key-{round_no}").count() == LIMIT
