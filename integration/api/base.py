"""What every partner API endpoint shares: authentication, scopes, throttles, strict JSON
parsing with a size limit, keyset (cursor) pagination, ETag / If-Match, Idempotency-Key and
request logging without personal data."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import hashlib
import json
import logging
import time

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, renderers, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.utils.urls import replace_query_param

from recruitment.parsing import MAX_INT, parse_id, parse_int, parse_moment

from .. import selectors, services
from .auth import (
    BearerTokenAuthentication,
    BulkRateThrottle,
    ClientRateThrottle,
    ScopePermission,
    SessionAuthentication,
    principal_of,
)
from .problems import IdempotencyKeyReused, PayloadTooLarge, PreconditionRequired
from .schema import PolkuAutoSchema

logger = logging.getLogger("polku.api")


# --- Parsing ---------------------------------------------------------------------------------


MAX_JSON_DEPTH = 32


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_shape(value) -> tuple[int, bool]:
    """How deeply arrays and objects nest in ``value``, and whether any string (key or value)
    holds a NUL character, which no text column can store (without recursion)."""
    deepest, nul, stack = 0, False, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            nul = nul or any("\x00" in key for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            nul = nul or "\x00" in item
    return deepest, nul


class LimitedJSONParser(parsers.JSONParser):
    """JSON bodies up to ``POLKU_API_MAX_BODY_BYTES`` (larger: 413) and ``MAX_JSON_DEPTH``
    levels of nesting (deeper: 400, before anything recurses through them). NaN and Infinity
    are not JSON and are refused too, and so is text with NUL characters (400)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.POLKU_API_MAX_BODY_BYTES
        if stream is None:
            return super().parse(stream, media_type, parser_context)
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge()
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
        except RecursionError as exc:  # nested beyond the decoder's own limit
            raise self._too_deep() from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": exc}
            ) from exc
        depth, nul = json_shape(data)
        if depth > MAX_JSON_DEPTH:
            raise self._too_deep()
        if nul:
            raise exceptions.ParseError(_("Text in the body may not contain NUL characters."))
        return data

    @staticmethod
    def _too_deep():
        return exceptions.ParseError(
            _("The JSON body nests more than %(max)s levels deep.") % {"max": MAX_JSON_DEPTH}
        )


# --- ETags -----------------------------------------------------------------------------------


def etag(version: int) -> str:
    return f'"{version}"'


