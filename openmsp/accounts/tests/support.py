"""Helpers shared by the accounts tests: authenticator devices and codes, signing in by form."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from openmsp.accounts.models import User
from openmsp.core.models import AuditRecord

TOKEN_PATTERN = re.compile(r"omsp_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def add_device(user: User, *, confirmed: bool = True, name: str = "phone") -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name=name, confirmed=confirmed)


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows right now (time-machine moves "now")."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def wrong_code_for(device: TOTPDevice) -> str:
    right = int(code_for(device))
    return f"{(right + 500_000) % 1_000_000:06d}"


def post_password(http: HttpClient, email: str, password: str, **extra: str):
    return http.post(reverse("login"), {"username": email, "password": password, **extra})


def last_mail_link() -> str:
    body = str(mail.outbox[-1].body)
    match = re.search(r"https?://\S+", body)
    assert match, body
    return match.group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def find_token(html: str) -> str:
    match = TOKEN_PATTERN.search(html)
    assert match, "no token on the page"
    return match.group(0)


def says(response: Any, message: Any) -> bool:
    """Whether the page shows *message* (lazy text, or a callable making it) in the page's language."""
    with translation.override(response["Content-Language"]):
        text = str(message() if callable(message) else message)
    return escape(text) in response.content.decode()


def records(action: str) -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action).order_by("seq"))
