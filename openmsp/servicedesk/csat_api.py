"""REST endpoints for customer satisfaction: per-client settings, a ticket's surveys, results.
Staff only (client users: 403 for results, 404 for a ticket's surveys)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from openmsp.accounts.auth import actor_from
from openmsp.core.apiutils import check_query_params, endpoint
from openmsp.core.errors import NotFound, PermissionDenied
from openmsp.servicedesk import csat
from openmsp.servicedesk.models import CsatSetting, CsatSurvey
from openmsp.servicedesk.queries import get_ticket, is_staff
from openmsp.servicedesk.schemas import (
    CsatQuery,
    CsatResultsOut,
    CsatSettingIn,
    CsatSettingOut,
    SurveyOut,
)
from openmsp.tenants.queries import clients_visible_to, get_visible

router = Router()
TAG = "satisfaction"


def _client(request: HttpRequest, client_id: int) -> Any:
    actor = actor_from(request)
    client = get_visible(actor, clients_visible_to(actor), field="pk", pk=client_id)
    if not is_staff(actor):
        raise PermissionDenied("Survey settings are the MSP's.")
    return actor, client


@endpoint(router, "GET", "/clients/{client_id}/csat-settings", "Survey settings", tag=TAG, ok={200: CsatSettingOut}, errors=(403, 404))  # fmt: skip
def get_setting(request: HttpRequest, client_id: int) -> CsatSetting:
    """Off by default; sampling in % of resolved tickets; delay in minutes after resolution."""
    _actor, client = _client(request, client_id)
    return csat.setting_of(client)


@endpoint(router, "PUT", "/clients/{client_id}/csat-settings", "Change survey settings", tag=TAG, ok={200: CsatSettingOut}, errors=(403, 404))  # fmt: skip
def put_setting(request: HttpRequest, client_id: int, payload: CsatSettingIn) -> CsatSetting:
    actor, client = _client(request, client_id)
    return csat.update_setting(actor=actor, client=client, **payload.model_dump())


@endpoint(router, "GET", "/tickets/{ticket_id}/surveys", "A ticket's surveys", tag=TAG, ok={200: list[SurveyOut]}, errors=(404,))  # fmt: skip
def ticket_surveys(request: HttpRequest, ticket_id: int) -> list[CsatSurvey]:
    actor = actor_from(request)
    ticket = get_ticket(actor, ticket_id)
    if not is_staff(actor):
        raise NotFound("No such ticket.")
    return list(CsatSurvey.objects.filter(ticket=ticket)[:100])


@endpoint(router, "GET", "/csat/results", "Satisfaction results", tag=TAG, ok={200: CsatResultsOut}, errors=(403,))  # fmt: skip
def results(request: HttpRequest, query: Query[CsatQuery]) -> dict[str, Any]:
    """Good and bad answers per technician, per client and per week (score = good in %)."""
    check_query_params(request, CsatQuery)
    actor = actor_from(request)
    if not is_staff(actor):
        raise PermissionDenied("Satisfaction results are for the MSP's staff.")
    r = csat.results(actor, client_id=query.client_id, since=query.since)
    return {"by_technician": r.by_technician, "by_client": r.by_client, "weeks": r.weeks}
