"""Contracts over the API: every contract field, nested SLA targets, and who may read or change."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions
from openmsp.tenants.models import BusinessCalendar, Contract

SYSTEM = Actor.system("test")
JSON = "application/json"

TARGETS = [
    {"priority": "P1", "first_response_minutes": 15, "resolution_minutes": 240, "always_open": True},
    {"priority": "P3", "first_response_minutes": 120, "next_response_minutes": 480, "resolution_minutes": 2400},
]  # fmt: skip


@pytest.fixture
def hours(client_a):
    return BusinessCalendar.objects.get(client=client_a)


@pytest.fixture
def msa(client_a, hours):
    return actions.create_contract(
        actor=SYSTEM,
        client=client_a,
        name="Managed services 2026",
        start_date=dt.date(2026, 1, 1),
        calendar=hours,
        sla_targets=TARGETS,
    )


def full_body(calendar_id: int) -> dict[str, object]:
    return {
        "name": "Managed services 2027",
        "reference": "MSA-2027-001",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "renewal": "manual",
        "notice_days": 60,
        "services": ["monitoring", "integration_ops", "backup"],
        "support_hours": "calendar",
        "calendar_id": calendar_id,
        "availability_target": "99.950",
        "billing_model": "per_device",
        "rate": "45000.00",
        "currency": "KRW",
        "included_hours": "12.50",
        "dpa_signed": True,
        "dpa_signed_on": "2026-12-15",
        "data_location": "KR",
        "retention_days": 1825,
        "report_frequency": "quarterly",
        "report_recipients": ["it@hanbit.example"],
        "meeting_cadence": "semiannual",
        "sla_targets": TARGETS,
    }


def test_the_msp_owner_creates_a_contract_with_every_field_and_sla_targets(
    msp_owner, client_a, hours, api_as
):
    body = full_body(hours.pk)
    response = api_as(msp_owner).post(
        f"/api/v1/clients/{client_a.pk}/contracts", body, content_type=JSON
    )
    assert response.status_code == 201, response.content
    got = response.json()
    for field in set(body) - {"sla_targets"}:
        assert got[field] == body[field], field
    assert got["status"] == "upcoming"
    assert got["client_id"] == client_a.pk
    assert got["sla_targets"] == [
        {"priority": "P1", "first_response_minutes": 15, "next_response_minutes": None, "resolution_minutes": 240, "always_open": True},
        {"priority": "P3", "first_response_minutes": 120, "next_response_minutes": 480, "resolution_minutes": 2400, "always_open": False},
    ]  # fmt: skip
    contract = Contract.objects.get(pk=got["id"])
    assert AuditRecord.objects.filter(
        action="contract.created", object_id=str(contract.pk)
    ).exists()
    assert AuditRecord.objects.filter(action="contract.sla_targets_set", object_id=str(contract.pk)).exists()  # fmt: skip


def test_an_unknown_service_is_refused_naming_the_known_ones(msp_owner, client_a, api_as):
    response = api_as(msp_owner).post(
        f"/api/v1/clients/{client_a.pk}/contracts",
        {"name": "X", "start_date": "2026-01-01", "support_hours": "24x7", "services": ["laundry"]},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "services"
    assert "laundry" in response.json()["detail"]
    assert "integration_ops" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"support_hours": "calendar"}, "calendar_id"),
        ({"end_date": "2025-12-31"}, "end_date"),
        ({"dpa_signed": True}, "dpa_signed_on"),
        ({"report_recipients": ["not-an-address"]}, "report_recipients"),
        ({"availability_target": "100.5"}, "availability_target"),
        ({"currency": "won"}, "currency"),
        ({"renewal": "forever"}, "renewal"),
        ({"sla_targets": [TARGETS[0], TARGETS[0]]}, "sla_targets"),
        ({"sla_targets": [{**TARGETS[0], "resolution_minutes": 0}]}, "sla_targets.0.resolution_minutes"),
        ({"calendar_id": 987654}, "calendar_id"),
        ({"colour": "blue"}, "colour"),
    ],
)  # fmt: skip
def test_an_invalid_contract_is_refused_naming_the_field(
    msp_owner, client_a, change, field, api_as
):
    body = {"name": "X", "start_date": "2026-01-01", "support_hours": "24x7", **change}
    response = api_as(msp_owner).post(
        f"/api/v1/clients/{client_a.pk}/contracts", body, content_type=JSON
    )
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Contract.objects.exists()


def test_another_clients_calendar_is_refused_naming_calendar_id(
    msp_owner, client_a, client_b, api_as
):
    b_hours = BusinessCalendar.objects.get(client=client_b)
    response = api_as(msp_owner).post(
        f"/api/v1/clients/{client_a.pk}/contracts",
        {"name": "X", "start_date": "2026-01-01", "calendar_id": b_hours.pk},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "calendar_id"


def test_a_patch_replaces_the_sla_targets_and_audits_them(msp_owner, msa, api_as):
    new = [{"priority": "P2", "first_response_minutes": 30, "resolution_minutes": 480}]
    response = api_as(msp_owner).patch(
        f"/api/v1/contracts/{msa.pk}", {"sla_targets": new, "notice_days": 90}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert [t["priority"] for t in response.json()["sla_targets"]] == ["P2"]
    assert response.json()["notice_days"] == 90
    record = AuditRecord.objects.filter(action="contract.sla_targets_set").latest("seq")
    assert record.before is not None
    assert record.after is not None
    assert [t["priority"] for t in record.before["targets"]] == ["P1", "P3"]
    assert [t["priority"] for t in record.after["targets"]] == ["P2"]


def test_a_patch_without_sla_targets_keeps_them(msp_owner, msa, api_as):
    response = api_as(msp_owner).patch(
        f"/api/v1/contracts/{msa.pk}", {"reference": "MSA-1"}, content_type=JSON
    )
    assert [t["priority"] for t in response.json()["sla_targets"]] == ["P1", "P3"]


def test_a_client_admin_reads_contracts_but_may_not_change_them(alice, client_a, msa, api_as):
    http = api_as(alice)
    listed = http.get(f"/api/v1/clients/{client_a.pk}/contracts").json()
    assert [c["name"] for c in listed["items"]] == ["Managed services 2026"]
    assert http.get(f"/api/v1/contracts/{msa.pk}").status_code == 200
    assert (
        http.patch(f"/api/v1/contracts/{msa.pk}", {"rate": "1"}, content_type=JSON).status_code
        == 403
    )
    assert http.delete(f"/api/v1/contracts/{msa.pk}").status_code == 403


def test_a_client_user_may_not_read_contracts(bob, client_a, msa, api_as):
    http = api_as(bob)
    for response in (
        http.get(f"/api/v1/clients/{client_a.pk}/contracts"),
        http.get(f"/api/v1/contracts/{msa.pk}"),
    ):
        assert response.status_code == 403
        assert response.json()["detail"] == "Your role does not allow viewing contracts."


def test_an_auditor_reads_contracts_but_may_not_create_one(auditor, client_a, msa, api_as):
    http = api_as(auditor)
    assert http.get(f"/api/v1/contracts/{msa.pk}").status_code == 200
    response = http.post(
        f"/api/v1/clients/{client_a.pk}/contracts",
        {"name": "X", "start_date": "2026-01-01", "support_hours": "24x7"},
        content_type=JSON,
    )
    assert response.status_code == 403


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_contracts(request, outsider, client_a, msa, api_as):
    http = api_as(request.getfixturevalue(outsider))
    assert http.get(f"/api/v1/clients/{client_a.pk}/contracts").status_code == 404
    assert http.get(f"/api/v1/contracts/{msa.pk}").status_code == 404
    assert (
        http.patch(f"/api/v1/contracts/{msa.pk}", {"name": "x"}, content_type=JSON).status_code
        == 404
    )
    assert http.delete(f"/api/v1/contracts/{msa.pk}").status_code == 404


def test_contracts_are_filtered_by_status_and_searched(msp_owner, client_a, msa, api_as):
    actions.create_contract(
        actor=SYSTEM, client=client_a, name="Pilot", reference="PILOT-1",
        start_date=dt.date(2020, 1, 1), end_date=dt.date(2020, 12, 31), support_hours="24x7",
    )  # fmt: skip
    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/contracts"
    expired = http.get(url + "?status=expired").json()["items"]
    assert [c["name"] for c in expired] == ["Pilot"]
    assert [c["name"] for c in http.get(url + "?q=pilot-1").json()["items"]] == ["Pilot"]
    ordered = http.get(url + "?ordering=start_date").json()["items"]
    assert [c["name"] for c in ordered] == ["Pilot", "Managed services 2026"]


def test_deleting_a_contract_is_audited(msp_owner, msa, api_as):
    assert api_as(msp_owner).delete(f"/api/v1/contracts/{msa.pk}").status_code == 204
    assert AuditRecord.objects.filter(action="contract.deleted", object_id=str(msa.pk)).exists()


def test_the_contract_list_runs_the_same_number_of_queries_for_1_and_20_contracts(
    msp_owner, client_a, hours, api_as
):
    def add(n: int) -> None:
        actions.create_contract(
            actor=SYSTEM, client=client_a, name=f"C{n}", start_date=dt.date(2026, 1, 1),
            calendar=hours, sla_targets=TARGETS,
        )  # fmt: skip

    http = api_as(msp_owner)
    url = f"/api/v1/clients/{client_a.pk}/contracts"
    add(0)
    http.get(url)
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).json()["count"] == 1
    for n in range(1, 20):
        add(n)
    with CaptureQueriesContext(connection) as twenty:
        assert http.get(url).json()["count"] == 20
    assert len(twenty) == len(one)
