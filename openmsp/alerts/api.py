"""REST endpoints for problems (list, detail with timeline, acknowledge, comment, resolve),
availability, maintenance windows, dependencies, Alertmanager tokens and the Alertmanager
webhook receiver. Reading needs only to see the client; changes need the action's permission."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.alerts import actions, alertmanager, availability, queries
from openmsp.alerts.models import AlertmanagerToken, AlertsDependency, MaintenanceWindow, Problem
from openmsp.alerts.schemas import (
    AcknowledgeIn,
    AlertmanagerTokenCreatedOut,
    AlertmanagerTokenIn,
    AlertmanagerTokenOut,
    AlertmanagerTokenPage,
    AlertmanagerTokenQuery,
    AmWebhookIn,
    AmWebhookOut,
    AvailabilityOut,
    AvailabilityQuery,
    CommentIn,
    DependencyIn,
    DependencyOut,
    DependencyPage,
    DependencyQuery,
    ProblemDetailOut,
    ProblemPage,
    ProblemQuery,
    ResolveIn,
    WindowIn,
    WindowOut,
    WindowPage,
    WindowPatch,
    WindowQuery,
)
from openmsp.assets.queries import assets_visible_to
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    check_query_params,
    endpoint,
    fetch_ref,
    page,
    path_object,
)
from openmsp.core.errors import ValidationFailed
from openmsp.tenants.queries import clients_visible_to, sites_visible_to

router = Router()
TAG = "problems"
READ = (404,)
WRITE = (403, 404, 409)

path_object("problem_id", queries.get_problem)
path_object("maintenance_window_id", queries.get_window)
path_object("asset_parent_id", queries.get_dependency)
path_object("alertmanager_token_id", queries.get_alertmanager_token)


def _detail(problem: Problem) -> Problem:
    problem.timeline = list(queries.timeline(problem))  # type: ignore[attr-defined]
    return problem


@endpoint(router, "GET", "/problems", "List problems", tag=TAG, ok={200: ProblemPage})
def list_problems(request: HttpRequest, query: Query[ProblemQuery]) -> dict[str, Any]:
    """Problems of the clients you may see, newest activity first, filtered by client, state
    (`open` = pending, firing or acknowledged), severity, source, suppressed, in maintenance."""
    fields = query.model_dump(exclude={"limit", "offset", "ordering"})
    qs = queries.filter_problems(
        queries.problems_visible_to(actor_from(request)), queries.ProblemFilters(**fields)
    )
    return page(request, qs, query)


@endpoint(router, "GET", "/problems/{problem_id}", "Get a problem and its timeline", tag=TAG, ok={200: ProblemDetailOut}, errors=READ)  # fmt: skip
def get_problem(request: HttpRequest, problem_id: int) -> Problem:
    check_query_params(request)
    return _detail(queries.get_problem(actor_from(request), problem_id))


@endpoint(router, "POST", "/problems/{problem_id}/acknowledge", "Acknowledge a problem", tag=TAG, ok={200: ProblemDetailOut}, errors=WRITE)  # fmt: skip
def acknowledge(request: HttpRequest, problem_id: int, payload: AcknowledgeIn) -> Problem:
    """Someone is on it: escalation stops. With `expires_at` it fires again then."""
    actor = actor_from(request)
    problem = queries.get_problem(actor, problem_id)
    actions.acknowledge(
        actor=actor, problem=problem, comment=payload.comment, expires_at=payload.expires_at
    )
    return _detail(queries.get_problem(actor, problem_id))


@endpoint(router, "POST", "/problems/{problem_id}/unacknowledge", "Withdraw an acknowledgement", tag=TAG, ok={200: ProblemDetailOut}, errors=WRITE)  # fmt: skip
def unacknowledge(request: HttpRequest, problem_id: int) -> Problem:
    actor = actor_from(request)
    actions.unacknowledge(actor=actor, problem=queries.get_problem(actor, problem_id))
    return _detail(queries.get_problem(actor, problem_id))


@endpoint(router, "POST", "/problems/{problem_id}/comments", "Comment on a problem", tag=TAG, ok={201: ProblemDetailOut}, errors=WRITE)  # fmt: skip
def comment(request: HttpRequest, problem_id: int, payload: CommentIn) -> Status[Problem]:
    actor = actor_from(request)
    actions.comment(
        actor=actor, problem=queries.get_problem(actor, problem_id), text=payload.comment
    )
    return Status(201, _detail(queries.get_problem(actor, problem_id)))


@endpoint(router, "POST", "/problems/{problem_id}/resolve", "Resolve an external problem", tag=TAG, ok={200: ProblemDetailOut}, errors=WRITE)  # fmt: skip
def resolve(request: HttpRequest, problem_id: int, payload: ResolveIn) -> Problem:
    """Only for problems nothing resolves by itself (Alertmanager, manual); a check's problem
    resolves when the check is OK again (409 otherwise)."""
    actor = actor_from(request)
    actions.resolve(
        actor=actor, problem=queries.get_problem(actor, problem_id), comment=payload.comment
    )
    return _detail(queries.get_problem(actor, problem_id))


@endpoint(router, "GET", "/availability", "Availability of a check or an asset", tag=TAG, ok={200: AvailabilityOut}, errors=READ)  # fmt: skip
def get_availability(request: HttpRequest, query: Query[AvailabilityQuery]) -> dict[str, Any]:
    """From the problems' state history between `start` and `end`, for one `fingerprint` or
    every problem of one `asset_id`. Critical problems count as down, warnings as degraded;
    maintenance is left out of the counted time unless its window counts against availability."""
    check_query_params(request, AvailabilityQuery)
    if query.start >= query.end:
        raise ValidationFailed("start must be before end.", field="start")
    if (query.fingerprint is None) == (query.asset_id is None):
        raise ValidationFailed("Give either fingerprint or asset_id.", field="fingerprint")
    actor = actor_from(request)
    result = availability.of(
        actor,
        start=query.start,
        end=query.end,
        fingerprint=query.fingerprint,
        asset_id=query.asset_id,
    )
    return {"start": query.start, "end": query.end, **result.as_dict()}


# --- Maintenance windows -------------------------------------------------------------------------

WTAG = "maintenance"
_WINDOW_FIELDS = {"site": "site_id", "asset": "asset_id"}


def _window_changes(actor: Actor, payload: WindowIn | WindowPatch) -> dict[str, Any]:
    changes = changes_of(payload)
    changes.pop("client_id", None)
    if "site_id" in changes:
        changes["site"] = fetch_ref(
            sites_visible_to(actor), "site", "site_id", changes.pop("site_id")
        )
    if "asset_id" in changes:
        changes["asset"] = fetch_ref(
            assets_visible_to(actor), "asset", "asset_id", changes.pop("asset_id")
        )
    return changes


@endpoint(router, "GET", "/maintenance-windows", "List maintenance windows", tag=WTAG, ok={200: WindowPage})  # fmt: skip
def list_windows(request: HttpRequest, query: Query[WindowQuery]) -> dict[str, Any]:
    qs = queries.windows_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs.order_by("-pk"), query)


@endpoint(router, "POST", "/maintenance-windows", "Create a maintenance window", tag=WTAG, ok={201: WindowOut}, errors=(403,))  # fmt: skip
def create_window(request: HttpRequest, payload: WindowIn) -> Status[MaintenanceWindow]:
    """One-off (`starts_at`, `ends_at`) or recurring (`cron` + `duration_minutes` in
    `time_zone`), scoped by client and optionally site, asset, tag or fingerprint prefix."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    with api_field_names(_WINDOW_FIELDS):
        window = actions.create_window(
            actor=actor, client=client, **_window_changes(actor, payload)
        )
    return Status(201, window)


