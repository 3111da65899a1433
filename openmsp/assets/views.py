"""HTML pages of the fleet: the asset list, one host with its tabs, manual asset forms, and the
JSON the host's metric charts load.

Thin by design: assets are fetched through openmsp.assets.queries (another client's asset is a
404), changed through openmsp.assets.actions, and time series read with openmsp.metrics.queries.
The host page is one frame whose tabs htmx loads (each tab has its own URL and works as a whole
page without JavaScript). Enrollment tokens, agents and the command runner are in
openmsp.agent_api.views_ui and share this frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.agent_api.models import Agent
from openmsp.agent_api.queries import may_read
from openmsp.assets import actions, forms, queries
from openmsp.assets.models import Asset
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.metrics.ingest import labels_key
from openmsp.metrics.models import Sample, Series
from openmsp.metrics.queries import series_data
from openmsp.tenants.queries import clients_visible_to, sites_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, is_htmx, page, require_perm, viewer_zone

PAGE_SIZE = 25
GET_POST = require_http_methods(["GET", "POST"])
_CRITICALITY_RANK = Case(
    *(When(criticality=value, then=Value(rank)) for rank, value in enumerate(Asset.Criticality)),
    output_field=IntegerField(),
)
ASSET_SORTS: dict[str, Any] = {
    "name": F("name"),
    "client": F("client__name"),
    "status": F("status"),
    "os": F("os_name"),
    "last_seen": F("last_seen_at"),
    "role": F("role"),
    "criticality": _CRITICALITY_RANK,
}


# --- Fetching ---------------------------------------------------------------------------------


def get_asset(request: HttpRequest, asset_id: int) -> Asset:
    return queries.get_asset(actor_of(request), asset_id)


def agent_of(asset: Asset) -> Agent | None:
    """The asset's agent (loaded with the asset by assets_visible_to), or None for a manual one."""
    try:
        return asset.agent
    except Agent.DoesNotExist:
        return None


def just_now() -> dt.datetime:
    """Times after this are shown as "just now" rather than "0 minutes ago"."""
    return timezone.now() - dt.timedelta(minutes=1)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- Latest values at a glance ----------------------------------------------------------------

GLANCE_FRESH = dt.timedelta(hours=1)  # older values say nothing about the host now
_GLANCE_SERIES = Q(name="cpu.percent", labels_key=labels_key({"cpu": "total"})) | Q(
    name__in=["mem.used_percent", "disk.used_percent"]
)


