"""Where checks may connect: the one rule against checks used to reach the MSP's own network.

Client users configure checks, and the poller runs inside the MSP's network: a check aimed at
127.0.0.1, 10.x or a cloud metadata address would let a client probe what it must not see (SSRF).
`ensure_allowed(host)` refuses such hosts unless OPENMSP_CHECKS_ALLOW_PRIVATE_TARGETS is on.

It is on by default for now (tests and trials check services on 127.0.0.1); the hardening of
issue 7 turns it off by default, resolves names at run time too, and refuses redirects into
private ranges.
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings

from openmsp.core.errors import ValidationFailed


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return not ip.is_global or ip.is_multicast


def _addresses(host: str) -> list[str]:
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []  # unresolvable now: the check itself will report it
    return sorted({str(info[4][0]) for info in infos})


def ensure_allowed(host: str, *, field: str = "target") -> None:
    if settings.OPENMSP_CHECKS_ALLOW_PRIVATE_TARGETS or not host:
        return
    bad = [a for a in _addresses(host.strip("[]")) if _private(a)]
    if bad:
        raise ValidationFailed(
            f"{host} is a private, loopback or reserved address ({bad[0]}); checks may only "
            "target public addresses on this installation.",
            field=field,
        )
