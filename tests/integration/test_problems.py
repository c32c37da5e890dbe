"""The one exception handler: every error is application/problem+json with a stable code."""

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404
from rest_framework import exceptions

from integration.api.problems import (
    PROBLEM_CONTENT_TYPE,
    IdempotencyKeyReused,
    PreconditionRequired,
    exception_handler,
)
from recruitment.errors import NotPermitted, ScopeDenied, StaleVersion, TransitionNotAllowed


def handle(exc):
    response = exception_handler(exc, {})
    assert response.content_type == PROBLEM_CONTENT_TYPE
    body = response.data
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["status"] == response.status_code
    assert body["type"].endswith(body["code"])
    return response.status_code, body


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (StaleVersion(expected=2, current=3), 412, "stale_version"),
        (NotPermitted("No."), 403, "not_permitted"),
        (ScopeDenied("Needs cases:write."), 403, "scope_denied"),
        (Http404(), 404, "not_found"),
        (PermissionDenied(), 403, "permission_denied"),
        (RequestDataTooBig(), 413, "payload_too_large"),
        (exceptions.ParseError("bad json"), 400, "malformed_request"),
        (exceptions.UnsupportedMediaType("text/plain"), 415, "unsupported_media_type"),
        (exceptions.NotAuthenticated(), 401, "not_authenticated"),
        (exceptions.Throttled(wait=12), 429, "throttled"),
        (PreconditionRequired(), 428, "precondition_required"),
        (IdempotencyKeyReused(), 422, "idempotency_key_reused"),
    ],
)
def test_each_kind_of_error_maps_to_its_status_and_code(exc, status, code):
    got_status, body = handle(exc)
    assert (got_status, body["code"]) == (status, code)
    assert body["detail"]


def test_stale_version_carries_both_versions():
    _status, body = handle(StaleVersion(expected=2, current=3))
    assert body["details"] == {"expected_version": 2, "current_version": 3}
    assert "version 2" in body["detail"]


def test_a_blocked_transition_lists_its_reasons():
    status, body = handle(
        TransitionNotAllowed("Blocked.", transition="place", reasons=["No permit.", "No B1."])
    )
    assert status == 409
    assert body["reasons"] == ["No permit.", "No B1."]
    assert body["details"] == {"transition": "place"}


def test_django_validation_errors_name_each_field():
    status, body = handle(ValidationError({"ends_on": ["Before the start."], "__all__": ["X"]}))
    assert status == 400
    assert body["errors"] == {"ends_on": ["Before the start."], "non_field_errors": ["X"]}
    assert body["detail"] == "ends_on: Before the start."


def test_drf_validation_errors_name_nested_fields():
    status, body = handle(
        exceptions.ValidationError({"items": {"3": {"version": ["Required."]}}, "case": ["Bad."]})
    )
    assert status == 400
    assert body["errors"] == {"items.3.version": ["Required."], "case": ["Bad."]}


def test_a_throttled_response_says_when_to_retry():
    response = exception_handler(exceptions.Throttled(wait=12), {})
    assert response["Retry-After"] == "12"


def test_real_bugs_are_left_to_the_500_handler():
    assert exception_handler(ZeroDivisionError(), {}) is None
