"""HTML pages for clients and what the MSP records about them: sites, contacts, contracts and
business calendars.

Thin by design: every read goes through openmsp.tenants.queries (objects another tenant owns
answer 404), every write through openmsp.tenants.actions; an action's ValidationFailed lands on
the form field it names. The client page is one frame with tabs that htmx loads; inline forms
live in the tab's form slot and fall back to whole pages without JavaScript.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core.errors import Conflict, NotFound, ValidationFailed
from openmsp.tenants import actions, forms, queries
from openmsp.tenants import calendar as workcal
from openmsp.tenants.models import (
    SERVICE_CATALOGUE,
    BusinessCalendar,
    Client,
    Contract,
    SpecialDay,
)
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, htmx_swap, is_htmx, page, require_perm

PAGE_SIZE = 25
CLIENT_SORTS = {
    "name": "name",
    "code": "code",
    "status": "status",
    "sites": "site_count",
    "contracts": "contract_count",
    "created": "created_at",
}
INLINE_TABS = {"sites", "contacts"}
GET_POST = require_http_methods(["GET", "POST"])


# --- Fetching -------------------------------------------------------------------------------


def _client(request: HttpRequest, client_id: int) -> Client:
    actor = actor_of(request)
    return queries.get_visible(actor, queries.clients_visible_to(actor), field="pk", pk=client_id)


def _one(qs: QuerySet[Any], **lookup: Any) -> Any:
    """One row of an already-scoped queryset, or the 404 page."""
    try:
        return qs.get(**lookup)
    except qs.model.DoesNotExist:
        raise Http404 from None


def _count(rows: QuerySet[Any]) -> Coalesce:
    """Per-client row count as a correlated subquery (one query for the whole list)."""
    counted = rows.filter(client=OuterRef("pk")).order_by().values("client")
    return Coalesce(
        Subquery(counted.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()), 0
    )


# --- Client list and forms --------------------------------------------------------------------


@require_GET
@page
def client_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    clients = queries.clients_visible_to(actor)
    q = request.GET.get("q", "").strip()
    if q:
        clients = clients.filter(
            Q(name__icontains=q)
            | Q(code__icontains=q)
            | Q(legal_name__icontains=q)
            | Q(business_number__icontains=q)
        )
    status = request.GET.get("status", "")
    if status in Client.Status.values:
        clients = clients.filter(status=status)
    clients = clients.annotate(
        site_count=_count(queries.sites_visible_to(actor)),
        contract_count=_count(queries.contracts_visible_to(actor)),
    )
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in CLIENT_SORTS:
        sort = "name"
    order = CLIENT_SORTS[sort.lstrip("-")]
    clients = clients.order_by(f"-{order}" if sort.startswith("-") else order, "pk")
    page_obj = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "tenants/client_list.html",
        {
            "page_obj": page_obj,
            "q": q,
            "status": status,
            "statuses": Client.Status.choices,
            "default_sort": "name",
        },
    )


@require_GET
@page
def client_switch(request: HttpRequest) -> HttpResponse:
    try:
        client = _client(request, int(request.GET.get("client", "")))
    except (ValueError, NotFound):
        return redirect("client_list")
    return redirect("client_detail", client.pk)


@GET_POST
@page
def client_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.CLIENT_MANAGE)
    form = forms.ClientForm(
        request.POST or None, initial={"status": "active", "time_zone": "Asia/Seoul"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            client = actions.create_client(actor=actor_of(request), **form.changes())
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Client “%(name)s” created.") % {"name": client.name})
            return redirect("client_detail", client.pk)
    return render(
        request,
        "tenants/client_form.html",
        {"form": form, "title": _("New client")},
        status=422 if form.errors else 200,
    )


@GET_POST
@page
def client_edit(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    require_perm(request, Perm.CLIENT_MANAGE)
    initial = {name: getattr(client, name) for name in forms.ClientForm.model_fields}
    form = forms.ClientForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_client(actor=actor_of(request), client=client, changes=form.changes())
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Client saved."))
            return redirect("client_detail", client.pk)
    return render(
        request,
        "tenants/client_form.html",
        {"form": form, "client": client, "current_client": client, "title": _("Edit client")},
        status=422 if form.errors else 200,
    )


@require_POST
@page
def client_delete(request: HttpRequest, client_id: int) -> HttpResponse:
    client = _client(request, client_id)
    try:
        actions.delete_client(actor=actor_of(request), client=client)
    except Conflict as exc:
        messages.error(request, _(exc.message))
        return redirect("client_detail", client.pk)
    messages.success(request, _("Client “%(name)s” deleted.") % {"name": client.name})
    return redirect("client_list")


# --- Client detail and its tabs ---------------------------------------------------------------


def _tabs(request: HttpRequest, client: Client) -> list[tuple[str, str, str]]:
    user: Any = request.user
    tabs = [
        ("overview", _("Overview"), reverse("client_detail", args=[client.pk])),
        ("sites", _("Sites"), reverse("client_sites", args=[client.pk])),
        ("contacts", _("Contacts"), reverse("client_contacts", args=[client.pk])),
    ]
    if user.has_perm_to(Perm.CONTRACT_VIEW):
        tabs.append(("contracts", _("Contracts"), reverse("client_contracts", args=[client.pk])))
    tabs.append(("calendars", _("Calendars"), reverse("client_calendars", args=[client.pk])))
    return tabs


def _tab_context(request: HttpRequest, client: Client, tab: str) -> dict[str, Any]:
    actor = actor_of(request)
    if tab == "sites":
        return {"sites": queries.sites_visible_to(actor).filter(client=client)}
    if tab == "contacts":
        return {"contacts": queries.contacts_visible_to(actor).filter(client=client)}
    if tab == "contracts":
        require_perm(request, Perm.CONTRACT_VIEW)
        return {"contracts": queries.contracts_visible_to(actor).filter(client=client)}
    if tab == "calendars":
        calendars = queries.calendars_visible_to(actor).filter(
            Q(client=client) | Q(client__isnull=True)
        )
        return {"calendars": calendars.order_by("client_id", "name")}
    contracts = queries.contracts_visible_to(actor).filter(client=client)
    return {
        "primary_contacts": queries.contacts_visible_to(actor).filter(
            client=client, is_primary=True
        ),
        "site_count": queries.sites_visible_to(actor).filter(client=client).count(),
        "contact_count": queries.contacts_visible_to(actor).filter(client=client).count(),
        "contracts": contracts if request.user.has_perm_to(Perm.CONTRACT_VIEW) else None,  # type: ignore[union-attr]
    }


def _client_page(
    request: HttpRequest,
    client: Client,
    tab: str,
    *,
    slot: str = "",
    status: int = 200,
    note: str = "",
) -> HttpResponse:
    context = {
        "client": client,
        "current_client": client,
        "tab": tab,
        "tabs": _tabs(request, client),
        "tab_template": f"tenants/tabs/{tab}.html",
        "slot": slot,
        "note": note,
        **_tab_context(request, client, tab),
    }
    if is_htmx(request):
        return render(request, context["tab_template"], context, status=status)
    return render(request, "tenants/client_detail.html", context, status=status)


@require_GET
@page
def client_detail(request: HttpRequest, client_id: int, tab: str = "overview") -> HttpResponse:
    return _client_page(request, _client(request, client_id), tab)


def _tab_done(request: HttpRequest, client: Client, tab: str, note: str) -> HttpResponse:
    """After an inline change: htmx gets the refreshed tab, a plain browser a redirect."""
    if is_htmx(request):
        return htmx_swap(_client_page(request, client, tab, note=note), "#tab-panel")
    messages.success(request, note)
    return redirect(f"client_{tab}", client.pk)


def _inline_form(
    request: HttpRequest, client: Client, tab: str, form: Any, title: str, save: Any, done: str
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            return _tab_done(request, client, tab, done)
    status = 422 if form.errors else 200
    slot = render_to_string(
        "tenants/includes/inline_form.html",
        {"form": form, "title": title, "action": request.path, "client": client, "tab": tab},
        request,
    )
    if is_htmx(request):
        return HttpResponse(slot, status=status)
    return _client_page(request, client, tab, slot=slot, status=status)


@GET_POST
@page
def site_form(request: HttpRequest, client_id: int, site_id: int | None = None) -> HttpResponse:
    client = _client(request, client_id)
    actor = actor_of(request)
    require_perm(request, Perm.SITE_MANAGE)
    if site_id is None:
        form = forms.SiteForm(request.POST or None, initial={"time_zone": client.time_zone})
        return _inline_form(
            request, client, "sites", form, _("New site"),
            lambda f: actions.create_site(actor=actor, client=client, **f.changes()),
            _("Site added."),
        )  # fmt: skip
    site = _one(queries.sites_visible_to(actor), pk=site_id, client=client)
    initial = {name: getattr(site, name) for name in forms.SiteForm.model_fields}
    form = forms.SiteForm(request.POST or None, initial=initial)
    return _inline_form(
        request, client, "sites", form, _("Edit site"),
        lambda f: actions.update_site(actor=actor, site=site, changes=f.changes()),
        _("Site saved."),
    )  # fmt: skip


@require_POST
@page
def site_delete(request: HttpRequest, client_id: int, site_id: int) -> HttpResponse:
    client = _client(request, client_id)
    actor = actor_of(request)
    site = _one(queries.sites_visible_to(actor), pk=site_id, client=client)
    actions.delete_site(actor=actor, site=site)
    return _tab_done(request, client, "sites", _("Site “%(name)s” deleted.") % {"name": site.name})


@GET_POST
@page
def contact_form(
    request: HttpRequest, client_id: int, contact_id: int | None = None
) -> HttpResponse:
    client = _client(request, client_id)
    actor = actor_of(request)
    require_perm(request, Perm.CONTACT_MANAGE)
    sites = queries.sites_visible_to(actor).filter(client=client)
    if contact_id is None:
        form = forms.ContactForm(
            request.POST or None, sites=sites, initial={"language": client.language}
        )
        return _inline_form(
            request, client, "contacts", form, _("New contact"),
            lambda f: actions.create_contact(actor=actor, client=client, **f.changes()),
            _("Contact added."),
        )  # fmt: skip
    contact = _one(queries.contacts_visible_to(actor), pk=contact_id, client=client)
    initial = {name: getattr(contact, name) for name in forms.ContactForm.model_fields}
    form = forms.ContactForm(request.POST or None, sites=sites, initial=initial)
    return _inline_form(
        request, client, "contacts", form, _("Edit contact"),
        lambda f: actions.update_contact(actor=actor, contact=contact, changes=f.changes()),
        _("Contact saved."),
    )  # fmt: skip


@require_POST
@page
def contact_delete(request: HttpRequest, client_id: int, contact_id: int) -> HttpResponse:
    client = _client(request, client_id)
    actor = actor_of(request)
    contact = _one(queries.contacts_visible_to(actor), pk=contact_id, client=client)
    actions.delete_contact(actor=actor, contact=contact)
    note = _("Contact “%(name)s” deleted.") % {"name": contact.name}
    return _tab_done(request, client, "contacts", note)


# --- Contracts --------------------------------------------------------------------------------


def _contract(request: HttpRequest, client: Client, contract_id: int) -> Contract:
    require_perm(request, Perm.CONTRACT_VIEW)
    contract: Contract = _one(
        queries.contracts_visible_to(actor_of(request)), pk=contract_id, client=client
    )
    return contract


@require_GET
@page
def contract_detail(request: HttpRequest, client_id: int, contract_id: int) -> HttpResponse:
    client = _client(request, client_id)
    contract = _contract(request, client, contract_id)
    return render(
        request,
        "tenants/contract_detail.html",
        {
            "client": client,
            "current_client": client,
            "contract": contract,
            "services": [SERVICE_CATALOGUE.get(code, code) for code in contract.services],
        },
    )


def _contract_initial(
    client: Client, contract: Contract | None, calendars: QuerySet[Any]
) -> dict[str, Any]:
    if contract is not None:
        return {name: getattr(contract, name) for name in forms.ContractForm.model_fields}
    own = [c for c in calendars if c.client_id == client.pk]
    return {
        "start_date": timezone.localdate(),
        "calendar": own[0] if own else None,
        "services": ["monitoring", "service_desk"],
        "currency": "KRW",
        "report_recipients": [],
    }


@GET_POST
@page
def contract_form(
    request: HttpRequest, client_id: int, contract_id: int | None = None
) -> HttpResponse:
    client = _client(request, client_id)
    actor = actor_of(request)
    contract = _contract(request, client, contract_id) if contract_id is not None else None
    require_perm(request, Perm.CONTRACT_MANAGE)
    calendars = queries.calendars_visible_to(actor).filter(
        Q(client=client) | Q(client__isnull=True)
    )
    data = request.POST or None
    form = forms.ContractForm(
        data, calendars=calendars, initial=_contract_initial(client, contract, calendars)
    )
    sla = forms.sla_formset(data, contract)
    sla_error = ""
    if request.method == "POST" and form.is_valid() and sla.is_valid():
        targets = [t for f in sla.forms if (t := f.target()) is not None]
        try:
            if contract is None:
                contract = actions.create_contract(
                    actor=actor, client=client, sla_targets=targets, **form.changes()
                )
            else:
                changes = form.changes() | {"sla_targets": targets}
                actions.update_contract(actor=actor, contract=contract, changes=changes)
        except (ValidationFailed, Conflict) as exc:
            if exc.field == "sla_targets":
                sla_error = _(exc.message)
            else:
                apply_error(form, exc)
        else:
            messages.success(request, _("Contract “%(name)s” saved.") % {"name": contract.name})
            return redirect("contract_detail", client.pk, contract.pk)
    invalid = bool(form.errors or sla_error or (sla.is_bound and not sla.is_valid()))
    return render(
        request,
        "tenants/contract_form.html",
        {
            "client": client,
            "current_client": client,
            "contract": contract,
            "form": form,
            "sla": sla,
            "sla_error": sla_error,
            "title": _("Edit contract") if contract else _("New contract"),
        },
        status=422 if invalid else 200,
    )


@require_POST
@page
def contract_delete(request: HttpRequest, client_id: int, contract_id: int) -> HttpResponse:
    client = _client(request, client_id)
    contract = _contract(request, client, contract_id)
    actions.delete_contract(actor=actor_of(request), contract=contract)
    messages.success(request, _("Contract “%(name)s” deleted.") % {"name": contract.name})
    return redirect("client_contracts", client.pk)


# --- Calendars --------------------------------------------------------------------------------


def _calendar(request: HttpRequest, calendar_id: int) -> BusinessCalendar:
    calendar: BusinessCalendar = _one(
        queries.calendars_visible_to(actor_of(request)), pk=calendar_id
    )
    return calendar


def _calendar_back(calendar: BusinessCalendar) -> str:
    if calendar.client_id is None:
        return reverse("calendar_list")
    return reverse("client_calendars", args=[calendar.client_id])


@require_GET
@page
def calendar_list(request: HttpRequest) -> HttpResponse:
    calendars = queries.calendars_visible_to(actor_of(request)).order_by("client__name", "name")
    page_obj = Paginator(calendars, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tenants/calendar_list.html", {"page_obj": page_obj})


def _preview(calendar: BusinessCalendar) -> dict[str, Any]:
    """The next working periods and the coming year's holidays, or the reason there are none."""
    spec = calendar.to_spec()
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(calendar.time_zone)).date()
    try:
        periods = workcal.next_working_periods(spec, timezone.now(), 10)
        holidays = workcal.holidays_between(
            spec, today, today + dt.timedelta(days=365), translation.get_language() or "ko"
        )
    except workcal.CalendarError as exc:
        return {"preview_error": exc.message}
    return {
        "periods": [
            {"start": s, "end": e, "minutes": (e - s) // dt.timedelta(minutes=1)}
            for s, e in periods
        ],
        "holidays": _name_special_days(calendar, holidays),
        "compute_form": forms.WorkingTimeForm(),
    }


def _name_special_days(
    calendar: BusinessCalendar, holidays: list[tuple[dt.date, str]]
) -> list[tuple[dt.date, str]]:
    """The pure calendar knows a client's closed days only as dates ("Closed"); the list shows
    the name the MSP gave them (창립기념일, a one-off 임시공휴일). Public holiday names win."""
    if not holidays:
        return holidays
    years = range(holidays[0][0].year, holidays[-1][0].year + 1)
    names = {
        date: day.name
        for day in calendar.special_days.filter(kind=SpecialDay.Kind.CLOSED)
        for date in day.occurrences(years)
    }
    generic = set(workcal.CLOSED_DATE_NAMES.values())
    return [(date, names.get(date, name) if name in generic else name) for date, name in holidays]


@require_GET
@page
def calendar_detail(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = _calendar(request, calendar_id)
    by_day: list[list[Any]] = [[] for _day in range(7)]
    for interval in calendar.intervals.all():
        by_day[interval.weekday].append(interval)
    context = {
        "calendar": calendar,
        "client": calendar.client,
        "current_client": calendar.client,
        "week": list(enumerate(by_day)),
        "special_days": calendar.special_days.all(),
        "back": _calendar_back(calendar),
        "contract_count": calendar.contracts.count(),
        **_preview(calendar),
    }
    return render(request, "tenants/calendar_detail.html", context)


def _calendar_form_page(
    request: HttpRequest, calendar: BusinessCalendar | None, client: Client | None
) -> HttpResponse:
    actor = actor_of(request)
    require_perm(request, Perm.CALENDAR_MANAGE)
    if calendar is not None:
        initial = {name: getattr(calendar, name) for name in forms.CalendarForm.model_fields}
        rows = [(i.weekday, i.start_minute, i.end_minute) for i in calendar.intervals.all()]
    else:
        zone = client.time_zone if client else "Asia/Seoul"
        initial = {"time_zone": zone, "holiday_country": "KR"}
        rows = [(d, s, e) for d in range(5) for s, e in actions.STANDARD_HOURS]
    data = request.POST or None
    form = forms.CalendarForm(data, initial=initial)
    intervals = forms.interval_formset(data, rows)
    intervals_error = ""
    if request.method == "POST" and form.is_valid() and intervals.is_valid():
        fields = form.changes()
        try:
            if calendar is None:
                calendar = actions.create_calendar(
                    actor=actor, client=client, intervals=forms.intervals_of(intervals), **fields
                )
            else:
                changes = fields | {"intervals": forms.intervals_of(intervals)}
                actions.update_calendar(actor=actor, calendar=calendar, changes=changes)
        except (ValidationFailed, Conflict) as exc:
            if exc.field == "intervals":
                intervals_error = _(exc.message)
            else:
                apply_error(form, exc)
        else:
            messages.success(request, _("Calendar “%(name)s” saved.") % {"name": calendar.name})
            return redirect("calendar_detail", calendar.pk)
    invalid = bool(
        form.errors or intervals_error or (intervals.is_bound and not intervals.is_valid())
    )
    owner = calendar.client if calendar is not None else client
    return render(
        request,
        "tenants/calendar_form.html",
        {
            "calendar": calendar,
            "client": owner,
            "current_client": owner,
            "form": form,
            "intervals": intervals,
            "intervals_error": intervals_error,
            "title": _("Edit calendar") if calendar else _("New business calendar"),
        },
        status=422 if invalid else 200,
    )


@GET_POST
@page
def calendar_create(request: HttpRequest, client_id: int | None = None) -> HttpResponse:
    client = _client(request, client_id) if client_id is not None else None
    return _calendar_form_page(request, None, client)


@GET_POST
@page
def calendar_edit(request: HttpRequest, calendar_id: int) -> HttpResponse:
    return _calendar_form_page(request, _calendar(request, calendar_id), None)


@require_POST
@page
def calendar_delete(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = _calendar(request, calendar_id)
    try:
        actions.delete_calendar(actor=actor_of(request), calendar=calendar)
    except Conflict as exc:
        messages.error(request, _(exc.message))
        return redirect("calendar_detail", calendar.pk)
    messages.success(request, _("Calendar “%(name)s” deleted.") % {"name": calendar.name})
    return redirect(_calendar_back(calendar))


@require_GET
@page
def calendar_compute(request: HttpRequest, calendar_id: int) -> HttpResponse:
    """The preview's calculator: working minutes between A and B, or A plus N working minutes."""
    calendar = _calendar(request, calendar_id)
    form = forms.WorkingTimeForm(request.GET)
    result: dict[str, Any] = {}
    if form.is_valid():
        spec, data = calendar.to_spec(), form.cleaned_data
        try:
            if data["operation"] == "between":
                result["minutes"] = workcal.working_minutes_between(
                    spec, data["start"], data["end"]
                )
            else:
                result["due"] = workcal.add_working_minutes(spec, data["start"], data["minutes"])
        except workcal.CalendarError as exc:
            form.add_error(None, exc.message)
    template = "tenants/includes/compute_result.html"
    context = {"form": form, "result": result, "data": form.cleaned_data if form.is_valid() else {}}
    if is_htmx(request):
        return render(request, template, context, status=200 if form.is_valid() else 422)
    return render(request, "tenants/calendar_compute.html", {"calendar": calendar, **context})


def _special_days_panel(
    request: HttpRequest, calendar: BusinessCalendar, note: str = ""
) -> HttpResponse:
    fresh = _calendar(request, calendar.pk)
    context = {"calendar": fresh, "special_days": fresh.special_days.all(), "note": note}
    return htmx_swap(
        render(request, "tenants/includes/special_days.html", context), "#special-days", "outerHTML"
    )


@GET_POST
@page
def special_day_create(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = _calendar(request, calendar_id)
    require_perm(request, Perm.CALENDAR_MANAGE)
    form = forms.SpecialDayForm(request.POST or None, initial={"kind": "closed"})
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_special_day(actor=actor_of(request), calendar=calendar, **form.changes())
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            note = _("Special day added.")
            if is_htmx(request):
                return _special_days_panel(request, calendar, note)
            messages.success(request, note)
            return redirect("calendar_detail", calendar.pk)
    context = {
        "form": form,
        "title": _("New special day"),
        "action": request.path,
        "calendar": calendar,
    }
    status = 422 if form.errors else 200
    if is_htmx(request):
        return render(request, "tenants/includes/inline_form.html", context, status=status)
    return render(request, "tenants/special_day_form.html", context, status=status)


@require_POST
@page
def special_day_delete(request: HttpRequest, calendar_id: int, special_day_id: int) -> HttpResponse:
    calendar = _calendar(request, calendar_id)
    day = _one(calendar.special_days.all(), pk=special_day_id)
    actions.remove_special_day(actor=actor_of(request), day=day)
    note = _("Special day removed.")
    if is_htmx(request):
        return _special_days_panel(request, calendar, note)
    messages.success(request, note)
    return redirect("calendar_detail", calendar.pk)
