"""/api/v1/clients: who sees which clients, who may change them, and what the audit log keeps."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions
from openmsp.tenants.models import BusinessCalendar, Client

SYSTEM = Actor.system("test")
JSON = "application/json"


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def test_the_msp_owner_lists_every_client_in_a_page_envelope(msp_owner, client_a, client_b, api_as):
    response = api_as(msp_owner).get("/api/v1/clients")
    body = response.json()
    assert body["count"] == 2
    assert body["limit"] == 50
    assert body["offset"] == 0
    assert [c["code"] for c in body["items"]] == ["hanbit", "saebom"]
    assert set(body["items"][0]) >= {"id", "name", "code", "status", "time_zone", "created_at"}


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_client_users_list_only_their_own_client(request, persona, client_a, client_b, api_as):
    user = request.getfixturevalue(persona)
    assert names(api_as(user).get("/api/v1/clients")) == ["Hanbit Logistics"]


def test_a_technician_limited_to_client_b_lists_only_b(tech_b, client_a, client_b, api_as):
    assert names(api_as(tech_b).get("/api/v1/clients")) == ["Saebom Pharma"]


def test_it_filters_by_status_and_searches_name_and_code(msp_owner, client_a, client_b, api_as):
    actions.update_client(actor=SYSTEM, client=client_b, changes={"status": "offboarded"})
    http = api_as(msp_owner)
    assert names(http.get("/api/v1/clients?status=offboarded")) == ["Saebom Pharma"]
    assert names(http.get("/api/v1/clients?q=HANBIT")) == ["Hanbit Logistics"]
    assert names(http.get("/api/v1/clients?q=saeb")) == ["Saebom Pharma"]
    assert names(http.get("/api/v1/clients?q=nothing-like-it")) == []


def test_it_orders_by_an_allowed_field_and_names_the_allowed_ones_otherwise(
    msp_owner, client_a, client_b, api_as
):
    http = api_as(msp_owner)
    assert names(http.get("/api/v1/clients?ordering=-name")) == [
        "Saebom Pharma",
        "Hanbit Logistics",
    ]
    response = http.get("/api/v1/clients?ordering=password")
    assert response.status_code == 422
    assert response.json()["field"] == "ordering"
    assert "'-name'" in response.json()["detail"]
    assert "'created_at'" in response.json()["detail"]


def test_limit_and_offset_page_through_the_list(msp_owner, client_a, client_b, api_as):
    actions.create_client(actor=SYSTEM, name="Cheongun Foods", code="cheongun")
    http = api_as(msp_owner)
    first = http.get("/api/v1/clients?limit=2").json()
    second = http.get("/api/v1/clients?limit=2&offset=2").json()
    assert first["count"] == second["count"] == 3
    assert [c["name"] for c in first["items"]] == ["Cheongun Foods", "Hanbit Logistics"]
    assert [c["name"] for c in second["items"]] == ["Saebom Pharma"]
    assert http.get("/api/v1/clients?offset=10").json()["items"] == []


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_a_limit_outside_1_to_500_is_refused_naming_limit(msp_owner, limit, api_as):
    response = api_as(msp_owner).get(f"/api/v1/clients?limit={limit}")
    assert response.status_code == 422
    assert response.json()["field"] == "limit"


def test_a_misspelt_filter_is_refused_instead_of_matching_everything(msp_owner, api_as):
    response = api_as(msp_owner).get("/api/v1/clients?stauts=active")
    assert response.status_code == 422
    assert response.json()["field"] == "stauts"
    assert "status" in response.json()["detail"]


def test_the_list_runs_the_same_number_of_queries_for_1_and_20_clients(msp_owner, api_as):
    http = api_as(msp_owner)
    http.get("/api/v1/clients")  # the token's first use writes its audit record
    actions.create_client(actor=SYSTEM, name="Client 0", code="c0")
    with CaptureQueriesContext(connection) as one:
        assert http.get("/api/v1/clients").json()["count"] == 1
    for n in range(1, 20):
        actions.create_client(actor=SYSTEM, name=f"Client {n}", code=f"c{n}")
    with CaptureQueriesContext(connection) as twenty:
        assert http.get("/api/v1/clients").json()["count"] == 20
    assert len(twenty) == len(one)


def test_the_msp_owner_creates_a_client_with_its_calendar_and_an_audit_record(msp_owner, api_as):
    response = api_as(msp_owner).post(
        "/api/v1/clients",
        {"name": "Gaon Motors", "code": "gaon", "time_zone": "Asia/Seoul", "language": "en"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "gaon"
    assert body["language"] == "en"
    client = Client.objects.get(pk=body["id"])
    assert BusinessCalendar.objects.filter(client=client).count() == 1
    record = AuditRecord.objects.get(action="client.created", client=client)
    assert record.actor_id == msp_owner.pk
    assert record.after is not None
    assert record.after["name"] == "Gaon Motors"


@pytest.mark.parametrize("persona", ["alice", "bob", "tech_b", "auditor"])
def test_only_msp_owners_and_admins_create_clients(request, persona, client_a, client_b, api_as):
    user = request.getfixturevalue(persona)
    response = api_as(user).post(
        "/api/v1/clients", {"name": "Gaon Motors", "code": "gaon"}, content_type=JSON
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow this."
    assert not Client.objects.filter(code="gaon").exists()


def test_a_read_only_token_is_refused_every_change_with_the_reason(msp_owner, client_a, api_as):
    http = api_as(msp_owner, read_only=True)
    created = http.post("/api/v1/clients", {"name": "Gaon", "code": "gaon"}, content_type=JSON)
    changed = http.patch(f"/api/v1/clients/{client_a.pk}", {"notes": "x"}, content_type=JSON)
    deleted = http.delete(f"/api/v1/clients/{client_a.pk}")
    for response in (created, changed, deleted):
        assert response.status_code == 403
        assert response.json()["detail"] == "This API token is read-only."
    assert http.get(f"/api/v1/clients/{client_a.pk}").status_code == 200


def test_a_taken_code_is_a_conflict_naming_the_code(msp_owner, client_a, api_as):
    response = api_as(msp_owner).post(
        "/api/v1/clients", {"name": "Another", "code": "hanbit"}, content_type=JSON
    )
    assert response.status_code == 409
    assert response.json()["field"] == "code"


def test_a_patch_changes_only_the_fields_sent_and_audits_before_and_after(
    msp_owner, client_a, api_as
):
    response = api_as(msp_owner).patch(
        f"/api/v1/clients/{client_a.pk}", {"legal_name": "Hanbit Co., Ltd."}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["legal_name"] == "Hanbit Co., Ltd."
    assert response.json()["name"] == "Hanbit Logistics"
    record = AuditRecord.objects.filter(action="client.updated").latest("seq")
    assert record.before == {"legal_name": ""}
    assert record.after == {"legal_name": "Hanbit Co., Ltd."}


def test_a_patch_with_an_unknown_time_zone_names_the_field(msp_owner, client_a, api_as):
    response = api_as(msp_owner).patch(
        f"/api/v1/clients/{client_a.pk}", {"time_zone": "Seoul/Gangnam"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["field"] == "time_zone"
    assert "Seoul/Gangnam" in response.json()["detail"]


def test_a_patch_cannot_null_a_required_field(msp_owner, client_a, api_as):
    response = api_as(msp_owner).patch(
        f"/api/v1/clients/{client_a.pk}", {"name": None}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["field"] == "name"


def test_deleting_a_client_without_contracts_or_users_is_audited(msp_owner, client_b, api_as):
    response = api_as(msp_owner).delete(f"/api/v1/clients/{client_b.pk}")
    assert response.status_code == 204
    assert not Client.objects.filter(pk=client_b.pk).exists()
    assert AuditRecord.objects.filter(action="client.deleted", object_id=str(client_b.pk)).exists()


def test_deleting_a_client_with_users_is_a_conflict_that_says_what_to_do(
    msp_owner, client_a, bob, api_as
):
    response = api_as(msp_owner).delete(f"/api/v1/clients/{client_a.pk}")
    assert response.status_code == 409
    assert "offboarded" in response.json()["detail"]
    assert Client.objects.filter(pk=client_a.pk).exists()


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_whatever_the_method(request, outsider, client_a, api_as):
    http = api_as(request.getfixturevalue(outsider))
    url = f"/api/v1/clients/{client_a.pk}"
    assert http.get(url).status_code == 404
    assert http.patch(url, {"notes": "mine"}, content_type=JSON).status_code == 404
    assert http.delete(url).status_code == 404
    assert http.get(url).json() == {"detail": "No such client."}
    client_a.refresh_from_db()
    assert client_a.notes == ""


def test_a_client_user_reads_his_client_but_may_not_change_it(bob, client_a, api_as):
    http = api_as(bob)
    assert http.get(f"/api/v1/clients/{client_a.pk}").json()["code"] == "hanbit"
    response = http.patch(f"/api/v1/clients/{client_a.pk}", {"notes": "x"}, content_type=JSON)
    assert response.status_code == 403


def test_a_client_that_does_not_exist_is_a_404(msp_owner, api_as):
    assert api_as(msp_owner).get("/api/v1/clients/987654").status_code == 404
