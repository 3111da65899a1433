"""The shell around every page: navigation, user menu, language switch, dashboard, error pages."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from openmsp.accounts.models import User
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]


def test_the_dashboard_shows_staff_their_client_cards_in_korean_and_english(
    msp_owner, client_a, client_b, web_as
):
    korean = web_as(speaking(msp_owner, "ko")).get(reverse("dashboard")).content.decode()
    assert "대시보드" in korean
    assert "Hanbit Logistics" in korean
    english = web_as(speaking(msp_owner, "en")).get(reverse("dashboard")).content.decode()
    assert "Your clients" in english
    assert "New client" in english


def test_a_client_user_sees_their_company_card_and_no_other_client(bob, client_a, client_b, web_as):
    text = web_as(speaking(bob, "en")).get(reverse("dashboard")).content.decode()
    assert "Your company" in text
    assert "Hanbit Logistics" in text
    assert "Saebom Pharma" not in text
    assert 'class="client-switcher"' not in text  # the switcher is for MSP staff


def test_the_navigation_shows_only_what_the_role_may_use(msp_owner, auditor, bob, web_as):
    owner = web_as(speaking(msp_owner, "en")).get(reverse("dashboard")).content.decode()
    assert reverse("audit_list") in owner
    assert reverse("calendar_list") in owner
    client_user = web_as(speaking(bob, "en")).get(reverse("dashboard")).content.decode()
    assert reverse("audit_list") not in client_user
    assert reverse("calendar_list") not in client_user
    assert reverse("client_list") in client_user


def test_the_user_menu_offers_profile_language_and_a_sign_out_form(msp_owner, web_as):
    text = web_as(speaking(msp_owner, "en")).get(reverse("dashboard")).content.decode()
    assert reverse("profile") in text
    assert f'action="{reverse("switch_language")}"' in text
    assert f'method="post" action="{reverse("logout")}"' in text


def test_switching_the_language_changes_the_profile_and_returns_to_the_page(
    msp_owner, client_a, web_as
):
    http = web_as(speaking(msp_owner, "ko"))
    page = reverse("client_detail", args=[client_a.pk])
    response = http.post(reverse("switch_language"), {"language": "en", "next": page})
    assert response.status_code == 302
    assert response["Location"] == page
    assert User.objects.get(pk=msp_owner.pk).language == "en"
    assert "Overview" in http.get(page).content.decode()


def test_an_unknown_language_changes_nothing(msp_owner, web_as):
    web_as(speaking(msp_owner, "ko")).post(
        reverse("switch_language"), {"language": "xx", "next": "/"}
    )
    assert User.objects.get(pk=msp_owner.pk).language == "ko"


def test_signed_out_visitors_can_switch_the_language_too(client):
    response = client.post(
        reverse("switch_language"), {"language": "en", "next": "/accounts/login/"}
    )
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_the_404_page_is_the_shell_with_a_sentence_in_the_viewers_language(msp_owner, web_as):
    korean = web_as(speaking(msp_owner, "ko")).get("/clients/999999/")
    assert korean.status_code == 404
    assert "찾을 수 없습니다" in korean.content.decode()
    english = web_as(speaking(msp_owner, "en")).get("/clients/999999/")
    assert "This page does not exist, or you do not have access to it." in english.content.decode()


def test_pages_carry_no_inline_script_or_style(msp_owner, client_a, web_as):
    text = web_as(msp_owner).get(reverse("client_detail", args=[client_a.pk])).content.decode()
    assert "<script>" not in text
    assert "<style" not in text
    assert " style=" not in text
    assert 'src="/static/vendor/htmx.min.js"' in text
    assert 'href="/static/vendor/pico.min.css"' in text


def test_compiletranslations_writes_a_mo_file_for_every_po_file(tmp_path, settings):
    messages = tmp_path / "ko" / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Clients"\nmsgstr "고객사"\n\n#, fuzzy\nmsgid "Sites"\nmsgstr "사이트?"\n',
        encoding="utf-8",
    )
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compiletranslations", stdout=io.StringIO())
    import gettext

    with (messages / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    assert catalog.gettext("Clients") == "고객사"
    assert catalog.gettext("Sites") == "Sites"  # fuzzy entries are left out


def test_the_korean_catalogue_has_no_untranslated_or_fuzzy_entries():
    import polib

    from openmsp.web.management.commands.compiletranslations import LOCALE_DIR

    catalog = polib.pofile(str(LOCALE_DIR / "ko" / "LC_MESSAGES" / "django.po"))
    assert catalog.untranslated_entries() == []
    assert catalog.fuzzy_entries() == []
    assert not catalog.metadata_is_fuzzy


def test_healthz_answers_ok_once_migrated(client):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
