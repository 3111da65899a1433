"""The ASGI application: agent traffic (/agent/) through a slim middleware stack, heartbeat pings
(/ping/) through a lean app of their own (ADR 0005), the rest through settings.MIDDLEWARE.

Django's own middlewares are sync code; under ASGI each of their request and response hooks is a
hop to a thread and back. The agent API needs none of them (no session, cookie, CSRF token,
language or message: agents sign each request, views are CSRF-exempt and answer JSON), and a
fleet sends it most of the requests, so it gets only AGENT_MIDDLEWARE (request id and client IP,
which the audit log records). The Django test client runs the full stack, so the agent views must
not depend on what only the full stack does.
"""

import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
django_application = get_asgi_application()

from openmsp.core.handlers import AgentASGIHandler  # noqa: E402 (needs django.setup() first)

# Heartbeat pings bypass Django's middleware chain (see openmsp/heartbeats/asgi_ping.py, ADR 0005).
from openmsp.heartbeats.asgi_ping import with_pings  # noqa: E402 (needs django.setup() first)

agent_application = AgentASGIHandler()
web_application = with_pings(django_application)

# Metric batches, most of a fleet's requests, skip Django's request handler (ADR 0007). More
# batches in threads than there are database connections for them only wait for one, so they
# get as many threads as the pool has connections.
from openmsp.agent_api.asgi_batches import PATH as BATCHES_PATH  # noqa: E402
from openmsp.agent_api.asgi_batches import BatchApp  # noqa: E402

_pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
BATCH_SLOTS = int(_pool["max_size"]) if isinstance(_pool, dict) else 8
batch_application = BatchApp(BATCH_SLOTS)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    path = str(scope.get("path", "")) if scope["type"] == "http" else ""
    if path == BATCHES_PATH and scope.get("method") == "POST":
        await batch_application(scope, receive, send)
    elif path.startswith("/agent/"):
        await agent_application(scope, receive, send)
    else:
        await web_application(scope, receive, send)
