"""Secrets the platform keeps (webhook signing keys, SNMP communities and v3 keys, HTTP checks'
header values) are encrypted in the database: the raw column never holds the plaintext, and keys rotate without losing any."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from openmsp.accounts.models import User
from openmsp.core import encryption
from openmsp.core.actor import Actor
from openmsp.core.env import ConfigError
from openmsp.monitoring import actions as check_actions
from openmsp.monitoring.models import Check
from openmsp.notifications import actions as notify_actions
from openmsp.notifications.models import Channel
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
SECRET = "hook-signing-key-0123456789"
COMMUNITY = "c0mmunity-private-42"
BEARER = "Bearer erp-api-token-9f8e7d"


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def _channel(owner: User, client: Client) -> Channel:
    return notify_actions.create_channel(
        actor=Actor(user=owner), client=client, name="hook", kind="webhook",
        config={"url": "https://hooks.example.com/in"}, secret=SECRET,
    )  # fmt: skip


def _snmp(owner: User, client: Client) -> Check:
    return check_actions.create_check(
        actor=Actor(user=owner), client=client, kind="snmp", name="switch",
        target="switch.invalid", settings={"version": "2c", "community": COMMUNITY},
    )  # fmt: skip


def _http(owner: User, client: Client) -> Check:
    return check_actions.create_check(
        actor=Actor(user=owner), client=client, kind="http", name="erp api",
        target="https://erp.invalid/health",
        settings={"headers": {"Authorization": BEARER, "X-Tenant": "hanbit-7"}},
    )  # fmt: skip


def test_an_http_checks_header_values_are_stored_encrypted_and_its_names_readable(
    msp_owner: User, client_a: Client
) -> None:
    check = _http(msp_owner, client_a)
    raw = _raw("monitoring_check", "settings", check.pk)
    assert BEARER not in raw
    assert "hanbit-7" not in raw  # every value: a custom header may carry a key too
    assert '"Authorization": "enc1:' in raw.replace('":"', '": "')
    headers = Check.objects.get(pk=check.pk).settings["headers"]
    assert headers == {"Authorization": BEARER, "X-Tenant": "hanbit-7"}


def test_the_migration_encrypts_header_values_stored_in_clear_before_it(
    msp_owner: User, client_a: Client
) -> None:
    check = _http(msp_owner, client_a)
    plain = json.dumps({"headers": {"Authorization": BEARER}})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE monitoring_check SET settings = %s WHERE id = %s", [plain, check.pk])
    assert BEARER in _raw("monitoring_check", "settings", check.pk)
    assert Check.objects.get(pk=check.pk).settings["headers"]["Authorization"] == BEARER
    migration = importlib.import_module("openmsp.monitoring.migrations.0004_http_headers_encrypted")
    migration.encrypt_stored_headers(apps, None)
    assert BEARER not in _raw("monitoring_check", "settings", check.pk)
    assert Check.objects.get(pk=check.pk).settings["headers"]["Authorization"] == BEARER


def test_the_raw_columns_hold_ciphertext_and_the_models_the_plaintext(
    msp_owner: User, client_a: Client
) -> None:
    channel, check = _channel(msp_owner, client_a), _snmp(msp_owner, client_a)
    raw_secret = _raw("notifications_channel", "secret", channel.pk)
    raw_settings = _raw("monitoring_check", "settings", check.pk)
    assert SECRET not in raw_secret
    assert raw_secret.startswith("enc1:")
    assert COMMUNITY not in raw_settings
    assert '"version"' in raw_settings  # only the secret keys are encrypted; the rest stays JSON
    assert Channel.objects.get(pk=channel.pk).secret == SECRET
    assert Check.objects.get(pk=check.pk).settings["community"] == COMMUNITY


def test_the_migration_encrypts_values_stored_in_clear_before_it(
    msp_owner: User, client_a: Client
) -> None:
    channel = _channel(msp_owner, client_a)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notifications_channel SET secret = %s WHERE id = %s", [SECRET, channel.pk]
        )
    assert _raw("notifications_channel", "secret", channel.pk) == SECRET
    assert Channel.objects.get(pk=channel.pk).secret == SECRET  # legacy plaintext still reads
    migration = importlib.import_module("openmsp.notifications.migrations.0004_security_at_rest")
    migration.secure_existing_rows(apps, None)
    assert SECRET not in _raw("notifications_channel", "secret", channel.pk)
    assert Channel.objects.get(pk=channel.pk).secret == SECRET


def test_after_a_key_rotation_old_values_read_and_rotate_re_encrypts_them(
    msp_owner: User, client_a: Client, settings: Any
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OPENMSP_SECRET_KEY_ENCRYPTION = old
    channel, check = _channel(msp_owner, client_a), _snmp(msp_owner, client_a)
    http = _http(msp_owner, client_a)
    before = _raw("notifications_channel", "secret", channel.pk)
    headers_before = _raw("monitoring_check", "settings", http.pk)
    settings.OPENMSP_SECRET_KEY_ENCRYPTION, settings.OPENMSP_SECRET_KEY_ENCRYPTION_OLD = new, [old]
    assert Channel.objects.get(pk=channel.pk).secret == SECRET
    call_command("encryption_key", "rotate")
    after = _raw("notifications_channel", "secret", channel.pk)
    assert after != before
    assert _raw("monitoring_check", "settings", http.pk) != headers_before
    settings.OPENMSP_SECRET_KEY_ENCRYPTION_OLD = []  # the old key is gone: still readable
    assert Channel.objects.get(pk=channel.pk).secret == SECRET
    assert Check.objects.get(pk=check.pk).settings["community"] == COMMUNITY
    assert Check.objects.get(pk=http.pk).settings["headers"]["Authorization"] == BEARER


def test_a_missing_key_is_a_clear_configuration_error_not_garbage(settings: Any) -> None:
    settings.OPENMSP_SECRET_KEY_ENCRYPTION = Fernet.generate_key().decode()
    stored = encryption.encrypt("x")
    settings.OPENMSP_SECRET_KEY_ENCRYPTION = Fernet.generate_key().decode()
    with pytest.raises(ConfigError, match="OPENMSP_SECRET_KEY_ENCRYPTION_OLD"):
        encryption.decrypt(stored)
    settings.OPENMSP_SECRET_KEY_ENCRYPTION = "not-a-key"
    with pytest.raises(ConfigError, match="not a Fernet key"):
        encryption.encrypt("x")
