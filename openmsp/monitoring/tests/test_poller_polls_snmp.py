"""SNMP checks against Debian's snmpd on 127.0.0.1, over v2c and v3 (SHA + AES)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from openmsp.accounts.models import User
from openmsp.monitoring.models import Check
from openmsp.monitoring.tests.conftest import due_now, make_check
from openmsp.monitoring.tests.peers import (
    LOOPBACK,
    SNMP_AUTH,
    SNMP_COMMUNITY,
    SNMP_PRIV,
    SNMP_USER,
    Observed,
    SnmpPeer,
    run_poller_until,
)
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
LOOPBACK_IF_INDEX = 1  # "lo" is the first interface on Linux


@pytest.fixture
def snmpd() -> Iterator[SnmpPeer]:
    peer = SnmpPeer()
    yield peer
    peer.stop()


def _v2c(peer: SnmpPeer, **extra: Any) -> dict[str, Any]:
    return {"port": peer.port, "version": "2c", "community": SNMP_COMMUNITY, **extra}


def _v3(peer: SnmpPeer, **extra: Any) -> dict[str, Any]:
    return {"port": peer.port, "version": "3", "username": SNMP_USER, "auth_key": SNMP_AUTH,
            "priv_key": SNMP_PRIV, "auth_protocol": "SHA", "priv_protocol": "AES", **extra}  # fmt: skip


def _nth(observed: Observed, check: Check, n: int) -> str:
    run_poller_until(lambda: len(observed.of(check.pk)) >= n)
    return observed.statuses(check.pk)[n - 1]


def test_an_snmp_v2c_uptime_check_fails_while_snmpd_is_down_and_recovers_when_it_is_back(
    alice: User, client_a: Client, observed: Observed, snmpd: SnmpPeer
) -> None:
    check = make_check(
        alice, client_a, kind="snmp", target=LOOPBACK, settings=_v2c(snmpd), timeout_seconds=1
    )
    assert _nth(observed, check, 1) == "ok"
    assert "up " in observed.of(check.pk)[0].summary

    snmpd.stop()
    due_now(check)
    assert _nth(observed, check, 2) == "critical"

    snmpd.start()
    due_now(check)
    assert _nth(observed, check, 3) == "ok"


def test_an_snmp_v3_interface_check_reports_oper_status_and_throughput_from_two_polls(
    alice: User, client_a: Client, observed: Observed, snmpd: SnmpPeer
) -> None:
    settings = _v3(snmpd, metric="interface", if_index=LOOPBACK_IF_INDEX)
    check = make_check(alice, client_a, kind="snmp", target=LOOPBACK, settings=settings)
    assert _nth(observed, check, 1) == "ok"
    first = observed.of(check.pk)[0]
    assert first.details["oper_status"] == "up"
    assert "in_bps" not in first.details
    assert "after the next poll" in first.summary

    due_now(check)
    assert _nth(observed, check, 2) == "ok"
    second = observed.of(check.pk)[1]
    assert second.details["in_bps"] >= 0
    assert "kbit/s" in second.summary
    check.refresh_from_db()
    assert check.probe_state["if_index"] == LOOPBACK_IF_INDEX


def test_an_snmp_v3_check_with_a_wrong_key_is_critical(
    alice: User, client_a: Client, observed: Observed, snmpd: SnmpPeer
) -> None:
    settings = _v3(snmpd, auth_key="wrong-key-123")
    check = make_check(
        alice, client_a, kind="snmp", target=LOOPBACK, settings=settings, timeout_seconds=1
    )
    assert _nth(observed, check, 1) == "critical"


def test_an_snmp_oid_check_compares_the_value_with_its_thresholds(
    alice: User, client_a: Client, observed: Observed, snmpd: SnmpPeer
) -> None:
    # sysUpTime as a plain OID: a freshly started snmpd has been up for less than a day.
    fresh = _v2c(snmpd, metric="oid", oid="1.3.6.1.2.1.1.3.0", warning=8_640_000, direction="below")
    check = make_check(alice, client_a, kind="snmp", target=LOOPBACK, settings=fresh)
    assert _nth(observed, check, 1) == "warning"
    missing = _v2c(snmpd, metric="oid", oid="1.3.6.1.4.1.99999.1.0")
    other = make_check(
        alice, client_a, kind="snmp", name="nothing", target=LOOPBACK, settings=missing
    )
    assert _nth(observed, other, 1) == "critical"
    assert "has no" in observed.of(other.pk)[0].summary
