"""Request id, client IP and security headers for every request; body-size limit for the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from openmsp.core.context import client_ip_var, new_request_id, request_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# Stored files (attachments) people uploaded: nothing in them may run, load or frame anything,
# even if a browser were talked into rendering one.
SANDBOX_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
_PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "interest-cohort=()"
)


class RequestContextMiddleware:
    """Works in both modes (see SessionSecurityMiddleware); it does no I/O of its own."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        tokens = self._enter(request)
        try:
            response = self._refuse_oversized(request) or self.get_response(request)
        finally:
            self._leave(tokens)
        return self._finish(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        tokens = self._enter(request)
        try:
            response = self._refuse_oversized(request) or await self.get_response(request)
        finally:
            self._leave(tokens)
        return self._finish(request, response)

    def _enter(self, request: HttpRequest) -> tuple[Any, Any]:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id_var.set(request_id), client_ip_var.set(self._client_ip(request))

    @staticmethod
    def _leave(tokens: tuple[Any, Any]) -> None:
        request_id_var.reset(tokens[0])
        client_ip_var.reset(tokens[1])

    @staticmethod
    def _finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        response.setdefault("Content-Security-Policy", _CSP)
        response.setdefault("Permissions-Policy", _PERMISSIONS_POLICY)
        return response

    @staticmethod
    def _client_ip(request: HttpRequest) -> str:
        remote = str(request.META.get("REMOTE_ADDR", ""))
        proxies = getattr(settings, "OPENMSP_TRUSTED_PROXIES", [])
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and remote in proxies:
            return str(forwarded).split(",")[-1].strip()
        return remote

    @staticmethod
    def _refuse_oversized(request: HttpRequest) -> HttpResponse | None:
        """Refuse bodies over the limit before reading them (413 with a JSON reason)."""
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse({"detail": "Content-Length is not a number."}, status=400)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.path.startswith("/agent/"):
            return None  # agent endpoints set their own limits (batches up to 4 MiB)
        if limit is not None and length > limit and not _is_upload(request):
            return JsonResponse(
                {"detail": f"The request body is {length} bytes; the limit is {limit} bytes."},
                status=413,
            )
        return None


def _is_upload(request: HttpRequest) -> bool:
    # multipart uploads (attachments, later) are streamed to disk and limited per file instead.
    return request.content_type == "multipart/form-data"
