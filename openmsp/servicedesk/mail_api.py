"""REST endpoints for the desk's mail set-up: mailboxes (passwords write-only, encrypted at rest)
and the outgoing mail templates. The MSP's owner and admins (Perm.MAIL_MANAGE); every other role
403 whatever the object; a client's mailbox the actor does not see is 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.actor import Actor
from openmsp.core.apiutils import changes_of, endpoint, fetch_ref, path_object
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.servicedesk import mail_actions, mail_out
from openmsp.servicedesk.models import Mailbox, MailTemplate
from openmsp.servicedesk.queries import get_mailbox, mailboxes_visible_to
from openmsp.servicedesk.schemas import (
    MailboxIn,
    MailboxOut,
    MailboxPatch,
    MailTemplateIn,
    MailTemplateOut,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "service desk mail"
WRITE = (403, 404)


def _hidden_mailbox(actor: Actor, pk: int) -> None:
    """For a malformed body: another client's mailbox is 404 first; a role that may not manage
    mailboxes at all learns nothing from it either way (the 422 is the same for any id)."""
    try:
        get_mailbox(actor, pk)
    except PermissionDenied:
        return


path_object("mailbox_id", _hidden_mailbox)


def _routes(actor: Actor, routes: dict[str, int]) -> dict[str, int]:
    """{domain: client id} with every client visible to the actor (422 naming the field)."""
    clients = clients_visible_to(actor)
    out: dict[str, int] = {}
    for domain, client_id in routes.items():
        if not mail_actions.valid_domain(domain):
            raise ValidationFailed(
                f"'{domain}' is not a domain name (e.g. hanbit.example).", field="domain_routes"
            )
        client = fetch_ref(clients, "client", f"domain_routes.{domain}", client_id)
        assert client is not None
        out[domain.lower()] = client.pk
    return out


@endpoint(router, "GET", "/mailboxes", "List mailboxes", tag=TAG, ok={200: list[MailboxOut]}, errors=(403,))  # fmt: skip
def list_mailboxes(request: HttpRequest) -> list[Mailbox]:
    """The shared mailboxes and those of the clients you see. Passwords are never returned."""
    return list(mailboxes_visible_to(actor_from(request)).order_by("name", "pk"))


@endpoint(router, "POST", "/mailboxes", "Create a mailbox", tag=TAG, ok={201: MailboxOut}, errors=(403,))  # fmt: skip
def create_mailbox(request: HttpRequest, payload: MailboxIn) -> Status[Mailbox]:
    """Intake `imap` (polled; host, username and password needed) or `listener` (mail delivered
    to `openmsp mail-listener` for `address`)."""
    actor = actor_from(request)
    mailboxes_visible_to(actor)  # the role check (403) before the body's references
    fields: dict[str, Any] = payload.model_dump()
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", fields.pop("client_id"))
    fields["domain_routes"] = _routes(actor, fields["domain_routes"])
    row = mail_actions.create_mailbox(actor=actor, client=client, **fields)
    return Status(201, row)


@endpoint(router, "GET", "/mailboxes/{mailbox_id}", "Get a mailbox", tag=TAG, ok={200: MailboxOut}, errors=(403, 404))  # fmt: skip
def get_one_mailbox(request: HttpRequest, mailbox_id: int) -> Mailbox:
    return get_mailbox(actor_from(request), mailbox_id)


@endpoint(router, "PATCH", "/mailboxes/{mailbox_id}", "Change a mailbox", tag=TAG, ok={200: MailboxOut}, errors=WRITE)  # fmt: skip
def update_mailbox(request: HttpRequest, mailbox_id: int, payload: MailboxPatch) -> Mailbox:
    """Only the fields sent change; an empty or absent password keeps the stored one."""
    actor = actor_from(request)
    box = get_mailbox(actor, mailbox_id)
    changes = changes_of(payload)
    for name, value in changes.items():
        if value is None:
            raise ValidationFailed(f"'{name}' cannot be null.", field=name)
    if "domain_routes" in changes:
        changes["domain_routes"] = _routes(actor, changes["domain_routes"])
    return mail_actions.update_mailbox(actor=actor, mailbox=box, changes=changes)


@endpoint(router, "DELETE", "/mailboxes/{mailbox_id}", "Delete a mailbox", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_mailbox(request: HttpRequest, mailbox_id: int) -> Status[None]:
    """Its mail records stay on their tickets (without the mailbox)."""
    actor = actor_from(request)
    mail_actions.delete_mailbox(actor=actor, mailbox=get_mailbox(actor, mailbox_id))
    return Status(204, None)


@endpoint(router, "GET", "/mail-templates", "List mail templates", tag=TAG, ok={200: list[MailTemplateOut]}, errors=(403,))  # fmt: skip
def list_templates(request: HttpRequest) -> list[MailTemplate]:
    """One per kind (`ack`, `reply`, `update`, `watch`) and language (`ko`, `en`), seeded on
    first use. Variables: see docs/servicedesk-email.md."""
    mailboxes_visible_to(actor_from(request))  # the role check (403)
    mail_out.ensure_default_templates()
    return list(MailTemplate.objects.order_by("kind", "language"))


@endpoint(router, "PUT", "/mail-templates", "Change a mail template", tag=TAG, ok={200: MailTemplateOut}, errors=(403,))  # fmt: skip
def save_template(request: HttpRequest, payload: MailTemplateIn) -> MailTemplate:
    """Replace the subject and body of the kind/language in the body; a template that does not
    compile is refused (422 naming `subject` or `body`)."""
    actor = actor_from(request)
    mailboxes_visible_to(actor)
    return mail_actions.save_template(actor=actor, **payload.model_dump())
