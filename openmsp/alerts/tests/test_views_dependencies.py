"""The Dependencies tab of a host, the per-client dependency view, and the problem page saying
which parent's outage suppresses a problem."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.alerts import actions
from openmsp.alerts.models import AlertsDependency, Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.assets import actions as asset_actions
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def fleet(client_a) -> dict[str, Any]:
    router = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="core-router")
    web = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="web-01")
    db = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="db-01")
    return {"router": router, "web": web, "db": db}


def _router_down(client_a, router) -> Problem:
    spine.observe(
        seen(
            client_a.pk,
            source="agent",
            object_type="assets.asset",
            object_id=str(router.pk),
            rule="offline",
            asset_id=router.pk,
            title="core-router offline",
        )
    )
    return Problem.objects.get(asset=router)


def test_a_technician_adds_and_removes_a_parent_on_the_host_page(web_as, msp_owner, fleet):
    http = web_as(msp_owner)
    web, router = fleet["web"], fleet["router"]
    page = http.get(f"/assets/{web.pk}/dependencies/")
    assert page.status_code == 200
    assert 'id="parent-form"' in page.content.decode()
    assert http.post(f"/assets/{web.pk}/dependencies/", {"parent": router.pk}).status_code == 302
    link = AlertsDependency.objects.get(child=web)
    assert link.parent == router
    assert f'data-parent="{router.pk}"' in http.get(f"/assets/{web.pk}/dependencies/").content.decode()  # fmt: skip
    assert "web-01" in http.get(f"/assets/{router.pk}/dependencies/").content.decode()
    assert http.post(f"/problems/dependencies/{link.pk}/remove/").status_code == 302
    assert not AlertsDependency.objects.exists()


def test_a_cycle_or_a_foreign_parent_is_refused_next_to_the_field(
    web_as, msp_owner, fleet, client_b
):
    http = web_as(speaking(msp_owner, "en"))
    actions.set_dependency(actor=SYSTEM, child=fleet["web"], parent=fleet["router"])
    cycle = http.post(f"/assets/{fleet['router'].pk}/dependencies/", {"parent": fleet["web"].pk})
    assert cycle.status_code == 422
    assert "cannot depend on itself" in str(cycle.context["form"].errors["parent"])
    foreign = asset_actions.create_asset(actor=SYSTEM, client=client_b, name="other")
    refused = http.post(f"/assets/{fleet['db'].pk}/dependencies/", {"parent": foreign.pk})
    assert refused.status_code == 422
    assert refused.context["form"].errors["parent"]
    assert http.post(f"/assets/{fleet['db'].pk}/dependencies/", {"parent": "x"}).status_code == 422
    assert AlertsDependency.objects.count() == 1


def test_client_users_see_the_dependencies_but_cannot_change_them(web_as, bob, charlie, fleet):
    link = actions.set_dependency(actor=SYSTEM, child=fleet["web"], parent=fleet["router"])
    page = web_as(bob).get(f"/assets/{fleet['web'].pk}/dependencies/")
    assert page.status_code == 200
    assert "core-router" in page.content.decode()
    assert 'id="parent-form"' not in page.content.decode()
    post = web_as(bob).post(f"/assets/{fleet['web'].pk}/dependencies/", {"parent": fleet["db"].pk})
    assert post.status_code == 403
    assert web_as(bob).post(f"/problems/dependencies/{link.pk}/remove/").status_code == 403
    assert web_as(charlie).get(f"/assets/{fleet['web'].pk}/dependencies/").status_code == 404
    assert "core-router" not in web_as(charlie).get("/problems/dependencies/").content.decode()
    assert AlertsDependency.objects.get().parent == fleet["router"]


def test_the_dependency_view_nests_children_under_parents_and_marks_the_down_ones(
    web_as, msp_owner, client_a, fleet
):
    actions.set_dependency(actor=SYSTEM, child=fleet["web"], parent=fleet["router"])
    actions.set_dependency(actor=SYSTEM, child=fleet["db"], parent=fleet["web"])
    down = _router_down(client_a, fleet["router"])
    page = web_as(msp_owner).get(f"/problems/dependencies/?client={client_a.pk}")
    forest = page.context["forest"]
    [(client, [root])] = forest.items()
    assert client == client_a
    assert root.asset == fleet["router"]
    assert root.down == down
    assert [c.asset for c in root.children] == [fleet["web"]]
    assert [c.asset for c in root.children[0].children] == [fleet["db"]]
    body = page.content.decode()
    assert body.index("core-router") < body.index("web-01") < body.index("db-01")


@pytest.mark.usefixtures("compiled_translations")
def test_a_suppressed_problem_names_the_parent_that_is_down_in_korean(
    web_as, msp_owner, client_a, fleet
):
    actions.set_dependency(actor=SYSTEM, child=fleet["web"], parent=fleet["router"])
    _router_down(client_a, fleet["router"])
    spine.observe(seen(client_a.pk, object_id="http-web", asset_id=fleet["web"].pk))
    child = Problem.objects.get(object_id="http-web")
    assert child.suppressed_by is not None
    speaking(msp_owner, "en")
    http = web_as(msp_owner)
    body = http.get(f"/problems/{child.pk}/").content.decode()
    assert "Suppressed because its parent core-router is down" in body
    speaking(msp_owner, "ko")
    body = web_as(msp_owner).get(f"/problems/{child.pk}/").content.decode()
    assert "상위 자산 core-router" in body
