"""A person acknowledges a firing problem (audited, told to notifications), comments on it,
withdraws it; an acknowledgement with an expiry fires again when it runs out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from openmsp.alerts import actions, queries
from openmsp.alerts.models import Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, NotFound, ValidationFailed
from openmsp.core.models import AuditRecord
from openmsp.core.spine import NoisePolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def firing(client_a) -> Problem:
    spine.observe(seen(client_a.pk))
    return Problem.objects.get()


def test_bob_acknowledges_with_a_comment_and_it_is_audited_and_told(bob, firing, told):
    actor = Actor(user=bob)
    problem = queries.get_problem(actor, firing.pk)
    actions.acknowledge(actor=actor, problem=problem, comment="Restarting the ERP pool")
    problem.refresh_from_db()
    assert problem.state == "acknowledged"
    assert problem.acknowledged_by == bob
    assert problem.ack_comment == "Restarting the ERP pool"
    assert AuditRecord.objects.filter(action="problem.acknowledged", client=problem.client).exists()
    assert [c.kind for c in told] == ["acknowledged"]
    assert [e.kind for e in problem.events.all()][-1] == "acknowledged"


def test_charlie_cannot_even_find_another_clients_problem(charlie, firing):
    with pytest.raises(NotFound):
        queries.get_problem(Actor(user=charlie), firing.pk)


def test_an_acknowledged_problem_keeps_quiet_while_failing_and_resolves_when_ok(
    client_a, bob, firing, told
):
    actions.acknowledge(actor=Actor(user=bob), problem=firing)
    spine.observe(seen(client_a.pk))
    firing.refresh_from_db()
    assert firing.state == "acknowledged"
    spine.observe(seen(client_a.pk, "ok"))
    firing.refresh_from_db()
    assert firing.state == "resolved"
    assert [c.kind for c in told] == ["acknowledged", "resolved"]


def test_only_a_firing_problem_can_be_acknowledged(client_a, bob):
    spine.observe(seen(client_a.pk, policy=NoisePolicy(failures_to_fire=3)))
    pending = Problem.objects.get()
    with pytest.raises(Conflict):
        actions.acknowledge(actor=Actor(user=bob), problem=pending)


def test_an_expiry_in_the_past_is_refused_naming_the_field(bob, firing):
    with pytest.raises(ValidationFailed) as caught:
        actions.acknowledge(
            actor=Actor(user=bob), problem=firing, expires_at=timezone.now() - dt.timedelta(1)
        )
    assert caught.value.field == "expires_at"


def test_an_expired_acknowledgement_fires_again(bob, firing, told):
    expiry = timezone.now() + dt.timedelta(minutes=30)
    actions.acknowledge(actor=Actor(user=bob), problem=firing, expires_at=expiry)
    assert actions.expire_acknowledgements(now=expiry - dt.timedelta(seconds=1)) == []
    assert actions.expire_acknowledgements(now=expiry) == [firing.pk]
    firing.refresh_from_db()
    assert firing.state == "firing"
    assert firing.ack_expires_at is None
    assert [c.kind for c in told] == ["acknowledged", "firing"]
    assert firing.events.last().kind == "ack_expired"


def test_unacknowledging_fires_again_and_comments_join_the_timeline(bob, firing, told):
    actor = Actor(user=bob)
    actions.acknowledge(actor=actor, problem=firing)
    actions.unacknowledge(actor=actor, problem=firing)
    actions.comment(actor=actor, problem=firing, text="Vendor ticket 4711 opened")
    firing.refresh_from_db()
    assert firing.state == "firing"
    kinds = [e.kind for e in firing.events.all()]
    assert kinds[-3:] == ["acknowledged", "unacknowledged", "comment"]
    assert [c.kind for c in told] == ["acknowledged", "firing"]


def test_a_stale_copy_of_the_problem_cannot_overwrite_a_newer_observation(client_a, bob, firing):
    stale = Problem.objects.get(pk=firing.pk)
    spine.observe(seen(client_a.pk, "ok"))  # resolved meanwhile
    with pytest.raises(Conflict):
        actions.acknowledge(actor=Actor(user=bob), problem=stale)


def test_a_checks_problem_is_not_resolved_by_hand_but_an_external_one_is(client_a, bob, firing):
    with pytest.raises(Conflict):
        actions.resolve(actor=Actor(user=bob), problem=firing)
    spine.observe(seen(client_a.pk, source="alertmanager", object_id="ab12", external=True))
    external = Problem.objects.get(source="alertmanager")
    actions.resolve(actor=Actor(user=bob), problem=external, comment="silenced upstream")
    external.refresh_from_db()
    assert external.state == "resolved"


def test_a_pending_problem_that_recovered_is_resolved_by_the_job(client_a, told):
    policy = NoisePolicy(failures_to_fire=3, recovery_seconds=300)
    t0 = timezone.now() - dt.timedelta(minutes=20)
    spine.observe(seen(client_a.pk, at=t0, policy=policy))
    spine.observe(seen(client_a.pk, "ok", at=t0 + dt.timedelta(minutes=1), policy=policy))
    problem = Problem.objects.get()
    assert problem.state == "pending"
    assert problem.recover_at == t0 + dt.timedelta(minutes=6)
    assert actions.resolve_recovered_pending(now=t0 + dt.timedelta(minutes=5)) == []
    assert actions.resolve_recovered_pending(now=t0 + dt.timedelta(minutes=6)) == [problem.pk]
    problem.refresh_from_db()
    assert problem.state == "resolved"
    assert told == []
