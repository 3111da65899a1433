"""The dashboard's "on call now" card (registered when the app is ready)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openmsp.core.actor import Actor
from openmsp.oncall import queries
from openmsp.web.dashboard import Card, register


@register
def on_call_now(request: HttpRequest, actor: Actor) -> Card | None:
    if not queries.is_staff(actor) or actor.user is None:
        return None
    rows = queries.on_call_now(actor, timezone.now())
    if not rows:
        return None
    return Card(_("On call now"), "oncall/cards/on_call_now.html", {"rows": rows[:8]})
