"""`openmsp demo` leaves a sample report for every demo client, so a new user sees one at once."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command

from openmsp.reports.models import Qbr, Report

pytestmark = pytest.mark.django_db


def test_the_demo_command_generates_last_months_report_per_demo_client(monkeypatch: Any) -> None:
    monkeypatch.setenv("OPENMSP_DEMO_PASSWORD", "demo-password-for-tests")
    out = io.StringIO()
    call_command("demo", stdout=out)
    reports = list(Report.objects.select_related("client"))
    assert reports, out.getvalue()
    assert {r.client.code for r in reports} == {c.code for c in _clients()}
    assert all(r.pdf and r.summary for r in reports)
    assert "report " in out.getvalue()
    reviews = list(Qbr.objects.select_related("client"))
    assert {r.client.code for r in reviews} == {c.code for c in _clients()}
    assert all(r.agenda_items and r.figures["trends"]["months"] for r in reviews)
    call_command("demo", stdout=io.StringIO())  # again: nothing new
    assert Report.objects.count() == len(reports)
    assert Qbr.objects.count() == len(reviews)


def _clients() -> list[Any]:
    from openmsp.core.demo import CLIENTS

    return list(CLIENTS)
