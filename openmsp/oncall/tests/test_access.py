"""On-call is MSP-internal: even the client a schedule is limited to cannot see it.

The isolation sweep (tests/test_isolation_sweep.py) tries every route as outsiders of client A;
this adds client A's own users for every on-call route, API and UI, read and write.
"""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.core.models import AuditRecord
from tests.test_isolation_sweep import _build_world, _call, all_routes


def _oncall_routes() -> list[Any]:
    return [r for r in all_routes() if "oncall" in r.template]


def test_the_sweep_knows_every_on_call_route() -> None:
    templates = {r.template for r in _oncall_routes()}
    assert "/api/v1/oncall/now" in templates
    assert "/api/v1/oncall/schedules/{schedule_id}/shifts" in templates
    assert "/oncall/<int:schedule_id>/overrides/<int:override_id>/delete/" in templates


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_client_users_of_the_schedules_own_client_get_403_or_404_everywhere(
    request, persona, client_a, alice, bob, msp_owner, api_as, web_as
):
    world = _build_world(client_a, alice, bob)
    who = request.getfixturevalue(persona)
    surfaces = {"api": api_as(who), "ui": web_as(who)}
    owner = {"api": api_as(msp_owner), "ui": web_as(msp_owner)}
    oncall_changes = AuditRecord.objects.filter(action__startswith="oncall_")
    before = oncall_changes.count()
    answers = []
    for route in _oncall_routes():
        url = route.url(world)
        for method in route.methods:
            status = _call(surfaces[route.surface], method, url, route.surface).status_code
            answers.append((method, url, status))
        if "GET" in route.methods:
            assert owner[route.surface].get(url).status_code in (200, 405), url
    assert answers
    assert all(s in (403, 404, 405) for *_, s in answers), answers
    assert oncall_changes.count() == before
