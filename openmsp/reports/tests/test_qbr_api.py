"""The quarterly review over /api/v1/: staff generate a quarter, edit the agenda, set a root
cause, record a meeting with an action item and mark it done; a client's admin reads all of it
and changes nothing (403); another client's admin gets 404 for every object."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.reports.tests.conftest import QUARTER

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_staff_drive_a_review_through_the_api_and_the_client_reads_it(
    quarter: dict[str, Any], msp_owner, alice, charlie, api_as
) -> None:
    staff = api_as(msp_owner)
    created = staff.post(
        "/api/v1/qbrs", {"client_id": quarter["client"].pk, "quarter": "2026-Q4"}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["quarter"], body["quarter_start"]) == ("2026-Q4", QUARTER.isoformat())
    assert body["figures"]["trends"]["availability"] == 99.7823
    assert body["agenda"][0].startswith("2026-Q4 검토")
    qid = body["id"]
    edited = staff.patch(f"/api/v1/qbrs/{qid}", {"agenda": "인사\n예산"}, content_type=JSON)
    assert edited.json()["agenda"] == ["인사", "예산"]
    cause = staff.put(
        f"/api/v1/qbrs/{qid}/root-causes",
        {"fingerprint": quarter["fingerprint"], "root_cause": "로그 순환 누락"},
        content_type=JSON,
    )
    assert cause.json()["root_causes"] == {quarter["fingerprint"]: "로그 순환 누락"}
    meeting = staff.post(
        f"/api/v1/qbrs/{qid}/meetings",
        {
            "held_on": "2027-01-12", "attendees": ["김 부장", "Lee"], "decisions": "NAS 교체",
            "action_items": [{"title": "NAS 견적", "owner": "Lee", "due_on": "2027-02-01"}],
        },
        content_type=JSON,
    )  # fmt: skip
    assert meeting.status_code == 201, meeting.content
    m = meeting.json()
    assert m["attendees"] == ["김 부장", "Lee"]
    [item] = m["action_items"]
    assert (item["owner"], item["due_on"], item["done"]) == ("Lee", "2027-02-01", False)
    done = staff.patch(f"/api/v1/action-items/{item['id']}", {"done": True}, content_type=JSON)
    assert done.json()["done"] is True
    assert done.json()["done_at"] is not None

    reader = api_as(alice)
    assert [r["id"] for r in reader.get("/api/v1/qbrs").json()["items"]] == [qid]
    assert reader.get(f"/api/v1/qbrs/{qid}/meetings").json()[0]["decisions"] == "NAS 교체"
    assert (
        reader.patch(f"/api/v1/qbrs/{qid}", {"agenda": "x"}, content_type=JSON).status_code == 403
    )
    outsider = api_as(charlie)
    assert outsider.get("/api/v1/qbrs").json()["count"] == 0
    for url in (
        f"/api/v1/qbrs/{qid}",
        f"/api/v1/qbrs/{qid}/meetings",
        f"/api/v1/meetings/{m['id']}",
    ):
        assert outsider.get(url).status_code == 404
    patch = outsider.patch(f"/api/v1/action-items/{item['id']}", {"done": False}, content_type=JSON)
    assert patch.status_code == 404


def test_scheduled_reviews_are_listed_with_their_state_and_staff_resend_one(
    quarter: dict[str, Any], msp_owner, alice, charlie, api_as
) -> None:
    from openmsp.reports.models import QbrRun

    run = QbrRun.objects.create(
        client=quarter["client"], quarter=QUARTER, state="failed", attempts=3,
        error="ValidationFailed: no recipients",
    )  # fmt: skip
    staff, admin = api_as(msp_owner), api_as(alice)
    listed = admin.get(f"/api/v1/qbr-runs?client_id={quarter['client'].pk}&state=failed").json()
    assert listed["count"] == 1
    [item] = listed["items"]
    assert (item["quarter"], item["quarter_start"], item["state"], item["attempts"]) == (
        "2026-Q4", "2026-10-01", "failed", 3,
    )  # fmt: skip
    assert item["error"] == "ValidationFailed: no recipients"
    assert admin.post(f"/api/v1/qbr-runs/{run.pk}/resend").status_code == 403
    assert api_as(charlie).get(f"/api/v1/qbr-runs/{run.pk}").status_code == 404
    assert api_as(charlie).get("/api/v1/qbr-runs").json()["count"] == 0

    resent = staff.post(f"/api/v1/qbr-runs/{run.pk}/resend")
    assert resent.status_code == 200, resent.content
    assert (resent.json()["state"], resent.json()["attempts"]) == ("queued", 0)
    again = staff.post(f"/api/v1/qbr-runs/{run.pk}/resend")
    assert again.status_code == 409
    assert "already queued" in again.json()["detail"]
