"""Changes to people, roles and API tokens. Role and permission changes are audited as such."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from openmsp.accounts.models import ApiToken, User
from openmsp.accounts.roles import ASSIGNABLE_ROLES, CLIENT_ROLES, Perm, Role
from openmsp.core import audit
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied, ValidationFailed
from openmsp.tenants.models import Client

USER_FIELDS = {"full_name", "language", "time_zone"}
ROLE_FIELDS = {"role", "client", "all_clients", "assigned_clients", "is_active"}


def _manage_perm(role: str) -> str:
    return Perm.CLIENT_USER_MANAGE if role in CLIENT_ROLES else Perm.STAFF_MANAGE


def _check_assignment(actor: Actor, role: str, client: Client | None) -> None:
    if role not in Role.values:
        raise ValidationFailed(f"'{role}' is not a role. Roles: {', '.join(Role.values)}.", field="role")
    require(actor, _manage_perm(role))
    if actor.user is not None and role not in ASSIGNABLE_ROLES.get(actor.user.role, frozenset()):
        raise PermissionDenied(f"Your role cannot give the role '{role}'.", field="role")
    if role in CLIENT_ROLES and client is None:
        raise ValidationFailed("Client users need a client.", field="client")
    if role not in CLIENT_ROLES and client is not None:
        raise ValidationFailed("MSP staff do not belong to a client.", field="client")
    if actor.user is not None and actor.user.is_client_user and client is not None:
        if client.pk != actor.user.client_id:
            raise PermissionDenied("Client admins manage their own company's users only.", field="client")


def _role_state(user: User) -> dict[str, Any]:
    return {
        "role": user.role,
        "client_id": user.client_id,
        "all_clients": user.all_clients,
        "assigned_clients": sorted(user.assigned_clients.values_list("pk", flat=True)) if user.pk else [],
        "is_active": user.is_active,
    }


@transaction.atomic
def invite_user(
    *,
    actor: Actor,
    email: str,
    role: str,
    full_name: str = "",
    client: Client | None = None,
    all_clients: bool = True,
    assigned_clients: Iterable[Client] = (),
    language: str = "ko",
    password: str | None = None,
) -> User:
    """Create an account; without a password the person sets one through the invitation link."""
    _check_assignment(actor, role, client)
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise Conflict(f"{email} already has an account.", field="email")
    user = User(email=email, full_name=full_name, role=role, client=client, language=language)
    user.all_clients = all_clients if role == Role.TECHNICIAN else True
    if password:
        _validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    full_clean(user, exclude=["password"])
    try:
        user.save()
    except IntegrityError:
        raise Conflict(f"{email} already has an account.", field="email") from None
    if role == Role.TECHNICIAN:
        user.assigned_clients.set(list(assigned_clients))
    audit.record(
        actor=actor,
        action="user.invited",
        obj=user,
        client_id=user.client_id,
        after=audit.snapshot(user),
        category=audit.CATEGORY_PERMISSION,
    )
    return user


def _validate_password(password: str, user: User) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from None


@transaction.atomic
def update_profile(*, actor: Actor, user: User, changes: Mapping[str, Any]) -> User:
    """Name, language and time zone: the person themselves or whoever manages them."""
    if actor.user is None or actor.user.pk != user.pk:
        require(actor, _manage_perm(user.role))
    elif actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    before = audit.snapshot(user)
    apply_changes(user, changes, USER_FIELDS)
    if user.language not in ("ko", "en"):
        raise ValidationFailed("Language must be ko or en.", field="language")
    from openmsp.tenants.actions import check_time_zone

    check_time_zone(user.time_zone)
    full_clean(user, exclude=["password"])
    after = audit.snapshot(user)
    if after != before:
        user.save()
        audit.record(actor=actor, action="user.updated", obj=user, before=before, after=after)
    return user


@transaction.atomic
def change_role(*, actor: Actor, user: User, changes: Mapping[str, Any]) -> User:
    """Role, client, technician scope, active flag: audited as permission changes."""
    changes = dict(changes)
    require(actor, _manage_perm(user.role))
    if actor.user is not None and actor.user.pk == user.pk:
        raise PermissionDenied("You cannot change your own role or deactivate yourself.")
    before = _role_state(user)
    assigned = changes.pop("assigned_clients", None)
    apply_changes(user, changes, ROLE_FIELDS - {"assigned_clients"})
    _check_assignment(actor, user.role, user.client)
    if before["role"] == Role.MSP_OWNER and (user.role != Role.MSP_OWNER or not user.is_active):
        if not User.objects.filter(role=Role.MSP_OWNER, is_active=True).exclude(pk=user.pk).exists():
            raise Conflict("The last active MSP owner cannot lose that role.", field="role")
    full_clean(user, exclude=["password"])
    user.save()
    if assigned is not None:
        user.assigned_clients.set(list(assigned))
    after = _role_state(user)
    if after != before:
        audit.record(
            actor=actor,
            action="user.role_changed",
            obj=user,
            client_id=user.client_id,
            before=before,
            after=after,
            category=audit.CATEGORY_PERMISSION,
        )
    return user


# --- API tokens ---------------------------------------------------------------------------


@transaction.atomic
def create_token(
    *,
    actor: Actor,
    user: User,
    name: str,
    read_only: bool = False,
    expires_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Returns the token row and the secret, which is never stored and cannot be shown again."""
    if actor.user is not None and actor.user.pk != user.pk:
        raise PermissionDenied("Tokens are created by their owner.")
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    if not name.strip():
        raise ValidationFailed("Give the token a name.", field="name")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise ValidationFailed("Expiry must be between 1 and 3650 days.", field="expires_days")
    full, prefix, digest = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=prefix,
        token_hash=digest,
        read_only=read_only,
        expires_at=timezone.now() + dt.timedelta(days=expires_days) if expires_days else None,
    )
    audit.record(
        actor=actor,
        action="token.created",
        obj=token,
        client_id=user.client_id,
        after={"name": token.name, "prefix": prefix, "read_only": read_only, "user": user.email},
        category=audit.CATEGORY_PERMISSION,
    )
    return token, full


@transaction.atomic
def revoke_token(*, actor: Actor, token: ApiToken) -> ApiToken:
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    if actor.user is not None and actor.user.pk != token.user_id:
        require(actor, Perm.STAFF_MANAGE)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            actor=actor,
            action="token.revoked",
            obj=token,
            client_id=token.user.client_id,
            category=audit.CATEGORY_PERMISSION,
        )
    return token
