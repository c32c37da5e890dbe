"""Training in the partner API (``/enrollments/``): enrollments and their progress, one by
one or in bulk. Same track as ``credentials.services`` (training)."""

from __future__ import annotations

import functools

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action

from credentials import services as credential_services
from credentials.models import Programme, TrainingEnrollment, TrainingState
from recruitment.models import OrganisationKind

from .. import selectors
from . import filters
from .base import TrackViewSet, required_version
from .bulk import (
    ITEM_ERRORS,
    BulkResults,
    bulk_request_serializer,
    bulk_schema,
    item_ids,
    version_field,
)
from .idempotency import idempotent
from .schema import IF_MATCH
from .serializing import IdField, OrganisationCodeField, StrictSerializer, iso_date, validated

# --- Serializers -----------------------------------------------------------------------------


class EnrollmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(help_text="Case id.")
    case_number = serializers.CharField()
    institution = serializers.CharField(help_text="Organisation code of the institution.")
    programme = serializers.ChoiceField(choices=Programme.choices)
    state = serializers.ChoiceField(choices=TrainingState.choices)
    progress_percent = serializers.IntegerField(min_value=0, max_value=100)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    interrupted_on = serializers.DateField(allow_null=True)
    interruption_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, e):
        return {
            "id": e.pk,
            "case": e.case_id,
            "case_number": e.case.number,
            "institution": e.institution.code,
            "programme": e.programme,
            "state": e.state,
            "progress_percent": e.progress_percent,
            "starts_on": iso_date(e.starts_on),
            "ends_on": iso_date(e.ends_on),
            "completed_on": iso_date(e.completed_on),
            "interrupted_on": iso_date(getattr(e, "interrupted_on", None)),
            "interruption_reason": e.interruption_reason,
            "version": e.version,
            "updated_at": iso_date(e.updated_at),
        }


class EnrollmentCreateSerializer(StrictSerializer):
    case = IdField(help_text="Case id.")
    institution = OrganisationCodeField(
        required=False,
        help_text="Institution code. Institutions may leave it out (their own is used).",
    )
    programme = serializers.ChoiceField(choices=Programme.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)


class EnrollmentUpdateSerializer(StrictSerializer):
    progress_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(_("Send progress_percent and/or ends_on."))
        return attrs


class EnrollmentCompleteSerializer(StrictSerializer):
    completed_on = serializers.DateField()


class EnrollmentInterruptSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=2000)


class EnrollmentBulkItemSerializer(StrictSerializer):
    id = IdField()
    version = version_field()
    action = serializers.ChoiceField(
        choices=[
            ("update", "update"),
            ("start", "start"),
            ("complete", "complete"),
            ("interrupt", "interrupt"),
        ],
        default="update",
    )
    progress_percent = serializers.IntegerField(min_value=0, max_value=100, required=False)
    ends_on = serializers.DateField(required=False, allow_null=True)
    completed_on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, max_length=2000)

    def validate(self, attrs):
        action = attrs.get("action", "update")
        if action == "update" and "progress_percent" not in attrs and "ends_on" not in attrs:
            raise serializers.ValidationError(_("Send progress_percent and/or ends_on."))
        if action == "complete" and "completed_on" not in attrs:
            raise serializers.ValidationError({"completed_on": [_("This field is required.")]})
        if action == "interrupt" and not attrs.get("reason", "").strip():
            raise serializers.ValidationError({"reason": [_("This field is required.")]})
        return attrs


# --- Views -----------------------------------------------------------------------------------


def _action_schema(summary: str, *, request=None, example: OpenApiExample | None = None):
    """The documentation of an action on one enrollment: If-Match required, the changed
    enrollment back."""
    return extend_schema(
        summary=summary,
        request=request,
        responses=EnrollmentSerializer,
        parameters=[IF_MATCH],
        examples=[example] if example else None,
    )


