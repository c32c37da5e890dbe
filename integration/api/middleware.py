"""Every answer on an API path (``/api/…``) is ``application/problem+json`` when it is an error,
also when DRF never saw the request: an unknown URL (404), a method a plain Django view does
not take (405), a refused Host header or a malformed request (400), and any uncaught
exception (500, logged with its traceback, never shown to the caller).

DRF's own errors are already problem+json (``integration.api.problems``); this middleware
only rewrites what Django answered in HTML. It sits first in ``MIDDLEWARE`` so it also sees
what the other middleware answered. ``not_found`` and ``server_error`` are the project's
``handler404``/``handler500`` (config/urls.py): on API paths they answer problem+json at once
instead of rendering the site's HTML error pages.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views import defaults

from .problems import PROBLEM_CONTENT_TYPE, plain_problem_response

API_PREFIX = "/api/"
logger = logging.getLogger("django.request")

# Exceptions Django answers with a 4xx itself; the rewrite below gives them our shape.
_CLIENT_ERRORS = (Http404, PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


def _code_and_detail(status: int) -> tuple[str, str]:
    known = {
        400: ("bad_request", _("The request is malformed.")),
        403: ("forbidden", _("You may not do this.")),
        404: ("not_found", _("Not found (or not visible to you).")),
        405: ("method_not_allowed", _("This endpoint does not take this HTTP method.")),
        413: ("payload_too_large", _("The request body is too large.")),
        500: ("server_error", _("Something went wrong on our side. It has been logged.")),
    }
    if status in known:
        return known[status]
    phrase = HTTPStatus(status).phrase
    return phrase.lower().replace(" ", "_").replace("-", "_"), phrase


class ApiProblemMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not request.path.startswith(API_PREFIX)
            or response.status_code < 400
            or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            return response
        code, detail = _code_and_detail(response.status_code)
        problem = plain_problem_response(status=response.status_code, code=code, detail=detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate", "Vary"):
            if response.has_header(header):
                problem[header] = response[header]
        problem._has_been_logged = getattr(response, "_has_been_logged", False)
        return problem

    def process_exception(self, request, exception):
        """An uncaught exception in a view on an API path: 500 problem+json."""
        if not request.path.startswith(API_PREFIX) or isinstance(exception, _CLIENT_ERRORS):
            return None  # not ours, or Django's 4xx (rewritten above)
        signals.got_request_exception.send(sender=self.__class__, request=request)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        code, detail = _code_and_detail(500)
        response = plain_problem_response(status=500, code=code, detail=detail)
        response._has_been_logged = True
        return response


def not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        code, detail = _code_and_detail(404)
        return plain_problem_response(status=404, code=code, detail=detail)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        code, detail = _code_and_detail(500)
        return plain_problem_response(status=500, code=code, detail=detail)
    return defaults.server_error(request)
