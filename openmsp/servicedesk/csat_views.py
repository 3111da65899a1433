"""Customer satisfaction in the UI: the public one-click answer pages (/csat/<token>/good|bad,
no login: the token is the credential), the staff results page with its chart, and the
per-client settings form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core.errors import OpenMSPError, ValidationFailed
from openmsp.servicedesk import csat
from openmsp.tenants.queries import clients_visible_to, get_visible
from openmsp.web.actor import actor_of
from openmsp.web.pages import page, require_perm

TOKEN_MAX = 100


def _gone(request: HttpRequest) -> HttpResponse:
    return render(request, "servicedesk/csat_answer.html", {"gone": True}, status=410)


@require_GET
def csat_answer(request: HttpRequest, token: str, rating: str) -> HttpResponse:
    """One click records the answer; the page then offers an optional comment."""
    if rating not in ("good", "bad"):
        raise Http404("No such answer.")
    if len(token) > TOKEN_MAX:
        return _gone(request)
    try:
        survey = csat.answer(token=token, rating=rating)
    except csat.SurveyGone:
        return _gone(request)
    return render(request, "servicedesk/csat_answer.html", {"survey": survey, "token": token})


@require_POST
def csat_comment(request: HttpRequest, token: str) -> HttpResponse:
    if len(token) > TOKEN_MAX:
        return _gone(request)
    try:
        csat.add_comment(token=token, comment=request.POST.get("comment", ""))
    except csat.SurveyGone:
        return _gone(request)
    except ValidationFailed as exc:
        survey = csat.survey_by_token(token)
        context = {"survey": survey, "token": token, "error": _(exc.message)}
        return render(request, "servicedesk/csat_answer.html", context, status=422)
    return render(request, "servicedesk/csat_answer.html", {"thanks": True})


def _staff(request: HttpRequest) -> None:
    if not getattr(request.user, "is_msp_staff", False):
        raise Http404("No such page.")


@require_GET
@page
def csat_results(request: HttpRequest) -> HttpResponse:
    _staff(request)
    actor = actor_of(request)
    raw = request.GET.get("client", "")
    cid = int(raw) if raw.isdigit() and len(raw) < 12 else None
    since = timezone.localdate() - dt.timedelta(days=365)
    r = csat.results(actor, client_id=cid, since=since)
    chart = {
        "labels": [w["week"] for w in r.weeks],
        "good": [w["good"] for w in r.weeks],
        "bad": [w["bad"] for w in r.weeks],
        "score": [w["score"] for w in r.weeks],
    }
    context: dict[str, Any] = {
        "results": r, "chart": chart, "client_id": cid,
        "clients": clients_visible_to(actor).only("pk", "name").order_by("name"),
    }  # fmt: skip
    return render(request, "servicedesk/csat_results.html", context)


@require_http_methods(["GET", "POST"])
@page
def csat_settings(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_visible(actor, clients_visible_to(actor), field="pk", pk=client_id)
    _staff(request)
    setting = csat.setting_of(client)
    error = ""
    if request.method == "POST":
        require_perm(request, Perm.WORK)
        try:
            percent = int(request.POST.get("sample_percent", ""))
            delay = int(request.POST.get("delay_minutes", ""))
        except ValueError:
            error = _("Sampling and delay are whole numbers.")
        else:
            try:
                csat.update_setting(
                    actor=actor, client=client, enabled=request.POST.get("enabled") == "1",
                    sample_percent=percent, delay_minutes=delay,
                )  # fmt: skip
            except OpenMSPError as exc:
                error = _(exc.message)
            else:
                messages.success(request, _("Survey settings saved."))
                return redirect("csat_settings", client.pk)
    context = {"client": client, "current_client": client, "setting": setting, "error": error}
    return render(request, "servicedesk/csat_settings.html", context, status=422 if error else 200)
