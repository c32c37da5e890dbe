"""What every partner API endpoint shares: the base view (authentication, scopes, throttles,
strict JSON parsing with a size limit, keyset pagination, ETag / If-Match and request logging
without personal data) and the base views of the track records and of a client's own objects.

Pagination lives in ``pagination``, Idempotency-Key in ``idempotency``, bulk requests in
``bulk``; each resource has its own module (``cases``, ``training``, ``language``, ``permits``,
``integration_steps``, ``webhooks``, ``imports``)."""

from __future__ import annotations

import json
import logging
import time

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, parsers, renderers, serializers, viewsets
from rest_framework.response import Response

from recruitment.parsing import MAX_INT, parse_id, parse_int

from .. import selectors
from .auth import (
    BearerTokenAuthentication,
    BulkRateThrottle,
    ClientRateThrottle,
    ScopePermission,
    SessionAuthentication,
    principal_of,
)
from .pagination import KeysetPagination
from .problems import PayloadTooLarge, PreconditionRequired
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


# --- Track records and a client's own objects ------------------------------------------------


# A view's docstring is the fallback description of its operations in the OpenAPI document:
# the two below are published text.
#
# Each TrackViewSet (cases too) names ``visible()``, the records the caller may see (a
# selector): every read, and every object a write starts from, comes from there.


class TrackViewSet(PolkuViewSet):
    """Shared by enrollments, certificates, permits and integration steps."""

    filter_backends = [DjangoFilterBackend]
    output_serializer: type[serializers.Serializer]
    output_model: type

    def get_serializer_class(self):
        return self.output_serializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "principal": self.principal}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request user
            return self.output_model.objects.none()
        return self.visible()

    def get_object(self):
        obj = self.visible().filter(pk=self.object_id()).first()
        if obj is None:
            raise Http404
        return obj

    def page(self, queryset, serializer_class):
        """One page of ``queryset`` (filtered), shown by ``serializer_class``."""
        page = self.paginate_queryset(self.filter_queryset(queryset))
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    def list(self, request):
        return self.page(self.get_queryset(), self.output_serializer)

    def retrieve(self, request, pk=None):
        return self.show(self.get_object())

    def fresh(self, obj):
        """The changed object, re-read with what its serializer shows joined in."""
        return self.visible().get(pk=obj.pk)

    def show(self, obj, *, status: int = 200):
        obj = self.fresh(obj)
        location = None
        if status == 201:
            location = self.request.build_absolute_uri(f"{self.request.path}{obj.pk}/")
        return self.respond(
            self.output_serializer(obj, context=self.get_serializer_context()).data,
            version=obj.version,
            status=status,
            location=location,
        )

    def case_for_write(self, case_id):
        case = selectors.case_for_partner_write(self.principal, case_id)
        if case is None:
            raise exceptions.ValidationError(
                {"case": [_("No case with this id is visible to you.")]}
            )
        return case

    def own_organisation(self, kind: str, given, field: str):
        """The partner organisation of a new record: the caller's own, or the one it names."""
        org = self.principal.organisation
        if given is not None:
            return given
        if org is not None and org.kind == kind:
            return org
        raise exceptions.ValidationError({field: [_("This field is required.")]})


# Objects a client owns (webhook subscriptions, CSV imports): ``get_queryset`` is all of them;
# any other id is a 404. (No docstring: its views' documentation falls back to PolkuViewSet's.)
class OwnObjectsViewSet(PolkuViewSet):
    def get_object(self):
        obj = self.get_queryset().filter(pk=self.object_id()).first()
        if obj is None:
            raise Http404
        return obj
