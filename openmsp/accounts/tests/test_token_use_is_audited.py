"""Alice's backup script uses her API token: every use leaves an access record (at most one per
token in five minutes, so a busy script does not flood the chain), and so does every refused use
of a token the server knows: revoked, expired, of a deactivated person, or with a guessed secret."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client as HttpClient
from django.utils import timezone

from openmsp.accounts import actions
from openmsp.accounts.models import ApiToken
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


def bearer(secret: str) -> HttpClient:
    return HttpClient(headers={"Authorization": f"Bearer {secret}"})


def alices_token(alice, **extra) -> tuple[ApiToken, str]:
    return actions.create_token(actor=Actor(user=alice), user=alice, name="backup", **extra)


def uses_of(token: ApiToken, action: str = "token.used") -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=action, object_id=str(token.pk)).order_by("seq"))


def test_the_first_use_is_recorded_with_who_which_token_client_and_address(alice):
    token, secret = alices_token(alice)

    assert bearer(secret).get("/api/v1/me", REMOTE_ADDR="127.0.0.9").status_code == 200

    [record] = uses_of(token)
    assert record.actor_id == alice.pk
    assert record.client_id == alice.client_id
    assert record.category == audit.CATEGORY_ACCESS
    assert record.ip == "127.0.0.9"
    assert record.request_id
    assert token.prefix in record.actor_label
    token.refresh_from_db()
    assert token.last_used_ip == "127.0.0.9"


def test_a_busy_script_leaves_one_record_per_five_minutes(alice, time_machine):
    token, secret = alices_token(alice)
    time_machine.move_to(timezone.now(), tick=False)
    http = bearer(secret)

    for _ in range(3):
        assert http.get("/api/v1/me").status_code == 200
    time_machine.shift(dt.timedelta(minutes=6))
    assert http.get("/api/v1/me").status_code == 200

    assert len(uses_of(token)) == 2
    assert audit.verify().ok


def test_a_revoked_token_is_refused_and_the_attempt_recorded_once_per_window(alice):
    token, secret = alices_token(alice)
    actions.revoke_token(actor=Actor(user=alice), token=token)

    for _ in range(3):
        assert bearer(secret).get("/api/v1/me").status_code == 401

    [record] = uses_of(token, "token.refused")
    assert record.after == {"reason": "revoked", "user": "alice@hanbit.example"}
    assert record.category == audit.CATEGORY_ACCESS
    assert record.client_id == alice.client_id
    assert uses_of(token) == []


def test_an_expired_token_is_refused_and_the_attempt_recorded(alice, time_machine):
    token, secret = alices_token(alice, expires_days=1)
    time_machine.move_to(timezone.now() + dt.timedelta(days=2))

    response = bearer(secret).get("/api/v1/me")

    assert response.status_code == 401
    assert "Bearer" in response.json()["detail"]
    [record] = uses_of(token, "token.refused")
    assert record.after == {"reason": "expired", "user": "alice@hanbit.example"}


def test_a_guessed_secret_for_a_real_prefix_is_refused_and_recorded(alice):
    token, _secret = alices_token(alice)

    response = bearer(f"omsp_{token.prefix}_not-the-secret").get("/api/v1/me")

    assert response.status_code == 401
    [record] = uses_of(token, "token.refused")
    assert record.after == {"reason": "wrong_secret", "user": "alice@hanbit.example"}


def test_the_token_of_a_deactivated_person_is_refused_and_recorded(alice, msp_owner):
    token, secret = alices_token(alice)
    actions.change_role(actor=Actor(user=msp_owner), user=alice, changes={"is_active": False})

    assert bearer(secret).get("/api/v1/me").status_code == 401

    [record] = uses_of(token, "token.refused")
    assert record.after == {"reason": "user_inactive", "user": "alice@hanbit.example"}


def test_a_token_nobody_issued_is_refused_without_a_record(db):
    before = AuditRecord.objects.count()

    assert bearer("omsp_deadbeef_made-up").get("/api/v1/me").status_code == 401

    assert AuditRecord.objects.count() == before
