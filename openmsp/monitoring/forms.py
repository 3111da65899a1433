"""UI forms of the check editor: the fields every check has, and one settings form per kind.

The settings forms are built from the kind's pydantic model (monitoring.probes.specs), so the UI
offers exactly the settings the API accepts and validation stays in one place: the form only
converts text to values; the action validates them.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from pydantic.fields import FieldInfo

from openmsp.core import netguard
from openmsp.monitoring.models import MAX_INTERVAL, MAX_RETRIES, MAX_TIMEOUT, MIN_INTERVAL
from openmsp.monitoring.probes.specs import MASK, SPECS

LABELS: dict[str, Any] = {
    "port": _("Port"), "count": _("Echo requests"), "interval_ms": _("Pause between requests (ms)"),
    "loss_warning_percent": _("Loss warning (%)"), "loss_critical_percent": _("Loss critical (%)"),
    "latency_warning_ms": _("Latency warning (ms)"), "latency_critical_ms": _("Latency critical (ms)"),
    "method": _("Method"), "expected_status": _("Expected status codes"),
    "expected_text": _("Expected text"), "follow_redirects": _("Follow redirects"),
    "max_redirects": _("Redirects at most"), "headers": _("Headers (one 'Name: value' a line)"),
    "body": _("Request body"), "verify_tls": _("Verify the TLS certificate"),
    "server_name": _("Server name (SNI)"), "warning_days": _("Warning (days left)"),
    "critical_days": _("Critical (days left)"), "verify": _("Verify the chain"),
    "server": _("DNS server"), "record_type": _("Record type"),
    "expected": _("Expected values (comma-separated)"), "match": _("Match"),
    "use_tcp": _("Ask over TCP"), "version": _("SNMP version"), "community": _("Community"),
    "username": _("User"), "security_level": _("Security level"),
    "auth_protocol": _("Auth protocol"), "auth_key": _("Auth key"),
    "priv_protocol": _("Privacy protocol"), "priv_key": _("Privacy key"), "metric": _("Metric"),
    "if_index": _("Interface index"), "oid": _("OID"), "warning": _("Warning threshold"),
    "critical": _("Critical threshold"), "direction": _("Bad side of the thresholds"),
    "mount": _("Mount point (disk)"), "unit": _("systemd unit"), "name": _("Process name"),
    "min_count": _("At least this many processes"), "address": _("Local address"),
    "path": _("Log file"), "pattern": _("Pattern (regular expression)"),
    "warning_count": _("Warning at this many matching lines"),
    "critical_count": _("Critical at this many matching lines"),
    "command": _("Command (Nagios plugin)"),
}  # fmt: skip
SECRET_FIELDS = frozenset({"community", "auth_key", "priv_key"})


class CheckForm(forms.Form):
    client = forms.TypedChoiceField(label=_("Client"), coerce=int)
    name = forms.CharField(label=_("Name"), max_length=200)
    target = forms.CharField(
        label=_("Target"),
        max_length=2000,
        help_text=_("A URL for HTTP checks, else a host name or IP address."),
    )
    interval_seconds = forms.IntegerField(label=_("Interval (seconds)"), initial=60, min_value=MIN_INTERVAL, max_value=MAX_INTERVAL)  # fmt: skip
    timeout_seconds = forms.FloatField(label=_("Timeout (seconds)"), initial=10, min_value=0.1, max_value=MAX_TIMEOUT)  # fmt: skip
    retries = forms.IntegerField(label=_("Retries"), initial=0, min_value=0, max_value=MAX_RETRIES)
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Comma-separated; key=value or plain.")
    )
    failures_to_fire = forms.IntegerField(label=_("Failures before a problem"), initial=1, min_value=1, max_value=100)  # fmt: skip
    hold_down_seconds = forms.IntegerField(label=_("Hold-down (seconds)"), initial=0, min_value=0, max_value=86400)  # fmt: skip
    successes_to_recover = forms.IntegerField(label=_("Successes before recovery"), initial=1, min_value=1, max_value=100)  # fmt: skip
    recovery_seconds = forms.IntegerField(label=_("Recovery hold (seconds)"), initial=0, min_value=0, max_value=86400)  # fmt: skip
    flap_threshold = forms.IntegerField(label=_("Flap threshold (0: off)"), initial=0, min_value=0, max_value=100)  # fmt: skip

    network_scope = forms.ChoiceField(
        label=_("Network scope"),
        choices=netguard.SCOPE_CHOICES,
        initial="private",
        required=False,  # not sent: the widest the person may set, at most private
        help_text=_("Which addresses the check may connect to (see the security documentation)."),
    )
    asset = forms.TypedChoiceField(
        label=_("Host"), coerce=int, required=False, empty_value=None,
        help_text=_("Agent checks run on this host's agent."),
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        clients: list[tuple[int, str]],
        assets: list[tuple[int, str]] | None = None,
        scopes: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        scope = self.fields["network_scope"]
        scope.choices = [c for c in scope.choices if c[0] in (scopes or [])]  # type: ignore[attr-defined]
        if len(scope.choices) < 2:  # type: ignore[attr-defined]
            del self.fields["network_scope"]  # client users: always public, nothing to choose
        self.fields["client"].choices = clients  # type: ignore[attr-defined]
        self.fields["asset"].choices = [("", "—"), *(assets or [])]  # type: ignore[attr-defined]

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


def _bare(annotation: Any) -> tuple[Any, bool]:
    """The annotation without `| None`, and whether None was allowed."""
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return annotation, False


def _field(name: str, info: FieldInfo) -> forms.Field:
    annotation, optional = _bare(info.annotation)
    label = LABELS.get(name, name.replace("_", " ").capitalize())
    required = info.is_required()
    if typing.get_origin(annotation) is typing.Literal:
        choices = [(v, v) for v in typing.get_args(annotation)]
        return forms.ChoiceField(label=label, choices=choices, required=required)
    if annotation is bool:
        return forms.BooleanField(label=label, required=False)
    if annotation is int:
        return forms.IntegerField(label=label, required=required)
    if annotation is float:
        return forms.FloatField(label=label, required=required)
    if typing.get_origin(annotation) is dict or name in ("body", "command"):
        return forms.CharField(
            label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if name in SECRET_FIELDS:
        return forms.CharField(
            label=label, required=False, widget=forms.PasswordInput(render_value=True)
        )
    return forms.CharField(label=label, required=required and not optional)


def settings_form_class(kind: str) -> type[forms.Form]:
    model = SPECS[kind]
    fields = {name: _field(name, info) for name, info in model.model_fields.items()}
    return type(f"{kind.title()}SettingsForm", (forms.Form,), fields)


def settings_defaults(kind: str) -> dict[str, Any]:
    """The kind's defaults, as a new check's form starts (booleans like verify_tls on)."""
    defaults = {}
    for name, info in SPECS[kind].model_fields.items():
        if not info.is_required():
            defaults[name] = info.get_default(call_default_factory=True)
    return settings_initial(kind, defaults)


def settings_initial(kind: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Stored settings as form values (lists comma-joined, headers one per line, secrets masked)."""
    initial: dict[str, Any] = {}
    for name, value in settings.items():
        if value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = "\n".join(f"{k}: {v}" for k, v in value.items())
        elif name in SECRET_FIELDS and value:
            value = MASK
        initial[name] = value
    return initial


def settings_from(kind: str, cleaned: dict[str, Any]) -> dict[str, Any]:
    """Form values back to settings JSON (the kind's model validates them in the action)."""
    model = SPECS[kind]
    data: dict[str, Any] = {}
    for name, value in cleaned.items():
        annotation, _optional = _bare(model.model_fields[name].annotation)
        origin = typing.get_origin(annotation)
        if value is None or value == "":
            if origin is list:
                data[name] = []
            continue
        if origin is list:
            parts = [p.strip() for p in str(value).split(",") if p.strip()]
            item = typing.get_args(annotation)[0]
            data[name] = [int(p) if item is int and p.isdigit() else p for p in parts]
        elif origin is dict:
            pairs = [line.partition(":") for line in str(value).splitlines() if line.strip()]
            data[name] = {k.strip(): v.strip() for k, _sep, v in pairs}
        else:
            data[name] = value
    return data
