"""Every change to clients, sites, contacts, contracts and calendars.

Callers pass objects they fetched through `openmsp.tenants.queries` (so tenant visibility is already
settled); these functions check the role, validate, save and audit in one transaction.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import apply_changes, delete_audited, require, save_changed, save_created
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.tenants import calendar as workcal
from openmsp.tenants import hooks
from openmsp.tenants.models import (
    SERVICE_CATALOGUE,
    BusinessCalendar,
    Client,
    Contact,
    Contract,
    Site,
    SlaTarget,
    SpecialDay,
    WorkingInterval,
)

CLIENT_FIELDS = {
    "name",
    "code",
    "legal_name",
    "business_number",
    "status",
    "time_zone",
    "language",
    "notes",
}
SITE_FIELDS = {"name", "address", "time_zone", "notes"}
CONTACT_FIELDS = {"site", "name", "email", "phone", "title", "is_primary", "language", "notes"}
CONTRACT_FIELDS = {
    "name", "reference", "start_date", "end_date", "renewal", "notice_days", "services",
    "support_hours", "calendar", "availability_target", "billing_model", "rate", "currency",
    "included_hours", "dpa_signed", "dpa_signed_on", "data_location", "retention_days",
    "report_frequency", "report_recipients", "meeting_cadence", "qbr_email", "qbr_recipients",
    "qbr_delay_days",
}  # fmt: skip
P = ParamSpec("P")
R = TypeVar("R")

CALENDAR_FIELDS = {"name", "time_zone", "always_open", "holiday_country", "holiday_subdivision"}

# Korean office hours with a lunch break: what a new client's calendar starts from.
STANDARD_HOURS: tuple[tuple[int, int], ...] = ((9 * 60, 12 * 60), (13 * 60, 18 * 60))


def check_time_zone(name: str, field: str = "time_zone") -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"'{name}' is not an IANA time zone (for example Asia/Seoul).", field=field
        ) from None


def _unique(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn a unique-constraint race into a 409 instead of a 500."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with transaction.atomic():
                return fn(*args, **kwargs)
        except IntegrityError:
            raise Conflict(
                "This conflicts with an existing record (a name or code already in use)."
            ) from None

    return wrapper


# --- Clients ------------------------------------------------------------------------------


@_unique
def create_client(*, actor: Actor, name: str, code: str, **fields: Any) -> Client:
    require(actor, Perm.CLIENT_MANAGE)
    client = Client(name=name, code=code)
    apply_changes(client, fields, CLIENT_FIELDS)
    check_time_zone(client.time_zone)
    save_created(actor, client, action="client.created")
    create_calendar(
        actor=actor,
        client=client,
        name="영업시간" if client.language == "ko" else "Business hours",
        time_zone=client.time_zone,
        intervals=[(day, s, e) for day in range(5) for s, e in STANDARD_HOURS],
    )
    return client


@_unique
def update_client(*, actor: Actor, client: Client, changes: Mapping[str, Any]) -> Client:
    require(actor, Perm.CLIENT_MANAGE)
    before = audit.snapshot(client)
    apply_changes(client, changes, CLIENT_FIELDS)
    check_time_zone(client.time_zone)
    return save_changed(actor, client, before, action="client.updated")


@transaction.atomic
def delete_client(*, actor: Actor, client: Client) -> None:
    require(actor, Perm.CLIENT_MANAGE)
    if client.contract_set.exists() or client.users.exists():
        raise Conflict(
            "This client has contracts or users; set its status to offboarded instead of deleting it."
        )
    delete_audited(actor, client, action="client.deleted")


# --- Sites and contacts -------------------------------------------------------------------


@_unique
def create_site(*, actor: Actor, client: Client, name: str, **fields: Any) -> Site:
    require(actor, Perm.SITE_MANAGE)
    site = Site(client=client, name=name)
    apply_changes(site, fields, SITE_FIELDS)
    check_time_zone(site.time_zone)
    return save_created(actor, site, action="site.created")


@_unique
def update_site(*, actor: Actor, site: Site, changes: Mapping[str, Any]) -> Site:
    require(actor, Perm.SITE_MANAGE)
    before = audit.snapshot(site)
    apply_changes(site, changes, SITE_FIELDS)
    check_time_zone(site.time_zone)
    return save_changed(actor, site, before, action="site.updated")


@transaction.atomic
def delete_site(*, actor: Actor, site: Site) -> None:
    require(actor, Perm.SITE_MANAGE)
    delete_audited(actor, site, action="site.deleted")


def _check_contact_site(contact: Contact) -> None:
    if contact.site is not None and contact.site.client_id != contact.client_id:
        raise ValidationFailed("The site belongs to another client.", field="site")


@transaction.atomic
def create_contact(*, actor: Actor, client: Client, name: str, **fields: Any) -> Contact:
    require(actor, Perm.CONTACT_MANAGE)
    contact = Contact(client=client, name=name)
    apply_changes(contact, fields, CONTACT_FIELDS)
    _check_contact_site(contact)
    return save_created(actor, contact, action="contact.created")


@transaction.atomic
def update_contact(*, actor: Actor, contact: Contact, changes: Mapping[str, Any]) -> Contact:
    require(actor, Perm.CONTACT_MANAGE)
    before = audit.snapshot(contact)
    apply_changes(contact, changes, CONTACT_FIELDS)
    _check_contact_site(contact)
    return save_changed(actor, contact, before, action="contact.updated")


@transaction.atomic
def delete_contact(*, actor: Actor, contact: Contact) -> None:
    require(actor, Perm.CONTACT_MANAGE)
    delete_audited(actor, contact, action="contact.deleted")


# --- Contracts ----------------------------------------------------------------------------


def _check_contract(contract: Contract) -> None:
    unknown = [s for s in contract.services if s not in SERVICE_CATALOGUE]
    if not isinstance(contract.services, list) or unknown:
        raise ValidationFailed(
            f"Unknown service(s): {', '.join(map(str, unknown))}. Known: {', '.join(SERVICE_CATALOGUE)}.",
            field="services",
        )
    for field in ("report_recipients", "qbr_recipients"):
        for address in getattr(contract, field):
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationFailed(
                    f"'{address}' is not an email address.", field=field
                ) from None
    if contract.qbr_email and not contract.review_recipients:
        raise ValidationFailed(
            "E-mailing the quarterly review needs recipients: add review or report recipients.",
            field="qbr_recipients",
        )
    if not 0 <= contract.qbr_delay_days <= 60:
        raise ValidationFailed(
            "Send the quarterly review 0 to 60 days after the quarter.", field="qbr_delay_days"
        )
    if contract.calendar is not None and contract.calendar.client_id not in (
        None,
        contract.client_id,
    ):
        raise ValidationFailed("The calendar belongs to another client.", field="calendar")
    if contract.support_hours == Contract.SupportHours.CALENDAR and contract.calendar is None:
        raise ValidationFailed(
            "Business-hours support needs a business calendar.", field="calendar"
        )
    if contract.dpa_signed and contract.dpa_signed_on is None:
        raise ValidationFailed(
            "Give the date the data processing agreement was signed.", field="dpa_signed_on"
        )
    if contract.end_date is not None and contract.end_date < contract.start_date:
        raise ValidationFailed("The contract cannot end before it starts.", field="end_date")


@transaction.atomic
def create_contract(
    *,
    actor: Actor,
    client: Client,
    name: str,
    start_date: Any,
    sla_targets: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> Contract:
    require(actor, Perm.CONTRACT_MANAGE)
    contract = Contract(client=client, name=name, start_date=start_date)
    apply_changes(contract, fields, CONTRACT_FIELDS)
    _check_contract(contract)
    save_created(actor, contract, action="contract.created")
    if sla_targets:
        set_sla_targets(actor=actor, contract=contract, targets=sla_targets)
    return contract


@transaction.atomic
def update_contract(*, actor: Actor, contract: Contract, changes: Mapping[str, Any]) -> Contract:
    require(actor, Perm.CONTRACT_MANAGE)
    before = audit.snapshot(contract)
    changes = dict(changes)
    targets = changes.pop("sla_targets", None)
    apply_changes(contract, changes, CONTRACT_FIELDS)
    _check_contract(contract)
    save_changed(actor, contract, before, action="contract.updated")
    if targets is not None:
        set_sla_targets(actor=actor, contract=contract, targets=targets)
    if audit.snapshot(contract) != before:  # dates, support hours or calendar: the clocks' terms
        hooks.terms_changed(contract.client_id)
    return contract


@transaction.atomic
def delete_contract(*, actor: Actor, contract: Contract) -> None:
    require(actor, Perm.CONTRACT_MANAGE)
    client_id = contract.client_id
    delete_audited(actor, contract, action="contract.deleted")
    hooks.terms_changed(client_id)


def _target_rows(targets: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        (
            {
                "priority": t["priority"],
                "first_response_minutes": t["first_response_minutes"],
                "next_response_minutes": t.get("next_response_minutes"),
                "resolution_minutes": t["resolution_minutes"],
                "always_open": bool(t.get("always_open", False)),
            }
            for t in targets
        ),
        key=lambda row: str(row["priority"]),
    )


@transaction.atomic
def set_sla_targets(
    *, actor: Actor, contract: Contract, targets: Sequence[Mapping[str, Any]]
) -> list[SlaTarget]:
    """Replace the contract's SLA targets (one per priority) as a whole."""
    require(actor, Perm.CONTRACT_MANAGE)
    rows = _target_rows(targets)
    priorities = [row["priority"] for row in rows]
    if len(set(priorities)) != len(priorities):
        raise ValidationFailed("Each priority may have one target only.", field="sla_targets")
    before = _target_rows(list(contract.sla_targets.values()))
    created = []
    for row in rows:
        target = SlaTarget(contract=contract, **row)
        try:
            target.full_clean(exclude=["contract"])
        except ValidationError as exc:
            raise ValidationFailed(
                f"{row['priority']}: {'; '.join(exc.messages)}", field="sla_targets"
            ) from None
        if row["next_response_minutes"] is not None and row["next_response_minutes"] <= 0:
            raise ValidationFailed("Targets are positive numbers of minutes.", field="sla_targets")
        created.append(target)
    if before == rows:
        return list(contract.sla_targets.all())
    contract.sla_targets.all().delete()
    SlaTarget.objects.bulk_create(created)
    audit.record(
        actor=actor,
        action="contract.sla_targets_set",
        obj=contract,
        before={"targets": before},
        after={"targets": rows},
    )
    hooks.terms_changed(contract.client_id)
    return list(contract.sla_targets.all())


