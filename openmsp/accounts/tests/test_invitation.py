import pytest
from django.core import mail
from django.urls import reverse

from conftest import SYSTEM
from openmsp.accounts import actions
from openmsp.accounts.roles import Role
from openmsp.accounts.tests.support import last_mail_link, path_of, post_password, records
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied

PASSWORD_CHOSEN = "my-own-choice-2026"


@pytest.fixture
def invited(client_a):
    return actions.invite_user(
        actor=SYSTEM,
        email="dana@hanbit.example",
        role=Role.CLIENT_USER,
        client=client_a,
        language="en",
    )


def test_it_emails_a_set_your_password_link(invited, alice, settings):
    actions.send_invitation(actor=Actor(user=alice), user=invited)

    [message] = mail.outbox
    assert message.to == ["dana@hanbit.example"]
    assert last_mail_link().startswith(f"{settings.SITE_URL}/accounts/invitation/")


def test_the_link_sets_the_password_and_the_person_can_sign_in(client, invited, alice):
    actions.send_invitation(actor=Actor(user=alice), user=invited)
    page = client.get(path_of(last_mail_link()), follow=True)
    assert page.context["validlink"]
    assert "dana@hanbit.example" in page.content.decode()

    response = client.post(
        page.redirect_chain[-1][0],
        {"new_password1": PASSWORD_CHOSEN, "new_password2": PASSWORD_CHOSEN},
    )

    assert response["Location"] == reverse("login")
    assert post_password(client, "dana@hanbit.example", PASSWORD_CHOSEN).status_code == 302


def test_sending_is_audited(invited, alice):
    actions.send_invitation(actor=Actor(user=alice), user=invited)

    [rec] = records("user.invitation_sent")
    assert rec.actor_id == alice.pk
    assert rec.client_id == invited.client_id
    assert rec.category == "permission"


def test_an_invited_person_can_also_use_forgot_password(client, invited):
    client.post(reverse("password_reset"), {"email": "dana@hanbit.example"})

    assert len(mail.outbox) == 1


def test_someone_who_chose_a_password_is_not_invited_again(bob, alice):
    with pytest.raises(Conflict):
        actions.send_invitation(actor=Actor(user=alice), user=bob)


def test_a_client_admin_cannot_invite_into_another_client(charlie, invited):
    with pytest.raises(PermissionDenied):
        actions.send_invitation(actor=Actor(user=charlie), user=invited)


def test_a_mail_server_failure_is_a_clear_error(invited, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens on discard
    settings.EMAIL_TIMEOUT = 5

    with pytest.raises(actions.DeliveryFailed, match="OPENMSP_SMTP"):
        actions.send_invitation(actor=Actor(user=alice), user=invited)
    assert records("user.invitation_sent") == []
