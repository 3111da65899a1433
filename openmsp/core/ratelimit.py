"""Sliding-window rate limits for the endpoints people and scripts can hammer: signing in, the
TOTP step, password resets and API token creation.

Each attempt is a row (key, time) in the database, so two or more web processes share the counts.
`hit(rule, value)` counts the attempt and answers how long to wait when the last `window` seconds
already hold `limit` attempts; views answer that with 429 and a Retry-After header. Limits are per
client IP and per account (the typed address), so neither one address guessing many accounts nor
many addresses guessing one account gets far. The account lock-out (accounts.login) still applies
on top: the rate limit slows guessing down, the lock-out stops it.

Counting and adding are one step per key: two processes checking the same key at once must not
both see "one below the limit" and both get through. On PostgreSQL a transaction-scoped advisory
lock on the key serialises them (other keys are not held up); on SQLite every transaction begins
IMMEDIATE (settings.py), so it already holds the database's write lock before it counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from openmsp.core.context import client_ip_var
from openmsp.core.models import RateLimitHit


@dataclass(frozen=True)
class Rule:
    name: str
    setting: str  # "LIMIT/SECONDS" in settings, e.g. OPENMSP_RATELIMIT_LOGIN_IP = "20/300"

    def limits(self) -> tuple[int, int]:
        limit, window = str(getattr(settings, self.setting)).split("/")
        return int(limit), int(window)


LOGIN_IP = Rule("login-ip", "OPENMSP_RATELIMIT_LOGIN_IP")
LOGIN_ACCOUNT = Rule("login-account", "OPENMSP_RATELIMIT_LOGIN_ACCOUNT")
TOKEN_CREATE = Rule("token-create", "OPENMSP_RATELIMIT_TOKEN_CREATE")
_PG_LOCK_SPACE = 0x0A0D18  # the advisory-lock namespace of rate-limit keys (audit uses 0x0A0D17)


def _lock_key(key: str) -> None:
    """Hold the key's lock until the transaction ends (PostgreSQL; see the module docstring)."""
    if connection.vendor != "postgresql":
        return
    digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_PG_LOCK_SPACE, digest])


def hit(rule: Rule, value: str) -> int:
    """Count one attempt; 0 if allowed, else the seconds until the oldest counted one expires
    (the refused attempt itself is not counted, so waiting that long always helps)."""
    limit, window = rule.limits()
    key = f"{rule.name}:{value.strip().lower()}"[:200]
    with transaction.atomic():
        _lock_key(key)
        now = timezone.now()  # after the lock: the window is judged when it is our turn
        start = now - dt.timedelta(seconds=window)
        RateLimitHit.objects.filter(key=key, at__lte=start).delete()
        recent = list(
            RateLimitHit.objects.filter(key=key, at__gt=start).order_by("at")[:limit]
            .values_list("at", flat=True)
        )  # fmt: skip
        if len(recent) >= limit:
            return max(1, math.ceil((recent[0] - start).total_seconds()))
        RateLimitHit.objects.create(key=key, at=now)
    return 0


def client_ip(request: HttpRequest) -> str:
    return client_ip_var.get() or str(request.META.get("REMOTE_ADDR", ""))


def check(
    request: HttpRequest, *, account: str = "", rules: tuple[Rule, Rule] | None = None
) -> int:
    """Count the attempt against the IP and (when given) the account rule; the longer wait."""
    ip_rule, account_rule = rules or (LOGIN_IP, LOGIN_ACCOUNT)
    wait = hit(ip_rule, client_ip(request))
    if account and not wait:
        wait = hit(account_rule, account)
    return wait


def too_many(wait: int, *, json: bool = False) -> HttpResponse:
    detail = f"Too many attempts: try again in {wait} seconds."
    response: HttpResponse = (
        JsonResponse({"detail": detail}, status=429)
        if json
        else HttpResponse(detail, status=429, content_type="text/plain; charset=utf-8")
    )
    response["Retry-After"] = str(wait)
    return response
