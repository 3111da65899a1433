"""Sites and contacts: inline htmx forms on the client page, with whole-page fallbacks."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.tenants import actions, queries
from openmsp.web.testing import compiled_translations, hx, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


def test_the_add_site_form_opens_inline_as_a_fragment(alice, client_a, web_as):
    response = web_as(alice).get(reverse("site_create", args=[client_a.pk]), headers=hx())
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert 'hx-post="{}"'.format(reverse("site_create", args=[client_a.pk])) in text


def test_a_client_admin_adds_a_site_and_gets_the_refreshed_tab(alice, client_a, web_as):
    response = web_as(speaking(alice, "en")).post(
        reverse("site_create", args=[client_a.pk]),
        {"name": "Busan DC", "address": "Busan", "time_zone": "Asia/Seoul"},
        headers=hx(),
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#tab-panel"
    assert "Busan DC" in response.content.decode()
    assert "Site added." in response.content.decode()
    assert queries.sites_visible_to(SYSTEM).filter(client=client_a, name="Busan DC").exists()


def test_without_htmx_adding_a_site_redirects_to_the_sites_tab(alice, client_a, web_as):
    response = web_as(alice).post(
        reverse("site_create", args=[client_a.pk]), {"name": "Seoul HQ", "time_zone": "Asia/Seoul"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("client_sites", args=[client_a.pk])


def test_a_site_with_a_bad_time_zone_keeps_the_form_open_with_the_error(alice, client_a, web_as):
    response = web_as(speaking(alice, "en")).post(
        reverse("site_create", args=[client_a.pk]),
        {"name": "Nowhere", "time_zone": "Asia/Atlantis"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert "“Asia/Atlantis” is not a time zone" in response.content.decode()
    assert "HX-Retarget" not in response


def test_without_htmx_an_invalid_site_renders_the_client_page_with_the_form(
    alice, client_a, web_as
):
    response = web_as(speaking(alice, "ko")).post(
        reverse("site_create", args=[client_a.pk]), {"name": ""}
    )
    text = response.content.decode()
    assert response.status_code == 422
    assert "<html" in text
    assert 'id="form-slot"' in text
    assert "필수" in text


def test_a_site_is_edited_and_deleted(alice, client_a, web_as):
    site = actions.create_site(actor=SYSTEM, client=client_a, name="Old name")
    http = web_as(alice)
    edit = reverse("site_edit", args=[client_a.pk, site.pk])
    assert "Old name" in http.get(edit, headers=hx()).content.decode()
    http.post(edit, {"name": "New name", "time_zone": "Asia/Seoul"}, headers=hx())
    site.refresh_from_db()
    assert site.name == "New name"
    response = http.post(reverse("site_delete", args=[client_a.pk, site.pk]), headers=hx())
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#tab-panel"
    assert not queries.sites_visible_to(SYSTEM).filter(pk=site.pk).exists()


def test_a_duplicate_site_name_is_refused_in_the_form(alice, client_a, web_as):
    actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    response = web_as(alice).post(
        reverse("site_create", args=[client_a.pk]),
        {"name": "HQ", "time_zone": "Asia/Seoul"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert 'class="form-errors"' in response.content.decode()


def test_a_client_user_sees_sites_but_no_buttons_to_change_them(bob, client_a, web_as):
    actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    http = web_as(bob)
    text = http.get(reverse("client_sites", args=[client_a.pk])).content.decode()
    assert "HQ" in text
    assert reverse("site_create", args=[client_a.pk]) not in text
    assert http.get(reverse("site_create", args=[client_a.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_sites_and_contacts(request, client_a, web_as, persona):
    site = actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    contact = actions.create_contact(actor=SYSTEM, client=client_a, name="Kim")
    http = web_as(request.getfixturevalue(persona))
    assert http.get(reverse("site_edit", args=[client_a.pk, site.pk])).status_code == 404
    assert http.post(reverse("site_delete", args=[client_a.pk, site.pk])).status_code == 404
    assert http.get(reverse("contact_edit", args=[client_a.pk, contact.pk])).status_code == 404
    assert http.post(reverse("contact_delete", args=[client_a.pk, contact.pk])).status_code == 404
    assert queries.sites_visible_to(SYSTEM).filter(pk=site.pk).exists()


def test_a_site_of_client_a_is_not_reachable_under_client_b(msp_owner, client_a, client_b, web_as):
    site = actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    assert (
        web_as(msp_owner).get(reverse("site_edit", args=[client_b.pk, site.pk])).status_code == 404
    )


def test_a_contact_is_added_with_a_site_edited_and_deleted(alice, client_a, web_as):
    site = actions.create_site(actor=SYSTEM, client=client_a, name="HQ")
    http = web_as(speaking(alice, "en"))
    response = http.post(
        reverse("contact_create", args=[client_a.pk]),
        {
            "name": "Kim Minjun",
            "email": "minjun@hanbit.example",
            "site": site.pk,
            "is_primary": "on",
            "language": "ko",
        },
        headers=hx(),
    )
    assert response.status_code == 200
    assert "Kim Minjun" in response.content.decode()
    contact = queries.contacts_visible_to(SYSTEM).get(client=client_a, name="Kim Minjun")
    assert contact.site == site
    assert contact.is_primary
    http.post(
        reverse("contact_edit", args=[client_a.pk, contact.pk]),
        {"name": "Kim Minjun", "email": "mj@hanbit.example", "language": "en"},
        headers=hx(),
    )
    contact.refresh_from_db()
    assert contact.email == "mj@hanbit.example"
    assert contact.site is None
    http.post(reverse("contact_delete", args=[client_a.pk, contact.pk]), headers=hx())
    assert not queries.contacts_visible_to(SYSTEM).filter(pk=contact.pk).exists()


def test_a_contact_cannot_be_tied_to_another_clients_site(alice, client_a, client_b, web_as):
    foreign = actions.create_site(actor=SYSTEM, client=client_b, name="Saebom plant")
    response = web_as(speaking(alice, "en")).post(
        reverse("contact_create", args=[client_a.pk]),
        {"name": "Kim", "site": foreign.pk, "language": "ko"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert "Saebom plant" not in response.content.decode()  # not even offered as a choice


def test_an_invalid_email_is_shown_next_to_the_email_field(alice, client_a, web_as):
    response = web_as(speaking(alice, "ko")).post(
        reverse("contact_create", args=[client_a.pk]),
        {"name": "Kim", "email": "not-mail", "language": "ko"},
        headers=hx(),
    )
    assert response.status_code == 422
    assert 'id="id_email_error"' in response.content.decode()
