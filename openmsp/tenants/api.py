"""REST endpoints for clients, sites, contacts, contracts and business calendars.

Every operation is parse -> query or action -> render: objects come from `openmsp.tenants.queries`
(so another tenant's object is a 404), changes go through `openmsp.tenants.actions` (which check the
role, validate and audit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.accounts.roles import Perm
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    check_query_params,
    endpoint,
    fetch,
    fetch_ref,
    page,
    path_object,
    require_to_read,
    search,
)
from openmsp.core.errors import ValidationFailed
from openmsp.tenants import actions
from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import BusinessCalendar, Client, Contact, Contract, Site, SpecialDay
from openmsp.tenants.queries import (
    calendars_visible_to,
    clients_visible_to,
    contacts_visible_to,
    contracts_visible_to,
    sites_visible_to,
)
from openmsp.tenants.schemas import (
    AddMinutesOut,
    AddMinutesQuery,
    CalendarIn,
    CalendarOut,
    CalendarPage,
    CalendarPatch,
    CalendarQuery,
    ClientIn,
    ClientOut,
    ClientPage,
    ClientPatch,
    ClientQuery,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ContactQuery,
    ContractIn,
    ContractOut,
    ContractPage,
    ContractPatch,
    ContractQuery,
    PreviewOut,
    PreviewQuery,
    SiteIn,
    SiteOut,
    SitePage,
    SitePatch,
    SiteQuery,
    SpecialDayIn,
    SpecialDayOut,
    SpecialDayPage,
    SpecialDayQuery,
    WorkingMinutesOut,
    WorkingMinutesQuery,
)

router = Router()
T = TypeVar("T")

READ = (404,)
WRITE = (403, 404)


def _client(actor: Actor, client_id: int) -> Client:
    return fetch(clients_visible_to(actor), "client", pk=client_id)


def _special_day(actor: Actor, special_day_id: int) -> SpecialDay:
    # The calendar decides visibility: find the visible calendar holding this day, then the day.
    calendars = calendars_visible_to(actor).filter(special_days__pk=special_day_id)
    calendar = fetch(calendars, "special day")
    return fetch(calendar.special_days.all(), "special day", pk=special_day_id)


# 404 before 422: how to find the object each path parameter names (see apiutils.path_object).
path_object("client_id", _client)
path_object("site_id", lambda actor, pk: fetch(sites_visible_to(actor), "site", pk=pk))
path_object("contact_id", lambda actor, pk: fetch(contacts_visible_to(actor), "contact", pk=pk))
path_object("contract_id", lambda actor, pk: fetch(contracts_visible_to(actor), "contract", pk=pk))
path_object("calendar_id", lambda actor, pk: fetch(calendars_visible_to(actor), "calendar", pk=pk))
path_object("special_day_id", _special_day)


# --- Clients ------------------------------------------------------------------------------------


@endpoint(router, "GET", "/clients", "List clients", tag="clients", ok={200: ClientPage})
def list_clients(request: HttpRequest, query: Query[ClientQuery]) -> dict[str, Any]:
    """The clients you may see, filtered by `status` and by `q` (part of the name or code)."""
    qs = clients_visible_to(actor_from(request))
    if query.status:
        qs = qs.filter(status=query.status)
    return page(request, search(qs, query.q, ["name", "code"]), query)


@endpoint(router, "POST", "/clients", "Create a client", tag="clients", ok={201: ClientOut}, errors=(403, 409))  # fmt: skip
def create_client(request: HttpRequest, payload: ClientIn) -> Status[Client]:
    """Needs the client.manage permission (MSP owner or admin). A business-hours calendar
    (Mon-Fri 09:00-12:00 and 13:00-18:00) is created with it."""
    fields = changes_of(payload)
    name, code = fields.pop("name"), fields.pop("code")
    return Status(
        201, actions.create_client(actor=actor_from(request), name=name, code=code, **fields)
    )


@endpoint(router, "GET", "/clients/{client_id}", "Get a client", tag="clients", ok={200: ClientOut}, errors=READ)  # fmt: skip
def get_client(request: HttpRequest, client_id: int) -> Client:
    return _client(actor_from(request), client_id)


@endpoint(router, "PATCH", "/clients/{client_id}", "Change a client", tag="clients", ok={200: ClientOut}, errors=(*WRITE, 409))  # fmt: skip
def update_client(request: HttpRequest, client_id: int, payload: ClientPatch) -> Client:
    """Only the fields sent change. Needs client.manage."""
    actor = actor_from(request)
    client: Client = actions.update_client(
        actor=actor, client=_client(actor, client_id), changes=changes_of(payload)
    )
    return client


@endpoint(router, "DELETE", "/clients/{client_id}", "Delete a client", tag="clients", ok={204: None}, errors=(*WRITE, 409))  # fmt: skip
def delete_client(request: HttpRequest, client_id: int) -> Status[None]:
    """Only a client without contracts or users can be deleted (409 otherwise): set the status
    to offboarded instead. Needs client.manage."""
    actor = actor_from(request)
    actions.delete_client(actor=actor, client=_client(actor, client_id))
    return Status(204, None)


# --- Sites --------------------------------------------------------------------------------------


@endpoint(router, "GET", "/clients/{client_id}/sites", "List a client's sites", tag="sites", ok={200: SitePage}, errors=READ)  # fmt: skip
def list_sites(request: HttpRequest, client_id: int, query: Query[SiteQuery]) -> dict[str, Any]:
    actor = actor_from(request)
    client = _client(actor, client_id)
    qs = sites_visible_to(actor).filter(client=client)
    return page(request, search(qs, query.q, ["name", "address"]), query)


@endpoint(router, "POST", "/clients/{client_id}/sites", "Add a site", tag="sites", ok={201: SiteOut}, errors=(*WRITE, 409))  # fmt: skip
def create_site(request: HttpRequest, client_id: int, payload: SiteIn) -> Status[Site]:
    """Site names are unique per client. Needs site.manage (MSP staff, client admins)."""
    actor = actor_from(request)
    client = _client(actor, client_id)
    fields = changes_of(payload)
    site = actions.create_site(actor=actor, client=client, name=fields.pop("name"), **fields)
    return Status(201, site)


@endpoint(router, "GET", "/sites/{site_id}", "Get a site", tag="sites", ok={200: SiteOut}, errors=READ)  # fmt: skip
def get_site(request: HttpRequest, site_id: int) -> Site:
    return fetch(sites_visible_to(actor_from(request)), "site", pk=site_id)


@endpoint(router, "PATCH", "/sites/{site_id}", "Change a site", tag="sites", ok={200: SiteOut}, errors=(*WRITE, 409))  # fmt: skip
def update_site(request: HttpRequest, site_id: int, payload: SitePatch) -> Site:
    actor = actor_from(request)
    site: Site = actions.update_site(
        actor=actor,
        site=fetch(sites_visible_to(actor), "site", pk=site_id),
        changes=changes_of(payload),
    )
    return site


@endpoint(router, "DELETE", "/sites/{site_id}", "Delete a site", tag="sites", ok={204: None}, errors=WRITE)  # fmt: skip
def delete_site(request: HttpRequest, site_id: int) -> Status[None]:
    """Contacts at the site stay, without a site."""
    actor = actor_from(request)
    actions.delete_site(actor=actor, site=fetch(sites_visible_to(actor), "site", pk=site_id))
    return Status(204, None)


# --- Contacts -----------------------------------------------------------------------------------

_CONTACT_FIELDS = {"site": "site_id"}


def _contact_changes(actor: Actor, payload: ContactIn | ContactPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    if "site_id" in changes:
        site_id = changes.pop("site_id")
        changes["site"] = fetch_ref(sites_visible_to(actor), "site", "site_id", site_id)
    return changes


@endpoint(router, "GET", "/clients/{client_id}/contacts", "List a client's contacts", tag="contacts", ok={200: ContactPage}, errors=READ)  # fmt: skip
def list_contacts(
    request: HttpRequest, client_id: int, query: Query[ContactQuery]
) -> dict[str, Any]:
    actor = actor_from(request)
    qs = contacts_visible_to(actor).filter(client=_client(actor, client_id))
    if query.site_id is not None:
        qs = qs.filter(site_id=query.site_id)
    return page(request, search(qs, query.q, ["name", "email", "phone", "title"]), query)


@endpoint(router, "POST", "/clients/{client_id}/contacts", "Add a contact", tag="contacts", ok={201: ContactOut}, errors=WRITE)  # fmt: skip
def create_contact(request: HttpRequest, client_id: int, payload: ContactIn) -> Status[Contact]:
    """Needs contact.manage (MSP staff, client admins). `site_id` must be a site of the client."""
    actor = actor_from(request)
    client = _client(actor, client_id)
    fields = _contact_changes(actor, payload)
    with api_field_names(_CONTACT_FIELDS):
        contact = actions.create_contact(
            actor=actor, client=client, name=fields.pop("name"), **fields
        )
    return Status(201, contact)


@endpoint(router, "GET", "/contacts/{contact_id}", "Get a contact", tag="contacts", ok={200: ContactOut}, errors=READ)  # fmt: skip
def get_contact(request: HttpRequest, contact_id: int) -> Contact:
    return fetch(contacts_visible_to(actor_from(request)), "contact", pk=contact_id)


@endpoint(router, "PATCH", "/contacts/{contact_id}", "Change a contact", tag="contacts", ok={200: ContactOut}, errors=WRITE)  # fmt: skip
def update_contact(request: HttpRequest, contact_id: int, payload: ContactPatch) -> Contact:
    actor = actor_from(request)
    contact = fetch(contacts_visible_to(actor), "contact", pk=contact_id)
    changes = _contact_changes(actor, payload)
    with api_field_names(_CONTACT_FIELDS):
        return actions.update_contact(actor=actor, contact=contact, changes=changes)


@endpoint(router, "DELETE", "/contacts/{contact_id}", "Delete a contact", tag="contacts", ok={204: None}, errors=WRITE)  # fmt: skip
def delete_contact(request: HttpRequest, contact_id: int) -> Status[None]:
    actor = actor_from(request)
    contact = fetch(contacts_visible_to(actor), "contact", pk=contact_id)
    actions.delete_contact(actor=actor, contact=contact)
    return Status(204, None)


# --- Contracts ----------------------------------------------------------------------------------

_CONTRACT_FIELDS = {"calendar": "calendar_id"}


def _contracts(actor: Actor) -> QuerySet[Contract]:
    require_to_read(actor, Perm.CONTRACT_VIEW, "contracts")
    return contracts_visible_to(actor)


def _contract_changes(actor: Actor, payload: ContractIn | ContractPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    if "calendar_id" in changes:
        calendar_id = changes.pop("calendar_id")
        calendars = calendars_visible_to(actor)
        changes["calendar"] = fetch_ref(calendars, "calendar", "calendar_id", calendar_id)
    return changes


@endpoint(router, "GET", "/clients/{client_id}/contracts", "List a client's contracts", tag="contracts", ok={200: ContractPage}, errors=(403, 404))  # fmt: skip
def list_contracts(
    request: HttpRequest, client_id: int, query: Query[ContractQuery]
) -> dict[str, Any]:
    """Needs contract.view (MSP staff, client admins)."""
    actor = actor_from(request)
    qs = _contracts(actor).filter(client=_client(actor, client_id))
    if query.status is not None:
        qs = _with_status(qs, query.status)
    return page(request, search(qs, query.q, ["name", "reference"]), query)


def _with_status(qs: QuerySet[Contract], status: str) -> QuerySet[Contract]:
    today = timezone.localdate()
    if status == "upcoming":
        return qs.filter(start_date__gt=today)
    if status == "expired":
        return qs.filter(end_date__lt=today)
    return qs.filter(start_date__lte=today).exclude(end_date__lt=today)


@endpoint(router, "POST", "/clients/{client_id}/contracts", "Add a contract", tag="contracts", ok={201: ContractOut}, errors=WRITE)  # fmt: skip
def create_contract(request: HttpRequest, client_id: int, payload: ContractIn) -> Status[Contract]:
    """Needs contract.manage (MSP owner or admin). `sla_targets` sets one target per priority;
    business-hours support (`support_hours: calendar`) needs `calendar_id`, a calendar of this
    client or an MSP-wide one."""
    actor = actor_from(request)
    client = _client(actor, client_id)
    fields = _contract_changes(actor, payload)
    with api_field_names(_CONTRACT_FIELDS):
        contract = actions.create_contract(
            actor=actor,
            client=client,
            name=fields.pop("name"),
            start_date=fields.pop("start_date"),
            **fields,
        )
    return Status(201, fetch(contracts_visible_to(actor), "contract", pk=contract.pk))


@endpoint(router, "GET", "/contracts/{contract_id}", "Get a contract", tag="contracts", ok={200: ContractOut}, errors=(403, 404))  # fmt: skip
def get_contract(request: HttpRequest, contract_id: int) -> Contract:
    """Needs contract.view (MSP staff, client admins)."""
    return fetch(_contracts(actor_from(request)), "contract", pk=contract_id)


@endpoint(router, "PATCH", "/contracts/{contract_id}", "Change a contract", tag="contracts", ok={200: ContractOut}, errors=WRITE)  # fmt: skip
def update_contract(request: HttpRequest, contract_id: int, payload: ContractPatch) -> Contract:
    """Only the fields sent change; `sla_targets`, when sent, replaces all targets."""
    actor = actor_from(request)
    contract = fetch(_contracts(actor), "contract", pk=contract_id)
    changes = _contract_changes(actor, payload)
    with api_field_names(_CONTRACT_FIELDS):
        actions.update_contract(actor=actor, contract=contract, changes=changes)
    return fetch(contracts_visible_to(actor), "contract", pk=contract.pk)


@endpoint(router, "DELETE", "/contracts/{contract_id}", "Delete a contract", tag="contracts", ok={204: None}, errors=WRITE)  # fmt: skip
def delete_contract(request: HttpRequest, contract_id: int) -> Status[None]:
    actor = actor_from(request)
    contract = fetch(_contracts(actor), "contract", pk=contract_id)
    actions.delete_contract(actor=actor, contract=contract)
    return Status(204, None)


# --- Calendars ----------------------------------------------------------------------------------


def _calendar(actor: Actor, calendar_id: int) -> BusinessCalendar:
    return fetch(calendars_visible_to(actor), "calendar", pk=calendar_id)


def _calendar_changes(payload: CalendarIn | CalendarPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    changes.pop("client_id", None)
    for name in ("holiday_country", "holiday_subdivision"):
        if name in changes and changes[name] is None:
            changes[name] = ""  # stored as blank: no public holidays / no region
    if "intervals" in changes:
        changes["intervals"] = [i.as_tuple() for i in payload.intervals]
    return changes


@endpoint(router, "GET", "/calendars", "List business calendars", tag="calendars", ok={200: CalendarPage})  # fmt: skip
def list_calendars(request: HttpRequest, query: Query[CalendarQuery]) -> dict[str, Any]:
    """MSP-wide calendars (MSP staff only) and the calendars of the clients you may see."""
    qs = calendars_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    if query.msp_wide is not None:
        qs = qs.filter(client__isnull=query.msp_wide)
    return page(request, search(qs, query.q, ["name"]), query)


@endpoint(router, "POST", "/calendars", "Create a business calendar", tag="calendars", ok={201: CalendarOut}, errors=(403, 409))  # fmt: skip
def create_calendar(request: HttpRequest, payload: CalendarIn) -> Status[BusinessCalendar]:
    """Needs calendar.manage (MSP owner or admin). Without `client_id` the calendar is MSP-wide.
    Intervals on one weekday must not overlap; an interval cannot span midnight."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    fields = _calendar_changes(payload)
    calendar = actions.create_calendar(
        actor=actor, client=client, name=fields.pop("name"), **fields
    )
    return Status(201, _calendar(actor, calendar.pk))


