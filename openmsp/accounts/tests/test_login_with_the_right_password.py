from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.tests.support import post_password, records


def test_it_signs_in_and_goes_to_the_dashboard(client, bob):
    response = post_password(client, "bob@hanbit.example", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_it_accepts_the_email_in_any_case(client, bob):
    response = post_password(client, "  BOB@Hanbit.Example ", PASSWORD)

    assert response.status_code == 302


def test_it_records_the_sign_in_as_an_access_record_of_the_user(client, bob):
    post_password(client, "bob@hanbit.example", PASSWORD)

    [rec] = records("login.succeeded")
    assert rec.category == "access"
    assert rec.actor_id == bob.pk
    assert rec.client_id == bob.client_id
    assert rec.after == {"second_factor": False}


def test_it_goes_to_the_page_that_asked_for_sign_in(client, bob):
    response = post_password(client, "bob@hanbit.example", PASSWORD, next="/clients/")

    assert response["Location"] == "/clients/"


def test_it_refuses_to_send_the_user_to_another_site(client, bob):
    response = post_password(client, "bob@hanbit.example", PASSWORD, next="https://evil.example/")

    assert response["Location"] == reverse("dashboard")


def test_the_form_has_the_field_names_the_browser_tests_use(client, db):
    html = client.get(reverse("login")).content.decode()

    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'type="submit"' in html


def test_a_signed_in_person_visiting_the_login_page_goes_on(client, bob):
    client.force_login(bob)

    assert client.get(reverse("login"))["Location"] == reverse("dashboard")
