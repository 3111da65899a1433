"""Signing in and out: the password step, the TOTP step, lock-out and their access records.

These are the actions of the sign-in flow. They run before an actor exists, so instead of taking
one they record failures on a known address as that user and on an unknown address as
`system:web` with the typed address as the object. Both steps count towards one lock-out: after
OPENMSP_LOCKOUT_THRESHOLD consecutive failures (wrong password or wrong code) the account refuses
sign-in for OPENMSP_LOCKOUT_MINUTES. A full sign-in, or choosing a new password, resets the count.

The password step always runs the password hasher, so an unknown address costs as much time as a
known one. The lock-out message is only ever shown for an account that exists and is locked;
for an unknown address the answer stays the generic one (see docs/security.md).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass
from typing import Any

import django_otp
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext

from openmsp.accounts.actions import normalize_otp
from openmsp.accounts.mfa import confirmed_devices
from openmsp.accounts.models import User
from openmsp.core import audit
from openmsp.core.actor import Actor

WEB = Actor.system("web")


@dataclass(frozen=True)
class StepResult:
    """The outcome of one sign-in step: a user on success, else a sentence for the form."""

    user: User | None = None
    error: str = ""
    locked: bool = False

    @property
    def ok(self) -> bool:
        return self.user is not None


GENERIC_FAILURE = gettext_lazy("The email address or password is not correct.")
WRONG_CODE = gettext_lazy(
    "That code is not right. Enter the newest code from your authenticator app."
)
THROTTLED = gettext_lazy(
    "Too many wrong codes in a row: wait a few seconds, then enter the newest code."
)


def generic_failure() -> str:
    return str(GENERIC_FAILURE)


def locked_message(user: User) -> str:
    assert user.locked_until is not None
    minutes = max(1, math.ceil((user.locked_until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed sign-in attempts: this account is locked. Try again in %(minutes)d "
        "minute, or choose a new password with “Forgot your password?”.",
        "Too many failed sign-in attempts: this account is locked. Try again in %(minutes)d "
        "minutes, or choose a new password with “Forgot your password?”.",
        minutes,
    ) % {"minutes": minutes}


def _as(user: User) -> Actor:
    return Actor(user=user, via="session")


def _access(actor: Actor, action: str, *, user: User | None = None, **extra: Any) -> None:
    if user is not None:
        audit.record(
            actor=actor,
            action=action,
            obj=user,
            after=extra or None,
            category=audit.CATEGORY_ACCESS,
        )
        return
    audit.record(
        actor=actor,
        action=action,
        object_type="accounts.user",
        object_repr=str(extra.pop("email", "")),
        after=extra or None,
        category=audit.CATEGORY_ACCESS,
    )


def check_password(request: HttpRequest, *, email: str, password: str) -> StepResult:
    """First step. On success the caller signs the user in (half-way, if TOTP is still due)."""
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    # Always hash: answering faster for unknown addresses would tell which ones exist.
    authenticated = authenticate(request, username=email, password=password)
    if user is None:
        _access(WEB, "login.failed", email=email, reason="unknown_email")
        return StepResult(error=generic_failure())
    if user.is_locked():
        _access(_as(user), "login.failed", user=user, reason="locked")
        return StepResult(error=locked_message(user), locked=True)
    if authenticated is None:
        if not user.is_active:
            _access(_as(user), "login.failed", user=user, reason="inactive")
            return StepResult(error=generic_failure())
        return _count_failure(user, reason="password", message=generic_failure())
    return StepResult(user=user)


def check_otp(request: HttpRequest, *, user: User, token: str) -> StepResult:
    """Second step for a half-signed-in *user*: one of their confirmed devices must accept *token*."""
    if user.is_locked():
        _access(_as(user), "login.failed", user=user, reason="locked")
        return StepResult(error=locked_message(user), locked=True)
    devices = list(confirmed_devices(user))
    if any(not device.verify_is_allowed()[0] for device in devices):
        # django-otp slows down guessing per device; a throttled try is refused without counting.
        return StepResult(error=str(THROTTLED))
    code = normalize_otp(token)
    for device in devices:
        if device.verify_token(code):
            complete_sign_in(request, user, device=device)
            return StepResult(user=user)
    return _count_failure(
        user,
        reason="totp",
        message=str(WRONG_CODE),
    )


def _count_failure(user: User, *, reason: str, message: str) -> StepResult:
    threshold = settings.OPENMSP_LOCKOUT_THRESHOLD
    with transaction.atomic():
        row = User.objects.select_for_update().get(pk=user.pk)
        row.failed_login_count += 1
        failures = row.failed_login_count
        if failures >= threshold:
            row.locked_until = timezone.now() + dt.timedelta(
                minutes=settings.OPENMSP_LOCKOUT_MINUTES
            )
            row.failed_login_count = 0  # after the lock ends, a fresh series of attempts
        row.save(update_fields=["failed_login_count", "locked_until"])
        _access(_as(row), "login.failed", user=row, reason=reason, failures=failures)
        if failures >= threshold:
            _access(_as(row), "login.locked", user=row, until=row.locked_until, failures=failures)
            return StepResult(error=locked_message(row), locked=True)
    return StepResult(error=message)


def start_session(request: HttpRequest, user: User) -> None:
    """The password was right: sign the session in (fully, unless a TOTP code is still due)."""
    from openmsp.accounts.mfa import mfa_required

    auth_login(request, user)
    request.session["openmsp_signed_in_at"] = int(time.time())  # see middleware.BORN_KEY
    if not mfa_required(user):
        complete_sign_in(request, user)


def complete_sign_in(request: HttpRequest, user: User, *, device: Any = None) -> None:
    """Both factors are done: mark the session verified, reset the failure count, record it."""
    if device is not None:
        django_otp.login(request, device)
        request.session.cycle_key()  # the verified session gets an id the half-way one never had
    with transaction.atomic():
        if user.failed_login_count or user.locked_until is not None:
            User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
            user.failed_login_count, user.locked_until = 0, None
        _access(_as(user), "login.succeeded", user=user, second_factor=device is not None)


def sign_out(request: HttpRequest, *, reason: str = "user") -> None:
    user: Any = request.user
    if user.is_authenticated and isinstance(user, User):
        _access(_as(user), "logout", user=user, reason=reason)
    auth_logout(request)
