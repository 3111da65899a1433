"""The command runner on the host page: who sees it, running a script, the output fragment that
polls until the agent's result is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from openmsp.accounts import actions as account_actions
from openmsp.accounts.roles import Role
from openmsp.agent_api import actions as agent_actions
from openmsp.agent_api.agent_actions import claim_runs, record_result
from openmsp.agent_api.models import CommandRun
from openmsp.agent_api.schemas import CommandResultIn
from openmsp.assets import actions
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.web.testing import compiled_translations, hx, speaking  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_translations")]
SYSTEM = Actor.system("test")


@pytest.fixture
def tech(db):
    return account_actions.invite_user(
        actor=SYSTEM,
        email="tech@msp.example",
        role=Role.TECHNICIAN,
        password="correct-horse-battery-42",
        full_name="Tina Tech",
    )


@pytest.fixture
def host(agent_a) -> Asset:
    agent_a.batch()
    return Asset.objects.get(pk=agent_a.agent.asset_id)


def _run(http, host, script: str = "uname -a", **extra):
    return http.post(
        reverse("asset_commands", args=[host.pk]),
        {"script": script, "interpreter": "/bin/sh", "timeout": "60", **extra},
        headers=hx(),
    )


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("persona", ["msp_owner", "tech"])
def test_the_commands_tab_shows_the_runner_to_staff_who_may_run_commands(
    request, web_as, host, language, persona
):
    user = speaking(request.getfixturevalue(persona), language)
    text = web_as(user).get(reverse("asset_commands", args=[host.pk])).content.decode()
    assert f'<html lang="{language}"' in text
    assert 'id="command-form"' in text
    assert ("실행" if language == "ko" else "Run") in text


def test_client_users_have_no_commands_tab_and_get_404_for_it(web_as, alice, bob, host):
    for user in (alice, bob):
        http = web_as(user)
        page = http.get(reverse("asset_detail", args=[host.pk])).content.decode()
        assert reverse("asset_commands", args=[host.pk]) not in page
        assert 'id="command-form"' not in page
        assert http.get(reverse("asset_commands", args=[host.pk])).status_code == 404
        assert _run(http, host).status_code == 404
    assert not CommandRun.objects.exists()


def test_an_auditor_reads_past_runs_but_has_no_runner(web_as, auditor, tech, host):
    _run(web_as(tech), host)
    text = web_as(auditor).get(reverse("asset_commands", args=[host.pk])).content.decode()
    assert 'id="run-table"' in text
    assert 'id="command-form"' not in text
    assert _run(web_as(auditor), host).status_code == 403


def test_running_a_script_queues_a_signed_run_and_shows_its_progress(web_as, tech, host):
    response = _run(web_as(speaking(tech, "en")), host)
    run = CommandRun.objects.select_related("command").get()
    text = response.content.decode()
    assert response.status_code == 200
    assert run.asset_id == host.pk
    assert run.command.script == "uname -a"
    assert run.signature
    assert f'data-run="{run.pk}"' in text
    assert 'data-status="queued"' in text
    assert 'hx-trigger="every 1s"' in text  # keeps polling until finished
    assert 'aria-current="step"' in text


def test_the_output_fragment_shows_the_result_once_the_agent_recorded_it(
    web_as, tech, host, agent_a
):
    http = web_as(speaking(tech, "en"))
    _run(http, host)
    run = CommandRun.objects.get()
    url = reverse("command_run_output", args=[host.pk, run.pk])
    [payload] = claim_runs(agent_a.agent)
    assert payload["id"] == str(run.pk)
    delivered = http.get(url, headers=hx()).content.decode()
    assert 'data-status="delivered"' in delivered
    assert 'hx-trigger="every 1s"' in delivered
    now = timezone.now()
    record_result(
        agent_a.agent,
        run.pk,
        CommandResultIn(
            exit_code=0,
            stdout="Linux a-web-01 6.1.0-18-amd64 x86_64 GNU/Linux\n",
            started_at=now - dt.timedelta(seconds=1),
            finished_at=now,
        ),
    )
    done = http.get(url, headers=hx()).content.decode()
    assert 'data-status="succeeded"' in done
    assert "Linux a-web-01" in done
    assert "exit code 0" in done
    assert "hx-trigger" not in done  # finished: polling stops
    assert f'id="run-status-{run.pk}" hx-swap-oob="true"' in done  # the runs table follows
    whole = http.get(url).content.decode()  # without htmx: the commands tab with that run
    assert "<html" in whole
    assert "Linux a-web-01" in whole


def test_a_failed_run_shows_stderr(web_as, tech, host, agent_a):
    http = web_as(speaking(tech, "en"))
    _run(http, host, "false")
    run = CommandRun.objects.get()
    claim_runs(agent_a.agent)
    record_result(agent_a.agent, run.pk, CommandResultIn(exit_code=2, stderr="no such file"))
    text = http.get(reverse("command_run_output", args=[host.pk, run.pk]), headers=hx())
    text = text.content.decode()
    assert 'data-status="failed"' in text
    assert "no such file" in text


def test_an_empty_script_or_a_bad_interpreter_is_refused_next_to_the_field_in_korean(
    web_as, tech, host
):
    http = web_as(speaking(tech, "ko"))
    empty = _run(http, host, "   ")
    assert empty.status_code == 422
    assert 'id="id_script_error"' in empty.content.decode()
    assert "스크립트가 비어 있습니다." in empty.content.decode()
    bad = _run(http, host, interpreter="sh; rm -rf /")
    assert bad.status_code == 422
    assert 'id="id_interpreter_error"' in bad.content.decode()
    assert not CommandRun.objects.exists()


def test_without_htmx_running_redirects_to_the_tab_with_the_run(web_as, tech, host):
    http = web_as(tech)
    response = http.post(
        reverse("asset_commands", args=[host.pk]),
        {"script": "uptime", "interpreter": "/bin/sh", "timeout": "30"},
    )
    run = CommandRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('asset_commands', args=[host.pk])}?run={run.pk}"
    assert f'data-run="{run.pk}"' in http.get(response["Location"]).content.decode()


def test_a_manual_asset_or_a_revoked_agent_offers_no_runner(web_as, tech, client_a, host):
    manual = actions.create_asset(actor=SYSTEM, client=client_a, name="printer")
    http = web_as(speaking(tech, "en"))
    text = http.get(reverse("asset_commands", args=[manual.pk])).content.decode()
    assert 'id="command-form"' not in text
    assert "Commands need an agent" in text
    agent_actions.revoke_agent(actor=SYSTEM, agent=host.agent)
    text = http.get(reverse("asset_commands", args=[host.pk])).content.decode()
    assert 'id="command-form"' not in text


def test_outsiders_get_404_for_a_run_of_client_as_host(web_as, tech, charlie, tech_b, host):
    _run(web_as(tech), host)
    run = CommandRun.objects.get()
    url = reverse("command_run_output", args=[host.pk, run.pk])
    for user in (charlie, tech_b):
        assert web_as(user).get(url, headers=hx()).status_code == 404
        assert _run(web_as(user), host).status_code == 404
