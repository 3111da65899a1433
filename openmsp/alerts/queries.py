"""Tenant-scoped reads of problems, their timelines, maintenance windows, dependencies and
Alertmanager tokens. Another client's object is a NotFound (404), exactly as if absent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet

from openmsp.alerts.models import (
    AlertmanagerToken,
    AlertsDependency,
    MaintenanceWindow,
    Problem,
    ProblemEvent,
)
from openmsp.alerts.notify import FIRING_STATES as DOWN_STATES
from openmsp.alerts.notify import PARENT_DOWN_RULES as DOWN_RULES
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.core.apiutils import fetch
from openmsp.tenants.models import Client
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


def parent_link(asset: Asset) -> AlertsDependency | None:
    """The asset's dependency on its parent (an asset has at most one parent); the caller
    fetched *asset* through a tenant-scoped helper, and a parent is always of the same client."""
    return AlertsDependency.objects.select_related("parent").filter(child=asset).first()


def children_of(asset: Asset) -> list[Asset]:
    return [
        d.child
        for d in AlertsDependency.objects.select_related("child")
        .filter(parent=asset)
        .order_by("child__name", "child_id")
    ]


def down_problems(actor: Actor, asset_ids: Iterable[int]) -> dict[int, Problem]:
    """The open offline/down problem of each asset that is down now (what suppresses children)."""
    rows = (
        problems_visible_to(actor)
        .filter(asset_id__in=list(asset_ids), rule__in=DOWN_RULES, state__in=DOWN_STATES)
        .order_by("-pk")
    )
    return {p.asset_id: p for p in rows if p.asset_id is not None}


@dataclass
class TreeNode:
    asset: Asset
    down: Problem | None = None
    children: list[TreeNode] = field(default_factory=list)


def dependency_forest(actor: Actor, client_id: int | None = None) -> dict[Client, list[TreeNode]]:
    """Per client, the trees of assets linked by dependencies (roots: parents without a parent).
    One query for the links and one for the down problems, whatever the number of assets."""
    links = dependencies_visible_to(actor).order_by("client__name", "parent__name", "child__name")
    if client_id is not None:
        links = links.filter(client_id=client_id)
    links_list = list(links)
    ids = {d.child_id for d in links_list} | {d.parent_id for d in links_list}
    down = down_problems(actor, ids)
    nodes: dict[int, TreeNode] = {}

    def node(asset: Asset) -> TreeNode:
        if asset.pk not in nodes:
            nodes[asset.pk] = TreeNode(asset, down.get(asset.pk))
        return nodes[asset.pk]

    clients: dict[int, Client] = {}
    has_parent: set[int] = set()
    for link in links_list:
        clients[link.parent_id] = clients[link.child_id] = link.client
        node(link.parent).children.append(node(link.child))
        has_parent.add(link.child_id)
    forest: dict[Client, list[TreeNode]] = {}
    for pk, tree in nodes.items():
        if pk not in has_parent:
            forest.setdefault(clients[pk], []).append(tree)
    for trees in forest.values():
        trees.sort(key=lambda t: (t.asset.name, t.asset.pk))
    return dict(sorted(forest.items(), key=lambda kv: kv[0].name))
