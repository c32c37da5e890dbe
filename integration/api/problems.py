"""One exception handler for the whole partner API: every error is ``application/problem+json``
(RFC 9457) with ``type``, ``title``, ``status``, ``detail``, a stable ``code`` and, for
validation errors, ``errors`` per field.

It maps the project's ``PolkuError`` hierarchy, Django's ``ValidationError``, ``Http404``,
``PermissionDenied``, ``RequestDataTooBig`` and other ``SuspiciousOperation``s, and every DRF
``APIException`` (parse errors, authentication, throttling, unsupported media types, methods).
What happens outside DRF on an API path (unknown URLs, server errors, refused hosts) is
answered in the same shape by ``integration.api.middleware``.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from recruitment.errors import PolkuError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://polku.example/problems/"


class PayloadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy(
        'Send the If-Match header with the ETag you read (e.g. If-Match: "3").'
    )
    default_code = "precondition_required"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = 422
    default_detail = gettext_lazy(
        "This Idempotency-Key was already used with a different request. "
        "Use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


class Problem(serializers.Serializer):
    """The body of every error response (RFC 9457 problem details)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What went wrong this time, for a person to read.")
    code = serializers.CharField(help_text="A stable machine-readable code.")
    errors = serializers.DictField(
        required=False,
        help_text="Field name → list of messages (validation errors only).",
    )
    reasons = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Why a transition is blocked (transition errors only).",
    )


def problem_body(
    *, status: int, code: str, detail: str, errors: dict | None = None, extra: dict | None = None
) -> dict:
    body = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body


def problem_response(
    *,
    status: int,
    code: str,
    detail: str,
    errors: dict | None = None,
    headers: dict | None = None,
    extra: dict | None = None,
) -> Response:
    body = problem_body(status=status, code=code, detail=detail, errors=errors, extra=extra)
    return Response(body, status=status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def plain_problem_response(*, status: int, code: str, detail: str) -> HttpResponse:
    """The same body as a plain Django response, for answers made outside DRF (unknown
    URLs, server errors, refused hosts: ``integration.api.middleware``)."""
    body = problem_body(status=status, code=code, detail=detail)
    return HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _field_errors(detail) -> dict:
    """DRF / Django validation details → {field: [messages]} (nested keys kept as paths)."""
    if isinstance(detail, dict):
        out: dict = {}
        for key, value in detail.items():
            name = "non_field_errors" if key in ("__all__", "non_field_errors") else str(key)
            if isinstance(value, dict):
                for sub, messages in _field_errors(value).items():
                    out[f"{name}.{sub}"] = messages
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, messages in _field_errors(item).items():
                        out[f"{name}.{index}.{sub}"] = messages
            else:
                values = value if isinstance(value, list) else [value]
                out[name] = [force_str(v) for v in values]
        return out
    values = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [force_str(v) for v in values]}


def _summary(errors: dict) -> str:
    first_field, messages = next(iter(errors.items()))
    first = messages[0] if messages else ""
    if first_field == "non_field_errors":
        return first
    return _("%(field)s: %(message)s") % {"field": first_field, "message": first}


def exception_handler(exc, context) -> Response | None:
    """DRF's EXCEPTION_HANDLER: the problem response, and the transaction marked for rollback."""
    response = problem_for(exc)
    if response is not None:
        set_rollback()
    return response


def problem_for(exc) -> Response | None:
    """The problem+json response for an exception (None for a real bug → 500)."""
    if isinstance(exc, PolkuError):
        extra = {}
        reasons = exc.details.get("reasons") if isinstance(exc.details, dict) else None
        if reasons:
            extra["reasons"] = [str(r) for r in reasons]
        other = {k: v for k, v in (exc.details or {}).items() if k != "reasons"}
        if other:
            extra["details"] = other
        return problem_response(
            status=exc.status, code=exc.code, detail=str(exc.message), extra=extra
        )

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        errors = _field_errors(detail)
        return problem_response(status=400, code="invalid", detail=_summary(errors), errors=errors)

    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = exceptions.ParseError(_("The form has too many fields or files."))
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("The request is malformed."))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found (or not visible to you)."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*(exc.args))

    if not isinstance(exc, exceptions.APIException):
        return None  # a real bug: Django's 500 handling takes over

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = f"{int(exc.wait)}"

    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        return problem_response(
            status=exc.status_code,
            code="invalid",
            detail=_summary(errors),
            errors=errors,
            headers=headers,
        )
    detail = exc.detail
    if isinstance(detail, list | dict):
        errors = _field_errors(detail)
        return problem_response(
            status=exc.status_code,
            code=exc.default_code,
            detail=_summary(errors),
            errors=errors,
            headers=headers,
        )
    code = getattr(detail, "code", None) or exc.default_code
    if isinstance(exc, exceptions.ParseError):
        code = "malformed_request"
    return problem_response(
        status=exc.status_code, code=str(code), detail=force_str(detail), headers=headers
    )
