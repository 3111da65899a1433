"""The route editor's escalation ladder: per step the delay, the channels and the people, where
people are only MSP staff who may see the client; bad rows are 422 and change nothing."""

from __future__ import annotations

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.notifications import actions
from openmsp.notifications.models import Route
from openmsp.notifications.tests.test_pages import step_rows

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
FORM = {"name": "On-call", "position": 10, "enabled": "on", "group_wait_seconds": 30, "group_interval_seconds": 300, "repeat_interval_seconds": 3600}  # fmt: skip


@pytest.fixture
def route(client_a) -> Route:
    pager = actions.create_channel(actor=SYSTEM, client=client_a, name="Pager", kind="email", config={"recipients": ["pager@msp.example"]})  # fmt: skip
    return actions.create_route(actor=SYSTEM, client=client_a, name="On-call", channels=[pager])


def test_an_admin_sets_delay_channels_and_people_per_step(web_as, msp_admin, msp_owner, route):
    lead = make_user("lead@msp.example", Role.TECHNICIAN, full_name="Lee Lead")
    pager = route.channels.get()
    web = web_as(msp_admin)
    page = web.get(f"/notifications/routes/{route.pk}/").content.decode()
    assert "Lee Lead &lt;lead@msp.example&gt;" in page
    rows = step_rows(
        {"after_minutes": 30, "people": [msp_owner.pk]},
        {"after_minutes": 10, "channels": [pager.pk], "people": [lead.pk]},
        {},
    )
    saved = web.post(f"/notifications/routes/{route.pk}/", {**FORM, **rows})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    first, second = route.steps.order_by("number")
    assert (first.after_minutes, list(first.channels.all()), list(first.people.all())) == (10, [pager], [lead])  # fmt: skip
    assert (second.after_minutes, list(second.channels.all()), list(second.people.all())) == (30, [], [msp_owner])  # fmt: skip
    again = web.get(f"/notifications/routes/{route.pk}/").context["steps"]
    assert [f.initial["after_minutes"] for f in again.forms[:2]] == [10, 30]
    assert len(again.forms) == 3, "one empty row to add a step"


def test_people_offered_are_only_staff_who_see_the_client(
    web_as, msp_admin, alice, tech_b, charlie, route
):
    web = web_as(msp_admin)
    offered = web.get(f"/notifications/routes/{route.pk}/").context["steps"].forms[0]
    people = set(offered.fields["people"].queryset)
    assert msp_admin in people
    assert alice not in people, "client users are never people"
    assert charlie not in people
    assert tech_b not in people, "a technician of client B only does not see client A"
    for outsider in (alice, tech_b):
        refused = web.post(f"/notifications/routes/{route.pk}/", {**FORM, **step_rows({"after_minutes": 5, "people": [outsider.pk]})})  # fmt: skip
        assert refused.status_code == 422
        assert refused.context["steps"].forms[0].errors["people"]
    assert not route.steps.exists()


@pytest.mark.parametrize(
    ("row", "where"),
    [
        ({"after_minutes": 0, "people": ["x"]}, "after_minutes"),
        ({"after_minutes": "soon"}, "after_minutes"),
        ({"after_minutes": 5, "channels": [987654]}, "channels"),
        ({"channels": [987654]}, "channels"),
        ({"after_minutes": 20}, "__all__"),
        ({"after_minutes": 99999999}, "after_minutes"),
    ],
)
def test_a_bad_step_is_422_next_to_its_field(web_as, msp_admin, route, row, where):
    answer = web_as(msp_admin).post(f"/notifications/routes/{route.pk}/", {**FORM, **step_rows(row)})  # fmt: skip
    assert answer.status_code == 422
    assert answer.context["steps"].forms[0].errors.get(where)
    assert not route.steps.exists()


def test_a_post_without_the_ladder_is_refused_not_treated_as_no_steps(web_as, msp_admin, route):
    actions.update_route(actor=SYSTEM, route=route, changes={}, steps=[{"after_minutes": 5, "channels": list(route.channels.all())}])  # fmt: skip
    answer = web_as(msp_admin).post(f"/notifications/routes/{route.pk}/", FORM)
    assert answer.status_code == 422
    assert route.steps.count() == 1


def test_a_client_admin_may_name_staff_of_her_client_on_a_new_route(web_as, alice, msp_owner, client_a, route):  # fmt: skip
    web = web_as(alice)
    made = web.post("/notifications/routes/new/", {**FORM, "name": "Second", "client": client_a.pk, **step_rows({"after_minutes": 15, "people": [msp_owner.pk]})})  # fmt: skip
    assert made.status_code == 302, made.content.decode()[:3000]
    [step] = Route.objects.get(name="Second").steps.all()
    assert list(step.people.all()) == [msp_owner]