@extend_schema_view(
    list=extend_schema(
        summary="List enrollments",
        description="Institutions: their own enrollments; counties: their cases'. "
        "Scope: training:read.",
    ),
    retrieve=extend_schema(summary="Read an enrollment"),
)
class EnrollmentViewSet(TrackViewSet):
    output_model = TrainingEnrollment
    output_serializer = EnrollmentSerializer
    filterset_class = filters.EnrollmentFilter
    bulk_serializer = bulk_request_serializer(EnrollmentBulkItemSerializer, "EnrollmentBulk")
    required_scopes = {"list": "training:read", "retrieve": "training:read", "*": "training:write"}
    schema_tags = ["training"]

    def visible(self):
        return selectors.enrollments_for(self.principal)

    @extend_schema(
        summary="Enroll a candidate",
        description="Institutions enroll on cases linked to them (their own institution is "
        "used); counties name the institution. Scope: training:write.",
        request=EnrollmentCreateSerializer,
        responses={201: EnrollmentSerializer},
        examples=[
            OpenApiExample(
                "Language course",
                value={"case": 42, "programme": "language", "starts_on": "2026-01-12"},
            )
        ],
    )
    @idempotent()
    def create(self, request):
        data = validated(EnrollmentCreateSerializer, request.data)
        case = self.case_for_write(data["case"])
        institution = self.own_organisation(
            OrganisationKind.EDUCATIONAL_INSTITUTION, data.get("institution"), "institution"
        )
        enrollment = credential_services.enroll(
            case=case,
            institution=institution,
            programme=data["programme"],
            actor=self.principal.actor,
            starts_on=data["starts_on"],
            ends_on=data.get("ends_on"),
        )
        return self.show(enrollment, status=201)

    @extend_schema(
        summary="Update progress or planned end",
        description="Progress above 0 starts an enrolled programme. If-Match required.",
        request=EnrollmentUpdateSerializer,
        responses=EnrollmentSerializer,
        parameters=[IF_MATCH],
        examples=[OpenApiExample("Progress", value={"progress_percent": 60})],
    )
    def partial_update(self, request, pk=None):
        enrollment = self.get_object()
        data = validated(EnrollmentUpdateSerializer, request.data)
        enrollment = credential_services.update_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            progress_percent=data.get("progress_percent"),
            ends_on=data.get("ends_on"),
        )
        return self.show(enrollment)

    @_action_schema("Start an enrollment")
    @action(detail=True, methods=["post"])
    @idempotent()
    def start(self, request, pk=None):
        enrollment = credential_services.start_enrollment(
            enrollment=self.get_object(),
            actor=self.principal.actor,
            expected_version=required_version(request),
        )
        return self.show(enrollment)

    @_action_schema(
        "Complete an enrollment",
        request=EnrollmentCompleteSerializer,
        example=OpenApiExample("Completed", value={"completed_on": "2026-06-30"}),
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def complete(self, request, pk=None):
        enrollment = self.get_object()
        data = validated(EnrollmentCompleteSerializer, request.data)
        enrollment = credential_services.complete_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            completed_on=data["completed_on"],
        )
        return self.show(enrollment)

    @_action_schema(
        "Interrupt an enrollment",
        request=EnrollmentInterruptSerializer,
        example=OpenApiExample("Interrupted", value={"reason": "Moved abroad."}),
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def interrupt(self, request, pk=None):
        enrollment = self.get_object()
        data = validated(EnrollmentInterruptSerializer, request.data)
        enrollment = credential_services.interrupt_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            reason=data["reason"],
        )
        return self.show(enrollment)

    @bulk_schema(
        request=bulk_serializer,
        summary="Bulk update enrollments",
        description="Up to 1,000 items, each applied on its own with its own `version` "
        "(no If-Match header). Each result carries the status the item would have had "
        "alone; 207 when some failed.",
        examples=[
            OpenApiExample(
                "Progress and completion",
                value={
                    "items": [
                        {"id": 7, "version": 3, "progress_percent": 80},
                        {"id": 8, "version": 1, "action": "complete", "completed_on": "2026-05-31"},
                    ]
                },
            )
        ],
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        """Progress updates (``action`` "update") go through the batch service in runs of
        consecutive items (a constant number of queries per run); start, complete and
        interrupt items are applied one by one in their own savepoint, in request order."""
        items = validated(self.bulk_serializer, request.data)["items"]
        results = BulkResults(items)
        updates = _ProgressUpdates(self.principal.actor, results)
        with transaction.atomic():
            ids = item_ids(items)
            visible = set(self.visible().filter(pk__in=ids).values_list("pk", flat=True))
            for index, raw in enumerate(items):
                try:
                    item = validated(EnrollmentBulkItemSerializer, raw)
                    if item["id"] not in visible:
                        raise Http404
                except ITEM_ERRORS as exc:
                    results.failed(index, exc)
                    continue
                if item.get("action", "update") == "update":
                    updates.add(index, item)
                    continue
                updates.flush()  # keep request order: earlier updates land before this item
                results.attempt(index, functools.partial(self._apply_action, item))
            updates.flush()
        return results.response(self)

    def _apply_action(self, item):
        """Start, complete or interrupt the enrollment of one bulk item."""
        return credential_services.apply_enrollment_action(
            action=item["action"],
            enrollment=self.visible().get(pk=item["id"]),
            actor=self.principal.actor,
            expected_version=item["version"],
            completed_on=item.get("completed_on"),
            reason=item.get("reason", ""),
        )


class _ProgressUpdates:
    """Consecutive progress updates of one bulk request, written together by
    ``update_enrollments_bulk`` (a constant number of queries per run of updates)."""

    def __init__(self, actor, results: BulkResults) -> None:
        self.actor = actor
        self.results = results
        self.pending: list[tuple[int, dict]] = []  # (index, validated item)

    def add(self, index: int, item: dict) -> None:
        self.pending.append((index, item))

    def flush(self) -> None:
        if not self.pending:
            return
        outcomes = credential_services.update_enrollments_bulk(
            actor=self.actor,
            items=[
                credential_services.EnrollmentUpdate(
                    enrollment_id=item["id"],
                    expected_version=item["version"],
                    progress_percent=item.get("progress_percent"),
                    ends_on=item.get("ends_on"),
                )
                for _index, item in self.pending
            ],
        )
        for (index, _item), outcome in zip(self.pending, outcomes, strict=True):
            if isinstance(outcome, Exception):
                self.results.failed(index, outcome)
            else:
                self.results.succeeded(index, outcome)
        self.pending.clear()
