from __future__ import annotations

from django.http import HttpRequest

from openmsp.core.actor import Actor


def actor_of(request: HttpRequest) -> Actor:
    """The actor for a signed-in browser session."""
    return Actor(user=request.user, via="session")  # type: ignore[arg-type]
