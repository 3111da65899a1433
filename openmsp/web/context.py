"""Template context every page of the shell gets: navigation for the signed-in actor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from openmsp.web.nav import navigation

    return {"nav_items": navigation(request)}
