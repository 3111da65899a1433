import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client as HttpClient

from openmsp.accounts.models import ApiToken
from openmsp.accounts.tests.support import TOKEN_PATTERN, records


def run(*args):
    out = io.StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue()


def test_create_prints_only_the_token_and_it_works(bob):
    out = run(
        "create",
        "--user",
        "BOB@hanbit.example",
        "--name",
        "nightly",
        "--read-only",
        "--expires",
        "7",
    )

    assert TOKEN_PATTERN.fullmatch(out.strip())
    token = ApiToken.objects.get()
    assert (token.user_id, token.name, token.read_only) == (bob.pk, "nightly", True)
    assert token.expires_at is not None
    api = HttpClient(headers={"Authorization": f"Bearer {out.strip()}"})
    assert api.get("/api/v1/clients").status_code == 200


def test_create_is_audited_as_the_cli(bob):
    run("create", "--user", "bob@hanbit.example")

    [rec] = records("token.created")
    assert rec.actor_label == "system:cli"
    assert rec.category == "permission"


def test_create_for_an_unknown_address_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No account has the email address"):
        run("create", "--user", "nobody@example.com")


def test_an_expiry_that_is_not_a_number_is_refused(bob):
    with pytest.raises(CommandError, match="not a whole number"):
        run("create", "--user", "bob@hanbit.example", "--expires", "soon")


def test_revoke_by_prefix(bob):
    secret = run("create", "--user", "bob@hanbit.example").strip()
    prefix = secret.split("_")[1]

    out = run("revoke", prefix)

    assert f"Token {prefix}" in out
    assert "revoked" in out
    assert ApiToken.objects.get().revoked_at is not None
    assert (
        HttpClient(headers={"Authorization": f"Bearer {secret}"}).get("/api/v1/clients").status_code
        == 401
    )


def test_revoke_an_unknown_prefix_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No token has the prefix"):
        run("revoke", "deadbeef")


def test_list_shows_tokens_but_never_secrets(bob, alice):
    bob_secret = run("create", "--user", "bob@hanbit.example", "--name", "bob-script").strip()
    run("create", "--user", "alice@hanbit.example", "--name", "alice-script")

    everything = run("list")
    only_bob = run("list", "--user", "bob@hanbit.example")

    assert "bob-script" in everything
    assert "alice-script" in everything
    assert "bob-script" in only_bob
    assert "alice-script" not in only_bob
    assert bob_secret not in everything
    assert bob_secret.split("_")[1] in only_bob