def latest_glance(asset_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """CPU %, memory % and the fullest disk's % of each asset: ONE query for a whole page.

    The assets were fetched through openmsp.assets.queries, so visibility is settled; the newest
    sample of each series is a correlated subquery that walks the (series_id, t) index backwards.
    (Belongs in openmsp.metrics.queries as `latest_values`; see docs/fleet-ui.md.)
    """
    ids = list(asset_ids)
    if not ids:
        return {}
    newest = Sample.objects.filter(
        series=OuterRef("pk"), t__gte=timezone.now() - GLANCE_FRESH
    ).order_by("-t")
    rows = (
        Series.objects.filter(_GLANCE_SERIES, asset_id__in=ids)
        .annotate(latest=Subquery(newest.values("v")[:1]))
        .order_by()
        .values_list("asset_id", "name", "labels", "latest")
    )
    out: dict[int, dict[str, Any]] = {}
    for asset_id, name, labels, value in rows:
        if value is None:
            continue
        glance = out.setdefault(asset_id, {})
        if name == "cpu.percent":
            glance["cpu"] = value
        elif name == "mem.used_percent":
            glance["mem"] = value
        elif value >= glance.get("disk", -1.0):
            glance["disk"], glance["disk_mount"] = value, (labels or {}).get("mount", "")
    return out


# --- The list ---------------------------------------------------------------------------------


def _filters(request: HttpRequest) -> queries.AssetFilters:
    get = request.GET
    choice = {
        "status": Asset.Status.values,
        "role": Asset.Role.values,
        "kind": Asset.Kind.values,
        "criticality": Asset.Criticality.values,
    }
    return queries.AssetFilters(
        client_id=_int(get.get("client")),
        site_id=_int(get.get("site")),
        os=get.get("os", "").strip() or None,
        tag=get.get("tag", "").strip() or None,
        q=get.get("q", "").strip() or None,
        **{
            name: get.get(name) if get.get(name) in allowed else None
            for name, allowed in choice.items()
        },
    )


def _sorted(assets: QuerySet[Asset], sort: str) -> tuple[QuerySet[Asset], str]:
    key = sort.lstrip("-")
    if key not in ASSET_SORTS:
        sort, key = "name", "name"
    expression = ASSET_SORTS[key]
    ordered = (
        expression.desc(nulls_last=True)
        if sort.startswith("-")
        else expression.asc(nulls_last=True)
    )
    return assets.order_by(ordered, "name", "pk"), sort


@require_GET
@page
def asset_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    filters = _filters(request)
    visible = queries.assets_visible_to(actor)
    assets, sort = _sorted(queries.filter_assets(visible, filters), request.GET.get("sort", "name"))
    page_obj = Paginator(assets, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    glance = latest_glance(a.pk for a in rows)
    clients = clients_visible_to(actor).only("pk", "name").order_by("name")
    client = next((c for c in clients if c.pk == filters.client_id), None)
    sites = sites_visible_to(actor).order_by("client__name", "name")
    if filters.client_id is not None:
        sites = sites.filter(client_id=filters.client_id)
    context = {
        "page_obj": page_obj,
        "rows": [(a, glance.get(a.pk, {})) for a in rows],
        "filters": filters,
        "filtered": any(
            getattr(filters, f) is not None for f in ("site_id", "status", "role", "os", "tag", "q")
        ),
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "sites": sites,
        "tags": queries.tags_in_use(actor, client_id=filters.client_id),
        "os_names": visible.order_by("os_name").values_list("os_name", flat=True).distinct(),
        "statuses": Asset.Status.choices,
        "roles": Asset.Role.choices,
        "sort": sort,
        "default_sort": "name",
        "show_client": user.is_msp_staff and filters.client_id is None,
        "just_now": just_now(),
    }
    return render(request, "assets/asset_list.html", context)


# --- Manual assets ----------------------------------------------------------------------------


def _asset_form_page(
    request: HttpRequest, form: forms.AssetForm, asset: Asset | None, title: str
) -> HttpResponse:
    return render(
        request,
        "assets/asset_form.html",
        {
            "form": form,
            "asset": asset,
            "title": title,
            "current_client": asset.client if asset else None,
        },
        status=422 if form.errors else 200,
    )


@GET_POST
@page
def asset_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.ASSET_MANAGE)
    actor = actor_of(request)
    initial: dict[str, Any] = {"role": Asset.Role.NETWORK, "criticality": Asset.Criticality.MEDIUM}
    chosen = _int(request.GET.get("client"))
    if chosen is not None:
        initial["client"] = chosen
    form = forms.AssetForm(
        request.POST or None,
        clients=clients_visible_to(actor),
        sites=sites_visible_to(actor),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        fields = form.changes()
        try:
            asset = actions.create_asset(
                actor=actor,
                client=form.cleaned_data["client"],
                name=fields.pop("name"),
                **fields,
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Asset “%(name)s” added.") % {"name": asset.name})
            return redirect("asset_detail", asset.pk)
    return _asset_form_page(request, form, None, _("New asset"))


@GET_POST
@page
def asset_edit(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    require_perm(request, Perm.ASSET_MANAGE)
    actor = actor_of(request)
    initial = {name: getattr(asset, name) for name in forms.AssetForm.model_fields}
    initial["tags"] = ", ".join(t.name for t in asset.tags.all())
    form = forms.AssetForm(
        request.POST or None,
        sites=sites_visible_to(actor).filter(client=asset.client),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_asset(actor=actor, asset=asset, changes=form.changes())
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Asset saved."))
            return redirect("asset_detail", asset.pk)
    return _asset_form_page(request, form, asset, _("Edit asset"))


@require_POST
@page
def asset_retire(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    actions.retire_asset(actor=actor_of(request), asset=asset)
    messages.success(request, _("Asset “%(name)s” retired.") % {"name": asset.name})
    return redirect("asset_list")


# --- The host page and its tabs ---------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    url: str


def tabs_of(request: HttpRequest, asset: Asset) -> list[Tab]:
    args = [asset.pk]
    tabs = [
        Tab("overview", _("Overview"), reverse("asset_detail", args=args)),
        Tab("metrics", _("Metrics"), reverse("asset_metrics", args=args)),
        Tab("inventory", _("Inventory"), reverse("asset_inventory", args=args)),
        Tab("changes", _("Changes"), reverse("asset_changes", args=args)),
    ]
    if may_read(actor_of(request), "commands"):
        tabs.append(Tab("commands", _("Commands"), reverse("asset_commands", args=args)))
    tabs.append(Tab("checks", _("Checks"), reverse("asset_checks", args=args)))
    tabs.append(Tab("dependencies", _("Dependencies"), reverse("asset_dependencies", args=args)))
    tabs.append(Tab("status", _("Status history"), reverse("asset_status_history", args=args)))
    return tabs


def render_tab(
    request: HttpRequest,
    asset: Asset,
    tab: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> HttpResponse:
    """A tab: the fragment for htmx, the whole host page otherwise."""
    full = {
        "asset": asset,
        "agent": agent_of(asset),
        "current_client": asset.client,
        "tab": tab,
        "tab_template": f"assets/tabs/{tab}.html",
        "viewer_tz": str(viewer_zone(request)),
        "just_now": just_now(),
        **context,
    }
    if is_htmx(request):
        return render(request, full["tab_template"], full, status=status)
    full["tabs"] = tabs_of(request, asset)
    return render(request, "assets/asset_detail.html", full, status=status)


def _lifecycle(day: dt.date | None) -> str:
    """'past', 'soon' (within 90 days) or '' for a warranty or end-of-life date."""
    if day is None:
        return ""
    today = timezone.localdate()
    if day < today:
        return "past"
    return "soon" if day <= today + dt.timedelta(days=90) else ""


def _disk_row(name: str, disk: Any) -> dict[str, Any]:
    disk = disk if isinstance(disk, dict) else {}
    return {
        "name": name,
        "type": disk.get("fstype") or disk.get("type") or "",
        "size": disk.get("total_bytes") or disk.get("size_bytes"),
        "detail": disk.get("device") or disk.get("model") or "",
    }


@require_GET
@page
def asset_detail(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    snapshot = queries.inventory_of(asset)
    data = snapshot.data if snapshot else {}
    hardware = data.get("hardware") or {}
    context = {
        "snapshot": snapshot,
        "os_info": data.get("os") or {},
        "hardware": hardware,
        "vendor": asset.vendor or hardware.get("vendor") or "",
        "model": asset.model or hardware.get("product") or "",
        "serial": asset.serial or hardware.get("serial") or "",
        "disks": [
            _disk_row(name, disk) for name, disk in sorted((data.get("disks") or {}).items())
        ],
        "time_sync": data.get("time_sync") or {},
        "glance": latest_glance([asset.pk]).get(asset.pk, {}),
        "warranty_state": _lifecycle(asset.warranty_until),
        "eol_state": _lifecycle(asset.end_of_life),
    }
    return render_tab(request, asset, "overview", context)


@require_GET
@page
def asset_status_history(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    page_obj = Paginator(queries.status_history(asset), 50).get_page(request.GET.get("page"))
    rows = list(page_obj.object_list)
    # How long each state lasted: until the next (newer) change, or until now for the newest.
    until: dt.datetime | None = None if page_obj.number > 1 else timezone.now()
    changes = []
    for change in rows:
        changes.append((change, until))
        until = change.at
    return render_tab(request, asset, "status", {"page_obj": page_obj, "changes": changes})


# --- Metrics ----------------------------------------------------------------------------------

RANGES = {
    "1h": dt.timedelta(hours=1),
    "6h": dt.timedelta(hours=6),
    "24h": dt.timedelta(hours=24),
    "7d": dt.timedelta(days=7),
    "30d": dt.timedelta(days=30),
}
DEFAULT_RANGE = "1h"


@dataclass(frozen=True)
class Line:
    metric: str
    labels: Mapping[str, str] | None = None
    label: str = ""  # the legend; "{mount}" style placeholders take the series' labels


@dataclass(frozen=True)
class ChartSpec:
    key: str
    title: Any  # lazily translated
    unit: str  # "%", "B/s" or "" (a plain number)
    lines: tuple[Line, ...]


CHARTS = (
    ChartSpec("cpu", gettext_lazy("CPU"), "%", (Line("cpu.percent", {"cpu": "total"}, "CPU"),)),
    ChartSpec(
        "memory",
        gettext_lazy("Memory"),
        "%",
        (Line("mem.used_percent", None, "memory"), Line("swap.used_percent", None, "swap")),
    ),
    ChartSpec(
        "disk", gettext_lazy("Disk used"), "%", (Line("disk.used_percent", None, "{mount}"),)
    ),
    ChartSpec(
        "network",
        gettext_lazy("Network throughput"),
        "B/s",
        (
            Line("net.rx_bytes_per_s", None, "{iface} rx"),
            Line("net.tx_bytes_per_s", None, "{iface} tx"),
        ),
    ),
    ChartSpec(
        "load",
        gettext_lazy("Load average"),
        "",
        (
            Line("cpu.load1", None, "1 min"),
            Line("cpu.load5", None, "5 min"),
            Line("cpu.load15", None, "15 min"),
        ),
    ),
)
CHARTS_BY_KEY = {chart.key: chart for chart in CHARTS}


def _range(request: HttpRequest) -> str:
    chosen = request.GET.get("range", DEFAULT_RANGE)
    return chosen if chosen in RANGES else DEFAULT_RANGE


@require_GET
@page
def asset_metrics(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    chosen = _range(request)
    data_url = reverse("asset_metrics_data", args=[asset.pk])
    charts = [
        {"spec": chart, "url": f"{data_url}?chart={chart.key}&range={chosen}"} for chart in CHARTS
    ]
    context = {"charts": charts, "range": chosen, "ranges": list(RANGES)}
    return render_tab(request, asset, "metrics", context)


def _legend(line: Line, labels: Mapping[str, str]) -> str:
    try:
        return line.label.format_map(dict(labels)) if line.label else line.metric
    except (KeyError, ValueError):
        return line.metric


def _epoch_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


@require_GET
@page
def asset_metrics_data(request: HttpRequest, asset_id: int) -> JsonResponse:
    """One chart's series as JSON: [[epoch ms, value], …] per line, and the resolution used."""
    asset = get_asset(request, asset_id)
    chart = CHARTS_BY_KEY.get(request.GET.get("chart", ""))
    if chart is None:
        detail = _("Unknown chart: choose one of %(names)s.") % {"names": ", ".join(CHARTS_BY_KEY)}
        return JsonResponse({"detail": detail, "field": "chart"}, status=422)
    if request.GET.get("range", DEFAULT_RANGE) not in RANGES:
        detail = _("Unknown range: choose one of %(names)s.") % {"names": ", ".join(RANGES)}
        return JsonResponse({"detail": detail, "field": "range"}, status=422)
    span = RANGES[_range(request)]
    end = timezone.now()
    start = end - span
    resolution = "raw"
    series = []
    for line in chart.lines:
        data = series_data(asset, line.metric, start=start, end=end, labels=line.labels)
        resolution = data.resolution
        for one in data.series:
            points = [[_epoch_ms(p.t), round(p.v, 3)] for p in one.points]
            series.append(
                {"label": _legend(line, one.labels), "labels": one.labels, "points": points}
            )
    if any(any(v for _t, v in s["points"]) for s in series):
        # A host has many idle interfaces: lines that stay at zero only add noise.
        series = [s for s in series if any(v for _t, v in s["points"])]
    return JsonResponse(
        {
            "chart": chart.key,
            "title": str(chart.title),
            "unit": chart.unit,
            "range": _range(request),
            "resolution": resolution,
            "start": _epoch_ms(start),
            "end": _epoch_ms(end),
            "time_zone": str(viewer_zone(request)),
            "series": series,
        }
    )


# --- Inventory --------------------------------------------------------------------------------

INVENTORY_SECTIONS = {
    "packages": gettext_lazy("Packages"),
    "services": gettext_lazy("Services"),
    "ports": gettext_lazy("Listening ports"),
    "users": gettext_lazy("Users"),
    "interfaces": gettext_lazy("Network interfaces"),
    "updates": gettext_lazy("Pending updates"),
}
COLUMN_LABELS = {
    "version": gettext_lazy("Version"),
    "current": gettext_lazy("Installed"),
    "source": gettext_lazy("Source"),
    "security": gettext_lazy("Security"),
    "active": gettext_lazy("Active"),
    "sub": gettext_lazy("State"),
    "description": gettext_lazy("Description"),
    "proto": gettext_lazy("Protocol"),
    "address": gettext_lazy("Address"),
    "port": gettext_lazy("Port"),
    "process": gettext_lazy("Process"),
    "uid": "UID",
    "gid": "GID",
    "gecos": gettext_lazy("Full name"),
    "home": gettext_lazy("Home"),
    "shell": gettext_lazy("Shell"),
    "mac": "MAC",
    "addresses": gettext_lazy("Addresses"),
    "up": gettext_lazy("Up"),
    "mtu": "MTU",
    "speed_mbps": gettext_lazy("Speed (Mbit/s)"),
}
MAX_COLUMNS = 6
INVENTORY_PAGE = 100


def cell(value: Any) -> str:
    """An inventory value as table text."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}={cell(v)}" for k, v in value.items()) or "—"
    return str(value)


def _columns(items: Mapping[str, Any]) -> list[str]:
    seen: dict[str, None] = {}
    for value in items.values():
        if isinstance(value, dict):
            seen.update(dict.fromkeys(value))
        if len(seen) >= MAX_COLUMNS:
            break
    return list(seen)[:MAX_COLUMNS]


def _matches(key: str, value: Any, text: str) -> bool:
    return text in key.lower() or text in cell(value).lower()


@require_GET
@page
def asset_inventory(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    snapshot = queries.inventory_of(asset)
    data = snapshot.data if snapshot else {}
    section = request.GET.get("section", "packages")
    if section not in INVENTORY_SECTIONS:
        section = "packages"
    items: Mapping[str, Any] = data.get(section) or {}
    q = request.GET.get("q", "").strip()
    if q:
        items = {k: v for k, v in items.items() if _matches(k, v, q.lower())}
    columns = _columns(items)
    rows = [
        (key, [cell(value.get(c)) for c in columns] if columns else [cell(value)])
        for key, value in sorted(items.items())
    ]
    page_obj = Paginator(rows, INVENTORY_PAGE).get_page(request.GET.get("page"))
    context = {
        "snapshot": snapshot,
        "sections": [
            (key, label, len(data.get(key) or {})) for key, label in INVENTORY_SECTIONS.items()
        ],
        "section": section,
        "section_label": INVENTORY_SECTIONS[section],
        "columns": [COLUMN_LABELS.get(c, c) for c in columns] or [_("Value")],
        "page_obj": page_obj,
        "q": q,
        "errors": (data.get("errors") or {}).get(section),
    }
    return render_tab(request, asset, "inventory", context)


# --- Inventory changes ------------------------------------------------------------------------

PERIODS = {
    "1d": (gettext_lazy("Last 24 hours"), dt.timedelta(days=1)),
    "7d": (gettext_lazy("Last 7 days"), dt.timedelta(days=7)),
    "30d": (gettext_lazy("Last 30 days"), dt.timedelta(days=30)),
    "90d": (gettext_lazy("Last 90 days"), dt.timedelta(days=90)),
    "all": (gettext_lazy("All time"), None),
}
CHANGE_SECTIONS = (
    "os",
    "hardware",
    "disks",
    "interfaces",
    "packages",
    "updates",
    "services",
    "ports",
    "users",
    "sessions",
    "time_sync",
)


@require_GET
@page
def asset_changes(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    period = request.GET.get("period", "7d")
    if period not in PERIODS:
        period = "7d"
    span = PERIODS[period][1]
    section = request.GET.get("section", "")
    if section not in CHANGE_SECTIONS:
        section = ""
    changes = queries.inventory_changes(
        asset,
        since=timezone.now() - span if span else None,
        section=section or None,
    )
    page_obj = Paginator(changes, 50).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "rows": [(c, cell(c.before), cell(c.after)) for c in page_obj.object_list],
        "period": period,
        "periods": [(key, label) for key, (label, _span) in PERIODS.items()],
        "section": section,
        "sections": CHANGE_SECTIONS,
    }
    return render_tab(request, asset, "changes", context)
