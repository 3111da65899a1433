"""The agent API at /agent/v1/ (docs/agent-protocol.md): plain Django views, JSON in and out.

Parse (size, JSON, schema) -> authenticate (HMAC) -> one action -> JSON answer. Every refusal is
a JSON body with `detail`; nothing an agent sends can cause a 500 (database trouble is a 503,
which agents retry).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from pydantic import BaseModel, ValidationError

from openmsp.agent_api import agent_actions
from openmsp.agent_api.auth import (
    AgentAuthError,
    Credential,
    authenticate,
    authenticate_batch,
    forget,
)
from openmsp.agent_api.longpoll import hub
from openmsp.agent_api.models import Agent
from openmsp.agent_api.schemas import BatchIn, CommandResultIn, EnrollIn
from openmsp.assets.inventory import InventoryFormatError, InventoryMismatch
from openmsp.core.errors import NotFound

log = logging.getLogger("openmsp.agent_api")

MAX_ENROLL_BYTES = 65_536
MAX_BATCH_BYTES = 4 * 1_048_576  # the protocol's limit
MAX_RESULT_BYTES = 8 * 1_048_576  # 1 MiB stdout + 1 MiB stderr, JSON-escaped
MAX_WAIT = 60
FUTURE_LIMIT = dt.timedelta(minutes=5)

S = TypeVar("S", bound=BaseModel)


class Refusal(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.body = {"detail": detail, **extra}


def _answer(status: int, body: dict[str, Any]) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def agent_endpoint(
    method: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """One HTTP method; Refusal, auth and database errors become JSON answers."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != method:
                return _not_allowed(method)
            try:
                return view(request, *args, **kwargs)
            except Refusal as exc:
                return _answer(exc.status, exc.body)
            except AgentAuthError as exc:
                return _answer(401, {"detail": exc.detail})
            except DatabaseError:
                log.exception("agent request failed in the database")
                return _answer(503, {"detail": "The server cannot store this now; retry later."})

        return wrapper

    return decorator


def _not_allowed(method: str) -> HttpResponse:
    response = _answer(405, {"detail": f"Use {method} for this endpoint."})
    response["Allow"] = method
    return response


def _read_body(request: HttpRequest, limit: int) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Read the stream ourselves: request.body would apply the site-wide limit, not the protocol's.
    data = b"" if declared > limit else request.read(limit + 1)
    if declared > limit or len(data) > limit:
        raise Refusal(413, f"The request body is larger than {limit} bytes.")
    return data


def _parse(schema: type[S], body: bytes) -> S:
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(400, "The body is not valid JSON.") from None
    if not isinstance(raw, dict):
        raise Refusal(422, "The body must be a JSON object.", field="body")
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]}
            for e in exc.errors()
        ]
        first = errors[0]
        raise Refusal(
            422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors
        ) from None


# --- Endpoints ----------------------------------------------------------------------------------


@agent_endpoint("POST")
def enroll(request: HttpRequest) -> HttpResponse:
    payload = _parse(EnrollIn, _read_body(request, MAX_ENROLL_BYTES))
    try:
        enrollment = agent_actions.enroll(payload)
    except agent_actions.EnrollmentRefused as exc:
        raise Refusal(401, exc.detail) from None
    return _answer(201, enrollment.answer())


def _check_sample_times(batch: BatchIn) -> None:
    limit = timezone.now() + FUTURE_LIMIT
    for index, sample in enumerate(batch.samples):
        if sample.t > limit:
            field = f"samples.{index}.t"
            raise Refusal(
                422,
                f"{field}: sample {index} is more than 5 minutes in the future; correct the host's "
                "clock and send the corrected time.",
                field=field,
            )


@agent_endpoint("POST")
def batches(request: HttpRequest) -> HttpResponse:
    body = _read_body(request, MAX_BATCH_BYTES)
    credential = authenticate_batch(request, body)
    batch = _parse(BatchIn, body)
    _check_sample_times(batch)
    try:
        outcome = _accept(request, body, credential, batch)
        outcome = agent_actions.with_check_config(outcome, credential, batch.checks_version)
    except InventoryMismatch:
        raise Refusal(409, "inventory base mismatch", need_full=True) from None
    except InventoryFormatError as exc:
        raise Refusal(422, f"{exc.field}: {exc.message}", field=exc.field) from None
    return _answer(200, outcome.answer())


def _accept(
    request: HttpRequest, body: bytes, credential: Credential, batch: BatchIn
) -> agent_actions.BatchOutcome:
    try:
        return agent_actions.accept_batch(credential, batch)
    except agent_actions.StaleCredential:
        # Revoked or re-enrolled since this process remembered the credential: the database
        # decides (401 "agent revoked", audited), or the request carries the new secret.
        forget(credential.agent_id)
        fresh = authenticate_batch(request, body)
    try:
        return agent_actions.accept_batch(fresh, batch)
    except agent_actions.StaleCredential:  # changed again in between: let the agent retry
        raise Refusal(503, "The agent's credentials changed meanwhile; retry.") from None


@agent_endpoint("POST")
def command_result(request: HttpRequest, run_id: uuid.UUID) -> HttpResponse:
    body = _read_body(request, MAX_RESULT_BYTES)
    agent = authenticate(request, body)
    result = _parse(CommandResultIn, body)
    try:
        agent_actions.record_result(agent, run_id, result)
    except NotFound as exc:
        raise Refusal(404, exc.message) from None
    return _answer(200, {"accepted": True})


def _wait_seconds(request: HttpRequest) -> int:
    raw = request.GET.get("wait", "0")
    if not raw.isdigit() or int(raw) > MAX_WAIT:
        raise Refusal(
            422, f"wait must be a whole number of seconds from 0 to {MAX_WAIT}.", field="wait"
        )
    return int(raw)


async def _long_poll(agent: Agent, wait: int) -> list[dict[str, Any]]:
    claim: Callable[[Agent], Awaitable[list[dict[str, Any]]]] = sync_to_async(
        agent_actions.claim_runs
    )
    runs = await claim(agent)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not runs and (remaining := deadline - loop.time()) > 0:
        if not await hub().wait(agent.pk, remaining):
            break
        runs = await claim(agent)
    return runs


async def commands(request: HttpRequest) -> HttpResponse:
    """GET ?wait=N: the agent's queued commands, as soon as there are any or after N seconds."""
    if request.method != "GET":
        return _not_allowed("GET")
    try:
        wait = _wait_seconds(request)
        agent = await sync_to_async(authenticate)(request, b"")
        runs = await _long_poll(agent, wait)
    except Refusal as exc:
        return _answer(exc.status, exc.body)
    except AgentAuthError as exc:
        return _answer(401, {"detail": exc.detail})
    except DatabaseError:
        log.exception("long poll failed in the database")
        return _answer(503, {"detail": "The server cannot answer now; retry later."})
    return _answer(200, {"commands": runs})


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _answer(404, {"detail": "No such agent API endpoint (see docs/agent-protocol.md)."})


@csrf_exempt
def unsupported_version(request: HttpRequest, version: str = "", rest: str = "") -> HttpResponse:
    """For `agent/<version>/…` routes of protocol versions this server does not speak (426)."""
    return _answer(
        426,
        {
            "detail": f"This server does not speak agent protocol {version[:20]!r}.",
            "supported": ["v1"],
        },
    )
