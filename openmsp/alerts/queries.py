"""Tenant-scoped reads of problems, their timelines, maintenance windows, dependencies and
Alertmanager tokens. Another client's object is a NotFound (404), exactly as if absent."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from openmsp.alerts.models import (
    AlertmanagerToken,
    AlertsDependency,
    MaintenanceWindow,
    Problem,
    ProblemEvent,
)
from openmsp.core.actor import Actor
from openmsp.core.apiutils import fetch
from openmsp.tenants.queries import scope


def problems_visible_to(actor: Actor) -> QuerySet[Problem]:
    return scope(
        actor, Problem.objects.select_related("client", "asset", "acknowledged_by", "suppressed_by")
    )


def get_problem(actor: Actor, problem_id: int | str) -> Problem:
    return fetch(problems_visible_to(actor), "problem", pk=problem_id)


@dataclass(frozen=True)
class ProblemFilters:
    client_id: int | None = None
    state: str | None = None  # a state, or "open" for pending, firing and acknowledged
    severity: str | None = None
    source: str | None = None
    suppressed: bool | None = None
    in_maintenance: bool | None = None
    asset_id: int | None = None
    q: str | None = None


def filter_problems(qs: QuerySet[Problem], filters: ProblemFilters) -> QuerySet[Problem]:
    exact = {
        name: getattr(filters, name)
        for name in ("client_id", "severity", "source", "in_maintenance", "asset_id")
        if getattr(filters, name) is not None
    }
    qs = qs.filter(**exact)
    if filters.state == "open":
        qs = qs.filter(state__in=("pending", "firing", "acknowledged"))
    elif filters.state:
        qs = qs.filter(state=filters.state)
    if filters.suppressed is not None:
        qs = qs.filter(suppressed_by__isnull=not filters.suppressed)
    if filters.q:
        qs = qs.filter(title__icontains=filters.q)
    return qs


def timeline(problem: Problem) -> QuerySet[ProblemEvent]:
    return ProblemEvent.objects.filter(problem=problem).select_related("actor").order_by("at", "pk")


def windows_visible_to(actor: Actor) -> QuerySet[MaintenanceWindow]:
    return scope(actor, MaintenanceWindow.objects.select_related("client", "site", "asset"))


def get_window(actor: Actor, window_id: int | str) -> MaintenanceWindow:
    return fetch(windows_visible_to(actor), "maintenance window", pk=window_id)


def dependencies_visible_to(actor: Actor) -> QuerySet[AlertsDependency]:
    return scope(actor, AlertsDependency.objects.select_related("client", "child", "parent"))


def get_dependency(actor: Actor, dependency_id: int | str) -> AlertsDependency:
    return fetch(dependencies_visible_to(actor), "dependency", pk=dependency_id)


def alertmanager_tokens_visible_to(actor: Actor) -> QuerySet[AlertmanagerToken]:
    return scope(actor, AlertmanagerToken.objects.select_related("client", "created_by"))


def get_alertmanager_token(actor: Actor, token_id: int | str) -> AlertmanagerToken:
    return fetch(alertmanager_tokens_visible_to(actor), "Alertmanager token", pk=token_id)
