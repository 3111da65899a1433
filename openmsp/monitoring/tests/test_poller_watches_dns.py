"""A DNS check against a real DNS server on 127.0.0.1: the record changes, the check notices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openmsp.accounts.models import User
from openmsp.monitoring.tests.conftest import due_now, make_check
from openmsp.monitoring.tests.peers import LOOPBACK, DnsPeer, Observed, run_poller_until
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def dns_peer() -> Iterator[DnsPeer]:
    peer = DnsPeer({
        ("erp.hanbit.test", "A"): ["192.0.2.10"],
        ("hanbit.test", "MX"): ["10 mail.hanbit.test."],
        ("hanbit.test", "TXT"): ['"v=spf1 -all"'],
    })  # fmt: skip
    yield peer
    peer.stop()


def test_a_dns_check_fails_when_the_record_changes_and_recovers_when_it_is_fixed(
    alice: User, client_a: Client, observed: Observed, dns_peer: DnsPeer
) -> None:
    check = make_check(
        alice, client_a, kind="dns", target="erp.hanbit.test",
        settings={"server": LOOPBACK, "port": dns_peer.port, "expected": ["192.0.2.10"]},
    )  # fmt: skip
    run_poller_until(lambda: len(observed.of(check.pk)) >= 1)
    assert observed.statuses(check.pk) == ["ok"]

    dns_peer.records[("erp.hanbit.test", "A")] = ["198.51.100.7"]  # hijacked or mis-edited
    due_now(check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 2)
    assert observed.statuses(check.pk)[1] == "critical"
    assert "198.51.100.7" in observed.of(check.pk)[1].summary

    del dns_peer.records[("erp.hanbit.test", "A")]
    due_now(check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 3)
    assert "NXDOMAIN" in observed.of(check.pk)[2].summary

    dns_peer.records[("erp.hanbit.test", "A")] = ["192.0.2.10"]
    due_now(check)
    run_poller_until(lambda: len(observed.of(check.pk)) >= 4)
    assert observed.statuses(check.pk) == ["ok", "critical", "critical", "ok"]


def test_dns_checks_compare_names_and_texts_as_people_write_them(
    alice: User, client_a: Client, observed: Observed, dns_peer: DnsPeer
) -> None:
    mx = make_check(
        alice, client_a, kind="dns", target="hanbit.test",
        settings={"server": LOOPBACK, "port": dns_peer.port, "record_type": "MX",
                  "expected": ["10 MAIL.hanbit.test"]},
    )  # fmt: skip
    txt = make_check(
        alice, client_a, kind="dns", target="hanbit.test", name="spf",
        settings={"server": LOOPBACK, "port": dns_peer.port, "record_type": "TXT",
                  "expected": ["v=spf1 -all"], "match": "contains"},
    )  # fmt: skip
    run_poller_until(lambda: len(observed.items) >= 2)
    assert observed.statuses(mx.pk) == ["ok"]
    assert observed.statuses(txt.pk) == ["ok"]
