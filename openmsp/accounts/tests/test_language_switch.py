from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.tests.support import post_password


def html_lang(response):
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_the_login_page_is_korean_by_default(client, db):
    response = client.get(reverse("login"))

    assert html_lang(response) == "ko"
    assert response["Content-Language"] == "ko"


def test_a_visitor_switches_the_login_page_to_english(client, db):
    page = client.get(reverse("login")).content.decode()
    assert 'action="/i18n/setlang/"' in page
    assert 'name="language" value="en"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": reverse("login")})

    assert response["Location"] == reverse("login")
    assert html_lang(client.get(reverse("login"))) == "en"


def test_the_language_switch_comes_after_the_sign_in_button(client, db):
    page = client.get(reverse("login")).content.decode()

    assert page.index('id="sign-in"') < page.index("/i18n/setlang/")


def test_changing_the_language_on_the_profile_persists_and_switches_the_pages(web_as, bob):
    http = web_as(bob)
    assert html_lang(http.get(reverse("profile"))) == "ko"

    response = http.post(
        reverse("profile"), {"full_name": "Bob Kim", "language": "en", "time_zone": "Europe/Berlin"}
    )

    assert response["Location"] == reverse("profile")
    bob.refresh_from_db()
    assert (bob.full_name, bob.language, bob.time_zone) == ("Bob Kim", "en", "Europe/Berlin")
    assert html_lang(http.get(reverse("dashboard"))) == "en"


def test_the_account_language_wins_over_the_browser_cookie(client, bob):
    bob.language = "en"
    bob.save()
    client.post("/i18n/setlang/", {"language": "ko"})

    post_password(client, "bob@hanbit.example", PASSWORD)

    assert html_lang(client.get(reverse("dashboard"))) == "en"


def test_signing_in_sets_the_cookie_so_the_login_page_keeps_the_language(client, bob):
    bob.language = "en"
    bob.save()
    post_password(client, "bob@hanbit.example", PASSWORD)
    client.post(reverse("logout"))

    assert html_lang(client.get(reverse("login"))) == "en"


def test_an_unknown_time_zone_is_a_field_error(web_as, bob):
    response = web_as(bob).post(
        reverse("profile"), {"full_name": "", "language": "ko", "time_zone": "Mars/Olympus"}
    )

    assert response.status_code == 422
    assert "time_zone" in response.context["profile_form"].errors
