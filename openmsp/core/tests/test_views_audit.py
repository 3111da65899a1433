"""The audit log viewer: who may read it, filters, the before/after diff, exports, verify."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions
from openmsp.web.testing import compiled_translations, hx, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


def _rows(response):
    text = response.content.decode()
    return text[text.index("<tbody>") :]


def test_the_auditor_reads_the_log_in_korean_and_english(auditor, client_a, web_as):
    korean = web_as(speaking(auditor, "ko")).get(reverse("audit_list"))
    assert korean.status_code == 200
    assert "감사 로그" in korean.content.decode()
    english = web_as(speaking(auditor, "en")).get(reverse("audit_list"))
    assert "Audit log" in english.content.decode()
    assert "client.created" in english.content.decode()


@pytest.mark.parametrize("persona", ["alice", "bob", "charlie", "tech_b"])
def test_people_without_audit_access_get_404_everywhere(request, web_as, persona):
    http = web_as(request.getfixturevalue(persona))
    record = AuditRecord.objects.order_by("seq")[0]
    assert http.get(reverse("audit_list")).status_code == 404
    assert http.get(reverse("audit_detail", args=[record.pk])).status_code == 404
    assert http.get(reverse("audit_verify")).status_code == 404
    assert http.post(reverse("audit_export"), {"format": "csv"}).status_code == 404


def test_the_log_filters_by_client_action_category_and_actor(msp_owner, client_a, client_b, web_as):
    actions.create_site(actor=Actor(user=msp_owner), client=client_a, name="HQ")
    http = web_as(msp_owner)
    by_client = _rows(http.get(reverse("audit_list"), {"client": client_b.pk}))
    assert "Saebom Pharma" in by_client
    assert "Hanbit Logistics" not in by_client
    by_action = _rows(http.get(reverse("audit_list"), {"action": "site."}))
    assert "site.created" in by_action
    assert "client.created" not in by_action
    by_category = _rows(http.get(reverse("audit_list"), {"category": "permission"}))
    assert "user.invited" in by_category
    assert "site.created" not in by_category
    by_actor = _rows(http.get(reverse("audit_list"), {"actor": "owner@msp"}))
    assert "site.created" in by_actor
    assert "client.created" not in by_actor


def test_a_reversed_date_range_is_explained(msp_owner, web_as):
    response = web_as(speaking(msp_owner, "en")).get(
        reverse("audit_list"), {"since": "2026-03-02", "until": "2026-03-01"}
    )
    assert "The end date is before the start date." in response.content.decode()


def test_the_detail_shows_before_and_after_side_by_side(msp_owner, client_a, web_as):
    actions.update_client(actor=SYSTEM, client=client_a, changes={"name": "Hanbit Logistics Co."})
    record = AuditRecord.objects.filter(action="client.updated").get()
    text = (
        web_as(speaking(msp_owner, "en"))
        .get(reverse("audit_detail", args=[record.pk]))
        .content.decode()
    )
    assert "&quot;Hanbit Logistics&quot;" in text
    assert "&quot;Hanbit Logistics Co.&quot;" in text
    assert 'class="diff-changed"' in text
    assert record.hash in text


def test_verify_reports_an_intact_chain(auditor, client_a, web_as):
    response = web_as(speaking(auditor, "en")).get(reverse("audit_verify"), headers=hx())
    assert response.status_code == 200
    assert "The chain is intact" in response.content.decode()


def test_a_csv_export_holds_the_filtered_records_and_is_itself_audited(
    auditor, client_a, client_b, web_as
):
    response = web_as(auditor).post(
        reverse("audit_export"), {"format": "csv", "client": client_a.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert rows
    assert {row["client_id"] for row in rows} == {str(client_a.pk)}
    exported = AuditRecord.objects.get(action="audit.exported")
    assert exported.category == "export"
    assert exported.actor_id == auditor.pk
    assert exported.after == {
        "format": "csv",
        "filters": {"client": str(client_a.pk)},
        "count": len(rows),
    }


def test_a_json_export_is_a_list_of_records(msp_owner, client_a, web_as):
    response = web_as(msp_owner).post(
        reverse("audit_export"), {"format": "json", "action": "client."}
    )
    records = json.loads(b"".join(response.streaming_content))
    assert [r["action"] for r in records] == ["client.created"]


def test_csv_cells_that_look_like_formulas_are_defused(msp_owner, web_as):
    actions.create_client(actor=SYSTEM, name="=HYPERLINK(1)", code="formula")
    response = web_as(msp_owner).post(
        reverse("audit_export"), {"format": "csv", "action": "client."}
    )
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode("utf-8-sig")


def test_the_export_buttons_follow_the_export_permission(msp_owner, auditor, web_as):
    assert reverse("audit_export") in web_as(auditor).get(reverse("audit_list")).content.decode()
    assert reverse("audit_export") in web_as(msp_owner).get(reverse("audit_list")).content.decode()


def test_the_log_runs_a_constant_number_of_queries(
    msp_owner, web_as, django_assert_max_num_queries
):
    http = web_as(msp_owner)
    for index in range(3):
        actions.create_client(actor=SYSTEM, name=f"Small {index}", code=f"small-{index}")
    http.get(reverse("audit_list"))
    with django_assert_max_num_queries(12) as few:
        http.get(reverse("audit_list"))
    for index in range(30):
        actions.create_client(actor=SYSTEM, name=f"Large {index}", code=f"large-{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(reverse("audit_list"))
