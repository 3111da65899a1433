"""Session rules applied on every request: idle timeout, the user's language, finishing 2FA."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation

IDLE_KEY = "openmsp_last_seen"
# Paths a half-signed-in user (password ok, TOTP pending) may reach.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz", "/api/")


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = request.user
        if user.is_authenticated:
            if self._idle_expired(request):
                logout(request)
                return redirect(f"{settings.LOGIN_URL and '/accounts/login/'}?idle=1")
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
            pending = self._mfa_pending(request)
            if pending is not None:
                return pending
        return self.get_response(request)

    @staticmethod
    def _idle_expired(request: HttpRequest) -> bool:
        now = int(time.time())
        last = request.session.get(IDLE_KEY)
        request.session[IDLE_KEY] = now
        idle = settings.OPENMSP_SESSION_IDLE_MINUTES * 60
        return isinstance(last, int) and now - last > idle

    @staticmethod
    def _mfa_pending(request: HttpRequest) -> HttpResponse | None:
        from openmsp.accounts.mfa import mfa_required

        user: Any = request.user
        if not mfa_required(user) or user.is_verified():
            return None
        if request.path.startswith(_OPEN_PREFIXES):
            return None
        return redirect("/accounts/login/otp/")
