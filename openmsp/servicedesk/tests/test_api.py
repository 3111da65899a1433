from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.tenants.models import Client


def test_a_client_user_opens_and_the_technician_answers_over_the_api(
    api_as: Callable[..., HttpClient], bob: User, tech_a: User, client_a: Client
) -> None:
    as_bob, as_tech = api_as(bob), api_as(tech_a)
    r = as_bob.post(
        "/api/v1/tickets",
        {
            "client_id": client_a.pk,
            "subject": "VPN down",
            "body": "Since 9",
            "impact": 1,
            "urgency": 2,
        },
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    t = r.json()
    assert t["priority"] == "P2"
    assert t["status"] == "new"
    r = as_tech.post(
        f"/api/v1/tickets/{t['id']}/entries",
        {"kind": "note", "body": "old client"},
        content_type="application/json",
    )
    assert r.status_code == 201
    r = as_tech.post(
        f"/api/v1/tickets/{t['id']}/entries",
        {"body": "Reconnect please"},
        content_type="application/json",
    )
    assert r.status_code == 201
    bodies = [e["body"] for e in as_bob.get(f"/api/v1/tickets/{t['id']}/entries").json()["items"]]
    assert bodies == ["Since 9", "Reconnect please"]
    assert as_bob.get(f"/api/v1/tickets/{t['id']}").json()["status"] == "open"
    r = as_bob.post(
        f"/api/v1/tickets/{t['id']}/status", {"status": "closed"}, content_type="application/json"
    )
    assert r.status_code == 403


def test_the_queue_filters_sorts_and_pages_on_the_server(
    api_as: Callable[..., HttpClient],
    msp_owner: User,
    tech_a: User,
    client_a: Client,
    client_b: Client,
) -> None:
    http = api_as(msp_owner)

    def open_(client: Client, subject: str, impact: int) -> dict[str, Any]:
        r = http.post(
            "/api/v1/tickets",
            {"client_id": client.pk, "subject": subject, "impact": impact, "urgency": 1},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
        return dict(r.json())

    a1, a2, b1 = (
        open_(client_a, "Mail bounce", 1),
        open_(client_a, "Slow disk", 3),
        open_(client_b, "Mail quota", 2),
    )
    r = http.post(
        f"/api/v1/tickets/{a2['id']}/assign",
        {"assignee_id": tech_a.pk},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content

    def numbers(qs: str) -> list[str]:
        r = http.get(f"/api/v1/tickets?{qs}")
        assert r.status_code == 200, r.content
        return [t["number"] for t in r.json()["items"]]

    assert numbers(f"client_id={client_a.pk}&ordering=priority") == [a1["number"], a2["number"]]
    assert numbers("q=mail&ordering=number") == [a1["number"], b1["number"]]
    assert numbers(f"assignee_id={tech_a.pk}") == [a2["number"]]
    assert numbers("unassigned=true&ordering=-priority") == [b1["number"], a1["number"]]
    assert numbers("priority=P2") == [b1["number"]]
    assert numbers("ordering=number&limit=1&offset=1") == [a2["number"]]
    r = http.get("/api/v1/tickets?ordering=bogus")
    assert r.status_code == 422
    assert r.json()["field"] == "ordering"
    r = http.post(
        "/api/v1/tickets/bulk",
        {"ticket_ids": [a1["id"], a2["id"]], "status": "resolved"},
        content_type="application/json",
    )
    assert r.json() == {"updated": 2}
    assert numbers("open=true") == [b1["number"]]
