"""ICMP, DNS and SNMP probes vet their target against the check's network scope when they run,
not only when the check is saved: the name is resolved once, the answer judged, and only that
address is asked. A name that resolves into a refused network by the time the check runs (a DNS
answer changed, an operator withdrew an allowance) is refused with a clear result and no packet
reaches the address.

"localhost" plays the name that resolves into a forbidden network (loopback, an internal
address): the real peers listen on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync

from openmsp.accounts.models import User
from openmsp.core.actor import Actor
from openmsp.monitoring import actions
from openmsp.monitoring.probes import ProbeResult, run_probe
from openmsp.monitoring.probes.specs import parse_settings
from openmsp.monitoring.tests.peers import (
    LOOPBACK,
    SNMP_COMMUNITY,
    DnsPeer,
    Observed,
    SnmpPeer,
    run_poller_until,
)
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
NAME = "localhost"  # resolves to 127.0.0.1 here (see /etc/hosts)


@pytest.fixture
def no_allowance(settings: Any) -> None:
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def dns_peer() -> Iterator[DnsPeer]:
    peer = DnsPeer({("erp.hanbit.test", "A"): ["192.0.2.10"]})
    yield peer
    peer.stop()


class UdpListener:
    """A UDP port on 127.0.0.1 that only counts the datagrams it receives (a stand-in for an
    internal SNMP agent: a refused probe must send it nothing)."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.setblocking(False)
        self.port: int = self.sock.getsockname()[1]

    def received(self) -> int:
        count = 0
        while True:
            try:
                self.sock.recv(65535)
            except BlockingIOError:
                return count
            count += 1


@pytest.fixture
def udp_listener() -> Iterator[UdpListener]:
    listener = UdpListener()
    yield listener
    listener.sock.close()


def _probe(kind: str, target: str, settings: dict[str, Any], scope: str) -> ProbeResult:
    spec = parse_settings(kind, settings)
    return async_to_sync(run_probe)(kind, target, spec, 1.0, None, scope=scope)


def test_a_dns_check_whose_server_name_resolves_to_loopback_is_refused_and_asks_nothing(
    no_allowance: None, dns_peer: DnsPeer
) -> None:
    settings = {"server": NAME, "port": dns_peer.port, "expected": ["192.0.2.10"]}
    refused = _probe("dns", "erp.hanbit.test", settings, "private")
    assert refused.status == "critical"
    assert "refused to connect to localhost" in refused.summary
    assert "127.0.0.1 is a loopback or link-local address" in refused.summary
    assert refused.details == {"refused": True}
    assert dns_peer.queries == 0

    allowed = _probe("dns", "erp.hanbit.test", settings, "internal")  # an MSP admin's choice
    assert allowed.status == "ok", allowed.summary
    assert dns_peer.queries == 1


def test_an_snmp_check_of_a_name_resolving_to_loopback_is_refused_and_sends_nothing(
    no_allowance: None, udp_listener: UdpListener
) -> None:
    settings = {"port": udp_listener.port, "version": "2c", "community": "public"}
    refused = _probe("snmp", NAME, settings, "public")
    assert refused.status == "critical"
    assert "refused to connect to localhost: 127.0.0.1 is a loopback" in refused.summary
    assert udp_listener.received() == 0

    # In scope the probe does send, to the vetted address (nothing answers: it times out).
    reached = _probe("snmp", NAME, settings, "internal")
    assert reached.status == "critical"
    assert "refused" not in reached.summary
    assert udp_listener.received() >= 1


def test_an_snmp_check_in_scope_still_polls_the_device_by_name(settings: Any) -> None:
    snmpd = SnmpPeer()  # started (and waited for) while loopback is still allowed
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []
    try:
        settings = {"port": snmpd.port, "version": "2c", "community": SNMP_COMMUNITY}
        result = _probe("snmp", NAME, settings, "internal")
    finally:
        snmpd.stop()
    assert result.status == "ok", result.summary
    assert "up " in result.summary


def test_a_ping_check_of_a_name_resolving_to_loopback_is_refused_unless_its_scope_allows(
    no_allowance: None,
) -> None:
    refused = _probe("icmp", NAME, {"count": 2, "interval_ms": 20}, "private")
    assert refused.status == "critical"
    assert refused.summary.startswith("Ping localhost: refused to connect to localhost")
    assert refused.details == {"refused": True}
    assert refused.latency_ms is None

    allowed = _probe("icmp", NAME, {"count": 2, "interval_ms": 20}, "internal")
    assert allowed.status == "ok", allowed.summary
    assert allowed.details["received"] == 2


def test_a_name_that_does_not_resolve_is_reported_not_crashed_on(no_allowance: None) -> None:
    for kind, target, settings in (
        ("icmp", "nowhere.invalid", {"count": 1}),
        ("snmp", "nowhere.invalid", {"community": "public"}),
        ("dns", "erp.hanbit.test", {"server": "nowhere.invalid"}),
    ):
        result = _probe(kind, target, settings, "internal")
        assert result.status == "critical", (kind, result.summary)
        assert "resolve" in result.summary, (kind, result.summary)


def test_the_poller_refuses_a_saved_dns_check_once_its_server_is_out_of_scope(
    settings: Any, alice: User, client_a: Client, observed: Observed, dns_peer: DnsPeer
) -> None:
    # Saved while loopback was allowed for everyone (the operator's allowance) ...
    check = actions.create_check(
        actor=Actor(user=alice), client=client_a, kind="dns", name="erp record",
        target="erp.hanbit.test", timeout_seconds=2,
        settings={"server": NAME, "port": dns_peer.port, "expected": ["192.0.2.10"]},
    )  # fmt: skip
    assert check.network_scope == "public"
    actions.run_soon(actor=Actor.system("test"), check=check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 1)
    assert observed.statuses(check.pk) == ["ok"]
    assert dns_peer.queries == 1

    # ... then the allowance is withdrawn: the next run is refused, not probed.
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []
    actions.run_soon(actor=Actor.system("test"), check=check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 2)
    second = observed.of(check.pk)[1]
    assert second.status == "critical"
    assert "127.0.0.1 is a loopback or link-local address" in second.summary
    assert dns_peer.queries == 1
