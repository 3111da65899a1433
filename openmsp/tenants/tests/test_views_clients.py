"""Client list, client pages and client forms, told with the shared personas."""

from __future__ import annotations

import pytest
from django.urls import reverse

from openmsp.core.actor import Actor
from openmsp.tenants import actions, queries
from openmsp.tenants.models import Client
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


def _make_clients(count: int, prefix: str = "Client") -> None:
    for index in range(count):
        client = actions.create_client(
            actor=SYSTEM, name=f"{prefix} {index:03d}", code=f"{prefix.lower()}-{index:03d}"
        )
        actions.create_site(actor=SYSTEM, client=client, name="HQ")


def _table(response):
    """The list's table only (the header's client switcher names clients too)."""
    text = response.content.decode()
    return text[text.index('id="client-table"') :]


def test_the_client_list_renders_for_the_owner_in_korean_and_english(
    msp_owner, client_a, client_b, web_as
):
    page = web_as(speaking(msp_owner, "ko")).get(reverse("client_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "고객사" in text
    assert "Hanbit Logistics" in text
    assert "Saebom Pharma" in text
    page = web_as(speaking(msp_owner, "en")).get(reverse("client_list"))
    assert "Clients" in page.content.decode()
    assert "New client" in page.content.decode()


def test_a_client_admin_sees_only_their_own_client_in_the_list(alice, client_a, client_b, web_as):
    response = web_as(alice).get(reverse("client_list"))
    assert "Hanbit Logistics" in _table(response)
    assert "Saebom Pharma" not in response.content.decode()
    assert (
        reverse("client_create") not in response.content.decode()
    )  # no button their role cannot use


def test_the_list_searches_by_name_and_code_and_filters_by_status(
    msp_owner, client_a, client_b, web_as
):
    actions.update_client(actor=SYSTEM, client=client_b, changes={"status": "offboarded"})
    http = web_as(speaking(msp_owner, "en"))
    assert "Saebom" not in _table(http.get(reverse("client_list"), {"q": "hanbit"}))
    assert "Hanbit" in _table(http.get(reverse("client_list"), {"q": "HANBIT"}))
    offboarded = _table(http.get(reverse("client_list"), {"status": "offboarded"}))
    assert "Saebom Pharma" in offboarded
    assert "Hanbit Logistics" not in offboarded


def test_the_list_sorts_by_a_column_in_both_directions(msp_owner, client_a, client_b, web_as):
    http = web_as(msp_owner)
    ascending = _table(http.get(reverse("client_list"), {"sort": "name"}))
    descending = _table(http.get(reverse("client_list"), {"sort": "-name"}))
    assert ascending.index("Hanbit Logistics") < ascending.index("Saebom Pharma")
    assert descending.index("Saebom Pharma") < descending.index("Hanbit Logistics")
    assert http.get(reverse("client_list"), {"sort": "drop table"}).status_code == 200


def test_the_list_pages_through_many_clients(msp_owner, web_as):
    _make_clients(30)
    http = web_as(speaking(msp_owner, "en"))
    first = _table(http.get(reverse("client_list")))
    second = _table(http.get(reverse("client_list"), {"page": 2}))
    assert "Client 000" in first
    assert "Client 029" not in first
    assert "Client 029" in second
    assert "Page 2 of 2" in second


def test_the_list_runs_the_same_number_of_queries_for_3_or_40_clients(
    msp_owner, web_as, django_assert_max_num_queries
):
    http = web_as(msp_owner)
    _make_clients(3, "Small")
    http.get(reverse("client_list"))  # warm the session
    with django_assert_max_num_queries(12) as few:
        http.get(reverse("client_list"))
    _make_clients(37, "Large")
    with django_assert_max_num_queries(len(few.captured_queries)):
        http.get(reverse("client_list"))


def test_the_owner_creates_a_client_and_lands_on_its_page(msp_owner, web_as):
    http = web_as(speaking(msp_owner, "en"))
    response = http.post(
        reverse("client_create"),
        {
            "name": "Daon Retail",
            "code": "daon",
            "status": "onboarding",
            "time_zone": "Asia/Seoul",
            "language": "ko",
        },
    )
    client = queries.clients_visible_to(SYSTEM).get(code="daon")
    assert response.status_code == 302
    assert response["Location"] == reverse("client_detail", args=[client.pk])
    assert "Daon Retail" in http.get(response["Location"]).content.decode()


def test_a_bad_time_zone_is_shown_next_to_the_field_in_the_viewers_language(msp_owner, web_as):
    form = {
        "name": "X",
        "code": "x",
        "status": "active",
        "time_zone": "Mars/Olympus",
        "language": "ko",
    }
    english = web_as(speaking(msp_owner, "en")).post(reverse("client_create"), form)
    assert english.status_code == 422
    assert "is not a time zone" in english.content.decode()
    assert 'aria-invalid="true"' in english.content.decode()
    korean = web_as(speaking(msp_owner, "ko")).post(reverse("client_create"), form)
    assert "시간대" in korean.content.decode()
    assert not queries.clients_visible_to(SYSTEM).filter(code="x").exists()


def test_a_duplicate_name_is_refused_on_the_name_field(msp_owner, client_a, web_as):
    form = {
        "name": "Hanbit Logistics",
        "code": "other",
        "status": "active",
        "time_zone": "Asia/Seoul",
        "language": "ko",
    }
    response = web_as(speaking(msp_owner, "en")).post(reverse("client_create"), form)
    assert response.status_code == 422
    assert "already exists" in response.content.decode()


def test_the_owner_edits_a_client(msp_owner, client_a, web_as):
    http = web_as(msp_owner)
    url = reverse("client_edit", args=[client_a.pk])
    assert "Hanbit Logistics" in http.get(url).content.decode()
    form = {
        "name": "Hanbit Logistics Co.",
        "code": "hanbit",
        "status": "active",
        "time_zone": "Asia/Seoul",
        "language": "en",
    }
    assert http.post(url, form).status_code == 302
    client_a.refresh_from_db()
    assert client_a.name == "Hanbit Logistics Co."
    assert client_a.language == "en"


def test_a_client_admin_may_not_create_or_edit_clients(alice, client_a, web_as):
    http = web_as(alice)
    assert http.get(reverse("client_create")).status_code == 403
    assert (
        http.post(reverse("client_edit", args=[client_a.pk]), {"name": "Mine"}).status_code == 403
    )
    assert (
        reverse("client_edit", args=[client_a.pk])
        not in http.get(reverse("client_detail", args=[client_a.pk])).content.decode()
    )


def test_a_client_without_contracts_or_users_can_be_deleted(msp_owner, web_as):
    client = actions.create_client(actor=SYSTEM, name="Short Lived", code="short")
    response = web_as(msp_owner).post(reverse("client_delete", args=[client.pk]))
    assert response.status_code == 302
    assert not Client.objects.filter(pk=client.pk).exists()


def test_deleting_a_client_with_users_explains_why_not(msp_owner, alice, client_a, web_as):
    http = web_as(speaking(msp_owner, "en"))
    response = http.post(reverse("client_delete", args=[client_a.pk]), follow=True)
    assert "offboarded" in response.content.decode()
    assert Client.objects.filter(pk=client_a.pk).exists()


@pytest.mark.parametrize("tab", ["overview", "sites", "contacts", "contracts", "calendars"])
def test_every_tab_of_the_client_page_renders_whole_and_as_an_htmx_fragment(
    msp_owner, client_a, web_as, tab
):
    http = web_as(msp_owner)
    url = reverse("client_detail" if tab == "overview" else f"client_{tab}", args=[client_a.pk])
    whole = http.get(url)
    fragment = http.get(url, headers={"HX-Request": "true"})
    assert whole.status_code == fragment.status_code == 200
    assert "<html" in whole.content.decode()
    assert "<html" not in fragment.content.decode()


@pytest.mark.parametrize("persona", ["charlie", "tech_b"])
@pytest.mark.parametrize(
    "name",
    [
        "client_detail",
        "client_sites",
        "client_contacts",
        "client_contracts",
        "client_calendars",
        "client_edit",
    ],
)
def test_outsiders_get_404_on_every_page_of_client_a(request, client_a, web_as, persona, name):
    http = web_as(request.getfixturevalue(persona))
    assert http.get(reverse(name, args=[client_a.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["charlie", "tech_b"])
def test_outsiders_cannot_delete_client_a(request, client_a, web_as, persona):
    http = web_as(request.getfixturevalue(persona))
    assert http.post(reverse("client_delete", args=[client_a.pk])).status_code == 404
    assert Client.objects.filter(pk=client_a.pk).exists()


def test_a_client_user_without_contract_access_gets_no_contracts_tab(bob, client_a, web_as):
    http = web_as(bob)
    page = http.get(reverse("client_detail", args=[client_a.pk])).content.decode()
    assert reverse("client_contracts", args=[client_a.pk]) not in page
    assert http.get(reverse("client_contracts", args=[client_a.pk])).status_code == 403


def test_the_client_switcher_goes_to_the_chosen_client_or_back_to_the_list(
    msp_owner, tech_b, client_a, client_b, web_as
):
    owner = web_as(msp_owner)
    assert owner.get(reverse("client_switch"), {"client": client_a.pk})["Location"] == reverse(
        "client_detail", args=[client_a.pk]
    )
    tech = web_as(tech_b)
    assert tech.get(reverse("client_switch"), {"client": client_a.pk})["Location"] == reverse(
        "client_list"
    )
    assert tech.get(reverse("client_switch"), {"client": "nope"})["Location"] == reverse(
        "client_list"
    )


def test_signed_out_visitors_are_sent_to_sign_in(client_a, client):
    response = client.get(reverse("client_detail", args=[client_a.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
