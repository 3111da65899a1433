import pytest
from django.urls import reverse

from openmsp.accounts.models import SecurityPolicy
from openmsp.accounts.tests.support import records
from openmsp.web.testing import compiled_translations  # noqa: F401


def test_the_owner_requires_two_factor_for_staff(web_as, msp_owner):
    http = web_as(msp_owner)

    response = http.post(reverse("settings"), {"mfa_required_for_staff": "on"})

    assert response["Location"] == reverse("settings")
    assert SecurityPolicy.current().mfa_required_for_staff
    [rec] = records("security_policy.updated")
    assert rec.category == "permission"
    assert rec.before == {"mfa_required_for_staff": False}
    assert rec.after == {"mfa_required_for_staff": True}


def test_the_page_shows_the_server_side_settings(web_as, msp_owner, settings):
    settings.OPENMSP_LOCKOUT_THRESHOLD = 7

    page = web_as(msp_owner).get(reverse("settings")).content.decode()

    assert "OPENMSP_LOCKOUT_THRESHOLD" in page
    assert "<td>7</td>" in page


def test_the_page_shows_audit_retention_and_the_installation(web_as, msp_owner, settings):
    settings.OPENMSP_AUDIT_RETENTION_DAYS = 1825

    page = web_as(msp_owner).get(reverse("settings")).content.decode()
    table = page.split('id="server-settings"', 1)[1].split("</table>", 1)[0]

    assert "<td>1825</td><td><code>OPENMSP_AUDIT_RETENTION_DAYS</code>" in table
    assert "<td>1095</td><td><code>OPENMSP_AUDIT_PERMISSION_RETENTION_DAYS</code>" in table
    assert "OPENMSP_SITE_URL" in table
    assert settings.SITE_URL in table
    engine = "PostgreSQL" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "SQLite"
    assert f"<td>{engine}</td>" in table


def test_only_the_owner_may_open_it(web_as, msp_admin, alice, auditor):
    for person in (msp_admin, alice, auditor):
        assert web_as(person).get(reverse("settings")).status_code == 403
        assert (
            web_as(person).post(reverse("settings"), {"mfa_required_for_staff": "on"}).status_code
            == 403
        )
    assert not SecurityPolicy.current().mfa_required_for_staff


def test_saving_the_same_value_writes_no_record(web_as, msp_owner):
    web_as(msp_owner).post(reverse("settings"), {})

    assert records("security_policy.updated") == []


@pytest.mark.usefixtures("compiled_translations")
def test_the_owner_reads_the_retention_rows_in_korean(web_as, msp_owner):
    msp_owner.language = "ko"
    msp_owner.save()

    page = web_as(msp_owner).get(reverse("settings")).content.decode()

    assert "감사 로그 및 설치 정보" in page
    assert "감사 기록 보관 기간(일, 개인정보 보호법: 730일 이상)" in page
