"""Two-factor state of a session: who must use TOTP, whether this session has, and set-up helpers."""

from __future__ import annotations

import base64
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice


def mfa_enforced_for(user: Any) -> bool:
    """The policy (environment or the owner's setting) makes TOTP compulsory for MSP staff."""
    if not user.is_msp_staff:
        return False
    if settings.OPENMSP_MFA_REQUIRED_FOR_STAFF:
        return True
    from openmsp.accounts.models import SecurityPolicy

    return SecurityPolicy.current().mfa_required_for_staff


def mfa_required(user: Any) -> bool:
    """TOTP is required for anyone who has a confirmed device, and for all staff when enforced."""
    return bool(user_has_device(user, confirmed=True)) or mfa_enforced_for(user)


def session_is_fully_signed_in(request: HttpRequest) -> bool:
    user: Any = request.user
    if not user.is_authenticated:
        return False
    if getattr(user, "is_verified", lambda: False)():
        return True
    return not mfa_required(user)


def confirmed_devices(user: Any) -> QuerySet[TOTPDevice]:
    devices: QuerySet[TOTPDevice] = TOTPDevice.objects.filter(user=user, confirmed=True)
    return devices.order_by("pk")


def base32_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps expect it typed in: base32, grouped by four."""
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (drawn here: no image request, no CDN)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathFillImage)
    svg: str = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" class="qr-code" ', 1)
