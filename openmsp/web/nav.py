"""Navigation entries, filtered by what the signed-in user may do. Later apps append to NAV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from openmsp.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazily translated string
    url_name: str
    perm: str | tuple[str, ...] | None = None  # any one of them shows the entry
    staff_only: bool = False

    def allowed(self, user: Any) -> bool:
        if self.staff_only and not user.is_msp_staff:
            return False
        if self.perm is None:
            return True
        perms = (self.perm,) if isinstance(self.perm, str) else self.perm
        return any(user.has_perm_to(p) for p in perms)


NAV: list[NavItem] = [
    NavItem(_("Dashboard"), "dashboard"),
    NavItem(_("Overview"), "msp_dashboard"),
    NavItem(_("Clients"), "client_list"),
    NavItem(_("Assets"), "asset_list"),
    NavItem(_("Heartbeats"), "heartbeat_list"),
    NavItem(_("Interfaces"), "interface_list"),
    NavItem(_("Checks"), "check_list"),
    NavItem(_("Notifications"), "notification_channels"),
    NavItem(_("Problems"), "problem_board"),
    NavItem(_("Tickets"), "ticket_list"),
    NavItem(_("Knowledge base"), "kb_list"),
    NavItem(_("Time"), "time_totals", perm=Perm.WORK, staff_only=True),
    NavItem(_("Satisfaction"), "csat_results", staff_only=True),
    NavItem(_("Service reports"), "report_list"),
    NavItem(_("Quarterly reviews"), "qbr_list"),
    NavItem(_("Maintenance"), "maintenance_list"),
    NavItem(_("On-call"), "oncall_schedule_list", staff_only=True),
    NavItem(_("Calendars"), "calendar_list", staff_only=True),
    NavItem(_("Users"), "user_list", perm=(Perm.CLIENT_USER_MANAGE, Perm.AUDIT_VIEW)),
    NavItem(_("Audit log"), "audit_list", perm=Perm.AUDIT_VIEW),
    NavItem(_("Settings"), "settings", perm=Perm.SETTINGS_MANAGE),
]


def _is_active(path: str, url: str) -> bool:
    return path == url if url == "/" else path.startswith(url)


def navigation(request: HttpRequest) -> list[dict[str, object]]:
    user: Any = request.user
    items: list[dict[str, object]] = []
    for item in NAV:
        if not item.allowed(user):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue  # the app providing it is not installed (yet)
        items.append({"label": item.label, "url": url, "active": _is_active(request.path, url)})
    # Only the most specific entry is current (/clients/calendars/ is not also /clients/).
    active = [i for i in items if i["active"]]
    if len(active) > 1:
        longest = max(active, key=lambda i: len(str(i["url"])))
        for i in active:
            i["active"] = i is longest
    return items
