"""UI forms for clients, sites, contacts, contracts and calendars: parsing and validation only.

Fields come from the models (labels and help texts stay in one place); the actions layer still
validates everything again, and its errors are mapped back onto these fields by the views.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import (
    SERVICE_CATALOGUE,
    BusinessCalendar,
    Client,
    Contact,
    Contract,
    Site,
    SlaTarget,
    SpecialDay,
)
from openmsp.web.templatetags.shell import WEEKDAYS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_ZONE_LIST = "tz-list"  # id of the <datalist> rendered by tenants/includes/tz_datalist.html


@functools.cache
def time_zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


@functools.cache
def holiday_countries() -> list[tuple[str, str]]:
    from holidays import registry

    names = {row[1]: re.sub(r"(?<!^)(?=[A-Z])", " ", row[0]) for row in registry.COUNTRIES.values()}
    ordered = sorted(names.items(), key=lambda item: (item[0] != "KR", item[1]))
    return [(code, f"{code} · {name}") for code, name in ordered]


def holiday_regions(country: str) -> list[str]:
    import holidays

    return sorted(holidays.list_supported_countries().get(country, []))


def clean_time_zone(value: str) -> str:
    value = value.strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            _("“%(value)s” is not a time zone. Use an IANA name such as Asia/Seoul or UTC."),
            params={"value": value},
        ) from None
    return value


class ModelFieldsForm(forms.Form):
    """A plain form whose fields are built from model fields (labels, help, validators)."""

    model: type[Any]
    model_fields: tuple[str, ...] = ()
    widgets: dict[str, type[forms.Widget] | forms.Widget] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        generated = fields_for_model(self.model, fields=self.model_fields, widgets=self.widgets)
        declared = dict(self.fields)
        self.fields = {name: declared.get(name) or generated[name] for name in self.model_fields}
        self.fields.update({n: f for n, f in declared.items() if n not in self.fields})
        if "time_zone" in self.fields:
            self.fields["time_zone"].widget.attrs.update(
                list=TIME_ZONE_LIST, autocomplete="off", spellcheck="false"
            )

    def clean_time_zone(self) -> str:
        return clean_time_zone(self.cleaned_data["time_zone"])

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.model_fields}


class ClientForm(ModelFieldsForm):
    model = Client
    model_fields = (
        "name",
        "code",
        "status",
        "legal_name",
        "business_number",
        "time_zone",
        "language",
        "notes",
    )
    widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class SiteForm(ModelFieldsForm):
    model = Site
    model_fields = ("name", "address", "time_zone", "notes")
    widgets = {"notes": forms.Textarea(attrs={"rows": 2})}


class ContactForm(ModelFieldsForm):
    model = Contact
    model_fields = ("name", "title", "email", "phone", "site", "is_primary", "language", "notes")
    widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        site_field: Any = self.fields["site"]
        site_field.queryset = sites
        site_field.empty_label = _("(no site)")


class ContractForm(ModelFieldsForm):
    model = Contract
    model_fields = (
        "name",
        "reference",
        "start_date",
        "end_date",
        "renewal",
        "notice_days",
        "services",
        "support_hours",
        "calendar",
        "availability_target",
        "billing_model",
        "rate",
        "currency",
        "included_hours",
        "dpa_signed",
        "dpa_signed_on",
        "data_location",
        "retention_days",
        "report_frequency",
        "report_recipients",
        "meeting_cadence",
        "qbr_email",
        "qbr_recipients",
        "qbr_delay_days",
    )
    widgets = {"start_date": DATE, "end_date": DATE, "dpa_signed_on": DATE}
    sections = (
        (_("Contract"), ("name", "reference")),
        (_("Term"), ("start_date", "end_date", "renewal", "notice_days")),
        (_("Services"), ("services",)),
        (_("Support hours"), ("support_hours", "calendar", "availability_target")),
        (_("Billing"), ("billing_model", "rate", "currency", "included_hours")),
        (_("Data protection"), ("dpa_signed", "dpa_signed_on", "data_location", "retention_days")),
        (_("Communication"), ("report_frequency", "report_recipients", "meeting_cadence")),
        (_("Quarterly review"), ("qbr_email", "qbr_recipients", "qbr_delay_days")),
    )

    services = forms.MultipleChoiceField(
        label=_("Services in scope"),
        choices=list(SERVICE_CATALOGUE.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    report_recipients = forms.CharField(
        label=_("Report recipients"),
        required=False,
        help_text=_("Email addresses, separated by commas."),
    )
    qbr_recipients = forms.CharField(
        label=_("Quarterly review recipients"),
        required=False,
        help_text=_("Email addresses, separated by commas. Empty: the report recipients."),
    )

    def __init__(self, *args: Any, calendars: QuerySet[BusinessCalendar], **kwargs: Any) -> None:
        initial = kwargs.get("initial")
        for name in ("report_recipients", "qbr_recipients"):
            if initial and isinstance(initial.get(name), list):
                initial[name] = ", ".join(initial[name])
        super().__init__(*args, **kwargs)
        calendar_field: Any = self.fields["calendar"]
        calendar_field.queryset = calendars
        calendar_field.empty_label = _("(none: 24×7 support)")
        self.fields["qbr_delay_days"].required = False  # empty: the model's default
        self.fields["currency"].widget.attrs.update(maxlength=3, size=4)

    def grouped(self) -> Iterable[tuple[Any, list[forms.BoundField]]]:
        for label, names in self.sections:
            yield label, [self[name] for name in names]

    def clean_report_recipients(self) -> list[str]:
        return self._addresses("report_recipients")

    def clean_qbr_recipients(self) -> list[str]:
        return self._addresses("qbr_recipients")

    def _addresses(self, name: str) -> list[str]:
        raw = self.cleaned_data.get(name) or ""
        addresses = [part.strip() for part in re.split(r"[,;\s]+", raw) if part.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    _("“%(value)s” is not an email address. Separate addresses with commas."),
                    params={"value": address},
                ) from None
        return addresses

    def clean_qbr_delay_days(self) -> int:
        value = self.cleaned_data.get("qbr_delay_days")
        return int(Contract._meta.get_field("qbr_delay_days").default if value is None else value)

    def clean_currency(self) -> str:
        value = str(self.cleaned_data["currency"]).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", value):
            raise ValidationError(_("Use a three-letter currency code such as KRW or USD."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("dpa_signed") and not data.get("dpa_signed_on"):
            self.add_error(
                "dpa_signed_on", _("Give the date the data processing agreement was signed.")
            )
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The contract cannot end before it starts."))
        if data.get("qbr_email") and not (
            data.get("qbr_recipients") or data.get("report_recipients")
        ):
            self.add_error(
                "qbr_recipients",
                _("Name who receives the quarterly review (or report recipients)."),
            )
        if data.get("support_hours") == Contract.SupportHours.CALENDAR and not data.get("calendar"):
            self.add_error("calendar", _("Business-hours support needs a business calendar."))
        return data


class SlaTargetForm(forms.Form):
    """One priority's targets; a row left empty means no target for that priority."""

    priority = forms.ChoiceField(choices=SlaTarget.Priority.choices, widget=forms.HiddenInput)
    first_response_minutes = forms.IntegerField(
        label=_("First response (min)"), min_value=1, required=False
    )
    next_response_minutes = forms.IntegerField(
        label=_("Next response (min)"), min_value=1, required=False
    )
    resolution_minutes = forms.IntegerField(
        label=_("Resolution (min)"), min_value=1, required=False
    )
    always_open = forms.BooleanField(label=_("24×7 clock"), required=False)

    def priority_label(self) -> str:
        value = self.initial.get("priority") or self.data.get(self.add_prefix("priority"), "")
        return str(dict(SlaTarget.Priority.choices).get(value, value))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, resolution = data.get("first_response_minutes"), data.get("resolution_minutes")
        if (first is None) != (resolution is None) or (
            data.get("next_response_minutes") is not None and first is None
        ):
            raise ValidationError(
                _(
                    "%(priority)s: give both the first response and the resolution target, or leave the row empty."
                ),
                params={"priority": data.get("priority", "")},
            )
        if first is not None and resolution is not None and resolution < first:
            raise ValidationError(
                _("%(priority)s: resolution cannot be shorter than the first response."),
                params={"priority": data.get("priority", "")},
            )
        return data

    def target(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if data.get("first_response_minutes") is None:
            return None
        return {
            key: data.get(key)
            for key in (
                "priority",
                "first_response_minutes",
                "next_response_minutes",
                "resolution_minutes",
                "always_open",
            )
        }


SlaTargetFormSet = forms.formset_factory(SlaTargetForm, extra=0, min_num=4, max_num=4)


def sla_formset(data: Any = None, contract: Contract | None = None) -> Any:
    existing = {t.priority: t for t in contract.sla_targets.all()} if contract else {}
    initial = []
    for priority in SlaTarget.Priority.values:
        row: dict[str, Any] = {"priority": priority}
        target = existing.get(priority)
        if target is not None:
            row.update(
                first_response_minutes=target.first_response_minutes,
                next_response_minutes=target.next_response_minutes,
                resolution_minutes=target.resolution_minutes,
                always_open=target.always_open,
            )
        initial.append(row)
    return SlaTargetFormSet(data, initial=initial, prefix="sla")


# --- Calendars -------------------------------------------------------------------------------


class CalendarForm(ModelFieldsForm):
    model = BusinessCalendar
    model_fields = ("name", "time_zone", "always_open", "holiday_country", "holiday_subdivision")

    holiday_country = forms.ChoiceField(label=_("Public holidays of"), required=False)
    holiday_subdivision = forms.CharField(
        label=_("Region"),
        required=False,
        max_length=16,
        help_text=_("Optional: a subdivision code of the country, for regional holidays."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        country: Any = self.fields["holiday_country"]
        country.choices = [("", _("(no public holidays)")), *holiday_countries()]
        self.fields["always_open"].help_text = _(
            "Open around the clock: holidays and working hours are ignored."
        )

    def clean_holiday_subdivision(self) -> str:
        return str(self.cleaned_data.get("holiday_subdivision") or "").strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        country, region = data.get("holiday_country") or "", data.get("holiday_subdivision") or ""
        if region and not country:
            self.add_error(
                "holiday_subdivision", _("A region needs a country; choose the country first.")
            )
        elif region and region not in holiday_regions(country):
            known = ", ".join(holiday_regions(country)) or "—"
            self.add_error(
                "holiday_subdivision",
                _("“%(region)s” is not a region of %(country)s. Known regions: %(known)s.")
                % {"region": region, "country": country, "known": known},
            )
        return data


def _hhmm(value: str) -> int:
    try:
        return workcal.parse_hhmm(value)
    except workcal.CalendarError:
        raise ValidationError(
            _(
                "“%(value)s” is not a time of day. Write it as HH:MM, for example 09:00 (24:00 = end of day)."
            ),
            params={"value": value},
        ) from None


class IntervalForm(forms.Form):
    weekday = forms.TypedChoiceField(
        label=_("Day"),
        coerce=int,
        choices=[(i, name) for i, name in enumerate(WEEKDAYS)],
        widget=forms.Select(attrs={"aria-label": _("Day")}),
    )
    start = forms.CharField(
        label=_("From"),
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "09:00", "size": 5, "aria-label": _("From")}),
    )
    end = forms.CharField(
        label=_("Until"),
        max_length=5,
        widget=forms.TextInput(attrs={"placeholder": "18:00", "size": 5, "aria-label": _("Until")}),
    )

    def has_changed(self) -> bool:
        # A spare row still shows a weekday (a select has no empty state); only typed times count.
        times = (self[name].value() for name in ("start", "end", "DELETE") if name in self.fields)
        return super().has_changed() and any(times)

    def clean_start(self) -> int:
        return _hhmm(self.cleaned_data["start"])

    def clean_end(self) -> int:
        return _hhmm(self.cleaned_data["end"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, int) and isinstance(end, int) and end <= start:
            raise ValidationError(
                _("The interval must end after it starts; split a night shift into two days."),
            )
        return data


IntervalFormSet = forms.formset_factory(IntervalForm, extra=1, can_delete=True)


def interval_formset(data: Any = None, intervals: Iterable[tuple[int, int, int]] = ()) -> Any:
    """Rows to edit; once posted, the posted rows are the whole truth (no initial to compare
    with, so a row that equals a default is kept, not mistaken for an untouched spare)."""
    if data is not None:
        return IntervalFormSet(data, prefix="intervals")
    initial = [
        {"weekday": d, "start": workcal.format_minute(s), "end": workcal.format_minute(e)}
        for d, s, e in intervals
    ]
    return IntervalFormSet(initial=initial, prefix="intervals")


def intervals_of(formset: Any) -> list[tuple[int, int, int]]:
    rows = []
    for form in formset.forms:
        data = form.cleaned_data
        if "weekday" not in data or data.get("DELETE"):
            continue  # an untouched spare row, or one ticked for removal
        rows.append((data["weekday"], data["start"], data["end"]))
    return sorted(rows)


class SpecialDayForm(ModelFieldsForm):
    model = SpecialDay
    model_fields = ("date", "name", "kind", "recurs_yearly")
    widgets = {"date": DATE}


class WorkingTimeForm(forms.Form):
    """The calendar preview's calculator; times are the viewer's local wall-clock times."""

    OPERATIONS = (
        ("between", _("Working minutes between A and B")),
        ("add", _("A plus N working minutes")),
    )

    operation = forms.ChoiceField(choices=OPERATIONS, initial="between", label=_("Calculate"))
    start = forms.DateTimeField(
        label=_("A"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    end = forms.DateTimeField(
        label=_("B"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    minutes = forms.IntegerField(
        label=_("N minutes"), min_value=0, max_value=10_000_000, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("operation") == "between"
            and data.get("end") is None
            and "end" not in self.errors
        ):
            self.add_error("end", _("Give B, the end of the span."))
        start, end = data.get("start"), data.get("end")
        if data.get("operation") == "between" and start and end and end < start:
            self.add_error("end", _("B must not be before A."))
        if (
            data.get("operation") == "add"
            and data.get("minutes") is None
            and "minutes" not in self.errors
        ):
            self.add_error("minutes", _("Give N, the working minutes to add."))
        return data
