"""An ASGI handler with its own, shorter middleware list (see openmsp/asgi.py)."""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

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
