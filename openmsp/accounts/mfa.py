"""Two-factor state of a session: who must use TOTP, and whether this session has."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_otp import user_has_device


def mfa_required(user: Any) -> bool:
    """TOTP is required for anyone who has a confirmed device, and for all staff when enforced."""
    if user_has_device(user, confirmed=True):
        return True
    from openmsp.accounts.models import SecurityPolicy

    enforced = settings.OPENMSP_MFA_REQUIRED_FOR_STAFF or SecurityPolicy.current().mfa_required_for_staff
    return bool(enforced and user.is_msp_staff)


def session_is_fully_signed_in(request: HttpRequest) -> bool:
    user: Any = request.user
    if not user.is_authenticated:
        return False
    if not mfa_required(user):
        return True
    return bool(getattr(user, "is_verified", lambda: False)())
