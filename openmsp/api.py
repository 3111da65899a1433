"""The REST API at /api/v1/: one NinjaAPI, one router per domain app, errors as JSON.

Every error body has `detail` (a sentence) and, where one field is at fault, `field`; validation
errors list every problem under `errors`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from openmsp.accounts.auth import BearerToken, VerifiedSession
from openmsp.core.apiutils import hidden_path_object
from openmsp.core.errors import OpenMSPError, RateLimited

api = NinjaAPI(
    title="OpenMSP API",
    version="1",
    description=(
        "Everything an MSP records in OpenMSP. Authenticate with `Authorization: Bearer <token>` "
        "(create tokens under your profile or with `openmsp token create`). Objects of clients "
        "you may not see answer 404."
    ),
    urls_namespace="api",
    auth=[BearerToken(), VerifiedSession()],
)


def _error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    body: dict[str, Any] = {"detail": detail}
    body.update({k: v for k, v in extra.items() if v is not None})
    return api.create_response(request, body, status=status)


@api.exception_handler(OpenMSPError)
def _domain_error(request: HttpRequest, exc: OpenMSPError) -> HttpResponse:
    response = _error(request, exc.status_code, exc.message, field=exc.field)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _field_name(loc: Any) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "data")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    hidden = hidden_path_object(request)
    if hidden is not None:  # another tenant's object: 404, whatever else is wrong
        return _error(request, 404, hidden.message)
    errors = [
        {"field": _field_name(e.get("loc", ())), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors
    ]
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return _error(
        request, 422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "Authentication required: send 'Authorization: Bearer <token>'.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "Not found.")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _error(request, 413, "The request body is too large.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400 and str(exc.message).startswith("Cannot parse request body"):
        # ninja's words for a body that json.loads refuses; say what to fix.
        return _error(request, 400, "The request body is not valid JSON.", field="body")
    return _error(request, exc.status_code, str(exc.message))


def _mount() -> None:
    from openmsp.accounts.api import router as accounts_router
    from openmsp.alerts.api import router as alerts_router
    from openmsp.assets.api import router as assets_router
    from openmsp.core.api import router as audit_router
    from openmsp.heartbeats.api import router as heartbeats_router
    from openmsp.interfaces.api import router as interfaces_router
    from openmsp.knowledge.api import router as knowledge_router
    from openmsp.monitoring.api import router as monitoring_router
    from openmsp.notifications.api import router as notifications_router
    from openmsp.oncall.api import router as oncall_router
    from openmsp.reports.api import router as reports_router
    from openmsp.servicedesk.api import router as servicedesk_router
    from openmsp.servicedesk.csat_api import router as csat_router
    from openmsp.servicedesk.mail_api import router as mail_router
    from openmsp.servicedesk.time_api import router as time_router
    from openmsp.tenants.api import router as tenants_router

    api.add_router("/", tenants_router)
    api.add_router("/", accounts_router)
    api.add_router("/", audit_router)
    api.add_router("/", assets_router)
    api.add_router("/", heartbeats_router)
    api.add_router("/", interfaces_router)
    api.add_router("/", monitoring_router)
    api.add_router("/", notifications_router)
    api.add_router("/", alerts_router)
    api.add_router("/", servicedesk_router)
    api.add_router("/", time_router)
    api.add_router("/", csat_router)
    api.add_router("/", mail_router)
    api.add_router("/", knowledge_router)
    api.add_router("/", oncall_router)
    api.add_router("/", reports_router)


_mount()
