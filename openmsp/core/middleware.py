"""Request id, client IP and security headers for every request; body-size limit for the API."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from openmsp.core.context import client_ip_var, new_request_id, request_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()
        ip = self._client_ip(request)
        tokens = (request_id_var.set(request_id), client_ip_var.set(ip))
        try:
            too_big = self._refuse_oversized(request)
            response = too_big or self.get_response(request)
        finally:
            request_id_var.reset(tokens[0])
            client_ip_var.reset(tokens[1])
        response["X-Request-ID"] = request_id
        response.setdefault("Content-Security-Policy", _CSP)
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
        if limit is not None and length > limit and not _is_upload(request):
            return JsonResponse(
                {"detail": f"The request body is {length} bytes; the limit is {limit} bytes."},
                status=413,
            )
        return None


def _is_upload(request: HttpRequest) -> bool:
    # multipart uploads (attachments, later) are streamed to disk and limited per file instead.
    return request.content_type == "multipart/form-data"
