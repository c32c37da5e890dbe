"""Endpoints of the partner API v1. Thin: they parse, ask selectors what the caller may see,
call the services that write, and shape the answer. Errors become problem+json in
``integration.api.problems``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import APIException

from credentials import selectors as credential_selectors
from credentials import services as credential_services
from credentials.models import (
    IntegrationStep,
    LanguageCertificate,
    ResidencePermit,
    TrainingEnrollment,
)
from recruitment import services as case_services
from recruitment.errors import PolkuError
from recruitment.models import Case, OrganisationKind

from .. import selectors, services
from . import filters
from . import serializers as s
from .base import PolkuViewSet, idempotent, required_version
from .problems import problem_for
from .schema import IDEMPOTENCY_KEY, IF_MATCH

CASE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Case id.")


def _list(view, queryset, serializer_class):
    queryset = view.filter_queryset(queryset)
    page = view.paginate_queryset(queryset)
    data = serializer_class(page, many=True, context=view.get_serializer_context()).data
    return page, view.get_paginated_response(data)


def _validated(serializer_class, data, **context):
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


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

    def list(self, request):
        return _list(self, self.get_queryset(), self.output_serializer)[1]

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

    # --- bulk ---------------------------------------------------------------------------

    def run_bulk(self, request, item_serializer, apply_item, *, prefetch=None):
        """Apply each item on its own (own savepoint): a failing item never stops or undoes
        the others. Answers 200 when all succeeded, 207 when some failed."""
        payload = _validated(self.bulk_serializer, request.data)
        items = payload["items"]
        preloaded = prefetch(items) if prefetch else {}
        results = []
        # One transaction for the batch (one commit, not a thousand); each item runs in its
        # own savepoint, so a failing item is undone alone.
        with transaction.atomic():
            for index, raw in enumerate(items):
                results.append(self._bulk_item(index, raw, item_serializer, apply_item, preloaded))
        failed = sum(1 for r in results if r["error"] is not None)
        body = {"succeeded": len(results) - failed, "failed": failed, "results": results}
        return self.respond(body, status=207 if failed else 200)

    @staticmethod
    def _bulk_item(index, raw, item_serializer, apply_item, preloaded, *, error=None) -> dict:
        result = {"index": index, "id": None, "status": 200, "version": None, "error": None}
        if isinstance(raw, dict) and isinstance(raw.get("id"), int):
            result["id"] = raw["id"]
        try:
            if error is not None:
                raise error
            data = _validated(item_serializer, raw)
            with transaction.atomic():
                obj = apply_item(data, preloaded)
            result.update(id=obj.pk, version=obj.version, status=getattr(obj, "_status", 200))
        except (PolkuError, DjangoValidationError, Http404, APIException) as exc:
            problem = problem_for(exc)
            result.update(status=problem.status_code, error=problem.data)
        return result


# --- Cases -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="Cases your organisation may see (a county: its own; a partner: cases "
        "linked to it), ordered by (updated_at, id). Scope: cases:read. `contact` is only "
        "filled for the case's own county; `permit` only with permits:read.",
        tags=["cases"],
    ),
    retrieve=extend_schema(
        summary="Read a case",
        description="Scope: cases:read. The ETag header carries the version for If-Match.",
        tags=["cases"],
        parameters=[CASE_ID],
    ),
)
class CaseViewSet(TrackViewSet):
    output_model = Case
    output_serializer = s.CaseSerializer
    filterset_class = filters.CaseFilter
    required_scopes = {"*": "cases:read", "transition": "cases:write"}

    def visible(self):
        return selectors.cases_for_api(self.principal)

    def list(self, request):
        if getattr(self, "swagger_fake_view", False):
            return _list(self, self.get_queryset(), s.CaseSerializer)[1]
        queryset = self.filter_queryset(selectors.case_list_for_api(self.principal))
        page = self.paginate_queryset(queryset)
        # What the caller sees of each case of the page (one query at most).
        visibilities = self.principal.visibilities((row["id"], row["county_id"]) for row in page)
        context = {**self.get_serializer_context(), "visibilities": visibilities}
        response = self.get_paginated_response(
            s.CaseSerializer(page, many=True, context=context).data
        )
        self._log_access(page, "api:list", visibilities)
        return response

    def retrieve(self, request, pk=None):
        case = self.get_object()
        self._log_access([case], "api:read")
        return self.show(case)

    def _log_access(self, cases, purpose: str, visibilities=None) -> None:
        """GDPR access log of the contact details shown: one bulk insert per response
        (``cases``: Cases or list rows)."""
        rows = [
            (c["id"], c["candidate_id"], c["county_id"])
            if isinstance(c, dict)
            else (c.pk, c.candidate_id, c.county_id)
            for c in cases
        ]
        if visibilities is None:
            visibilities = self.principal.visibilities((pk, county) for pk, _cid, county in rows)
        ids = [cid for pk, cid, _county in rows if visibilities[pk].sees_contact_details]
        services.log_candidate_access(principal=self.principal, candidate_ids=ids, purpose=purpose)

    @extend_schema(
        summary="Transitions of a case",
        description="Every transition possible from the case's state, whether you may run "
        "it now and, if not, why (the same reasons the web UI shows). Scope: cases:read.",
        responses=s.TransitionOptionSerializer(many=True),
        parameters=[CASE_ID],
        tags=["cases"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="transitions",
        pagination_class=None,
        filter_backends=[],
    )
    def transitions(self, request, pk=None):
        case = self.get_object()
        options = case_services.available_transitions(case, actor=self.principal.actor)
        data = [
            {
                "name": o.name,
                "label": str(o.label),
                "allowed": o.allowed,
                "blocked_reasons": [str(r) for r in o.blocked_reasons],
                "reason_required": o.reason_required,
            }
            for o in options
        ]
        return self.respond(data, version=case.version)

    @extend_schema(
        summary="Run a transition",
        description="Moves the case through its state machine with the same guards as the "
        "web UI. Scope: cases:write (the case's county only). If-Match is required. A "
        "blocked transition answers 409 with `reasons`.",
        request=s.TransitionRequestSerializer,
        responses={200: s.CaseSerializer},
        parameters=[
            CASE_ID,
            OpenApiParameter(
                "name",
                str,
                OpenApiParameter.PATH,
                enum=case_services.TRANSITIONS,
                description="Transition name.",
            ),
            IF_MATCH,
            IDEMPOTENCY_KEY,
        ],
        examples=[
            OpenApiExample("Put on hold", value={"reason": "Candidate asked for a pause."}),
        ],
        tags=["cases"],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"transitions/(?P<name>[^/]+)",
        url_name="transition",
    )
    @idempotent()
    def transition(self, request, pk=None, name=None):
        case = self.get_object()
        data = _validated(s.TransitionRequestSerializer, request.data)
        expected = required_version(request)
        case_services.transition_case(
            case=case,
            name=name,
            actor=self.principal.actor,
            expected_version=expected,
            reason=data.get("reason", ""),
        )
        return self.show(case)

    @extend_schema(
        summary="Next steps of a case",
        description="The steps on the case's path to placement, with who acts, what blocks "
        "each and whether it is done: only the steps (and reasons) about data you may see "
        "(a partner: the tracks its organisation handles; see the guide's visibility table).",
        responses=s.NextStepSerializer(many=True),
        parameters=[CASE_ID],
        tags=["cases"],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="next-steps",
        pagination_class=None,
        filter_backends=[],
    )
    def next_steps(self, request, pk=None):
        case = self.get_object()
        steps = credential_selectors.next_steps(case, visibility=self.principal.visibility(case))
        return self.respond([self._step(step) for step in steps], version=case.version)

    @staticmethod
    def _step(step) -> dict:
        return {
            "key": step.key,
            "title": str(step.title),
            "owner": step.owner,
            "blocked_by": [str(b) for b in step.blocked_by],
            "done": step.done,
        }


# --- Enrollments -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List enrollments",
        description="Institutions: their own enrollments; counties: their cases'. "
        "Scope: training:read.",
        tags=["training"],
    ),
    retrieve=extend_schema(summary="Read an enrollment", tags=["training"]),
)
class EnrollmentViewSet(TrackViewSet):
    output_model = TrainingEnrollment
    output_serializer = s.EnrollmentSerializer
    filterset_class = filters.EnrollmentFilter
    bulk_serializer = s.bulk_request_serializer(s.EnrollmentBulkItemSerializer, "EnrollmentBulk")
    required_scopes = {"list": "training:read", "retrieve": "training:read", "*": "training:write"}

    def visible(self):
        return selectors.enrollments_for(self.principal)

    @extend_schema(
        summary="Enroll a candidate",
        description="Institutions enroll on cases linked to them (their own institution is "
        "used); counties name the institution. Scope: training:write.",
        request=s.EnrollmentCreateSerializer,
        responses={201: s.EnrollmentSerializer},
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample(
                "Language course",
                value={"case": 42, "programme": "language", "starts_on": "2026-01-12"},
            )
        ],
        tags=["training"],
    )
    @idempotent()
    def create(self, request):
        data = _validated(s.EnrollmentCreateSerializer, request.data)
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
        request=s.EnrollmentUpdateSerializer,
        responses=s.EnrollmentSerializer,
        parameters=[IF_MATCH],
        examples=[OpenApiExample("Progress", value={"progress_percent": 60})],
        tags=["training"],
    )
    def partial_update(self, request, pk=None):
        enrollment = self.get_object()
        data = _validated(s.EnrollmentUpdateSerializer, request.data)
        enrollment = credential_services.update_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            progress_percent=data.get("progress_percent"),
            ends_on=data.get("ends_on"),
        )
        return self.show(enrollment)

    @extend_schema(
        summary="Start an enrollment",
        request=None,
        responses=s.EnrollmentSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        tags=["training"],
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def start(self, request, pk=None):
        enrollment = credential_services.start_enrollment(
            enrollment=self.get_object(),
            actor=self.principal.actor,
            expected_version=required_version(request),
        )
        return self.show(enrollment)

    @extend_schema(
        summary="Complete an enrollment",
        request=s.EnrollmentCompleteSerializer,
        responses=s.EnrollmentSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        examples=[OpenApiExample("Completed", value={"completed_on": "2026-06-30"})],
        tags=["training"],
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def complete(self, request, pk=None):
        enrollment = self.get_object()
        data = _validated(s.EnrollmentCompleteSerializer, request.data)
        enrollment = credential_services.complete_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            completed_on=data["completed_on"],
        )
        return self.show(enrollment)

    @extend_schema(
        summary="Interrupt an enrollment",
        request=s.EnrollmentInterruptSerializer,
        responses=s.EnrollmentSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        examples=[OpenApiExample("Interrupted", value={"reason": "Moved abroad."})],
        tags=["training"],
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def interrupt(self, request, pk=None):
        enrollment = self.get_object()
        data = _validated(s.EnrollmentInterruptSerializer, request.data)
        enrollment = credential_services.interrupt_enrollment(
            enrollment=enrollment,
            actor=self.principal.actor,
            expected_version=required_version(request),
            reason=data["reason"],
        )
        return self.show(enrollment)

    @extend_schema(
        summary="Bulk update enrollments",
        description="Up to 1,000 items, each applied on its own with its own `version` "
        "(no If-Match header). Each result carries the status the item would have had "
        "alone; 207 when some failed.",
        request=s.bulk_request_serializer(s.EnrollmentBulkItemSerializer, "EnrollmentBulk"),
        responses={200: s.BulkResponseSerializer, 207: s.BulkResponseSerializer},
        parameters=[IDEMPOTENCY_KEY],
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
        tags=["training"],
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        """Progress updates (``action`` "update") go through the batch service in runs of
        consecutive items (a constant number of queries per run); start, complete and
        interrupt items are applied one by one in their own savepoint, in request order."""
        payload = _validated(self.bulk_serializer, request.data)
        items = payload["items"]
        ids = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)]
        results: list[dict | None] = [None] * len(items)
        pending: list[tuple[int, dict]] = []  # (index, validated update item)

        def flush():
            if not pending:
                return
            outcomes = credential_services.update_enrollments_bulk(
                actor=self.principal.actor,
                items=[
                    credential_services.EnrollmentUpdate(
                        enrollment_id=item["id"],
                        expected_version=item["version"],
                        progress_percent=item.get("progress_percent"),
                        ends_on=item.get("ends_on"),
                    )
                    for _index, item in pending
                ],
            )
            for (index, item), outcome in zip(pending, outcomes, strict=True):
                result = {"index": index, "id": item["id"], "status": 200, "version": None}
                if isinstance(outcome, Exception):
                    problem = problem_for(outcome)
                    result.update(status=problem.status_code, error=problem.data)
                else:
                    result.update(version=outcome.version, error=None)
                results[index] = result
            pending.clear()

        def apply(item, _preloaded):
            return credential_services.apply_enrollment_action(
                action=item["action"],
                enrollment=self.visible().get(pk=item["id"]),
                actor=self.principal.actor,
                expected_version=item["version"],
                completed_on=item.get("completed_on"),
                reason=item.get("reason", ""),
            )

        with transaction.atomic():
            visible = set(self.visible().filter(pk__in=ids).values_list("pk", flat=True))
            for index, raw in enumerate(items):
                try:
                    item = _validated(s.EnrollmentBulkItemSerializer, raw)
                    if item["id"] not in visible:
                        raise Http404
                except (DjangoValidationError, Http404, APIException) as exc:
                    results[index] = self._bulk_item(index, raw, None, None, None, error=exc)
                    continue
                if item.get("action", "update") == "update":
                    pending.append((index, item))
                    continue
                flush()  # keep request order: earlier updates land before this item
                results[index] = self._bulk_item(
                    index, raw, s.EnrollmentBulkItemSerializer, apply, None
                )
            flush()
        failed = sum(1 for r in results if r["error"] is not None)
        body = {"succeeded": len(results) - failed, "failed": failed, "results": results}
        return self.respond(body, status=207 if failed else 200)


# --- Language certificates -------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List language certificates",
        description="Certificates of cases linked to your institution (counties: their "
        "cases'). Scope: training:read.",
        tags=["training"],
    ),
    retrieve=extend_schema(summary="Read a language certificate", tags=["training"]),
)
class LanguageCertificateViewSet(TrackViewSet):
    output_model = LanguageCertificate
    output_serializer = s.LanguageCertificateSerializer
    filterset_class = filters.LanguageCertificateFilter
    bulk_serializer = s.bulk_request_serializer(
        s.LanguageCertificateCreateSerializer, "LanguageCertificateBulk"
    )
    required_scopes = {"list": "training:read", "retrieve": "training:read", "*": "training:write"}

    def visible(self):
        return selectors.language_certificates_for(self.principal)

    def _record(self, data):
        case = self.case_for_write(data["case"])
        return credential_services.record_language_certificate(
            case=case,
            actor=self.principal.actor,
            language=data["language"],
            test=data["test"],
            taken_on=data["taken_on"],
            speaking=data["speaking"],
            listening=data["listening"],
            reading=data["reading"],
            writing=data["writing"],
            issuer=data.get("issuer"),
        )

    @extend_schema(
        summary="Record a language certificate",
        description="Levels are CEFR (A1–C2). Scope: training:write.",
        request=s.LanguageCertificateCreateSerializer,
        responses={201: s.LanguageCertificateSerializer},
        parameters=[IDEMPOTENCY_KEY],
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
        tags=["training"],
    )
    @idempotent()
    def create(self, request):
        data = _validated(s.LanguageCertificateCreateSerializer, request.data)
        return self.show(self._record(data), status=201)

    @extend_schema(
        summary="Bulk record language certificates",
        description="Up to 1,000 certificates, each recorded on its own; 207 when some failed.",
        request=s.bulk_request_serializer(
            s.LanguageCertificateCreateSerializer, "LanguageCertificateBulk"
        ),
        responses={200: s.BulkResponseSerializer, 207: s.BulkResponseSerializer},
        parameters=[IDEMPOTENCY_KEY],
        tags=["training"],
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        def apply(item, _preloaded):
            certificate = self._record(item)
            certificate._status = 201
            return certificate

        return self.run_bulk(request, s.LanguageCertificateCreateSerializer, apply)


# --- Residence permits -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List residence permits",
        description="Permits of cases referred to your employment service (counties: their "
        "cases'). Scope: permits:read.",
        tags=["permits"],
    ),
    retrieve=extend_schema(summary="Read a residence permit", tags=["permits"]),
)
class PermitViewSet(TrackViewSet):
    output_model = ResidencePermit
    output_serializer = s.PermitSerializer
    filterset_class = filters.PermitFilter
    bulk_serializer = s.bulk_request_serializer(s.PermitDecisionBulkItemSerializer, "PermitBulk")
    required_scopes = {"list": "permits:read", "retrieve": "permits:read", "*": "permits:write"}

    def visible(self):
        return selectors.permits_for(self.principal)

    @extend_schema(
        summary="Record a permit application",
        request=s.PermitCreateSerializer,
        responses={201: s.PermitSerializer},
        parameters=[IDEMPOTENCY_KEY],
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
        tags=["permits"],
    )
    @idempotent()
    def create(self, request):
        data = _validated(s.PermitCreateSerializer, request.data)
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
        return credential_services.decide_permit(
            permit=permit,
            actor=self.principal.actor,
            expected_version=expected_version,
            granted=data["granted"],
            decided_on=data["decided_on"],
            valid_from=data.get("valid_from"),
            valid_until=data.get("valid_until"),
            reference=data.get("reference", ""),
        )

    @extend_schema(
        summary="Record Migri's decision",
        description="A granted permit needs `valid_until`. If-Match required.",
        request=s.PermitDecisionSerializer,
        responses=s.PermitSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
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
        tags=["permits"],
    )
    @action(detail=True, methods=["post"])
    @idempotent()
    def decision(self, request, pk=None):
        permit = self.get_object()
        data = _validated(s.PermitDecisionSerializer, request.data)
        return self.show(self._decide(permit, data, required_version(request)))

    @extend_schema(
        summary="Bulk record permit decisions",
        description="Up to 1,000 decisions, each with the `id` and `version` it applies to; "
        "207 when some failed.",
        request=s.bulk_request_serializer(s.PermitDecisionBulkItemSerializer, "PermitBulk"),
        responses={200: s.BulkResponseSerializer, 207: s.BulkResponseSerializer},
        parameters=[IDEMPOTENCY_KEY],
        tags=["permits"],
    )
    @action(detail=False, methods=["post"], is_bulk=True)
    @idempotent()
    def bulk(self, request):
        def prefetch(items):
            ids = [i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), int)]
            return self.visible().in_bulk(ids)

        def apply(item, visible):
            permit = visible.get(item["id"])
            if permit is None:
                raise Http404
            return self._decide(permit, item, item["version"])

        return self.run_bulk(request, s.PermitDecisionBulkItemSerializer, apply, prefetch=prefetch)


# --- Integration steps -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List integration steps",
        description="Employment services: their own steps; counties: their cases'. "
        "Scope: permits:read.",
        tags=["permits"],
    ),
    retrieve=extend_schema(summary="Read an integration step", tags=["permits"]),
)
class IntegrationStepViewSet(TrackViewSet):
    output_model = IntegrationStep
    output_serializer = s.IntegrationStepSerializer
    filterset_class = filters.IntegrationStepFilter
    required_scopes = {"list": "permits:read", "retrieve": "permits:read", "*": "permits:write"}

    def visible(self):
        return selectors.integration_steps_for(self.principal)

    @extend_schema(
        summary="Record an integration step",
        request=s.IntegrationStepCreateSerializer,
        responses={201: s.IntegrationStepSerializer},
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample(
                "Initial assessment",
                value={"case": 42, "kind": "initial_assessment", "due_on": "2026-02-15"},
            )
        ],
        tags=["permits"],
    )
    @idempotent()
    def create(self, request):
        data = _validated(s.IntegrationStepCreateSerializer, request.data)
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
        request=s.IntegrationStepUpdateSerializer,
        responses=s.IntegrationStepSerializer,
        parameters=[IF_MATCH],
        examples=[OpenApiExample("Done", value={"status": "done", "done_on": "2026-02-10"})],
        tags=["permits"],
    )
    def partial_update(self, request, pk=None):
        step = self.get_object()
        data = _validated(s.IntegrationStepUpdateSerializer, request.data)
        step = credential_services.update_integration_step(
            step=step,
            actor=self.principal.actor,
            expected_version=required_version(request),
            **data,
        )
        return self.show(step)
