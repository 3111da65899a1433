"""API authentication: `Authorization: Bearer omsp_…` tokens, or the browser's verified session.

Both set `request.actor`, which every API operation passes to queries and actions.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from openmsp.accounts.models import TOKEN_PREFIX, ApiToken, User, hash_token_secret
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.context import current_ip

# Token use is audited at most once per token in this window: every request would flood the chain,
# and the access record PIPA asks for is "who used which credential when, from where".
TOKEN_USE_AUDIT_INTERVAL = dt.timedelta(minutes=5)


def _parse(raw: str) -> tuple[str, str] | None:
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], raw.strip()


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        parsed = _parse(token)
        if parsed is None:
            return None
        prefix, full = parsed
        row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if row is None:
            return None
        refusal = _refusal(row, full)
        if refusal:
            _note_refusal(row, refusal)
            return None
        _note_use(row)
        actor = Actor(user=row.user, via="token", token=row)
        request.actor = actor  # type: ignore[attr-defined]
        return actor


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < TOKEN_USE_AUDIT_INTERVAL:
        return
    token.last_used_at = now
    token.last_used_ip = current_ip() or ""
    token.save(update_fields=["last_used_at", "last_used_ip"])
    audit.record(
        actor=Actor(user=token.user, via="token", token=token),
        action="token.used",
        obj=token,
        client_id=token.user.client_id,
        category=audit.CATEGORY_ACCESS,
    )


def _refusal(token: ApiToken, full: str) -> str:
    if not hmac.compare_digest(token.token_hash, hash_token_secret(full)):
        return "wrong_secret"
    if token.revoked_at is not None:
        return "revoked"
    if not token.is_usable():
        return "expired"
    if not token.user.is_active:
        return "user_inactive"
    return ""


def _note_refusal(token: ApiToken, reason: str) -> None:
    """A failed sign-in with a known token (revoked, expired, or a guessed secret) is an access
    record too. At most one per token and window per process: a script retrying a revoked token
    must not grow the chain by a row per request."""
    key = f"openmsp:token-refused:{token.token_hash[:24]}"
    if not cache.add(key, True, timeout=int(TOKEN_USE_AUDIT_INTERVAL.total_seconds())):
        return
    audit.record(
        actor=Actor.system("api"),
        action="token.refused",
        obj=token,
        client_id=token.user.client_id,
        after={"reason": reason, "user": token.user.email},
        category=audit.CATEGORY_ACCESS,
    )


class VerifiedSession(APIKeyCookie):
    """The signed-in browser session (CSRF-checked), once two-factor sign-in is complete."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        user: Any = request.user
        if not user.is_authenticated or not isinstance(user, User):
            return None
        from openmsp.accounts.mfa import session_is_fully_signed_in

        if not session_is_fully_signed_in(request):
            return None
        actor = Actor(user=user, via="session")
        request.actor = actor  # type: ignore[attr-defined]
        return actor


def actor_from(request: HttpRequest) -> Actor:
    actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):  # pragma: no cover - the auth classes always set it
        raise RuntimeError("API operation reached without an authenticated actor.")
    return actor
