"""The asset list (fleet page), manual asset forms, the nav entry and the dashboard card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.assets import actions
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.metrics.ingest import SampleIn, clear_cache, ingest
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


@pytest.fixture
def tech(db):
    return account_actions.invite_user(
        actor=SYSTEM,
        email="tech@msp.example",
        role=Role.TECHNICIAN,
        password="correct-horse-battery-42",
        full_name="Tina Tech",
    )


def _table(response) -> str:
    text: str = response.content.decode()
    return text[text.index('id="asset-table"') :]


def _manual(client, name: str, **fields) -> Asset:
    return actions.create_asset(actor=SYSTEM, client=client, name=name, **fields)


def _samples(asset: Asset, cpu: float, mem: float, disks: dict[str, float]) -> None:
    now = timezone.now()
    rows = [
        SampleIn("cpu.percent", {"cpu": "total"}, now, cpu),
        SampleIn("cpu.percent", {"cpu": "0"}, now, 99.0),  # a core: not the host's CPU
        SampleIn("mem.used_percent", {}, now, mem),
    ]
    rows += [SampleIn("disk.used_percent", {"mount": m}, now, v) for m, v in disks.items()]
    ingest(asset, rows)


@pytest.fixture(autouse=True)
def _fresh_series_cache():
    clear_cache()


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["msp_owner", "tech", "alice", "bob"])
def test_the_fleet_page_renders_for_staff_and_the_clients_own_users(
    request, web_as, client_a, agent_a, language, persona
):
    user = speaking(request.getfixturevalue(persona), language)
    response = web_as(user).get(reverse("asset_list"))
    text = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}"' in text
    assert ("자산" if language == "ko" else "Assets") in text
    assert "a-web-01" in _table(response)


def test_each_host_shows_status_os_last_seen_and_the_latest_cpu_memory_and_fullest_disk(
    msp_owner, web_as, agent_a
):
    asset = agent_a.agent.asset
    Asset.objects.filter(pk=asset.pk).update(os_name="Debian GNU/Linux", os_version="12")
    agent_a.batch()  # a check-in: online, last seen now
    _samples(asset, cpu=12.4, mem=55.0, disks={"/": 40.0, "/var": 91.0})
    table = _table(web_as(speaking(msp_owner, "en")).get(reverse("asset_list")))
    assert 'data-status="online"' in table
    assert "Debian GNU/Linux" in table
    assert "just now" in table  # relative last-seen
    assert (
        timezone.localtime(timezone.now(), dt.timezone(dt.timedelta(hours=9))).strftime("%Y-%m-%d")
        in table
    )  # absolute, in the viewer's zone (Asia/Seoul)
    assert ">12%<" in table
    assert ">55%<" in table
    assert ">91%<" in table
    assert 'title="/var"' in table
    assert ">99%<" not in table


def test_client_users_see_only_their_clients_assets_and_no_client_filter(
    alice, web_as, client_a, client_b
):
    _manual(client_a, "core-switch-a")
    _manual(client_b, "core-switch-b")
    response = web_as(alice).get(reverse("asset_list"))
    assert "core-switch-a" in _table(response)
    assert "core-switch-b" not in response.content.decode()
    assert 'name="client"' not in response.content.decode()
    assert reverse("asset_create") not in response.content.decode()


def test_a_technician_limited_to_client_b_sees_only_bs_assets(tech_b, web_as, client_a, client_b):
    _manual(client_a, "core-switch-a")
    _manual(client_b, "core-switch-b")
    table = _table(web_as(tech_b).get(reverse("asset_list")))
    assert "core-switch-b" in table
    assert "core-switch-a" not in table


def test_the_list_filters_by_client_site_status_role_os_tag_and_searches_names(
    msp_owner, web_as, client_a, client_b
):
    site = tenant_actions.create_site(actor=SYSTEM, client=client_a, name="Seoul DC")
    _manual(client_a, "fw-seoul", role="network", site=site, tags=["edge"], os_name="FortiOS")
    _manual(client_a, "printer-2f", role="other", hostname="prn-2f.hanbit.lan")
    _manual(client_b, "db-saebom", role="server", os_name="Rocky Linux")
    http = web_as(msp_owner)

    def names(**params):
        table = _table(http.get(reverse("asset_list"), params))
        return {n for n in ("fw-seoul", "printer-2f", "db-saebom") if f">{n}<" in table}

    assert names() == {"fw-seoul", "printer-2f", "db-saebom"}
    assert names(client=client_b.pk) == {"db-saebom"}
    assert names(site=site.pk) == {"fw-seoul"}
    assert names(role="other") == {"printer-2f"}
    assert names(os="Rocky") == {"db-saebom"}
    assert names(tag="edge") == {"fw-seoul"}
    assert names(q="prn-2f") == {"printer-2f"}  # the host name
    assert names(status="unknown") == {"fw-seoul", "printer-2f", "db-saebom"}
    assert names(status="online") == set()
    assert names(status="bogus", role="nonsense") == {"fw-seoul", "printer-2f", "db-saebom"}


def test_the_list_sorts_by_a_column_in_both_directions(msp_owner, web_as, client_a):
    _manual(client_a, "alpha", criticality="low")
    _manual(client_a, "omega", criticality="critical")
    http = web_as(msp_owner)
    up = _table(http.get(reverse("asset_list"), {"sort": "criticality"}))
    down = _table(http.get(reverse("asset_list"), {"sort": "-criticality"}))
    assert up.index(">alpha<") < up.index(">omega<")
    assert down.index(">omega<") < down.index(">alpha<")
    by_name_down = _table(http.get(reverse("asset_list"), {"sort": "-name"}))
    assert by_name_down.index(">omega<") < by_name_down.index(">alpha<")
    assert http.get(reverse("asset_list"), {"sort": "drop table"}).status_code == 200
    assert http.get(reverse("asset_list"), {"sort": "-last_seen"}).status_code == 200


def test_the_list_pages_through_many_assets(msp_owner, web_as, client_a):
    for index in range(30):
        _manual(client_a, f"sw-{index:02d}")
    http = web_as(speaking(msp_owner, "en"))
    first = _table(http.get(reverse("asset_list")))
    second = _table(http.get(reverse("asset_list"), {"page": 2}))
    assert ">sw-00<" in first
    assert ">sw-29<" not in first
    assert ">sw-29<" in second
    assert "Page 2 of 2" in second


def _fleet(client, prefix: str, count: int) -> None:
    site = tenant_actions.create_site(actor=SYSTEM, client=client, name=f"{prefix} site")
    for index in range(count):
        asset = _manual(client, f"{prefix}-{index:02d}", site=site, tags=["core", prefix])
        _samples(asset, cpu=10.0 + index, mem=50.0, disks={"/": 30.0, "/data": 60.0})


def test_the_list_runs_the_same_number_of_queries_for_3_or_25_assets(
    msp_owner, web_as, client_a, django_assert_max_num_queries
):
    http = web_as(msp_owner)
    _fleet(client_a, "small", 3)
    http.get(reverse("asset_list"))  # warm the session
    with django_assert_max_num_queries(20) as few:
        http.get(reverse("asset_list"))
    _fleet(client_a, "large", 22)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = http.get(reverse("asset_list"))
    assert response.content.decode().count("<tr data-asset=") == 25


# --- Manual assets ----------------------------------------------------------------------------


def test_a_technician_adds_a_manual_firewall_with_warranty_and_end_of_life(tech, web_as, client_a):
    http = web_as(speaking(tech, "en"))
    assert http.get(reverse("asset_create")).status_code == 200
    response = http.post(
        reverse("asset_create"),
        {
            "client": client_a.pk,
            "name": "fw-01",
            "role": "network",
            "criticality": "high",
            "vendor": "Fortinet",
            "model": "FortiGate 60F",
            "warranty_until": "2027-03-31",
            "end_of_life": "2030-12-31",
            "tags": "edge, seoul",
        },
    )
    asset = Asset.objects.get(name="fw-01")
    assert response.status_code == 302
    assert response["Location"] == reverse("asset_detail", args=[asset.pk])
    assert asset.kind == "manual"
    assert asset.warranty_until == dt.date(2027, 3, 31)
    assert sorted(t.name for t in asset.tags.all()) == ["edge", "seoul"]
    page = http.get(response["Location"]).content.decode()
    assert "2030-12-31" in page
    assert "FortiGate 60F" in page


def test_end_of_life_before_warranty_is_refused_next_to_the_field_in_korean(tech, web_as, client_a):
    http = web_as(speaking(tech, "ko"))
    response = http.post(
        reverse("asset_create"),
        {
            "client": client_a.pk,
            "name": "fw-02",
            "role": "network",
            "criticality": "medium",
            "warranty_until": "2030-01-01",
            "end_of_life": "2029-01-01",
        },
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_end_of_life_error"' in text
    assert "단종일은 보증 종료일보다 빠를 수 없습니다." in text
    assert not Asset.objects.filter(name="fw-02").exists()


def test_the_asset_edit_form_changes_fields_and_tags(tech, web_as, client_a):
    asset = _manual(client_a, "printer-1", tags=["old"])
    http = web_as(speaking(tech, "en"))
    page = http.get(reverse("asset_edit", args=[asset.pk])).content.decode()
    assert 'value="old"' in page
    response = http.post(
        reverse("asset_edit", args=[asset.pk]),
        {"name": "printer-1", "role": "other", "criticality": "low", "tags": "floor-2"},
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.role == "other"
    assert [t.name for t in asset.tags.all()] == ["floor-2"]


def test_client_users_cannot_add_or_edit_assets(alice, bob, web_as, client_a):
    asset = _manual(client_a, "printer-1")
    for user in (alice, bob):
        http = web_as(user)
        assert http.get(reverse("asset_create")).status_code == 403
        assert http.get(reverse("asset_edit", args=[asset.pk])).status_code == 403
        assert http.post(reverse("asset_retire", args=[asset.pk])).status_code == 403


def test_outsiders_get_404_for_editing_client_as_asset(charlie, tech_b, web_as, client_a):
    asset = _manual(client_a, "printer-1")
    for user in (charlie, tech_b):
        http = web_as(user)
        assert http.get(reverse("asset_edit", args=[asset.pk])).status_code == 404
        assert http.post(reverse("asset_retire", args=[asset.pk])).status_code == 404


def test_retiring_an_asset_takes_it_off_the_list(tech, web_as, client_a):
    asset = _manual(client_a, "old-printer")
    http = web_as(tech)
    response = http.post(reverse("asset_retire", args=[asset.pk]))
    assert response.status_code == 302
    assert ">old-printer<" not in _table(http.get(reverse("asset_list")))
    assert http.get(reverse("asset_detail", args=[asset.pk])).status_code == 200  # history stays


# --- Shell ------------------------------------------------------------------------------------


def test_the_nav_has_an_assets_entry_in_both_languages(bob, web_as):
    assert ">자산</a>" in web_as(speaking(bob, "ko")).get(reverse("dashboard")).content.decode()
    assert ">Assets</a>" in web_as(speaking(bob, "en")).get(reverse("dashboard")).content.decode()


def test_the_dashboard_card_counts_online_and_offline_assets(msp_owner, web_as, agent_a, client_a):
    agent_a.batch()
    _manual(client_a, "sw-1")
    text = web_as(speaking(msp_owner, "en")).get(reverse("dashboard")).content.decode()
    card = text[text.index("fleet-card") :]
    assert "?status=online" in card
    assert "<strong>1</strong><span>online</span>" in card
    assert "<strong>0</strong><span>offline</span>" in card
    assert "<strong>1</strong><span>unknown</span>" in card


def test_the_dashboard_card_is_hidden_from_a_client_user_without_assets(bob, web_as):
    assert "fleet-card" not in web_as(bob).get(reverse("dashboard")).content.decode()
