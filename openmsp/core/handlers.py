"""An ASGI handler with its own, shorter middleware list (see openmsp/asgi.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# Request id and client IP (audit records name them); nothing that needs a session or a cookie.
AGENT_MIDDLEWARE = ["openmsp.core.middleware.RequestContextMiddleware"]


class AgentASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE; swap the list in for that one call.
        # It runs once, at import, before the server takes a request.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = AGENT_MIDDLEWARE
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = full

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # The full stack's CommonMiddleware sets Content-Length; without it uvicorn answers every
        # agent request chunked, which costs the agent's HTTP client a chunk parser and the
        # server a chunk per write for bodies it has whole anyway.
        response = await super().get_response_async(request)
        if not response.streaming and not response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))  # type: ignore[attr-defined]
        return response
