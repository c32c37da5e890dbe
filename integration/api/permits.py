"""Residence permits in the partner API (``/permits/``): applications and Migri's decisions,
one by one or in bulk. Same track as ``credentials.services`` (permits)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from credentials import services as credential_services
from credentials.models import PermitKind, PermitType, ResidencePermit

from .. import selectors
from . import filters
from .base import TrackViewSet, required_version
from .bulk import bulk_request_serializer, bulk_schema, item_ids, run_bulk, version_field
from .idempotency import idempotent
from .schema import IF_MATCH
from .serializing import IdField, StrictSerializer, iso_date, validated

# --- Serializers -----------------------------------------------------------------------------


class PermitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    permit_kind = serializers.ChoiceField(choices=PermitKind.choices)
    state = serializers.CharField()
    applied_on = serializers.DateField()
    decided_on = serializers.DateField(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    decision_reference = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, p):
        return {
            "id": p.pk,
            "case": p.case_id,
            "case_number": p.case.number,
            "permit_type": p.permit_type,
            "permit_kind": p.permit_kind,
            "state": p.state,
            "applied_on": iso_date(p.applied_on),
            "decided_on": iso_date(p.decided_on),
            "valid_from": iso_date(p.valid_from),
            "valid_until": iso_date(p.valid_until),
            "decision_reference": p.decision_reference,
            "version": p.version,
            "updated_at": iso_date(p.updated_at),
        }


class PermitCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    permit_type = serializers.ChoiceField(choices=PermitType.choices)
    permit_kind = serializers.ChoiceField(choices=PermitKind.choices)
    applied_on = serializers.DateField()


class PermitDecisionSerializer(StrictSerializer):
    granted = serializers.BooleanField()
    decided_on = serializers.DateField()
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class PermitDecisionBulkItemSerializer(PermitDecisionSerializer):
    id = IdField()
    version = version_field()


# --- Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List residence permits",
        description="Permits of cases referred to your employment service (counties: their "
        "cases'). Scope: permits:read.",
    ),
    retrieve=extend_schema(summary="Read a residence permit"),
)
class PermitViewSet(TrackViewSet):
    output_model = ResidencePermit
    output_serializer = PermitSerializer
    filterset_class = filters.PermitFilter
    bulk_serializer = bulk_request_serializer(PermitDecisionBulkItemSerializer, "PermitBulk")
    required_scopes = {"list": "permits:read", "retrieve": "permits:read", "*": "permits:write"}
    schema_tags = ["permits"]

    def visible(self):
        return selectors.permits_for(self.principal)

    @extend_schema(
        summary="Record a permit application",
        request=PermitCreateSerializer,
        responses={201: PermitSerializer},
        examples=[
            OpenApiExample(
                "Employed person",
                value={
                    "case": 42,
                    "permit_type": "employed_person",
                    "permit_kind": "temporary",
                    "applied_on": "2026-02-01",
                },
            )
        ],
    )
    @idempotent()
    def create(self, request):
        data = validated(PermitCreateSerializer, request.data)
        case = self.case_for_write(data["case"])
        permit = credential_services.apply_permit(
            case=case,
            actor=self.principal.actor,
            permit_type=data["permit_type"],
            permit_kind=data["permit_kind"],
            applied_on=data["applied_on"],
        )
        return self.show(permit, status=201)

    def _decide(self, permit, data, expected_version):
        """Record a decision (``PermitDecisionSerializer``'s fields are the service's
        keywords; a bulk item's ``id`` and ``version`` are not)."""
        decision = {name: value for name, value in data.items() if name not in ("id", "version")}
        return credential_services.decide_permit(
            permit=permit, actor=self.principal.actor, expected_version=expected_version, **decision
        )

    @extend_schema(
        summary="Record Migri's decision",
        description="A granted permit needs `valid_until`. If-Match required.",
        request=PermitDecisionSerializer,
        responses=PermitSerializer,
        parameters=[IF_MATCH],
        examples=[
            OpenApiExample(
                "Granted",
                value={
                    "granted": True,
                    "decided_on": "2026-03-01",
                    "valid_until": "2027-02-28",
                    "reference": "MIGRI-123",
                },
            )
        ],
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def decision(self, request, pk=None):
        permit = self.get_object()
        data = validated(PermitDecisionSerializer, request.data)
        return self.show(self._decide(permit, data, required_version(request)))

    @bulk_schema(
        request=bulk_serializer,
        summary="Bulk record permit decisions",
        description="Up to 1,000 decisions, each with the `id` and `version` it applies to; "
        "207 when some failed.",
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        def apply(item, visible):
            permit = visible.get(item["id"])
            if permit is None:
                raise Http404
            return self._decide(permit, item, item["version"])

        return run_bulk(
            self,
            request,
            PermitDecisionBulkItemSerializer,
            apply,
            prefetch=lambda items: self.visible().in_bulk(item_ids(items)),
        )
