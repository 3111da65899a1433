"""The OpenAPI document is a usable reference, and docs/api.md's endpoint table matches it."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client as HttpClient

from openmsp.api import api

ROOT = Path(__file__).resolve().parents[3]
ERROR_REF = "#/components/schemas/ErrorOut"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return api.get_openapi_schema()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    ]


def test_every_operation_has_a_summary_a_tag_and_a_readable_operation_id(schema):
    ids = []
    for method, path, op in operations(schema):
        assert op.get("summary"), f"{method} {path} has no summary"
        assert op.get("tags"), f"{method} {path} has no tag"
        assert re.fullmatch(r"[a-z_]+", op["operationId"]), op["operationId"]
        ids.append(op["operationId"])
    assert len(ids) == len(set(ids))


def test_every_error_an_operation_can_answer_is_documented_with_the_error_schema(schema):
    for method, path, op in operations(schema):
        responses = {str(code): body for code, body in op["responses"].items()}
        expected = {"400", "401", "422"}
        if "{" in path:
            expected.add("404")
        if method in {"POST", "PATCH", "DELETE"}:
            expected.add("403")
        if method in {"POST", "PATCH"}:
            expected.add("413")
        assert expected <= set(responses), f"{method} {path}: {expected - set(responses)}"
        for code in expected:
            content = responses[code]["content"]["application/json"]["schema"]
            assert content == {"$ref": ERROR_REF}, (method, path, code)
            assert responses[code]["description"] != "Unknown Status Code"


def test_routes_with_an_object_id_name_the_parameter_after_the_object(schema):
    # `client_id`, `site_id` ...: the tenant-isolation sweep fills parameters by these names.
    for _method, path, _op in operations(schema):
        for param in re.findall(r"\{(\w+)\}", path):
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*_id", param), f"{path}: name the id {param}"
            noun = param.removesuffix("_id").replace("_", "-")
            # "/sla-policies/{sla_policy_id}": a -y noun's plural ends in -ies.
            plural = noun[:-1] + "ies" if noun.endswith("y") else noun
            assert f"/{noun}" in path or f"/{plural}" in path, (
                f"{path}: {param} does not name an object of the path"
            )


def test_every_list_pages_and_orders_by_an_allow_list(schema):
    for method, path, op in operations(schema):
        ok = op["responses"].get(200, op["responses"].get("200", {}))
        ref = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        if method != "GET" or not ref.endswith("Page"):
            continue
        params = {p["name"]: p for p in op["parameters"]}
        assert {"limit", "offset"} <= set(params), path
        assert params["limit"]["schema"]["maximum"] == 500
        if "ordering" in params:
            assert params["ordering"]["schema"]["enum"], path


def test_no_response_schema_exposes_a_secret(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith(("In", "Patch", "Invite", "Query")):
            continue
        for prop in component.get("properties", {}):
            assert prop not in {"password", "token_hash", "secret_hash"}, (name, prop)
    created = schema["components"]["schemas"]["TokenCreated"]
    assert "secret" in created["properties"]
    assert "secret" not in schema["components"]["schemas"]["TokenOut"]["properties"]


def test_the_document_and_the_docs_page_are_served_without_signing_in(db):
    http = HttpClient()
    document = http.get("/api/v1/openapi.json")
    assert document.status_code == 200
    assert document.json()["info"]["title"] == "OpenMSP API"
    assert http.get("/api/v1/docs").status_code == 200


def test_the_endpoint_table_in_docs_api_md_is_up_to_date(tmp_path):
    env = {**os.environ, "OPENMSP_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [str(ROOT / "scripts" / "api-docs"), "--check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
