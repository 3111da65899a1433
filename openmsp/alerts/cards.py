"""The dashboard's "your systems" card for client users: the health of their own hosts and
devices, and their open problems by severity (registered when the app is ready)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from openmsp.alerts.lifecycle import OPEN_STATES
from openmsp.alerts.queries import problems_visible_to
from openmsp.assets.models import Asset
from openmsp.assets.queries import assets_visible_to
from openmsp.core.actor import Actor
from openmsp.web.dashboard import Card, register


@register
def your_systems(request: HttpRequest, actor: Actor) -> Card | None:
    if actor.user is None or not actor.user.is_client_user:
        return None
    return Card(_("Your systems"), "alerts/cards/your_systems.html", health_of(actor))


def health_of(actor: Actor, client_id: int | None = None) -> dict[str, Any]:
    """Hosts online/offline and open problems by severity, of what the actor sees (of one
    client when given): the card, and the client dashboard that builds on it."""
    visible = assets_visible_to(actor)
    problems_qs = problems_visible_to(actor)
    if client_id is not None:
        visible, problems_qs = (
            visible.filter(client_id=client_id),
            problems_qs.filter(client_id=client_id),
        )
    assets = visible.aggregate(
        total=Count("pk"),
        online=Count("pk", filter=Q(status=Asset.Status.ONLINE)),
        offline=Count("pk", filter=Q(status=Asset.Status.OFFLINE)),
    )
    open_problems = problems_qs.filter(state__in=OPEN_STATES)
    problems = open_problems.aggregate(
        critical=Count("pk", filter=Q(severity="critical", suppressed_by__isnull=True)),
        warning=Count("pk", filter=Q(severity="warning", suppressed_by__isnull=True)),
        suppressed=Count("pk", filter=Q(suppressed_by__isnull=False)),
    )
    offline = visible.filter(status=Asset.Status.OFFLINE).order_by("name")
    return {"assets": assets, "problems": problems, "offline": list(offline[:5])}
