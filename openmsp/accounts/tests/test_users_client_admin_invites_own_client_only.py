from django.core import mail
from django.urls import reverse

from openmsp.accounts.models import User
from openmsp.accounts.tests.support import records


def invite(http, **fields):
    data = {
        "email": "dana@hanbit.example",
        "full_name": "Dana",
        "role": "client_user",
        "language": "ko",
    }
    return http.post(reverse("user_invite"), {**data, **fields})


def test_alice_invites_a_user_into_her_client_and_an_email_goes_out(web_as, alice, client_a):
    response = invite(web_as(alice), client=client_a.pk)

    dana = User.objects.get(email="dana@hanbit.example")
    assert response["Location"] == reverse("user_detail", args=[dana.pk])
    assert (dana.role, dana.client_id, dana.has_usable_password()) == (
        "client_user",
        client_a.pk,
        False,
    )
    assert mail.outbox[0].to == ["dana@hanbit.example"]
    assert records("user.invited")[-1].actor_id == alice.pk
    assert records("user.invitation_sent")[0].actor_id == alice.pk


def test_alice_cannot_invite_into_another_client(web_as, alice, client_b):
    response = invite(web_as(alice), client=client_b.pk)

    assert response.status_code == 422
    assert "client" in response.context["form"].errors
    assert not User.objects.filter(email="dana@hanbit.example").exists()


def test_alice_cannot_give_a_staff_role(web_as, alice, client_a):
    for role in ("technician", "msp_admin", "msp_owner", "auditor"):
        response = invite(web_as(alice), role=role, client=client_a.pk)

        assert response.status_code == 422, role
        assert "role" in response.context["form"].errors
    assert not User.objects.filter(email="dana@hanbit.example").exists()


def test_alice_is_offered_only_client_roles_and_her_client(web_as, alice, client_a, client_b):
    form = web_as(alice).get(reverse("user_invite")).context["form"]

    assert [value for value, _label in form.fields["role"].choices] == [
        "client_admin",
        "client_user",
    ]
    assert list(form.fields["client"].queryset) == [client_a]


def test_an_address_that_has_an_account_is_an_email_field_error(web_as, alice, client_a, bob):
    response = invite(web_as(alice), email="bob@hanbit.example", client=client_a.pk)

    assert response.status_code == 409
    assert "already has an account" in response.context["form"].errors["email"][0]


def test_bob_as_a_plain_client_user_cannot_invite_anyone(web_as, bob):
    assert web_as(bob).get(reverse("user_invite")).status_code == 403
    assert web_as(bob).get(reverse("user_list")).status_code == 403
