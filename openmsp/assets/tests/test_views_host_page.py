"""One host's page: header, the overview, metrics (and their JSON), inventory, changes and
status history tabs; who may open them; revoking the agent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.agent_api.models import Agent
from openmsp.assets import actions
from openmsp.assets import inventory as inv
from openmsp.assets.models import Asset, InventoryChange
from openmsp.core.actor import Actor
from openmsp.metrics.ingest import SampleIn, clear_cache, ingest
from openmsp.web.testing import compiled_translations, hx, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")
SNAPSHOT: dict[str, dict[str, Any]] = {
    "os": {
        "name": "Debian GNU/Linux",
        "version": "12",
        "kernel": "6.1.0-18-amd64",
        "arch": "x86_64",
    },
    "hardware": {"cpu_model": "AMD EPYC 7302", "cores": 16, "ram_bytes": 68719476736},
    "disks": {"/": {"type": "filesystem", "fstype": "ext4", "total_bytes": 500107862016}},
    "packages": {"openssl": "3.0.11-1", "nginx": "1.22.1-9", "libc6": "2.36-9"},
    "services": {"nginx.service": {"active": "active", "sub": "running"}},
    "ports": {
        "tcp/192.0.2.10:443": {
            "proto": "tcp",
            "address": "192.0.2.10",
            "port": 443,
            "process": "nginx",
        }
    },
    "users": {"deploy": {"uid": 1000, "gid": 1000, "home": "/home/deploy", "shell": "/bin/bash"}},
    "interfaces": {"eth0": {"mac": "02:00:00:00:00:01", "addresses": ["10.0.0.5/24"], "up": True}},
    "updates": {"openssl": {"version": "3.0.13-1", "current": "3.0.11-1", "security": True}},
}


@pytest.fixture
def tech(db):
    return account_actions.invite_user(
        actor=SYSTEM,
        email="tech@msp.example",
        role=Role.TECHNICIAN,
        password="correct-horse-battery-42",
        full_name="Tina Tech",
    )


@pytest.fixture
def host(agent_a) -> Asset:
    """Client A's agent host, online, with an inventory."""
    clear_cache()
    response = agent_a.batch(
        inventory={"full": True, "hash": inv.snapshot_hash(SNAPSHOT), "snapshot": SNAPSHOT}
    )
    assert response.status_code == 200, response.content
    return Asset.objects.get(pk=agent_a.agent.asset_id)


