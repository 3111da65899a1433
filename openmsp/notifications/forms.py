"""UI forms for channels and routing rules. Validation only; the actions validate again and the
views put their errors back on these fields (openmsp.web.pages.apply_error)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

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

    def __init__(self, *args: Any, clients: QuerySet[Client] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
    steps = forms.CharField(
        label=_("Escalation steps"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One step per line: minutes unacknowledged, then channel names. "
                    "Example: 15: Pager, Team lead mail"),
    )  # fmt: skip
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

    def clean_steps(self) -> list[tuple[int, list[str]]]:
        out = []
        for line in (self.cleaned_data["steps"] or "").splitlines():
            if not line.strip():
                continue
            minutes, _sep, names = line.partition(":")
            if not minutes.strip().isdigit() or not split_list(names):
                raise ValidationError(_("“%(line)s” is not “minutes: channel, channel”.") % {"line": line})  # fmt: skip
            out.append((int(minutes), split_list(names)))
        return out

    def fields_for_action(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("client", None)
        data.pop("channels", None)
        data.pop("steps", None)
        data["sources"] = split_list(data["sources"])
        data["group_by"] = split_list(data["group_by"])
        return data


def steps_text(route: Any) -> str:
    return "\n".join(
        f"{s.after_minutes}: {', '.join(c.name for c in s.channels.all())}"
        for s in route.steps.all()
    )


def steps_for(
    form: RouteForm, channels: QuerySet[Channel], keep_people: Any = None
) -> list[dict[str, Any]] | None:
    """The ladder the form describes, channels resolved by name among the client's; None (and
    an error on the field) when a name is unknown. People of existing steps are kept."""
    by_name = {c.name: c for c in channels}
    ladder = []
    for index, (minutes, names) in enumerate(form.cleaned_data["steps"]):
        unknown = [n for n in names if n not in by_name]
        if unknown:
            form.add_error("steps", _("No channel named “%(name)s”.") % {"name": unknown[0]})
            return None
        people = keep_people(index) if keep_people else []
        ladder.append({"after_minutes": minutes, "channels": [by_name[n] for n in names], "people": people})  # fmt: skip
    return ladder


def matchers_text(matchers: list[dict[str, str]]) -> str:
    return "\n".join(f"{m['name']}{m['op']}{m['value']}" for m in matchers)
