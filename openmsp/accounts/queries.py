"""Which users and tokens an actor may see."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.roles import CLIENT_ROLES, Perm, Role
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.tenants.queries import visible_client_ids


def users_visible_to(actor: Actor) -> QuerySet[User]:
    """Staff managers and auditors see everyone; others see the users of the clients they see."""
    qs = User.objects.select_related("client").prefetch_related("assigned_clients")
    user = actor.user
    if user is None or user.role in (Role.MSP_OWNER, Role.MSP_ADMIN, Role.AUDITOR):
        return qs
    ids = visible_client_ids(actor)
    condition = Q(pk=user.pk)
    if user.has_perm_to(Perm.CLIENT_USER_MANAGE):
        client_users = Q(role__in=sorted(CLIENT_ROLES))
        condition |= client_users if ids is None else client_users & Q(client__in=ids)
    return qs.filter(condition)


def get_user_visible(actor: Actor, user_id: int) -> User:
    try:
        return users_visible_to(actor).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such user.") from None


def tokens_visible_to(actor: Actor) -> QuerySet[ApiToken]:
    """Everyone manages their own tokens; MSP owners and admins see all, to revoke them."""
    qs = ApiToken.objects.select_related("user")
    user = actor.user
    if user is None or user.role in (Role.MSP_OWNER, Role.MSP_ADMIN):
        return qs
    return qs.filter(user=user)
