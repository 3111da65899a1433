"""The desk's mail set-up pages (MSP admins): mailboxes with "test connection", and the
outgoing mail templates. Thin: mailboxes come from queries (403 without Perm.MAIL_MANAGE),
changes go through openmsp.servicedesk.mail_actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.core.errors import ValidationFailed
from openmsp.servicedesk import mail_actions, mail_out, queries
from openmsp.servicedesk.forms import MailboxForm, MailTemplateForm
from openmsp.servicedesk.models import Mailbox, MailTemplate
from openmsp.tenants.models import Client
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page

GET_POST = require_http_methods(["GET", "POST"])


@require_GET
@page
def mailbox_list(request: HttpRequest) -> HttpResponse:
    rows = queries.mailboxes_visible_to(actor_of(request)).order_by("name")
    return render(request, "servicedesk/mailbox_list.html", {"rows": rows})


def _routes_text(box: Mailbox) -> str:
    names = dict(Client.objects.filter(pk__in=(box.domain_routes or {}).values()).values_list("pk", "code"))  # fmt: skip
    return "\n".join(f"{d} {names.get(c, c)}" for d, c in sorted((box.domain_routes or {}).items()))


def _changes(form: MailboxForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data.pop("client", None)
    if not data.get("intake"):
        data.pop("intake", None)
    data["domain_routes"] = mail_actions.parse_domain_routes(data.get("domain_routes") or "")
    return data


def _form_page(request: HttpRequest, form: MailboxForm, box: Mailbox | None, result: Any = None) -> HttpResponse:  # fmt: skip
    context = {"form": form, "mailbox": box, "result": result,
               "title": _("Edit mailbox") if box else _("New mailbox")}  # fmt: skip
    status = 422 if form.errors else 200
    return render(request, "servicedesk/mailbox_form.html", context, status=status)


@GET_POST
@page
def mailbox_create(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    queries.mailboxes_visible_to(actor)  # the role check (403)
    form = MailboxForm(request.POST or None, clients=clients_visible_to(actor))
    if request.method == "POST" and form.is_valid():
        try:
            mail_actions.create_mailbox(
                actor=actor, client=form.cleaned_data["client"], **_changes(form)
            )
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Mailbox saved."))
            return redirect("mailbox_list")
    return _form_page(request, form, None)


@GET_POST
@page
def mailbox_edit(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    actor = actor_of(request)
    box = queries.get_mailbox(actor, mailbox_id)
    initial = {f: getattr(box, f) for f in mail_actions.FIELDS if f != "domain_routes"}
    initial["domain_routes"] = _routes_text(box)
    form = MailboxForm(request.POST or None, initial=initial)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            if "test" in request.POST:  # test what the form says, before saving it
                probe = Mailbox(**{k: v for k, v in _changes(form).items() if k != "password"})
                probe.password_encrypted = box.password_encrypted
                result = mail_actions.check_mailbox(
                    actor=actor, mailbox=probe, password=form.cleaned_data["password"]
                )
            else:
                mail_actions.update_mailbox(actor=actor, mailbox=box, changes=_changes(form))
                messages.success(request, _("Mailbox saved."))
                return redirect("mailbox_list")
        except ValidationFailed as exc:
            apply_error(form, exc)
    return _form_page(request, form, box, result)


@require_POST
@page
def mailbox_delete(request: HttpRequest, mailbox_id: int) -> HttpResponse:
    actor = actor_of(request)
    mail_actions.delete_mailbox(actor=actor, mailbox=queries.get_mailbox(actor, mailbox_id))
    messages.success(request, _("Mailbox deleted."))
    return redirect("mailbox_list")


@GET_POST
@page
def mail_templates(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    queries.mailboxes_visible_to(actor)  # the role check (403)
    mail_out.ensure_default_templates()
    rows = list(MailTemplate.objects.all())
    forms = {(t.kind, t.language): MailTemplateForm(prefix=f"{t.kind}-{t.language}",
             initial={"subject": t.subject, "body": t.body}) for t in rows}  # fmt: skip
    status = 200
    if request.method == "POST":
        key = (request.POST.get("kind", ""), request.POST.get("language", ""))
        form = MailTemplateForm(request.POST, prefix=f"{key[0]}-{key[1]}")
        if key not in forms:
            messages.error(request, _("Choose a template to save."))
            status = 422
        elif form.is_valid():
            try:
                mail_actions.save_template(actor=actor, kind=key[0], language=key[1],
                                           **form.cleaned_data)  # fmt: skip
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("Template saved."))
                return redirect("mail_templates")
        if key in forms:
            forms[key] = form
            status = 422 if form.errors else status
    items = [(t, forms[(t.kind, t.language)]) for t in rows]
    return render(request, "servicedesk/mail_templates.html", {"items": items}, status=status)