@endpoint(router, "GET", "/maintenance-windows/{maintenance_window_id}", "Get a maintenance window", tag=WTAG, ok={200: WindowOut}, errors=READ)  # fmt: skip
def get_window(request: HttpRequest, maintenance_window_id: int) -> MaintenanceWindow:
    check_query_params(request)
    return queries.get_window(actor_from(request), maintenance_window_id)


@endpoint(router, "PATCH", "/maintenance-windows/{maintenance_window_id}", "Change a maintenance window", tag=WTAG, ok={200: WindowOut}, errors=WRITE)  # fmt: skip
def update_window(
    request: HttpRequest, maintenance_window_id: int, payload: WindowPatch
) -> MaintenanceWindow:
    actor = actor_from(request)
    window = queries.get_window(actor, maintenance_window_id)
    with api_field_names(_WINDOW_FIELDS):
        return actions.update_window(
            actor=actor, window=window, changes=_window_changes(actor, payload)
        )


@endpoint(router, "DELETE", "/maintenance-windows/{maintenance_window_id}", "Delete a maintenance window", tag=WTAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_window(request: HttpRequest, maintenance_window_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.delete_window(actor=actor, window=queries.get_window(actor, maintenance_window_id))
    return Status(204, None)


# --- Dependencies --------------------------------------------------------------------------------


@endpoint(router, "GET", "/asset-parents", "List asset dependencies", tag=WTAG, ok={200: DependencyPage})  # fmt: skip
def list_dependencies(request: HttpRequest, query: Query[DependencyQuery]) -> dict[str, Any]:
    qs = queries.dependencies_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs.order_by("pk"), query)


@endpoint(router, "POST", "/asset-parents", "Make an asset depend on another", tag=WTAG, ok={201: DependencyOut}, errors=(403,))  # fmt: skip
def create_dependency(request: HttpRequest, payload: DependencyIn) -> Status[AlertsDependency]:
    """While the parent has an open offline/down problem, new problems of the child are
    suppressed by it (recorded, not notified). An asset has at most one parent: this replaces it."""
    actor = actor_from(request)
    assets = assets_visible_to(actor)
    child = fetch_ref(assets, "asset", "child_id", payload.child_id)
    parent = fetch_ref(assets, "asset", "parent_id", payload.parent_id)
    assert child is not None
    assert parent is not None
    return Status(201, actions.set_dependency(actor=actor, child=child, parent=parent))


@endpoint(router, "DELETE", "/asset-parents/{asset_parent_id}", "Remove a dependency", tag=WTAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_dependency(request: HttpRequest, asset_parent_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.remove_dependency(
        actor=actor, dependency=queries.get_dependency(actor, asset_parent_id)
    )
    return Status(204, None)


# --- Alertmanager -------------------------------------------------------------------------------

ATAG = "alertmanager"


@endpoint(router, "GET", "/alertmanager-tokens", "List Alertmanager receiver tokens", tag=ATAG, ok={200: AlertmanagerTokenPage})  # fmt: skip
def list_alertmanager_tokens(
    request: HttpRequest, query: Query[AlertmanagerTokenQuery]
) -> dict[str, Any]:
    qs = queries.alertmanager_tokens_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs.order_by("-pk"), query)


@endpoint(router, "POST", "/alertmanager-tokens", "Create an Alertmanager receiver token", tag=ATAG, ok={201: AlertmanagerTokenCreatedOut}, errors=(403,))  # fmt: skip
def create_alertmanager_token(
    request: HttpRequest, payload: AlertmanagerTokenIn
) -> Status[dict[str, Any]]:
    """The token is shown once; only its hash is stored."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    token, secret = actions.create_alertmanager_token(actor=actor, client=client, name=payload.name)
    body = AlertmanagerTokenOut.from_orm(token).model_dump()
    return Status(201, {**body, "token": secret})


@endpoint(router, "DELETE", "/alertmanager-tokens/{alertmanager_token_id}", "Revoke an Alertmanager receiver token", tag=ATAG, ok={204: None}, errors=WRITE)  # fmt: skip
def revoke_alertmanager_token(request: HttpRequest, alertmanager_token_id: int) -> Status[None]:
    actor = actor_from(request)
    token = queries.get_alertmanager_token(actor, alertmanager_token_id)
    actions.revoke_alertmanager_token(actor=actor, token=token)
    return Status(204, None)


@endpoint(router, "POST", "/alertmanager/webhook", "Alertmanager webhook receiver (payload version 4)", tag=ATAG, ok={200: AmWebhookOut}, errors=(403,), auth=alertmanager.AlertmanagerBearer())  # fmt: skip
def alertmanager_webhook(request: HttpRequest, payload: AmWebhookIn) -> dict[str, int]:
    """Point a `webhook_config` here with `http_config.authorization.credentials` set to a
    receiver token of the client: firing alerts open problems, resolved alerts resolve them."""
    token: AlertmanagerToken = request.auth  # type: ignore[attr-defined]
    with transaction.atomic():
        return {"accepted": alertmanager.receive(token, payload)}
