"""The server's keys: the command signing key (file or environment) and agent secrets at rest."""

from __future__ import annotations

import base64
import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from openmsp.agent_api import crypto
from openmsp.agent_api.jobs import forget_old_batches
from openmsp.agent_api.models import AgentBatch
from openmsp.agent_api.tests.agents import SignedAgent
from openmsp.core.env import ConfigError


@pytest.fixture
def fresh_keys(settings, tmp_path: Path, monkeypatch):
    settings.DATA_DIR = tmp_path
    monkeypatch.delenv(crypto.SIGNING_KEY_ENV, raising=False)
    crypto._load_signing_key.cache_clear()
    yield tmp_path
    crypto._load_signing_key.cache_clear()


def test_the_signing_key_is_created_once_with_mode_0600(fresh_keys: Path) -> None:
    public = crypto.public_key_b64()
    path = fresh_keys / "command_signing_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    crypto._load_signing_key.cache_clear()
    assert crypto.public_key_b64() == public  # read back, not regenerated
    assert len(base64.b64decode(public)) == 32


def test_the_signing_key_can_come_from_the_environment(fresh_keys: Path, monkeypatch) -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    monkeypatch.setenv(crypto.SIGNING_KEY_ENV, base64.b64encode(raw).decode())
    expected = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert crypto.public_key_b64() == base64.b64encode(expected).decode()
    assert not (fresh_keys / "command_signing_key").exists()


def test_a_malformed_signing_key_stops_with_a_sentence(fresh_keys: Path, monkeypatch) -> None:
    monkeypatch.setenv(crypto.SIGNING_KEY_ENV, "not base64!")
    with pytest.raises(ConfigError, match="OPENMSP_COMMAND_SIGNING_KEY must be the base64"):
        crypto.public_key_b64()


def test_agent_secrets_survive_a_secret_key_rotation_with_fallbacks(settings) -> None:
    stored = crypto.encrypt_secret("s3cret-agent-key")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-installation"
    assert crypto.decrypt_secret(stored) == "s3cret-agent-key"
    settings.SECRET_KEY_FALLBACKS = []
    assert crypto.decrypt_secret(stored) is None


@pytest.mark.django_db
def test_batch_ids_are_forgotten_after_72_hours(agent_a: SignedAgent) -> None:
    agent_a.batch()
    agent_a.batch()
    oldest = AgentBatch.objects.order_by("seq").values_list("pk", flat=True)[:1]
    AgentBatch.objects.filter(pk__in=list(oldest)).update(
        received_at=timezone.now() - dt.timedelta(hours=73)
    )
    assert forget_old_batches.call() == 1
    assert AgentBatch.objects.count() == 1
