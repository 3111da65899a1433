"""Dependencies in a real browser: an owner makes a web server depend on the site's router on the
host page; the router goes offline and the web server's check fails (both through the spine);
the child's problem is marked suppressed on the board and its page names the router as the
parent that is down; the dependency view shows the router above the web server."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.alerts.models import AlertsDependency, Problem
from openmsp.assets import actions as asset_actions
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SYSTEM = Actor.system("test")


def _observe(client_id: int, *, asset_id: int, rule: str, object_id: str, title: str) -> None:
    spine.observe(
        spine.Observation(
            client_id=client_id,
            source="agent" if rule == "offline" else "check",
            object_type="assets.asset" if rule == "offline" else "monitoring.check",
            object_id=object_id,
            rule=rule,
            status="critical",
            observed_at=timezone.now(),
            summary=title,
            title=title,
            asset_id=asset_id,
        )
    )


def test_an_owner_adds_a_parent_and_sees_the_childs_problem_suppressed_while_it_is_down(
    live_server, browser_page, msp_owner, client_a
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="core-router")
    web = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web-01")

    sign_in(page, base, msp_owner.email)
    page.goto(f"{base}/assets/{web.pk}/")
    page.locator("nav.tabs a[data-tab='dependencies']").click()
    expect(page.locator("#asset-parent")).to_contain_text("depends on no other asset")
    page.select_option("#id_parent", label="core-router")
    page.click("#save-parent")
    expect(page.locator("#asset-parent")).to_contain_text("core-router")
    expect(page.locator("#asset-parent [data-parent]")).to_have_text("core-router")
    assert AlertsDependency.objects.get(child=web).parent == router

    _observe(client_a.pk, asset_id=router.pk, rule="offline", object_id=str(router.pk), title="core-router offline")  # fmt: skip
    _observe(client_a.pk, asset_id=web.pk, rule="http", object_id="web-health", title="web-01 health failing")  # fmt: skip
    child = Problem.objects.get(asset=web)
    assert child.suppressed_by == Problem.objects.get(asset=router)

    page.locator(".shell-nav a", has_text="Problems").click()
    row = page.locator(f"#problem-table tr[data-problem='{child.pk}']")
    expect(row).to_contain_text("suppressed")
    row.get_by_role("link", name="web-01 health failing").click()
    expect(page).to_have_url(re.compile(rf"/problems/{child.pk}/$"))
    expect(page.locator("#suppressed-by")).to_contain_text(
        "Suppressed because its parent core-router is down"
    )
    expect(page.locator("#suppressed-by")).to_contain_text("core-router offline")

    page.goto(f"{base}/problems/dependencies/?client={client_a.pk}")
    root = page.locator(f"#dependency-forest li[data-asset='{router.pk}']")
    expect(root.locator("[data-down]").first).to_be_visible()
    expect(root.locator(f"li[data-asset='{web.pk}']")).to_contain_text("web-01")

    page.goto(f"{base}/assets/{web.pk}/dependencies/")
    page.click("#remove-parent")
    expect(page.locator("#asset-parent")).to_contain_text("depends on no other asset")
    assert not AlertsDependency.objects.exists()
