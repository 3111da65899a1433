"""Commands: queued per asset, signed so agents can verify them, delivered once, results stored."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from openmsp.agent_api import actions
from openmsp.agent_api.models import Command, CommandRun
from openmsp.agent_api.tests.agents import SYSTEM, SignedAgent, iso
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.core.models import AuditRecord

pytestmark = pytest.mark.django_db

PROTOCOL_FIELDS = {
    "id", "kind", "script", "interpreter", "timeout_seconds", "run_as", "not_after", "agent_id", "signature",
}  # fmt: skip


def _run(*agents: SignedAgent, script: str = "uname -a", **kwargs) -> Command:
    return actions.run_command(
        actor=SYSTEM, assets=[a.agent.asset for a in agents], script=script, **kwargs
    )


def _poll(agent: SignedAgent, query: str = "wait=0") -> Any:
    path = "/agent/v1/commands"
    response = agent.http.get(f"{path}?{query}", headers=agent.get_headers(path))
    assert response.status_code == 200, response.content
    return response.json()["commands"]


def _verify(agent: SignedAgent, command: dict[str, Any]) -> None:
    """What the agent does: canonical JSON without the signature, Ed25519, pinned public key."""
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(agent.public_key))
    unsigned = {k: v for k, v in command.items() if k != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    key.verify(base64.b64decode(command["signature"]), canonical.encode("utf-8"))


def test_a_command_reaches_its_agent_signed_with_the_key_from_enrollment(
    agent_a: SignedAgent,
) -> None:
    command = _run(agent_a, script="echo '안녕' && uname -a", interpreter="/bin/bash", timeout=30)
    [delivered] = _poll(agent_a)
    assert set(delivered) == PROTOCOL_FIELDS
    assert delivered["agent_id"] == agent_a.agent_id
    assert delivered["script"] == "echo '안녕' && uname -a"
    assert delivered["interpreter"] == "/bin/bash"
    assert delivered["timeout_seconds"] == 30
    assert delivered["run_as"] == "root"
    assert delivered["kind"] == "shell"
    assert delivered["not_after"].endswith("Z")
    _verify(agent_a, delivered)
    run = CommandRun.objects.get(pk=delivered["id"])
    assert run.command == command
    assert run.status == CommandRun.Status.DELIVERED
    assert run.delivered_at is not None


def test_a_tampered_command_fails_verification(agent_a: SignedAgent) -> None:
    from cryptography.exceptions import InvalidSignature

    _run(agent_a)
    [delivered] = _poll(agent_a)
    delivered["script"] = "rm -rf /"
    with pytest.raises(InvalidSignature):
        _verify(agent_a, delivered)


def test_a_run_is_delivered_once_and_only_to_its_agent(agent_a: SignedAgent, client_a) -> None:
    from openmsp.agent_api.tests.agents import enroll_new

    other = enroll_new(client_a, machine_id="a-web-02")
    _run(agent_a)
    assert _poll(other) == []
    assert len(_poll(agent_a)) == 1
    assert _poll(agent_a) == []


def test_a_selection_makes_one_run_per_asset_under_one_command(
    agent_a: SignedAgent, client_a
) -> None:
    from openmsp.agent_api.tests.agents import enroll_new

    other = enroll_new(client_a, machine_id="a-web-02")
    command = _run(agent_a, other)
    assert command.runs.count() == 2
    assert {r.asset_id for r in command.runs.all()} == {
        agent_a.agent.asset_id,
        other.agent.asset_id,
    }


def test_every_run_is_audited_with_its_script(agent_a: SignedAgent) -> None:
    command = _run(agent_a, script="systemctl restart nginx")
    record = AuditRecord.objects.get(action="command.run", object_id=str(command.pk))
    assert (record.after or {})["script"] == "systemctl restart nginx"
    assert (record.after or {})["asset_ids"] == [agent_a.agent.asset_id]
    assert record.client_id == command.client_id


def _result(agent: SignedAgent, run_id: str, **fields) -> Any:
    body = {
        "exit_code": 0,
        "stdout": "",
        "stderr": "",
        "truncated": False,
        "refused": None,
        **fields,
    }
    return agent.post(f"/agent/v1/commands/{run_id}/result", body)


def test_results_are_stored_with_their_status(agent_a: SignedAgent) -> None:
    _run(agent_a, script="a")
    _run(agent_a, script="b")
    _run(agent_a, script="c")
    by_script = {c["script"]: c for c in _poll(agent_a)}
    ok, failed, refused = by_script["a"], by_script["b"], by_script["c"]
    started = iso(dt.datetime.now(dt.UTC))
    response = _result(
        agent_a, ok["id"], stdout="Linux web-01\n", started_at=started, finished_at=started
    )
    assert response.status_code == 200
    assert response.json() == {"accepted": True}
    _result(agent_a, failed["id"], exit_code=2, stderr="no such file")
    _result(agent_a, refused["id"], exit_code=None, refused="signature does not verify")
    runs = {str(r.pk): r for r in CommandRun.objects.all()}
    assert runs[ok["id"]].status == "succeeded"
    assert runs[ok["id"]].stdout == "Linux web-01\n"
    assert runs[failed["id"]].status == "failed"
    assert runs[failed["id"]].exit_code == 2
    assert runs[refused["id"]].status == "refused"
    assert runs[refused["id"]].refused_reason == "signature does not verify"


def test_a_run_killed_at_its_timeout_is_timed_out(agent_a: SignedAgent) -> None:
    _run(agent_a, timeout=5)
    [run] = _poll(agent_a)
    start = dt.datetime.now(dt.UTC)
    _result(
        agent_a,
        run["id"],
        exit_code=-9,
        started_at=iso(start),
        finished_at=iso(start + dt.timedelta(seconds=5)),
    )
    assert CommandRun.objects.get(pk=run["id"]).status == "timed_out"


def test_an_agent_may_say_outright_that_it_killed_the_run_at_its_timeout(
    agent_a: SignedAgent,
) -> None:
    _run(agent_a, script="sleep 600", timeout=5)
    _run(agent_a, script="missing-interpreter")
    by_script = {c["script"]: c for c in _poll(agent_a)}
    _result(agent_a, by_script["sleep 600"]["id"], exit_code=-15, timed_out=True)
    _result(agent_a, by_script["missing-interpreter"]["id"], exit_code=None, stderr="could not run")
    assert CommandRun.objects.get(pk=by_script["sleep 600"]["id"]).status == "timed_out"
    assert CommandRun.objects.get(pk=by_script["missing-interpreter"]["id"]).status == "failed"


def test_a_second_result_for_the_same_run_changes_nothing(agent_a: SignedAgent) -> None:
    _run(agent_a)
    [run] = _poll(agent_a)
    _result(agent_a, run["id"], stdout="first")
    assert _result(agent_a, run["id"], stdout="second", exit_code=1).status_code == 200
    stored = CommandRun.objects.get(pk=run["id"])
    assert stored.stdout == "first"
    assert stored.status == "succeeded"


def test_output_is_capped_at_one_mebibyte_each(agent_a: SignedAgent, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1_048_576
    _run(agent_a)
    [run] = _poll(agent_a)
    _result(agent_a, run["id"], stdout="x" * (1_048_576 + 10), stderr="ok")
    stored = CommandRun.objects.get(pk=run["id"])
    assert len(stored.stdout) == 1_048_576
    assert stored.truncated
    assert stored.stderr == "ok"


def test_an_agent_cannot_report_for_another_agents_run(
    agent_a: SignedAgent, agent_b: SignedAgent
) -> None:
    _run(agent_a)
    [run] = _poll(agent_a)
    response = _result(agent_b, run["id"], stdout="forged")
    assert response.status_code == 404
    assert CommandRun.objects.get(pk=run["id"]).stdout == ""


def test_results_can_also_arrive_in_a_batch(agent_a: SignedAgent) -> None:
    _run(agent_a)
    [run] = _poll(agent_a)
    result = {"id": run["id"], "exit_code": 0, "stdout": "done", "stderr": ""}
    assert agent_a.batch(command_results=[result]).status_code == 200
    assert CommandRun.objects.get(pk=run["id"]).stdout == "done"


def test_cancelling_stops_runs_not_yet_delivered(agent_a: SignedAgent, client_a) -> None:
    command = _run(agent_a)
    actions.cancel_command(actor=SYSTEM, command=command)
    assert _poll(agent_a) == []
    assert set(command.runs.values_list("status", flat=True)) == {"cancelled"}


def test_runs_nobody_picked_up_expire(agent_a: SignedAgent) -> None:
    command = _run(agent_a)
    with time_machine.travel(command.not_after + dt.timedelta(seconds=1), tick=False):
        assert _poll(agent_a) == []  # past not_after: never handed out
        assert actions.expire_command_runs() == 1
    assert command.runs.get().status == "expired"


def test_revoking_the_agent_cancels_its_queued_runs(agent_a: SignedAgent) -> None:
    command = _run(agent_a)
    actions.revoke_agent(actor=SYSTEM, agent=agent_a.agent)
    assert command.runs.get().status == "cancelled"


def test_client_users_cannot_run_commands(agent_a: SignedAgent, alice, bob) -> None:
    from openmsp.core.actor import Actor

    for user in (alice, bob):
        with pytest.raises(PermissionDenied):
            actions.run_command(actor=Actor(user=user), assets=[agent_a.agent.asset], script="id")


def test_commands_are_validated_with_the_field_named(
    agent_a: SignedAgent, agent_b: SignedAgent
) -> None:
    asset = agent_a.agent.asset
    cases: dict[str, dict[str, Any]] = {
        "script": {"script": "   "},
        "interpreter": {"interpreter": "sh; rm -rf /"},
        "timeout": {"timeout": 0},
        "run_as": {"run_as": "root user"},
    }
    for field, change in cases.items():
        arguments = {"script": "id", **change}
        with pytest.raises(ValidationFailed) as refused:
            actions.run_command(actor=SYSTEM, assets=[asset], **arguments)
        assert refused.value.field == field
    with pytest.raises(ValidationFailed, match="one client"):
        actions.run_command(actor=SYSTEM, assets=[asset, agent_b.agent.asset], script="id")


def test_a_manual_asset_cannot_run_commands(client_a) -> None:
    from openmsp.assets.actions import create_asset

    printer = create_asset(actor=SYSTEM, client=client_a, name="Printer 3F")
    with pytest.raises(ValidationFailed, match="no active agent"):
        actions.run_command(actor=SYSTEM, assets=[printer], script="id")