# --- Calendars ----------------------------------------------------------------------------


def _spec_check(calendar: BusinessCalendar, intervals: Iterable[tuple[int, int, int]]) -> None:
    check_time_zone(calendar.time_zone)
    spec = workcal.CalendarSpec(
        timezone=calendar.time_zone,
        intervals=tuple(workcal.WorkingInterval(d, s, e) for d, s, e in intervals),
        always_open=calendar.always_open,
        holiday_country=calendar.holiday_country or None,
        holiday_subdivision=calendar.holiday_subdivision or None,
    )
    try:
        workcal.validate_spec(spec)
    except workcal.CalendarError as exc:
        field = {"timezone": "time_zone"}.get(exc.field or "", exc.field or "intervals")
        raise ValidationFailed(str(exc), field=field) from None


def _replace_intervals(
    calendar: BusinessCalendar, intervals: Iterable[tuple[int, int, int]]
) -> None:
    calendar.intervals.all().delete()
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=d, start_minute=s, end_minute=e)
        for d, s, e in intervals
    )


def _interval_rows(calendar: BusinessCalendar) -> list[list[int]]:
    return [
        [i.weekday, i.start_minute, i.end_minute]
        for i in calendar.intervals.order_by("weekday", "start_minute")
    ]


@_unique
def create_calendar(
    *,
    actor: Actor,
    client: Client | None,
    name: str,
    intervals: Sequence[tuple[int, int, int]] = (),
    **fields: Any,
) -> BusinessCalendar:
    require(actor, Perm.CALENDAR_MANAGE)
    calendar = BusinessCalendar(client=client, name=name)
    apply_changes(calendar, fields, CALENDAR_FIELDS)
    _spec_check(calendar, intervals)
    save_created(actor, calendar, action="calendar.created")
    _replace_intervals(calendar, intervals)
    return calendar


