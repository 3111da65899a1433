"""The service desk's UI forms. Validation only; actions validate again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from openmsp.servicedesk.models import Mailbox, Ticket
from openmsp.tenants.models import Client

LEVELS = [(1, _("High")), (2, _("Medium")), (3, _("Low"))]


class TicketForm(forms.Form):
    client: Any = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        # Knowledge-base suggestions while the subject is typed (openmsp.knowledge.views).
        widget=forms.TextInput(
            attrs={
                "hx-get": reverse_lazy("kb_suggest"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#kb-suggestions",
                "hx-sync": "this:replace",
                "autocomplete": "off",
            }
        ),
    )
    body = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000
    )
    type = forms.ChoiceField(label=_("Type"), choices=Ticket.Type.choices, initial="incident")
    impact = forms.TypedChoiceField(label=_("Impact"), choices=LEVELS, coerce=int, initial=3)
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=LEVELS, coerce=int, initial=3)

    def __init__(self, *args: Any, clients: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["client"]
        field.queryset = clients
        if not staff:
            # A client user's own client; triage is the desk's.
            for name in ("client", "type", "impact", "urgency"):
                self.fields[name].required = False
                self.fields[name].widget = forms.HiddenInput()


class EntryForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=100_000
    )
    kind = forms.ChoiceField(
        choices=[("reply", _("Public reply")), ("note", _("Internal note"))],
        initial="reply",
        required=False,
    )
    file = forms.FileField(label=_("Attachment"), required=False)


class MailboxForm(forms.Form):
    client: Any = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        label=_("Client"),
        required=False,
        empty_label=_("Shared MSP mailbox (route by sender)"),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    address = forms.EmailField(
        label=_("Address"), help_text=_("Replies are sent from this address.")
    )
    intake = forms.ChoiceField(
        label=_("Intake"), choices=Mailbox.Intake.choices, initial=Mailbox.Intake.IMAP,
        required=False,  # not sent: IMAP for a new mailbox, unchanged for an edited one
    )  # fmt: skip
    host = forms.CharField(label=_("IMAP host"), max_length=200, required=False)
    port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    security = forms.ChoiceField(label=_("Security"), choices=Mailbox.Security.choices)
    username = forms.CharField(label=_("User name"), max_length=200, required=False)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the stored password."),
    )
    folder = forms.CharField(label=_("Folder"), max_length=200, initial="INBOX")
    unknown_sender = forms.ChoiceField(
        label=_("Unknown senders"), choices=Mailbox.UnknownSender.choices
    )
    domain_routes = forms.CharField(
        label=_("Sender domains (shared mailbox)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: a domain and a client code, e.g. 'hanbit.example hanbit'."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, clients: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if clients is None:
            del self.fields["client"]
        else:
            field: Any = self.fields["client"]
            field.queryset = clients


class MailTemplateForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=300)
    body = forms.CharField(
        label=_("Body"), widget=forms.Textarea(attrs={"rows": 10}), max_length=20_000
    )
