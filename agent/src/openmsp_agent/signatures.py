"""Ed25519 verification of command signatures, with ``cryptography``.

Loading ``cryptography`` maps its own OpenSSL build into the process: about 8 MiB of RSS that would
stay for the agent's whole life after the first command (measured: 30 MiB → 38 MiB, against a 40 MB
goal). So the running agent verifies in a short-lived child process (``verify_in_child``, about
0.1 s of CPU per command); ``verify_in_process`` is the same check without the process, for tools
and tests. Both answer only True or False: a malformed key or signature is simply not valid.
"""

from __future__ import annotations

import base64
import binascii
import json
import subprocess
import sys
from typing import Protocol

CHILD_TIMEOUT = 30.0


class VerificationUnavailable(Exception):
    """The check itself could not run (the child failed); the command must not run either."""


class Verifier(Protocol):
    def __call__(self, public_key: str, message: bytes, signature: str) -> bool: ...


def verify_in_process(public_key: str, message: bytes, signature: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True), message)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def verify_in_child(public_key: str, message: bytes, signature: str) -> bool:
    request = {
        "public_key": public_key,
        "message": base64.b64encode(message).decode(),
        "signature": signature,
    }
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-m", "openmsp_agent.signatures"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise VerificationUnavailable(f"the signature checker did not run: {exc}") from exc
    verdict = done.stdout.strip()
    if done.returncode != 0 or verdict not in (b"valid", b"invalid"):
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise VerificationUnavailable(f"the signature checker failed: {detail[0]}")
    return verdict == b"valid"


def _main() -> None:
    request = json.loads(sys.stdin.buffer.read())
    valid = verify_in_process(
        str(request["public_key"]), base64.b64decode(request["message"]), str(request["signature"])
    )
    sys.stdout.write("valid\n" if valid else "invalid\n")


if __name__ == "__main__":
    _main()
