"""Two workers observing the first failure of one fingerprint at the same moment open ONE
problem (PostgreSQL, two real connections): the constraint refuses the second INSERT and the
loser applies its observation to the winner's row."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from openmsp.alerts.models import Problem
from openmsp.alerts.observe import record
from openmsp.alerts.tests.conftest import seen

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 10


def test_two_connections_racing_on_a_new_fingerprint_open_one_problem(client_a):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises every writer anyway")
    errors: list[BaseException] = []

    now = timezone.now()  # the same instant: neither result is older than the other

    def worker(barrier: threading.Barrier, object_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                record(seen(client_a.pk, object_id=object_id, at=now))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    for n in range(ROUNDS):
        barrier = threading.Barrier(2)
        threads = [threading.Thread(target=worker, args=(barrier, f"race-{n}")) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert not errors, errors
    for n in range(ROUNDS):
        problems = list(Problem.objects.filter(object_id=f"race-{n}"))
        assert len(problems) == 1
        assert problems[0].repeat_count == 1  # the second observation counted, not lost