PAGES = [
    "asset_detail",
    "asset_metrics",
    "asset_inventory",
    "asset_changes",
    "asset_status_history",
]


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["msp_owner", "tech", "alice", "bob"])
@pytest.mark.parametrize("name", PAGES)
def test_every_tab_of_the_host_page_renders_whole_for_the_people_of_its_client(
    request, web_as, host, language, persona, name
):
    user = speaking(request.getfixturevalue(persona), language)
    response = web_as(user).get(reverse(name, args=[host.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in text
    assert 'id="tab-panel"' in text
    assert ("개요" if language == "ko" else "Overview") in text
    assert 'data-status="online"' in text


@pytest.mark.parametrize("name", PAGES)
def test_a_tab_asked_for_by_htmx_is_only_the_fragment(web_as, msp_owner, host, name):
    response = web_as(msp_owner).get(reverse(name, args=[host.pk]), headers=hx())
    assert response.status_code == 200
    assert "<html" not in response.content.decode()


@pytest.mark.parametrize(
    "name",
    [*PAGES, "asset_metrics_data", "asset_commands", "agent_revoke", "asset_edit"],
)
def test_outsiders_get_404_on_client_as_host_pages_and_json(web_as, charlie, tech_b, host, name):
    for user in (charlie, tech_b):
        response = web_as(user).get(reverse(name, args=[host.pk]), {"chart": "cpu"})
        assert response.status_code == 404, (user, name)
        assert "a-web-01" not in response.content.decode()


def test_the_header_shows_status_agent_version_and_the_overview_hardware_and_os(
    web_as, msp_owner, host
):
    text = web_as(speaking(msp_owner, "en")).get(reverse("asset_detail", args=[host.pk]))
    text = text.content.decode()
    assert "openmsp-agent 0.1.0" in text
    assert "AMD EPYC 7302" in text
    assert "6.1.0-18-amd64" in text
    assert "64.0\xa0GB" in text  # RAM
    assert "ext4" in text


def test_the_overview_flags_an_expired_warranty_and_an_end_of_life_soon(web_as, tech, client_a):
    today = timezone.localdate()
    asset = actions.create_asset(
        actor=SYSTEM,
        client=client_a,
        name="old-switch",
        warranty_until=today - dt.timedelta(days=10),
        end_of_life=today + dt.timedelta(days=30),
    )
    text = web_as(speaking(tech, "en")).get(reverse("asset_detail", args=[asset.pk]))
    text = text.content.decode()
    assert "expired" in text
    assert "soon" in text
    assert "none (manual asset)" in text


# --- Metrics ----------------------------------------------------------------------------------


def test_the_metrics_tab_has_one_canvas_per_chart_and_a_range_picker(web_as, bob, host):
    text = web_as(speaking(bob, "en")).get(
        reverse("asset_metrics", args=[host.pk]), {"range": "6h"}
    )
    text = text.content.decode()
    for chart in ("cpu", "memory", "disk", "network", "load"):
        assert f'data-metric-chart="{chart}"' in text
        assert f"chart={chart}&amp;range=6h" in text
    for span in ("1h", "6h", "24h", "7d", "30d"):
        assert f'data-range="{span}"' in text
    assert 'data-tz="Asia/Seoul"' in text


def test_the_metrics_json_returns_points_and_the_resolution_after_samples_are_ingested(
    web_as, bob, host
):
    now = timezone.now()
    ingest(
        host,
        [
            SampleIn("cpu.percent", {"cpu": "total"}, now - dt.timedelta(minutes=m), 10.0 + m)
            for m in range(5)
        ]
        + [SampleIn("disk.used_percent", {"mount": m}, now, 42.0) for m in ("/", "/var")]
        + [
            SampleIn("net.rx_bytes_per_s", {"iface": i}, now, v)
            for i, v in (("eth0", 2048.0), ("lo", 0.0))
        ],
    )
    http = web_as(bob)
    url = reverse("asset_metrics_data", args=[host.pk])
    cpu = http.get(url, {"chart": "cpu", "range": "1h"}).json()
    assert cpu["resolution"] == "raw"
    assert cpu["unit"] == "%"
    assert cpu["time_zone"] == "Asia/Seoul"
    [series] = cpu["series"]
    assert series["label"] == "CPU"
    assert [v for _t, v in series["points"]] == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert all(cpu["start"] <= t <= cpu["end"] for t, _v in series["points"])
    disk = http.get(url, {"chart": "disk"}).json()
    assert sorted(s["label"] for s in disk["series"]) == ["/", "/var"]
    network = http.get(url, {"chart": "network"}).json()
    assert [s["label"] for s in network["series"]] == ["eth0 rx"]  # the idle lo is left out
    week = http.get(url, {"chart": "cpu", "range": "7d"}).json()
    assert week["resolution"] == "5m"
    assert week["series"][0]["points"]
    month = http.get(url, {"chart": "cpu", "range": "30d"}).json()
    assert month["resolution"] == "1h"


def test_the_metrics_json_refuses_an_unknown_chart_or_range_with_a_sentence(web_as, bob, host):
    url = reverse("asset_metrics_data", args=[host.pk])
    bad_chart = web_as(bob).get(url, {"chart": "bogus"})
    assert bad_chart.status_code == 422
    assert bad_chart.json()["field"] == "chart"
    bad_range = web_as(bob).get(url, {"chart": "cpu", "range": "2y"})
    assert bad_range.status_code == 422
    assert bad_range.json()["field"] == "range"


# --- Inventory --------------------------------------------------------------------------------


def test_the_inventory_lists_packages_and_searches_them(web_as, bob, host):
    http = web_as(speaking(bob, "en"))
    url = reverse("asset_inventory", args=[host.pk])
    text = http.get(url).content.decode()
    table = text[text.index('id="inventory-table"') :]
    for name in ("openssl", "nginx", "libc6"):
        assert f">{name}<" in table
    found = http.get(url, {"section": "packages", "q": "ssl"}).content.decode()
    found = found[found.index('id="inventory-table"') :]
    assert ">openssl<" in found
    assert ">nginx<" not in found


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("services", "running"),
        ("ports", "tcp/192.0.2.10:443"),
        ("users", "/home/deploy"),
        ("interfaces", "10.0.0.5/24"),
        ("updates", "3.0.13-1"),
    ],
)
def test_each_inventory_section_has_its_table(web_as, bob, host, section, expected):
    response = web_as(bob).get(
        reverse("asset_inventory", args=[host.pk]), {"section": section}, headers=hx()
    )
    assert expected in response.content.decode()


def test_a_manual_asset_explains_that_it_has_no_inventory(web_as, tech, client_a):
    asset = actions.create_asset(actor=SYSTEM, client=client_a, name="printer")
    text = web_as(speaking(tech, "en")).get(reverse("asset_inventory", args=[asset.pk]))
    assert "Manual assets have no inventory" in text.content.decode()


# --- Changes and status history ---------------------------------------------------------------


def test_the_changes_tab_answers_what_changed_last_week_by_section(web_as, bob, host):
    asset = host
    now = timezone.now()
    InventoryChange.objects.create(
        asset=asset, at=now - dt.timedelta(days=2), section="packages", change="changed",
        key="openssl", before="3.0.11-1", after="3.0.13-1",
    )  # fmt: skip
    InventoryChange.objects.create(
        asset=asset, at=now - dt.timedelta(days=20), section="packages", change="added",
        key="ancient-pkg", before=None, after="1.0",
    )  # fmt: skip
    InventoryChange.objects.create(
        asset=asset, at=now - dt.timedelta(days=1), section="users", change="added",
        key="intruder", before=None, after={"uid": 1001},
    )  # fmt: skip
    http = web_as(speaking(bob, "en"))
    url = reverse("asset_changes", args=[asset.pk])
    week = http.get(url).content.decode()
    assert "3.0.13-1" in week
    assert "intruder" in week
    assert "ancient-pkg" not in week
    packages = http.get(url, {"section": "packages", "period": "30d"}).content.decode()
    assert "ancient-pkg" in packages
    assert "intruder" not in packages


def test_the_status_history_lists_online_and_offline_transitions(web_as, bob, host):
    later = timezone.now() + dt.timedelta(minutes=10)
    actions.detect_offline(now=later)
    text = web_as(speaking(bob, "en")).get(reverse("asset_status_history", args=[host.pk]))
    table = text.content.decode()
    table = table[table.index('id="status-table"') :]
    assert table.count('class="badge badge-offline"') == 1
    assert "Unknown" in table  # the first check-in: unknown -> online
    assert "so far" in table


# --- Revoking the agent -----------------------------------------------------------------------


def test_the_revoke_dialog_is_offered_to_staff_who_enroll_but_not_to_client_users(
    web_as, tech, bob, host
):
    assert (
        'id="revoke-agent-dialog"'
        in web_as(tech).get(reverse("asset_detail", args=[host.pk])).content.decode()
    )
    assert (
        'id="revoke-agent-dialog"'
        not in web_as(bob).get(reverse("asset_detail", args=[host.pk])).content.decode()
    )
    assert web_as(bob).post(reverse("agent_revoke", args=[host.pk])).status_code == 403


def test_revoking_the_agent_from_the_host_page_cuts_it_off(web_as, tech, host, agent_a):
    http = web_as(speaking(tech, "en"))
    confirm = http.get(reverse("agent_revoke", args=[host.pk]))
    assert "Revoke this agent?" in confirm.content.decode()
    response = http.post(reverse("agent_revoke", args=[host.pk]))
    assert response.status_code == 302
    assert Agent.objects.get(asset=host).revoked_at is not None
    assert agent_a.batch().status_code == 401
    page = http.get(response["Location"]).content.decode()
    assert "is revoked" in page
    assert 'id="revoke-agent-dialog"' not in page


def test_the_header_shows_the_batches_the_agent_dropped_in_ko_and_en(web_as, msp_owner, agent_a):
    response = agent_a.batch(agent={"queue_depth": 3, "dropped_batches": 7})
    assert response.status_code == 200, response.content
    asset = agent_a.agent.asset

    english = web_as(speaking(msp_owner, "en")).get(reverse("asset_detail", args=[asset.pk]))
    assert "7 batches dropped" in english.content.decode()
    korean = web_as(speaking(msp_owner, "ko")).get(reverse("asset_detail", args=[asset.pk]))
    assert "배치 7개 버림" in korean.content.decode()

    agent_a.batch(agent={"queue_depth": 0, "dropped_batches": 0})
    quiet = web_as(speaking(msp_owner, "en")).get(reverse("asset_detail", args=[asset.pk]))
    assert "dropped" not in quiet.content.decode()
