"""The quarterly review for people: staff generate it, edit the agenda, write a root cause and
record a meeting with an action item; Alice and Bob (client A) read it all, cannot change it,
and Charlie (client B) gets 404 for every page of it. Bad input is a 422 naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.core.models import AuditRecord
from openmsp.reports import actions
from openmsp.reports.models import ActionItem, Meeting, Qbr, RootCause
from openmsp.reports.tests.conftest import AFTER_QUARTER, QUARTER, SYSTEM
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def review(quarter: dict[str, Any]) -> Qbr:
    return actions.generate_qbr(
        actor=SYSTEM, client=quarter["client"], quarter=QUARTER, now=AFTER_QUARTER
    )


def test_staff_edit_the_agenda_set_a_root_cause_and_record_a_meeting(
    review, quarter, msp_owner, web_as
) -> None:
    http = web_as(msp_owner)
    base = f"/reports/qbr/{review.pk}"
    assert http.post(f"{base}/agenda/", {"agenda": "인사\n\n예산 검토\n"}).status_code == 302
    review.refresh_from_db()
    assert review.agenda_items == ["인사", "예산 검토"]
    assert review.agenda_edited
    ok = http.post(
        f"{base}/root-cause/",
        {"fingerprint": quarter["fingerprint"], "root_cause": "로그 순환 설정 누락"},
    )
    assert ok.status_code == 302
    assert RootCause.objects.get(client=review.client).text == "로그 순환 설정 누락"
    recorded = http.post(
        f"{base}/meetings/",
        {
            "held_on": "2027-01-12", "attendees": "김 부장\nAlice Kim", "decisions": "NAS 교체",
            "action_title": "NAS 견적", "action_owner": "Alice Kim", "action_due_on": "2027-02-01",
        },
    )  # fmt: skip
    assert recorded.status_code == 302
    meeting = Meeting.objects.get(qbr=review)
    assert meeting.attendee_list == ["김 부장", "Alice Kim"]
    item = ActionItem.objects.get(meeting=meeting)
    assert (item.title, item.owner, str(item.due_on), item.done) == (
        "NAS 견적",
        "Alice Kim",
        "2027-02-01",
        False,
    )
    assert http.post(f"/reports/qbr/action-items/{item.pk}/done/", {"done": "1"}).status_code == 302
    item.refresh_from_db()
    assert item.done
    assert item.done_at is not None
    actions_seen = set(
        AuditRecord.objects.filter(client=review.client).values_list("action", flat=True)
    )
    assert {
        "qbr.generate",
        "qbr.agenda",
        "qbr.root_cause",
        "qbr.meeting",
        "qbr.action_item",
        "qbr.action_item_update",
    } <= actions_seen


def test_bad_meeting_input_is_a_422_naming_the_field(review, msp_owner, web_as) -> None:
    http = web_as(msp_owner)
    base = f"/reports/qbr/{review.pk}"
    bad_date = http.post(f"{base}/meetings/", {"held_on": "12/01/2027", "attendees": "Kim"})
    assert bad_date.status_code == 422
    assert "YYYY-MM-DD" in bad_date.content.decode()
    nobody = http.post(f"{base}/meetings/", {"held_on": "2027-01-12", "attendees": "  \n "})
    assert nobody.status_code == 422
    assert "attendee" in nobody.content.decode()
    no_owner = http.post(
        f"{base}/meetings/", {"held_on": "2027-01-12", "attendees": "Kim", "action_title": "x"}
    )
    assert no_owner.status_code == 422
    assert not Meeting.objects.exists()  # the meeting and its item are one transaction
    wrong = http.post(f"{base}/root-cause/", {"fingerprint": "nope", "root_cause": "x"})
    assert wrong.status_code == 422
    assert (
        http.post(
            "/reports/qbr/generate/", {"client": review.client_id, "quarter": "2026-Q5"}
        ).status_code
        == 422
    )


def test_the_clients_users_read_the_review_and_its_pdf_but_cannot_change_it(
    review, quarter, alice, bob, web_as
) -> None:
    actions.record_meeting(
        actor=SYSTEM, review=review, held_on=QUARTER, attendees=["김 부장"], decisions="NAS 교체",
        action_items=[{"title": "NAS 견적", "owner": "MSP", "due_on": None}],
    )  # fmt: skip
    for user in (alice, bob):
        http = web_as(user)
        html = http.get(f"/reports/qbr/{review.pk}/").content.decode()
        assert "분기 업무 검토 (QBR) · 2026-Q4" in html
        assert "NAS 견적" in html
        assert "김 부장" in html
        assert 'id="agenda-items"' in html
        assert 'id="agenda-form"' not in html
        assert "ERP disk full" in html
        assert "4,500,000 KRW" in html
        assert review.quarter in http.get("/reports/qbr/").content.decode()
        pdf = http.get(f"/reports/qbr/{review.pk}/pdf/")
        assert pdf.status_code == 200
        assert pdf.content[:5] == b"%PDF-"
        assert http.post(f"/reports/qbr/{review.pk}/agenda/", {"agenda": "x"}).status_code == 403
    assert review.agenda == Qbr.objects.get(pk=review.pk).agenda


def test_another_clients_user_gets_404_for_every_page_of_the_review(
    review, charlie, web_as
) -> None:
    meeting = actions.record_meeting(
        actor=SYSTEM, review=review, held_on=QUARTER, attendees=["Kim"],
        action_items=[{"title": "t", "owner": "o", "due_on": None}],
    )  # fmt: skip
    item = meeting.action_items.get()
    http = web_as(charlie)
    for url in (f"/reports/qbr/{review.pk}/", f"/reports/qbr/{review.pk}/pdf/"):
        assert http.get(url).status_code == 404
    for url in (
        f"/reports/qbr/{review.pk}/agenda/",
        f"/reports/qbr/{review.pk}/meetings/",
        f"/reports/qbr/meetings/{meeting.pk}/action-items/",
        f"/reports/qbr/action-items/{item.pk}/done/",
    ):
        assert http.post(url, {"agenda": "x", "done": "1"}).status_code == 404
    assert f"/reports/qbr/{review.pk}/" not in http.get("/reports/qbr/").content.decode()


@pytest.mark.usefixtures("compiled_translations")
def test_the_review_list_shows_each_scheduled_runs_state_and_staff_send_one_again(
    review, msp_owner, bob, web_as
) -> None:
    from django_tasks_db.models import DBTaskResult

    from openmsp.reports.models import QbrRun

    run = QbrRun.objects.create(
        client=review.client, quarter=QUARTER, qbr=review, state="failed", attempts=3,
        error="ValidationFailed: 'not an address' is not an email address.",
    )  # fmt: skip
    staff = web_as(speaking(msp_owner, "en"))
    page = staff.get(f"/reports/qbr/?client={review.client_id}").content.decode()
    table = page[page.index('id="qbr-runs-table"') :]
    assert 'data-state="failed"' in table
    assert "&#x27;not an address&#x27; is not an email address." in table
    assert "3 attempts" in table
    assert f"/reports/qbr/runs/{run.pk}/resend/" in table
    assert staff.get(f"/reports/qbr/runs/{run.pk}/pdf/").status_code == 404  # nothing sent yet

    assert staff.post(f"/reports/qbr/runs/{run.pk}/resend/").status_code == 302
    run.refresh_from_db()
    assert (run.state, run.attempts, run.error) == ("queued", 0, "")
    assert DBTaskResult.objects.filter(task_path__endswith="qbr_for_client").count() == 1
    assert AuditRecord.objects.filter(action="qbr.resend").count() == 1
    again = staff.post(f"/reports/qbr/runs/{run.pk}/resend/", follow=True).content.decode()
    assert "already queued to be sent" in again  # not queued twice
    assert DBTaskResult.objects.filter(task_path__endswith="qbr_for_client").count() == 1

    QbrRun.objects.filter(pk=run.pk).update(
        state="mailed", pdf=b"%PDF-1.4 sent", emailed_to=["ceo@hanbit.example"],
        emailed_at=AFTER_QUARTER,
    )  # fmt: skip
    client_user = web_as(speaking(bob, "ko"))
    page = client_user.get("/reports/qbr/").content.decode()
    assert 'data-state="mailed"' in page
    assert "메일 발송됨" in page
    assert "ceo@hanbit.example" in page
    assert "/resend/" not in page  # client users read the state, they do not send
    sent = client_user.get(f"/reports/qbr/runs/{run.pk}/pdf/")
    assert sent.status_code == 200
    assert sent.content == b"%PDF-1.4 sent"
    assert client_user.post(f"/reports/qbr/runs/{run.pk}/resend/").status_code == 403
