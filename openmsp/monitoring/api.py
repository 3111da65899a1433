"""REST endpoints for synthetic checks: CRUD, result history, "test now" and "run soon".

Reading needs only to see the client; changing needs Perm.WORK (MSP technicians, client admins and
client users). Another client's check is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.accounts.roles import Perm
from openmsp.assets.queries import assets_visible_to
from openmsp.core import netguard
from openmsp.core.actions import require
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
from openmsp.monitoring import actions
from openmsp.monitoring.models import Check
from openmsp.monitoring.probes.base import ProbeResult
from openmsp.monitoring.queries import (
    CheckFilters,
    checks_visible_to,
    filter_checks,
    get_check,
    results_of,
)
from openmsp.monitoring.schemas import (
    CheckIn,
    CheckOut,
    CheckPage,
    CheckPatch,
    CheckQuery,
    ResultPage,
    ResultQuery,
    TestResultOut,
)
from openmsp.monitoring.trial import try_check
from openmsp.tenants.queries import clients_visible_to, sites_visible_to

router = Router()
READ = (404,)
WRITE = (403, 404)
TAG = "checks"
_FIELDS = {"site": "site_id", "asset": "asset_id"}

path_object("check_id", get_check)


def _refs(actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
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


def _result_out(result: ProbeResult) -> dict[str, Any]:
    return {
        "status": result.status,
        "latency_ms": result.latency_ms,
        "summary": result.summary,
        "details": dict(result.details),
        "stored": False,
    }


@endpoint(router, "GET", "/checks", "List checks", tag=TAG, ok={200: CheckPage})
def list_checks(request: HttpRequest, query: Query[CheckQuery]) -> dict[str, Any]:
    """Checks of the clients you may see, filtered by client, site, asset, kind, status, enabled
    and `q` (part of the name or target)."""
    filters = CheckFilters(
        **query.model_dump(
            include={"client_id", "site_id", "asset_id", "kind", "status", "enabled", "q"}
        )
    )
    qs = filter_checks(checks_visible_to(actor_from(request)), filters)
    return page(request, qs, query)


@endpoint(router, "POST", "/checks", "Add a check", tag=TAG, ok={201: CheckOut}, errors=(403,))
def create_check(request: HttpRequest, payload: CheckIn) -> Status[Check]:
    """The poller runs it from its first slot on (spread over the interval). Invalid settings
    answer 422 naming the field, e.g. `settings.port`."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    fields = _refs(actor, changes_of(payload))
    with api_field_names(_FIELDS):
        check = actions.create_check(
            actor=actor,
            client=client,
            kind=fields.pop("kind"),
            name=fields.pop("name"),
            target=fields.pop("target"),
            **fields,
        )
    return Status(201, get_check(actor, check.pk))


@endpoint(router, "POST", "/checks/test", "Test a draft check", tag=TAG, ok={200: TestResultOut}, errors=(403,))  # fmt: skip
def test_draft_check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    """Run the probe of a check that is not saved (the editor's "test now"), once, with the
    timeout capped at 10 s. Nothing is stored or observed."""
    actor = actor_from(request)
    fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    require(actor, Perm.WORK)
    scope = netguard.scope_for(actor, payload.network_scope)
    target, spec = actions.validated_spec(
        payload.kind, payload.target, payload.settings, scope=scope
    )
    return _result_out(try_check(payload.kind, target, spec, payload.timeout_seconds, scope=scope))


@endpoint(router, "GET", "/checks/{check_id}", "Get a check", tag=TAG, ok={200: CheckOut}, errors=READ)  # fmt: skip
def get_one_check(request: HttpRequest, check_id: int) -> Check:
    check_query_params(request)
    return get_check(actor_from(request), check_id)


@endpoint(router, "PATCH", "/checks/{check_id}", "Change a check", tag=TAG, ok={200: CheckOut}, errors=WRITE)  # fmt: skip
def update_check(request: HttpRequest, check_id: int, payload: CheckPatch) -> Check:
    """Only the fields sent change; `settings` replaces all settings (send a masked secret back
    as ******** to keep it); `tags` replaces all tags."""
    actor = actor_from(request)
    check = get_check(actor, check_id)
    changes = _refs(actor, changes_of(payload))
    with api_field_names(_FIELDS):
        actions.update_check(actor=actor, check=check, changes=changes)
    return get_check(actor, check_id)


@endpoint(router, "DELETE", "/checks/{check_id}", "Delete a check", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_check(request: HttpRequest, check_id: int) -> Status[None]:
    actor = actor_from(request)
    actions.delete_check(actor=actor, check=get_check(actor, check_id))
    return Status(204, None)


@endpoint(router, "GET", "/checks/{check_id}/results", "Results of a check", tag=TAG, ok={200: ResultPage}, errors=READ)  # fmt: skip
def list_results(request: HttpRequest, check_id: int, query: Query[ResultQuery]) -> dict[str, Any]:
    """Newest first, optionally between `since` and `until`."""
    check = get_check(actor_from(request), check_id)
    return page(request, results_of(check, since=query.since, until=query.until), query)


@endpoint(router, "POST", "/checks/{check_id}/test", "Test a check now", tag=TAG, ok={200: TestResultOut}, errors=WRITE)  # fmt: skip
def test_check(request: HttpRequest, check_id: int) -> dict[str, Any]:
    """Run the check's probe once, now, with the timeout capped at 10 s, and answer its result.
    The result is neither stored in the history nor observed (no problem opens or resolves)."""
    check_query_params(request)
    actor = actor_from(request)
    check = get_check(actor, check_id)
    require(actor, Perm.WORK)
    scope = check.network_scope
    target, spec = actions.validated_spec(check.kind, check.target, check.settings, scope=scope)
    result = try_check(
        check.kind, target, spec, check.timeout_seconds, check.probe_state, scope=scope
    )
    return _result_out(result)


@endpoint(router, "POST", "/checks/{check_id}/run", "Run a check soon", tag=TAG, ok={202: CheckOut}, errors=WRITE)  # fmt: skip
def run_check_soon(request: HttpRequest, check_id: int) -> Status[Check]:
    """Make the check due now: a poller runs it within a second or so, stores and observes the
    result like any scheduled run."""
    check_query_params(request)
    actor = actor_from(request)
    actions.run_soon(actor=actor, check=get_check(actor, check_id))
    return Status(202, get_check(actor, check_id))
