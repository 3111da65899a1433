"""Attacks refused, seen in a real browser: a guessed-at account locks, a client admin lifts the
lock-out from the person's page (in Korean), and the person signs in again."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from conftest import PASSWORD, make_user
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.models import AuditRecord
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def _password_step(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("#sign-in")


def test_a_locked_out_user_is_let_back_in_by_their_client_admin(
    live_server, browser_page, settings, alice, client_a
):
    settings.OPENMSP_LOCKOUT_THRESHOLD = 2
    page, base = browser_page, live_server.url
    bob = make_user("bob2@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")
    for _ in range(2):
        _password_step(page, base, bob.email, "not-his-password")
    expect(page.get_by_text("this account is locked")).to_be_visible()
    _password_step(page, base, bob.email, PASSWORD)
    expect(page.get_by_text("this account is locked")).to_be_visible()

    speaking(alice, "ko")
    _password_step(page, base, alice.email, PASSWORD)
    expect(page.locator("header.shell-header")).to_be_visible()
    page.goto(f"{base}/accounts/users/{bob.pk}/")
    page.get_by_role("button", name="로그인 잠금 해제").click()
    expect(page.locator("body")).to_contain_text("다시 로그인할 수 있습니다")
    assert not User.objects.get(pk=bob.pk).is_locked()
    assert AuditRecord.objects.filter(action="user.unlocked").count() == 1

    page.get_by_test_id("user-menu").click()
    page.locator("form[action$='/accounts/logout/'] button").first.click()
    _password_step(page, base, bob.email, PASSWORD)
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("header.shell-header")).to_be_visible()
