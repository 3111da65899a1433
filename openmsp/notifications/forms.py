"""UI forms for channels and routing rules. Validation only; the actions validate again and the
views put their errors back on these fields (openmsp.web.pages.apply_error)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from openmsp.accounts.models import User
from openmsp.core import netguard
from openmsp.notifications.models import Channel
from openmsp.tenants.models import Client

_MATCHER = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
SEVERITY_CHOICES = [("warning", _("Warning")), ("critical", _("Critical"))]
KIND_CHOICES = [
    ("firing", _("Firing")),
    ("acknowledged", _("Acknowledged")),
    ("resolved", _("Resolved")),
    ("escalated", _("Escalated")),
    ("flapping", _("Flapping")),
    ("reopened", _("Reopened")),
]
# Where an action's error on a config key is shown in the form.
CHANNEL_FIELDS = {"config.url": "url", "config.recipients": "recipients", "config.format": "teams_format"}  # fmt: skip


def split_list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


class ChannelForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Channel.Kind.choices)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    recipients = forms.CharField(
        label=_("Recipients"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Email: one address per line."),
    )
    url = forms.CharField(
        label=_("Webhook URL"),
        required=False,
        max_length=2000,
        help_text=_("Webhook, Slack and Teams: an http:// or https:// address."),
    )
    teams_format = forms.ChoiceField(
        label=_("Teams card format"),
        required=False,
        choices=[("messagecard", "MessageCard"), ("adaptive", "Adaptive Card")],
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Webhook only, at least 16 characters. Never shown again; leave empty to keep it."
        ),
    )

    network_scope = forms.ChoiceField(
        label=_("Network scope"),
        choices=netguard.SCOPE_CHOICES,
        initial="private",
        required=False,  # not sent: the widest the person may set, at most private
        help_text=_(
            "Webhook, Slack and Teams: which addresses a delivery may connect to (see the "
            "security documentation)."
        ),
    )

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None = None,
        scopes: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        scope = self.fields["network_scope"]
        scope.choices = [c for c in scope.choices if c[0] in (scopes or [])]  # type: ignore[attr-defined]
        if len(scope.choices) < 2:  # type: ignore[attr-defined]
            del self.fields["network_scope"]  # client users: always public, nothing to choose
        if clients is None:  # editing: the client and kind are fixed
            del self.fields["client"]
            del self.fields["kind"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]

    def config(self, kind: str) -> dict[str, Any]:
        data = self.cleaned_data
        if kind == "email":
            return {"recipients": split_list(data["recipients"])}
        if kind == "teams":
            return {"url": data["url"], "format": data["teams_format"] or "messagecard"}
        return {"url": data["url"]}


class RouteForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    name = forms.CharField(label=_("Name"), max_length=100)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=100000, initial=100)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    is_default = forms.BooleanField(
        label=_("Default route"), required=False, help_text=_("Takes what no other rule matched.")
    )
    continue_matching = forms.BooleanField(
        label=_("Continue to later rules"), required=False,
        help_text=_("Otherwise the first matching rule is the only one."),
    )  # fmt: skip
    severities = forms.MultipleChoiceField(
        label=_("Severities"), required=False, choices=SEVERITY_CHOICES,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any."),
    )  # fmt: skip
    kinds = forms.MultipleChoiceField(
        label=_("Changes"), required=False, choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple, help_text=_("None ticked: any."),
    )  # fmt: skip
    sources = forms.CharField(
        label=_("Sources"), required=False,
        help_text=_("Comma-separated: check, heartbeat, agent, interface, alertmanager … Empty: any."),
    )  # fmt: skip
    label_matchers = forms.CharField(
        label=_("Label matchers"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: env=prod, team!=web, env=~prod|stage, host!~test-.*"),
    )  # fmt: skip
    group_by = forms.CharField(
        label=_("Group by labels"), required=False,
        help_text=_("Comma-separated. Empty: one group per client and route."),
    )  # fmt: skip
    group_wait_seconds = forms.IntegerField(label=_("Group wait (s)"), min_value=0, max_value=3600, initial=30)  # fmt: skip
    group_interval_seconds = forms.IntegerField(label=_("Group interval (s)"), min_value=5, max_value=86400, initial=300)  # fmt: skip
    repeat_interval_seconds = forms.IntegerField(label=_("Repeat interval (s)"), min_value=60, max_value=30 * 86400, initial=14400)  # fmt: skip
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), required=False, queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        clients: QuerySet[Client] | None = None,
        channels: QuerySet[Channel],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if clients is None:
            del self.fields["client"]
        else:
            self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]
        self.fields["channels"].label_from_instance = lambda c: f"{c.client.name} · {c.name}"  # type: ignore[attr-defined]

    def clean_label_matchers(self) -> list[dict[str, str]]:
        out = []
        for line in (self.cleaned_data["label_matchers"] or "").splitlines():
            if not line.strip():
                continue
            found = _MATCHER.match(line)
            if not found:
                raise ValidationError(_("“%(line)s” is not name=value, name!=value, name=~regex or name!~regex.") % {"line": line})  # fmt: skip
            out.append({"name": found[1], "op": found[2], "value": found[3]})
        return out

    def fields_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("client", None)
        data.pop("channels", None)
        data.pop("steps", None)
        data["sources"] = split_list(data["sources"])
        data["group_by"] = split_list(data["group_by"])
        return data


MAX_STEPS = 10


class StepForm(forms.Form):
    """One rung of the escalation ladder: how long unacknowledged, then whom to tell."""

    after_minutes = forms.IntegerField(
        label=_("After (minutes unacknowledged)"), required=False, min_value=1, max_value=7 * 1440
    )
    channels = forms.ModelMultipleChoiceField(
        label=_("Channels"), required=False, queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    people = forms.ModelMultipleChoiceField(
        label=_("People"), required=False, queryset=User.objects.none(),
        widget=forms.CheckboxSelectMultiple, help_text=_("MSP staff who may see the client; they get mail."),
    )  # fmt: skip

    def __init__(
        self, *args: Any, channels: QuerySet[Channel], people: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = channels  # type: ignore[attr-defined]
        self.fields["channels"].label_from_instance = lambda c: f"{c.client.name} · {c.name}"  # type: ignore[attr-defined]
        chooser: Any = self.fields["people"]
        chooser.queryset = people
        chooser.label_from_instance = lambda u: f"{u.full_name or u.email} <{u.email}>"

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not data.get("after_minutes") and not data.get("channels") and not data.get("people")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.is_blank():
            if not data.get("after_minutes"):
                self.add_error("after_minutes", _("Say after how many minutes this step comes."))
            elif not data.get("channels") and not data.get("people"):
                self.add_error(None, _("A step names at least one channel or person."))
        return data


StepFormSet = forms.formset_factory(
    StepForm, extra=1, max_num=MAX_STEPS, validate_max=True, absolute_max=MAX_STEPS
)


def step_formset(
    data: Any, *, channels: QuerySet[Channel], people: QuerySet[User], route: Any = None
) -> Any:
    """The ladder editor: one row per existing step and one empty row to add a step."""
    initial = [
        {
            "after_minutes": s.after_minutes,
            "channels": list(s.channels.all()),
            "people": list(s.people.all()),
        }
        for s in (route.steps.all() if route is not None else [])
    ]
    return StepFormSet(
        data, initial=initial, prefix="steps", form_kwargs={"channels": channels, "people": people}
    )


def ladder_of(formset: Any) -> list[dict[str, Any]]:
    """The steps a valid formset describes, blank rows left out, in the order of their delay."""
    rows = [f.cleaned_data for f in formset.forms if f.cleaned_data and not f.is_blank()]
    rows.sort(key=lambda r: r["after_minutes"])
    return [
        {
            "after_minutes": r["after_minutes"],
            "channels": list(r["channels"]),
            "people": list(r["people"]),
        }
        for r in rows
    ]


def matchers_text(matchers: list[dict[str, str]]) -> str:
    return "\n".join(f"{m['name']}{m['op']}{m['value']}" for m in matchers)
