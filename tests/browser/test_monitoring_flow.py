"""From a check made in the browser to an acknowledged problem: the owner creates an HTTP check
against a real server on 127.0.0.1, the server starts answering 500, the real poller runs the
check once, and the problem it opened is on the board, where the owner acknowledges it."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import pytest
from django.db import connections
from playwright.sync_api import expect

from openmsp.alerts.models import Problem
from openmsp.core import spine
from openmsp.monitoring.models import Check
from openmsp.monitoring.tests.conftest import due_now
from openmsp.monitoring.tests.peers import HttpPeer, Observed, run_poller_until
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


@pytest.fixture
def erp_site() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    yield peer
    peer.stop()


def poll_in_a_thread(condition: Callable[[], bool]) -> None:
    """Run the real poller until *condition*, in a thread of its own: Playwright's sync API keeps
    an event loop on the test's thread, where async_to_sync cannot run."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            run_poller_until(condition)
        except BaseException as exc:  # handed back to the test's thread
            failures.append(exc)
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the poller did not stop"
    if failures:
        raise failures[0]


@pytest.fixture
def observed() -> Iterator[Observed]:
    sink = Observed()
    spine.register_observation_sink(sink)
    yield sink
    spine.unregister_observation_sink(sink)


def test_an_owner_makes_an_http_check_sees_its_failure_on_the_board_and_acknowledges_it(
    live_server, browser_page, msp_owner, client_a, erp_site, observed
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)

    page.goto(f"{base}/checks/new/")
    page.click("[data-kind=http]")
    page.select_option("#id_client", label="Hanbit Logistics")
    page.fill("#id_name", "ERP health")
    page.fill("#id_target", erp_site.url)
    page.fill("#id_timeout_seconds", "2")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/checks/\d+/$"))
    check = Check.objects.get(name="ERP health")
    assert (check.kind, check.target, check.client_id) == ("http", erp_site.url, client_a.pk)

    erp_site.status = 500
    due_now(check)
    poll_in_a_thread(lambda: len(observed.of(check.pk)) >= 1)
    assert observed.statuses(check.pk) == ["critical"]
    problem = Problem.objects.get(source="check", object_id=str(check.pk))
    assert problem.state == "firing"

    page.locator(".shell-nav a", has_text="Problems").click()
    row = page.locator(f"#problem-table tr[data-problem='{problem.pk}']")
    expect(row).to_contain_text("Hanbit Logistics")
    expect(row.locator("[data-state]")).to_have_text("Firing")
    row.get_by_role("link", name=problem.title).click()
    expect(page).to_have_url(re.compile(rf"/problems/{problem.pk}/$"))
    expect(page.locator("main")).to_contain_text("HTTP 500")

    page.fill("#id_comment", "ERP app pool restarting")
    page.click("#acknowledge")
    expect(page.locator("#problem-state [data-state]")).to_have_text("Acknowledged")
    expect(page.locator("#ack-by")).to_contain_text("ERP app pool restarting")
    expect(page.locator("#timeline")).to_contain_text("Acknowledged")
    problem.refresh_from_db()
    assert problem.state == "acknowledged"
    assert problem.acknowledged_by == msp_owner