def required_version(request) -> int:
    """The version from ``If-Match`` (428 when missing, 400 when it is no ETag of ours)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    value = header[2:] if header.startswith("W/") else header
    version = parse_int(value.strip().strip('"'), low=0, high=MAX_INT)
    if version is None:
        raise exceptions.ValidationError(
            {"If-Match": [_('Send the ETag you read, e.g. If-Match: "3".')]}
        )
    return version


# --- Pagination ------------------------------------------------------------------------------


class KeysetPagination(BasePagination):
    """Cursor pagination ordered by (updated_at, id): stable under concurrent writes and as
    fast on the last page as on the first. ``next_cursor`` is the position after the last row,
    so a sync client can store it and resume later."""

    page_size = 100
    max_page_size = 1000

    def _page_size(self, request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        size = parse_int(raw, low=1, high=self.max_page_size)
        if size is None:
            raise exceptions.ValidationError(
                {
                    "page_size": [
                        _("A whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    @staticmethod
    def encode(updated_at: dt.datetime, pk: int) -> str:
        raw = f"{updated_at.isoformat()}|{pk}".encode()
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @staticmethod
    def decode(cursor: str) -> tuple[dt.datetime, int]:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
            stamp, pk = text.rsplit("|", 1)
            moment, number = parse_moment(stamp), parse_id(pk)
            if moment is None or number is None:
                raise ValueError(text)
            return moment, number
        except (ValueError, UnicodeError, binascii.Error) as exc:
            raise exceptions.ValidationError(
                {"cursor": [_("This cursor is not valid; start again without one.")]}
            ) from exc

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        size = self._page_size(request)
        cursor = request.query_params.get("cursor")
        if cursor:
            at, pk = self.decode(cursor)
            queryset = queryset.filter(Q(updated_at__gt=at) | Q(updated_at=at, pk__gt=pk))
        rows = list(queryset.order_by("updated_at", "id")[: size + 1])
        self.has_more = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self.encode(*self._position(rows[-1])) if rows else cursor
        return rows

    @staticmethod
    def _position(row) -> tuple[dt.datetime, int]:
        """(updated_at, id) of a model instance or of a ``values()`` row."""
        if isinstance(row, dict):
            return row["updated_at"], row["id"]
        return row.updated_at, row.pk

    def get_paginated_response(self, data):
        next_url = None
        if self.has_more:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), "cursor", self.next_cursor
            )
        return Response(
            {
                "next": next_url,
                "next_cursor": self.next_cursor,
                "has_more": self.has_more,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "next_cursor", "has_more", "results"],
            "properties": {
                "next": {
                    "type": ["string", "null"],
                    "format": "uri",
                    "description": "URL of the next page, null on the last page.",
                },
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Resume point after the last row; store it to sync later.",
                },
                "has_more": {"type": "boolean"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "Opaque position from `next_cursor` of an earlier page.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "in": "query",
                "required": False,
                "description": f"Rows per page (1–{self.max_page_size}, default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


# --- Idempotency -----------------------------------------------------------------------------


def body_fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b" " + request.path.encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


def _replay(record, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**record.response_headers, "Idempotent-Replayed": "true"}
    return Response(record.response_body, status=record.response_status, headers=headers)


def idempotent(fingerprint=body_fingerprint):
    """Honour ``Idempotency-Key`` on a POST handler: the first 2xx response is stored with
    the change (same transaction) and replayed for 24 hours; the same key with a different
    request gets 422."""

    def decorate(handler):
        @functools.wraps(handler)
        def wrapper(self, request, *args, **kwargs):
            key = request.headers.get("Idempotency-Key")
            if key is None:
                return handler(self, request, *args, **kwargs)
            key = key.strip()
            if not key or len(key) > 200 or not key.isprintable():
                raise exceptions.ValidationError(
                    {"Idempotency-Key": [_("Use 1–200 printable characters, e.g. a UUID.")]}
                )
            principal = principal_of(request)
            fp = fingerprint(request)
            record = selectors.idempotency_record(principal.key, key)
            if record is not None:
                return _replay(record, fp)
            try:
                with transaction.atomic():
                    response = handler(self, request, *args, **kwargs)
                    if 200 <= response.status_code < 300:
                        body = json.loads(json.dumps(response.data, cls=JSONEncoder))
                        headers = {
                            name: response[name]
                            for name in ("ETag", "Location")
                            if response.has_header(name)
                        }
                        services.store_idempotent_response(
                            principal_key=principal.key,
                            key=key,
                            method=request.method,
                            path=request.path,
                            fingerprint=fp,
                            status=response.status_code,
                            body=body,
                            headers=headers,
                        )
            except IntegrityError:
                record = selectors.idempotency_record(principal.key, key)
                if record is None:
                    raise
                return _replay(record, fp)
            return response

        return wrapper

    return decorate


# --- The base view ---------------------------------------------------------------------------


class PolkuViewSet(viewsets.GenericViewSet):
    """Base of every partner API endpoint."""

    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    permission_classes = [ScopePermission]
    throttle_classes = [ClientRateThrottle, BulkRateThrottle]
    renderer_classes = [renderers.JSONRenderer]
    parser_classes = [LimitedJSONParser]
    pagination_class = KeysetPagination
    schema = PolkuAutoSchema()
    # Any path segment reaches the view, so a malformed id gets a problem+json 404 too.
    lookup_value_regex = "[^/]+"
    # action name → scope; "*" is the default for actions not listed.
    required_scopes: dict[str, str] = {}
    is_bulk = False

    def required_scope(self, request) -> str | None:
        action = getattr(self, "action", None) or request.method.lower()
        return self.required_scopes.get(action, self.required_scopes.get("*"))

    @property
    def principal(self):
        return principal_of(self.request)

    def object_id(self) -> int:
        """The id in the URL path: the one id parser's, or 404 (also for "²" or 10**30)."""
        pk = parse_id(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field))
        if pk is None:
            raise Http404
        return pk

    def initial(self, request, *args, **kwargs):
        self._started = time.monotonic()
        # The method first: TRACE or PUT on an endpoint that has no such handler is a 405
        # (with Allow), whoever asks, not a 401/403 about scopes the method never needs.
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise exceptions.MethodNotAllowed(request.method)
        raw = request.META.get("CONTENT_LENGTH") or "0"
        limit = getattr(self, "max_body_bytes", settings.POLKU_API_MAX_BODY_BYTES)
        length = parse_int(raw, high=10**30)
        if length is None:
            raise exceptions.ParseError(_("The Content-Length header is not a byte count."))
        if length > limit:
            raise PayloadTooLarge()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            return response  # refused: one line from recruitment.middleware; 5xx: a traceback
        auth = getattr(request, "_auth", None)
        # Identifiers only: no query strings, bodies, names or tokens in the log.
        logger.info(
            "api %s %s %s principal=%s %.0fms",
            request.method,
            request.path,
            response.status_code,
            getattr(auth, "key", "anonymous"),
            (time.monotonic() - getattr(self, "_started", time.monotonic())) * 1000,
        )
        return response

    def respond(self, data, *, version: int | None = None, status: int = 200, location=None):
        headers = {}
        if version is not None:
            headers["ETag"] = etag(version)
        if location:
            headers["Location"] = location
        return Response(data, status=status, headers=headers)
