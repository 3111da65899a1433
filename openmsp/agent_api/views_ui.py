"""HTML pages for enrollment tokens, agents and the command runner (mounted under /assets/).

Reads go through openmsp.agent_api.queries (another client's token, agent or run is a 404) and
the read permissions there (tokens need agent.enroll; commands and their output need command.run
or audit.view). Writes go through openmsp.agent_api.actions. The command runner is a tab of the
host page (openmsp.assets.views.render_tab); a run's output fragment polls itself with htmx until
the run is finished.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.agent_api import actions
from openmsp.agent_api.models import CommandRun, EnrollmentToken
from openmsp.agent_api.queries import (
    agents_visible_to,
    command_runs_visible_to,
    enrollment_tokens_visible_to,
    may_read,
)
from openmsp.assets.forms import INTERPRETER_LIST, INTERPRETERS, CommandForm, EnrollmentTokenForm
from openmsp.assets.models import Asset
from openmsp.assets.views import agent_of, get_asset, render_tab
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.tenants.queries import clients_visible_to, sites_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, is_htmx, page, require_perm

GET_POST = require_http_methods(["GET", "POST"])
RECENT_RUNS = 10
# A run still waiting for its result: the output fragment keeps polling.
OPEN_STATUSES = frozenset({CommandRun.Status.QUEUED, CommandRun.Status.DELIVERED})


# --- Enrollment tokens --------------------------------------------------------------------------


def token_state(token: EnrollmentToken, now: dt.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= now:
        return "expired"
    if token.max_uses is not None and token.uses >= token.max_uses:
        return "used_up"
    return "active"


def install_commands(token_text: str) -> dict[str, str]:
    server = settings.SITE_URL
    return {
        "install": (
            f"pip install openmsp-agent && openmsp-agent install --server {server} "
            f"--token {token_text}"
        ),
        "run": (
            f"openmsp-agent run --server {server} --token {token_text} "
            "--state-dir ./openmsp-agent-state"
        ),
    }


@GET_POST
@page
def enrollment(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.AGENT_ENROLL)
    actor = actor_of(request)
    initial = {"expires_in_days": 7}
    chosen = request.GET.get("client", "")
    if chosen.isdigit():
        initial["client"] = int(chosen)
    form = EnrollmentTokenForm(
        request.POST or None,
        clients=clients_visible_to(actor),
        sites=sites_visible_to(actor),
        initial=initial,
    )
    created: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, text = actions.create_enrollment_token(
                actor=actor,
                client=data["client"],
                site=data["site"],
                name=data["name"],
                expires_at=timezone.now() + dt.timedelta(days=data["expires_in_days"]),
                max_uses=data["max_uses"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases={"expires_at": "expires_in_days"})
        else:
            created = {"token": token, "text": text, **install_commands(text)}
            form = EnrollmentTokenForm(
                clients=clients_visible_to(actor),
                sites=sites_visible_to(actor),
                initial=initial,
            )
    tokens = enrollment_tokens_visible_to(actor)
    page_obj = Paginator(tokens, 25).get_page(request.GET.get("page"))
    now = timezone.now()
    return render(
        request,
        "agent_api/enrollment.html",
        {
            "form": form,
            "created": created,
            "page_obj": page_obj,
            "tokens": [(t, token_state(t, now)) for t in page_obj.object_list],
            "server_url": settings.SITE_URL,
        },
        status=422 if form.errors else 200,
    )


@require_POST
@page
def enrollment_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    actor = actor_of(request)
    require_perm(request, Perm.AGENT_ENROLL)
    token = enrollment_tokens_visible_to(actor).filter(pk=token_id).first()
    if token is None:
        raise Http404
    actions.revoke_enrollment_token(actor=actor, token=token)
    messages.success(request, _("Enrollment token %(name)s revoked.") % {"name": str(token)})
    return redirect("enrollment")


# --- Agents -------------------------------------------------------------------------------------


@GET_POST
@page
def agent_revoke(request: HttpRequest, asset_id: int) -> HttpResponse:
    """GET: the confirmation page (the host page opens the same form in a dialog); POST: revoke."""
    asset = get_asset(request, asset_id)
    actor = actor_of(request)
    agent = agents_visible_to(actor).filter(asset=asset).first()
    if agent is None:
        raise Http404
    require_perm(request, Perm.AGENT_ENROLL)
    if request.method == "POST":
        actions.revoke_agent(actor=actor, agent=agent, reason="revoked from the host page")
        messages.success(
            request,
            _("The agent on “%(name)s” is revoked: it can no longer send data or run commands.")
            % {"name": asset.name},
        )
        return redirect("asset_detail", asset.pk)
    return render(
        request,
        "agent_api/agent_revoke.html",
        {"asset": asset, "agent": agent, "current_client": asset.client},
    )


# --- Commands -----------------------------------------------------------------------------------


def _require_command_reader(request: HttpRequest) -> None:
    # Scripts and their output may carry the MSP's secrets: other roles do not learn they exist.
    if not may_read(actor_of(request), "commands"):
        raise Http404


def _run(request: HttpRequest, asset: Asset, run_id: uuid.UUID | str) -> CommandRun:
    run = command_runs_visible_to(actor_of(request)).filter(asset=asset, pk=run_id).first()
    if run is None:
        raise Http404
    return run


def run_context(run: CommandRun) -> dict[str, Any]:
    done = run.status not in OPEN_STATUSES
    steps = [
        ("queued", _("Queued"), run.created_at),
        ("delivered", _("Delivered"), run.delivered_at),
        ("finished", _("Finished"), run.result_at),
    ]
    reached = 3 if done else (2 if run.delivered_at else 1)
    took = (
        (run.finished_at - run.started_at).total_seconds()
        if run.started_at and run.finished_at
        else None
    )
    return {
        "run": run,
        "run_done": done,
        "took": took,
        "steps": [
            (key, label, at, index < reached, index == reached - 1 and not done)
            for index, (key, label, at) in enumerate(steps)
        ],
    }


def _commands_tab(
    request: HttpRequest,
    asset: Asset,
    *,
    form: CommandForm | None = None,
    current: CommandRun | None = None,
    status: int = 200,
) -> HttpResponse:
    user: Any = request.user
    actor = actor_of(request)
    agent = agent_of(asset)
    runnable = agent is not None and not agent.is_revoked and not asset.is_retired
    can_run = user.has_perm_to(Perm.COMMAND_RUN) and runnable
    runs = list(
        command_runs_visible_to(actor)
        .filter(asset=asset)
        .defer("stdout", "stderr")
        .order_by("-created_at", "-pk")[:RECENT_RUNS]
    )
    if current is None and runs:
        current = _run(request, asset, runs[0].pk)
    context: dict[str, Any] = {
        "form": (form or CommandForm()) if can_run else None,
        "runnable": runnable,
        "runs": runs,
        "interpreters": INTERPRETERS,
        "interpreter_list": INTERPRETER_LIST,
    }
    if current is not None:
        context.update(run_context(current))
    return render_tab(request, asset, "commands", context, status=status)


@GET_POST
@page
def asset_commands(request: HttpRequest, asset_id: int) -> HttpResponse:
    asset = get_asset(request, asset_id)
    _require_command_reader(request)
    if request.method == "GET":
        chosen = request.GET.get("run")
        current = _run(request, asset, chosen) if chosen else None
        return _commands_tab(request, asset, current=current)
    require_perm(request, Perm.COMMAND_RUN)
    form = CommandForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            command = actions.run_command(
                actor=actor_of(request),
                assets=[asset],
                script=data["script"],
                interpreter=data["interpreter"],
                timeout=data["timeout"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases={"assets": "__all__"})
        else:
            run = (
                command_runs_visible_to(actor_of(request))
                .filter(command=command, asset=asset)
                .get()
            )
            if not is_htmx(request):
                url = reverse("asset_commands", args=[asset.pk])
                return redirect(f"{url}?run={run.pk}")
            return _commands_tab(request, asset, current=run)
    return _commands_tab(request, asset, form=form, status=422)


@require_GET
@page
def command_run_output(request: HttpRequest, asset_id: int, run_id: uuid.UUID) -> HttpResponse:
    """The run's progress and output; while it is open, the fragment asks for itself again."""
    asset = get_asset(request, asset_id)
    _require_command_reader(request)
    run = _run(request, asset, run_id)
    if not is_htmx(request):
        return _commands_tab(request, asset, current=run)
    context = {"asset": asset, "polled": True, **run_context(run)}
    return render(request, "agent_api/includes/command_run.html", context)
