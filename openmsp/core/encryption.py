"""Secrets the platform must use in clear (webhook signing keys, SNMP communities and v3 keys,
HTTP checks' request header values) are stored encrypted: Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`), keyed from the
environment, with old keys kept for reading while values are re-encrypted (rotation).

- `OPENMSP_SECRET_KEY_ENCRYPTION`: the key that encrypts (a Fernet key: 32 random bytes in
  url-safe base64, `openmsp encryption_key generate`). Without it, a key is derived from
  OPENMSP_SECRET_KEY with HKDF-SHA256 (so a trial needs nothing configured; production should
  set its own and keep it out of the database backups).
- `OPENMSP_SECRET_KEY_ENCRYPTION_OLD`: comma-separated keys that still decrypt, newest first.
  `openmsp encryption_key rotate` re-encrypts every stored value with the current key; then the
  old keys can go.

A stored value is `enc1:<Fernet token>`. A value without the prefix is a legacy plaintext (read as
it is, encrypted at the next save; the migrations that introduced the fields encrypt them all).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

from openmsp.core.env import ConfigError

PREFIX = "enc1:"


def derived_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"openmsp-field-encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode()))


def _fernet(key: str | bytes, name: str) -> Fernet:
    try:
        return Fernet(key)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{name} is not a Fernet key (32 bytes in url-safe base64); make one with "
            "`openmsp encryption_key generate`."
        ) from None


@cache
def _keys(current: str, old: tuple[str, ...], secret_key: str) -> MultiFernet:
    first = (
        _fernet(current, "OPENMSP_SECRET_KEY_ENCRYPTION")
        if current
        else Fernet(derived_key(secret_key))
    )
    rest = [_fernet(k, "OPENMSP_SECRET_KEY_ENCRYPTION_OLD") for k in old]
    return MultiFernet([first, *rest])


def keyring() -> MultiFernet:
    return _keys(
        getattr(settings, "OPENMSP_SECRET_KEY_ENCRYPTION", ""),
        tuple(getattr(settings, "OPENMSP_SECRET_KEY_ENCRYPTION_OLD", [])),
        settings.SECRET_KEY,
    )


def encrypt(plain: str) -> str:
    if not plain or plain.startswith(PREFIX):
        return plain
    return PREFIX + keyring().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return keyring().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ConfigError(
            "A stored secret cannot be decrypted with OPENMSP_SECRET_KEY_ENCRYPTION or any key in "
            "OPENMSP_SECRET_KEY_ENCRYPTION_OLD: the key that encrypted it is missing."
        ) from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column holding `enc1:` ciphertext; Python code sees the plaintext. Not searchable."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value) if isinstance(value, str) else value


class SecretKeysJSONField(models.JSONField):
    """A JSON object whose string values under `secret_keys` are stored encrypted, and so is
    every string value of the objects under `secret_maps` (HTTP headers: their names stay
    readable, their values may be credentials); the rest stays plain JSON (queryable, readable
    in the database)."""

    def __init__(
        self,
        *args: Any,
        secret_keys: Iterable[str] = (),
        secret_maps: Iterable[str] = (),
        **kwargs: Any,
    ) -> None:
        self.secret_keys = tuple(sorted(secret_keys))
        self.secret_maps = tuple(sorted(secret_maps))
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["secret_keys"] = self.secret_keys
        if self.secret_maps:
            kwargs["secret_maps"] = self.secret_maps
        return name, path, args, kwargs

    def _map(self, value: Any, fn: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for key in self.secret_keys:
            if isinstance(out.get(key), str):
                out[key] = fn(out[key])
        for key in self.secret_maps:
            if isinstance(out.get(key), dict):
                out[key] = {k: fn(v) if isinstance(v, str) else v for k, v in out[key].items()}
        return out

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return self._map(super().from_db_value(value, expression, connection), decrypt)

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(self._map(value, encrypt))
