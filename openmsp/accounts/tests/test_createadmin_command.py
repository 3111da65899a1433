import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient
from django.urls import reverse

from openmsp.accounts.models import User
from openmsp.accounts.tests.support import records


def run(*args):
    out = io.StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def signs_in(email, password):
    response = HttpClient().post(reverse("login"), {"username": email, "password": password})
    return response.status_code == 302


def test_it_creates_an_msp_owner_with_the_given_password(db):
    out = run("--email", "Boss@MSP.example", "--password", "a-long-admin-secret-1")

    user = User.objects.get()
    assert (user.email, user.role) == ("boss@msp.example", "msp_owner")
    assert "Created the MSP owner boss@msp.example" in out
    assert "Password" not in out
    assert signs_in("boss@msp.example", "a-long-admin-secret-1")
    assert records("user.invited")[0].actor_label == "system:cli"


def test_without_a_password_it_generates_and_prints_one(db):
    out = run("--email", "boss@msp.example")

    password = out.split("Password: ", 1)[1].split()[0]
    assert len(password) >= 20
    assert signs_in("boss@msp.example", password)


def test_it_reads_the_environment(db, monkeypatch):
    monkeypatch.setenv("OPENMSP_ADMIN_EMAIL", "env@msp.example")
    monkeypatch.setenv("OPENMSP_ADMIN_PASSWORD", "from-the-environment-9")

    run()

    assert signs_in("env@msp.example", "from-the-environment-9")


def test_a_second_run_changes_nothing(db):
    run("--email", "boss@msp.example", "--password", "a-long-admin-secret-1")
    before = User.objects.get().password

    out = run("--email", "BOSS@msp.example", "--password", "another-password-22")

    assert "already exists; nothing changed" in out
    assert User.objects.get().password == before
    assert len(records("user.invited")) == 1


def test_a_weak_password_is_refused_with_the_reason(db):
    with pytest.raises(CommandError, match="10"):  # the minimum length, in any language
        run("--email", "boss@msp.example", "--password", "short")
    assert not User.objects.exists()


def test_no_email_is_a_clear_error(db, monkeypatch):
    monkeypatch.delenv("OPENMSP_ADMIN_EMAIL", raising=False)

    with pytest.raises(CommandError, match="--email or OPENMSP_ADMIN_EMAIL"):
        run()
