"""One log line per refused request (any 4xx, web page or API).

Django logs a refused request itself, and a ``PermissionDenied`` or a refused Host header
with a full traceback: noise that buries real errors. Instead, ``RefusedRequestLogMiddleware``
writes one line to the ``polku.refused`` logger::

    refused GET /api/v1/cases/7/transitions/hold/ 403 code=scope_denied actor=client:3

with the method, the path (no query string), the status, a stable code (the problem's
``code`` on API paths) and who asked (``client:<id>``, ``user:<id>`` or ``anonymous``; ids
only, no names). ``OneLineRefusals`` keeps Django's own 4xx records out of the log; server
errors (5xx) keep their tracebacks.
"""

from __future__ import annotations

import json
import logging

logger = logging.getLogger("polku.refused")

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    429: "throttled",
}


def _actor(request) -> str:
    user = getattr(request, "user", None)
    client = getattr(user, "client", None)
    if client is not None:
        return f"client:{client.pk}"
    if user is not None and getattr(user, "is_authenticated", False) and user.pk is not None:
        return f"user:{user.pk}"
    return "anonymous"


def _code(request, response) -> str:
    reason = getattr(request, "_polku_refusal_code", None)
    if reason:
        return reason
    if response.get("Content-Type", "").startswith("application/problem+json"):
        try:
            code = json.loads(response.content).get("code")
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, str) and code:
            return code
    return _CODES.get(response.status_code, f"http_{response.status_code}")


class RefusedRequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if 400 <= response.status_code < 500:
            logger.warning(
                "refused %s %s %s code=%s actor=%s",
                request.method,
                request.path,
                response.status_code,
                _code(request, response),
                _actor(request),
            )
        return response


class OneLineRefusals(logging.Filter):
    """On ``django.request`` and ``django.security``: drop the records of refused (4xx)
    requests, which ``RefusedRequestLogMiddleware`` logs as one line; a security record's
    kind (e.g. ``DisallowedHost``, ``csrf``) becomes that line's code."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is None or not 400 <= status < 500:
            return True
        request = getattr(record, "request", None)
        if record.name.startswith("django.security.") and request is not None:
            request._polku_refusal_code = record.name.removeprefix("django.security.")
        return False
