"""Refused requests (issue 10, item 8): an unsupported method is a 405 with Allow before any
scope check, and every refused request (4xx, web page or API) is one log line without a
traceback."""

import logging
from urllib.parse import unquote

import pytest
from django.test import Client

from recruitment.middleware import OneLineRefusals
from recruitment.models import Role
from tests import factories

from .conftest import http, make_token
from .test_bad_input import OPERATIONS, problem

pytestmark = pytest.mark.django_db

UNSUPPORTED = ("TRACE", "PUT", "CONNECT", "PROPFIND", "PATCH", "DELETE")


def _allowed(path: str) -> set[str]:
    return {method.upper() for p, method in OPERATIONS if p == path}


@pytest.mark.parametrize("path", sorted({p for p, _m in OPERATIONS}))
def test_unsupported_methods_are_405_with_allow_for_everyone(county_token, path, pirkanmaa):
    url = path.replace("{id}", "1").replace("{name}", "hold")
    allowed = _allowed(path)
    webhooks_only = make_token(pirkanmaa, ["webhooks:manage"], name="Webhooks only")[1]
    for api in (http(county_token), http(webhooks_only), http()):
        for method in UNSUPPORTED:
            if method in allowed:
                continue
            response = api.generic(method, url)
            assert problem(response, 405)["code"] == "method_not_allowed", (method, url)
            assert allowed <= set(response["Allow"].split(", ")), response["Allow"]


def test_a_supported_method_still_needs_its_scope(pirkanmaa, case_at):
    reader = make_token(pirkanmaa, ["cases:read"], name="Reader")[1]
    response = http(reader).post(
        f"/api/v1/cases/{case_at.pk}/transitions/hold/", {"reason": "x"}, format="json"
    )
    assert problem(response, 403)["code"] == "scope_denied"
    assert problem(http().get("/api/v1/cases/"), 401)["code"] == "not_authenticated"


# --- one line per refused request ------------------------------------------------------------


def console_filters():
    """The filters of the handlers that settings.LOGGING configures (``console``)."""
    handlers = [h for h in logging.getLogger().handlers if h.filters]
    assert handlers, "LOGGING configures no filtered handler"
    return [f for h in handlers for f in h.filters]


def written(caplog):
    """The records that reach the configured console handler (its filters applied)."""
    filters = console_filters()
    assert any(isinstance(f, OneLineRefusals) for f in filters)
    return [r for r in caplog.records if all(f.filter(r) for f in filters)]


def refused_lines(caplog):
    return [r.getMessage() for r in written(caplog) if r.name == "polku.refused"]


def test_a_scope_denied_api_request_is_one_line_without_traceback(pirkanmaa, case_at, caplog):
    caplog.set_level(logging.INFO)
    client, reader = make_token(pirkanmaa, ["cases:read"], name="Reader")
    caplog.clear()
    http(reader).post(f"/api/v1/cases/{case_at.pk}/transitions/hold/?x=1", {}, format="json")
    assert refused_lines(caplog) == [
        f"refused POST /api/v1/cases/{case_at.pk}/transitions/hold/ 403 "
        f"code=scope_denied actor=client:{client.pk}"
    ]
    assert [r for r in written(caplog) if r.exc_info or r.levelno >= logging.WARNING] == [
        r for r in written(caplog) if r.name == "polku.refused"
    ]


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "identified"),
    [
        ("GET", "/api/v1/cases/%C2%B2/", 404, "not_found", True),
        ("GET", "/api/v1/cases/?updated_since=2026-01-01T00:00:00", 400, "invalid", True),
        # Refused before anyone is identified: no such URL, no such method.
        ("GET", "/api/v1/nothing/", 404, "not_found", False),
        ("TRACE", "/api/v1/cases/", 405, "method_not_allowed", False),
    ],
)
def test_each_refused_api_request_is_one_line(
    pirkanmaa, caplog, method, path, status, code, identified
):
    client, token = make_token(pirkanmaa, ["cases:read"])
    caplog.set_level(logging.INFO)
    response = http(token).generic(method, path)
    assert response.status_code == status
    [line] = refused_lines(caplog)
    path = unquote(path.split("?")[0])
    actor = f"client:{client.pk}" if identified else "anonymous"
    assert line == f"refused {method} {path} {status} code={code} actor={actor}"
    assert not [r for r in written(caplog) if r.exc_info]


def test_a_throttled_request_is_one_line(county_token, caplog, settings):
    settings.POLKU_API_THROTTLE_RATES = {"client": "2/min", "bulk": "2/min"}
    caplog.set_level(logging.INFO)
    api = http(county_token)
    statuses = [api.get("/api/v1/cases/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    [line] = refused_lines(caplog)
    assert " 429 code=throttled actor=client:" in line


def test_a_web_403_is_one_line_without_traceback(client, pirkanmaa, caplog):
    recruiter = factories.user_with_role(Role.RECRUITER, pirkanmaa, username="log.rec")
    client.force_login(recruiter)
    caplog.set_level(logging.INFO)
    assert client.get("/monitoring/").status_code == 403
    assert refused_lines(caplog) == [
        f"refused GET /monitoring/ 403 code=forbidden actor=user:{recruiter.pk}"
    ]
    assert not [r for r in written(caplog) if r.exc_info]
    # Django's own record (with its traceback) is still made, and kept out of the log.
    assert any(r.name == "django.request" and r.exc_info for r in caplog.records)


def test_a_refused_host_is_one_line_naming_the_reason(caplog):
    caplog.set_level(logging.INFO)
    assert Client().get("/accounts/login/", HTTP_HOST="evil.example").status_code == 400
    assert refused_lines(caplog) == [
        "refused GET /accounts/login/ 400 code=DisallowedHost actor=anonymous"
    ]
    assert not [r for r in written(caplog) if r.exc_info]


def test_server_errors_keep_their_traceback(county_token, monkeypatch, caplog):
    from integration import selectors

    def broken(principal):
        raise RuntimeError("a real bug")

    monkeypatch.setattr(selectors, "case_list_for_api", broken)
    api = http(county_token)
    api.raise_request_exception = False
    assert api.get("/api/v1/cases/").status_code == 500
    assert refused_lines(caplog) == []
    [error] = [r for r in written(caplog) if r.exc_info]
    assert error.levelno == logging.ERROR and "a real bug" in str(error.exc_info[1])
