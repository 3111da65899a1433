"""The navigation shows each person the areas their role can use, and nothing else."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from openmsp.web.nav import navigation


def _labels(user) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    return {str(item["url"]) for item in navigation(request)}


@pytest.mark.django_db
def test_auditors_see_users_and_the_audit_log_but_not_settings(auditor) -> None:
    urls = _labels(auditor)
    assert "/accounts/users/" in urls
    assert "/audit/" in urls
    assert "/accounts/settings/" not in urls


@pytest.mark.django_db
def test_client_users_see_neither_users_nor_the_audit_log(bob) -> None:
    urls = _labels(bob)
    assert "/accounts/users/" not in urls
    assert "/audit/" not in urls
