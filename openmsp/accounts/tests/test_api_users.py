"""People over the API: who sees whom, invitations, profile and role changes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.accounts import actions
from openmsp.accounts.models import User
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord

SYSTEM = Actor.system("test")
JSON = "application/json"
SECRET_WORDS = ("password", "token_hash", "failed_login_count", "locked_until")


def emails(response):
    assert response.status_code == 200, response.content
    return [u["email"] for u in response.json()["items"]]


def test_the_msp_owner_lists_everyone_without_secrets(msp_owner, alice, bob, charlie, api_as):
    response = api_as(msp_owner).get("/api/v1/users")
    assert emails(response) == [
        "alice@hanbit.example",
        "bob@hanbit.example",
        "charlie@saebom.example",
        "owner@msp.example",
    ]
    for word in SECRET_WORDS:
        assert word not in response.content.decode()


def test_a_client_admin_sees_her_clients_users_only(alice, bob, charlie, msp_owner, api_as):
    assert emails(api_as(alice).get("/api/v1/users")) == [
        "alice@hanbit.example",
        "bob@hanbit.example",
    ]


def test_a_client_user_sees_only_himself(alice, bob, api_as):
    http = api_as(bob)
    assert emails(http.get("/api/v1/users")) == ["bob@hanbit.example"]
    assert http.get(f"/api/v1/users/{alice.pk}").status_code == 404


def test_users_are_filtered_by_role_client_and_text(
    msp_owner, alice, bob, charlie, client_a, api_as
):
    http = api_as(msp_owner)
    assert emails(http.get("/api/v1/users?role=client_admin")) == [
        "alice@hanbit.example",
        "charlie@saebom.example",
    ]
    assert emails(http.get(f"/api/v1/users?client_id={client_a.pk}&ordering=-email")) == [
        "bob@hanbit.example",
        "alice@hanbit.example",
    ]
    assert emails(http.get("/api/v1/users?q=olivia")) == ["owner@msp.example"]
    assert http.get("/api/v1/users?role=king").status_code == 422


def test_me_is_the_caller(bob, api_as):
    body = api_as(bob).get("/api/v1/me").json()
    assert body["email"] == "bob@hanbit.example"
    assert body["role"] == "client_user"
    assert "password" not in body


def test_the_msp_owner_invites_a_technician_limited_to_one_client(
    msp_owner, client_a, client_b, api_as
):
    response = api_as(msp_owner).post(
        "/api/v1/users",
        {
            "email": "Tech.A@MSP.example",
            "role": "technician",
            "full_name": "Tae",
            "all_clients": False,
            "assigned_client_ids": [client_a.pk],
        },
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["email"] == "tech.a@msp.example"
    assert body["assigned_client_ids"] == [client_a.pk]
    assert body["all_clients"] is False
    user = User.objects.get(pk=body["id"])
    assert not user.has_usable_password()
    record = AuditRecord.objects.get(action="user.invited", object_id=str(user.pk))
    assert record.category == "permission"


def test_a_client_admin_invites_a_colleague_to_her_own_client(alice, client_a, api_as):
    response = api_as(alice).post(
        "/api/v1/users",
        {"email": "dana@hanbit.example", "role": "client_user", "client_id": client_a.pk},
        content_type=JSON,
    )
    assert response.status_code == 201, response.content
    assert response.json()["client_id"] == client_a.pk


def test_a_client_admin_cannot_invite_into_another_client(alice, client_b, api_as):
    response = api_as(alice).post(
        "/api/v1/users",
        {"email": "eve@saebom.example", "role": "client_user", "client_id": client_b.pk},
        content_type=JSON,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "client_id"
    assert not User.objects.filter(email="eve@saebom.example").exists()


@pytest.mark.parametrize("role", ["msp_owner", "msp_admin", "technician", "auditor"])
def test_a_client_admin_cannot_hand_out_staff_roles(alice, role, api_as):
    response = api_as(alice).post(
        "/api/v1/users", {"email": "x@hanbit.example", "role": role}, content_type=JSON
    )
    assert response.status_code == 403


def test_an_email_that_already_has_an_account_is_a_conflict(msp_owner, alice, client_a, api_as):
    response = api_as(msp_owner).post(
        "/api/v1/users",
        {"email": "ALICE@hanbit.example", "role": "client_user", "client_id": client_a.pk},
        content_type=JSON,
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not an address", "role": "auditor"}, "email"),
        ({"email": "x@msp.example", "role": "emperor"}, "role"),
        ({"email": "x@msp.example", "role": "client_user"}, "client_id"),
        ({"email": "x@msp.example", "role": "auditor", "password": "hunter2hunter2"}, "password"),
        (
            {"email": "x@msp.example", "role": "technician", "assigned_client_ids": [987654]},
            "assigned_client_ids",
        ),
    ],
)
def test_an_invalid_invitation_is_refused_naming_the_field(msp_owner, body, field, api_as):
    response = api_as(msp_owner).post("/api/v1/users", body, content_type=JSON)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_a_person_changes_their_own_profile(bob, api_as):
    response = api_as(bob).patch(
        f"/api/v1/users/{bob.pk}",
        {"full_name": "Bob Kim", "language": "en", "time_zone": "Europe/Berlin"},
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["full_name"] == "Bob Kim"
    assert response.json()["time_zone"] == "Europe/Berlin"
    assert AuditRecord.objects.filter(action="user.updated", object_id=str(bob.pk)).exists()


def test_an_unknown_time_zone_is_refused_naming_it(bob, api_as):
    response = api_as(bob).patch(
        f"/api/v1/users/{bob.pk}", {"time_zone": "Moon/Base"}, content_type=JSON
    )
    assert response.status_code == 422
    assert response.json()["field"] == "time_zone"


def test_nobody_changes_their_own_role(bob, msp_owner, api_as):
    for user in (bob, msp_owner):
        response = api_as(user).patch(
            f"/api/v1/users/{user.pk}", {"role": "msp_owner"}, content_type=JSON
        )
        assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.role == Role.CLIENT_USER


def test_a_client_admin_deactivates_a_colleague_as_an_audited_permission_change(alice, bob, api_as):
    response = api_as(alice).patch(
        f"/api/v1/users/{bob.pk}", {"is_active": False}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    record = AuditRecord.objects.get(action="user.role_changed", object_id=str(bob.pk))
    assert record.category == "permission"
    assert record.before is not None
    assert record.after is not None
    assert record.before["is_active"] is True
    assert record.after["is_active"] is False


def test_profile_and_role_changes_in_one_patch_are_all_or_nothing(alice, bob, api_as):
    response = api_as(alice).patch(
        f"/api/v1/users/{bob.pk}", {"full_name": "Renamed", "role": "msp_owner"}, content_type=JSON
    )
    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.full_name == "Bob"


def test_the_msp_owner_limits_a_technician_to_other_clients(
    msp_owner, tech_b, client_a, client_b, api_as
):
    response = api_as(msp_owner).patch(
        f"/api/v1/users/{tech_b.pk}", {"assigned_client_ids": [client_a.pk]}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    assert response.json()["assigned_client_ids"] == [client_a.pk]


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_users(request, outsider, bob, api_as):
    http = api_as(request.getfixturevalue(outsider))
    assert http.get(f"/api/v1/users/{bob.pk}").status_code == 404
    response = http.patch(f"/api/v1/users/{bob.pk}", {"full_name": "x"}, content_type=JSON)
    assert response.status_code == 404


def test_a_read_only_token_may_not_change_even_its_owners_profile(bob, api_as):
    response = api_as(bob, read_only=True).patch(
        f"/api/v1/users/{bob.pk}", {"full_name": "x"}, content_type=JSON
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "This API token is read-only."


def test_the_user_list_runs_the_same_number_of_queries_for_1_and_20_people(
    msp_owner, client_a, client_b, api_as
):
    def add(n: int) -> None:
        user = actions.invite_user(
            actor=SYSTEM, email=f"t{n}@msp.example", role=Role.TECHNICIAN,
            all_clients=False, assigned_clients=[client_a, client_b],
        )  # fmt: skip
        assert user.pk

    http = api_as(msp_owner)
    url = "/api/v1/users?role=technician"
    add(0)
    http.get(url)
    with CaptureQueriesContext(connection) as one:
        assert http.get(url).json()["count"] == 1
    for n in range(1, 20):
        add(n)
    with CaptureQueriesContext(connection) as twenty:
        assert http.get(url).json()["count"] == 20
    assert len(twenty) == len(one)