@endpoint(router, "GET", "/calendars/{calendar_id}", "Get a business calendar", tag="calendars", ok={200: CalendarOut}, errors=READ)  # fmt: skip
def get_calendar(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    return _calendar(actor_from(request), calendar_id)


@endpoint(router, "PATCH", "/calendars/{calendar_id}", "Change a business calendar", tag="calendars", ok={200: CalendarOut}, errors=(*WRITE, 409))  # fmt: skip
def update_calendar(
    request: HttpRequest, calendar_id: int, payload: CalendarPatch
) -> BusinessCalendar:
    """Only the fields sent change; `intervals`, when sent, replaces all intervals."""
    actor = actor_from(request)
    calendar = _calendar(actor, calendar_id)
    actions.update_calendar(actor=actor, calendar=calendar, changes=_calendar_changes(payload))
    return _calendar(actor, calendar_id)


@endpoint(router, "DELETE", "/calendars/{calendar_id}", "Delete a business calendar", tag="calendars", ok={204: None}, errors=(*WRITE, 409))  # fmt: skip
def delete_calendar(request: HttpRequest, calendar_id: int) -> Status[None]:
    """A calendar that contracts use cannot be deleted (409)."""
    actor = actor_from(request)
    actions.delete_calendar(actor=actor, calendar=_calendar(actor, calendar_id))
    return Status(204, None)


@endpoint(router, "GET", "/calendars/{calendar_id}/special-days", "List a calendar's special days", tag="calendars", ok={200: SpecialDayPage}, errors=READ)  # fmt: skip
def list_special_days(
    request: HttpRequest, calendar_id: int, query: Query[SpecialDayQuery]
) -> dict[str, Any]:
    """Client-specific closed days and extra working days (public holidays are not listed).
    `since`/`until` compare the stored date (a yearly day is stored with its first year)."""
    calendar = _calendar(actor_from(request), calendar_id)
    qs = calendar.special_days.all()
    if query.kind is not None:
        qs = qs.filter(kind=query.kind)
    if query.since is not None:
        qs = qs.filter(date__gte=query.since)
    if query.until is not None:
        qs = qs.filter(date__lte=query.until)
    return page(request, qs, query)


@endpoint(router, "POST", "/calendars/{calendar_id}/special-days", "Add a special day", tag="calendars", ok={201: SpecialDayOut}, errors=(*WRITE, 409))  # fmt: skip
def add_special_day(
    request: HttpRequest, calendar_id: int, payload: SpecialDayIn
) -> Status[SpecialDay]:
    """One special day per date and calendar (409 for a second). Needs calendar.manage."""
    actor = actor_from(request)
    calendar = _calendar(actor, calendar_id)
    fields = changes_of(payload)
    day = actions.add_special_day(
        actor=actor, calendar=calendar, date=fields.pop("date"), name=fields.pop("name"), **fields
    )
    return Status(201, day)


@endpoint(router, "DELETE", "/special-days/{special_day_id}", "Remove a special day", tag="calendars", ok={204: None}, errors=WRITE)  # fmt: skip
def remove_special_day(request: HttpRequest, special_day_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.remove_special_day(actor=actor, day=_special_day(actor, special_day_id))
    return Status(204, None)


# --- Working-time arithmetic --------------------------------------------------------------------

# The calendar module names its arguments; the API's query parameters have other names.
_ARGUMENTS = {"after": "start", "a": "start", "b": "end", "seconds": "minutes"}
MAX_SPAN = dt.timedelta(days=20 * 366)
MAX_YEARS = 20


def _arithmetic(fn: Callable[[], T]) -> T:
    """Run calendar arithmetic; its refusals become 422 naming the query parameter."""
    try:
        return fn()
    except workcal.CalendarError as exc:
        field = _ARGUMENTS.get(exc.field or "", exc.field)
        raise ValidationFailed(exc.message, field=field) from None
    except OverflowError:
        raise ValidationFailed(
            "The working time runs outside the years 1 to 9999; choose another start.",
            field="start",
        ) from None


def _local(instant: dt.datetime, calendar: BusinessCalendar) -> dt.datetime:
    return _arithmetic(lambda: instant.astimezone(ZoneInfo(calendar.time_zone)))


@endpoint(router, "GET", "/calendars/{calendar_id}/preview", "Preview working periods", tag="calendars", ok={200: PreviewOut}, errors=READ)  # fmt: skip
def preview_calendar(
    request: HttpRequest, calendar_id: int, query: Query[PreviewQuery]
) -> dict[str, Any]:
    """The next `count` working periods from `start` (default now), holidays and special days
    applied; a period that is running at `start` begins at `start`."""
    check_query_params(request, PreviewQuery)
    calendar = _calendar(actor_from(request), calendar_id)
    spec = calendar.to_spec()
    start = query.start or timezone.now()
    periods = _arithmetic(lambda: workcal.next_working_periods(spec, start, query.count))
    return {
        "calendar_id": calendar.pk,
        "time_zone": calendar.time_zone,
        "periods": [
            {
                "start": a,
                "end": b,
                "local_start": _local(a, calendar),
                "local_end": _local(b, calendar),
            }
            for a, b in periods
        ],
    }


@endpoint(router, "GET", "/calendars/{calendar_id}/working-minutes", "Working minutes between two instants", tag="calendars", ok={200: WorkingMinutesOut}, errors=READ)  # fmt: skip
def working_minutes(
    request: HttpRequest, calendar_id: int, query: Query[WorkingMinutesQuery]
) -> dict[str, Any]:
    """Whole working minutes in [start, end]. `end` may not be before `start` (a swapped pair is
    a mistake, not zero minutes); the span is at most 20 years."""
    check_query_params(request, WorkingMinutesQuery)
    calendar = _calendar(actor_from(request), calendar_id)
    if query.end < query.start:
        raise ValidationFailed("end must not be before start.", field="end")
    if query.end - query.start > MAX_SPAN:
        raise ValidationFailed("end must be at most 20 years after start.", field="end")
    spec = calendar.to_spec()
    minutes = _arithmetic(lambda: workcal.working_minutes_between(spec, query.start, query.end))
    return {"start": query.start, "end": query.end, "minutes": minutes}


def _weekly_minutes(spec: workcal.CalendarSpec) -> int:
    if spec.always_open:
        return 7 * 1440
    return sum(max(0, i.end_minute - i.start_minute) for i in spec.intervals)


@endpoint(router, "GET", "/calendars/{calendar_id}/add-minutes", "When N working minutes have passed", tag="calendars", ok={200: AddMinutesOut}, errors=READ)  # fmt: skip
def add_minutes(
    request: HttpRequest, calendar_id: int, query: Query[AddMinutesQuery]
) -> dict[str, Any]:
    """The earliest instant by which `minutes` working minutes have passed since `start` (an SLA
    deadline). At most about 20 years of the calendar's working time."""
    check_query_params(request, AddMinutesQuery)
    calendar = _calendar(actor_from(request), calendar_id)
    spec = calendar.to_spec()
    limit = _weekly_minutes(spec) * 52 * MAX_YEARS
    if query.minutes > limit:
        raise ValidationFailed(
            f"minutes must be at most {limit} (about {MAX_YEARS} years of this calendar's "
            "working time).",
            field="minutes",
        )
    end = _arithmetic(lambda: workcal.add_working_minutes(spec, query.start, query.minutes))
    return {
        "start": query.start,
        "minutes": query.minutes,
        "end": end,
        "local_end": _local(end, calendar),
    }
