"""SNMP v2c and v3 (pysnmp): sysUpTime, an interface's state and throughput, or any numeric OID.

Throughput comes from two polls: each run returns the interface's ifHCInOctets/ifHCOutOctets as
`state`, the poller stores it on the check, and the next run turns the difference into bits per
second. The first run (or one after a counter reset) has no rate yet and says so.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    get_cmd,
)
from pysnmp.hlapi.v3arch.asyncio import auth as snmp_auth
from pysnmp.proto.rfc1905 import EndOfMibView, NoSuchInstance, NoSuchObject

from openmsp.core import netguard
from openmsp.monitoring.probes.base import (
    ProbeResult,
    Status,
    Stopwatch,
    threshold_status,
    worst,
)
from openmsp.monitoring.probes.specs import SnmpSpec

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2.{}"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8.{}"
IF_HC_IN = "1.3.6.1.2.1.31.1.1.1.6.{}"
IF_HC_OUT = "1.3.6.1.2.1.31.1.1.1.10.{}"
OPER_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent", 7: "lowerLayerDown"}  # fmt: skip
_AUTH = {
    "MD5": snmp_auth.usmHMACMD5AuthProtocol,
    "SHA": snmp_auth.usmHMACSHAAuthProtocol,
    "SHA224": snmp_auth.usmHMAC128SHA224AuthProtocol,
    "SHA256": snmp_auth.usmHMAC192SHA256AuthProtocol,
    "SHA384": snmp_auth.usmHMAC256SHA384AuthProtocol,
    "SHA512": snmp_auth.usmHMAC384SHA512AuthProtocol,
}
_PRIV = {
    "DES": snmp_auth.usmDESPrivProtocol,
    "AES": snmp_auth.usmAesCfb128Protocol,
    "AES192": snmp_auth.usmAesCfb192Protocol,
    "AES256": snmp_auth.usmAesCfb256Protocol,
}


class SnmpFailure(Exception):
    pass


def _credentials(spec: SnmpSpec) -> CommunityData | UsmUserData:
    if spec.version == "2c":
        return CommunityData(spec.community, mpModel=1)  # noqa: S508 - v2c is what many devices speak
    if spec.security_level == "noAuthNoPriv":
        return UsmUserData(spec.username)  # noqa: S509 - the device decides; authPriv is the default
    if spec.security_level == "authNoPriv":
        return UsmUserData(
            spec.username, authKey=spec.auth_key, authProtocol=_AUTH[spec.auth_protocol]
        )
    return UsmUserData(
        spec.username,
        authKey=spec.auth_key,
        privKey=spec.priv_key,
        authProtocol=_AUTH[spec.auth_protocol],
        privProtocol=_PRIV[spec.priv_protocol],
    )


async def snmp_get(target: str, spec: SnmpSpec, timeout: float, oids: list[str]) -> dict[str, Any]:
    """Values of *oids* from one GET; raises SnmpFailure with a readable reason. The target is
    resolved and vetted against the running check's network scope (core.netguard) once, and
    pysnmp is given that address, so a name now resolving outside the scope is never asked."""
    try:
        address = await netguard.vetted_address(target, spec.port)
    except netguard.Refused as exc:
        raise SnmpFailure(str(exc)) from None
    except (OSError, UnicodeError) as exc:
        raise SnmpFailure(f"{target} does not resolve: {exc}") from None
    engine = SnmpEngine()
    try:
        transport = await UdpTransportTarget.create(
            (address, spec.port), timeout=timeout, retries=0
        )
        error, status, index, binds = await get_cmd(
            engine,
            _credentials(spec),
            transport,
            ContextData(),
            *(ObjectType(ObjectIdentity(oid)) for oid in oids),
            lookupMib=False,
        )
    finally:
        engine.close_dispatcher()
    if error:
        raise SnmpFailure(str(error))
    if status:
        raise SnmpFailure(f"{status.prettyPrint()} at {oids[int(index) - 1] if index else '?'}")
    values = {}
    for name, value in binds:
        if isinstance(value, NoSuchObject | NoSuchInstance | EndOfMibView):
            raise SnmpFailure(f"the device has no {name.prettyPrint()}")
        values[str(name)] = value
    return values


def _number(value: Any) -> float:
    try:
        return float(int(value))
    except (TypeError, ValueError):
        return float(str(value))


def _judge(spec: SnmpSpec, value: float) -> Status:
    return threshold_status(value, spec.warning, spec.critical, above=spec.direction == "above")


async def _uptime(target: str, spec: SnmpSpec, timeout: float) -> ProbeResult:
    values = await snmp_get(target, spec, timeout, [SYS_UPTIME])
    seconds = _number(values[SYS_UPTIME]) / 100  # TimeTicks are hundredths of a second
    days = seconds / 86400
    return ProbeResult(
        _judge(spec, seconds),
        f"SNMP {target}: up {days:.1f} days",
        details={"uptime_seconds": seconds},
    )


async def _oid(target: str, spec: SnmpSpec, timeout: float) -> ProbeResult:
    oid = spec.oid.lstrip(".")
    values = await snmp_get(target, spec, timeout, [oid])
    raw = values[oid]
    try:
        number = _number(raw)
    except ValueError:
        return ProbeResult("unknown", f"SNMP {target} {oid} = {raw.prettyPrint()} (not a number)")
    return ProbeResult(
        _judge(spec, number), f"SNMP {target} {oid} = {number:g}", details={"value": number}
    )


def _rates(
    previous: Mapping[str, Any] | None, index: int, now: float, octets_in: int, octets_out: int
) -> tuple[float, float] | None:
    """Bits per second since the previous poll; None when there is none to compare with or the
    counters went backwards (device restart, counter reset)."""
    if not previous or previous.get("if_index") != index:
        return None
    elapsed = now - float(previous.get("at", 0))
    delta_in = octets_in - int(previous.get("in", 0))
    delta_out = octets_out - int(previous.get("out", 0))
    if elapsed <= 0 or delta_in < 0 or delta_out < 0:
        return None
    return delta_in * 8 / elapsed, delta_out * 8 / elapsed


async def _interface(
    target: str, spec: SnmpSpec, timeout: float, previous: Mapping[str, Any] | None
) -> ProbeResult:
    index = spec.if_index
    assert index is not None  # the spec requires it for this metric
    oids = [IF_DESCR.format(index), IF_OPER_STATUS.format(index), IF_HC_IN.format(index), IF_HC_OUT.format(index)]  # fmt: skip
    values = await snmp_get(target, spec, timeout, oids)
    now = time.time()
    name = values[oids[0]].prettyPrint()
    oper = OPER_STATUS.get(int(values[oids[1]]), "unknown")
    octets_in, octets_out = int(values[oids[2]]), int(values[oids[3]])
    state = {"if_index": index, "at": now, "in": octets_in, "out": octets_out}
    details: dict[str, Any] = {"interface": name, "oper_status": oper, "in_octets": octets_in, "out_octets": octets_out}  # fmt: skip
    status: Status = "ok" if oper == "up" else "critical"
    summary = f"SNMP {target} {name}: {oper}"
    rates = _rates(previous, index, now, octets_in, octets_out)
    if rates is None:
        summary += "; throughput after the next poll"
    else:
        details.update({"in_bps": round(rates[0], 1), "out_bps": round(rates[1], 1)})
        status = worst(status, _judge(spec, max(rates)))
        summary += f", in {rates[0] / 1000:.1f} kbit/s, out {rates[1] / 1000:.1f} kbit/s"
    return ProbeResult(status, summary, details=details, state=state)


async def probe_snmp(
    target: str, spec: SnmpSpec, timeout: float, state: Mapping[str, Any] | None = None
) -> ProbeResult:
    clock = Stopwatch()
    try:
        if spec.metric == "uptime":
            result = await _uptime(target, spec, timeout)
        elif spec.metric == "interface":
            result = await _interface(target, spec, timeout, state)
        else:
            result = await _oid(target, spec, timeout)
    except SnmpFailure as exc:
        return ProbeResult("critical", f"SNMP v{spec.version} {target}:{spec.port}: {exc}")
    return ProbeResult(
        result.status,
        result.summary,
        latency_ms=clock.ms(),
        details=result.details,
        state=result.state,
    )
