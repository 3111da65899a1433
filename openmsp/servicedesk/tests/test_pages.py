from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.servicedesk import actions
from openmsp.servicedesk.models import SavedView, Ticket
from openmsp.tenants.models import Client

Web = Callable[[User], HttpClient]


def test_a_client_user_opens_a_ticket_in_the_portal_and_sees_the_desks_reply(
    web_as: Web, bob: User, tech_a: User, client_a: Client
) -> None:
    portal = web_as(bob)
    r = portal.post("/tickets/new/", {"subject": "Cannot print", "body": "Tray 2 jams"})
    assert r.status_code == 302, r.content
    t = Ticket.objects.get()
    assert t.client == client_a
    assert t.source == "portal"
    desk = web_as(tech_a)
    r = desk.post(f"/tickets/{t.pk}/reply/", {"body": "Use tray 1 meanwhile", "kind": "reply"})
    assert r.status_code == 302
    desk.post(f"/tickets/{t.pk}/reply/", {"body": "Driver 3.1 is buggy", "kind": "note"})
    page = portal.get(f"/tickets/{t.pk}/").content.decode()
    assert "Use tray 1 meanwhile" in page
    assert "Driver 3.1 is buggy" not in page
    assert "Open" in portal.get("/tickets/").content.decode()


def test_the_queue_filters_and_a_bulk_change_applies_to_the_chosen_tickets(
    web_as: Web, bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    a, b = open_as(bob, client_a, "Mail bounce"), open_as(bob, client_a, "Slow disk")
    desk = web_as(tech_a)
    page = desk.get("/tickets/?q=mail").content.decode()
    assert "Mail bounce" in page
    assert "Slow disk" not in page
    r = desk.post(
        "/tickets/bulk/", {"ticket": [a.pk, b.pk], "priority": "P2", "assignee": tech_a.pk}
    )
    assert r.status_code == 302
    assert set(Ticket.objects.values_list("priority", "assignee")) == {("P2", tech_a.pk)}
    page = desk.get("/tickets/?assignee=me&ordering=priority").content.decode()
    assert "Mail bounce" in page
    assert "Slow disk" in page


def test_a_technician_saves_a_view_of_the_queue(web_as: Web, tech_a: User) -> None:
    desk = web_as(tech_a)
    desk.post(
        "/tickets/views/save/", {"name": "Mine, P1", "query": "assignee=me&priority=P1&bogus=1"}
    )
    view = SavedView.objects.get(owner=tech_a)
    assert view.query == "priority=P1&assignee=me"
    assert "Mine, P1" in desk.get("/tickets/").content.decode()


def test_status_and_assignee_controls_change_the_ticket(
    web_as: Web, bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    desk = web_as(tech_a)
    desk.post(
        f"/tickets/{t.pk}/update/",
        {"status": "waiting_on_customer", "priority": "P1", "assignee": tech_a.pk},
    )
    t.refresh_from_db()
    assert (t.status.code, t.priority, t.assignee) == ("waiting_on_customer", "P1", tech_a)
    assert web_as(bob).post(f"/tickets/{t.pk}/update/", {"status": "closed"}).status_code == 403


def test_attachments_are_served_only_to_those_who_see_the_ticket(
    web_as: Web, bob: User, alice: User, charlie: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    upload = SimpleUploadedFile("error.txt", b"E42 paper jam", content_type="text/plain")
    r = web_as(bob).post(f"/tickets/{t.pk}/reply/", {"body": "log attached", "file": upload})
    assert r.status_code == 302
    att = t.attachments.get()
    assert att.size == 13
    r = web_as(alice).get(f"/tickets/attachments/{att.pk}/")
    assert r.status_code == 200
    assert r.content == b"E42 paper jam"
    assert web_as(charlie).get(f"/tickets/attachments/{att.pk}/").status_code == 404
    bad = SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")
    actions_error = web_as(bob).post(
        f"/tickets/{t.pk}/reply/", {"body": "exe", "file": bad}, follow=True
    )
    assert "cannot be attached" in actions_error.content.decode()
    assert t.attachments.count() == 1


def test_notes_attachments_stay_with_the_desk(
    web_as: Web, bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    upload = SimpleUploadedFile("internal.txt", b"secret", content_type="text/plain")
    actions.note(actor=Actor(user=tech_a), ticket=t, body="internal", files=[upload])
    att = t.attachments.get()
    r = web_as(tech_a).get(f"/tickets/attachments/{att.pk}/")
    assert r.status_code == 200
    assert r.content == b"secret"
    assert web_as(bob).get(f"/tickets/attachments/{att.pk}/").status_code == 404


def test_pages_render_in_korean(
    web_as: Web, bob: User, tech_a: User, client_a: Client, open_as: Any
) -> None:
    t = open_as(bob, client_a)
    desk = web_as(tech_a)
    for url in ("/tickets/", f"/tickets/{t.pk}/", "/tickets/new/"):
        r = desk.get(url, HTTP_ACCEPT_LANGUAGE="ko")
        assert r.status_code == 200, url
    assert "티켓" in desk.get("/tickets/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
