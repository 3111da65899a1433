"""TLS certificate: days until the server's certificate expires, and whether its chain is trusted.

The handshake is tried verified first; when verification fails the certificate is still read over
an unverified handshake, so an expired or self-signed certificate reports its dates too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ssl
from collections.abc import Mapping
from typing import Any

from cryptography import x509

from openmsp.core import netguard
from openmsp.monitoring.probes.base import ProbeResult, Status, Stopwatch, describe_error
from openmsp.monitoring.probes.specs import TlsSpec


async def _peer_certificate(
    host: str, port: int, server_name: str, context: ssl.SSLContext, timeout: float
) -> bytes:
    address = await netguard.vetted_address(host, port)  # the name still goes out as SNI
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection(address, port, ssl=context, server_hostname=server_name), timeout
    )
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        der: bytes | None = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    finally:
        writer.close()
        # The certificate is read; how the server hangs up does not matter.
        with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
            await asyncio.wait_for(writer.wait_closed(), 1)
    if not der:
        raise ssl.SSLError("the server sent no certificate")
    return der


def _unverified() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _expiry_status(days_left: float, spec: TlsSpec) -> Status:
    if days_left <= spec.critical_days:
        return "critical"
    if days_left <= spec.warning_days:
        return "warning"
    return "ok"


async def probe_tls(
    target: str,
    spec: TlsSpec,
    timeout: float,
    state: Mapping[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
) -> ProbeResult:
    name = spec.server_name or target
    clock = Stopwatch()
    trust_error = ""
    try:
        if spec.verify:
            try:
                der = await _peer_certificate(
                    target, spec.port, name, ssl.create_default_context(), timeout
                )
            except ssl.SSLCertVerificationError as exc:
                trust_error = exc.verify_message or describe_error(exc)
                der = await _peer_certificate(target, spec.port, name, _unverified(), timeout)
        else:
            der = await _peer_certificate(target, spec.port, name, _unverified(), timeout)
    except (OSError, TimeoutError, ssl.SSLError) as exc:
        return ProbeResult("critical", f"TLS {target}:{spec.port}: {describe_error(exc)}")
    latency = clock.ms()
    cert = x509.load_der_x509_certificate(der)
    expires = cert.not_valid_after_utc
    days_left = ((expires - (now or dt.datetime.now(dt.UTC))).total_seconds()) / 86400
    details = {
        "days_left": round(days_left, 2),
        "not_after": expires.isoformat(),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "trusted": not trust_error,
    }
    status = _expiry_status(days_left, spec)
    if days_left < 0:
        summary = f"Certificate of {name} expired {-days_left:.0f} days ago"
    else:
        summary = f"Certificate of {name} expires in {days_left:.0f} days ({expires:%Y-%m-%d})"
    if trust_error:
        status, summary = "critical", f"{summary}; not trusted: {trust_error}"
    return ProbeResult(status, summary, latency_ms=latency, details=details)
