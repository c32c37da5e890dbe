"""Cases in the partner API (``/cases/``): list, read, transitions and next steps.

The case list reads narrow rows (``selectors.case_list_for_api``), not model instances, and
writes one access-log row per candidate whose contact details it shows.
"""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.decorators import action

from credentials import selectors as credential_selectors
from recruitment import authz
from recruitment import services as case_services
from recruitment.models import Case, CaseState, RecognitionOutcome

from .. import selectors, services
from . import filters
from .base import TrackViewSet, required_version
from .idempotency import idempotent
from .schema import IF_MATCH
from .serializing import StrictSerializer, iso_date, validated

CASE_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="Case id.")


# --- Serializers -----------------------------------------------------------------------------


class CandidateNameSerializer(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class CaseContactSerializer(serializers.Serializer):
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    birth_date = serializers.DateField(allow_null=True)
    nationality = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")


class CaseMilestonesSerializer(serializers.Serializer):
    """Each milestone is null where your organisation does not see its track (recognition:
    counties only; training and language: counties and institutions; see docs/api.md)."""

    recognition_submitted_on = serializers.DateField(allow_null=True)
    recognition_decided_on = serializers.DateField(allow_null=True)
    recognition_outcome = serializers.ChoiceField(
        choices=[("", "none"), *RecognitionOutcome.choices], allow_blank=True, allow_null=True
    )
    training_in_progress = serializers.BooleanField(allow_null=True)
    language_requirement_met_on = serializers.DateField(allow_null=True)


class CasePermitSerializer(serializers.Serializer):
    applied_on = serializers.DateField(allow_null=True)
    granted_on = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


# The milestones a case shows (permit milestones are shown as ``permit``), and which are dates.
MILESTONES = (
    "recognition_submitted_on",
    "recognition_decided_on",
    "recognition_outcome",
    "training_in_progress",
    "language_requirement_met_on",
)
MILESTONE_DATES = {
    "recognition_submitted_on",
    "recognition_decided_on",
    "language_requirement_met_on",
}


class CaseSerializer(serializers.Serializer):
    """A case as partners see it: ``contact`` only for the case's own county; ``permit`` only
    where the permit track is visible (the county, employment services linked to the case,
    with permits:read; never educational institutions); each milestone likewise by its
    track. The view passes ``visibilities`` (case id → CaseVisibility) for a page of cases."""

    id = serializers.IntegerField()
    number = serializers.CharField()
    state = serializers.ChoiceField(choices=CaseState.choices)
    state_label = serializers.CharField()
    version = serializers.IntegerField(help_text='Send it back as If-Match: "<version>".')
    county = serializers.CharField(help_text="Organisation code of the county.")
    profession = serializers.CharField(help_text="Profession code.")
    opened_on = serializers.DateField()
    state_changed_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    candidate = CandidateNameSerializer()
    milestones = CaseMilestonesSerializer()
    permit = CasePermitSerializer(allow_null=True)
    contact = CaseContactSerializer(allow_null=True)

    def _state_labels(self) -> dict[str, str]:
        """State labels translated once per response, not once per row."""
        root = self.root if self.root is not None else self
        labels = getattr(root, "_polku_state_labels", None)
        if labels is None:
            labels = {value: str(label) for value, label in CaseState.choices}
            root._polku_state_labels = labels
        return labels

    def to_representation(self, case):
        """``case`` is a Case or a row of ``selectors.case_list_for_api`` (a dict)."""
        principal = self.context["principal"]
        row = case if isinstance(case, dict) else case_row(case)
        visibility = self.context.get("visibilities", {}).get(row["id"])
        if visibility is None:
            visibility = principal.visibilities([(row["id"], row["county_id"])])[row["id"]]
        state = row["state"]
        data = {
            "id": row["id"],
            "number": row["number"],
            "state": state,
            "state_label": self._state_labels().get(state, state),
            "version": row["version"],
            "county": row["county__code"],
            "profession": row["profession__code"],
            "opened_on": iso_date(row["opened_on"]),
            "state_changed_at": iso_date(row["state_changed_at"]),
            "closed_at": iso_date(row["closed_at"]),
            "updated_at": iso_date(row["updated_at"]),
            "candidate": {
                "first_name": row["candidate__first_name"],
                "last_name": row["candidate__last_name"],
            },
            "milestones": {
                name: (iso_date(row[name]) if name in MILESTONE_DATES else row[name])
                if visibility.sees_milestone(name)
                else None
                for name in MILESTONES
            },
            "permit": None,
            "contact": None,
        }
        if visibility.sees_track(authz.PERMIT):
            data["permit"] = {
                "applied_on": iso_date(row["permit_applied_on"]),
                "granted_on": iso_date(row["permit_granted_on"]),
                "valid_until": iso_date(row["permit_valid_until"]),
            }
        if visibility.sees_contact_details:
            data["contact"] = {
                "email": row["candidate__email"],
                "phone": row["candidate__phone"],
                "birth_date": iso_date(row["candidate__birth_date"]),
                "nationality": row["candidate__nationality__code"],
            }
        return data


def case_row(case) -> dict:
    """A Case (with candidate, county and profession loaded) as a case-list row."""
    candidate = case.candidate
    return {
        "id": case.pk,
        "number": case.number,
        "state": case.state,
        "version": case.version,
        "county_id": case.county_id,
        "county__code": case.county.code,
        "profession__code": case.profession.code,
        "opened_on": case.opened_on,
        "state_changed_at": case.state_changed_at,
        "closed_at": case.closed_at,
        "updated_at": case.updated_at,
        "candidate__first_name": candidate.first_name,
        "candidate__last_name": candidate.last_name,
        "candidate__email": candidate.email,
        "candidate__phone": candidate.phone,
        "candidate__birth_date": candidate.birth_date,
        "candidate__nationality__code": candidate.nationality.code,
        **{name: getattr(case, name) for name in authz.MILESTONE_TRACKS},
    }


class TransitionOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    allowed = serializers.BooleanField()
    blocked_reasons = serializers.ListField(child=serializers.CharField())
    reason_required = serializers.BooleanField()


class TransitionRequestSerializer(StrictSerializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required for hold, withdraw, reject and leave_early.",
    )


class NextStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    owner = serializers.CharField()
    blocked_by = serializers.ListField(child=serializers.CharField())
    done = serializers.BooleanField()


# --- Views -----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="Cases your organisation may see (a county: its own; a partner: cases "
        "linked to it), ordered by (updated_at, id). Scope: cases:read. `contact` is only "
        "filled for the case's own county; `permit` only with permits:read.",
    ),
    retrieve=extend_schema(
        summary="Read a case",
        description="Scope: cases:read. The ETag header carries the version for If-Match.",
        parameters=[CASE_ID],
    ),
)
class CaseViewSet(TrackViewSet):
    output_model = Case
    output_serializer = CaseSerializer
    filterset_class = filters.CaseFilter
    schema_tags = ["cases"]
    required_scopes = {"*": "cases:read", "transition": "cases:write"}

    def visible(self):
        return selectors.cases_for_api(self.principal)

    def list(self, request):
        if getattr(self, "swagger_fake_view", False):
            return self.page(self.get_queryset(), CaseSerializer)
        queryset = self.filter_queryset(selectors.case_list_for_api(self.principal))
        page = self.paginate_queryset(queryset)
        # What the caller sees of each case of the page (one query at most).
        visibilities = self.principal.visibilities((row["id"], row["county_id"]) for row in page)
        context = {**self.get_serializer_context(), "visibilities": visibilities}
        response = self.get_paginated_response(
            CaseSerializer(page, many=True, context=context).data
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
        responses=TransitionOptionSerializer(many=True),
        parameters=[CASE_ID],
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
        request=TransitionRequestSerializer,
        responses={200: CaseSerializer},
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
        ],
        examples=[
            OpenApiExample("Put on hold", value={"reason": "Candidate asked for a pause."}),
        ],
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
        data = validated(TransitionRequestSerializer, request.data)
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
        responses=NextStepSerializer(many=True),
        parameters=[CASE_ID],
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
