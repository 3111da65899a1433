import pytest
from django.urls import reverse

from conftest import SYSTEM, make_user
from openmsp.accounts import actions
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied


def test_the_only_owner_cannot_demote_or_deactivate_themselves(web_as, msp_owner):
    response = web_as(msp_owner).post(
        reverse("user_role_edit", args=[msp_owner.pk]), {"role": "msp_admin"}
    )

    assert response.status_code == 403
    msp_owner.refresh_from_db()
    assert msp_owner.role == "msp_owner"
    assert msp_owner.is_active


def test_nobody_can_remove_the_last_active_owner(msp_owner):
    with pytest.raises(Conflict, match="last active MSP owner"):
        actions.change_role(actor=SYSTEM, user=msp_owner, changes={"role": "msp_admin"})
    msp_owner.refresh_from_db()
    with pytest.raises(Conflict, match="last active MSP owner"):
        actions.change_role(actor=SYSTEM, user=msp_owner, changes={"is_active": False})


def test_with_a_second_owner_one_owner_may_demote_the_other(web_as, msp_owner):
    second = make_user("second@msp.example", "msp_owner")

    response = web_as(msp_owner).post(
        reverse("user_role_edit", args=[second.pk]), {"role": "msp_admin", "is_active": "on"}
    )

    assert response.status_code == 302
    second.refresh_from_db()
    assert second.role == "msp_admin"


def test_an_msp_admin_cannot_demote_an_owner(msp_owner, msp_admin):
    make_user("second@msp.example", "msp_owner")

    with pytest.raises(PermissionDenied):
        actions.change_role(
            actor=Actor(user=msp_admin), user=msp_owner, changes={"role": "msp_admin"}
        )


def test_an_msp_admin_gets_403_on_the_owners_role_form(web_as, msp_owner, msp_admin):
    response = web_as(msp_admin).post(
        reverse("user_role_edit", args=[msp_owner.pk]), {"role": "msp_admin", "is_active": "on"}
    )

    assert response.status_code == 403
