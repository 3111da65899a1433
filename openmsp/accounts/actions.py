"""Changes to people, roles and API tokens. Role and permission changes are audited as such."""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmsp.accounts.models import ApiToken, SecurityPolicy, User
from openmsp.accounts.roles import ASSIGNABLE_ROLES, CLIENT_ROLES, Perm, Role
from openmsp.core import audit, ratelimit
from openmsp.core.actions import apply_changes, full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import (
    Conflict,
    OpenMSPError,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)
from openmsp.tenants.models import Client

USER_FIELDS = {"full_name", "language", "time_zone"}
ROLE_FIELDS = {"role", "client", "all_clients", "assigned_clients", "is_active"}


def _manage_perm(role: str) -> str:
    return Perm.CLIENT_USER_MANAGE if role in CLIENT_ROLES else Perm.STAFF_MANAGE


def _check_assignment(actor: Actor, role: str, client: Client | None) -> None:
    if role not in Role.values:
        raise ValidationFailed(
            f"'{role}' is not a role. Roles: {', '.join(Role.values)}.", field="role"
        )
    require(actor, _manage_perm(role))
    if actor.user is not None and role not in ASSIGNABLE_ROLES.get(actor.user.role, frozenset()):
        raise PermissionDenied(f"Your role cannot give the role '{role}'.", field="role")
    if role in CLIENT_ROLES and client is None:
        raise ValidationFailed("Client users need a client.", field="client")
    if role not in CLIENT_ROLES and client is not None:
        raise ValidationFailed("MSP staff do not belong to a client.", field="client")
    me = actor.user
    if me is not None and me.is_client_user and client is not None and client.pk != me.client_id:
        raise PermissionDenied(
            "Client admins manage their own company's users only.", field="client"
        )


