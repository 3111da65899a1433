"""Template helpers of the shell: accessible form fields, sortable headers, small formats."""

from __future__ import annotations

import json
from typing import Any

from django import forms, template
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

register = template.Library()

WEEKDAYS = (
    _("Monday"),
    _("Tuesday"),
    _("Wednesday"),
    _("Thursday"),
    _("Friday"),
    _("Saturday"),
    _("Sunday"),
)
HOURS = _("h")  # abbreviation after a number of hours: "4 h"
MINUTES = _("min")  # abbreviation after a number of minutes: "30 min"
WEEKDAYS_SHORT = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


@register.simple_tag
def render_field(field: forms.BoundField) -> SafeString:
    """The widget, marked aria-invalid and tied to its help and error text for screen readers."""
    attrs: dict[str, str | bool] = {}
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        attrs["aria-invalid"] = "true"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple)


@register.filter
def hhmm(minute: int | None) -> str:
    if minute is None:
        return ""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@register.filter
def weekday(index: int, style: str = "long") -> str:
    names = WEEKDAYS_SHORT if style == "short" else WEEKDAYS
    return str(names[index]) if 0 <= index < 7 else ""


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return key


@register.filter
def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.inclusion_tag("web/includes/sort_header.html", takes_context=True)
def sort_header(context: dict[str, Any], key: str, label: str) -> dict[str, Any]:
    """A column header linking to the same list sorted by *key* (again: the other direction)."""
    request: HttpRequest = context["request"]
    current = request.GET.get("sort", context.get("default_sort", ""))
    params = request.GET.copy()
    is_current = current.lstrip("-") == key
    descending = is_current and current.startswith("-")
    params["sort"] = key if (is_current and descending) or not is_current else f"-{key}"
    params.pop("page", None)
    return {
        "url": f"?{params.urlencode()}",
        "label": label,
        "current": is_current,
        "descending": descending,
    }


@register.simple_tag
def minutes_label(minutes: int | None) -> str:
    """Working minutes as people say them: 90 -> 1 h 30 min."""
    if minutes is None:
        return "—"
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return f"{hours} {HOURS} {rest} {MINUTES}"
    if hours:
        return f"{hours} {HOURS}"
    return f"{rest} {MINUTES}"


@register.simple_tag
def time_zone_names() -> list[str]:
    from openmsp.tenants.forms import time_zone_names as names

    return names()
