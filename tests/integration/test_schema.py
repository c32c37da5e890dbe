"""The OpenAPI document: it validates, documents every endpoint with its errors and scopes,
the docs UIs are served offline, and schemathesis finds no 5xx and no response that breaks
the schema (bounded to stay well under three minutes)."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from credentials import services as credential_services

from .conftest import ALL_SCOPES, SYSTEM, accepted_case, days_ago, enroll, make_token, refer

ST = str(Path(sys.executable).parent / "st")


@pytest.fixture
def document():
    return SchemaGenerator(urlconf="integration.api.schema_urls").get_schema(public=True)


def test_the_openapi_document_validates(document):
    validate_schema(document)  # raises on an invalid OpenAPI 3 document
    assert document["openapi"].startswith("3.1")


def test_every_operation_is_documented_with_errors_and_security(document):
    operations = [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]
    assert len(operations) >= 25
    for path, method, op in operations:
        assert op.get("summary") or op.get("description"), (path, method)
        assert {"401", "403", "429"} <= set(op["responses"]), (path, method)
        assert "application/problem+json" in op["responses"]["401"]["content"]
        assert {"bearerAuth"} <= {k for s in op["security"] for k in s}, (path, method)
        bearer = next(s["bearerAuth"] for s in op["security"] if "bearerAuth" in s)
        if bearer:  # the scope is named in the security requirement and the description
            assert f"Required scope: `{bearer[0]}`" in op["description"], (path, method)
        if method in ("patch", "delete") or (method == "post" and "{name}" in path):
            names = {p["name"] for p in op.get("parameters", [])}
            assert "If-Match" in names, (path, method)
    scoped = {
        (path, method): next(s["bearerAuth"] for s in op["security"] if "bearerAuth" in s)
        for path, method, op in operations
    }
    assert scoped[("/api/v1/enrollments/", "post")] == ["training:write"]
    assert scoped[("/api/v1/cases/{id}/transitions/{name}/", "post")] == ["cases:write"]
    assert scoped[("/api/v1/permits/", "get")] == ["permits:read"]
    for schema in ("Problem", "Case", "Enrollment", "BulkResponse"):
        assert schema in document["components"]["schemas"]


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_any_cdn():
    client = Client()
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert yaml.safe_load(schema.content)["info"]["title"] == "Polku partner API"
    for path in ("/api/v1/docs/", "/api/v1/redoc/"):
        page = client.get(path).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        assert "cdn.jsdelivr" not in page and "unpkg" not in page
        assert "fonts.googleapis" not in page and "<style" not in page
        # Every script is a file of ours or the sidecar's (the CSP allows no inline script).
        assert page.count("<script") == page.count('<script src="/static/'), path


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_schemathesis_finds_no_server_errors_and_no_schema_violations(
    live_server, settings, pirkanmaa, tmp_path
):
    settings.POLKU_API_THROTTLE_RATES = {"client": "100000/min", "bulk": "100000/min"}
    from recruitment.models import Organisation, OrganisationKind

    institution = Organisation.objects.create(
        code="st-inst", kind=OrganisationKind.EDUCATIONAL_INSTITUTION, name="ST institution"
    )
    employment = Organisation.objects.create(
        code="st-employment", kind=OrganisationKind.EMPLOYMENT_SERVICE, name="ST employment"
    )
    for _ in range(3):
        case = accepted_case()
        enroll(case, institution)
        refer(case, employment)
        credential_services.apply_permit(
            case=case,
            actor=SYSTEM,
            permit_type="specialist",
            permit_kind="temporary",
            applied_on=days_ago(3),
        )
    _client, token = make_token(pirkanmaa, ALL_SCOPES)
    report = tmp_path / "st.json"
    started = time.monotonic()
    result = subprocess.run(
        [
            ST,
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--header",
            f"Authorization: Bearer {token}",
            "--header",
            "Accept-Language: en",
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,"
            "response_schema_conformance",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "10",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--no-color",
            "--report",
            "ndjson",
            "--report-ndjson-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=170,
    )
    elapsed = time.monotonic() - started
    (tmp_path / "st.out").write_text(result.stdout + result.stderr)
    Path("/tmp/st.out").write_text(result.stdout + result.stderr)
    assert elapsed < 180
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout or "passed" in result.stdout, result.stdout[-3000:]
    assert json  # the ndjson report is kept in tmp_path for a look when it fails