def _role_state(user: User) -> dict[str, Any]:
    return {
        "role": user.role,
        "client_id": user.client_id,
        "all_clients": user.all_clients,
        "assigned_clients": sorted(user.assigned_clients.values_list("pk", flat=True))
        if user.pk
        else [],
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
    if actor.user is not None and user.role not in ASSIGNABLE_ROLES.get(
        actor.user.role, frozenset()
    ):
        # Changing someone takes the right to give their current role too (an admin may not
        # demote an owner).
        raise PermissionDenied(
            f"Your role cannot change people with the role '{user.role}'.", field="role"
        )
    before = _role_state(user)
    assigned = changes.pop("assigned_clients", None)
    apply_changes(user, changes, ROLE_FIELDS - {"assigned_clients"})
    _check_assignment(actor, user.role, user.client)
    losing_owner = before["role"] == Role.MSP_OWNER and (
        user.role != Role.MSP_OWNER or not user.is_active
    )
    other_owners = User.objects.filter(role=Role.MSP_OWNER, is_active=True).exclude(pk=user.pk)
    if losing_owner and not other_owners.exists():
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
    if actor.user is not None:  # the CLI (system:cli) is the operator, not a guesser
        wait = ratelimit.hit(ratelimit.TOKEN_CREATE, f"user:{user.pk}")
        if wait:
            raise RateLimited(wait)
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


# --- Access management: permission to edit a person, invitations, passwords --------------


class DeliveryFailed(OpenMSPError):
    """The mail server refused the message or could not be reached: an operator must act."""

    status_code = 502


def can_manage_user(actor: Actor, user: User) -> bool:
    """Whether *actor* may change *user*'s profile and role (the UI shows edit forms only then)."""
    if actor.read_only:
        return False
    me = actor.user
    if me is None:
        return True
    if me.pk == user.pk or not me.has_perm_to(_manage_perm(user.role)):
        return False
    if user.role not in ASSIGNABLE_ROLES.get(me.role, frozenset()):
        return False
    return not (me.is_client_user and user.client_id != me.client_id)


def invitation_link(user: User) -> str:
    """A set-your-password link; the reset-token generator makes it die once a password is set."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invitation_accept", kwargs={"uidb64": uid, "token": token})
    return f"{settings.SITE_URL}{path}"


def send_invitation(*, actor: Actor, user: User) -> None:
    """E-mail *user* (in their language) a link to choose a password and sign in."""
    require(actor, _manage_perm(user.role))
    me = actor.user
    if me is not None and me.is_client_user and user.client_id != me.client_id:
        raise PermissionDenied(gettext("Client admins manage their own company's users only."))
    if not user.is_active:
        raise Conflict(
            gettext("%(email)s is deactivated: activate the account before inviting.")
            % {"email": user.email},
            field="is_active",
        )
    if user.has_usable_password():
        raise Conflict(
            gettext(
                "%(email)s has already chosen a password; they can use “Forgot your password?” "
                "on the sign-in page."
            )
            % {"email": user.email}
        )
    context = {
        "user": user,
        "link": invitation_link(user),
        "site_url": settings.SITE_URL,
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(user.language):
        subject = "".join(
            render_to_string("accounts/email/invitation_subject.txt", context).splitlines()
        )
        body = render_to_string("accounts/email/invitation.txt", context)
    _deliver(subject, body, user.email)
    audit.record(
        actor=actor,
        action="user.invitation_sent",
        obj=user,
        client_id=user.client_id,
        after={"email": user.email},
        category=audit.CATEGORY_PERMISSION,
    )


def _deliver(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(
            gettext(
                "The e-mail to %(email)s could not be sent (%(reason)s). Check the OPENMSP_SMTP_* "
                "settings, then send it again."
            )
            % {"email": to, "reason": exc}
        ) from None


@transaction.atomic
def set_password(*, actor: Actor, user: User, password: str) -> User:
    """A password chosen by its owner (invitation or reset link, profile); lifts a lock-out."""
    if actor.user is not None and actor.user.pk != user.pk:
        raise PermissionDenied(gettext("Only the person themselves can choose their password."))
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    _validate_password(password, user)
    user.set_password(password)
    user.failed_login_count = 0
    user.locked_until = None
    user.save(update_fields=["password", "failed_login_count", "locked_until"])
    audit.record(
        actor=actor,
        action="user.password_set",
        obj=user,
        client_id=user.client_id,
        category=audit.CATEGORY_PERMISSION,
    )
    return user


# --- Two-factor devices (TOTP) ------------------------------------------------------------


def _require_self(actor: Actor, user: User) -> None:
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    if actor.user is not None and actor.user.pk != user.pk:
        raise PermissionDenied(
            gettext("Only the person themselves can set up their authenticator.")
        )


def start_totp_enrolment(*, actor: Actor, user: User) -> TOTPDevice:
    """The pending (unconfirmed) device whose secret the set-up page shows.

    Not audited: an unconfirmed device opens nothing. Reused until confirmed, so reloading the
    set-up page keeps showing the QR code the person may already have scanned.
    """
    _require_self(actor, user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=gettext("Authenticator app"), confirmed=False
        )
    return device


def confirm_totp_device(
    *, actor: Actor, device: TOTPDevice, token: str, name: str = ""
) -> TOTPDevice:
    """Activate *device* once the person proves their app shows its codes."""
    _require_self(actor, device.user)
    if device.confirmed:
        raise Conflict(gettext("This authenticator is already set up."))
    # Verified outside the transaction below: a wrong code must keep its throttling increment.
    allowed, _info = device.verify_is_allowed()
    if not allowed:
        raise ValidationFailed(
            gettext(
                "Too many wrong codes in a row: wait a few seconds, then enter the newest code."
            ),
            field="otp_token",
        )
    if not device.verify_token(normalize_otp(token)):
        raise ValidationFailed(
            gettext(
                "That code is not right. Check the time on your phone and enter the newest code."
            ),
            field="otp_token",
        )
    with transaction.atomic():
        device.confirmed = True
        device.name = (name.strip() or device.name)[:64]
        device.save(update_fields=["confirmed", "name"])
        audit.record(
            actor=actor,
            action="mfa.device_added",
            obj=device,
            object_repr=f"{device.name} ({device.user.email})",
            client_id=device.user.client_id,
            after={"name": device.name, "user": device.user.email},
            category=audit.CATEGORY_PERMISSION,
        )
    return device


def normalize_otp(token: str) -> str:
    return "".join(token.split())


@transaction.atomic
def remove_totp_device(*, actor: Actor, device: TOTPDevice) -> None:
    """The owner removes an authenticator, or a manager resets a lost one."""
    from openmsp.accounts.mfa import mfa_enforced_for

    owner = device.user
    if actor.read_only:
        raise PermissionDenied("This API token is read-only.")
    if actor.user is not None and actor.user.pk != owner.pk:
        if not can_manage_user(actor, owner):
            raise PermissionDenied(gettext("Your role does not allow this."))
    elif actor.user is not None and mfa_enforced_for(owner):
        others = TOTPDevice.objects.filter(user=owner, confirmed=True).exclude(pk=device.pk)
        if not others.exists():
            raise Conflict(
                gettext(
                    "Two-factor sign-in is required for MSP staff: set up another authenticator "
                    "before removing this one."
                )
            )
    audit.record(
        actor=actor,
        action="mfa.device_removed",
        obj=device,
        object_repr=f"{device.name} ({owner.email})",
        client_id=owner.client_id,
        before={"name": device.name, "user": owner.email, "confirmed": device.confirmed},
        category=audit.CATEGORY_PERMISSION,
    )
    device.delete()


# --- Installation-wide sign-in policy -----------------------------------------------------


@transaction.atomic
def set_security_policy(*, actor: Actor, mfa_required_for_staff: bool) -> SecurityPolicy:
    require(actor, Perm.SETTINGS_MANAGE)
    policy = SecurityPolicy.current()
    before = {"mfa_required_for_staff": policy.mfa_required_for_staff}
    if policy.mfa_required_for_staff == mfa_required_for_staff:
        return policy
    policy.mfa_required_for_staff = mfa_required_for_staff
    policy.save()
    audit.record(
        actor=actor,
        action="security_policy.updated",
        obj=policy,
        before=before,
        after={"mfa_required_for_staff": mfa_required_for_staff},
        category=audit.CATEGORY_PERMISSION,
    )
    return policy


@transaction.atomic
def unlock_user(*, actor: Actor, user: User) -> User:
    """Lift a sign-in lock-out before it ends by itself (someone who may manage the person)."""
    if not can_manage_user(actor, user):
        raise PermissionDenied("Your role does not allow changing this person.")
    row = User.objects.select_for_update().get(pk=user.pk)
    if not row.is_locked() and not row.failed_login_count:
        return row
    before = {"locked_until": row.locked_until, "failed_login_count": row.failed_login_count}
    row.locked_until, row.failed_login_count = None, 0
    row.save(update_fields=["locked_until", "failed_login_count"])
    audit.record(
        actor=actor,
        action="user.unlocked",
        obj=row,
        before=before,
        after={"locked_until": None, "failed_login_count": 0},
        category=audit.CATEGORY_ACCESS,
    )
    return row
