"""The OpenAPI document: it validates, documents every endpoint with its errors and scopes, and
the docs UIs are served offline. Schemathesis runs against it in test_fuzz.py."""

import pytest
import yaml
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema


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
