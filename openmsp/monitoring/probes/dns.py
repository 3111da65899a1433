"""DNS: ask a resolver for a record and compare the answer with the expected values."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.rdata
import dns.resolver

from openmsp.core import netguard
from openmsp.monitoring.probes.base import ProbeResult, Status, Stopwatch, threshold_status, worst
from openmsp.monitoring.probes.specs import DnsSpec

_NAME_TYPES = frozenset({"CNAME", "NS", "PTR", "MX", "SRV"})


def normalise(record_type: str, text: str) -> str:
    """One spelling per value: names without the final dot and in lower case, TXT unquoted."""
    value = text.strip()
    if record_type == "TXT":
        return value.strip('"')
    if record_type in _NAME_TYPES:
        return value.rstrip(".").lower()
    if record_type in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    return value


def _text(record_type: str, rdata: dns.rdata.Rdata) -> str:
    if record_type == "TXT":
        return b"".join(getattr(rdata, "strings", [])).decode("utf-8", "replace")
    return normalise(record_type, rdata.to_text())


async def _resolver(spec: DnsSpec) -> dns.asyncresolver.Resolver:
    if not spec.server:
        return dns.asyncresolver.Resolver()
    resolver = dns.asyncresolver.Resolver(configure=False)
    # dnspython wants an address: the server's name is resolved and vetted against the check's
    # network scope here, once, and only that address is asked (the system's own resolver, used
    # when no server is given, is the operator's choice and not a target).
    resolver.nameservers = [await netguard.vetted_address(spec.server, spec.port)]
    resolver.port = spec.port
    return resolver


def _compare(spec: DnsSpec, found: list[str]) -> tuple[Status, str]:
    if not spec.expected:
        return "ok", ""
    expected = {normalise(spec.record_type, v) for v in spec.expected}
    have = set(found)
    if spec.match == "equals" and have != expected:
        return "critical", f"expected {', '.join(sorted(expected))}"
    if spec.match == "contains" and not expected <= have:
        return "critical", f"missing {', '.join(sorted(expected - have))}"
    return "ok", ""


async def probe_dns(
    target: str, spec: DnsSpec, timeout: float, state: Mapping[str, Any] | None = None
) -> ProbeResult:
    clock = Stopwatch()
    where = f"{spec.record_type} {target}"
    try:
        resolver = await _resolver(spec)
    except netguard.Refused as exc:
        return ProbeResult("critical", f"{where}: {exc}", details={"refused": True})
    except (OSError, UnicodeError) as exc:
        return ProbeResult("critical", f"{where}: the server {spec.server} does not resolve: {exc}")
    try:
        answer = await resolver.resolve(
            target, spec.record_type, tcp=spec.use_tcp, lifetime=timeout, search=False
        )
    except dns.resolver.NXDOMAIN:
        return ProbeResult("critical", f"{where}: no such name (NXDOMAIN)")
    except dns.resolver.NoAnswer:
        return ProbeResult("critical", f"{where}: no {spec.record_type} record")
    except dns.exception.Timeout:
        return ProbeResult("critical", f"{where}: the resolver did not answer in {timeout:g} s")
    except (dns.exception.DNSException, OSError) as exc:
        return ProbeResult("critical", f"{where}: {type(exc).__name__}: {exc}")
    latency = clock.ms()
    found = sorted(_text(spec.record_type, r) for r in answer)
    status, problem = _compare(spec, found)
    status = worst(
        status, threshold_status(latency, spec.latency_warning_ms, spec.latency_critical_ms)
    )
    shown = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
    summary = f"{where} = {shown}" + (f"; {problem}" if problem else "")
    return ProbeResult(
        status,
        summary,
        latency_ms=latency,
        details={"answers": found, "ttl": answer.rrset.ttl if answer.rrset else None},
    )
