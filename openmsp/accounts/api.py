"""REST endpoints for people (invite, profile, role) and API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts import actions
from openmsp.accounts.actions import ROLE_FIELDS, USER_FIELDS
from openmsp.accounts.auth import actor_from
from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.queries import get_user_visible, tokens_visible_to, users_visible_to
from openmsp.accounts.schemas import (
    TokenCreated,
    TokenIn,
    TokenPage,
    TokenQuery,
    UserInvite,
    UserOut,
    UserPage,
    UserPatch,
    UserQuery,
)
from openmsp.core.actor import Actor
from openmsp.core.apiutils import (
    api_field_names,
    changes_of,
    endpoint,
    fetch,
    fetch_ref,
    fetch_refs,
    page,
    path_object,
    search,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()

_USER_FIELDS = {"client": "client_id", "assigned_clients": "assigned_client_ids"}


def _user(actor: Actor, user_id: int) -> User:
    return get_user_visible(actor, user_id)


# 404 before 422: how to find the object each path parameter names (see apiutils.path_object).
path_object("user_id", _user)
path_object("token_id", lambda actor, pk: fetch(tokens_visible_to(actor), "token", pk=pk))


def _clients(actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    """Body ids -> Client objects the actor may see (a 422 naming the field otherwise)."""
    visible = clients_visible_to(actor)
    if "client_id" in changes:
        changes["client"] = fetch_ref(visible, "client", "client_id", changes.pop("client_id"))
    if "assigned_client_ids" in changes:
        ids = changes.pop("assigned_client_ids")
        changes["assigned_clients"] = fetch_refs(visible, "client", "assigned_client_ids", ids)
    return changes


# --- People -------------------------------------------------------------------------------------


@endpoint(router, "GET", "/users", "List people", tag="users", ok={200: UserPage})
def list_users(request: HttpRequest, query: Query[UserQuery]) -> dict[str, Any]:
    """MSP owners, admins and auditors see everyone; technicians and client admins see the
    users of the clients they may see (and themselves); client users see themselves."""
    qs = users_visible_to(actor_from(request))
    if query.role is not None:
        qs = qs.filter(role=query.role)
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    if query.is_active is not None:
        qs = qs.filter(is_active=query.is_active)
    return page(request, search(qs, query.q, ["email", "full_name"]), query)


@endpoint(router, "POST", "/users", "Invite a person", tag="users", ok={201: UserOut}, errors=(403, 409))  # fmt: skip
def invite_user(request: HttpRequest, payload: UserInvite) -> Status[User]:
    """Creates the account without a password; the person sets one through the invitation.
    Staff roles need staff.manage; client roles need client_user.manage and a `client_id`.
    You can only hand out roles your own role may give."""
    actor = actor_from(request)
    fields = _clients(actor, changes_of(payload))
    with api_field_names(_USER_FIELDS):
        user = actions.invite_user(
            actor=actor, email=fields.pop("email"), role=fields.pop("role"), **fields
        )
    return Status(201, _user(actor, user.pk))


@endpoint(router, "GET", "/me", "Who am I", tag="users", ok={200: UserOut})
def me(request: HttpRequest) -> User:
    """The person the token or session belongs to."""
    actor = actor_from(request)
    assert actor.user is not None
    return _user(actor, actor.user.pk)


@endpoint(router, "GET", "/users/{user_id}", "Get a person", tag="users", ok={200: UserOut}, errors=(404,))  # fmt: skip
def get_user(request: HttpRequest, user_id: int) -> User:
    return _user(actor_from(request), user_id)


@endpoint(router, "PATCH", "/users/{user_id}", "Change a person", tag="users", ok={200: UserOut}, errors=(403, 404, 409))  # fmt: skip
def update_user(request: HttpRequest, user_id: int, payload: UserPatch) -> User:
    """Profile fields (full_name, language, time_zone): the person themselves or whoever
    manages them. Role fields (role, client_id, all_clients, assigned_client_ids, is_active):
    whoever manages them, never on themselves; audited as permission changes."""
    actor = actor_from(request)
    user = _user(actor, user_id)
    changes = _clients(actor, changes_of(payload))
    profile = {k: v for k, v in changes.items() if k in USER_FIELDS}
    role = {k: v for k, v in changes.items() if k in ROLE_FIELDS}
    with transaction.atomic(), api_field_names(_USER_FIELDS):
        if profile:
            actions.update_profile(actor=actor, user=user, changes=profile)
        if role:
            actions.change_role(actor=actor, user=user, changes=role)
    return _user(actor, user_id)


@endpoint(router, "POST", "/users/{user_id}/unlock", "Lift a sign-in lock-out", tag="users", ok={200: UserOut}, errors=(403, 404))  # fmt: skip
def unlock_user(request: HttpRequest, user_id: int) -> User:
    """Ends the lock-out after too many failed sign-ins now, and resets the failure count
    (audited as `user.unlocked`). Whoever may change the person may do it."""
    actor = actor_from(request)
    actions.unlock_user(actor=actor, user=_user(actor, user_id))
    return _user(actor, user_id)


# --- API tokens ---------------------------------------------------------------------------------


@endpoint(router, "GET", "/tokens", "List API tokens", tag="tokens", ok={200: TokenPage})
def list_tokens(request: HttpRequest, query: Query[TokenQuery]) -> dict[str, Any]:
    """Your own tokens; MSP owners and admins see everyone's, to revoke them. Secrets are never
    shown again after creation."""
    qs = tokens_visible_to(actor_from(request))
    if query.user_id is not None:
        qs = qs.filter(user_id=query.user_id)
    if query.active is not None:
        usable = Q(revoked_at__isnull=True) & (
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )
        qs = qs.filter(usable) if query.active else qs.exclude(usable)
    return page(request, qs, query)


@endpoint(router, "POST", "/tokens", "Create an API token", tag="tokens", ok={201: TokenCreated}, errors=(403,))  # fmt: skip
def create_token(request: HttpRequest, payload: TokenIn) -> Status[ApiToken]:
    """A token for yourself, acting with your role (or read-only). The response carries the
    secret, which is not stored and cannot be shown again."""
    actor = actor_from(request)
    assert actor.user is not None
    token, secret = actions.create_token(
        actor=actor,
        user=actor.user,
        name=payload.name,
        read_only=payload.read_only,
        expires_days=payload.expires_days,
    )
    token.secret = secret  # type: ignore[attr-defined]  # rendered once by TokenCreated
    return Status(201, token)


@endpoint(router, "DELETE", "/tokens/{token_id}", "Revoke an API token", tag="tokens", ok={204: None}, errors=(403, 404))  # fmt: skip
def revoke_token(request: HttpRequest, token_id: int) -> Status[None]:
    """The token stops working at once; it stays listed as revoked. Revoking twice is fine."""
    actor = actor_from(request)
    token: ApiToken = fetch(tokens_visible_to(actor), "token", pk=token_id)
    actions.revoke_token(actor=actor, token=token)
    return Status(204, None)
