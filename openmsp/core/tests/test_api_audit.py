"""The audit log over the API: who may read it, filters, exports (themselves audited), verify."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions

SYSTEM = Actor.system("test")


def streamed(response) -> str:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize("persona", ["msp_owner", "msp_admin", "auditor"])
def test_owners_admins_and_auditors_read_the_audit_log_newest_first(
    request, persona, client_a, api_as
):
    response = api_as(request.getfixturevalue(persona)).get("/api/v1/audit")
    assert response.status_code == 200
    seqs = [r["seq"] for r in response.json()["items"]]
    assert seqs == sorted(seqs, reverse=True)
    assert response.json()["count"] == AuditRecord.objects.count()


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "tech_b"])
def test_client_users_and_technicians_never_read_the_audit_log(request, persona, api_as):
    http = api_as(request.getfixturevalue(persona))
    for path in ("/api/v1/audit", "/api/v1/audit/export", "/api/v1/audit/verify"):
        response = http.get(path)
        assert response.status_code == 403, path
        assert "audit" in response.json()["detail"]


def test_records_are_filtered_by_client_action_category_actor_and_time(
    auditor, msp_owner, client_a, client_b, api_as
):
    actions.update_client(actor=Actor(user=msp_owner), client=client_a, changes={"notes": "VIP"})
    http = api_as(auditor)

    def actions_of(query: str) -> set[str]:
        response = http.get("/api/v1/audit?limit=500&" + query)
        assert response.status_code == 200, response.content
        return {r["action"] for r in response.json()["items"]}

    assert actions_of(f"client_id={client_b.pk}") == {"client.created", "calendar.created"}
    assert actions_of("action=client.updated") == {"client.updated"}
    assert actions_of("category=permission") >= {"user.invited", "token.created"}
    assert actions_of(f"actor_id={msp_owner.pk}") == {"client.updated"}
    assert actions_of("object_type=tenants.client&ordering=seq") == {
        "client.created",
        "client.updated",
    }
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat().replace("+", "%2B")
    assert actions_of(f"since={future}") == set()
    assert actions_of(f"until={future}") >= {"client.updated"}


def test_a_record_shows_its_exact_instant_and_hash_so_it_can_be_checked_offline(
    auditor, client_a, api_as
):
    item = api_as(auditor).get("/api/v1/audit?action=client.created").json()["items"][0]
    record = AuditRecord.objects.get(seq=item["seq"])
    assert item["at"] == record.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    assert item["hash"] == record.hash
    assert item["hash"] == audit.compute_hash(item["prev_hash"], record)


@pytest.mark.parametrize(
    "query", ["category=gossip", "since=yesterday", "since=2026-01-01T00:00:00", "ordering=at"]
)
def test_bad_filters_are_refused_naming_them(auditor, query, api_as):
    response = api_as(auditor).get("/api/v1/audit?" + query)
    assert response.status_code == 422
    assert response.json()["field"] == query.split("=")[0]


def test_a_csv_export_holds_the_filtered_records_and_is_itself_audited(
    auditor, client_a, client_b, api_as
):
    response = api_as(auditor).get(f"/api/v1/audit/export?format=csv&client_id={client_a.pk}")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = streamed(response)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    expected = AuditRecord.objects.filter(client=client_a).exclude(action="audit.exported")
    assert [int(r["seq"]) for r in rows] == sorted(expected.values_list("seq", flat=True))
    assert set(rows[0]) >= {"seq", "at", "actor_label", "action", "before", "after", "hash"}
    exported = AuditRecord.objects.get(action="audit.exported")
    assert exported.category == "export"
    assert exported.actor_id == auditor.pk
    assert exported.after is not None
    assert exported.after["format"] == "csv"
    assert exported.after["count"] == len(rows)
    assert exported.after["filters"] == {"client_id": client_a.pk, "format": "csv"}


def test_a_json_export_is_an_array_of_records_in_chain_order(auditor, client_a, api_as):
    response = api_as(auditor).get("/api/v1/audit/export?format=json&action=client.created")
    assert response["Content-Type"] == "application/json"
    records = json.loads(streamed(response))
    assert [r["action"] for r in records] == ["client.created"]
    assert records[0]["after"]["name"] == "Hanbit Logistics"
    assert records[0]["hash"] == AuditRecord.objects.get(seq=records[0]["seq"]).hash


def test_csv_cells_that_a_spreadsheet_would_run_are_defused(auditor, msp_owner, api_as):
    actions.create_client(actor=SYSTEM, name="=HYPERLINK(evil)", code="evil")
    text = streamed(api_as(auditor).get("/api/v1/audit/export?action=client.created"))
    assert "'=HYPERLINK(evil)" in text
    assert ",=HYPERLINK" not in text


def test_a_read_only_auditor_token_may_still_export(auditor, client_a, api_as):
    response = api_as(auditor, read_only=True).get("/api/v1/audit/export?format=json")
    assert len(json.loads(streamed(response))) > 0


def test_an_unknown_export_format_is_refused_naming_format(auditor, api_as):
    response = api_as(auditor).get("/api/v1/audit/export?format=xlsx")
    assert response.status_code == 422
    assert response.json()["field"] == "format"
    assert not AuditRecord.objects.filter(action="audit.exported").exists()


def test_verify_walks_the_whole_chain(auditor, client_a, api_as):
    response = api_as(auditor).get("/api/v1/audit/verify")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["broken_seq"] is None
    assert body["checked"] == AuditRecord.objects.count()


def test_the_audit_list_runs_the_same_number_of_queries_for_1_and_20_records(auditor, api_as):
    http = api_as(auditor)
    http.get("/api/v1/audit")
    url = "/api/v1/audit?action=client.created"
    actions.create_client(actor=SYSTEM, name="C0", code="c0")
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).json()["count"] == 1
    for n in range(1, 20):
        actions.create_client(actor=SYSTEM, name=f"C{n}", code=f"c{n}")
    with CaptureQueriesContext(connection) as twenty:
        assert http.get(url).json()["count"] == 20
    assert len(twenty) == len(one)
