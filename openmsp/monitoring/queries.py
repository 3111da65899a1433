"""Tenant-scoped reads of checks and their results: the only way views and the API fetch them."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.monitoring.models import Check, CheckResult
from openmsp.tenants.queries import scope


def checks_visible_to(actor: Actor) -> QuerySet[Check]:
    return scope(actor, Check.objects.select_related("client", "site", "asset"))


def get_check(actor: Actor, check_id: int | str) -> Check:
    try:
        return checks_visible_to(actor).get(pk=check_id)
    except (Check.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such check.") from None


@dataclass(frozen=True)
class CheckFilters:
    client_id: int | None = None
    site_id: int | None = None
    asset_id: int | None = None
    kind: str | None = None
    status: str | None = None
    enabled: bool | None = None
    q: str | None = None  # part of the name or target


def filter_checks(qs: QuerySet[Check], filters: CheckFilters) -> QuerySet[Check]:
    exact = {
        "client_id": filters.client_id,
        "site_id": filters.site_id,
        "asset_id": filters.asset_id,
        "kind": filters.kind,
        "last_status": filters.status,
        "enabled": filters.enabled,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v is not None})
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(target__icontains=filters.q))
    return qs


def results_of(
    check: Check, *, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> QuerySet[CheckResult]:
    """Newest first: one range scan of the (check, at) index."""
    qs = CheckResult.objects.filter(for_check=check)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-pk")


def schedule_lag_ms(since: dt.datetime) -> dict[str, float]:
    """p50/p99/max schedule lag of all runs since *since* (platform health, for /metrics)."""
    rows = CheckResult.objects.filter(at__gte=since, lag_ms__isnull=False)
    lags = sorted(lag for lag in rows.values_list("lag_ms", flat=True) if lag is not None)
    if len(lags) < 2:
        return {"max": float(lags[0])} if lags else {}
    cuts = statistics.quantiles(lags, n=100, method="inclusive")
    return {"p50": cuts[49], "p99": cuts[98], "max": float(lags[-1]), "count": float(len(lags))}
