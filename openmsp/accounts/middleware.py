"""Session rules applied on every request: idle timeout, the user's language and time zone, and
finishing two-factor sign-in before anything else is reachable."""

from __future__ import annotations

import time
import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone, translation

IDLE_KEY = "openmsp_last_seen"
# When the session signed in: no session outlives OPENMSP_SESSION_MAX_HOURS, however active (the
# cookie's expiry alone would slide forward with every save of the last-seen time).
BORN_KEY = "openmsp_signed_in_at"
# The last-seen time is written at most this often, so a busy page does not save the session on
# every request; the idle limit is therefore exact to within this many seconds.
IDLE_RESOLUTION_SECONDS = 60
# Prefixes a half-signed-in user (password right, TOTP pending) may still reach. The API is not
# among the protected pages: it refuses such sessions itself (accounts.auth.VerifiedSession).
_OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/api/")
_PENDING_VIEWS = ("login", "login_otp", "totp_setup", "logout")


# Agents authenticate each request with their own HMAC credential and never carry a session.
_SESSIONLESS_PREFIXES = ("/agent/",)


class SessionSecurityMiddleware:
    """Works in both modes: under ASGI an agent's long poll must wait without holding a thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        early, zone = _before(request)
        if early is not None:
            return early
        if zone is None:
            return self.get_response(request)
        timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            response: HttpResponse = await self.get_response(request)
            return response
        early, zone = await sync_to_async(_before)(request)
        if early is not None:
            return early
        if zone is not None:
            timezone.activate(zone)
        try:
            response = await self.get_response(request)
            return response
        finally:
            if zone is not None:
                timezone.deactivate()


def _before(request: HttpRequest) -> tuple[HttpResponse | None, zoneinfo.ZoneInfo | None]:
    """An early answer (idle sign-out, TOTP still due) or the user's time zone to activate."""
    user: Any = request.user
    if not user.is_authenticated:
        return None, None
    if _idle_expired(request) or _too_old(request):
        if request.path.startswith("/api/"):
            # The API answers for itself: a bearer token still works, a session gets its 401.
            _sign_out(request)
            return None, None
        return _sign_out_idle(request), None
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language
    pending = _mfa_pending(request)
    if pending is not None:
        return pending, None
    return None, _zone(user.time_zone)


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _idle_expired(request: HttpRequest) -> bool:
    now = int(time.time())
    last = request.session.get(IDLE_KEY)
    if isinstance(last, int) and now - last > settings.OPENMSP_SESSION_IDLE_MINUTES * 60:
        return True
    if not isinstance(last, int) or now - last >= IDLE_RESOLUTION_SECONDS:
        request.session[IDLE_KEY] = now
    return False


def _too_old(request: HttpRequest) -> bool:
    now = int(time.time())
    born = request.session.get(BORN_KEY)
    if not isinstance(born, int):
        request.session[BORN_KEY] = now  # sessions from before this rule start counting now
        return False
    if now - born > settings.SESSION_COOKIE_AGE:
        request.openmsp_signout_reason = "expired"  # type: ignore[attr-defined]
        return True
    return False


def _sign_out(request: HttpRequest) -> None:
    from openmsp.accounts.login import sign_out

    sign_out(request, reason=getattr(request, "openmsp_signout_reason", "idle"))


def _sign_out_idle(request: HttpRequest) -> HttpResponse:
    back_to = request.get_full_path() if request.method == "GET" else ""
    why = "expired" if getattr(request, "openmsp_signout_reason", "") == "expired" else "idle"
    _sign_out(request)
    query = {why: "1"} | ({"next": back_to} if back_to else {})
    target = f"{resolve_url(settings.LOGIN_URL)}?{urlencode(query)}"
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _mfa_pending(request: HttpRequest) -> HttpResponse | None:
    """Send a half-signed-in user to the TOTP step (or to set-up, if they have no device yet)."""
    from openmsp.accounts.mfa import confirmed_devices, mfa_required

    user: Any = request.user
    if user.is_verified() or not mfa_required(user):
        return None
    if request.path.startswith(_OPEN_PREFIXES):
        return None
    if request.path in {reverse(name) for name in _PENDING_VIEWS}:
        return None
    step = "login_otp" if confirmed_devices(user).exists() else "totp_setup"
    return HttpResponseRedirect(reverse(step))
