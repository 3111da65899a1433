import datetime as dt

from django.urls import reverse

from conftest import PASSWORD
from openmsp.accounts.tests.support import add_device, code_for, post_password, wrong_code_for
from openmsp.core import audit
from openmsp.core.models import AuditRecord

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_a_whole_sign_in_story_leaves_an_unbroken_chain_with_the_right_categories(
    client, alice, time_machine
):
    time_machine.move_to(START, tick=False)
    post_password(client, "nobody@hanbit.example", "guess")
    post_password(client, "alice@hanbit.example", "guess")
    post_password(client, "alice@hanbit.example", PASSWORD)
    client.get(reverse("totp_setup"))
    device = alice.totpdevice_set.get()
    client.post(reverse("totp_setup"), {"otp_token": code_for(device)})
    client.post(reverse("logout"))
    time_machine.shift(dt.timedelta(minutes=1))
    post_password(client, "alice@hanbit.example", PASSWORD)
    client.post(reverse("login_otp"), {"otp_token": wrong_code_for(device)})
    time_machine.shift(dt.timedelta(seconds=5))
    client.post(reverse("login_otp"), {"otp_token": code_for(device)})

    since = AuditRecord.objects.filter(action="user.invited").order_by("-seq")[0].seq
    trail = [
        (r.action, r.category, r.actor_label)
        for r in AuditRecord.objects.filter(seq__gt=since).order_by("seq")
    ]
    me = "alice@hanbit.example"
    assert trail == [
        ("login.failed", "access", "system:web"),
        ("login.failed", "access", me),
        ("login.succeeded", "access", me),
        ("mfa.device_added", "permission", me),
        ("logout", "access", me),
        ("login.failed", "access", me),
        ("login.succeeded", "access", me),
    ]
    assert audit.verify().ok


def test_an_unused_device_is_not_a_second_factor(client, alice, time_machine):
    time_machine.move_to(START, tick=False)
    pending = add_device(alice, confirmed=False)

    response = post_password(client, "alice@hanbit.example", PASSWORD)

    assert response["Location"] == reverse("dashboard")
    assert code_for(pending)  # exists, but signing in never asked for it
