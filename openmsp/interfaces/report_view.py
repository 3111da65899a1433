"""`POST /api/v1/interfaces/report`: the integration solution's runs, with its report token.

A plain Django view rather than an API operation: its credential is the interface's report token
(`Authorization: Bearer omi_…`), not a user's, and it must not fall back to a session. The answer
is sent after the transaction commits, so "accepted" means stored. It names only counts, never
tenant data; an unknown token is a 401 that says nothing about which tokens exist.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from pydantic import ValidationError

from openmsp.interfaces.report_actions import record_report
from openmsp.interfaces.schemas import ReportIn

log = logging.getLogger("openmsp.interfaces")


def _answer(status: int, detail: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"detail": detail, **extra}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _token(request: HttpRequest) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def _parse(request: HttpRequest) -> ReportIn | JsonResponse:
    try:
        raw = request.body  # bounded by OPENMSP_MAX_REQUEST_BYTES
    except RequestDataTooBig:
        return _answer(413, "The request body is too large: send fewer runs per report.")
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return _answer(400, "The request body is not valid JSON.", field="body")
    try:
        return ReportIn.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors(include_url=False)
        ]
        first = errors[0]
        return _answer(
            422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors
        )


@csrf_exempt
def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        response = _answer(405, "Use POST.")
        response["Allow"] = "POST"
        return response
    token = _token(request)
    if token is None:
        return _answer(401, "Send 'Authorization: Bearer <interface report token>'.")
    parsed = _parse(request)
    if isinstance(parsed, JsonResponse):
        return parsed
    try:
        receipt = record_report(token, parsed)
    except DatabaseError:
        log.exception("an interface report could not be stored")
        return _answer(503, "Not stored; try again later.")
    if receipt is None:
        return _answer(401, "Unknown report token.")
    return _answer(200, "Stored.", accepted=receipt.accepted, duplicates=receipt.duplicates)
