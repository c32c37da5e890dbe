"""Language in the partner API (``/language-certificates/``): certificates, one by one or in
bulk. Same track as ``credentials.services`` (language); documented under "training"."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from credentials import services as credential_services
from credentials.models import SUB_SKILLS, Language, LanguageCertificate, LanguageTest
from recruitment.models import CEFRLevel

from .. import selectors
from . import filters
from .base import TrackViewSet
from .bulk import bulk_request_serializer, bulk_schema, run_bulk
from .idempotency import idempotent
from .serializing import IdField, OrganisationCodeField, StrictSerializer, iso_date, validated

# --- Serializers -----------------------------------------------------------------------------


class LanguageCertificateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    language = serializers.ChoiceField(choices=Language.choices)
    test = serializers.ChoiceField(choices=LanguageTest.choices)
    issuer = serializers.CharField(allow_null=True)
    taken_on = serializers.DateField()
    speaking = serializers.ChoiceField(choices=CEFRLevel.choices)
    listening = serializers.ChoiceField(choices=CEFRLevel.choices)
    reading = serializers.ChoiceField(choices=CEFRLevel.choices)
    writing = serializers.ChoiceField(choices=CEFRLevel.choices)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, c):
        return {
            "id": c.pk,
            "case": c.case_id,
            "case_number": c.case.number,
            "language": c.language,
            "test": c.test,
            "issuer": c.issuer.code if c.issuer_id else None,
            "taken_on": iso_date(c.taken_on),
            **{skill: getattr(c, skill) for skill in SUB_SKILLS},
            "version": c.version,
            "updated_at": iso_date(c.updated_at),
        }


class LanguageCertificateCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    language = serializers.ChoiceField(choices=Language.choices)
    test = serializers.ChoiceField(choices=LanguageTest.choices)
    issuer = OrganisationCodeField(required=False, allow_null=True)
    taken_on = serializers.DateField()
    speaking = serializers.ChoiceField(choices=CEFRLevel.choices)
    listening = serializers.ChoiceField(choices=CEFRLevel.choices)
    reading = serializers.ChoiceField(choices=CEFRLevel.choices)
    writing = serializers.ChoiceField(choices=CEFRLevel.choices)


# --- Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List language certificates",
        description="Certificates of cases linked to your institution (counties: their "
        "cases'). Scope: training:read.",
    ),
    retrieve=extend_schema(summary="Read a language certificate"),
)
class LanguageCertificateViewSet(TrackViewSet):
    output_model = LanguageCertificate
    output_serializer = LanguageCertificateSerializer
    filterset_class = filters.LanguageCertificateFilter
    bulk_serializer = bulk_request_serializer(
        LanguageCertificateCreateSerializer, "LanguageCertificateBulk"
    )
    required_scopes = {"list": "training:read", "retrieve": "training:read", "*": "training:write"}
    schema_tags = ["training"]

    def visible(self):
        return selectors.language_certificates_for(self.principal)

    def _record(self, data):
        """Record one certificate (the input serializer's fields are the service's keywords)."""
        case = self.case_for_write(data["case"])
        fields = {name: value for name, value in data.items() if name != "case"}
        return credential_services.record_language_certificate(
            case=case, actor=self.principal.actor, **fields
        )

    @extend_schema(
        summary="Record a language certificate",
        description="Levels are CEFR (A1–C2). Scope: training:write.",
        request=LanguageCertificateCreateSerializer,
        responses={201: LanguageCertificateSerializer},
        examples=[
            OpenApiExample(
                "YKI intermediate",
                value={
                    "case": 42,
                    "language": "fi",
                    "test": "yki",
                    "taken_on": "2026-03-14",
                    "speaking": "B1",
                    "listening": "B1",
                    "reading": "B2",
                    "writing": "B1",
                },
            )
        ],
    )
    @idempotent()
    def create(self, request):
        data = validated(LanguageCertificateCreateSerializer, request.data)
        return self.show(self._record(data), status=201)

    @bulk_schema(
        request=bulk_serializer,
        summary="Bulk record language certificates",
        description="Up to 1,000 certificates, each recorded on its own; 207 when some failed.",
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        return run_bulk(
            self,
            request,
            LanguageCertificateCreateSerializer,
            lambda item, _preloaded: self._record(item),
            status=201,
        )
