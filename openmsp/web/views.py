"""The shell: health check, dashboard frame that later capabilities fill, language switch."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language

from openmsp.web.actor import actor_of
from openmsp.web.dashboard import cards_for
from openmsp.web.pages import page


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 once the database answers and every migration is applied; 503 otherwise."""
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return JsonResponse({"status": "error", "detail": f"database: {exc}"}, status=503)
    if pending:
        return JsonResponse(
            {"status": "migrating", "detail": f"{len(pending)} migrations not applied"}, status=503
        )
    return JsonResponse({"status": "ok"})


@require_GET
@page
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/dashboard.html", {"cards": cards_for(request, actor_of(request))})


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Django's set_language (cookie + redirect back), and for a signed-in user their profile
    language too: the session middleware applies the profile's language on every request."""
    response = set_language(request)
    user: Any = request.user
    language = request.POST.get("language", "")
    if user.is_authenticated and language in ("ko", "en") and language != user.language:
        from openmsp.accounts.actions import update_profile

        update_profile(actor=actor_of(request), user=user, changes={"language": language})
    return response
