"""Where outbound requests configured in OpenMSP may connect (the one SSRF rule).

Checks and notification channels are configured by people, some of them client users, and run
from inside the MSP's network. Each one carries a *scope* that says which addresses it may reach:

- ``public``: only globally routable addresses. Whatever a client user configures.
- ``private``: also the private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), where
  MSP staff legitimately watch their clients' networks. Set by MSP staff.
- ``internal``: also loopback and link-local (127/8, ::1, 169.254/16 with the cloud metadata
  address, fe80::/10). Only an MSP owner or admin may set it.

Unspecified (0.0.0.0, ::), broadcast and multicast addresses are refused in every scope; other
non-global ranges (documentation, benchmarking, 240/4) count as private.
Addresses inside OPENMSP_OUTBOUND_ALLOWED_NETWORKS are allowed in every scope (the operator's
choice, e.g. a relay on the poller's own host). IPv4-mapped IPv6 (::ffff:10.0.0.1) is judged as
the IPv4 address it carries.

The rule is applied twice: when a target is saved (`check_host`, a 422 naming the address), and
when a connection is made (`vetted_address` for the TCP, TLS, ICMP, DNS and SNMP probes,
core.guarded_http for HTTP): the name is resolved once, every answer judged, and the connection goes to a vetted
address, so a DNS answer that changes between the two (rebinding) cannot reach an address the
save refused. See docs/security.md.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from contextvars import ContextVar

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from openmsp.core.errors import ValidationFailed

PUBLIC, PRIVATE, INTERNAL = "public", "private", "internal"
SCOPES = (PUBLIC, PRIVATE, INTERNAL)
# The choices of the check and channel editors (each shows only those scopes_for() allows).
SCOPE_CHOICES = [
    (PUBLIC, _("Public addresses only")),
    (PRIVATE, _("Also private networks (10.x, 172.16-31.x, 192.168.x, fc00::/7)")),
    (INTERNAL, _("Also loopback and link-local (this host, 169.254.x: MSP admins)")),
]
# The scope of the check a probe runs for (set by run_probe; probes read it when they connect).
scope_var: ContextVar[str] = ContextVar("outbound_scope", default=PUBLIC)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PRIVATE_NETS = [
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
]
_INTERNAL_NETS = [
    ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128", "169.254.0.0/16", "fe80::/10")
]


class Refused(OSError):
    """An address outside the scope; the message names it and why. An OSError, so probes report
    it like any other failure to connect."""


def _plain(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def allowed_networks() -> list[IPNetwork]:
    return [
        ipaddress.ip_network(n, strict=False)
        for n in getattr(settings, "OPENMSP_OUTBOUND_ALLOWED_NETWORKS", [])
    ]


def _in(ip: IPAddress, nets: Iterable[IPNetwork]) -> bool:
    return any(ip.version == net.version and ip in net for net in nets)


def kind_of(ip: IPAddress) -> str:
    """What an address is, for the rule and for messages: public, private, internal, never."""
    ip = _plain(ip)
    if _in(ip, _INTERNAL_NETS):
        return INTERNAL
    if ip.is_unspecified or ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        return "never"
    if _in(ip, _PRIVATE_NETS) or not ip.is_global:
        return PRIVATE  # other non-global ranges (documentation, benchmarking) count as private
    return PUBLIC


def judge(address: str, scope: str) -> None:
    """Raise Refused unless *address* may be reached in *scope*."""
    ip = _plain(ipaddress.ip_address(address.split("%", 1)[0]))
    if _in(ip, allowed_networks()):
        return
    kind = kind_of(ip)
    reach = {PUBLIC: {PUBLIC}, PRIVATE: {PUBLIC, PRIVATE}, INTERNAL: {PUBLIC, PRIVATE, INTERNAL}}
    if kind in reach.get(scope, {PUBLIC}):
        return
    why = {
        PRIVATE: "a private-network address; only MSP staff may point at private networks",
        INTERNAL: "a loopback or link-local address (the platform's own host or cloud metadata); "
        "only an MSP owner or admin may allow it",
        "never": "an unspecified, broadcast or multicast address, never a valid target",
    }[kind]
    raise Refused(f"{address} is {why}.")


def resolve(host: str, port: int | None = None) -> list[str]:
    """Every address *host* resolves to now (one lookup), or *host* itself if it is an address."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    seen: dict[str, None] = {}
    for info in infos:
        seen.setdefault(str(info[4][0]), None)
    return list(seen)


async def vetted_address(host: str, port: int | None = None, scope: str | None = None) -> str:
    """For probes that open their own sockets or hand an address to a library (TCP, TLS, ICMP,
    DNS, SNMP): resolve once without blocking the loop, refuse (Refused, an OSError) if any
    answer is out of scope, and give the address to connect to. A name that does not resolve
    raises socket.gaierror (also an OSError). *scope* defaults to the running check's
    (scope_var)."""
    import asyncio

    scope = scope or scope_var.get()
    bare = host.strip("[]")
    try:
        ipaddress.ip_address(bare.split("%", 1)[0])
        found = [bare]
    except ValueError:
        infos = await asyncio.get_running_loop().getaddrinfo(bare, port, proto=socket.IPPROTO_TCP)
        found = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in found:
        try:
            judge(address, scope)
        except Refused as exc:
            raise Refused(f"refused to connect to {host}: {exc}") from None
    return found[0]


def check_host(host: str, scope: str, *, field: str) -> None:
    """Save-time check: a 422 naming the address. A name that does not resolve yet passes (the
    run reports it, and the connect-time check still applies)."""
    if not host:
        return
    try:
        addresses = resolve(host)
    except (OSError, UnicodeError):
        return
    for address in addresses:
        try:
            judge(address, scope)
        except Refused as exc:
            raise ValidationFailed(f"{host} is refused: {exc}", field=field) from None


def _ceiling_and_default(actor: object) -> tuple[str, str]:
    from openmsp.accounts.roles import Role, is_staff_role

    user = getattr(actor, "user", None)
    if user is None:
        return INTERNAL, INTERNAL
    if user.role in (Role.MSP_OWNER, Role.MSP_ADMIN):
        return INTERNAL, PRIVATE
    if is_staff_role(user.role):
        return PRIVATE, PRIVATE
    return PUBLIC, PUBLIC


def scopes_for(actor: object) -> list[str]:
    """The scopes *actor* may choose from (the editor shows the choice when there are two+)."""
    ceiling, _default = _ceiling_and_default(actor)
    return list(SCOPES[: SCOPES.index(ceiling) + 1])


def scope_for(actor: object, requested: str | None, current: str | None = None) -> str:
    """The scope a save by *actor* may give: client users always public; staff up to private;
    MSP owners, admins and the platform itself (system actors) up to internal."""
    ceiling, default = _ceiling_and_default(actor)
    wanted = requested or current or default
    if wanted not in SCOPES:
        raise ValidationFailed(
            f"'{wanted}' is not a network scope; use one of {', '.join(SCOPES)}.",
            field="network_scope",
        )
    if SCOPES.index(wanted) > SCOPES.index(ceiling):
        if requested is None:
            return ceiling  # a client user editing a staff check narrows it to what they may set
        raise ValidationFailed(
            f"Only {'an MSP owner or admin' if wanted == INTERNAL else 'MSP staff'} may set the "
            f"network scope '{wanted}'.",
            field="network_scope",
        )
    return wanted
