"""UI forms of on-call. Validation only; the actions validate again and their errors are put
back on these fields (openmsp.web.pages.apply_error)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from openmsp.accounts.models import User
from openmsp.oncall.models import Layer
from openmsp.tenants.models import Client

MEMBER_SLOTS = 6
WEEKDAYS = [(0, _("Mon")), (1, _("Tue")), (2, _("Wed")), (3, _("Thu")), (4, _("Fri")),
            (5, _("Sat")), (6, _("Sun"))]  # fmt: skip

ACTION_MESSAGES = (
    gettext_noop("The override must end after it starts."),
    gettext_noop("The override ends in the past; nothing would change."),
    gettext_noop("An override lasts at most 366 days."),
)


class PersonChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


def _local(value: dt.datetime, zone: str) -> dt.datetime:
    """A datetime-local field's naive value, read in the schedule's zone."""
    return value.replace(tzinfo=zoneinfo.ZoneInfo(zone))


LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LayerForm(forms.Form):
    layer_name = forms.CharField(label=_("Layer name"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("Rotation"), choices=Layer.Kind.choices, initial="weekly")
    hours = forms.IntegerField(
        label=_("Hours per shift"), min_value=0, max_value=8760, required=False,
        help_text=_("Only for 'Every N hours'."),
    )  # fmt: skip
    start = forms.DateTimeField(
        label=_("First hand-off"),
        widget=LOCAL,
        help_text=_("Local time in the schedule's time zone; later hand-offs keep this time."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Only on these days"), choices=WEEKDAYS, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    window_start = forms.TimeField(label=_("from"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))  # fmt: skip
    window_end = forms.TimeField(label=_("until"), required=False, widget=forms.TimeInput(attrs={"type": "time"}))  # fmt: skip

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(MEMBER_SLOTS):
            self.fields[f"member_{i}"] = PersonChoice(
                queryset=people,
                required=i == 0,
                label=_("Person %(n)s") % {"n": i + 1},
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        window = [data.get("window_start"), data.get("window_end")]
        if data.get("weekdays") and not all(window):
            self.add_error("window_start", _("Give the hours of the days chosen."))
        if any(window) and not data.get("weekdays"):
            self.add_error("weekdays", _("Choose the days these hours apply to."))
        return data

    def layer_spec(self, zone: str) -> dict[str, Any]:
        d = self.cleaned_data
        members = [d[f"member_{i}"] for i in range(MEMBER_SLOTS) if d.get(f"member_{i}")]
        restrictions = []
        if d.get("weekdays"):
            restrictions.append({"weekdays": d["weekdays"], "start": d["window_start"].strftime("%H:%M"),
                                 "end": d["window_end"].strftime("%H:%M")})  # fmt: skip
        return {
            "name": d.get("layer_name") or "",
            "kind": d["kind"],
            "hours": d.get("hours") or 0,
            "start": _local(d["start"], zone),
            "members": members,
            "restrictions": restrictions,
        }


class ScheduleForm(LayerForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.CharField(label=_("Time zone"), max_length=64, initial="Asia/Seoul")
    client = forms.ModelChoiceField(
        label=_("Only for client"), queryset=Client.objects.none(), required=False,
        help_text=_("Leave empty for a schedule that covers every client."),
    )  # fmt: skip
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["name", "time_zone", "client", "description"]

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        self.order_fields(self.field_order)

    def clean_time_zone(self) -> str:
        name: str = self.cleaned_data["time_zone"]
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Not a time zone; for example Asia/Seoul.")) from None
        return name


class OverrideForm(forms.Form):
    user = PersonChoice(label=_("Who covers"), queryset=User.objects.none())
    start = forms.DateTimeField(label=_("From"), widget=LOCAL)
    end = forms.DateTimeField(label=_("Until"), widget=LOCAL)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The override must end after it starts."))
        return data

    def span(self, zone: str) -> tuple[dt.datetime, dt.datetime]:
        return _local(self.cleaned_data["start"], zone), _local(self.cleaned_data["end"], zone)
