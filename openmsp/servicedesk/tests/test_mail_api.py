"""The mail set-up over the REST API: mailboxes (the password write-only and encrypted at rest,
never in a response or the audit log) and the templates, for the MSP's owner and admins only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openmsp.agent_api.crypto import decrypt_secret
from openmsp.core.models import AuditRecord
from openmsp.servicedesk import mail_out
from openmsp.servicedesk.models import Mailbox

pytestmark = pytest.mark.django_db
SECRET = "imap-Secret-9f3"
JSON = "application/json"


def call(http: Any, method: str, url: str, body: Any = None) -> Any:
    return http.generic(
        method, url, json.dumps(body) if body is not None else "", content_type=JSON
    )


def test_a_mailbox_is_created_changed_and_deleted_with_its_password_never_shown(
    api_as: Any, msp_owner: Any, client_a: Any
) -> None:
    http = api_as(msp_owner)
    created = call(http, "POST", "/api/v1/mailboxes", {
        "name": "Hanbit desk", "address": "Desk@MSP.example", "client_id": client_a.pk,
        "host": "imap.msp.example", "username": "desk", "password": SECRET,
    })  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert SECRET not in created.content.decode()
    assert "password" not in body
    assert body["password_set"] is True
    assert (body["address"], body["intake"], body["client_id"]) == (
        "desk@msp.example", "imap", client_a.pk,
    )  # fmt: skip
    box = Mailbox.objects.get(pk=body["id"])
    assert SECRET not in box.password_encrypted
    assert decrypt_secret(box.password_encrypted) == SECRET
    changed = call(
        http, "PATCH", f"/api/v1/mailboxes/{box.pk}", {"folder": "Support", "password": ""}
    )
    assert changed.status_code == 200, changed.content
    box.refresh_from_db()
    assert box.folder == "Support"
    assert decrypt_secret(box.password_encrypted) == SECRET  # empty keeps the stored one
    listed = call(http, "GET", "/api/v1/mailboxes")
    assert [m["name"] for m in listed.json()] == ["Hanbit desk"]
    assert SECRET not in listed.content.decode()
    assert call(http, "DELETE", f"/api/v1/mailboxes/{box.pk}").status_code == 204
    assert call(http, "GET", f"/api/v1/mailboxes/{box.pk}").status_code == 404
    audit = AuditRecord.objects.filter(action__startswith="mailbox.")
    assert sorted(a.action for a in audit) == [
        "mailbox.created",
        "mailbox.deleted",
        "mailbox.updated",
    ]
    assert all(SECRET not in json.dumps([a.before, a.after]) for a in audit)


def test_a_listener_mailbox_needs_no_imap_server_but_a_unique_address(
    api_as: Any, msp_admin: Any
) -> None:
    http = api_as(msp_admin)
    first = call(http, "POST", "/api/v1/mailboxes",
                 {"name": "Shared", "address": "help@msp.example", "intake": "listener"})  # fmt: skip
    assert first.status_code == 201, first.content
    assert first.json()["password_set"] is False
    again = call(http, "POST", "/api/v1/mailboxes",
                 {"name": "Other", "address": "HELP@msp.example", "intake": "listener"})  # fmt: skip
    assert again.status_code == 422
    assert again.json()["field"] == "address"


@pytest.mark.parametrize("persona", ["alice", "bob", "tech_b", "auditor"])
def test_only_the_msps_mail_managers_reach_the_mail_api(
    request: pytest.FixtureRequest, persona: str, api_as: Any, client_a: Any
) -> None:
    http = api_as(request.getfixturevalue(persona))
    assert call(http, "GET", "/api/v1/mailboxes").status_code == 403
    assert call(http, "GET", "/api/v1/mail-templates").status_code == 403
    made = call(http, "POST", "/api/v1/mailboxes",
                {"name": "Mine", "address": "m@msp.example", "intake": "listener"})  # fmt: skip
    assert made.status_code == 403
    assert not Mailbox.objects.exists()


def test_templates_are_listed_per_kind_and_language_and_edited(api_as: Any, msp_owner: Any) -> None:
    http = api_as(msp_owner)
    rows = call(http, "GET", "/api/v1/mail-templates").json()
    assert sorted((r["kind"], r["language"]) for r in rows) == sorted(mail_out.DEFAULTS)
    saved = call(http, "PUT", "/api/v1/mail-templates", {
        "kind": "watch", "language": "en", "subject": "{{ tag }} News: {{ ticket.subject }}",
        "body": "{{ message }}",
    })  # fmt: skip
    assert saved.status_code == 200, saved.content
    assert mail_out.template_for("watch", "en").subject == "{{ tag }} News: {{ ticket.subject }}"
    assert call(http, "PUT", "/api/v1/mail-templates", {
        "kind": "watch", "language": "en", "subject": "{% if %}", "body": "x",
    }).status_code == 422  # fmt: skip