@_unique
def update_calendar(
    *, actor: Actor, calendar: BusinessCalendar, changes: Mapping[str, Any]
) -> BusinessCalendar:
    require(actor, Perm.CALENDAR_MANAGE)
    changes = dict(changes)
    intervals = changes.pop("intervals", None)
    before = audit.snapshot(calendar) | {"intervals": _interval_rows(calendar)}
    apply_changes(calendar, changes, CALENDAR_FIELDS)
    new_intervals = intervals if intervals is not None else [tuple(r) for r in before["intervals"]]
    _spec_check(calendar, new_intervals)
    calendar.save()
    if intervals is not None:
        _replace_intervals(calendar, intervals)
    after = audit.snapshot(calendar) | {"intervals": _interval_rows(calendar)}
    if after != before:
        audit.record(
            actor=actor, action="calendar.updated", obj=calendar, before=before, after=after
        )
        hooks.terms_changed(calendar.client_id)
    return calendar


@transaction.atomic
def delete_calendar(*, actor: Actor, calendar: BusinessCalendar) -> None:
    require(actor, Perm.CALENDAR_MANAGE)
    try:
        with transaction.atomic():
            delete_audited(actor, calendar, action="calendar.deleted")
    except ProtectedError:
        raise Conflict(
            "Contracts still use this calendar; choose another calendar for them first."
        ) from None


@_unique
def add_special_day(
    *, actor: Actor, calendar: BusinessCalendar, date: Any, name: str, **fields: Any
) -> SpecialDay:
    require(actor, Perm.CALENDAR_MANAGE)
    day = SpecialDay(calendar=calendar, date=date, name=name)
    apply_changes(day, fields, {"kind", "recurs_yearly"})
    if calendar.special_days.filter(date=date).exists():
        raise Conflict(f"{date} already has a special day in this calendar.")
    save_created(actor, day, action="calendar.special_day_added")
    hooks.terms_changed(calendar.client_id)
    return day


@transaction.atomic
def remove_special_day(*, actor: Actor, day: SpecialDay) -> None:
    require(actor, Perm.CALENDAR_MANAGE)
    client_id = day.calendar.client_id
    delete_audited(actor, day, action="calendar.special_day_removed")
    hooks.terms_changed(client_id)
