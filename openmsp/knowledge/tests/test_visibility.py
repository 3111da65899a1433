"""Who reads which article: client users see published public articles and their own client's;
staff see internal articles and drafts; a limited technician does not see other clients' ones."""

from __future__ import annotations

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.knowledge import queries
from openmsp.web.testing import compiled_translations  # noqa: F401


def _titles(actor):
    return {a.title for a in queries.articles_visible_to(actor)}


def test_a_client_user_sees_public_and_own_clients_published_articles_only(bob, charlie, library):
    seen = _titles(Actor(user=bob))
    assert seen == {library[k].title for k in ("public", "public_ko", "own")}
    assert _titles(Actor(user=charlie)) == {library[k].title for k in ("public", "public_ko", "other")}  # fmt: skip


def test_staff_see_internal_articles_and_drafts(msp_owner, library):
    assert _titles(Actor(user=msp_owner)) == {a.title for a in library.values()}


def test_a_technician_limited_to_one_client_does_not_see_another_clients_articles(tech_b, library):
    seen = _titles(Actor(user=tech_b))
    assert library["other"].title in seen
    assert library["internal"].title in seen
    assert library["own"].title not in seen


def test_an_inactive_client_user_sees_nothing(client_a, library):
    gone = make_user("gone@hanbit.example", Role.CLIENT_USER, client_a)
    gone.is_active = False
    gone.save()
    assert _titles(Actor(user=gone)) == set()


def test_over_the_api_another_clients_internal_and_draft_articles_are_404(api_as, bob, library):
    http = api_as(bob)
    for key in ("other", "internal", "draft"):
        assert http.get(f"/api/v1/kb/articles/{library[key].pk}").status_code == 404, key
    r = http.get(f"/api/v1/kb/articles/{library['own'].pk}")
    assert r.status_code == 200
    assert r.json()["title"] == "Hanbit VPN profile"
    listed = {a["title"] for a in http.get("/api/v1/kb/articles?limit=100").json()["items"]}
    assert listed == {library[k].title for k in ("public", "public_ko", "own")}
    assert http.get(f"/api/v1/kb/articles/{library['own'].pk}/revisions").status_code == 404


def test_portal_pages_show_only_what_the_client_user_may_read(web_as, bob, library):
    http = web_as(bob)
    body = http.get("/kb/").content.decode()
    assert "Hanbit VPN profile" in body
    assert "Saebom VPN profile" not in body
    assert "firewall admin" not in body
    assert "Reset your VPN token" not in body
    assert http.get(f"/kb/{library['internal'].pk}/").status_code == 404
    assert http.get(f"/kb/{library['own'].pk}/edit/").status_code == 403
    assert http.get(f"/kb/{library['own'].pk}/").status_code == 200


@pytest.mark.usefixtures("compiled_translations")
def test_the_pages_render_in_korean(web_as, bob, msp_owner, library):
    from openmsp.web.testing import speaking

    speaking(bob, "ko")
    speaking(msp_owner, "ko")
    assert "지식 베이스" in web_as(bob).get("/kb/").content.decode()
    page = web_as(msp_owner).get(f"/kb/{library['public'].pk}/").content.decode()
    assert "개정 이력" in page
    assert "번역 추가" in page
