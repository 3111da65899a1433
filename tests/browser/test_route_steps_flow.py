"""The route editor's escalation ladder in a real browser: an MSP admin opens a client's routing
rule, fills the empty step row with a delay, a channel and the team lead, saves, and sees the
step kept with another empty row offered; the ladder is what escalation then uses."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.notifications import actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SYSTEM = Actor.system("test")


def test_an_admin_sets_an_escalation_steps_delay_channel_and_person(
    live_server, browser_page, msp_admin, client_a
):
    page, base = browser_page, live_server.url
    speaking(msp_admin, "en")
    lead = make_user("lead@msp.example", Role.TECHNICIAN, full_name="Lee Lead")
    pager = actions.create_channel(actor=SYSTEM, client=client_a, name="Pager", kind="email", config={"recipients": ["pager@msp.example"]})  # fmt: skip
    route = actions.create_route(actor=SYSTEM, client=client_a, name="On-call", channels=[pager])

    sign_in(page, base, msp_admin.email)
    page.goto(f"{base}/notifications/routes/{route.pk}/")
    step = page.locator("#escalation-steps [data-step='1']")
    step.locator("input[name='steps-0-after_minutes']").fill("15")
    step.get_by_label("Hanbit Logistics · Pager").check()
    step.get_by_label("Lee Lead <lead@msp.example>").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("Routing rule saved.")

    [saved] = route.steps.all()
    assert saved.after_minutes == 15
    assert list(saved.channels.all()) == [pager]
    assert list(saved.people.all()) == [lead]

    page.goto(f"{base}/notifications/routes/{route.pk}/")
    expect(page.locator("input[name='steps-0-after_minutes']")).to_have_value("15")
    expect(page.locator("#escalation-steps [data-step='1']").get_by_label("Lee Lead <lead@msp.example>")).to_be_checked()  # fmt: skip
    expect(page.locator("#escalation-steps [data-step='2'] input[name='steps-1-after_minutes']")).to_have_value("")  # fmt: skip
