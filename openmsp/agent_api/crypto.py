"""The agent API's keys: agent secrets at rest, request signatures, command signatures.

Agent secrets are HMAC keys the server must use, so they cannot be hashed: they are encrypted with
Fernet under a key derived (HKDF-SHA256) from SECRET_KEY. Rotating SECRET_KEY keeps agents working
as long as the old key stays in SECRET_KEY_FALLBACKS; without it every agent must re-enroll.

Commands are signed with an Ed25519 key that agents pin at enrollment. It comes from
OPENMSP_COMMAND_SIGNING_KEY (base64 of the 32-byte private key; secret) or, unset, from
DATA_DIR/command_signing_key (mode 0600, created on first use). Every web process of one
installation must use the same key, or agents refuse the commands the others sign.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from openmsp.core.env import ConfigError, env_secret

SIGNING_KEY_ENV = "OPENMSP_COMMAND_SIGNING_KEY"
SIGNING_KEY_FILE = "command_signing_key"


# --- Agent secrets ----------------------------------------------------------------------------


def new_agent_secret() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    def derive(secret_key: str) -> Fernet:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"openmsp", info=b"agent secrets v1")
        return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))))

    return MultiFernet([derive(k) for k in keys])


def _box() -> MultiFernet:
    fallbacks = getattr(settings, "SECRET_KEY_FALLBACKS", [])
    return _fernet((str(settings.SECRET_KEY), *map(str, fallbacks)))


def encrypt_secret(secret: str) -> str:
    return _box().encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str) -> str | None:
    """The agent's secret, or None when it was encrypted under a SECRET_KEY we no longer have."""
    try:
        return _box().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


# --- Request signatures -----------------------------------------------------------------------


def request_signature(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, timestamp.method.path.body)>` (docs/agent-protocol.md)."""
    message = f"{timestamp}.{method}.{path}.".encode() + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_matches(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii", "replace"))


# --- Command signatures -----------------------------------------------------------------------


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8: what command signatures cover."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _decode_key(text: str, source: str) -> Ed25519PrivateKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise ConfigError(f"{source} must be the base64 of a 32-byte Ed25519 private key.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _create_key_file(path: Path) -> None:
    """Write a new key atomically: a temporary file linked into place, so two processes starting
    together agree on one key (the loser of the link reads the winner's)."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(raw).decode("ascii") + "\n")
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@functools.lru_cache(maxsize=4)
def _load_signing_key(from_env: str | None, path: Path) -> Ed25519PrivateKey:
    if from_env:
        return _decode_key(from_env, SIGNING_KEY_ENV)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_key_file(path)
    return _decode_key(path.read_text(encoding="ascii"), str(path))


def signing_key() -> Ed25519PrivateKey:
    return _load_signing_key(
        env_secret(SIGNING_KEY_ENV), Path(settings.DATA_DIR) / SIGNING_KEY_FILE
    )


def public_key_b64() -> str:
    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode("ascii")


def sign_command(payload: dict[str, Any]) -> str:
    """Base64 Ed25519 signature over the canonical JSON of *payload* without `signature`."""
    unsigned = {k: v for k, v in payload.items() if k != "signature"}
    return base64.b64encode(signing_key().sign(canonical_json(unsigned))).decode("ascii")
