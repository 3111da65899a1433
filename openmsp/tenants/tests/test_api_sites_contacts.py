"""Sites and contacts over the API: client admins keep their own, outsiders meet 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions
from openmsp.tenants.models import Contact, Site

SYSTEM = Actor.system("test")
JSON = "application/json"


@pytest.fixture
def hq(client_a):
    return actions.create_site(
        actor=SYSTEM, client=client_a, name="Seoul HQ", address="1 Sejong-daero"
    )


@pytest.fixture
def kim(client_a, hq):
    return actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim Minji", email="minji@hanbit.example", site=hq
    )


# --- Sites --------------------------------------------------------------------------------------


def test_a_client_admin_adds_a_site_to_her_client_and_it_is_audited(alice, client_a, api_as):
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/sites",
        {"name": "Busan hub", "address": "55 Jungang-daero"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert response.json()["client_id"] == client_a.pk
    site = Site.objects.get(pk=response.json()["id"])
    record = AuditRecord.objects.get(action="site.created", object_id=str(site.pk))
    assert record.client_id == client_a.pk
    assert record.actor_id == alice.pk


def test_a_client_user_reads_sites_but_may_not_add_one(bob, client_a, hq, api_as):
    http = api_as(bob)
    listed = http.get(f"/api/v1/clients/{client_a.pk}/sites").json()
    assert [s["name"] for s in listed["items"]] == ["Seoul HQ"]
    response = http.post(
        f"/api/v1/clients/{client_a.pk}/sites", {"name": "Busan"}, content_type=JSON
    )
    assert response.status_code == 403


def test_sites_are_searched_by_name_or_address_and_ordered(msp_owner, client_a, hq, api_as):
    actions.create_site(actor=SYSTEM, client=client_a, name="Busan hub", address="Haeundae")
    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/sites"
    assert [s["name"] for s in http.get(url + "?q=sejong").json()["items"]] == ["Seoul HQ"]
    ordered = http.get(url + "?ordering=-name").json()["items"]
    assert [s["name"] for s in ordered] == ["Seoul HQ", "Busan hub"]


def test_a_second_site_with_the_same_name_is_refused(alice, client_a, hq, api_as):
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/sites", {"name": "Seoul HQ"}, content_type=JSON
    )
    assert response.status_code in (409, 422)
    assert Site.objects.filter(client=client_a, name="Seoul HQ").count() == 1


def test_a_site_is_changed_and_deleted_by_its_client_admin(alice, hq, api_as):
    http = api_as(alice)
    changed = http.patch(f"/api/v1/sites/{hq.pk}", {"address": "2 Sejong-daero"}, content_type=JSON)
    assert changed.status_code == 200
    assert changed.json()["address"] == "2 Sejong-daero"
    assert http.delete(f"/api/v1/sites/{hq.pk}").status_code == 204
    assert not Site.objects.filter(pk=hq.pk).exists()
    assert AuditRecord.objects.filter(action="site.deleted", object_id=str(hq.pk)).exists()


def test_a_site_with_an_unknown_time_zone_is_refused_naming_it(alice, client_a, api_as):
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/sites",
        {"name": "Busan", "time_zone": "Busan/Haeundae"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "time_zone"


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_sites(request, outsider, client_a, hq, api_as):
    http = api_as(request.getfixturevalue(outsider))
    assert http.get(f"/api/v1/clients/{client_a.pk}/sites").status_code == 404
    assert (
        http.post(
            f"/api/v1/clients/{client_a.pk}/sites", {"name": "Mine"}, content_type=JSON
        ).status_code
        == 404
    )
    assert http.get(f"/api/v1/sites/{hq.pk}").status_code == 404
    assert http.patch(f"/api/v1/sites/{hq.pk}", {"name": "x"}, content_type=JSON).status_code == 404
    assert http.delete(f"/api/v1/sites/{hq.pk}").status_code == 404
    hq.refresh_from_db()
    assert hq.name == "Seoul HQ"


def test_a_technician_assigned_to_b_adds_sites_to_b(tech_b, client_b, api_as):
    response = api_as(tech_b).post(
        f"/api/v1/clients/{client_b.pk}/sites", {"name": "Osong plant"}, content_type=JSON
    )
    assert response.status_code == 201


def test_the_site_list_runs_the_same_number_of_queries_for_1_and_20_sites(
    msp_owner, client_a, api_as
):
    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/sites"
    actions.create_site(actor=SYSTEM, client=client_a, name="Site 0")
    http.get(url)
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).json()["count"] == 1
    for n in range(1, 20):
        actions.create_site(actor=SYSTEM, client=client_a, name=f"Site {n}")
    with CaptureQueriesContext(connection) as twenty:
        assert http.get(url).json()["count"] == 20
    assert len(twenty) == len(one)


# --- Contacts -----------------------------------------------------------------------------------


def test_a_client_admin_adds_a_contact_at_one_of_her_sites(alice, client_a, hq, api_as):
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/contacts",
        {
            "name": "Park Jisoo",
            "email": "jisoo@hanbit.example",
            "site_id": hq.pk,
            "is_primary": True,
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["site_id"] == hq.pk
    assert body["is_primary"] is True
    assert AuditRecord.objects.filter(action="contact.created", object_id=str(body["id"])).exists()


def test_a_contact_at_another_clients_site_is_refused_naming_site_id(
    msp_owner, client_a, client_b, api_as
):
    osong = actions.create_site(actor=SYSTEM, client=client_b, name="Osong plant")
    response = api_as(msp_owner).post(
        f"/api/v1/clients/{client_a.pk}/contacts",
        {"name": "Park", "site_id": osong.pk},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "site_id"


def test_a_site_the_actor_cannot_see_is_refused_like_one_that_does_not_exist(
    alice, client_a, client_b, api_as
):
    osong = actions.create_site(actor=SYSTEM, client=client_b, name="Osong plant")
    http = api_as(alice)
    hidden = http.post(
        f"/api/v1/clients/{client_a.pk}/contacts",
        {"name": "P", "site_id": osong.pk},
        content_type=JSON,
    )
    missing = http.post(
        f"/api/v1/clients/{client_a.pk}/contacts",
        {"name": "P", "site_id": 987654},
        content_type=JSON,
    )
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json()["field"] == missing.json()["field"] == "site_id"


def test_an_invalid_contact_email_is_refused_naming_email(alice, client_a, api_as):
    response = api_as(alice).post(
        f"/api/v1/clients/{client_a.pk}/contacts",
        {"name": "Park", "email": "not-an-address"},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "email"


def test_contacts_are_searched_filtered_by_site_and_changed(alice, client_a, hq, kim, api_as):
    actions.create_contact(actor=SYSTEM, client=client_a, name="Lee Seojun", phone="010-1234")
    http = api_as(alice)
    url = f"/api/v1/clients/{client_a.pk}/contacts"
    assert [c["name"] for c in http.get(url + "?q=1234").json()["items"]] == ["Lee Seojun"]
    assert [c["name"] for c in http.get(url + f"?site_id={hq.pk}").json()["items"]] == ["Kim Minji"]
    changed = http.patch(f"/api/v1/contacts/{kim.pk}", {"site_id": None}, content_type=JSON)
    assert changed.status_code == 200
    assert changed.json()["site_id"] is None
    assert http.delete(f"/api/v1/contacts/{kim.pk}").status_code == 204
    assert not Contact.objects.filter(pk=kim.pk).exists()


def test_a_client_user_may_not_change_contacts(bob, kim, api_as):
    http = api_as(bob)
    assert http.get(f"/api/v1/contacts/{kim.pk}").json()["name"] == "Kim Minji"
    assert (
        http.patch(f"/api/v1/contacts/{kim.pk}", {"title": "CEO"}, content_type=JSON).status_code
        == 403
    )
    assert http.delete(f"/api/v1/contacts/{kim.pk}").status_code == 403


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_contacts(request, outsider, client_a, kim, api_as):
    http = api_as(request.getfixturevalue(outsider))
    assert http.get(f"/api/v1/clients/{client_a.pk}/contacts").status_code == 404
    assert http.get(f"/api/v1/contacts/{kim.pk}").status_code == 404
    assert (
        http.patch(f"/api/v1/contacts/{kim.pk}", {"name": "x"}, content_type=JSON).status_code
        == 404
    )
    assert http.delete(f"/api/v1/contacts/{kim.pk}").status_code == 404


def test_the_contact_list_runs_the_same_number_of_queries_for_1_and_20_contacts(
    msp_owner, client_a, hq, api_as
):
    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/contacts"
    actions.create_contact(actor=SYSTEM, client=client_a, name="Contact 0", site=hq)
    http.get(url)
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).json()["count"] == 1
    for n in range(1, 20):
        actions.create_contact(actor=SYSTEM, client=client_a, name=f"Contact {n}", site=hq)
    with CaptureQueriesContext(connection) as twenty:
        assert http.get(url).json()["count"] == 20
    assert len(twenty) == len(one)
