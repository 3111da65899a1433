"""Template context every page of the shell gets: navigation, permission flags, the client
switcher and the language menu for the signed-in actor."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

SWITCHER_LIMIT = 200


class PermFlags:
    """`{% if can.client_manage %}`: the role's permission, dots written as underscores."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getitem__(self, name: str) -> bool:
        return bool(self._user.has_perm_to(name.replace("_", ".", 1)))

    def __contains__(self, name: str) -> bool:
        return True


def shell(request: HttpRequest) -> dict[str, Any]:
    user: Any = getattr(request, "user", None)
    context: dict[str, Any] = {"languages": settings.LANGUAGES}
    if user is None or not user.is_authenticated:
        return context
    from openmsp.web.nav import navigation

    context.update(nav_items=navigation(request), can=PermFlags(user))
    if user.is_msp_staff:
        from openmsp.tenants.queries import clients_visible_to
        from openmsp.web.actor import actor_of

        # Lazy: only pages that render the header pay for this query.
        context["switcher_clients"] = clients_visible_to(actor_of(request)).only("pk", "name")[
            :SWITCHER_LIMIT
        ]
    return context
