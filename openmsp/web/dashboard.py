"""Dashboard cards. Each capability registers a function that returns a card, or None when the
card has nothing to say to this viewer; the dashboard shows them in registration order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from openmsp.core.actor import Actor


@dataclass(frozen=True)
class Card:
    title: Any
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    wide: bool = False


CardProvider = Callable[[HttpRequest, Actor], Card | None]
CARDS: list[CardProvider] = []


def register(provider: CardProvider) -> CardProvider:
    CARDS.append(provider)
    return provider


def cards_for(request: HttpRequest, actor: Actor) -> list[Card]:
    return [card for provider in CARDS if (card := provider(request, actor)) is not None]


@register
def client_counts(request: HttpRequest, actor: Actor) -> Card | None:
    from openmsp.tenants.models import Client
    from openmsp.tenants.queries import clients_visible_to

    if actor.user is None or not actor.user.is_msp_staff:
        return None
    counts = clients_visible_to(actor).aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(status=Client.Status.ACTIVE)),
        onboarding=Count("pk", filter=Q(status=Client.Status.ONBOARDING)),
    )
    return Card(_("Clients"), "web/cards/client_counts.html", {"counts": counts})


@register
def your_clients(request: HttpRequest, actor: Actor) -> Card | None:
    from openmsp.tenants.models import Client
    from openmsp.tenants.queries import clients_visible_to

    if actor.user is None or not actor.user.is_msp_staff:
        return None
    clients = clients_visible_to(actor).exclude(status=Client.Status.OFFBOARDED).order_by("name")
    return Card(_("Your clients"), "web/cards/your_clients.html", {"clients": clients[:12]}, True)


@register
def your_company(request: HttpRequest, actor: Actor) -> Card | None:
    from openmsp.tenants import queries

    if actor.user is None or not actor.user.is_client_user:
        return None
    client = queries.clients_visible_to(actor).first()
    if client is None:
        return None
    contacts = queries.contacts_visible_to(actor).filter(client=client, is_primary=True)
    return Card(
        _("Your company"),
        "web/cards/your_company.html",
        {
            "client": client,
            "primary_contacts": contacts[:5],
            "site_count": queries.sites_visible_to(actor).filter(client=client).count(),
        },
        True,
    )


@register
def fleet(request: HttpRequest, actor: Actor) -> Card | None:
    """Online, offline and unknown assets; hidden from viewers with no assets and no way to add
    one."""
    from openmsp.accounts.roles import Perm
    from openmsp.assets.queries import status_counts

    if actor.user is None:
        return None
    counts = status_counts(actor)
    can_add = actor.user.has_perm_to(Perm.AGENT_ENROLL) or actor.user.has_perm_to(Perm.ASSET_MANAGE)
    if not any(counts.values()) and not can_add:
        return None
    return Card(_("Assets"), "assets/cards/fleet.html", {"counts": counts})
