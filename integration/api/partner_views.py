"""Endpoints a partner uses to manage its own integration: webhook subscriptions and CSV
imports."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import parsers, renderers, status
from rest_framework.decorators import action

from .. import imports, selectors, services
from ..models import CsvImport, WebhookSubscription
from . import serializers as s
from .base import PolkuViewSet, idempotent, required_version
from .schema import IDEMPOTENCY_KEY, IF_MATCH


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class _OwnObjects(PolkuViewSet):
    def get_object(self):
        obj = self.get_queryset().filter(pk=self.object_id()).first()
        if obj is None:
            raise Http404
        return obj


@extend_schema_view(
    list=extend_schema(
        summary="List your webhook subscriptions",
        description="Scope: webhooks:manage.",
        responses=s.SubscriptionSerializer(many=True),
        tags=["webhooks"],
    ),
    retrieve=extend_schema(
        summary="Read a webhook subscription",
        responses=s.SubscriptionSerializer,
        tags=["webhooks"],
    ),
)
class SubscriptionViewSet(_OwnObjects):
    required_scopes = {"*": "webhooks:manage"}
    serializer_class = s.SubscriptionSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookSubscription.objects.none()
        return selectors.subscriptions_for(self.principal).order_by("id")

    def list(self, request):
        return self.respond(s.SubscriptionSerializer(self.get_queryset(), many=True).data)

    def retrieve(self, request, pk=None):
        sub = self.get_object()
        return self.respond(s.SubscriptionSerializer(sub).data, version=sub.version)

    @extend_schema(
        summary="Subscribe to webhooks",
        description="Events about cases your organisation may see, limited to what your "
        "scopes allow. The response carries the signing `secret` (shown only now).",
        request=s.SubscriptionCreateSerializer,
        responses={201: s.SubscriptionWithSecretSerializer},
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample(
                "Training events",
                value={
                    "url": "https://partner.example/polku-hook",
                    "event_types": ["training.changed"],
                },
            )
        ],
        tags=["webhooks"],
    )
    @idempotent()
    def create(self, request):
        data = _validated(s.SubscriptionCreateSerializer, request.data)
        sub = services.create_subscription(
            client=self.principal.client,
            url=data["url"],
            event_types=data.get("event_types", []),
            active=data.get("active", True),
        )
        return self.respond(
            s.SubscriptionWithSecretSerializer(sub).data,
            version=sub.version,
            status=201,
            location=request.build_absolute_uri(f"{request.path}{sub.pk}/"),
        )

    @extend_schema(
        summary="Change a webhook subscription",
        request=s.SubscriptionUpdateSerializer,
        responses=s.SubscriptionSerializer,
        parameters=[IF_MATCH],
        tags=["webhooks"],
    )
    def partial_update(self, request, pk=None):
        sub = self.get_object()
        data = _validated(s.SubscriptionUpdateSerializer, request.data)
        sub = services.update_subscription(
            subscription=sub, expected_version=required_version(request), **data
        )
        return self.respond(s.SubscriptionSerializer(sub).data, version=sub.version)

    @extend_schema(
        summary="Delete a webhook subscription",
        request=None,
        responses={204: OpenApiResponse(description="Deleted.")},
        parameters=[IF_MATCH],
        tags=["webhooks"],
    )
    def destroy(self, request, pk=None):
        sub = self.get_object()
        services.delete_subscription(subscription=sub, expected_version=required_version(request))
        return self.respond(None, status=204)

    @extend_schema(
        summary="Rotate the signing secret",
        request=None,
        responses=s.SubscriptionWithSecretSerializer,
        parameters=[IF_MATCH],
        tags=["webhooks"],
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        sub = services.rotate_subscription_secret(
            subscription=self.get_object(), expected_version=required_version(request)
        )
        return self.respond(s.SubscriptionWithSecretSerializer(sub).data, version=sub.version)


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str):
            return data.encode(self.charset)
        return renderers.JSONRenderer().render(data)


def _upload_fingerprint(request) -> str:
    digest = hashlib.sha256(request.path.encode())
    upload = request.FILES.get("file")
    if upload is not None:
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
    for name in ("kind", "apply_valid_rows"):
        digest.update(f"|{name}={request.data.get(name, '')}".encode())
    return digest.hexdigest()


@extend_schema_view(
    list=extend_schema(
        summary="List your CSV imports",
        responses=s.CsvImportSerializer(many=True),
        tags=["imports"],
    ),
    retrieve=extend_schema(
        summary="Status and progress of a CSV import",
        description="Poll until `status` is done, rejected or failed.",
        responses=s.CsvImportSerializer,
        tags=["imports"],
    ),
)
class CsvImportViewSet(_OwnObjects):
    required_scopes = {}
    serializer_class = s.CsvImportSerializer
    parser_classes = [parsers.MultiPartParser]
    pagination_class = None  # the latest 100 imports; there is nothing to sync here
    is_bulk = True

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CsvImport.objects.none()
        return selectors.imports_for(self.principal).order_by("-id")

    @property
    def max_body_bytes(self) -> int:
        return settings.POLKU_CSV_MAX_BYTES + 64 * 1024  # the file plus the form around it

    def list(self, request):
        rows = self.get_queryset()[:100]
        return self.respond(
            s.CsvImportSerializer(rows, many=True, context={"request": request}).data
        )

    def retrieve(self, request, pk=None):
        imp = self.get_object()
        return self.respond(
            s.CsvImportSerializer(imp, context={"request": request}).data, version=imp.version
        )

    @extend_schema(
        summary="Upload a CSV import",
        description="multipart/form-data with `file` (UTF-8 CSV, header row), `kind` and "
        "optionally `apply_valid_rows`. Encoding and columns are checked at once (400); rows "
        "are validated and applied by a background job whose progress you poll. Needs "
        "training:write (enrollments, language_results) or permits:write (permits).",
        request={"multipart/form-data": s.CsvImportCreateSerializer},
        responses={202: s.CsvImportSerializer},
        parameters=[IDEMPOTENCY_KEY],
        tags=["imports"],
    )
    @idempotent(fingerprint=_upload_fingerprint)
    def create(self, request):
        data = _validated(s.CsvImportCreateSerializer, request.data)
        upload = data["file"]
        if upload.size > settings.POLKU_CSV_MAX_BYTES:
            from .problems import PayloadTooLarge

            raise PayloadTooLarge()
        imp = imports.create_csv_import(
            principal=self.principal,
            content=upload.read(),
            filename=upload.name,
            kind=data["kind"],
            apply_valid_rows=data.get("apply_valid_rows", False),
        )
        return self.respond(
            s.CsvImportSerializer(imp, context={"request": request}).data,
            version=imp.version,
            status=status.HTTP_202_ACCEPTED,
            location=request.build_absolute_uri(f"{request.path}{imp.pk}/"),
        )

    @extend_schema(
        summary="Download the row report",
        description="CSV with one line per data row: row number, status (valid, applied, "
        "not_applied, error) and the errors.",
        responses={(200, "text/csv"): OpenApiResponse(response=str, description="CSV report.")},
        tags=["imports"],
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CSVRenderer])
    def report(self, request, pk=None):
        imp = self.get_object()
        response = HttpResponse(imports.report_csv(imp), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-report.csv"'
        return response
