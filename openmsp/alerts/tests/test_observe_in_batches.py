"""A batch of observations (spine.observe_many, the poller's way) has exactly the effect of the
same observations one by one, with one query for the whole batch instead of one each."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openmsp.alerts.models import Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.core import spine
from openmsp.core.spine import NoisePolicy, Observation

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
POLICIES = [
    NoisePolicy(),
    NoisePolicy(failures_to_fire=2, successes_to_recover=2),
    NoisePolicy(failures_to_fire=1, hold_down_seconds=90, recovery_seconds=60),
    NoisePolicy(flap_threshold=3, flap_window_seconds=600),
]


def _script(client_id: int, object_ids: list[str], seed: int) -> list[list[Observation]]:
    """Twenty batches of results for the given objects: mostly OK, runs of failures, a result
    arriving late (older than one already seen) and an object seen twice in one batch."""
    rng = random.Random(seed)
    batches = []
    for step in range(20):
        batch = []
        for n, object_id in enumerate(object_ids):
            policy = POLICIES[n % len(POLICIES)]
            failing = rng.random() < (0.6 if (step // 5 + n) % 3 == 0 else 0.1)
            status = rng.choice(["critical", "warning"]) if failing else "ok"
            at = T0 + dt.timedelta(seconds=60 * step + n)
            batch.append(seen(client_id, status, at=at, object_id=object_id, policy=policy))
            if rng.random() < 0.1:  # late: older than the result just before it
                late = at - dt.timedelta(seconds=30)
                batch.append(seen(client_id, "critical", at=late, object_id=object_id))
            if rng.random() < 0.1:  # the same object again, later, in the same batch
                again = at + dt.timedelta(seconds=20)
                batch.append(seen(client_id, "ok", at=again, object_id=object_id, policy=policy))
        if step % 7 == 6:  # out of order within a batch, sometimes
            rng.shuffle(batch)
        batches.append(batch)
    return batches


def _state_of(object_ids: list[str]) -> list[list[dict[str, Any]]]:
    """Every problem of each object, oldest first, with its events: what a reader would see."""
    fields = (
        "state", "severity", "last_status", "failures", "successes", "failing_since", "ok_since",
        "flapping", "notified", "fired_at", "resolved_at", "repeat_count", "reopen_count",
        "last_seen_at", "first_seen_at", "summary", "recover_at", "flips",
    )  # fmt: skip
    out = []
    for object_id in object_ids:
        problems = Problem.objects.filter(object_id=object_id).order_by("pk")
        out.append(
            [
                {
                    **{name: getattr(p, name) for name in fields},
                    "events": list(
                        p.events.order_by("pk").values_list("kind", "state", "status", "at")
                    ),
                }
                for p in problems
            ]
        )
    return out


def test_a_batch_has_the_effect_of_its_observations_one_by_one(client_a, told):
    singles = [f"one-{n}" for n in range(12)]
    batched = [f"many-{n}" for n in range(12)]
    for batch in _script(client_a.pk, singles, seed=7):
        for observation in batch:
            spine.observe(observation)
    one_by_one = len(told)
    for batch in _script(client_a.pk, batched, seed=7):
        spine.observe_many(batch)

    expected = _state_of(singles)
    kinds = {e[0] for problems in expected for p in problems for e in p["events"]}
    assert {"opened", "fired", "resolved"} <= kinds, kinds  # the script exercises the rule book
    assert _state_of(batched) == expected
    assert [(c.kind, c.severity) for c in told[one_by_one:]] == [
        (c.kind, c.severity) for c in told[:one_by_one]
    ]


def test_a_quiet_batch_costs_one_query_however_large(client_a, told):
    spine.observe(seen(client_a.pk, "critical", at=T0, object_id="x"))  # one open problem
    spine.observe(seen(client_a.pk, "ok", at=T0 + dt.timedelta(seconds=1), object_id="x"))
    quiet = [
        seen(client_a.pk, "ok", at=T0 + dt.timedelta(seconds=60), object_id=str(n))
        for n in range(200)
    ] + [seen(client_a.pk, "ok", at=T0 + dt.timedelta(seconds=60), object_id="x")]
    with CaptureQueriesContext(connection) as queries:
        spine.observe_many(quiet)
    # The latest problem of each fingerprint (one query with a subquery); nothing changed.
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert Problem.objects.get(object_id="x").state == "resolved"
    assert Problem.objects.count() == 1


def test_a_failing_result_in_a_batch_is_written_like_a_single_one(client_a, told):
    batch = [seen(client_a.pk, "ok", at=T0, object_id=str(n)) for n in range(50)] + [
        seen(client_a.pk, "critical", at=T0, object_id="bad")
    ]
    spine.observe_many(batch)
    problem = Problem.objects.get()
    assert (problem.object_id, problem.state) == ("bad", "firing")
    assert [c.kind for c in told] == ["firing"]
