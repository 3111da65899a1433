"""The shell: health check and dashboard frame that later capabilities fill."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from openmsp.web.actor import actor_of


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


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    from openmsp.tenants.queries import clients_visible_to

    actor = actor_of(request)
    clients = clients_visible_to(actor)
    return render(
        request,
        "web/dashboard.html",
        {"client_count": clients.count(), "clients": clients.order_by("name")[:12]},
    )
