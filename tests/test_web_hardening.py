"""Attacks on the web front refused: guessing (rate limits, lock-out lifted only by time or a
manager), stolen sessions (absolute lifetime), cross-site requests (CSRF), framing and sniffing
(security headers), and uploaded HTML or SVG run as our pages (attachments served inert)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from openmsp.accounts.middleware import BORN_KEY
from openmsp.accounts.models import User
from openmsp.core import ratelimit
from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord, RateLimitHit
from openmsp.servicedesk import actions as desk
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


def _login(http: HttpClient, email: str, password: str = "wrong-password", **extra: Any) -> Any:  # noqa: S107
    return http.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_sign_in_attempts_from_one_address_are_limited_with_retry_after(settings: Any) -> None:
    settings.OPENMSP_RATELIMIT_LOGIN_IP = "3/300"
    http = HttpClient(headers={"Accept-Language": "en"})
    answers = [_login(http, f"nobody{i}@example.com").status_code for i in range(3)]
    assert answers == [422, 422, 422]
    refused = _login(http, "nobody9@example.com")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 300
    assert "Too many sign-in attempts" in refused.content.decode()
    other_address = _login(http, "nobody9@example.com", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 422


def test_sign_in_attempts_on_one_account_are_limited_whatever_the_address(
    alice: User, settings: Any
) -> None:
    settings.OPENMSP_RATELIMIT_LOGIN_ACCOUNT = "2/300"
    settings.OPENMSP_LOCKOUT_THRESHOLD = 100
    http = HttpClient()
    for i in range(2):
        assert _login(http, alice.email, REMOTE_ADDR=f"192.0.2.{i}").status_code == 422
    refused = _login(http, alice.email.upper(), PASSWORD, REMOTE_ADDR="192.0.2.50")
    assert refused.status_code == 429  # even the right password waits: the guesser cannot tell
    assert int(refused["Retry-After"]) > 0


def test_the_window_slides(settings: Any, time_machine: Any) -> None:
    settings.OPENMSP_RATELIMIT_LOGIN_IP = "2/60"
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    assert ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.1") == 0
    time_machine.move_to(start + dt.timedelta(seconds=30), tick=False)
    assert ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.1") == 0
    assert ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.1") == 30  # the first expires in 30 s
    time_machine.move_to(start + dt.timedelta(seconds=61), tick=False)
    assert ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.1") == 0  # the first left the window
    assert RateLimitHit.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_counts_live_in_the_database_so_every_web_process_sees_them(settings: Any) -> None:
    settings.OPENMSP_RATELIMIT_LOGIN_IP = "2/300"

    def elsewhere() -> None:  # another connection, as another web process would have
        ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.99")
        connection.close()

    for _ in range(2):
        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
    assert ratelimit.hit(ratelimit.LOGIN_IP, "192.0.2.99") > 0


def test_api_token_creation_is_limited_per_person(alice: User, api_as: Any, settings: Any) -> None:
    settings.OPENMSP_RATELIMIT_TOKEN_CREATE = "2/3600"
    http = api_as(alice)  # its bearer token is the first creation counted
    body = {"name": "ci"}
    first = http.post("/api/v1/tokens", body, content_type="application/json")
    assert first.status_code == 201, first.content
    refused = http.post("/api/v1/tokens", body, content_type="application/json")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many attempts")
    assert int(refused["Retry-After"]) > 0


def test_a_manager_lifts_a_lock_out_and_it_is_audited(
    alice: User, bob: User, msp_admin: User, charlie: User, api_as: Any
) -> None:
    User.objects.filter(pk=bob.pk).update(
        locked_until=timezone.now() + dt.timedelta(minutes=10), failed_login_count=0
    )
    assert _login(HttpClient(), bob.email, PASSWORD).status_code == 429
    assert api_as(charlie).post(f"/api/v1/users/{bob.pk}/unlock").status_code == 404
    answer = api_as(msp_admin).post(f"/api/v1/users/{bob.pk}/unlock")
    assert answer.status_code == 200, answer.content
    record = AuditRecord.objects.get(action="user.unlocked")
    assert record.actor_id == msp_admin.pk
    assert record.category == "access"
    assert _login(HttpClient(), bob.email, PASSWORD).status_code == 302


def test_a_client_admin_lifts_a_lock_out_from_the_persons_page(
    alice: User, bob: User, web_as: Any
) -> None:
    User.objects.filter(pk=bob.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=10))
    http = web_as(alice)
    page = http.get(reverse("user_detail", args=[bob.pk])).content.decode()
    assert reverse("user_unlock", args=[bob.pk]) in page
    assert http.post(reverse("user_unlock", args=[bob.pk])).status_code == 302
    assert not User.objects.get(pk=bob.pk).is_locked()


def test_no_session_outlives_the_absolute_limit_however_active(
    alice: User, web_as: Any, settings: Any
) -> None:
    http = web_as(alice)
    assert http.get("/").status_code == 200
    session = http.session
    session[BORN_KEY] = int(time.time()) - settings.SESSION_COOKIE_AGE - 1
    session.save()
    answer = http.get("/tickets/")
    assert answer.status_code == 302
    assert "expired=1" in answer["Location"]
    logout = AuditRecord.objects.filter(action="logout").latest("seq")
    assert (logout.after or {}).get("reason") == "expired"
    assert http.get("/tickets/").status_code == 302  # signed out for good


def test_a_post_without_the_csrf_token_is_refused(alice: User) -> None:
    http = HttpClient(enforce_csrf_checks=True)
    assert _login(http, alice.email, PASSWORD).status_code == 403
    http.force_login(alice)
    assert http.post(reverse("logout")).status_code == 403
    assert http.get("/").status_code == 200  # still signed in: the forged POST did nothing


def test_every_page_carries_the_security_headers_and_hsts_only_over_tls(
    settings: Any,
) -> None:
    plain = HttpClient().get(reverse("login"))
    assert plain["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in plain["Content-Security-Policy"]
    assert plain["X-Content-Type-Options"] == "nosniff"
    assert plain["Referrer-Policy"] == "same-origin"
    assert "camera=()" in plain["Permissions-Policy"]
    assert "Strict-Transport-Security" not in plain
    tls = HttpClient().get(reverse("login"), secure=True)
    assert tls["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize(
    ("name", "content_type", "body"),
    [
        ("page.html", "text/html", b"<html><script>alert(document.cookie)</script></html>"),
        (
            "logo.svg",
            "image/svg+xml",
            b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        ),
    ],
)
def test_uploaded_html_and_svg_download_as_inert_bytes(
    name: str, content_type: str, body: bytes, alice: User, client_a: Client,
    web_as: Any, settings: Any,
) -> None:  # fmt: skip
    settings.SD_ATTACHMENT_TYPES = [*settings.SD_ATTACHMENT_TYPES, "text/html", "image/svg+xml"]
    ticket = desk.open_ticket(actor=Actor(user=alice), client=client_a, subject="see file")
    desk.add_attachment(
        actor=Actor(user=alice),
        ticket=ticket,
        file=SimpleUploadedFile(name, body, content_type=content_type),
    )
    att = ticket.attachments.get()
    answer = web_as(alice).get(reverse("ticket_attachment", args=[att.pk]))
    assert answer.status_code == 200
    assert answer.content == body
    assert answer["Content-Type"] == "application/octet-stream"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert name in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in answer["Content-Security-Policy"]
    assert "default-src 'none'" in answer["Content-Security-Policy"]
