"""CSV imports in the partner API (``/imports/``): upload, progress, row report. The import
itself (checking, validating and applying rows) is ``integration.imports``."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import parsers, renderers, serializers, status
from rest_framework.decorators import action

from .. import imports as csv_import
from .. import selectors
from ..models import CsvImport
from .base import OwnObjectsViewSet
from .idempotency import idempotent
from .problems import PayloadTooLarge
from .serializing import StrictSerializer, iso_date, validated

# --- Serializers -----------------------------------------------------------------------------


class CsvImportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CsvImport.Kind.choices)
    status = serializers.ChoiceField(choices=CsvImport.Status.choices)
    apply_valid_rows = serializers.BooleanField()
    progress_percent = serializers.IntegerField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField()
    applied_rows = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    failure_reason = serializers.CharField(
        help_text="Why a failed import stopped (empty unless status is failed)."
    )
    report_url = serializers.CharField(help_text="Row-by-row report (CSV).")

    def to_representation(self, imp):
        request = self.context.get("request")
        path = f"/api/v1/imports/{imp.pk}/report/"
        return {
            "id": imp.pk,
            "kind": imp.kind,
            "status": imp.status,
            "apply_valid_rows": imp.apply_valid_rows,
            "progress_percent": imp.progress_percent,
            "total_rows": imp.total_rows,
            "processed_rows": imp.processed_rows,
            "applied_rows": imp.applied_rows,
            "error_rows": imp.error_rows,
            "created_at": iso_date(imp.created_at),
            "finished_at": iso_date(imp.finished_at),
            "failure_reason": imp.failure_reason,
            "report_url": request.build_absolute_uri(path) if request else path,
        }


class CsvImportCreateSerializer(StrictSerializer):
    file = serializers.FileField(help_text="UTF-8 CSV with a header row.")
    kind = serializers.ChoiceField(choices=CsvImport.Kind.choices)
    apply_valid_rows = serializers.BooleanField(required=False, default=False)


# --- Views -----------------------------------------------------------------------------------


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
        responses=CsvImportSerializer(many=True),
    ),
    retrieve=extend_schema(
        summary="Status and progress of a CSV import",
        description="Poll until `status` is done, rejected or failed.",
        responses=CsvImportSerializer,
    ),
)
class CsvImportViewSet(OwnObjectsViewSet):
    required_scopes = {}
    serializer_class = CsvImportSerializer
    parser_classes = [parsers.MultiPartParser]
    pagination_class = None  # the latest 100 imports; there is nothing to sync here
    is_bulk = True
    schema_tags = ["imports"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CsvImport.objects.none()
        return selectors.imports_for(self.principal).order_by("-id")

    @property
    def max_body_bytes(self) -> int:
        return settings.POLKU_CSV_MAX_BYTES + 64 * 1024  # the file plus the form around it

    def list(self, request):
        rows = self.get_queryset()[:100]
        return self.respond(CsvImportSerializer(rows, many=True, context={"request": request}).data)

    def retrieve(self, request, pk=None):
        imp = self.get_object()
        return self.respond(
            CsvImportSerializer(imp, context={"request": request}).data, version=imp.version
        )

    @extend_schema(
        summary="Upload a CSV import",
        description="multipart/form-data with `file` (UTF-8 CSV, header row), `kind` and "
        "optionally `apply_valid_rows`. Encoding and columns are checked at once (400); rows "
        "are validated and applied by a background job whose progress you poll. Needs "
        "training:write (enrollments, language_results) or permits:write (permits).",
        request={"multipart/form-data": CsvImportCreateSerializer},
        responses={202: CsvImportSerializer},
    )
    @idempotent(fingerprint=_upload_fingerprint)
    def create(self, request):
        data = validated(CsvImportCreateSerializer, request.data)
        upload = data["file"]
        if upload.size > settings.POLKU_CSV_MAX_BYTES:
            raise PayloadTooLarge()
        imp = csv_import.create_csv_import(
            principal=self.principal,
            content=upload.read(),
            filename=upload.name,
            kind=data["kind"],
            apply_valid_rows=data.get("apply_valid_rows", False),
        )
        return self.respond(
            CsvImportSerializer(imp, context={"request": request}).data,
            version=imp.version,
            status=status.HTTP_202_ACCEPTED,
            location=request.build_absolute_uri(f"{request.path}{imp.pk}/"),
        )

    @extend_schema(
        summary="Download the row report",
        description="CSV with one line per data row: row number, status (valid, applied, "
        "not_applied, error) and the errors.",
        responses={(200, "text/csv"): OpenApiResponse(response=str, description="CSV report.")},
    )
    @action(detail=True, methods=["get"], renderer_classes=[renderers.JSONRenderer, CSVRenderer])
    def report(self, request, pk=None):
        imp = self.get_object()
        response = HttpResponse(csv_import.report_csv(imp), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-report.csv"'
        return response
