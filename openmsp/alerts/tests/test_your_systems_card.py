"""A client user's dashboard shows the health of their own systems: hosts online and offline
(the offline ones named) and their open problems by severity, none of another client's."""

from __future__ import annotations

import re

import pytest

from openmsp.alerts.tests.conftest import seen
from openmsp.assets import actions as asset_actions
from openmsp.assets.models import Asset
from openmsp.core import spine
from openmsp.core.actor import Actor

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


def _count(html: str, name: str) -> str:
    found = re.search(rf'data-count="{name}">\s*([^<]*)<', html)
    assert found, f"no {name} count on the page"
    return found.group(1).split()[0]


def test_the_card_counts_only_the_users_own_systems(client_a, client_b, bob, msp_owner, web_as):
    erp = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="erp-db")
    asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web-01")
    theirs = asset_actions.create_asset(actor=SYSTEM, client=client_b, name="saebom-db")
    Asset.objects.filter(pk__in=[erp.pk, theirs.pk]).update(status="offline")
    spine.observe(seen(client_a.pk, "critical", object_id="a1"))
    spine.observe(seen(client_a.pk, "warning", object_id="a2"))
    spine.observe(seen(client_b.pk, "critical", object_id="b1"))
    spine.observe(seen(client_b.pk, "critical", object_id="b2"))

    html = web_as(bob).get("/").content.decode()
    assert 'id="your-systems"' in html
    assert _count(html, "offline") == "1"
    assert "erp-db" in html
    assert "saebom-db" not in html
    assert _count(html, "critical") == "1"
    assert _count(html, "warning") == "1"

    assert 'id="your-systems"' not in web_as(msp_owner).get("/").content.decode()  # staff: no


def test_the_card_reads_in_korean(client_a, bob, web_as):
    bob.language = "ko"
    bob.save(update_fields=["language"])
    html = web_as(bob).get("/").content.decode()
    assert "내 시스템" in html
