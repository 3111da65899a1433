"""The report pages: Alice (client A's admin) and Bob (A's user) see A's report and its PDF;
Charlie (client B) gets 404 for it and an archive without it; staff generate, and a month that
is not one is a 422 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.reports import actions
from openmsp.reports.models import Report
from openmsp.reports.tests.conftest import AFTER, MONTH, SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(seeded: dict[str, Any]) -> Report:
    return actions.generate(actor=SYSTEM, client=seeded["client"], month=MONTH, now=AFTER)


def test_the_clients_own_users_read_the_report_and_its_pdf(report, alice, bob, web_as) -> None:
    for user in (alice, bob):
        http = web_as(user)
        page = http.get(f"/reports/{report.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "월간 서비스 보고서" in html
        assert "99.660" in html
        assert 'id="trend-chart"' in html
        assert "report-charts" in html
        assert report.month in http.get("/reports/").content.decode()
        pdf = http.get(f"/reports/{report.pk}/pdf/")
        assert pdf.status_code == 200
        assert pdf["Content-Type"] == "application/pdf"
        assert bytes(pdf.content) == bytes(report.pdf)


def test_another_clients_user_gets_404_and_an_archive_without_it(report, charlie, web_as) -> None:
    http = web_as(charlie)
    assert http.get(f"/reports/{report.pk}/").status_code == 404
    assert http.get(f"/reports/{report.pk}/pdf/").status_code == 404
    assert f"/reports/{report.pk}/" not in http.get("/reports/").content.decode()


def test_staff_generate_a_month_and_a_bad_month_is_a_422_naming_it(
    seeded, msp_owner, alice, web_as
) -> None:
    http = web_as(msp_owner)
    client_id = seeded["client"].pk
    bad = http.post("/reports/generate/", {"client": client_id, "month": "2026-13"})
    assert bad.status_code == 422
    assert "2026-13" in bad.content.decode()
    assert "YYYY-MM" in bad.content.decode()
    ok = http.post("/reports/generate/", {"client": client_id, "month": "2026-10"})
    assert ok.status_code == 302
    assert Report.objects.filter(client_id=client_id, period_start=MONTH).exists()
    # A client's own admin reads reports but does not generate them.
    assert (
        web_as(alice)
        .post("/reports/generate/", {"client": client_id, "month": "2026-10"})
        .status_code
        == 403
    )
