from django.urls import reverse

from conftest import SYSTEM
from openmsp.accounts import actions


def make_many(client, count):
    # Invited (no password): hashing 30 passwords would only slow the test down.
    for n in range(count):
        actions.invite_user(
            actor=SYSTEM, email=f"user{n:02d}@hanbit.example", role="client_user", client=client
        )


def emails(response):
    return [person.email for person in response.context["page"]]


def test_search_matches_email_or_name(web_as, msp_owner, alice, bob, charlie):
    http = web_as(msp_owner)

    assert emails(http.get(reverse("user_list"), {"q": "hanbit"})) == [
        "alice@hanbit.example",
        "bob@hanbit.example",
    ]
    assert emails(http.get(reverse("user_list"), {"q": "charl"})) == ["charlie@saebom.example"]


def test_filter_by_role_and_client(web_as, msp_owner, alice, bob, charlie, client_a):
    http = web_as(msp_owner)

    assert emails(
        http.get(reverse("user_list"), {"role": "client_admin", "client": client_a.pk})
    ) == ["alice@hanbit.example"]


def test_a_client_filter_outside_ones_view_filters_nothing_in(
    web_as, alice, bob, charlie, client_b
):
    response = web_as(alice).get(reverse("user_list"), {"client": client_b.pk})

    assert "charlie@saebom.example" not in emails(response)
    assert "client" in response.context["filters"].errors


def test_the_list_is_paginated_and_keeps_the_filters(web_as, msp_owner, client_a):
    make_many(client_a, 30)
    http = web_as(msp_owner)

    first = http.get(reverse("user_list"), {"q": "user"})
    second = http.get(reverse("user_list"), {"q": "user", "page": 2})

    assert len(emails(first)) == 25
    assert len(emails(second)) == 5
    assert "?q=user&amp;page=2" in first.content.decode()


def test_the_list_takes_a_fixed_number_of_queries(
    web_as, msp_owner, client_a, tech_b, django_assert_max_num_queries
):
    make_many(client_a, 20)
    http = web_as(msp_owner)
    http.get(reverse("user_list"))

    with django_assert_max_num_queries(12):
        http.get(reverse("user_list"))
