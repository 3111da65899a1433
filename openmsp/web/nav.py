"""Navigation entries, filtered by what the signed-in user may do. Later apps append here."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from openmsp.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    perm: str | None = None
    staff_only: bool = False


NAV: list[NavItem] = [
    NavItem(_("Dashboard"), "dashboard"),
    NavItem(_("Clients"), "client_list"),
    NavItem(_("Users"), "user_list", perm=Perm.CLIENT_USER_MANAGE),
    NavItem(_("Audit log"), "audit_list", perm=Perm.AUDIT_VIEW),
    NavItem(_("Settings"), "settings", perm=Perm.SETTINGS_MANAGE),
]


def navigation(request: HttpRequest) -> list[dict[str, object]]:
    user = request.user
    items = []
    for item in NAV:
        if item.perm and not user.has_perm_to(item.perm):  # type: ignore[union-attr]
            continue
        if item.staff_only and not user.is_msp_staff:  # type: ignore[union-attr]
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the app providing it is not installed
        items.append({"label": item.label, "url": url, "active": request.path == url})
    return items
