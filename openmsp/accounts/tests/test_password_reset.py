import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from openmsp.accounts.tests.support import last_mail_link, path_of, post_password, records

NEW_PASSWORD = "a-brand-new-secret-77"


def ask_for_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


def test_it_emails_a_link_on_the_site_url(client, bob, settings):
    response = ask_for_reset(client, "bob@hanbit.example")

    assert response["Location"] == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == ["bob@hanbit.example"]
    assert last_mail_link().startswith(f"{settings.SITE_URL}/accounts/password-reset/")


def test_the_link_lets_the_person_choose_a_password_and_sign_in(client, bob):
    ask_for_reset(client, "bob@hanbit.example")
    form_page = client.get(path_of(last_mail_link()), follow=True)
    assert form_page.context["validlink"]

    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response["Location"] == reverse("password_reset_complete")
    assert post_password(client, "bob@hanbit.example", NEW_PASSWORD).status_code == 302
    [rec] = records("user.password_set")
    assert rec.actor_id == bob.pk
    assert rec.category == "permission"


def test_the_link_works_only_once(client, bob):
    ask_for_reset(client, "bob@hanbit.example")
    link = path_of(last_mail_link())
    page = client.get(link, follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    again = client.get(link, follow=True)

    assert not again.context["validlink"]


def test_an_unknown_address_gets_the_same_page_and_no_mail(client, db):
    response = ask_for_reset(client, "nobody@hanbit.example")

    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


@pytest.mark.usefixtures("bob")
def test_a_new_password_lifts_a_lock_out(client, bob):
    bob.locked_until = timezone.now() + dt.timedelta(minutes=10)
    bob.save()
    ask_for_reset(client, "bob@hanbit.example")
    page = client.get(path_of(last_mail_link()), follow=True)
    client.post(
        page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert post_password(client, "bob@hanbit.example", NEW_PASSWORD).status_code == 302


def test_a_weak_password_is_refused_with_a_field_error(client, bob):
    ask_for_reset(client, "bob@hanbit.example")
    page = client.get(path_of(last_mail_link()), follow=True)

    response = client.post(
        page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"}
    )

    assert response.status_code == 422
    assert "new_password2" in response.context["form"].errors


def test_the_mail_is_in_the_persons_own_language_not_the_pages(client, bob):
    bob.language = "en"
    bob.save()
    client.post("/i18n/setlang/", {"language": "ko"})

    ask_for_reset(client, "bob@hanbit.example")

    [message] = mail.outbox
    assert message.subject == "Choose a new OpenMSP password"
    assert "Someone (hopefully you) asked" in message.body


def test_a_korean_speaker_gets_the_mail_in_korean(client, bob):
    client.post("/i18n/setlang/", {"language": "en"})

    ask_for_reset(client, "bob@hanbit.example")

    [message] = mail.outbox
    assert message.subject == "OpenMSP 새 비밀번호 설정"
