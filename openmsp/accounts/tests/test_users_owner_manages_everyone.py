from django.urls import reverse

from openmsp.accounts.models import User
from openmsp.accounts.tests.support import records


def test_the_owner_is_offered_every_role(web_as, msp_owner):
    form = web_as(msp_owner).get(reverse("user_invite")).context["form"]

    assert len(form.fields["role"].choices) == 6


def test_the_owner_invites_a_technician_limited_to_client_b(web_as, msp_owner, client_a, client_b):
    response = web_as(msp_owner).post(
        reverse("user_invite"),
        {
            "email": "new-tech@msp.example",
            "role": "technician",
            "assigned_clients": [client_b.pk],
            "language": "en",
        },
    )

    tech = User.objects.get(email="new-tech@msp.example")
    assert response.status_code == 302
    assert tech.all_clients is False
    assert list(tech.assigned_clients.all()) == [client_b]
    assert tech.client_id is None


def test_the_owner_promotes_bob_to_client_admin_and_it_is_a_permission_record(
    web_as, msp_owner, bob, client_a
):
    response = web_as(msp_owner).post(
        reverse("user_role_edit", args=[bob.pk]),
        {"role": "client_admin", "client": client_a.pk, "is_active": "on"},
    )

    assert response["Location"] == reverse("user_detail", args=[bob.pk])
    bob.refresh_from_db()
    assert bob.role == "client_admin"
    [rec] = records("user.role_changed")
    assert rec.category == "permission"
    assert (rec.before or {})["role"] == "client_user"
    assert (rec.after or {})["role"] == "client_admin"


def test_the_owner_deactivates_someone(web_as, msp_owner, tech_b, client_b):
    web_as(msp_owner).post(
        reverse("user_role_edit", args=[tech_b.pk]),
        {"role": "technician", "assigned_clients": [client_b.pk]},
    )

    tech_b.refresh_from_db()
    assert tech_b.is_active is False


def test_a_client_role_without_a_client_is_a_field_error(web_as, msp_owner, msp_admin):
    response = web_as(msp_owner).post(
        reverse("user_role_edit", args=[msp_admin.pk]), {"role": "client_user", "is_active": "on"}
    )

    assert response.status_code == 422
    assert "client" in response.context["role_form"].errors


def test_the_owner_resends_an_invitation(web_as, msp_owner, client_a, mailoutbox):
    http = web_as(msp_owner)
    http.post(
        reverse("user_invite"),
        {
            "email": "dana@hanbit.example",
            "role": "client_user",
            "client": client_a.pk,
            "language": "ko",
        },
    )
    dana = User.objects.get(email="dana@hanbit.example")

    http.post(reverse("user_invitation_send", args=[dana.pk]))

    assert len(mailoutbox) == 2
    assert len(records("user.invitation_sent")) == 2
