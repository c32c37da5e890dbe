"""Integration steps in the partner API (``/integration-steps/``): employment services'
steps on a case. Same track as ``credentials.services`` (integration_steps); documented
under "permits"."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from credentials import services as credential_services
from credentials.models import IntegrationStep, IntegrationStepKind, IntegrationStepStatus
from recruitment.models import OrganisationKind

from .. import selectors
from . import filters
from .base import TrackViewSet, required_version
from .idempotency import idempotent
from .schema import IF_MATCH
from .serializing import (
    ChangeSerializer,
    IdField,
    OrganisationCodeField,
    StrictSerializer,
    iso_date,
    validated,
)

# --- Serializers -----------------------------------------------------------------------------


class IntegrationStepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField()
    case_number = serializers.CharField()
    organisation = serializers.CharField()
    kind = serializers.ChoiceField(choices=IntegrationStepKind.choices)
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices)
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    notes = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, s):
        return {
            "id": s.pk,
            "case": s.case_id,
            "case_number": s.case.number,
            "organisation": s.organisation.code,
            "kind": s.kind,
            "status": s.status,
            "due_on": iso_date(s.due_on),
            "done_on": iso_date(s.done_on),
            "notes": s.notes,
            "version": s.version,
            "updated_at": iso_date(s.updated_at),
        }


class IntegrationStepCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    organisation = OrganisationCodeField(
        required=False, help_text="Employment service code; defaults to your own."
    )
    kind = serializers.ChoiceField(choices=IntegrationStepKind.choices)
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class IntegrationStepUpdateSerializer(ChangeSerializer):
    status = serializers.ChoiceField(choices=IntegrationStepStatus.choices, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    done_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)


# --- Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List integration steps",
        description="Employment services: their own steps; counties: their cases'. "
        "Scope: permits:read.",
    ),
    retrieve=extend_schema(summary="Read an integration step"),
)
class IntegrationStepViewSet(TrackViewSet):
    output_model = IntegrationStep
    output_serializer = IntegrationStepSerializer
    filterset_class = filters.IntegrationStepFilter
    required_scopes = {"list": "permits:read", "retrieve": "permits:read", "*": "permits:write"}
    schema_tags = ["permits"]

    def visible(self):
        return selectors.integration_steps_for(self.principal)

    @extend_schema(
        summary="Record an integration step",
        request=IntegrationStepCreateSerializer,
        responses={201: IntegrationStepSerializer},
        examples=[
            OpenApiExample(
                "Initial assessment",
                value={"case": 42, "kind": "initial_assessment", "due_on": "2026-02-15"},
            )
        ],
    )
    @idempotent()
    def create(self, request):
        data = validated(IntegrationStepCreateSerializer, request.data)
        case = self.case_for_write(data["case"])
        organisation = self.own_organisation(
            OrganisationKind.EMPLOYMENT_SERVICE, data.get("organisation"), "organisation"
        )
        optional = {k: data[k] for k in ("status", "due_on", "done_on", "notes") if k in data}
        step = credential_services.record_integration_step(
            case=case,
            organisation=organisation,
            kind=data["kind"],
            actor=self.principal.actor,
            **optional,
        )
        return self.show(step, status=201)

    @extend_schema(
        summary="Update an integration step",
        request=IntegrationStepUpdateSerializer,
        responses=IntegrationStepSerializer,
        parameters=[IF_MATCH],
        examples=[OpenApiExample("Done", value={"status": "done", "done_on": "2026-02-10"})],
    )
    def partial_update(self, request, pk=None):
        step = self.get_object()
        data = validated(IntegrationStepUpdateSerializer, request.data)
        step = credential_services.update_integration_step(
            step=step,
            actor=self.principal.actor,
            expected_version=required_version(request),
            **data,
        )
        return self.show(step)
