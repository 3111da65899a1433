"""The service desk's UI forms. Validation only; actions validate again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from openmsp.servicedesk.models import Ticket
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
