from django.urls import reverse

from openmsp.accounts.tests.support import records


def test_the_auditor_lists_everyone(web_as, auditor, alice, charlie, msp_owner):
    page = web_as(auditor).get(reverse("user_list")).content.decode()

    for email in ("alice@hanbit.example", "charlie@saebom.example", "owner@msp.example"):
        assert email in page
    assert reverse("user_invite") not in page


def test_the_auditor_sees_a_person_without_edit_forms(web_as, auditor, bob):
    response = web_as(auditor).get(reverse("user_detail", args=[bob.pk]))

    assert response.status_code == 200
    assert not response.context["can_edit"]
    assert reverse("user_role_edit", args=[bob.pk]) not in response.content.decode()


def test_the_auditor_cannot_change_anyone(web_as, auditor, bob):
    http = web_as(auditor)

    role = http.post(reverse("user_role_edit", args=[bob.pk]), {"role": "client_admin"})
    profile = http.post(
        reverse("user_profile_edit", args=[bob.pk]),
        {"full_name": "X", "language": "ko", "time_zone": "Asia/Seoul"},
    )

    assert (role.status_code, profile.status_code) == (403, 403)
    assert http.get(reverse("user_invite")).status_code == 403
    bob.refresh_from_db()
    assert (bob.role, bob.full_name) == ("client_user", "Bob")
    assert records("user.role_changed") == []
